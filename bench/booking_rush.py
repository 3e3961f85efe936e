"""Booking rush against a real server, compared with a bare Flask endpoint doing one INSERT.

    .venv/bin/python bench/booking_rush.py [--quick] [--clients 16] [--workers 4]

Creates its own PostgreSQL database (``bazaar_bench_<random>``, dropped afterwards) with 40
exhibitors x 3 tables x 24 ten-minute slots (2,880 slots) and 4,700 registered visitors, serves the
app with gunicorn on loopback, and lets every visitor try to book 3 interviews (3 different
exhibitors, 3 different times) through the real booking form: POST with the visitor's session
cookie and a valid CSRF token, all attempts shuffled and fired by ``--clients`` concurrent
connections. 14,100 attempts compete for 2,880 slots, so most are refused (time just taken, cap,
overlap) with the page and its alternatives, as in a real rush.

Sessions are minted with the server's secret key (the same signed cookie and CSRF token a login
and a page view would give), because 4,700 password logins would benchmark argon2 and the login
rate limit instead of booking.

Afterwards it checks the database by SQL: no slot with two live bookings, no visitor with two
overlapping live bookings, no visitor over the cap, nobody twice at one exhibitor; every 303 answer
matches a stored booking. Then a tiny Flask app that does one INSERT per request is served with the
same gunicorn settings and gets the same number of requests.

Printed: ``requests_per_second`` (booking attempts answered per second), ``bookings_per_second``
(confirmed bookings per second, bounded by the 2,880 slots), ``median_ms``, ``p99_ms``,
``double_bookings``; the same for the bare endpoint (where every request is an insert); and last
``booking_rush: <booking requests/s> (<ratio> of bare)``, the ratio of answered requests per second.
``--quick`` seeds the same fair but lets 600 visitors rush (1,800 attempts), in under a minute.
Everything it started is stopped and the database dropped, also on errors or Ctrl-C.
"""

import argparse
import http.client
import os
import random
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

import _support as support
from _support import create_database, drop_database

ROOT = Path(__file__).resolve().parent.parent
EXHIBITORS, TABLES = 40, 3
VISITORS, QUICK_VISITORS = 4700, 600
ATTEMPTS_EACH = 3
USER_AGENT = "booking-rush/1"


# ---- the bare comparison app (served by gunicorn as "booking_rush:bare_app()") -----------------


def bare_app():
    """One endpoint, one INSERT: the floor any booking endpoint stands on."""
    import sqlalchemy as sa
    from flask import Flask, request

    engine = sa.create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
    app = Flask("bare_booking")

    @app.post("/book")
    def book():
        with engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO bench_bare_booking (registration_id, slot_id) VALUES (:r, :s)"),
                {"r": request.form.get("r", type=int), "s": request.form.get("s", type=int)},
            )
        return "booked", 201

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app


# ---- setup ---------------------------------------------------------------------------------------


def seed(app, visitors: int = VISITORS) -> dict:
    """The fair: exhibitors with tables and slots, ``visitors`` visitors with registrations."""
    from datetime import datetime
    from datetime import time as clock_time
    from zoneinfo import ZoneInfo

    from sqlalchemy import insert, select

    from bazaar.accounts.models import Organisation, User
    from bazaar.booking.demo import slot_starts
    from bazaar.booking.models import Slot
    from bazaar.clock import utcnow
    from bazaar.events.models import Event, EventOrganiser
    from bazaar.exhibitors.models import Exhibitor, InterviewTable
    from bazaar.extensions import db
    from bazaar.registrations.models import Registration

    with app.app_context():
        db.create_all()
        db.session.execute(
            db.text("CREATE TABLE bench_bare_booking (id serial PRIMARY KEY, registration_id int, slot_id int)")
        )
        now = utcnow()
        zone = ZoneInfo("Europe/Stockholm")
        day = (now + timedelta(days=10)).astimezone(zone).date()
        starts_at = datetime.combine(day, clock_time(10), tzinfo=zone)
        event = Event(
            slug="bench-fair",
            name="Bench fair",
            venue_name="Hall",
            venue_address="Street 1",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=6),
            status="published",
            booking_opens_at=now - timedelta(days=1),
            max_bookings_per_visitor=ATTEMPTS_EACH,
        )
        event.organisers.append(EventOrganiser(organisation=Organisation(name="Bench organiser")))
        db.session.add(event)
        db.session.flush()
        for i in range(EXHIBITORS):
            exhibitor = Exhibitor(
                event_id=event.id,
                name=f"Employer {i:02d}",
                contact_name="Contact",
                contact_email=f"e{i}@bench.example",
                status="approved",
                booth_number=f"B{i:02d}",
            )
            exhibitor.tables.extend(InterviewTable(name=f"Table {t + 1}") for t in range(TABLES))
            db.session.add(exhibitor)
        db.session.flush()
        times = slot_starts(event)
        tables = db.session.execute(select(InterviewTable.id, InterviewTable.exhibitor_id)).all()
        db.session.execute(
            insert(Slot),
            [
                {
                    "event_id": event.id,
                    "exhibitor_id": ex_id,
                    "table_id": table_id,
                    "starts_at": start,
                    "ends_at": start + timedelta(minutes=10),
                    "format": "jobbdating",
                    "status": "open",
                }
                for table_id, ex_id in tables
                for start in times
            ],
        )
        db.session.execute(
            insert(User),
            [
                {
                    "email": f"visitor{i}@bench.example",
                    "name": f"Visitor {i}",
                    "preferred_language": "en",
                    "email_verified_at": now,
                    "is_active_account": True,
                    "created_at": now,
                }
                for i in range(visitors)
            ],
        )
        user_ids = db.session.scalars(
            select(User.id).where(User.email.like("visitor%@bench.example")).order_by(User.id)
        ).all()
        db.session.execute(
            insert(Registration),
            [
                {
                    "event_id": event.id,
                    "user_id": uid,
                    "status": "registered",
                    "ticket_code": secrets.token_urlsafe(16),
                    "walk_in": False,
                    "created_at": now,
                }
                for uid in user_ids
            ],
        )
        db.session.commit()
        # What a production database knows by the rush (autovacuum analyses tables after such loads,
        # while the bookings, empty now, grow faster than it looks again).
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        exhibitor_ids = db.session.scalars(select(Exhibitor.id).order_by(Exhibitor.id)).all()
        slot_ids = db.session.scalars(select(Slot.id).order_by(Slot.id)).all()
        return {
            "slug": event.slug,
            "user_ids": list(user_ids),
            "exhibitor_ids": list(exhibitor_ids),
            "times": times,
            "slot_ids": list(slot_ids),
        }


