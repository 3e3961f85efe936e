"""Accounts: creating, verifying, resetting, the visitor profile (export and erasure: bazaar.privacy)."""

from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bazaar.accounts.auth import hash_password
from bazaar.accounts.choices import FOREIGN_BACKGROUND_DEFINITION
from bazaar.accounts.models import User, VisitorProfile, normalise_email
from bazaar.accounts.signals import consent_withdrawn
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.notifications.services import queue
from bazaar.tokens import SignedLink

# The link in the verification email: stale once the address changes.
VERIFY_LINK = SignedLink(
    "verify_email", User, {"u": "id", "e": "email"}, "EMAIL_VERIFY_MAX_AGE", usable=lambda user: user.is_active
)
# The password-reset link works once: it goes stale when the password changes.
RESET_LINK = SignedLink(
    "password_reset", User, {"u": "id", "p": User.session_stamp}, "PASSWORD_RESET_MAX_AGE", usable=lambda u: u.is_active
)


class EmailTaken(Exception):
    """An account with this email exists already."""


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(email: str | None, name: str, password: str | None, **fields) -> User:
    user = User(
        email=normalise_email(email) if email else None,
        name=name.strip(),
        password_hash=hash_password(password) if password else None,
        **fields,
    )
    db.session.add(user)
    return user


def set_site_operator(email: str, operator: bool) -> bool:
    """Give or take the site-operator role; False if no account has ``email``."""
    user = find_user_by_email(email)
    if user is None:
        return False
    user.is_site_operator = operator
    db.session.commit()
    return True


def external_url(endpoint: str, **values) -> str:
    """An absolute link for emails, built without a request (works in Celery tasks too)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"] + path


def sign_up(email: str, name: str, password: str | None, preferred_language: str) -> User:
    """Create an account and queue the verification email (the caller commits).

    Raises :class:`EmailTaken` if the address is in use, also when a concurrent request took it."""
    if find_user_by_email(email) is not None:
        raise EmailTaken(email)
    try:
        with db.session.begin_nested():
            user = create_user(email, name, password, preferred_language=preferred_language)
    except IntegrityError as exc:
        raise EmailTaken(email) from exc
    send_verification(user)
    return user


def send_verification(user: User) -> None:
    token = VERIFY_LINK.token(user)
    queue(
        "verify_email",
        user=user,
        subject=user,
        version=int(utcnow().timestamp()),
        payload={"url": external_url("accounts.verify_email", token=token), "name": user.name},
    )


def verify_email(token: str) -> User:
    """Mark the account's email verified; raises InvalidToken for bad, expired or stale links."""
    user = VERIFY_LINK.load(token)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        db.session.commit()
    return user


def request_password_reset(email: str) -> None:
    """Queue a reset link if the account exists; say nothing either way (no account probing)."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return
    fingerprint = user.session_stamp()
    token = RESET_LINK.token(user)
    # Requests within the same second collapse into one message.
    queue(
        "password_reset",
        user=user,
        subject=user,
        version=f"{int(utcnow().timestamp())}-{fingerprint[:8]}",
        payload={
            "url": external_url("accounts.reset_password", token=token),
            "name": user.name,
            "valid_hours": current_app.config["PASSWORD_RESET_MAX_AGE"] // 3600,
        },
    )
    db.session.commit()


def user_from_reset_token(token: str) -> User:
    return RESET_LINK.load(token)


def reset_password(token: str, password: str) -> User:
    user = user_from_reset_token(token)
    user.password_hash = hash_password(password)
    # The link reached their inbox, so the address is theirs.
    user.email_verified_at = user.email_verified_at or utcnow()
    db.session.commit()
    return user


# ---- the visitor profile --------------------------------------------------------------------


def withdraw_consent(user: User, consent: str, now: datetime | None = None) -> None:
    """Clear ``consent_<consent>_at`` and tell the domains that rest on it
    (:data:`~bazaar.accounts.signals.consent_withdrawn`: matching withdraws open invitations), in the
    caller's transaction (the caller commits). The one way a consent is withdrawn."""
    now = now or utcnow()
    if user.profile is not None:
        setattr(user.profile, f"consent_{consent}_at", None)
    consent_withdrawn.send(user, consent=consent, now=now)


def save_profile(user: User, data: dict, now: datetime | None = None) -> VisitorProfile:
    """Store profile answers from :meth:`ProfileFieldsForm.profile_data` (the caller commits).

    A consent keeps the time it was first given while it stays given, and is withdrawn with
    :func:`withdraw_consent` when unticked.
    Withdrawing the sensitive consent erases the sensitive answer."""
    now = now or utcnow()
    data = dict(data)
    consents = data.pop("consents")
    foreign_background = data.pop("foreign_background")
    profile = user.profile or VisitorProfile(user=user)
    for key, value in data.items():
        setattr(profile, key, value)
    for consent, given in consents.items():
        attr = f"consent_{consent}_at"
        if not given:
            if getattr(profile, attr) is not None:
                withdraw_consent(user, consent, now)
        elif getattr(profile, attr) is None:
            setattr(profile, attr, now)
    if consents["sensitive"] and foreign_background:
        profile.foreign_background = foreign_background
        profile.foreign_background_definition = FOREIGN_BACKGROUND_DEFINITION
    else:
        profile.foreign_background = None
        profile.foreign_background_definition = None
    db.session.add(profile)
    return profile
