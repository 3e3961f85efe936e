"""Accounts: creating, verifying, resetting, the visitor profile, data export and erasure."""

import hashlib
from datetime import date, datetime

from flask import current_app
from sqlalchemy import String, cast, literal, or_, select, update
from sqlalchemy.exc import IntegrityError

from bazaar.accounts.auth import hash_password
from bazaar.accounts.choices import FOREIGN_BACKGROUND_DEFINITION
from bazaar.accounts.models import User, VisitorProfile
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.notifications.services import queue
from bazaar.tokens import InvalidToken, make_token, read_token

VERIFY_PURPOSE = "verify_email"
RESET_PURPOSE = "password_reset"


class EmailTaken(Exception):
    """An account with this email exists already."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(email: str, name: str, password: str | None, **fields) -> User:
    user = User(
        email=normalise_email(email),
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


def read_dict_token(purpose: str, token: str, max_age: int) -> dict:
    data = read_token(purpose, token, max_age=max_age)
    if not isinstance(data, dict):
        raise InvalidToken("malformed")
    return data


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
    token = make_token(VERIFY_PURPOSE, {"u": user.id, "e": user.email})
    queue(
        "verify_email",
        user=user,
        subject=user,
        version=int(utcnow().timestamp()),
        payload={"url": external_url("accounts.verify_email", token=token), "name": user.name},
    )


def verify_email(token: str) -> User:
    """Mark the account's email verified; raises InvalidToken for bad, expired or stale links."""
    data = read_dict_token(VERIFY_PURPOSE, token, current_app.config["EMAIL_VERIFY_MAX_AGE"])
    if not isinstance(data.get("u"), int):
        raise InvalidToken("malformed")
    user = db.session.get(User, data["u"])
    if user is None or not user.is_active or user.email != data.get("e"):
        raise InvalidToken("unknown account")
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        db.session.commit()
    return user


def _password_fingerprint(user: User) -> str:
    """Changes whenever the password does, so a reset link works once."""
    return hashlib.sha256((user.password_hash or "none").encode()).hexdigest()[:16]


def request_password_reset(email: str) -> None:
    """Queue a reset link if the account exists; say nothing either way (no account probing)."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return
    fingerprint = _password_fingerprint(user)
    token = make_token(RESET_PURPOSE, {"u": user.id, "p": fingerprint})
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
    data = read_dict_token(RESET_PURPOSE, token, current_app.config["PASSWORD_RESET_MAX_AGE"])
    if not isinstance(data.get("u"), int):
        raise InvalidToken("malformed")
    user = db.session.get(User, data["u"])
    if user is None or not user.is_active or data.get("p") != _password_fingerprint(user):
        raise InvalidToken("used or unknown")
    return user


def reset_password(token: str, password: str) -> User:
    user = user_from_reset_token(token)
    user.password_hash = hash_password(password)
    # The link reached their inbox, so the address is theirs.
    user.email_verified_at = user.email_verified_at or utcnow()
    db.session.commit()
    return user


# ---- the visitor profile --------------------------------------------------------------------


def save_profile(user: User, data: dict, now: datetime | None = None) -> VisitorProfile:
    """Store profile answers from :meth:`ProfileFieldsForm.profile_data` (the caller commits).

    A consent keeps the time it was first given while it stays given, and is cleared when withdrawn.
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
            setattr(profile, attr, None)
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