def sessions(app, user_ids: list[int]) -> dict[int, tuple[str, str]]:
    """User id -> (session cookie, CSRF form token): what logging in and opening a page would give."""
    import hashlib

    from flask_login.utils import _create_identifier
    from itsdangerous import URLSafeTimedSerializer

    from bazaar.accounts.models import User
    from bazaar.extensions import db

    minted = {}
    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": USER_AGENT}):
        signer = app.session_interface.get_signing_serializer(app)
        identifier = _create_identifier()
        csrf = URLSafeTimedSerializer(app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key, salt="wtf-csrf-token")
        for uid in user_ids:
            raw = hashlib.sha1(os.urandom(64)).hexdigest()
            cookie = signer.dumps(
                {"_user_id": db.session.get(User, uid).get_id(), "_fresh": True, "_id": identifier, "csrf_token": raw}
            )
            minted[uid] = (cookie, csrf.dumps(raw))
    return minted


class Server(support.Server):
    """gunicorn with a deep accept queue for the rush, and a plain form POST."""

    def __init__(self, target: str, env: dict, workers: int, log: Path, chdir: Path | None = None):
        super().__init__(target, env, workers, log, chdir, extra=("--backlog", "2048"))

    def post(self, path: str, form: dict, cookie: str | None = None) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": USER_AGENT}
        if cookie:
            headers["Cookie"] = f"session={cookie}"
        conn.request("POST", path, body=urllib.parse.urlencode(form), headers=headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        return response.status


# ---- the rush --------------------------------------------------------------------------------------


def rush(send, jobs: list, clients: int) -> tuple[float, list[float], dict[int, int]]:
    """Send every job through ``clients`` concurrent connections; (wall s, latencies, status counts)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()
    cursor = iter(jobs)
    start_line = threading.Barrier(clients + 1)

    def client():
        mine, counts = [], {}
        try:
            start_line.wait()
            while True:
                with lock:
                    job = next(cursor, None)
                if job is None:
                    break
                t0 = time.perf_counter()
                status = send(job)
                mine.append(time.perf_counter() - t0)
                counts[status] = counts.get(status, 0) + 1
        except BaseException as exc:  # reported after the run
            errors.append(exc)
        with lock:
            latencies.extend(mine)
            for key, n in counts.items():
                statuses[key] = statuses.get(key, 0) + n

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    start_line.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return wall, latencies, statuses


def median_p99_ms(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


def violations(app) -> dict[str, int]:
    """Broken rules found by SQL after the rush (all must be 0)."""
    from bazaar.extensions import db

    checks = {
        "slots_with_two_bookings": "SELECT count(*) FROM (SELECT slot_id FROM booking WHERE status = 'confirmed' "
        "GROUP BY slot_id HAVING count(*) > 1) AS x",
        "visitor_overlaps": "SELECT count(*) FROM booking a JOIN booking b ON a.registration_id = b.registration_id "
        "AND a.id < b.id AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at "
        "WHERE a.status = 'confirmed' AND b.status = 'confirmed'",
        "visitors_over_cap": f"SELECT count(*) FROM (SELECT registration_id FROM booking WHERE status = 'confirmed' "
        f"GROUP BY registration_id HAVING count(*) > {ATTEMPTS_EACH}) AS x",
        "twice_at_one_exhibitor": "SELECT count(*) FROM (SELECT registration_id, exhibitor_id FROM booking "
        "WHERE status = 'confirmed' GROUP BY registration_id, exhibitor_id "
        "HAVING count(*) > 1) AS x",
    }
    with app.app_context():
        found = {name: db.session.scalar(db.text(sql)) for name, sql in checks.items()}
        found["booked"] = db.session.scalar(db.text("SELECT count(*) FROM booking WHERE status = 'confirmed'"))
        db.session.remove()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_VISITORS} visitors rush instead of {VISITORS} (under a minute)"
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP connections")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn sync workers")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up (finally) when told to stop
    rushing = QUICK_VISITORS if args.quick else VISITORS

    sys.path.insert(0, str(ROOT))
    tmp = Path(tempfile.mkdtemp(prefix="bazaar_bench_"))
    db_name, url = create_database()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_hex(32),
        "BAZAAR_INSTANCE_DIR": str(tmp),
        "BAZAAR_BASE_URL": "http://127.0.0.1",
    }
    for key in ("REDIS_URL", "BAZAAR_CLOCK_OFFSET_FILE"):
        env.pop(key, None)
    servers: list[Server] = []
    try:
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "BAZAAR_INSTANCE_DIR")})
        os.environ.pop("REDIS_URL", None)
        from bazaar import create_app

        app = create_app()
        t0 = time.perf_counter()
        fair = seed(app)
        rng = random.Random(2027)
        visitors = rng.sample(fair["user_ids"], rushing)
        cookies = sessions(app, visitors)
        jobs = []
        for uid in visitors:
            times = rng.sample(fair["times"], ATTEMPTS_EACH)
            for exhibitor_id, start in zip(rng.sample(fair["exhibitor_ids"], ATTEMPTS_EACH), times):
                jobs.append((uid, exhibitor_id, start.isoformat()))
        rng.shuffle(jobs)
        print(
            f"seeded {EXHIBITORS} exhibitors x {TABLES} tables x {len(fair['times'])} slots and {VISITORS} "
            f"visitors in {time.perf_counter() - t0:.1f}s (database {db_name}); {rushing} visitors rush with "
            f"{len(jobs)} attempts over {args.clients} connections, {args.workers} gunicorn workers"
        )

        server = Server("wsgi:app", env, args.workers, tmp / "gunicorn-app.log")
        servers.append(server)

        def book(job) -> int:
            uid, exhibitor_id, start = job
            cookie, token = cookies[uid]
            return server.post(
                f"/events/{fair['slug']}/exhibitors/{exhibitor_id}/book",
                {"csrf_token": token, "starts_at": start},
                cookie,
            )

        wall, latencies, statuses = rush(book, jobs, args.clients)
        server.stop()
        unexpected = {s: n for s, n in statuses.items() if s not in (303, 409)}
        if unexpected:
            raise RuntimeError(f"unexpected answers {unexpected}; see {tmp / 'gunicorn-app.log'}")
        found = violations(app)
        if found["booked"] != statuses.get(303, 0):
            raise RuntimeError(f"{statuses.get(303, 0)} bookings confirmed over HTTP but {found['booked']} stored")
        double = found["slots_with_two_bookings"] + found["visitor_overlaps"]
        real_median, real_p99 = median_p99_ms(latencies)
        real_rps, real_bps = len(jobs) / wall, found["booked"] / wall

        bare = Server("booking_rush:bare_app()", env, args.workers, tmp / "gunicorn-bare.log", chdir=ROOT / "bench")
        servers.append(bare)
        slot_ids = fair["slot_ids"]

        def insert(job) -> int:
            uid, exhibitor_id, _ = job
            return bare.post("/book", {"r": uid, "s": slot_ids[(uid * 7 + exhibitor_id) % len(slot_ids)]})

        wall, latencies, statuses = rush(insert, jobs, args.clients)
        bare.stop()
        if statuses != {201: len(jobs)}:
            raise RuntimeError(f"bare endpoint answered {statuses}")
        bare_median, bare_p99 = median_p99_ms(latencies)
        bare_rps = len(jobs) / wall

        print(
            f"bazaar booking form (POST, CSRF, session; {found['booked']} of {len(jobs)} attempts booked, "
            f"{len(fair['slot_ids'])} slots)"
        )
        print(f"  requests_per_second: {real_rps:.1f}")
        print(f"  bookings_per_second: {real_bps:.1f}")
        print(f"  median_ms: {real_median:.1f}")
        print(f"  p99_ms: {real_p99:.1f}")
        print(f"  double_bookings: {double}")
        print(f"  other_rule_breaks: {found['visitors_over_cap'] + found['twice_at_one_exhibitor']}")
        print("bare Flask endpoint (one INSERT per request)")
        print(f"  requests_per_second: {bare_rps:.1f}")
        print(f"  bookings_per_second: {bare_rps:.1f}")
        print(f"  median_ms: {bare_median:.1f}")
        print(f"  p99_ms: {bare_p99:.1f}")
        print(f"booking_rush: {real_rps:.0f} ({real_rps / bare_rps:.2f} of bare)")
        return 0 if double == 0 and found["visitors_over_cap"] + found["twice_at_one_exhibitor"] == 0 else 1
    finally:
        for server in servers:
            server.stop()
        if "app" in locals():
            support.dispose(app)
        drop_database(db_name)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
