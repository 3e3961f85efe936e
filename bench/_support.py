"""What every benchmark needs: a loopback port, a throw-away PostgreSQL database, a gunicorn."""

import contextlib
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import typing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PG_ADMIN_URL = os.environ.get("BAZAAR_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_database() -> tuple[str, str]:
    """Create ``bazaar_bench_<random>``; return its name and URL."""
    import sqlalchemy as sa

    name = f"bazaar_bench_{secrets.token_hex(5)}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def dispose(app) -> None:
    """Close the app's own database connections (before its database is dropped)."""
    from bazaar.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def drop_database(name: str) -> None:
    """Drop a database made by :func:`create_database` (and only such a one)."""
    import sqlalchemy as sa

    assert name.startswith("bazaar_bench_")
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


class Server:
    """A gunicorn process group on loopback, up once it answers /healthz; always stopped."""

    def __init__(
        self, target: str, env: dict, workers: int, log: Path, chdir: Path | None = None, extra: tuple[str, ...] = ()
    ):
        self.port = free_port()
        args = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
            *extra,
        ]
        if chdir:
            args += ["--chdir", str(chdir)]
        self.proc = subprocess.Popen(
            args + [target], cwd=ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer; see {log}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def stack_env(database_url: str, instance: Path, redis_port: int, smtp_port: int, queue: str, **extra) -> dict:
    """The environment of every web and worker process of a bench: one database, one Redis, one SMTP sink
    (and the real clock, unless ``extra`` names a clock offset file)."""
    return {
        **{k: v for k, v in os.environ.items() if k != "BAZAAR_CLOCK_OFFSET_FILE"},
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(32),
        "BAZAAR_INSTANCE_DIR": str(instance),
        "BAZAAR_BASE_URL": "http://127.0.0.1",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "BAZAAR_QUEUE": f"{queue}-{secrets.token_hex(4)}",
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        **extra,
    }


class Processes:
    """Named processes (worker, beat, Redis...) in their own process groups, logging to ``<logs>/<name>.log``;
    ``stop_all`` stops them newest first. ``restarts`` is the caller's count of processes started again."""

    def __init__(self, env: dict, logs: Path):
        self.env, self.logs = env, logs
        self.procs: dict[str, subprocess.Popen] = {}
        self.restarts = 0

    def start(self, name: str, *args, env: dict | None = None) -> None:
        log = open(self.logs / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen(
            list(args), cwd=ROOT, env=env or self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        proc = self.procs.get(name)
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def stop_all(self) -> None:
        for name in reversed(list(self.procs)):
            self.kill(name, signal.SIGTERM)


def celery(*args) -> tuple[str, ...]:
    return (sys.executable, "-m", "celery", "-A", "worker.app", *args, "--loglevel=INFO")


def redis_server(port: int) -> tuple[str, ...]:
    """A throw-away redis-server on loopback that keeps nothing on disk."""
    return ("redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")


def deliveries(expected_ids: set[int], received_ids: list[int]) -> dict[str, int]:
    """Outbox rows expected against the outbox ids an SMTP sink received (duplicates included)."""
    received = [i for i in received_ids if i in expected_ids]
    delivered = set(received)
    return {
        "expected": len(expected_ids),
        "sent": len(delivered),
        "duplicated": len(received) - len(delivered),
        "lost": len(expected_ids - delivered),
    }


@contextlib.contextmanager
def bench_app():
    """An app on a throw-away database (:func:`create_database`), its tables made, inside an app
    context; the connections are closed and the database dropped afterwards, whatever happens."""
    name, database_url = create_database()
    os.environ.update(
        {"DATABASE_URL": database_url, "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_hex(16)}
    )
    os.environ.pop("REDIS_URL", None)
    try:
        from bazaar import create_app
        from bazaar.extensions import db

        app = create_app()
        with app.app_context():
            db.create_all()
            try:
                yield app
            finally:
                db.session.remove()
                db.engine.dispose()
    finally:
        drop_database(name)


class Timing(typing.NamedTuple):
    result: object
    seconds: float  # wall clock
    cpu_seconds: float  # this process's CPU: what the work costs when the machine is shared


def timed(fn, *args, **kwargs) -> Timing:
    """Run ``fn`` once, timing wall clock and CPU."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return Timing(result, time.perf_counter() - wall, time.process_time() - cpu)


def print_figures(figures: dict, headline: tuple[str, str] | None = None) -> None:
    """Print ``name: value`` lines (floats with 4 decimals), then the headline ``name: text`` last."""
    for name, value in figures.items():
        print(f"{name}: {value:.4f}" if isinstance(value, float) else f"{name}: {value}", flush=True)
    if headline:
        print(f"{headline[0]}: {headline[1]}", flush=True)
