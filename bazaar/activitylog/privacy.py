"""What the activity log holds about a person: the entries where they are the actor. Erasing them
blanks the name snapshot and keeps the entries (the event's history stays whole)."""

from datetime import datetime

from sqlalchemy import select, update

from bazaar.activitylog.models import LogEntry
from bazaar.extensions import db
from bazaar.shredders import iso, register


def export(user) -> dict:
    rows = db.session.scalars(select(LogEntry).where(LogEntry.actor_id == user.id).order_by(LogEntry.id))
    return {
        "activity_log": [
            {
                "at": iso(e.created_at),
                "event_id": e.event_id,
                "action": e.action,
                "name_recorded": e.actor_name,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "data": e.data,
            }
            for e in rows
        ]
    }


def erase(users: list, now: datetime) -> None:
    db.session.execute(
        update(LogEntry).where(LogEntry.actor_id.in_([u.id for u in users])).values(actor_name=""),
        execution_options={"synchronize_session": False},
    )


register(
    "activitylog", order=60, description="The person's name in the event activity logs", export=export, erase=erase
)
