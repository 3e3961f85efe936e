"""Delivery through real Celery worker and beat processes, a real broker and a real SMTP server.

Every test ends by checking that each due message reached the SMTP server exactly once.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from bazaar.booking.notifications import booking_changed
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from bazaar.notifications.services import queue
from tests import factories as f
from tests.support import ROOT, free_port, wait_for


def _outbox() -> dict[int, str]:
    """id -> status, read in a transaction that ends at once (on SQLite a held read blocks writers)."""
    try:
        return dict(db.session.execute(select(OutboxMessage.id, OutboxMessage.status)).all())
    finally:
        db.session.rollback()


def _all_sent_once(smtp, expected: int | None = None) -> list[int]:
    rows = _outbox()
    if expected is not None:
        assert len(rows) == expected
    assert set(rows.values()) == {"sent"}, rows
    assert sorted(smtp.ids()) == sorted(rows), "each message exactly once"
    return sorted(rows)


def _start_beat(processes, tmp_path, name="beat"):
    return processes.start(
        sys.executable,
        "-m",
        "celery",
        "-A",
        "worker.app",
        "beat",
        "--loglevel=INFO",
        "--schedule",
        str(tmp_path / f"{name}-schedule"),
        log=tmp_path / f"{name}.log",
    )


def _sweep_now():
    from worker.tasks import dispatch_due

    dispatch_due.delay()


def _messages(count: int, due_in=timedelta(minutes=1)) -> list[int]:
    """Queue ``count`` messages due later (so no after-commit kick sends them)."""
    ev = f.event(status="finished", starts_in=timedelta(days=-40))
    ids = []
    for i in range(count):
        person = f.user(email=f"p{i}-{os.urandom(3).hex()}@example.org")
        row = queue(
            "survey_invitation",
            user=person,
            event=ev,
            due_at=utcnow() + due_in,
            payload={"days": 30, "token": "t", "registration_id": 0},
        )
        db.session.commit()
        ids.append(row.id)
    db.session.rollback()
    return ids


def test_booking_confirmation_and_reminder_through_a_real_worker(app, ctx, smtp, processes, tmp_path, clock):
    from bazaar.booking.services import book_slot

    processes.env["BAZAAR_SWEEP_INTERVAL"] = "1"
    processes.start_worker(tmp_path / "worker.log")
    ev = f.event(starts_in=timedelta(days=2))
    ex = f.exhibitor(ev, name="Hamnbolaget", booth_number="C3")
    slot = f.slots_for(ex, count=1, minutes=15)[0]
    reg = f.registration(ev, f.visitor(preferred_language="en", name="Lina"))
    booking = book_slot(reg, slot)  # the booking service calls booking_changed and commits
    address, starts_at, zone = reg.user.email, booking.starts_at, ev.timezone
    db.session.rollback()  # hold no transaction while waiting (SQLite: it would lock the worker out)

    wait_for(lambda: smtp.received(To=address), timeout=90, message="the confirmation")
    [mail] = smtp.received()
    assert "Hamnbolaget" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    local = starts_at.astimezone(ZoneInfo(zone))
    assert "C3" in text and local.tzname() in text
    [ics] = [p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar"]
    event_in_calendar = next(iter(Calendar.from_ical(ics.get_content()).walk("VEVENT")))
    assert event_in_calendar.decoded("DTSTART").astimezone(ZoneInfo("UTC")) == starts_at

    clock.advance(seconds=(starts_at - timedelta(minutes=59) - utcnow()).total_seconds())
    _start_beat(processes, tmp_path)
    # Beat also writes the day-before reminder and the table's digest, whose time has passed too.
    wait_for(lambda: len(smtp.received()) >= 4, timeout=90, message="the reminders")
    time.sleep(3)  # several more sweeps run meanwhile
    [reminder] = [m for m in smtp.received() if "Reminder" in m["Subject"]]
    assert "Hamnbolaget" in reminder["Subject"]
    _all_sent_once(smtp, expected=4)
    kinds = db.session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)).all()
    db.session.rollback()
    assert sorted(kinds) == ["booking_confirmed", "event_day_before", "exhibitor_digest", "interview_reminder"]


def test_worker_killed_mid_batch_is_replaced_and_nothing_is_lost_or_doubled(app, ctx, smtp, processes, tmp_path, clock):
    ids = _messages(120)
    clock.advance(minutes=2)
    # One process, so the kill lands at a known point: the 30th message waits for its RCPT answer.
    worker = processes.start_worker(tmp_path / "worker1.log", "--concurrency=1")
    seen = []

    def kill_on_the_30th(address):
        seen.append(address)
        if len(seen) == 30:
            os.killpg(worker.pid, signal.SIGKILL)  # while this recipient waits for our answer

    smtp.on_rcpt = kill_on_the_30th
    smtp.delay = 0.01
    _sweep_now()
    wait_for(lambda: worker.poll() is not None, timeout=90, message="the worker to be killed")
    smtp.on_rcpt = None
    states = _outbox()
    delivered = len(smtp.ids())
    assert delivered == 29  # the 30th never got past RCPT
    assert list(states.values()).count("claimed") >= 1  # the rest of the dead worker's batch
    assert list(states.values()).count("sent") == 29

    processes.start_worker(tmp_path / "worker2.log")
    _sweep_now()
    wait_for(
        lambda: len(smtp.ids()) >= delivered + list(states.values()).count("pending"),
        timeout=90,
        message="the restarted worker to send the unclaimed rows",
    )
    assert "claimed" in _outbox().values()  # held until the lease runs out
    clock.advance(minutes=6)
    _sweep_now()
    wait_for(lambda: set(_outbox().values()) == {"sent"}, timeout=90, message="every row sent")
    assert _all_sent_once(smtp) == sorted(ids)


def test_smtp_refusing_connections_for_a_while(app, ctx, smtp, processes, tmp_path, clock):
    processes.start_worker(tmp_path / "worker.log")
    smtp.stop()
    ev = f.event(starts_in=timedelta(days=2))
    ex = f.exhibitor(ev)
    slots = f.slots_for(ex, count=8)
    for slot in slots:
        booking = f.booked(f.registration(ev), slot)
        booking_changed(booking, "created")
        db.session.commit()  # kicks the worker, which finds the server refusing
    db.session.rollback()

    def all_tried():
        rows = db.session.execute(
            select(OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.last_error).where(
                OutboxMessage.kind == "booking_confirmed"
            )
        ).all()
        db.session.rollback()
        return len(rows) == 8 and all(s == "pending" and a >= 1 and "Connection" in (e or "") for s, a, e in rows)

    wait_for(all_tried, timeout=90, message="the worker to try and back off")
    smtp.start()
    clock.advance(minutes=1)
    _sweep_now()
    wait_for(lambda: len(smtp.received()) >= 8, timeout=90, message="delivery once SMTP is back")
    time.sleep(2)
    rows = _outbox()
    assert len(rows) == 16  # 8 confirmations + 8 reminders, the reminders not due yet
    sent = sorted(i for i, status in rows.items() if status == "sent")
    assert sorted(smtp.ids()) == sent and len(sent) == 8


def test_two_workers_and_two_beats(app, ctx, smtp, processes, tmp_path, clock):
    processes.env["BAZAAR_SWEEP_INTERVAL"] = "1"
    for name in ("w1", "w2"):
        processes.start_worker(tmp_path / f"{name}.log", "-n", f"{name}@%h")
    for name in ("b1", "b2"):
        _start_beat(processes, tmp_path, name)
    later = _messages(80)
    ev = f.event(status="finished", starts_in=timedelta(days=-40))
    now_ids = []
    for _ in range(40):  # immediate: after-commit kicks race the sweeps
        row = queue("survey_invitation", user=f.user(), event=ev, payload={"days": 30, "token": "t"})
        db.session.commit()
        now_ids.append(row.id)
    db.session.rollback()
    clock.advance(minutes=2)
    wait_for(lambda: set(_outbox().values()) == {"sent"}, timeout=120, message="every row sent")
    time.sleep(4)
    assert _all_sent_once(smtp) == sorted(later + now_ids)


@pytest.mark.postgresql_only
def test_redis_stopped_while_bookings_are_made(app, ctx, smtp, processes, tmp_path):
    port = free_port()
    redis_cmd = ("redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
    redis = processes.start(*redis_cmd, log=tmp_path / "redis.log")
    processes.env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    processes.env["BAZAAR_SWEEP_INTERVAL"] = "1"
    wait_for(
        lambda: subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip() == b"PONG",
        timeout=20,
        message="the separate redis",
    )
    worker = [processes.start_worker(tmp_path / "worker.log")]
    _start_beat(processes, tmp_path)

    def supervised(predicate):
        """Restart the worker if it exited, as systemd (Restart=always) does in production: kombu's
        Redis transport can crash the worker when the broker vanishes under an unacked task."""

        def check():
            if worker[0].poll() is not None:
                worker[0] = processes.start_worker(tmp_path / f"worker-restarted-{time.monotonic_ns()}.log")
            return predicate()

        return check

    ev = f.event(starts_in=timedelta(days=2))
    ex = f.exhibitor(ev)
    bookings = [f.booked(f.registration(ev), slot) for slot in f.slots_for(ex, count=6)]
    first, rest = [b.id for b in bookings[:2]], [b.id for b in bookings[2:]]
    db.session.rollback()
    _book_in_a_web_process(processes, first)
    wait_for(lambda: len(smtp.received()) == 2, timeout=90, message="confirmations while Redis is up")

    processes.kill(redis, signal.SIGKILL)
    _book_in_a_web_process(processes, rest)  # every after-commit kick fails
    assert list(_outbox().values()).count("pending") >= len(rest)
    time.sleep(3)
    assert len(smtp.received()) == 2

    processes.start(*redis_cmd, log=tmp_path / "redis2.log")
    wait_for(supervised(lambda: len(smtp.received()) == 6), timeout=120, message="the beat sweep after Redis is back")
    time.sleep(3)
    confirmations = sorted(i for i, s in _outbox().items() if s == "sent")
    assert sorted(smtp.ids()) == confirmations and len(confirmations) == 6


def _book_in_a_web_process(processes, booking_ids):
    """Run booking_changed(..., "created") in another process with the processes' broker settings."""
    code = (
        "import sys\n"
        "from bazaar import create_app\n"
        "from bazaar.booking.models import Booking\n"
        "from bazaar.extensions import db\n"
        "from bazaar.booking.notifications import booking_changed\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    for booking_id in map(int, sys.argv[1:]):\n"
        "        booking_changed(db.session.get(Booking, booking_id), 'created')\n"
        "        db.session.commit()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *map(str, booking_ids)],
        cwd=ROOT,
        env=processes.env,
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-3000:]


