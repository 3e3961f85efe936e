"""Soak: steady booking and check-in load over HTTP while parts fail on a schedule.

    .venv/bin/python bench/soak.py [--quick] [--minutes 5] [--clients 4] [--workers 2]

Starts everything on loopback: its own PostgreSQL database (``bazaar_bench_<random>``, dropped
afterwards), a throw-away Redis (broker, results and rate limits), a real SMTP sink
(``tests/smtp.py``), gunicorn serving the app, two Celery worker processes and beat (restarted if
they exit, as systemd's ``Restart=always`` does). Seeds the booking-rush fair (40 exhibitors,
2,880 slots, 4,700 registered visitors) plus door staff.

First a baseline: the same load without faults for a while. Then the soak, with these faults in
turn: Redis killed and restarted, a worker SIGKILLed and restarted, every database connection of
the bench database cut (``pg_terminate_backend``), the SMTP sink down then up. Then a drain: the
app clock is moved forward (the clock offset file) so backoffs and claim leases pass, until every
confirmation is in or the time is up.

Each booking answered 303 must bring exactly one confirmation to the sink. Printed as
``name: value`` lines: bookings made, check-ins, messages expected/sent/duplicated/lost/failed,
5xx answers and connection errors, and per phase requests and bookings per second. Last line:
``lost_messages_and_5xx: <lost> <5xx> (soak <bookings/s> = <ratio> of the no-fault baseline)``.
``--quick`` runs the whole thing in under a minute. Everything it started is stopped and the
database dropped, also on errors or Ctrl-C.
"""

import argparse
import http.client
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import _support as support
from _support import create_database, drop_database

ROOT = Path(__file__).resolve().parent.parent
USER_AGENT = "booking-rush/1"  # the minted sessions are bound to it (see booking_rush.sessions)
RESULT_RE = re.compile(r'data-result="([a-z_]+)"')


def seed_door(app, event_slug: str) -> tuple[int, int, list[str]]:
    """Door staff for the fair; (event id, staff user id, ticket tokens of every registration)."""
    from sqlalchemy import select

    from bazaar.accounts.models import User
    from bazaar.clock import utcnow
    from bazaar.events.models import Event, EventStaff
    from bazaar.extensions import db
    from bazaar.registrations.models import Registration
    from bazaar.registrations.services import TICKET_PURPOSE
    from bazaar.tokens import make_token

    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == event_slug))
        staff = User(email="door@bench.example", name="Door", email_verified_at=utcnow())
        db.session.add(staff)
        db.session.flush()
        db.session.add(EventStaff(event_id=event.id, user_id=staff.id, role="checkin"))
        db.session.commit()
        codes = db.session.scalars(select(Registration.ticket_code).order_by(Registration.id)).all()
        tokens = [make_token(TICKET_PURPOSE, {"e": event.id, "t": code}) for code in codes]
        return event.id, staff.id, tokens


