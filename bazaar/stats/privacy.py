"""What statistics hold about a person: their survey answers (kept for the figures, free text erased)."""

from datetime import datetime

from sqlalchemy import select, update

from bazaar.accounts.models import User
from bazaar.events.models import Event
from bazaar.extensions import db
from bazaar.registrations.models import registration_ids
from bazaar.shredders import iso, register
from bazaar.stats.models import SurveyResponse


def export(user: User) -> dict:
    answers = db.session.execute(
        select(SurveyResponse, Event.name)
        .join(Event, Event.id == SurveyResponse.event_id)
        .where(SurveyResponse.registration_id.in_(registration_ids([user])))
        .order_by(SurveyResponse.id)
    ).all()
    return {
        "survey_answers": [
            {
                "event": event_name,
                "wave": a.wave,
                "result": a.result,
                "employment_type": a.employment_type,
                "fair_contributed": a.fair_contributed,
                "started_on": iso(a.started_on),
                "missing": a.missing,
                "answered_at": iso(a.answered_at),
            }
            for a, event_name in answers
        ]
    }


def erase(users: list[User], now: datetime) -> None:
    """The free-text answer goes; the answers counted in the figures stay."""
    db.session.execute(
        update(SurveyResponse).where(SurveyResponse.registration_id.in_(registration_ids(users))).values(missing=None)
    )


register("stats", order=20, description="Survey answers (free text erased)", export=export, erase=erase)
