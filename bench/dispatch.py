"""Outbox dispatch through a real Celery worker, compared with a bare smtplib loop.

    .venv/bin/python bench/dispatch.py [--quick] [--messages 10000]

Creates its own PostgreSQL database (``bazaar_bench_<random>``, dropped afterwards), writes
10,000 due interview reminders to the outbox (one per visitor and booked interview), starts a loopback SMTP sink
(aiosmtpd) and a real worker process (``celery -A worker.app worker``, prefork, 2 processes) on
Redis with a queue of its own, and sends one ``dispatch_due`` task, as beat does every minute.
The clock runs until every row is ``sent``; each message is rendered (subject, text and HTML
in the visitor's language, times in the event's zone) and handed to SMTP, and each sent mark
is its own transaction. Then a bare loop sends the same number of plain messages with smtplib
over one connection to the same sink.

Printed: messages per second for the worker and for the bare loop, the count the sink received
and the number of duplicates (must be 0), and last ``dispatch: <msgs/s> (<ratio> of bare)``.
``--quick`` uses 500 reminders (under a minute). Everything it started is stopped and the
database dropped, also on errors or Ctrl-C.
"""

import argparse
import logging
import os
import secrets
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import create_database, drop_database, free_port  # noqa: E402

REDIS_URL = os.environ.get("BAZAAR_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
EXHIBITORS = 40


class Sink:
    """Counts what the SMTP server accepted, by outbox id when the message carries one."""

    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0
        self.ids = Counter()

    async def handle_DATA(self, server, session, envelope):
        marker = b"X-Bazaar-Message-Id: "
        content = envelope.content
        at = content.find(marker)
        with self.lock:
            self.count += 1
            if at >= 0:
                end = content.find(b"\r\n", at)
                self.ids[int(content[at + len(marker) : end])] += 1
        return "250 OK"


def seed(messages: int) -> None:
    from sqlalchemy import insert, select

    from bazaar import create_app
    from bazaar.accounts.models import User
    from bazaar.booking.models import Booking
    from bazaar.clock import utcnow
    from bazaar.events.models import Event
    from bazaar.exhibitors.models import Exhibitor
    from bazaar.extensions import db
    from bazaar.notifications.models import OutboxMessage
    from bazaar.notifications.services import dedup_key
    from bazaar.registrations.models import Registration

    app = create_app()
    with app.app_context():
        db.create_all()
        now = utcnow()
        start = (now + timedelta(minutes=50)).replace(second=0, microsecond=0)
        event = Event(
            slug="bench",
            name="Bench fair",
            venue_name="Kulturhuset",
            venue_address="Sergels torg 3, Stockholm",
            starts_at=start,
            ends_at=start + timedelta(hours=6),
            status="published",
        )
        db.session.add(event)
        db.session.commit()
        languages = ["sv", "en", "ar", "uk"]
        db.session.execute(
            insert(User),
            [
                {"email": f"visitor{i}@bench.example", "name": f"Visitor {i}", "preferred_language": languages[i % 4]}
                for i in range(messages)
            ],
        )
        users = db.session.execute(select(User.id, User.email, User.preferred_language).order_by(User.id)).all()
        db.session.execute(
            insert(Exhibitor),
            [
                {
                    "event_id": event.id,
                    "name": f"Employer {e}",
                    "contact_name": "Contact",
                    "contact_email": f"employer{e}@bench.example",
                    "status": "approved",
                    "booth_number": f"B{e}",
                }
                for e in range(EXHIBITORS)
            ],
        )
        exhibitor_ids = db.session.scalars(select(Exhibitor.id).order_by(Exhibitor.id)).all()
        db.session.execute(
            insert(Registration),
            [
                {"event_id": event.id, "user_id": user_id, "status": "registered", "ticket_code": secrets.token_hex(8)}
                for user_id, _email, _lang in users
            ],
        )
        registration_ids = db.session.scalars(select(Registration.id).order_by(Registration.user_id)).all()
        begins = [start + timedelta(minutes=10 * (i % 36)) for i in range(messages)]
        # the interviews the reminders are about (their emails carry the booking's signed manage links)
        db.session.execute(
            insert(Booking),
            [
                {
                    "event_id": event.id,
                    "exhibitor_id": exhibitor_ids[i % EXHIBITORS],
                    "registration_id": registration_ids[i],
                    "starts_at": begins[i],
                    "ends_at": begins[i] + timedelta(minutes=10),
                    "status": "confirmed",
                }
                for i in range(messages)
            ],
        )
        booking_ids = db.session.scalars(select(Booking.id).order_by(Booking.registration_id)).all()
        rows = []
        for i, (user_id, email, lang) in enumerate(users):
            booking_id = booking_ids[i]
            rows.append(
                {
                    "dedup_key": dedup_key("interview_reminder", email, "booking", booking_id, "0"),
                    "kind": "interview_reminder",
                    "channel": "email",
                    "event_id": event.id,
                    "user_id": user_id,
                    "to_address": email,
                    "language": lang,
                    "subject_type": "booking",
                    "subject_id": booking_id,
                    "payload": {
                        "booking_id": booking_id,
                        "exhibitor": f"Employer {i % EXHIBITORS}",
                        "booth": f"B{i % EXHIBITORS}",
                        "booth_location": "Hall A",
                        "table": "Table 1",
                        "format": "jobbdating",
                        "starts_at": begins[i].isoformat(),
                        "ends_at": (begins[i] + timedelta(minutes=10)).isoformat(),
                        "sequence": 0,
                        "cancel_reason": "",
                    },
                    "due_at": now - timedelta(minutes=1),
                    "expires_at": begins[i],
                    "status": "pending",
                    "attempts": 0,
                    "created_at": now,
                }
            )
        db.session.execute(insert(OutboxMessage), rows)
        db.session.commit()
        db.engine.dispose()


def sent_count() -> int:
    from sqlalchemy import func, select

    from bazaar.extensions import db
    from bazaar.notifications.models import OutboxMessage

    try:
        return db.session.scalar(select(func.count()).where(OutboxMessage.status == "sent"))
    finally:
        db.session.rollback()


def bare_loop(port: int, messages: int) -> float:
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for i in range(messages):
            msg = EmailMessage()
            msg["Subject"] = f"Reminder: interview with Employer {i % 40}"
            msg["From"] = "Bazaar <no-reply@bazaar.local>"
            msg["To"] = f"visitor{i}@bench.example"
            msg.set_content(f"Your interview starts soon. Booth B{i % 40}.")
            smtp.send_message(msg)
    return messages / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="500 reminders instead of 10,000")
    parser.add_argument("--messages", type=int, default=None)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))  # so cleanup runs
    messages = args.messages or (500 if args.quick else 10_000)

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO

    name, database_url = create_database()
    workdir = Path(tempfile.mkdtemp(prefix="bazaar-bench-dispatch-"))
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    queue = f"bazaar-bench-{secrets.token_hex(4)}"
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(16),
        "REDIS_URL": REDIS_URL,
        "BAZAAR_QUEUE": queue,
        "BAZAAR_INSTANCE_DIR": str(workdir),
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "BAZAAR_BASE_URL": "http://127.0.0.1:5000",
    }
    os.environ.update(env)
    worker = None
    try:
        controller.start()
        t0 = time.perf_counter()
        seed(messages)
        print(f"seeded {messages} due reminders in {time.perf_counter() - t0:.1f}s")
        from bazaar import create_app

        app = create_app()
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "worker.app",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "--pool=prefork",
                "-Q",
                queue,
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=open(workdir / "worker.log", "wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        with app.app_context():
            from worker.tasks import dispatch_due, ping

            ping.delay().get(timeout=120)  # the worker is up and consuming
            started = time.perf_counter()
            dispatch_due.delay()
            deadline = started + 600
            while sent_count() < messages:
                if time.perf_counter() > deadline:
                    raise SystemExit(f"only {sent_count()} of {messages} sent after 600 s; see {workdir}/worker.log")
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
        worker_rate = messages / elapsed
        duplicates = sum(n - 1 for n in sink.ids.values() if n > 1)
        received = sink.count
        print(
            f"worker: {messages} messages in {elapsed:.1f}s = {worker_rate:.0f} msgs/s "
            f"(sink received {received}, duplicates {duplicates})"
        )
        bare_rate = bare_loop(port, messages)
        print(f"bare smtplib loop: {bare_rate:.0f} msgs/s")
        print(f"dispatch: {worker_rate:.0f} msgs/s ({worker_rate / bare_rate:.2f} of bare)")
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
        controller.stop()
        try:
            import redis

            redis.Redis.from_url(REDIS_URL).delete(queue)
        except Exception as exc:  # cleanup only; report and go on
            print(f"could not delete the bench queue: {exc}")
        drop_database(name)


if __name__ == "__main__":
    main()
