"""Door check-in throughput against a real server, compared with a bare Flask endpoint.

    .venv/bin/python bench/checkin.py [--quick] [--clients 8] [--workers 4]

Creates its own PostgreSQL database (``bazaar_bench_<random>``) with 10,000 registrations, serves
the app with gunicorn on loopback, and lets N door clients (each logged in as a check-in staff
member, with a CSRF token, like the door page) check in distinct visitors through the real door
endpoint, both ways staff do: scanning the ticket's QR code, then picking a visitor found by name.
Then it serves a tiny Flask app doing nothing but the one conditional UPDATE by ticket code, with
the same gunicorn settings, and scans the first tickets again. It prints ``name: value`` lines
(scans per second, median and p99 latency of each), ending with
``checkin: <scans/s> scans/s (<ratio> of bare)`` for the QR scan. Everything it started is
stopped and the database dropped, also on errors or Ctrl-C.
"""

import argparse
import http.client
import os
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path

from _support import Server, create_database, drop_database

ROOT = Path(__file__).resolve().parent.parent
REGISTRATIONS = 10_000
PASSWORD = "bench password 1234"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
RESULT_RE = re.compile(r'data-result="([a-z_]+)"')


# ---- the bare comparison app (served by gunicorn as "checkin:bare_app()") ----------------------


def bare_app():
    """One endpoint, one conditional UPDATE: the floor any check-in endpoint stands on."""
    import sqlalchemy as sa
    from flask import Flask, request

    engine = sa.create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
    app = Flask("bare_checkin")

    @app.post("/scan")
    def scan():
        with engine.begin() as conn:
            claimed = conn.execute(
                sa.text(
                    "UPDATE registration SET checked_in_at = now() WHERE ticket_code = :code AND checked_in_at IS NULL"
                ),
                {"code": request.form.get("code", "")},
            ).rowcount
        return 'data-result="checked_in"' if claimed else 'data-result="already_checked_in"'

    @app.get("/healthz")
    def healthz():
        return "ok"

    return app


# ---- setup ---------------------------------------------------------------------------------


def seed(app, clients: int) -> tuple[int, list[str], list[str], list[str]]:
    """Event, door staff (one per client) and 10,000 registrations; returns
    (event id, staff emails, ticket tokens, ticket codes) in the same order."""
    from sqlalchemy import insert, select

    from bazaar.accounts.auth import hash_password
    from bazaar.accounts.models import Organisation, User
    from bazaar.clock import utcnow
    from bazaar.events.models import Event, EventOrganiser, EventStaff
    from bazaar.extensions import db
    from bazaar.registrations.models import Registration
    from bazaar.registrations.services import TICKET_LINK

    with app.app_context():
        db.create_all()
        now = utcnow()
        org = Organisation(name="Bench organiser")
        event = Event(
            slug="bench-fair",
            name="Bench fair",
            venue_name="Hall",
            venue_address="Street 1",
            starts_at=now,
            ends_at=now + timedelta(hours=8),
            status="published",
        )
        event.organisers.append(EventOrganiser(organisation=org))
        db.session.add(event)
        db.session.flush()
        password_hash = hash_password(PASSWORD)
        emails = [f"door{i}@bench.example" for i in range(clients)]
        for email in emails:
            staff = User(email=email, name=email, password_hash=password_hash, email_verified_at=now)
            db.session.add(staff)
            db.session.flush()
            db.session.add(EventStaff(event_id=event.id, user_id=staff.id, role="checkin"))
        db.session.execute(
            insert(User),
            [
                {
                    "email": f"visitor{i}@bench.example",
                    "name": f"Visitor {i}",
                    "preferred_language": "sv",
                    "is_active_account": True,
                    "created_at": now,
                }
                for i in range(REGISTRATIONS)
            ],
        )
        user_ids = db.session.scalars(
            select(User.id).where(User.email.like("visitor%@bench.example")).order_by(User.id)
        ).all()
        codes = [secrets.token_urlsafe(16) for _ in range(REGISTRATIONS)]
        db.session.execute(
            insert(Registration),
            [
                {
                    "event_id": event.id,
                    "user_id": uid,
                    "status": "registered",
                    "ticket_code": code,
                    "walk_in": False,
                    "created_at": now,
                }
                for uid, code in zip(user_ids, codes)
            ],
        )
        db.session.commit()
        tokens = [TICKET_LINK.token(Registration(event_id=event.id, ticket_code=code)) for code in codes]
        registration_ids = db.session.scalars(
            select(Registration.id).where(Registration.event_id == event.id).order_by(Registration.user_id)
        ).all()
        return event.id, emails, tokens, codes, registration_ids


# ---- clients -------------------------------------------------------------------------------


