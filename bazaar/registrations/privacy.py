"""What registrations hold about a person: their places at events and the days they came (kept,
detached, for the figures) and their answers to the events' own questions (erased)."""

from datetime import datetime

from sqlalchemy import or_, select, update

from bazaar.accounts.models import User
from bazaar.checkin.models import Arrival
from bazaar.extensions import db
from bazaar.i18n import localized
from bazaar.notifications.services import erase_mentions
from bazaar.registrations import questions, services
from bazaar.registrations.models import Registration, RegistrationQuestion, RegistrationStatus, registration_ids
from bazaar.shredders import iso, register


def export(user: User) -> dict:
    registrations = db.session.scalars(
        select(Registration).where(Registration.user_id == user.id).order_by(Registration.id)
    ).all()
    answers = questions.answers_of([r.id for r in registrations])
    asked = {
        q.id: q
        for q in db.session.scalars(
            select(RegistrationQuestion).where(
                RegistrationQuestion.id.in_({qid for given in answers.values() for qid in given})
            )
        )
    }
    arrivals: dict[int, list] = {}
    for registration_id, at in db.session.execute(
        select(Arrival.registration_id, Arrival.arrived_at)
        .where(Arrival.registration_id.in_([r.id for r in registrations]))
        .order_by(Arrival.arrived_at)
    ):
        arrivals.setdefault(registration_id, []).append(at)
    return {
        "registrations": [
            {
                "event": r.event.name,
                "event_starts_at": iso(r.event.starts_at),
                "status": r.status,
                "registered_at": iso(r.created_at),
                "checked_in_at": iso(r.checked_in_at),
                "arrived_on_days": [iso(at) for at in arrivals.get(r.id, [])],
                "cancelled_at": iso(r.cancelled_at),
                "offer_expires_at": iso(r.offer_expires_at),
                "registered_by": r.registered_by.name
                if r.registered_by_id and r.registered_by_id != user.id and r.registered_by
                else None,
                "answers": [
                    {"question": localized(asked[qid].text), "answer": questions.answer_text(asked[qid], value)}
                    for qid, value in sorted(answers.get(r.id, {}).items(), key=lambda item: asked[item[0]].position)
                ],
            }
            for r in registrations
        ]
    }


def give_up_places(users: list[User], now: datetime) -> None:
    """Places at events that have not ended are given up, so the waiting list moves."""
    for reg in db.session.scalars(
        select(Registration)
        .where(Registration.user_id.in_([u.id for u in users]), Registration.status != RegistrationStatus.CANCELLED)
        .order_by(Registration.id)
    ).all():
        if services.cancellable(reg, now):
            services.cancel_registration(reg, commit=False)


def detach(users: list[User], now: datetime) -> None:
    """The people's answers to the events' questions go, and so do their names and addresses from
    other people's messages of their events (an interviewer's digest, a group's "registered by");
    their registrations stay, with no user."""
    ids = [u.id for u in users]
    questions.erase_answers(registration_ids(users))
    event_ids = select(Registration.event_id).where(
        or_(Registration.user_id.in_(ids), Registration.registered_by_id.in_(ids))
    )
    erase_mentions(event_ids, [(u.name, u.email) for u in users])
    db.session.execute(update(Registration).where(Registration.user_id.in_(ids)).values(user_id=None))


register("registrations.places", order=10, description="Places at coming events", erase=give_up_places)
register(
    "registrations",
    order=50,
    description="Registrations (kept anonymous; answers to the events' own questions erased)",
    export=export,
    erase=detach,
)