def _confirmations(count: int) -> list[int]:
    """``count`` booking confirmations for as many visitors, due in a minute (so no kick sends them)."""
    from bazaar.accounts.models import User
    from bazaar.booking.models import Booking
    from bazaar.booking.notifications import booking_payload
    from bazaar.registrations.models import Registration

    ev = f.event(starts_in=timedelta(days=3))
    slots = f.slots_for(f.exhibitor(ev), count=count)
    tag = os.urandom(3).hex()
    people = [
        User(email=f"c{i}-{tag}@example.org", name=f"Visitor {i}", preferred_language="en", email_verified_at=utcnow())
        for i in range(count)
    ]
    db.session.add_all(people)
    db.session.flush()
    regs = [Registration(event_id=ev.id, user_id=p.id, ticket_code=f"{tag}{i}") for i, p in enumerate(people)]
    db.session.add_all(regs)
    db.session.flush()
    bookings = [
        Booking(
            event_id=ev.id,
            exhibitor_id=s.exhibitor_id,
            registration_id=r.id,
            slot_id=s.id,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            status="confirmed",
        )
        for s, r in zip(slots, regs)
    ]
    db.session.add_all(bookings)
    db.session.flush()
    rows = [
        queue(
            "booking_confirmed",
            user=p,
            event=ev,
            subject=b,
            payload=booking_payload(b),
            due_at=utcnow() + timedelta(minutes=1),
        )
        for p, b in zip(people, bookings)
    ]
    db.session.commit()
    ids = [row.id for row in rows]
    db.session.rollback()
    return ids