class Browser:
    """Just enough of a browser: one request per connection (gunicorn's sync workers close it
    anyway), cookies kept, form posts."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            for key, morsel in SimpleCookie(header).items():
                self.cookies[key] = morsel.value
        conn.close()
        return response.status, text, dict(response.headers)

    def csrf(self, path: str) -> str:
        status, text, _ = self.request("GET", path)
        match = CSRF_RE.search(text)
        if status != 200 or not match:
            raise RuntimeError(f"no CSRF token on {path} (HTTP {status})")
        return match.group(1) or match.group(2)


def run_clients(scan_one, batches: list[list]) -> tuple[float, list[float], dict]:
    """Run one thread per batch at once; returns (wall seconds, latencies, result counts)."""
    latencies: list[float] = []
    results: dict[str, int] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()
    start_line = threading.Barrier(len(batches) + 1)

    def client(i, batch):
        mine, counts = [], {}
        try:
            start_line.wait()
            for item in batch:
                t0 = time.perf_counter()
                result = scan_one(i, item)
                mine.append(time.perf_counter() - t0)
                counts[result] = counts.get(result, 0) + 1
        except BaseException as exc:  # reported after the run
            errors.append(exc)
        with lock:
            latencies.extend(mine)
            for key, n in counts.items():
                results[key] = results.get(key, 0) + n

    threads = [threading.Thread(target=client, args=(i, b)) for i, b in enumerate(batches)]
    for t in threads:
        t.start()
    start_line.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return wall, latencies, results


def figures(wall: float, latencies: list[float]) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return len(ordered) / wall, statistics.median(ordered) * 1000, p99 * 1000


def print_figures(name: str, measured: tuple[float, float, float]) -> None:
    rate, median, p99 = measured
    print(f"{name} scans/s: {rate:.0f}")
    print(f"{name} median ms: {median:.1f}")
    print(f"{name} p99 ms: {p99:.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="400 scans per endpoint instead of 5,000 (under a minute)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent door clients")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn workers")
    args = parser.parse_args()
    scans = 400 if args.quick else REGISTRATIONS // 2

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
    env.pop("REDIS_URL", None)
    env.pop("BAZAAR_CLOCK_OFFSET_FILE", None)
    servers: list[Server] = []
    try:
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "BAZAAR_INSTANCE_DIR")})
        os.environ.pop("REDIS_URL", None)
        from bazaar import create_app
        from bazaar.extensions import db

        app = create_app()
        t0 = time.perf_counter()
        event_id, emails, tokens, codes, registration_ids = seed(app, args.clients)
        print(
            f"seeded {REGISTRATIONS} registrations in {time.perf_counter() - t0:.1f}s "
            f"(database {db_name}, {args.workers} gunicorn workers, {args.clients} door clients, "
            f"{scans} scans per endpoint, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
        )

        def batches(first: int) -> list[list[int]]:
            """The tickets first .. first + scans, dealt round the clients."""
            return [list(range(first + i, first + scans, args.clients)) for i in range(args.clients)]

        # the real endpoint: logged-in door staff with a CSRF token, as the door page posts
        server = Server("wsgi:app", env, args.workers, tmp / "gunicorn-app.log", extra=("--preload",))
        servers.append(server)
        door = f"/organiser/events/{event_id}/door"
        doors = []
        for email in emails:
            browser = Browser(server.port)
            token = browser.csrf("/login")
            status, _, _ = browser.request(
                "POST", "/login", {"csrf_token": token, "email": email, "password": PASSWORD}
            )
            if status != 302:
                raise RuntimeError(f"login failed for {email} (HTTP {status})")
            doors.append((browser, browser.csrf(door)))

        def door_post(i: int, field: str, value) -> str:
            browser, csrf = doors[i]
            status, text, _ = browser.request("POST", door, {"csrf_token": csrf, field: value, "door": f"Door {i}"})
            match = RESULT_RE.search(text)
            return match.group(1) if status == 200 and match else f"HTTP {status}"

        print(f"app server up and {args.clients} door staff logged in after {time.perf_counter() - t0:.1f}s")
        # the QR code scanned (camera or hand scanner): tickets 0 .. scans
        wall, latencies, scanned = run_clients(lambda i, n: door_post(i, "token", tokens[n]), batches(0))
        qr = figures(wall, latencies)
        # a visitor found by name and checked in from the search results: tickets scans .. 2 * scans
        wall, latencies, picked = run_clients(
            lambda i, n: door_post(i, "registration_id", registration_ids[n]), batches(scans)
        )
        pick = figures(wall, latencies)
        server.stop()
        with app.app_context():
            arrived = db.session.scalar(db.text("SELECT count(*) FROM arrival"))
            checked_in = db.session.scalar(db.text("SELECT count(*) FROM registration WHERE checked_in_at IS NOT NULL"))
            logged = db.session.scalar(db.text("SELECT count(*) FROM door_scan"))
            db.session.execute(db.text("UPDATE registration SET checked_in_at = NULL, checked_in_by_id = NULL"))
            db.session.commit()
        if (
            scanned != {"checked_in": scans}
            or picked != {"checked_in": scans}
            or not arrived == checked_in == logged == 2 * scans
        ):
            raise RuntimeError(
                f"real endpoint answered {scanned} and {picked}; {arrived} arrivals, {checked_in} checked in, "
                f"{logged} scans logged"
            )

        # the bare endpoint: same gunicorn settings, one UPDATE, tickets 0 .. scans again
        server = Server(
            "checkin:bare_app()",
            env,
            args.workers,
            tmp / "gunicorn-bare.log",
            chdir=ROOT / "bench",
            extra=("--preload",),
        )
        servers.append(server)
        bare_clients = [Browser(server.port) for _ in range(args.clients)]

        def scan_bare(i, n):
            status, text, _ = bare_clients[i].request("POST", "/scan", {"code": codes[n]})
            match = RESULT_RE.search(text)
            return match.group(1) if status == 200 and match else f"HTTP {status}"

        wall, latencies, bare_results = run_clients(scan_bare, batches(0))
        bare = figures(wall, latencies)
        server.stop()
        if bare_results != {"checked_in": scans}:
            raise RuntimeError(f"bare endpoint answered {bare_results}")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()

        print_figures("qr scan", qr)
        print_figures("search pick", pick)
        print_figures("bare update", bare)
        print(f"search pick: {pick[0] / bare[0]:.2f} of bare")
        print(f"checkin: {qr[0]:.0f} scans/s ({qr[0] / bare[0]:.2f} of bare)")
        return 0
    finally:
        for server in servers:
            server.stop()
        drop_database(db_name)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
