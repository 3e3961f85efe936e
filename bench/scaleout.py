"""Scale-out: the booking rush against 1, 2 and 4 web processes and 1 and 2 workers, one database.

    .venv/bin/python bench/scaleout.py [--quick] [--clients 16] [--pgbouncer]

More machines, played on one: each web process is its own gunicorn instance (a master and one
sync worker) on its own loopback port, as each machine behind a proxy would be; there is no proxy,
the load client sends attempt i to instance i mod N (round robin, one connection per request).
Each Celery worker is its own ``celery worker --concurrency=1`` node, and exactly one beat runs
(sweeping every 2 s). All of them share one PostgreSQL database (``bazaar_bench_<random>``,
dropped afterwards), one throw-away ``redis-server`` (broker, results, rate limits) and one SMTP
sink (aiosmtpd on loopback, ``tests/smtp.py``).

It seeds booking_rush's fair once (40 exhibitors x 3 tables x 24 slots, 1,000 visitors) and runs
six cells: 1, 2 and 4 web processes with 1 worker, then the same with 2. Before each cell the bookings
and the outbox are emptied and the same shuffled attempts (every rushing visitor tries 3
interviews) go through the real booking form over ``--clients`` connections. After each cell:
the rules by SQL (no slot with two live bookings, no visitor with overlapping bookings, none over
the cap or twice at one exhibitor), every 303 answer is a stored booking with one confirmation
in the outbox, and every confirmation reached the sink exactly once (waiting for the workers
while their backlog drains; lost are those still missing when none arrived for 60 s).
``--pgbouncer`` adds a cell of 2 web processes and 2 workers whose database connections all go
through a real PgBouncer in transaction mode (``BAZAAR_DB_PREPARED_STATEMENTS=0``).

Printed per cell as ``name: value`` lines and as a table, then the last line ``scaleout: <booking
requests/s with 4 web processes> (<ratio> of 1 web process; double bookings, lost and doubled
messages)``, both with 2 workers, measured in the same run. This machine has 2 cores, shared by
PostgreSQL, Redis, every web and worker process and the load client itself: throughput cannot
grow past 2 processes here; what the run shows is that the rules and exactly-once delivery hold
across processes. ``--quick`` rushes 100 visitors per cell instead of 1,000.
Everything it started is stopped and the database dropped, also on errors or Ctrl-C.
"""

import argparse
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import _support as support
import booking_rush

ROOT = Path(__file__).resolve().parent.parent
WEB_COUNTS, WORKER_COUNTS = (1, 2, 4), (1, 2)
VISITORS, QUICK_VISITORS = 1000, 100
STALL_S = 60  # a confirmation not delivered when none has arrived for this long counts as lost


def start_web(env: dict, count: int, logs: Path, tag: str) -> list[booking_rush.Server]:
    """``count`` separate gunicorn instances (one sync worker each), started side by side."""
    servers: list = [None] * count
    errors: list[BaseException] = []

    def one(i):
        try:
            servers[i] = booking_rush.Server("wsgi:app", env, 1, logs / f"gunicorn-{tag}{i}.log")
        except BaseException as exc:  # raised below, after the others are up (and so stoppable)
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        for server in servers:
            if server is not None:
                server.stop()
        raise errors[0]
    return servers


def start_worker(procs: support.Processes, name: str, env: dict | None = None) -> None:
    """One Celery node with one pool process; back once it says it is ready."""
    queue = (env or procs.env)["BAZAAR_QUEUE"]
    log = procs.logs / f"{name}.log"
    start = log.stat().st_size if log.exists() else 0
    procs.start(name, *support.celery("worker", "--concurrency=1", "-Q", queue, "-n", f"{name}@%h"), env=env)
    deadline = time.monotonic() + 60
    while b" ready." not in log.read_bytes()[start:]:
        if procs.procs[name].poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"worker {name} did not start; see {log}")
        time.sleep(0.2)


def reset(app) -> None:
    """Empty the bookings and the outbox: every cell starts from the same fair."""
    from bazaar.extensions import db

    with app.app_context():
        db.session.execute(db.text("DELETE FROM outbox_message"))
        db.session.execute(db.text("DELETE FROM booking"))
        db.session.commit()
        db.session.remove()


def confirmation_ids(app) -> set[int]:
    from bazaar.extensions import db

    with app.app_context():
        ids = set(db.session.scalars(db.text("SELECT id FROM outbox_message WHERE kind = 'booking_confirmed'")))
        db.session.remove()
    return ids


