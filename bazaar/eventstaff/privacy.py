"""What an event's staff holds about a person: their roles at events and the invitations sent to
their address."""

from datetime import datetime

from sqlalchemy import delete, select

from bazaar.accounts.models import User
from bazaar.events.models import EventStaff, EventStaffInvitation
from bazaar.extensions import db
from bazaar.shredders import iso, register


def export(user: User) -> dict:
    roles = db.session.scalars(select(EventStaff).where(EventStaff.user_id == user.id).order_by(EventStaff.id))
    invitations = db.session.scalars(
        select(EventStaffInvitation).where(EventStaffInvitation.email == user.email).order_by(EventStaffInvitation.id)
    )
    return {
        "event_roles": [{"event_id": r.event_id, "role": r.role} for r in roles],
        "event_staff_invitations": [
            {"event_id": i.event_id, "role": i.role, "sent_at": iso(i.created_at), "accepted_at": iso(i.accepted_at)}
            for i in invitations
        ],
    }


def erase(users: list[User], now: datetime) -> None:
    db.session.execute(delete(EventStaff).where(EventStaff.user_id.in_([u.id for u in users])))
    db.session.execute(delete(EventStaffInvitation).where(EventStaffInvitation.email.in_([u.email for u in users])))


register("eventstaff", order=60, description="Roles at events and invitations to them", export=export, erase=erase)
