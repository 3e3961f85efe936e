"""The right of access and the right to erasure, run over every domain's shredder."""

from bazaar.accounts import privacy as _accounts  # noqa: F401  (each import registers a shredder)
from bazaar.accounts.models import User
from bazaar.activities import privacy as _activities  # noqa: F401
from bazaar.activitylog import privacy as _activitylog  # noqa: F401
from bazaar.booking import privacy as _booking  # noqa: F401
from bazaar.clock import utcnow
from bazaar.coaching import privacy as _coaching  # noqa: F401
from bazaar.eventstaff import privacy as _eventstaff  # noqa: F401
from bazaar.exhibitors import privacy as _exhibitors  # noqa: F401
from bazaar.extensions import db
from bazaar.notifications import privacy as _notifications  # noqa: F401
from bazaar.registrations import privacy as _registrations  # noqa: F401
from bazaar.shredders import iso, shredders
from bazaar.stats import privacy as _stats  # noqa: F401


def export_user_data(user: User) -> dict:
    """Everything Bazaar holds about ``user``, as JSON-ready data (the right of access)."""
    data = {"exported_at": iso(utcnow())}
    for shredder in shredders():
        if shredder.export is not None:
            data |= shredder.export(user)
    return data


def erase_people(users: list[User], now=None) -> None:
    """Erase these people's personal data in every domain and keep anonymous figures (the caller commits).

    The User row stays, anonymised, so registrations and bookings keep counting; they are detached
    (user_id NULL). Places at events that have not ended are given up so the waiting list moves.
    Free text about the person goes too: survey free-text answers, interviewers' notes, and their
    name or address in other people's messages (digests, group registrations)."""
    now = now or utcnow()
    for shredder in shredders():
        if shredder.erase is not None:
            shredder.erase(users, now)


def delete_account(user: User) -> None:
    """The right to erasure, asked for by the person: erase them and commit."""
    erase_people([user])
    db.session.commit()
