"""The demo fair's interview schedule: full size, and every booking rule holds in it."""

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bazaar.accounts.models import User
from bazaar.booking import rules, services
from bazaar.booking.models import Booking, Slot, WaitlistEntry
from bazaar.demo import DEMO_LOGINS, DEMO_SLUG, load_demo
from bazaar.events.models import Event
from bazaar.exhibitors.models import Exhibitor
from bazaar.extensions import db


def test_demo_fair_has_slots_bookings_and_a_waiting_list_that_follow_the_rules(ctx):
    assert load_demo(visitors=400, past_editions=False)  # the coming fair is the one booked
    event = db.session.scalar(select(Event).where(Event.slug == DEMO_SLUG))
    slots = db.session.scalars(select(Slot).where(Slot.event_id == event.id)).all()
    assert len(slots) == 40 * 3 * 24
    per_table = Counter(s.table_id for s in slots)
    assert set(per_table.values()) == {24}
    local_hours = {s.starts_at.astimezone(__import__("zoneinfo").ZoneInfo(event.timezone)).hour for s in slots}
    assert 12 not in local_hours and {10, 11, 13, 14} <= local_hours  # lunch break
    assert all(s.ends_at - s.starts_at == timedelta(minutes=10) for s in slots)

    bookings = db.session.scalars(select(Booking).where(Booking.event_id == event.id)).all()
    visitors = Counter(b.registration_id for b in bookings)
    assert len(bookings) > 150 and len(visitors) > 100
    assert max(visitors.values()) <= event.max_bookings_per_visitor
    assert len({b.slot_id for b in bookings}) == len(bookings)
    assert len({(b.registration_id, b.exhibitor_id) for b in bookings}) == len(bookings)
    assert len({(b.registration_id, b.starts_at) for b in bookings}) == len(bookings)

    demo_user = db.session.scalar(select(User).where(User.email == DEMO_LOGINS["visitor"]))
    mine = [b for b in bookings if b.registration.user_id == demo_user.id]
    assert len(mine) == 2
    full = [
        e
        for e in db.session.scalars(select(Exhibitor).where(Exhibitor.event_id == event.id))
        if not rules.free_times(e)
    ]
    assert len(full) == 1
    assert (
        db.session.scalar(
            select(func.count(WaitlistEntry.id)).where(
                WaitlistEntry.exhibitor_id == full[0].id, WaitlistEntry.status == "waiting"
            )
        )
        >= 5
    )


def test_a_small_demo_loads_and_every_employer_but_the_popular_one_keeps_free_times(ctx, app):
    assert load_demo(visitors=50, past_editions=False)  # `flask bazaar demo --visitors 50`: tests/platform/test_demo.py
    event = db.session.scalar(select(Event).where(Event.slug == DEMO_SLUG))
    exhibitors = db.session.scalars(select(Exhibitor).where(Exhibitor.event_id == event.id)).all()
    assert len(exhibitors) == 40 and all(rules.free_times(e) for e in exhibitors)
    assert db.session.scalar(select(func.count(Booking.id)).where(Booking.event_id == event.id)) >= 50


@pytest.mark.bulk
def test_a_crowded_demo_still_leaves_times_a_newcomer_can_book(ctx):
    """With more visitors booking than there are times, every employer but the full one keeps times free,
    and a visitor who just registered books one."""
    assert load_demo(visitors=3200, past_editions=False)
    event = db.session.scalar(select(Event).where(Event.slug == DEMO_SLUG))
    exhibitors = db.session.scalars(select(Exhibitor).where(Exhibitor.event_id == event.id)).all()
    free = {e.id: rules.free_times(e) for e in exhibitors}
    assert sum(1 for times in free.values() if not times) == 1
    slots = db.session.scalar(select(func.count(Slot.id)).where(Slot.event_id == event.id))
    booked = db.session.scalar(
        select(func.count(Booking.id)).where(Booking.event_id == event.id, Booking.status == "confirmed")
    )
    assert 0.6 * slots < booked < 0.8 * slots
    from tests import factories

    newcomer = factories.registration(event)
    open_exhibitor = next(e for e in exhibitors if free[e.id])
    booking = services.book(newcomer, open_exhibitor, free[open_exhibitor.id][0].starts_at)
    assert booking.status == "confirmed"
