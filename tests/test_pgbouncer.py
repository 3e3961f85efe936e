"""Bookings through a real PgBouncer in transaction mode (``BAZAAR_DB_PREPARED_STATEMENTS=0``).

Each transaction may reach another server connection: bookings (with their per-visitor
``pg_advisory_xact_lock`` and ``set_config('lock_timeout', ..., true)``, both transaction-scoped)
keep their rules, confirmations are sent, and no server-side prepared statement is left behind
(without the setting psycopg prepares a query run 5 times, and the next server does not know it).
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select, text

from bazaar.booking import errors, rules, services
from bazaar.booking.models import Booking
from bazaar.events.models import Event
from bazaar.exhibitors.models import Exhibitor
from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from bazaar.notifications.services import dispatch_due_messages
from bazaar.registrations.models import Registration
from tests import factories as f
from tests import pgbouncer
from tests.conftest import limiter_on_redis

pytestmark = [
    pytest.mark.postgresql_only,
    pytest.mark.skipif(not pgbouncer.available(), reason="pgbouncer is not installed (apt-get install pgbouncer)"),
]


@pytest.fixture
def pooled_app(app, database_url, smtp):
    """The app with its database URL pointed at PgBouncer, as a production web process would be."""
    from bazaar import create_app
    from config import Config

    bouncer = pgbouncer.PgBouncer(database_url).start()
    mp = pytest.MonkeyPatch()
    mp.setenv("DATABASE_URL", bouncer.url(database_url))
    mp.setenv("BAZAAR_DB_PREPARED_STATEMENTS", "0")
    config = Config(
        TESTING=True,
        WTF_CSRF_ENABLED=False,
        **limiter_on_redis(),
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
    )
    config.SQLALCHEMY_ENGINE_OPTIONS.update(pool_size=12, max_overflow=0, pool_timeout=60)
    pooled = create_app(config)
    mp.undo()
    # Three transactions at once open three server connections; from then on PgBouncer
    # (server_round_robin) hands each transaction of the app's one connection to the next of them.
    warm = sa.create_engine(bouncer.url(database_url))
    with warm.connect() as one, warm.connect() as two, warm.connect() as three:
        assert len({c.scalar(text("SELECT pg_backend_pid()")) for c in (one, two, three)}) == 3
    warm.dispose()
    yield pooled
    with pooled.app_context():
        db.session.remove()
        db.engine.dispose()
    bouncer.stop()


def _book(pooled_app, reg_id, exhibitor_id, starts_at, barrier=None):
    with pooled_app.app_context():
        try:
            if barrier is not None:
                barrier.wait(timeout=60)
            reg = db.session.get(Registration, reg_id)
            return services.book(reg, db.session.get(Exhibitor, exhibitor_id), starts_at).id
        except errors.BookingError as exc:
            return type(exc).__name__
        finally:
            db.session.remove()


def test_bookings_and_their_mail_through_pgbouncer_in_transaction_mode(ctx, pooled_app, smtp):
    event = f.event(max_bookings_per_visitor=10)
    exhibitors = [f.exhibitor(event, tables=1) for _ in range(8)]
    slots = [f.slots_for(exhibitor, count=8) for exhibitor in exhibitors]
    reg = f.registration(event)

    # Only a ROLLBACK clears psycopg's statement counts: a run of transactions that end in a commit
    # on one pooled connection (requests, a worker's loop) repeats a query past the 5th time.
    event_id = event.id
    with pooled_app.app_context():
        for _ in range(8):
            free = rules.free_slot_counts(db.session.get(Event, event_id))
            db.session.commit()
        db.session.remove()
    assert free[exhibitors[0].id] == 8

    # One visitor books one exhibitor after another, each booking on the next server connection.
    booked = [
        _book(pooled_app, reg.id, ex.id, ex_slots[i].starts_at)
        for i, (ex, ex_slots) in enumerate(zip(exhibitors, slots))
    ]
    assert all(isinstance(b, int) for b in booked), booked

    # Many visitors at once for the same time at one table: the database still lets exactly one in.
    rivals = [f.registration(event).id for _ in range(12)]
    when, first = slots[0][-1].starts_at, exhibitors[0].id
    barrier = threading.Barrier(len(rivals))
    with ThreadPoolExecutor(max_workers=len(rivals)) as pool:
        results = list(pool.map(lambda r: _book(pooled_app, r, first, when, barrier), rivals))
    assert len([r for r in results if isinstance(r, int)]) == 1
    assert results.count("SlotTaken") == len(rivals) - 1

    # And one visitor booking overlapping times at once (the per-visitor advisory lock) gets one.
    times = [slots[i][-2].starts_at for i in range(1, 8)]
    barrier = threading.Barrier(len(times))
    loner = f.registration(event).id
    others = [ex.id for ex in exhibitors[1:]]
    with ThreadPoolExecutor(max_workers=len(times)) as pool:
        results = list(pool.map(lambda i: _book(pooled_app, loner, others[i], times[i], barrier), range(len(times))))
    assert len([r for r in results if isinstance(r, int)]) == 1

    db.session.expire_all()
    confirmed = db.session.scalar(select(func.count(Booking.id)).where(Booking.status == "confirmed"))
    assert confirmed == len(booked) + 2
    confirmations = db.session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "booking_confirmed")
    )
    assert confirmations == confirmed

    # The worker's sweep sends them, one transaction per sent mark, each on the next server connection.
    with pooled_app.app_context():
        sent = dispatch_due_messages()
        db.session.remove()
    assert sent == confirmed
    assert sorted(smtp.ids()) == sorted(
        db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.kind == "booking_confirmed"))
    )