def run_cell(app, fair, cookies, jobs, servers, clients, sink) -> dict:
    """Rush ``jobs`` over ``servers``, then check the database and the sink."""
    reset(app)
    path = f"/events/{fair['slug']}/exhibitors/{{}}/book"

    def book(job) -> int:
        i, uid, exhibitor_id, start = job
        cookie, token = cookies[uid]
        return servers[i % len(servers)].post(
            path.format(exhibitor_id), {"csrf_token": token, "starts_at": start}, cookie
        )

    wall, latencies, statuses = booking_rush.rush(book, jobs, clients)
    rush_end = time.perf_counter()
    found = booking_rush.violations(app)
    expected = confirmation_ids(app)
    delivered_at, missing, progress_at = None, len(expected), rush_end
    while time.perf_counter() - progress_at < STALL_S:  # a backlog drains as long as it moves
        now_missing = support.deliveries(expected, sink.ids())["lost"]
        if now_missing == 0:
            delivered_at = time.perf_counter()
            break
        if now_missing < missing:
            missing, progress_at = now_missing, time.perf_counter()
        time.sleep(0.1)
    time.sleep(2)  # a late duplicate would arrive now
    delivery = support.deliveries(expected, sink.ids())
    median, p99 = booking_rush.median_p99_ms(latencies)
    booked = statuses.get(303, 0)
    return {
        "attempts": len(jobs),
        "booked": booked,
        "requests_per_second": len(jobs) / wall,
        "bookings_per_second": booked / wall,
        "median_ms": median,
        "p99_ms": p99,
        "double_bookings": found["slots_with_two_bookings"],
        "overlaps": found["visitor_overlaps"],
        "other_rule_breaks": found["visitors_over_cap"] + found["twice_at_one_exhibitor"],
        "stored_not_answered": abs(found["booked"] - booked),
        "unexpected_answers": sum(n for s, n in statuses.items() if s not in (303, 409)),
        "messages_expected": delivery["expected"],
        "messages_missing_in_outbox": abs(delivery["expected"] - found["booked"]),
        "messages_lost": delivery["lost"],
        "messages_doubled": delivery["duplicated"],
        "all_mail_delivered_s": (delivered_at - rush_end + wall) if delivered_at else float("nan"),
        "expected_ids": expected,
    }


PROBLEMS = (
    "double_bookings",
    "overlaps",
    "other_rule_breaks",
    "stored_not_answered",
    "unexpected_answers",
    "messages_missing_in_outbox",
    "messages_lost",
    "messages_doubled",
)


