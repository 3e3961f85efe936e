"""What activities hold about a person: their invitations, sign-ups, attendance and outcomes
(kept for the figures, the host's note erased)."""

from datetime import datetime

from sqlalchemy import select, update

from bazaar.accounts.models import User
from bazaar.activities.models import Activity, Participant, ParticipantStatus
from bazaar.extensions import db
from bazaar.i18n import pick_text
from bazaar.registrations.models import registration_ids
from bazaar.shredders import iso, register


def export(user: User) -> dict:
    rows = db.session.scalars(
        select(Participant).where(Participant.registration_id.in_(registration_ids([user]))).order_by(Participant.id)
    ).all()
    return {
        "activities": [
            {
                "event": p.activity.event.name,
                "host": p.activity.exhibitor.name if p.activity.exhibitor else None,
                "kind": p.activity.kind,
                "title": pick_text(p.activity.title, user.preferred_language)[1],
                "starts_at": iso(p.activity.starts_at),
                "status": p.status,
                "invited_at": iso(p.invited_at),
                "signed_up_at": iso(p.signed_up_at),
                "cancelled_at": iso(p.cancelled_at),
                "attendance": p.attendance,
                "outcome": p.outcome,
                "outcome_note": p.outcome_note,
            }
            for p in rows
        ]
    }


def erase(users: list[User], now: datetime) -> None:
    """The host's free-text note is about the person; status, attendance and outcome stay, detached
    with the registration, for the figures. A place at an activity still to come is given up."""
    mine = Participant.registration_id.in_(registration_ids(users))
    db.session.execute(update(Participant).where(mine).values(outcome_note=None))
    coming = select(Activity.id).where(Activity.starts_at > now)
    db.session.execute(
        update(Participant)
        .where(mine, Participant.holds_place, Participant.activity_id.in_(coming))
        .values(status=ParticipantStatus.CANCELLED, cancelled_at=now)
    )


register("activities", order=20, description="Follow-on activities (notes erased)", export=export, erase=erase)
