"""The advisory locks Bazaar takes, in one list, and the one way to take them.

Every lock is transaction-scoped (``pg_advisory_xact_lock(kind, key)``): held until the transaction
commits or rolls back, so it works through PgBouncer's transaction pooling and cannot leak. The
first key is the :class:`Lock` kind, so two kinds never collide on the same number. On SQLite every
transaction already holds the database's write lock (``BEGIN IMMEDIATE``, bazaar/database.py);
``lock`` then only makes sure the transaction has begun.

Order, to keep PostgreSQL from deadlocking: a transaction that needs several takes them in the order
the kinds are listed (event places, then a table's slots, then a visitor's bookings; an activity's places are
taken alone).
"""

from enum import IntEnum

from sqlalchemy import and_, func, select, text, true

from bazaar.database import is_postgres
from bazaar.extensions import db


class Lock(IntEnum):
    # Registering, cancelling, offering and door walk-ins of one event (key: event id): counting the
    # places then inserting is safe inside it. bazaar/registrations/services.py.
    EVENT_PLACES = 31
    # Generating the slots of one interview table (key: table id). bazaar/exhibitors/schedule.py.
    TABLE_SLOTS = 0x5107
    # Booking, moving and cancelling the interviews of one visitor (key: registration id): the
    # overlap, cap and one-per-exhibitor rules (bazaar/booking/rules.py) read committed data
    # inside it. bazaar/booking/services.py.
    VISITOR_BOOKINGS = 2094233337
    # Signing up for and cancelling the places of one follow-on activity (key: activity id):
    # counting the places then claiming one is safe inside it. bazaar/activities/services.py.
    ACTIVITY_PLACES = 0xAC71


def lock(kind: Lock, key: int, timeout: str | None = None) -> None:
    """Hold ``kind`` for ``key`` until the transaction ends; wait at most ``timeout`` (e.g. "10s",
    PostgreSQL's lock_timeout, this transaction only) before the database refuses with an error."""
    if not is_postgres():
        db.session.execute(text("SELECT 1"))
    elif timeout is None:
        db.session.execute(text("SELECT pg_advisory_xact_lock(:kind, :key)"), {"kind": int(kind), "key": key})
    else:
        db.session.execute(
            text("SELECT set_config('lock_timeout', :timeout, true), pg_advisory_xact_lock(:kind, :key)"),
            {"timeout": timeout, "kind": int(kind), "key": key},
        )


def taken_in_statement(kind: Lock, key: int, timeout: str | None = None):
    """SQL condition that takes the lock, as :func:`lock` does, in the statement it is put in, once
    and before any row is read (PostgreSQL runs it as a one-time filter), so the lock costs no round
    trip of its own. That statement's snapshot is older than the lock (READ COMMITTED takes one per
    statement): it may read only what the lock does not protect (e.g. the candidate slots of a
    booking, which their own claim guards); what the lock protects is read in the statements after it.
    On SQLite the statement itself begins the write transaction: the condition is plain true."""
    if not is_postgres():
        return true()
    held = func.pg_advisory_xact_lock(int(kind), key).is_not(None)
    if timeout is not None:
        held = and_(func.set_config("lock_timeout", timeout, True).is_not(None), held)
    return select(held).scalar_subquery()