def report(name: str, cell: dict) -> None:
    print(f"{name} ({cell['attempts']} attempts, {cell['booked']} booked)", flush=True)
    for key in ("requests_per_second", "bookings_per_second", "median_ms", "p99_ms", "all_mail_delivered_s"):
        print(f"  {key}: {cell[key]:.1f}")
    for key in ("messages_expected", *PROBLEMS):
        print(f"  {key}: {cell[key]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_VISITORS} visitors rush per cell instead of {VISITORS}"
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP connections")
    parser.add_argument("--pgbouncer", action="store_true", help="add a 2-web, 2-worker cell through PgBouncer")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up (finally) when told to stop
    rushing = QUICK_VISITORS if args.quick else VISITORS

    sys.path.insert(0, str(ROOT))
    import logging

    from tests import pgbouncer
    from tests.smtp import SmtpSink

    if args.pgbouncer and not pgbouncer.available():
        parser.error("--pgbouncer needs pgbouncer (apt-get install pgbouncer)")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command

    tmp = Path(tempfile.mkdtemp(prefix="bazaar_bench_"))
    db_name, url = support.create_database()
    redis_port, sink = support.free_port(), SmtpSink()
    env = support.stack_env(url, tmp, redis_port, sink.port, "bazaar-scaleout", BAZAAR_SWEEP_INTERVAL="2")
    procs = support.Processes(env, tmp)
    servers: list = []
    bouncer = None
    try:
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "BAZAAR_INSTANCE_DIR", "REDIS_URL")})
        procs.start("redis", *support.redis_server(redis_port))
        sink.start()
        from bazaar import create_app

        app = create_app()
        t0 = time.perf_counter()
        fair = booking_rush.seed(app, VISITORS)
        rng = random.Random(2027)
        visitors = rng.sample(fair["user_ids"], rushing)
        cookies = booking_rush.sessions(app, visitors)
        jobs = []
        for uid in visitors:
            times = rng.sample(fair["times"], booking_rush.ATTEMPTS_EACH)
            for exhibitor_id, start in zip(rng.sample(fair["exhibitor_ids"], booking_rush.ATTEMPTS_EACH), times):
                jobs.append((uid, exhibitor_id, start.isoformat()))
        rng.shuffle(jobs)
        jobs = [(i, *job) for i, job in enumerate(jobs)]
        servers += start_web(env, max(WEB_COUNTS), tmp, "direct")
        start_worker(procs, "worker-1")
        procs.start("beat", *support.celery("beat", "--schedule", str(tmp / "beat-schedule")))
        print(
            f"seeded and started in {time.perf_counter() - t0:.1f}s (database {db_name}, redis :{redis_port}, "
            f"smtp :{sink.port}); {rushing} visitors, {len(jobs)} attempts per cell over {args.clients} "
            f"connections; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        run_cell(app, fair, cookies, jobs[: len(jobs) // 4], servers, args.clients, sink)  # warm every process

        cells: dict[tuple, dict] = {}
        for workers in WORKER_COUNTS:
            if workers > 1:
                start_worker(procs, f"worker-{workers}")
            for web in WEB_COUNTS:
                cell = run_cell(app, fair, cookies, jobs, servers[:web], args.clients, sink)
                cells[(web, workers, "direct")] = cell
                report(f"web_{web}_workers_{workers}", cell)

        if args.pgbouncer:
            bouncer = pgbouncer.PgBouncer(url, pool_size=10).start()
            pooled = {**env, "DATABASE_URL": bouncer.url(url), "BAZAAR_DB_PREPARED_STATEMENTS": "0"}
            for name in ("beat", "worker-2", "worker-1"):
                procs.kill(name, signal.SIGTERM)
            for server in servers:
                server.stop()
            servers[:] = start_web(pooled, 2, tmp, "pgbouncer")
            for i in (1, 2):
                start_worker(procs, f"worker-pgbouncer-{i}", env=pooled)
            procs.start("beat-pgbouncer", *support.celery("beat", "--schedule", str(tmp / "beat-pgb")), env=pooled)
            cell = run_cell(app, fair, cookies, jobs, servers, args.clients, sink)
            cells[(2, 2, "pgbouncer")] = cell
            report("web_2_workers_2_pgbouncer_transaction_mode", cell)

        print(
            f"{'web':>4}{'workers':>8}{'db':>10}{'req/s':>8}{'book/s':>8}{'p50 ms':>8}{'p99 ms':>8}"
            f"{'mail s':>8}{'double':>7}{'overlap':>8}{'lost':>5}{'doubled':>8}"
        )
        for (web, workers, via), c in cells.items():
            print(
                f"{web:>4}{workers:>8}{via:>10}{c['requests_per_second']:>8.0f}{c['bookings_per_second']:>8.0f}"
                f"{c['median_ms']:>8.0f}{c['p99_ms']:>8.0f}{c['all_mail_delivered_s']:>8.1f}"
                f"{c['double_bookings']:>7}{c['overlaps']:>8}{c['messages_lost']:>5}{c['messages_doubled']:>8}"
            )
        # Across cells too: a confirmation of an earlier cell that arrived twice later on.
        every = set().union(*(c["expected_ids"] for c in cells.values()))
        total = support.deliveries(every, sink.ids())
        problems = sum(c[key] for c in cells.values() for key in PROBLEMS) + total["duplicated"] + total["lost"]
        print(f"problems_in_all_cells: {problems}")
        print(f"load_average_at_end: {os.getloadavg()[0]:.1f}")
        one, four = (cells[(web, 2, "direct")]["requests_per_second"] for web in (1, 4))
        doubles = sum(c["double_bookings"] + c["overlaps"] for c in cells.values())
        print(
            f"scaleout: {four:.0f} ({four / one:.2f} of 1 web process; {doubles} double bookings or overlaps, "
            f"{total['lost']} lost, {total['duplicated']} doubled messages)"
        )
        return 0 if problems == 0 else 1
    finally:
        for server in servers:
            server.stop()
        procs.stop_all()
        if bouncer is not None:
            bouncer.stop()
        sink.stop()
        if "app" in locals():
            support.dispose(app)
        support.drop_database(db_name)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
