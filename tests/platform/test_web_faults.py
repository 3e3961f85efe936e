"""The web tier under faults from outside: Redis stopped, database connections cut, and /healthz
saying which part is down. Real processes: a throw-away redis-server, gunicorn, PostgreSQL."""

import http.cookiejar
import json
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from bazaar.accounts.models import User
from bazaar.api.services import create_token
from bazaar.booking.models import Booking
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from bazaar.registrations.models import Registration
from tests import factories as f
from tests.registrations.test_registration import FORM
from tests.support import PG_ADMIN_URL, free_port, login, wait_for

# The booking's claim statement (slot, booking and waiting line in one, bazaar/booking/services.py).
BOOKING_CLAIM = "WITH claimed "


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own on a free port (the shared one is never stopped)."""
    port = free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    url = f"redis://127.0.0.1:{port}/0"
    wait_for(lambda: _answers(redis.Redis.from_url(url)), timeout=10, message="redis-server to start")
    yield proc, url
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _answers(client) -> bool:
    try:
        return client.ping()
    except Exception:
        return False


class Browser:
    """A cookie-keeping HTTP client that reads status codes instead of raising on them."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.statuses: list[tuple[str, int]] = []

    def request(self, path, data=None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=15) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode()
        self.statuses.append((path, status))
        return status, text

    def submit(self, path, data, action=None) -> tuple[int, str]:
        """GET the form page for its CSRF token, then POST the form (to ``action`` or the same path)."""
        _, page = self.request(path)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        return self.request(action or path, {**data, "csrf_token": token})


def test_with_redis_stopped_logins_registrations_and_bookings_work(ctx, processes, tmp_path, own_redis):
    redis_proc, redis_url = own_redis
    event = f.event()
    exhibitor = f.exhibitor(event)
    db.session.commit()
    slots = f.slots_for(exhibitor, count=2)
    reg = f.registration(event, f.visitor())
    visitor_email, slug, start = reg.user.email, event.slug, slots[0].starts_at.isoformat()
    exhibitor_page = f"/events/{slug}/exhibitors/{exhibitor.id}"
    db.session.commit()
    processes.env["REDIS_URL"] = redis_url
    base = processes.start_web(tmp_path / "gunicorn.log")

    redis_proc.kill()
    redis_proc.wait()

    status, body = Browser(base).request("/healthz")
    health = json.loads(body)
    assert status == 503 and health["database"]["ok"] is True
    assert health["broker"]["ok"] is False and health["rate_limit_storage"]["ok"] is False

    browsers = [Browser(base) for _ in range(3)]
    for browser in browsers:
        browser.submit("/login", {"email": visitor_email, "password": "wrong"})
        browser.submit(
            "/signup",
            {
                "name": "Selam Tesfay",
                "email": f"s{id(browser)}@example.org",
                "password": "a long password 1",
                "preferred_language": "ti",
            },
        )
        Browser(base).submit(f"/events/{slug}/register", {**FORM, "email": f"r{id(browser)}@example.org"})
    visitor = Browser(base)
    assert visitor.submit("/login", {"email": visitor_email, "password": f.PASSWORD})[0] == 200
    status, _ = visitor.submit(exhibitor_page, {"starts_at": start}, action=exhibitor_page + "/book")
    statuses = [s for b in browsers + [visitor] for _, s in b.statuses]
    assert all(s < 500 for s in statuses), statuses
    assert status == 200  # redirected to the booking's page
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Booking.id)).where(Booking.registration_id == reg.id)) == 1
    signed_up = [f"s{id(b)}@example.org" for b in browsers]
    registered = [f"r{id(b)}@example.org" for b in browsers]
    new_accounts = select(func.count(User.id)).where(User.email.in_(signed_up + registered))
    assert db.session.scalar(new_accounts) == 2 * len(browsers)
    assert db.session.scalar(
        select(func.count(Registration.id)).where(Registration.event_id == reg.event_id)
    ) == 1 + len(browsers)


def test_healthz_reports_the_outbox_backlog(ctx, client):
    now = utcnow()
    ages = (30, 400)
    for i, age in enumerate(ages):
        db.session.add(
            OutboxMessage(
                dedup_key=f"due-{i}", kind="test", to_address="a@example.org", due_at=now - timedelta(seconds=age)
            )
        )
    db.session.add(
        OutboxMessage(dedup_key="later", kind="test", to_address="a@example.org", due_at=now + timedelta(hours=1))
    )
    db.session.add(
        OutboxMessage(
            dedup_key="sent", kind="test", to_address="a@example.org", due_at=now - timedelta(hours=5), status="sent"
        )
    )
    db.session.commit()
    outbox = client.get("/healthz").get_json()["outbox"]
    assert outbox["due_unsent"] == len(ages)
    assert max(ages) <= outbox["oldest_due_age_seconds"] < max(ages) + 60


def _terminate_app_connections(database_url) -> int:
    """pg_terminate_backend every connection to the test database (only that one)."""
    name = database_url.rsplit("/", 1)[1]
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return len(
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n "
                        "AND pid <> pg_backend_pid()"
                    ),
                    {"n": name},
                ).all()
            )
    finally:
        admin.dispose()


