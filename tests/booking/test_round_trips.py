"""What a visitor's booking POST costs the database: the statements it sends (everything: the
session's user, the event, the lock, the rules, the claim, the outbox rows) and the rows they read,
which must not grow with other fairs' bookings."""

import json
import secrets
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, insert, select

from bazaar.accounts.models import User
from bazaar.booking import services
from bazaar.booking.models import Booking, Slot
from bazaar.exhibitors.models import InterviewTable
from bazaar.extensions import db
from bazaar.notifications.models import Channel, OutboxMessage
from bazaar.registrations.models import Registration
from bazaar.reminders.notifications import REMINDER
from tests import factories as f
from tests.support import counted_statements, login

pytestmark = pytest.mark.usefixtures("english")

# PostgreSQL: the user, the event with exhibitor and registration, the lock with the free tables,
# the visitor's bookings, the claim (slot, booking, waiting line), the outbox rows.
POST_STATEMENTS = 6
# Refused: the user, the event with exhibitor and registration, the lock with the free tables, whether
# the time exists; after the rollback the event and the rest again in one, the visitor's bookings, the
# free times, the waiting line, the menu's roles, the jobs.
REFUSED_STATEMENTS = 10
# SQLite has no data-modifying CTE: the claim is a booking INSERT and a waiting-line UPDATE.
SQLITE_CLAIM_EXTRA = 1


def _post(client, event, exhibitor, starts_at):
    return client.post(
        f"/events/{event.slug}/exhibitors/{exhibitor.id}/book", data={"starts_at": starts_at.isoformat()}
    )


def _poster(client, event, exhibitor, starts_at):
    """The POST, its address read beforehand (the test's own objects then send nothing)."""
    url, form = f"/events/{event.slug}/exhibitors/{exhibitor.id}/book", {"starts_at": starts_at.isoformat()}
    return lambda: client.post(url, data=form)


def _booking_post_statements(client, reg, exhibitor, starts_at):
    """The visitor's booking POST from a cold session: (response, statements sent but SQLite's BEGIN IMMEDIATE)."""
    login(client, reg.user)
    post = _poster(client, reg.event, exhibitor, starts_at)
    db.session.expire_all()
    with counted_statements() as sent:
        response = post()
    return response, [s for s in sent if not s.startswith("BEGIN")]


def test_a_booking_post_sends_six_statements_and_writes_its_messages(ctx, client, backend):
    event = f.event()
    exhibitor = f.exhibitor(event, tables=2)
    f.slots_for(exhibitor, count=2)
    reg = f.registration(event)
    reg.user.profile.phone = "+46701234567"  # the reminder goes by email and by text message
    db.session.commit()
    response, statements = _booking_post_statements(client, reg, exhibitor, event.starts_at)
    assert response.status_code == 303
    budget = POST_STATEMENTS + (SQLITE_CLAIM_EXTRA if backend == "sqlite" else 0)
    assert len(statements) <= budget, "\n".join(statements)
    booking = db.session.scalar(select(Booking).where(Booking.registration_id == reg.id))
    assert booking.is_live and booking.starts_at == event.starts_at and booking.booked_by_id == reg.user_id
    messages = db.session.execute(
        select(OutboxMessage.kind, OutboxMessage.channel).where(OutboxMessage.subject_id == booking.id)
    ).all()
    assert sorted(messages) == sorted(
        [("booking_confirmed", Channel.EMAIL), (REMINDER, Channel.EMAIL), (REMINDER, Channel.SMS)]
    )


def test_a_second_visitor_takes_the_next_table_and_the_third_is_refused(ctx, client):
    event = f.event()
    exhibitor = f.exhibitor(event, tables=2)
    f.slots_for(exhibitor, count=1)
    visitors = [f.registration(event) for _ in range(3)]
    answers = []
    for reg in visitors:
        login(client, reg.user)
        answers.append(_post(client, event, exhibitor, event.starts_at).status_code)
    assert answers == [303, 303, 409]
    tables = db.session.scalars(
        select(Slot.table_id).join(Booking, Booking.slot_id == Slot.id).where(Booking.is_live)
    ).all()
    assert len(set(tables)) == 2


# ---- rows read, with and without ten other full fairs ----------------------------------------


@contextmanager
def rows_read():
    """Per statement sent, (the rows PostgreSQL's plan read from the :data:`GROWING` tables, the statement,
    its plan), found by running it first under EXPLAIN ANALYZE in a savepoint that is rolled back."""
    counts = []

    def explain(conn, cursor, statement, parameters, context, executemany):
        if executemany or statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            return
        with cursor.connection.cursor() as c:
            c.execute("SAVEPOINT rows_read")
            c.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
            plan = c.fetchone()[0]
            c.execute("ROLLBACK TO SAVEPOINT rows_read")
        plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
        counts.append((_scanned(plan), statement, plan))

    sa.event.listen(db.engine, "before_cursor_execute", explain)
    try:
        yield counts
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", explain)


# The tables other fairs' bookings fill. (PostgreSQL may read a small table such as the events
# whole where that is cheaper than its index; that is its choice, not a query that grows.)
GROWING = ("booking", "slot")


def _scanned(node) -> int:
    own = 0
    if "Scan" in node["Node Type"] and node.get("Relation Name") in GROWING:
        own = node["Actual Rows"] * node["Actual Loops"] + node.get("Rows Removed by Filter", 0) * node["Actual Loops"]
    return own + sum(_scanned(child) for child in node.get("Plans", []))


