"""What booking holds about a person: their interviews (kept for the figures, free text erased)."""

from datetime import datetime

from sqlalchemy import select, update

from bazaar.accounts.models import User
from bazaar.booking.models import Booking
from bazaar.extensions import db
from bazaar.registrations.models import registration_ids
from bazaar.shredders import iso, register


def export(user: User) -> dict:
    bookings = db.session.scalars(
        select(Booking).where(Booking.registration_id.in_(registration_ids([user]))).order_by(Booking.starts_at)
    ).all()
    return {
        "bookings": [
            {
                "event": b.registration.event.name,
                "exhibitor": b.exhibitor.name,
                "starts_at": iso(b.starts_at),
                "ends_at": iso(b.ends_at),
                "status": b.status,
                "walk_in": b.walk_in,
                "attendance": b.attendance,
                "outcome": b.outcome,
                "outcome_employment_type": b.outcome_employment_type,
            }
            for b in bookings
        ]
    }


def erase(users: list[User], now: datetime) -> None:
    """An interviewer's free-text note is about the person; the outcome itself stays for the figures."""
    db.session.execute(
        update(Booking).where(Booking.registration_id.in_(registration_ids(users))).values(outcome_note=None)
    )


register("booking", order=20, description="Interviews (notes erased)", export=export, erase=erase)