@pytest.mark.postgresql_only
def test_cut_database_connections_never_answer_500(app, database_url):
    with app.app_context():
        event = f.event()
        slug = event.slug
        db.session.remove()
    client = app.test_client()
    pages = ["/", f"/events/{slug}", "/login", "/healthz"]
    before = [client.get(p).status_code for p in pages]
    assert _terminate_app_connections(database_url) >= 1
    after = [client.get(p).status_code for p in pages]
    assert all(s < 500 for s in before + after), (before, after)
    assert after == before  # stale pooled connections are replaced before use


@contextmanager
def cut_connection(where: str, times: int = 1):
    """Terminate the backend of the connection about to run a statement starting with ``where``
    (or, for ``where="COMMIT"``, about to commit), the first ``times`` times: a failover mid-request."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    cuts = []

    def cut(dbapi_connection):
        if len(cuts) < times:
            cuts.append(dbapi_connection.info.backend_pid)
            with admin.connect() as conn:
                conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": cuts[-1]})

    def before_statement(conn, cursor, statement, *args):
        if statement.startswith(where):
            cut(cursor.connection)

    def before_commit(conn):
        cut(conn.connection.dbapi_connection)

    target, name, listener = (
        (db.engine, "commit", before_commit)
        if where == "COMMIT"
        else (db.engine, "before_cursor_execute", before_statement)
    )
    sa.event.listen(target, name, listener)
    try:
        yield cuts
    finally:
        sa.event.remove(target, name, listener)
        admin.dispose()


@pytest.fixture
def booking_visitor(ctx, client):
    event = f.event()
    exhibitor = f.exhibitor(event)
    db.session.commit()
    slot = f.slots_for(exhibitor, count=1)[0]
    reg = f.registration(event, f.visitor())
    login(client, reg.user)
    url = f"/events/{event.slug}/exhibitors/{exhibitor.id}/book"
    return reg.id, url, {"starts_at": slot.starts_at.isoformat()}


def _bookings_and_messages(registration_id: int) -> tuple[int, list[str]]:
    """The visitor's bookings, and the kinds of the messages queued about them."""
    db.session.rollback()
    booking_ids = db.session.scalars(select(Booking.id).where(Booking.registration_id == registration_id)).all()
    kinds = db.session.scalars(
        select(OutboxMessage.kind).where(
            OutboxMessage.subject_type == "booking", OutboxMessage.subject_id.in_(booking_ids)
        )
    ).all()
    return len(booking_ids), sorted(kinds)


@pytest.mark.postgresql_only
def test_a_booking_cut_off_before_commit_is_run_again_and_made_once(booking_visitor, client):
    registration_id, url, form = booking_visitor
    with cut_connection(BOOKING_CLAIM) as cuts:
        response = client.post(url, data=form)
    assert len(cuts) == 1
    assert response.status_code == 303 and response.headers["Location"].endswith("/my-schedule")
    bookings, kinds = _bookings_and_messages(registration_id)
    assert bookings == 1 and "booking_confirmed" in kinds and len(set(kinds)) == len(kinds), kinds


@pytest.mark.postgresql_only
def test_a_page_on_a_cut_pooled_connection_is_served(ctx, client, database_url):
    """A connection cut while the request holds it (after the pool's pre-ping): served on a fresh one."""
    event = f.event()
    _, secret = create_token(f.organiser(org=event.organisers[0].organisation), event, "Import")
    db.session.commit()
    bearer = {"Authorization": f"Bearer {secret}"}
    for path in (f"/events/{event.slug}", f"/api/v1/events/{event.id}"):
        db.session.execute(sa.text("SELECT 1"))  # the request will reuse this session's connection
        assert _terminate_app_connections(database_url) >= 1
        assert client.get(path + "?lang=en", headers=bearer).status_code == 200, path
        db.session.remove()


@pytest.mark.postgresql_only
@pytest.mark.parametrize(("where", "times"), [("COMMIT", 1), (BOOKING_CLAIM, 2)])
def test_a_request_that_cannot_be_run_again_answers_a_clear_503(booking_visitor, client, where, times):
    """Cut at COMMIT (did it take effect? unknown: no replay) or cut twice: 503 "try again", nothing made,
    and the visitor's next try books."""
    registration_id, url, form = booking_visitor
    with cut_connection(where, times) as cuts:
        response = client.post(url + "?lang=en", data=form)
    assert len(cuts) == times
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "try again" in response.get_data(as_text=True)
    assert _bookings_and_messages(registration_id) == (0, [])
    assert client.post(url, data=form).status_code == 303
    bookings, kinds = _bookings_and_messages(registration_id)
    assert bookings == 1 and "booking_confirmed" in kinds and len(set(kinds)) == len(kinds), kinds


@pytest.mark.postgresql_only
def test_an_api_call_cut_twice_answers_a_json_503(ctx, client):
    event = f.event()
    _, secret = create_token(f.organiser(org=event.organisers[0].organisation), event, "Import")
    db.session.commit()
    path = f"/api/v1/events/{event.id}"
    with cut_connection("SELECT", times=2) as cuts:
        response = client.get(path, headers={"Authorization": f"Bearer {secret}"})
    assert len(cuts) == 2
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert response.get_json()["status"] == 503