def _full_fair(exhibitors=8, starts=24, tables=3):
    """Another published fair with every slot booked, seeded in bulk."""
    event = f.event()
    now = event.starts_at
    exhibitor_ids = [f.exhibitor(event, tables=0).id for _ in range(exhibitors)]
    db.session.execute(
        insert(InterviewTable), [{"exhibitor_id": e, "name": f"T{t}"} for e in exhibitor_ids for t in range(tables)]
    )
    table_rows = db.session.execute(
        select(InterviewTable.id, InterviewTable.exhibitor_id).where(InterviewTable.exhibitor_id.in_(exhibitor_ids))
    ).all()
    times = [now + timedelta(minutes=10 * n) for n in range(starts)]
    db.session.execute(
        insert(Slot),
        [
            {
                "event_id": event.id,
                "exhibitor_id": e,
                "table_id": t,
                "starts_at": s,
                "ends_at": s + timedelta(minutes=10),
                "format": "jobbdating",
                "status": "open",
            }
            for t, e in table_rows
            for s in times
        ],
    )
    slots = db.session.execute(
        select(Slot.id, Slot.exhibitor_id, Slot.starts_at, Slot.ends_at).where(Slot.event_id == event.id)
    ).all()
    visitors = len(slots) // 3 + 1
    db.session.execute(
        insert(User),
        [
            {"email": f"v{secrets.token_hex(6)}@other.example", "name": "Other", "created_at": now}
            for _ in range(visitors)
        ],
    )
    users = db.session.scalars(select(User.id).order_by(User.id.desc()).limit(visitors)).all()
    db.session.execute(
        insert(Registration),
        [
            {"event_id": event.id, "user_id": u, "status": "registered", "ticket_code": secrets.token_urlsafe(12)}
            for u in users
        ],
    )
    regs = db.session.scalars(select(Registration.id).where(Registration.event_id == event.id)).all()
    # three interviews each, at three different times (slots are in table-then-time order)
    by_time = sorted(slots, key=lambda s: (s.starts_at, s.exhibitor_id))
    db.session.execute(
        insert(Booking),
        [
            {
                "event_id": event.id,
                "exhibitor_id": s.exhibitor_id,
                "registration_id": regs[n % len(regs)],
                "slot_id": s.id,
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "status": "confirmed",
            }
            for n, s in enumerate(by_time)
        ],
    )
    db.session.commit()


def _rows_of_one_booking(client, event, exhibitor, start) -> list[tuple]:
    reg = f.registration(event)
    login(client, reg.user)
    post = _poster(client, event, exhibitor, start)
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    db.session.expire_all()
    with rows_read() as counts:
        assert post().status_code == 303
    return counts


@pytest.mark.postgresql_only
def test_the_booking_reads_no_more_rows_with_ten_other_full_fairs(ctx, client):
    event = f.event()
    exhibitor = f.exhibitor(event, tables=3)
    f.slots_for(exhibitor, count=4)
    alone = _rows_of_one_booking(client, event, exhibitor, event.starts_at)
    for _ in range(10):
        _full_fair()
    assert db.session.scalar(select(func.count(Booking.id))) > 5000
    among_others = _rows_of_one_booking(client, event, exhibitor, event.starts_at + timedelta(minutes=10))
    # Alone, PostgreSQL may read a tiny table whole; among others it must not read more.
    grown = [(a, b) for a, b in zip(alone, among_others) if b[0] > a[0]]
    assert len(among_others) == len(alone) and not grown, "\n\n".join(
        f"{a[0]} -> {b[0]} rows: {b[1]}\n{json.dumps(b[2], indent=1)}" for a, b in grown
    )


def _rows_of(request) -> list[tuple]:
    """The rows each statement of ``request()`` reads, with fresh planner statistics."""
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    db.session.expire_all()
    with rows_read() as counts:
        request()
    return counts


@pytest.mark.postgresql_only
def test_a_refused_booking_and_the_directory_read_no_more_rows_with_ten_other_full_fairs(ctx, client):
    """The free-slot queries of the refusal page and the directory read only this fair's rows."""
    event = f.event()
    exhibitor = f.exhibitor(event, tables=3)
    f.slots_for(exhibitor, count=8)
    reg = f.registration(event)
    login(client, reg.user)
    # no interview at 10:05: refused, and the page offers the times this visitor can take
    refused = _poster(client, event, exhibitor, event.starts_at + timedelta(minutes=5))
    directory = f"/events/{event.slug}/exhibitors"

    def both():
        assert refused().status_code == 409
        assert client.get(directory).status_code == 200

    alone = _rows_of(both)
    for _ in range(10):
        _full_fair()
    assert db.session.scalar(select(func.count(Booking.id))) > 5000
    among_others = _rows_of(both)
    grown = [(a, b) for a, b in zip(alone, among_others) if b[0] > a[0]]
    assert len(among_others) == len(alone) and not grown, "\n\n".join(
        f"{a[0]} -> {b[0]} rows: {b[1]}\n{json.dumps(b[2], indent=1)}" for a, b in grown
    )


def test_a_refused_booking_post_sends_a_fixed_handful_of_statements(ctx, client):
    event = f.event()
    exhibitor = f.exhibitor(event, tables=2)
    f.slots_for(exhibitor, count=6)
    for _ in range(2):  # both tables taken at the first time
        services.book(f.registration(event), exhibitor, event.starts_at)
    reg = f.registration(event)
    response, statements = _booking_post_statements(client, reg, exhibitor, event.starts_at)
    assert response.status_code == 409
    assert "just taken" in response.get_data(as_text=True)
    assert len(statements) <= REFUSED_STATEMENTS, "\n".join(statements)