WORKER_APPLICATION_NAME = "bazaar-test-worker"


@pytest.mark.postgresql_only
def test_worker_database_connections_cut_mid_batch(app, ctx, smtp, processes, tmp_path, clock, test_env):
    """Issue 12.1: the worker's PostgreSQL connections are terminated while a batch renders (as a
    failover or a pooler restart does). Nothing may be marked failed; every row is sent exactly once
    after the backoff."""
    import sqlalchemy as sa

    from bazaar.notifications.services import retry_delay

    ids = _confirmations(300)
    separator = "&" if "?" in test_env["DATABASE_URL"] else "?"
    processes.env["DATABASE_URL"] = f"{test_env['DATABASE_URL']}{separator}application_name={WORKER_APPLICATION_NAME}"
    processes.start_worker(tmp_path / "worker.log")
    database = db.engine.url.database
    admin = sa.create_engine(db.engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    locker = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool).connect()
    try:
        # Rendering a confirmation reads its booking (for the calendar file): hold the table, so the
        # worker blocks in the middle of its batch, then cut every connection it has.
        locker.execute(sa.text("LOCK TABLE booking IN ACCESS EXCLUSIVE MODE"))
        clock.advance(minutes=2)
        _sweep_now()
        waiting = sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = :d AND application_name = :a "
            "AND wait_event_type = 'Lock'"
        )
        with admin.connect() as conn:
            wait_for(
                lambda: conn.execute(waiting, {"d": database, "a": WORKER_APPLICATION_NAME}).scalar(),
                timeout=60,
                message="the worker to block on the locked table",
            )
            cut = conn.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :d AND application_name = :a"
                ),
                {"d": database, "a": WORKER_APPLICATION_NAME},
            ).scalar()
        assert cut >= 1
    finally:
        locker.rollback()
        locker.close()
        admin.dispose()

    def settled():
        states = list(_outbox().values())
        return "claimed" not in states and ("pending" in states or "failed" in states)

    wait_for(settled, timeout=90, message="the cut batch to be settled")
    assert "failed" not in _outbox().values(), "a cut connection failed messages for good"
    clock.advance(seconds=retry_delay(1).total_seconds() + 60)
    _sweep_now()
    wait_for(lambda: set(_outbox().values()) == {"sent"}, timeout=120, message="every row sent")
    time.sleep(2)  # no late duplicate
    assert _all_sent_once(smtp, expected=len(ids)) == sorted(ids)


def test_worker_engine_checks_connections_before_use(test_env):
    """A worker process's engine pings a pooled connection before handing it out (issue 12.1)."""
    code = (
        "from worker.app import flask_app\n"
        "from bazaar.extensions import db\n"
        "with flask_app.app_context():\n"
        "    print(db.engine.pool._pre_ping)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **test_env}, capture_output=True, timeout=60
    )
    assert result.stdout.decode().strip() == "True", result.stderr.decode(errors="replace")[-2000:]
