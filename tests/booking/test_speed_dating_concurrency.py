"""Seats of a speed-dating round under concurrency on PostgreSQL: many visitors (on the web, and
walk-ins seated at the door) fire at one round at once; it fills to its last seat and never beyond."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bazaar.booking import speeddating
from bazaar.booking.models import Booking, Slot, SpeedDatingSession
from bazaar.extensions import db
from bazaar.registrations.models import Registration
from tests import factories as f
from tests.booking.test_concurrency import _fire, wide_app  # noqa: F401 - the fixture, shared

pytestmark = pytest.mark.postgresql_only

VISITORS = 60
SEATS = 3


def _seater(reg_id, session_id, starts_at):
    def job():
        reg = db.session.get(Registration, reg_id)
        session = db.session.get(SpeedDatingSession, session_id)
        return speeddating.book_round(reg, session, starts_at, actor=reg.user).id

    return job


@pytest.mark.parametrize("employers", [1, 2])
def test_a_round_is_never_overbooked(ctx, wide_app, employers):  # noqa: F811
    event = f.event(max_bookings_per_visitor=5, local_hour=10)  # its hours never cross midnight
    taking_part = [f.exhibitor(event, tables=0) for _ in range(employers)]
    plan = speeddating.SessionPlan(event.starts_at + timedelta(hours=1), 5, 3, SEATS, "Corner")
    session = speeddating.create_session(
        event, plan, taking_part, f.organiser(event.organisers[0].organisation), shared=employers > 1
    )
    first = speeddating.rounds_of(session)[0]
    regs = [f.registration(event) for _ in range(VISITORS)]
    results = _fire(wide_app, [_seater(r.id, session.id, first.starts_at) for r in regs])

    seats = SEATS * employers
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == seats
    assert set(results) - set(winners) == {"SlotTaken"}  # the rest were told the round is full
    db.session.expire_all()
    booked = db.session.scalar(
        select(func.count(Booking.id))
        .join(Slot, Slot.id == Booking.slot_id)
        .where(Slot.session_id == session.id, Slot.starts_at == first.starts_at, Booking.is_live)
    )
    assert booked == seats and speeddating.rounds_of(session)[0].free == 0
    per_employer = dict(
        db.session.execute(
            select(Booking.exhibitor_id, func.count()).where(Booking.id.in_(winners)).group_by(Booking.exhibitor_id)
        ).all()
    )
    assert per_employer == {e.id: SEATS for e in taking_part}  # a shared round fills every employer's seats
