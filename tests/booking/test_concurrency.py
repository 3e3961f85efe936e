"""Concurrent booking on PostgreSQL: many threads, each with its own app context, session and
database connection, fire at once (released together by a barrier)."""

import functools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from bazaar.booking import errors, services
from bazaar.booking.models import Booking
from bazaar.exhibitors.models import Exhibitor
from bazaar.extensions import db
from bazaar.locking import Lock
from bazaar.registrations.models import Registration
from tests import factories as f
from tests.support import limiter_on_redis

pytestmark = pytest.mark.postgresql_only

ATTEMPTS = 120


@pytest.fixture(scope="module")
def wide_app(app):
    """The app under test with a connection pool big enough for real parallelism."""
    from bazaar import create_app
    from config import Config

    wide = create_app(
        Config(
            TESTING=True,
            WTF_CSRF_ENABLED=False,
            **limiter_on_redis(),
            SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 40, "max_overflow": 0, "pool_timeout": 120},
        )
    )
    yield wide
    with wide.app_context():
        db.engine.dispose()


def _fire(wide_app, jobs):
    """Run ``jobs`` (callables run inside an app context) all at once; return their results."""
    barrier = threading.Barrier(len(jobs))

    def run(job):
        with wide_app.app_context():
            try:
                barrier.wait(timeout=60)
                return job()
            except errors.BookingError as exc:
                return type(exc).__name__
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def _booker(reg_id, exhibitor_id, starts_at):
    def job():
        reg = db.session.get(Registration, reg_id)
        exhibitor = db.session.get(Exhibitor, exhibitor_id)
        return services.book(reg, exhibitor, starts_at).id

    return job


def test_many_visitors_at_one_slot_make_exactly_one_booking(ctx, wide_app):
    event = f.event()
    exhibitor = f.exhibitor(event, tables=1)
    [slot, *_] = f.slots_for(exhibitor, count=4)
    regs = [f.registration(event) for _ in range(ATTEMPTS)]
    results = _fire(wide_app, [_booker(r.id, exhibitor.id, slot.starts_at) for r in regs])

    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1
    assert results.count("SlotTaken") == ATTEMPTS - 1
    assert (
        db.session.scalar(
            select(func.count(Booking.id)).where(Booking.slot_id == slot.id, Booking.status == "confirmed")
        )
        == 1
    )


def test_many_visitors_at_a_three_table_time_make_exactly_three(ctx, wide_app):
    event = f.event()
    exhibitor = f.exhibitor(event, tables=3)
    start = event.starts_at
    f.slots_for(exhibitor, count=2)
    regs = [f.registration(event) for _ in range(ATTEMPTS)]
    results = _fire(wide_app, [_booker(r.id, exhibitor.id, start) for r in regs])
    assert len([r for r in results if isinstance(r, int)]) == 3
    rows = db.session.execute(select(Booking.slot_id).where(Booking.status == "confirmed")).scalars().all()
    assert len(rows) == len(set(rows)) == 3


def _overlapping_setup(count=12):
    """One visitor; ``count`` exhibitors each with a slot starting a minute apart (all overlap)."""
    event = f.event(max_bookings_per_visitor=50)
    reg = f.registration(event)
    jobs = []
    for i in range(count):
        exhibitor = f.exhibitor(event, tables=1)
        [slot] = f.slots_for(exhibitor, start=event.starts_at + timedelta(minutes=i), count=1, minutes=15)
        jobs.append(_booker(reg.id, exhibitor.id, slot.starts_at))
    return reg, jobs


def _slow_rule_check(monkeypatch):
    """Widen the window between checking the rules and writing, as a loaded server would."""
    original = services.check_rules

    def slow(*args, **kwargs):
        original(*args, **kwargs)
        time.sleep(0.3)

    monkeypatch.setattr(services, "check_rules", slow)


def test_one_visitor_booking_overlapping_slots_at_once_gets_at_most_one(ctx, wide_app, monkeypatch):
    _slow_rule_check(monkeypatch)
    reg, jobs = _overlapping_setup()
    results = _fire(wide_app, jobs)
    assert len([r for r in results if isinstance(r, int)]) == 1
    assert results.count("Overlap") == len(jobs) - 1
    assert (
        db.session.scalar(
            select(func.count(Booking.id)).where(Booking.registration_id == reg.id, Booking.status == "confirmed")
        )
        == 1
    )


def test_without_the_visitor_lock_the_race_double_books(ctx, wide_app, monkeypatch):
    """The control experiment: switch the per-visitor lock off and overlapping bookings get in,
    which proves the test above exercises a real race."""
    _slow_rule_check(monkeypatch)
    real_lock, real_in_statement = services.lock, services.taken_in_statement
    monkeypatch.setattr(
        services, "lock", lambda kind, key, **kw: None if kind == Lock.VISITOR_BOOKINGS else real_lock(kind, key, **kw)
    )
    monkeypatch.setattr(  # the booking takes it inside its candidate query
        services,
        "taken_in_statement",
        lambda kind, key, **kw: sa.true() if kind == Lock.VISITOR_BOOKINGS else real_in_statement(kind, key, **kw),
    )
    # the statement is built once per process: build it again without the lock, for this test only
    monkeypatch.setattr(services, "_candidate_statement", functools.cache(services._candidate_statement.__wrapped__))
    reg, jobs = _overlapping_setup()
    _fire(wide_app, jobs)
    assert (
        db.session.scalar(
            select(func.count(Booking.id)).where(Booking.registration_id == reg.id, Booking.status == "confirmed")
        )
        > 1
    )


def test_concurrent_cap_is_never_exceeded(ctx, wide_app, monkeypatch):
    _slow_rule_check(monkeypatch)
    event = f.event(max_bookings_per_visitor=3)
    reg = f.registration(event)
    jobs = []
    for i in range(10):
        exhibitor = f.exhibitor(event, tables=1)
        [slot] = f.slots_for(exhibitor, start=event.starts_at + timedelta(minutes=20 * i), count=1)
        jobs.append(_booker(reg.id, exhibitor.id, slot.starts_at))
    results = _fire(wide_app, jobs)
    assert len([r for r in results if isinstance(r, int)]) == 3
    assert results.count("CapReached") == 7


def test_concurrent_reschedules_and_bookings_never_double_book(ctx, wide_app):
    """Visitors moving their bookings onto one slot while others book it: one wins."""
    event = f.event()
    exhibitor = f.exhibitor(event, tables=1)
    slots = f.slots_for(exhibitor, count=40)
    target = slots[-1]
    movers = []
    for slot in slots[:20]:
        reg = f.registration(event)
        movers.append(f.booked(reg, slot).id)

    def mover(booking_id):
        def job():
            return services.reschedule(db.session.get(Booking, booking_id), target.starts_at).id

        return job

    bookers = [_booker(f.registration(event).id, exhibitor.id, target.starts_at) for _ in range(20)]
    results = _fire(wide_app, [mover(b) for b in movers] + bookers)
    assert len([r for r in results if isinstance(r, int)]) == 1
    assert (
        db.session.scalar(
            select(func.count(Booking.id)).where(Booking.slot_id == target.id, Booking.status == "confirmed")
        )
        == 1
    )
    # the movers that lost kept their original bookings
    assert db.session.scalar(select(func.count(Booking.id)).where(Booking.status == "confirmed")) in (20, 21)