class Load:
    """Closed-loop clients: ``clients`` booking threads and one door thread, counting answers."""

    def __init__(self, port: int, fair: dict, cookies: dict, door: tuple, clients: int, seed: int):
        self.port, self.fair, self.cookies, self.door = port, fair, cookies, door
        self.clients = clients
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.counts: dict[str, int] = {}
        self.server_errors: list[str] = []
        self.last_fault = "no fault yet"
        self.tickets = iter(door[2])

    def _count(self, key: str, n: int = 1) -> None:
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + n

    def _post(self, path: str, form: dict, cookie: str) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request(
            "POST",
            path,
            body=urllib.parse.urlencode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": USER_AGENT,
                "Cookie": f"session={cookie}",
            },
        )
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        conn.close()
        return response.status, text

    def _answer(self, kind: str, path: str, status: int) -> None:
        self._count(f"{kind}_requests")
        if status >= 500:
            self._count("5xx")
            with self.lock:
                self.server_errors.append(f"{status} {kind} after '{self.last_fault}'")

    def _booker(self, seed: int) -> None:
        rng = random.Random(seed)
        visitors = list(self.cookies)
        while not self.stop.is_set():
            uid = rng.choice(visitors)
            cookie, token = self.cookies[uid]
            path = f"/events/{self.fair['slug']}/exhibitors/{rng.choice(self.fair['exhibitor_ids'])}/book"
            try:
                status, _ = self._post(
                    path, {"csrf_token": token, "starts_at": rng.choice(self.fair["times"]).isoformat()}, cookie
                )
            except OSError:
                self._count("connection_errors")
                time.sleep(0.2)
                continue
            self._answer("booking", path, status)
            if status == 303:
                self._count("bookings")

    def _doorman(self) -> None:
        event_id, (cookie, token), _ = self.door
        path = f"/organiser/events/{event_id}/door"
        for ticket in self.tickets:
            if self.stop.is_set():
                return
            try:
                status, text = self._post(path, {"csrf_token": token, "token": ticket, "door": "Soak door"}, cookie)
            except OSError:
                self._count("connection_errors")
                time.sleep(0.2)
                continue
            self._answer("checkin", path, status)
            match = RESULT_RE.search(text) if status == 200 else None
            if match:
                self._count(f"checkin_{match.group(1)}")
            time.sleep(0.05)  # a door scans a ticket every few seconds; many doors, a steady trickle

    def run(self, seconds: float, on_tick=None) -> dict:
        before = dict(self.counts)
        self.stop.clear()
        threads = [threading.Thread(target=self._booker, args=(self.rng.random(),)) for _ in range(self.clients)]
        threads.append(threading.Thread(target=self._doorman))
        for t in threads:
            t.start()
        t0 = time.monotonic()
        try:
            while time.monotonic() - t0 < seconds:
                if on_tick is not None:
                    on_tick(time.monotonic() - t0)
                time.sleep(0.25)
        finally:
            self.stop.set()
            for t in threads:
                t.join()
        wall = time.monotonic() - t0
        return {key: (self.counts.get(key, 0) - before.get(key, 0)) / wall for key in ("bookings", "booking_requests")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the whole run in under a minute")
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the soak with faults")
    parser.add_argument("--clients", type=int, default=4, help="concurrent booking connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--keep-logs", action="store_true", help="keep the process logs (their folder is printed)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up (finally) when told to stop
    warmup_s, baseline_s, soak_s, drain_s = (
        (2.0, 5.0, 18.0, 20.0) if args.quick else (10.0, 60.0, args.minutes * 60, 180.0)
    )

    sys.path.insert(0, str(ROOT))
    import logging

    import booking_rush

    from tests.smtp import SmtpSink

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command

    tmp = Path(tempfile.mkdtemp(prefix="bazaar_bench_"))
    db_name, url = create_database()
    redis_port, sink = support.free_port(), SmtpSink()
    clock_file = tmp / "clock_offset"
    env = support.stack_env(
        url,
        tmp,
        redis_port,
        sink.port,
        "bazaar-soak",
        BAZAAR_CLOCK_OFFSET_FILE=str(clock_file),
        BAZAAR_SWEEP_INTERVAL="1",
    )
    redis_cmd = support.redis_server(redis_port)
    procs = support.Processes(env, tmp)
    server = None
    try:
        os.environ.update(
            {
                k: env[k]
                for k in (
                    "DATABASE_URL",
                    "SECRET_KEY",
                    "BAZAAR_INSTANCE_DIR",
                    "REDIS_URL",
                    "BAZAAR_QUEUE",
                    "BAZAAR_CLOCK_OFFSET_FILE",
                )
            }
        )
        procs.start("redis", *redis_cmd)
        sink.start()
        from bazaar import create_app
        from bazaar.extensions import db

        app = create_app()
        t0 = time.perf_counter()
        fair = booking_rush.seed(app)
        event_id, staff_id, tickets = seed_door(app, fair["slug"])
        cookies = booking_rush.sessions(app, fair["user_ids"])
        door = (event_id, booking_rush.sessions(app, [staff_id])[staff_id], tickets)
        server = support.Server("wsgi:app", env, args.workers, tmp / "gunicorn.log")
        workers = ("worker-a", "worker-b")

        def start_worker(name):
            procs.start(
                name,
                *support.celery(
                    "worker", "--concurrency=1", "--pool=prefork", "-Q", env["BAZAAR_QUEUE"], "-n", f"{name}@%h"
                ),
            )

        for name in workers:
            start_worker(name)
        procs.start("beat", *support.celery("beat", "--schedule", str(tmp / "beat-schedule")))
        print(
            f"seeded and started in {time.perf_counter() - t0:.1f}s (database {db_name}, redis :{redis_port}, "
            f"smtp :{sink.port}, {args.workers} gunicorn workers, 2 celery workers + beat, "
            f"{args.clients} booking clients + 1 door)"
        )

        def supervise():
            for name in (*workers, "beat"):
                if procs.procs[name].poll() is not None:
                    procs.restarts += 1
                    if name == "beat":
                        procs.start("beat", *support.celery("beat", "--schedule", str(tmp / "beat-schedule")))
                    else:
                        start_worker(name)

        def cut_database():
            import sqlalchemy as sa

            admin = sa.create_engine(support.PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                cut = conn.execute(
                    sa.text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = :n AND pid <> pg_backend_pid()"
                    ),
                    {"n": db_name},
                ).scalar()
            admin.dispose()
            print(f"  fault: {cut} database connections cut", flush=True)

        def redis_down():
            procs.kill("redis")
            print("  fault: redis killed", flush=True)

        def redis_up():
            procs.start("redis", *redis_cmd)
            print("  fault: redis back", flush=True)

        def kill_worker():
            procs.kill("worker-a")  # SIGKILL; the supervisor starts it again
            print("  fault: worker-a SIGKILLed", flush=True)

        def smtp_down():
            sink.stop()
            print("  fault: smtp sink down", flush=True)

        def smtp_up():
            sink.start()
            print("  fault: smtp sink back", flush=True)

        load = Load(server.port, fair, cookies, door, args.clients, seed=2027)

        def noted(fault):
            def run():
                load.last_fault = fault.__name__
                fault()

            return run

        schedule = [
            (0.10, redis_down),
            (0.20, redis_up),
            (0.35, kill_worker),
            (0.50, cut_database),
            (0.65, smtp_down),
            (0.80, smtp_up),
        ]
        if not args.quick:  # a second round of each
            schedule += [(0.85, kill_worker), (0.90, cut_database), (0.95, redis_down), (0.97, redis_up)]
            schedule.sort(key=lambda item: item[0])

        schedule = [(at, noted(fault)) for at, fault in schedule]

        def baseline_tick(_elapsed):
            supervise()

        load.run(warmup_s, baseline_tick)  # first requests of each process, caches
        base = load.run(baseline_s, baseline_tick)
        pending = list(schedule)

        def soak_tick(elapsed):
            while pending and elapsed >= pending[0][0] * soak_s:
                pending.pop(0)[1]()
            if procs.procs["redis"].poll() is None:
                supervise()

        soak = load.run(soak_s, soak_tick)
        for _, fault in pending:  # none should be left, but never end with a part down
            fault()

        # Drain: move the app clock on so backoffs and abandoned claims' leases pass.
        from sqlalchemy import func, select

        from bazaar.notifications.models import OutboxMessage

        def outbox() -> dict[str, int]:
            with app.app_context():
                rows = dict(
                    db.session.execute(
                        select(OutboxMessage.status, func.count())
                        .where(OutboxMessage.kind == "booking_confirmed")
                        .group_by(OutboxMessage.status)
                    ).all()
                )
                db.session.remove()
            return rows

        # Only while the sink is quiet: jumping the clock under a worker that is still sending would
        # make its live claims look abandoned (leases are app time) and so send them twice.
        offset, drain_start, arrived = 0.0, time.monotonic(), len(sink.ids())
        while time.monotonic() - drain_start < drain_s:
            supervise()
            time.sleep(2)
            states = outbox()
            if set(states) <= {"sent", "failed"}:
                break
            if len(sink.ids()) == arrived:
                offset += 180
                clock_file.write_text(str(offset))
            arrived = len(sink.ids())
        time.sleep(3)  # a late duplicate would arrive now
        states = outbox()
        with app.app_context():
            expected_ids = set(
                db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.kind == "booking_confirmed"))
            )
            stored = db.session.scalar(db.text("SELECT count(*) FROM booking WHERE status = 'confirmed'"))
            db.session.remove()
        delivery = support.deliveries(expected_ids, sink.ids())
        counts = load.counts
        lost = delivery["lost"]
        fivexx = counts.get("5xx", 0)
        print(f"bookings_made: {counts.get('bookings', 0)}")
        print(f"bookings_stored: {stored}")
        print(f"booking_requests: {counts.get('booking_requests', 0)}")
        print(f"checkin_requests: {counts.get('checkin_requests', 0)}")
        for key in sorted(k for k in counts if k.startswith("checkin_") and k != "checkin_requests"):
            print(f"{key}: {counts[key]}")
        print(f"messages_expected: {delivery['expected']}")
        print(f"messages_sent: {delivery['sent']}")
        print(f"messages_duplicated: {delivery['duplicated']}")
        print(f"messages_lost: {lost}")
        print(f"messages_failed: {states.get('failed', 0)}")
        print(f"http_5xx: {fivexx}")
        print(f"connection_errors: {counts.get('connection_errors', 0)}")
        print(f"process_restarts: {procs.restarts}")
        print(f"clock_moved_minutes: {offset / 60:.0f}")
        print(f"baseline_bookings_per_second: {base['bookings']:.1f}")
        print(f"baseline_requests_per_second: {base['booking_requests']:.1f}")
        print(f"soak_bookings_per_second: {soak['bookings']:.1f}")
        print(f"soak_requests_per_second: {soak['booking_requests']:.1f}")
        if load.server_errors:
            print("first 5xx answers: " + "; ".join(load.server_errors[:5]))
            log = (tmp / "gunicorn.log").read_text(errors="replace").replace("\\n", "\n")  # JSON log lines
            causes = sorted(set(re.findall(r"\b((?:\w+\.)*\w+(?:Error|Exception)): ", log)))
            print("5xx causes in the gunicorn log: " + (", ".join(causes[:8]) or "none logged"))
        if counts.get("bookings", 0) != stored or len(expected_ids) != stored:
            print(
                f"mismatch: {counts.get('bookings', 0)} bookings answered 303, {stored} stored, "
                f"{len(expected_ids)} confirmations queued"
            )
        ratio = soak["booking_requests"] / base["booking_requests"] if base["booking_requests"] else 0.0
        print(
            f"lost_messages_and_5xx: {lost} {fivexx} (soak {soak['booking_requests']:.1f} booking requests/s "
            f"= {ratio:.2f} of the no-fault baseline)"
        )
        return 0 if lost == 0 and fivexx == 0 else 1
    finally:
        if server is not None:
            server.stop()
        procs.stop_all()
        sink.stop()
        if "app" in locals():
            support.dispose(app)
        drop_database(db_name)
        if args.keep_logs:
            print(f"logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