# ---- my data -------------------------------------------------------------------------------


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_user_data(user: User) -> dict:
    """Everything Bazaar holds about ``user``, as JSON-ready data (the right of access)."""
    from bazaar.booking.models import Booking
    from bazaar.registrations.models import Registration
    from bazaar.stats.models import SurveyResponse

    profile = user.profile
    registrations = db.session.scalars(
        select(Registration).where(Registration.user_id == user.id).order_by(Registration.id)
    ).all()
    reg_ids = [r.id for r in registrations]
    event_names = {r.id: r.event.name for r in registrations}
    bookings = db.session.scalars(
        select(Booking).where(Booking.registration_id.in_(reg_ids)).order_by(Booking.starts_at)
    ).all()
    answers = db.session.scalars(select(SurveyResponse).where(SurveyResponse.registration_id.in_(reg_ids))).all()
    return {
        "exported_at": _iso(utcnow()),
        "account": {
            "email": user.email,
            "name": user.name,
            "preferred_language": user.preferred_language,
            "email_verified_at": _iso(user.email_verified_at),
            "created_at": _iso(user.created_at),
        },
        "profile": None
        if profile is None
        else {
            **{
                name: getattr(profile, name)
                for name in (
                    "phone",
                    "municipality",
                    "education_level",
                    "degree_origin",
                    "credential_validated",
                    "employment_status",
                    "occupations",
                    "languages",
                    "swedish_level",
                    "years_in_sweden",
                    "gender",
                    "age_band",
                    "heard_via",
                    "driving_licence",
                    "foreign_background",
                    "foreign_background_definition",
                )
            },
            "available_from": _iso(profile.available_from),
        },
        "consents": None
        if profile is None
        else {
            name: _iso(getattr(profile, f"consent_{name}_at"))
            for name in ("share_profile", "followup", "news", "matching", "sensitive")
        },
        "registrations": [
            {
                "event": r.event.name,
                "event_starts_at": _iso(r.event.starts_at),
                "status": r.status,
                "registered_at": _iso(r.created_at),
                "checked_in_at": _iso(r.checked_in_at),
                "cancelled_at": _iso(r.cancelled_at),
                "offer_expires_at": _iso(r.offer_expires_at),
                "registered_by": r.registered_by.name
                if r.registered_by_id and r.registered_by_id != user.id and r.registered_by
                else None,
            }
            for r in registrations
        ],
        "bookings": [
            {
                "event": b.registration.event.name,
                "exhibitor": b.exhibitor.name,
                "starts_at": _iso(b.starts_at),
                "ends_at": _iso(b.ends_at),
                "status": b.status,
                "walk_in": b.walk_in,
                "attendance": b.attendance,
                "outcome": b.outcome,
                "outcome_employment_type": b.outcome_employment_type,
            }
            for b in bookings
        ],
        "survey_answers": [
            {
                "event": event_names.get(a.registration_id),
                "wave": a.wave,
                "result": a.result,
                "employment_type": a.employment_type,
                "fair_contributed": a.fair_contributed,
                "started_on": _iso(a.started_on),
                "missing": a.missing,
                "answered_at": _iso(a.answered_at),
            }
            for a in answers
        ],
    }


def delete_account(user: User) -> None:
    """Erase ``user``'s personal data (the right to erasure) and keep anonymous figures.

    The User row stays, anonymised, so registrations and bookings keep counting; they are detached
    (user_id NULL). Places at events that have not ended are given up so the waiting list moves.
    Free text about the person goes too: survey free-text answers, interviewers' notes, and their
    name or address in other people's messages (digests, group registrations)."""
    from bazaar.booking.models import Booking
    from bazaar.exhibitors.models import ExhibitorStaff
    from bazaar.notifications.models import OutboxMessage
    from bazaar.notifications.services import erase_mentions
    from bazaar.registrations import services as registrations
    from bazaar.registrations.models import Registration
    from bazaar.stats.models import SurveyResponse

    now = utcnow()
    for reg in db.session.scalars(
        select(Registration).where(Registration.user_id == user.id, Registration.status != "cancelled")
    ).all():
        if registrations.cancellable(reg, now):
            registrations.cancel_registration(reg, commit=False)
    reg_ids = select(Registration.id).where(Registration.user_id == user.id).scalar_subquery()
    # An interviewer's free-text note is about the person; the outcome itself stays for the figures.
    db.session.execute(update(Booking).where(Booking.registration_id.in_(reg_ids)).values(outcome_note=None))
    db.session.execute(update(SurveyResponse).where(SurveyResponse.registration_id.in_(reg_ids)).values(missing=None))
    event_ids = select(Registration.event_id).where(
        or_(Registration.user_id == user.id, Registration.registered_by_id == user.id)
    )
    erase_mentions(event_ids, user.name, user.email)
    db.session.execute(update(Registration).where(Registration.user_id == user.id).values(user_id=None))
    placeholder = f"deleted-{user.id}@deleted.invalid"
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.user_id == user.id, OutboxMessage.status == "pending")
        .values(status="cancelled")
    )
    # The message key names the address too.
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.user_id == user.id)
        .values(
            to_address=placeholder,
            payload={},
            last_error=None,
            user_id=None,
            dedup_key=literal("erased:") + cast(OutboxMessage.id, String),
        )
    )
    db.session.execute(db.delete(ExhibitorStaff).where(ExhibitorStaff.user_id == user.id))
    if user.profile is not None:
        db.session.delete(user.profile)
    user.email = placeholder
    user.name = ""
    user.password_hash = None
    user.email_verified_at = None
    user.organisation_id = None
    user.is_active_account = False
    user.deleted_at = now
    db.session.commit()
