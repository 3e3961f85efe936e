"""What accounts hold about a person: the account and the visitor profile."""

from datetime import date, datetime

from sqlalchemy import delete

from bazaar.accounts.models import User, VisitorProfile
from bazaar.extensions import db
from bazaar.shredders import iso, register

# Every answer and consent column, so a column added to the profile is exported without a change here.
_COLUMNS = [c.name for c in VisitorProfile.__table__.columns if c.name not in ("id", "user_id")]
CONSENTS = [name[len("consent_") : -len("_at")] for name in _COLUMNS if name.startswith("consent_")]
PROFILE_FIELDS = [name for name in _COLUMNS if not name.startswith("consent_")]


def placeholder_address(user: User) -> str:
    """The address an erased account (and its messages) is left with."""
    return f"deleted-{user.id}@deleted.invalid"


def _json(value):
    return value.isoformat() if isinstance(value, date | datetime) else value


def export(user: User) -> dict:
    profile = user.profile
    return {
        "account": {
            "email": user.email,
            "name": user.name,
            "preferred_language": user.preferred_language,
            "email_verified_at": iso(user.email_verified_at),
            "created_at": iso(user.created_at),
        },
        "profile": None if profile is None else {name: _json(getattr(profile, name)) for name in PROFILE_FIELDS},
        "consents": None
        if profile is None
        else {name: iso(getattr(profile, f"consent_{name}_at")) for name in CONSENTS},
    }


def erase(users: list[User], now: datetime) -> None:
    """The profile goes; the User row stays, anonymised, so rows that point to it keep counting."""
    db.session.execute(
        delete(VisitorProfile).where(VisitorProfile.user_id.in_([u.id for u in users])),
        execution_options={"synchronize_session": "fetch"},
    )
    for user in users:
        user.email = placeholder_address(user)
        user.name = ""
        user.password_hash = None
        user.email_verified_at = None
        user.last_login_at = None
        user.organisation_id = None
        user.is_active_account = False
        user.deleted_at = now


register("accounts", order=90, description="Name, email, password and profile", export=export, erase=erase)
