"""Test fixtures: real PostgreSQL (default) or SQLite, real Redis, real worker processes.

Select the database with ``--db=postgresql|sqlite`` or ``BAZAAR_TEST_DB``. Each test session
creates its own database (named ``bazaar_test_<random>``) and drops only that one.
"""

import os
import secrets
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support import PG_ADMIN_URL, REDIS_TEST_URL, ROOT, SCREENSHOTS, free_port, limiter_on_redis, wait_for

pytest_plugins = ["tests.smtp"]  # the real loopback SMTP server fixture, ``smtp``


def pytest_addoption(parser):
    parser.addoption(
        "--db",
        default=os.environ.get("BAZAAR_TEST_DB", "postgresql"),
        choices=["postgresql", "sqlite"],
        help="database backend for the tests",
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "postgresql_only: needs PostgreSQL (concurrency at scale)")
    config.addinivalue_line("markers", "browser: drives real Chromium")
    config.addinivalue_line(
        "markers",
        "database_independent: decided in Python whatever the database (who may reach which page): run on "
        "the PostgreSQL pass only",
    )
    config.addinivalue_line("markers", "bulk: writes thousands of rows (a demo, a past edition): emptied with TRUNCATE")
    config.addinivalue_line(
        "markers",
        "rendering: checks only what the browser draws (layout, accessibility, screenshots), which no "
        "database changes: run on the PostgreSQL pass only",
    )


def pytest_collection_modifyitems(config, items):
    if config.getoption("--db") == "postgresql":
        return

    def postgresql_pass_only(item):
        return any(item.get_closest_marker(m) for m in ("postgresql_only", "rendering", "database_independent"))

    deselected = [i for i in items if postgresql_pass_only(i)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [i for i in items if not postgresql_pass_only(i)]


@pytest.fixture(scope="session")
def backend(pytestconfig) -> str:
    return pytestconfig.getoption("--db")


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def database_url(backend, instance_dir):
    if backend == "sqlite":
        yield f"sqlite:///{instance_dir / 'test.sqlite'}"
        return
    name = f"bazaar_test_{secrets.token_hex(5)}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        # A throw-away database need not survive a crash of the machine: commits do not wait for the
        # disk. Nothing a test can observe changes (visibility, locks and isolation are the same).
        conn.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def test_env(backend, database_url, instance_dir):
    """Environment shared by the app under test and every process it starts (worker, server)."""
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "BAZAAR_INSTANCE_DIR": str(instance_dir),
        "BAZAAR_QUEUE": f"bazaar-test-{secrets.token_hex(4)}",
        "BAZAAR_CLOCK_OFFSET_FILE": str(instance_dir / "clock_offset"),
        "BAZAAR_BASE_URL": "http://127.0.0.1:5000",
    }
    if backend == "postgresql":
        env["REDIS_URL"] = REDIS_TEST_URL  # production-like: Redis broker
    old = {k: os.environ.get(k) for k in list(env) + ["REDIS_URL"]}
    os.environ.pop("REDIS_URL", None)
    os.environ.update(env)
    yield env
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def app(test_env):
    from bazaar import create_app
    from bazaar.extensions import db
    from config import Config

    app = create_app(Config(TESTING=True, WTF_CSRF_ENABLED=False, **limiter_on_redis()))
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean(request, backend):
    """Every test starts with empty tables and an unshifted clock."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    from bazaar.extensions import db, limiter

    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if backend == "postgresql" and request.node.get_closest_marker("bulk"):
                # thousands of rows: DELETE would check every foreign key row by row
                conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)))
            else:
                # DELETE, children first: on tables this small far quicker than TRUNCATE, which replaces
                # every table's files. Row ids keep counting up; no test may assume them.
                for t in tables:
                    conn.execute(sa.text(f'DELETE FROM "{t}"'))
        limiter.init_app(app)  # a test that built an app of its own re-pointed the one limiter: point it back
        limiter.reset()  # only this session's keys (its prefix)
    offset = Path(os.environ.get("BAZAAR_CLOCK_OFFSET_FILE", "/nonexistent"))
    offset.unlink(missing_ok=True)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def english(app, monkeypatch):
    """Pages in the English source text the assertions use, whatever the default language and its
    catalog (``pytestmark = pytest.mark.usefixtures("english")`` in a module that reads them)."""
    monkeypatch.setattr(app.extensions["babel"], "locale_selector", lambda: "en")


@pytest.fixture
def clock(test_env):
    """Move time for this process and every worker process: ``clock.advance(hours=2)``, ``clock.move_to(t)``."""
    from datetime import timedelta

    class Clock:
        path = Path(test_env["BAZAAR_CLOCK_OFFSET_FILE"])
        seconds = 0.0

        def advance(self, **kwargs):
            self.seconds += timedelta(**kwargs).total_seconds()
            self.path.write_text(str(self.seconds))

        def move_to(self, moment):
            """Move time on (or back) to ``moment``."""
            from bazaar.clock import utcnow

            self.advance(seconds=(moment - utcnow()).total_seconds())

    return Clock()


class ProcessGroup:
    """Starts real processes (worker, beat, gunicorn) and always stops them."""

    def __init__(self, env):
        self.env = {**os.environ, **env}
        self.procs: list[subprocess.Popen] = []

    def start(self, *args, log: Path | None = None, stderr: Path | None = None) -> subprocess.Popen:
        """Start ``args``; its output goes to ``log`` (stderr too, unless ``stderr`` names a file of its own)."""
        out = open(log, "ab") if log else subprocess.DEVNULL
        err = open(stderr, "ab") if stderr else subprocess.STDOUT
        proc = subprocess.Popen(list(args), cwd=ROOT, env=self.env, stdout=out, stderr=err, start_new_session=True)
        self.procs.append(proc)
        return proc

    def start_worker(self, log: Path, *extra, stderr: Path | None = None) -> subprocess.Popen:
        return self.start(
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
            self.env["BAZAAR_QUEUE"],
            *extra,
            log=log,
            stderr=stderr,
        )

    def kill(self, proc, sig=signal.SIGTERM, timeout=8) -> None:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def start_web(self, log: Path) -> str:
        """Start gunicorn (two workers) on a free loopback port; return its base URL once /healthz answers."""
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        self.env["BAZAAR_BASE_URL"] = base
        self.start(
            sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app", log=log
        )

        def up():
            try:
                return urllib.request.urlopen(base + "/healthz", timeout=2).status == 200
            except OSError:
                return False

        wait_for(up, timeout=30, message="gunicorn to answer /healthz")
        return base

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            self.kill(proc)


@pytest.fixture
def processes(test_env):
    group = ProcessGroup(test_env)
    yield group
    group.stop_all()


@pytest.fixture
def live_server(app, processes, tmp_path):
    """A real gunicorn serving the app under test on loopback; yields its base URL.

    It shares the test database, so data made with factories is visible to it."""
    return processes.start_web(tmp_path / "gunicorn.log")


CHROMIUM = os.environ.get("BAZAAR_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, request):
    """A fresh phone-sized browser page; a screenshot is saved under artifacts/screenshots/ after."""
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="sv-SE"
    )
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        pg.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()
