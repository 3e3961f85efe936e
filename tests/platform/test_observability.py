"""Observability with real processes: JSON logs from gunicorn, the worker and beat; errors reaching a
Sentry envelope endpoint on loopback; Prometheus metrics from the app, summed over gunicorn's workers,
and from a worker."""

import gzip
import json
import os
import subprocess
import sys
import threading
import urllib.request
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from bazaar.booking import errors as booking_errors
from bazaar.booking import services as booking
from bazaar.checkin import services as checkin
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.logs import EXTRA_KEYS
from bazaar.notifications.models import OutboxMessage
from tests import factories as f
from tests.support import ROOT, free_port, wait_for

BASE_KEYS = {"ts", "level", "logger", "msg"}
LINE_KEYS = BASE_KEYS | set(EXTRA_KEYS) | {"duration_ms", "task_id", "exc"}
GUNICORN = (sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--workers", "2")


def _get(url: str, headers: dict | None = None) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return 0, ""


def _gunicorn(processes, tmp_path, **env) -> str:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    processes.env.update(BAZAAR_BASE_URL=base, **env)
    processes.start(*GUNICORN, "--bind", f"127.0.0.1:{port}", "wsgi:app", stderr=tmp_path / "gunicorn.err")
    wait_for(lambda: _get(base + "/healthz")[0] == 200, timeout=40, message="gunicorn to answer /healthz")
    return base


def _json_lines(path) -> list[dict]:
    """Every line of ``path``, each parsed as JSON in the one shape (fails on any other line)."""
    lines = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:
            pytest.fail(f"{path.name} line {number} is not JSON: {line!r}")
        assert BASE_KEYS <= data.keys() <= LINE_KEYS, (path.name, data)
        lines.append(data)
    return lines


def _samples(text: str) -> dict:
    """{(sample name, sorted labels): value} from a Prometheus text exposition."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


# ---- logs --------------------------------------------------------------------------------------


def test_gunicorn_worker_and_beat_log_json_in_one_shape(app, processes, tmp_path):
    from worker import celery

    base = _gunicorn(processes, tmp_path)
    assert _get(base + "/")[0] == 200
    assert _get(base + "/no-such-page")[0] == 404
    processes.start_worker(tmp_path / "worker.out", stderr=tmp_path / "worker.err")
    processes.start(
        sys.executable,
        "-m",
        "celery",
        "-A",
        "worker.app",
        "beat",
        "--loglevel=INFO",
        "--schedule",
        str(tmp_path / "celerybeat-schedule"),
        log=tmp_path / "beat.out",
        stderr=tmp_path / "beat.err",
    )
    with app.app_context():
        sent = celery.send_task("worker.tasks.ping")
    wait_for(lambda: sent.id in (tmp_path / "worker.err").read_text(), timeout=60, message="the task in the log")
    wait_for(lambda: "beat: Starting" in (tmp_path / "beat.err").read_text(), timeout=30, message="beat's start")
    processes.stop_all()  # the shutdown lines too

    web = _json_lines(tmp_path / "gunicorn.err")
    access = [line for line in web if line["logger"] == "gunicorn.access"]
    assert {(a["method"], a["path"], a["status"]) for a in access} >= {("GET", "/", 200), ("GET", "/no-such-page", 404)}
    assert all(isinstance(a["duration_ms"], int) for a in access)
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["msg"] for line in web)
    worker = _json_lines(tmp_path / "worker.err")
    assert any(line["logger"].startswith("celery") and "ready" in line["msg"] for line in worker)
    assert any(sent.id in line["msg"] and "succeeded" in line["msg"] for line in worker)
    beat = _json_lines(tmp_path / "beat.err")
    assert any(line["logger"].startswith("celery.beat") for line in beat)


# ---- Sentry ------------------------------------------------------------------------------------


class _Envelopes(BaseHTTPRequestHandler):
    """A Sentry ingest endpoint on loopback: records every envelope POSTed to it."""

    received: list[tuple[str, bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.received.append((self.path, body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


BOOM = """
from bazaar import create_app
import sentry_sdk
app = create_app()
@app.get("/boom")
def boom():
    raise RuntimeError("sentry test boom")
assert app.test_client().get("/boom").status_code == 500
sentry_sdk.flush(timeout=10)
"""


def test_unhandled_request_error_reaches_sentry_when_dsn_is_set(test_env):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Envelopes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Envelopes.received = []
    try:
        env = {**test_env, "SENTRY_DSN": f"http://publickey@127.0.0.1:{server.server_port}/42"}
        done = subprocess.run([sys.executable, "-c", BOOM], cwd=ROOT, env={**os.environ, **env}, capture_output=True)
        assert done.returncode == 0, done.stderr.decode()
    finally:
        server.shutdown()
        server.server_close()
    events = [body for path, body in _Envelopes.received if path == "/api/42/envelope/" and b'"event"' in body]
    assert events, _Envelopes.received
    event = json.loads(events[0].splitlines()[2])
    (exception,) = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("RuntimeError", "sentry test boom")
    assert "cookies" not in event.get("request", {})  # no personal data sent


def test_sentry_is_off_without_dsn(app):
    import sentry_sdk

    assert not sentry_sdk.get_client().is_active()


# ---- metrics -----------------------------------------------------------------------------------


def _scrape(client, **kw) -> dict:
    response = client.get("/metrics", **kw)
    assert response.status_code == 200, response.status_code
    return _samples(response.get_data(as_text=True))


def test_metrics_count_bookings_check_ins_and_read_the_outbox_from_the_database(ctx, client):
    event = f.event()
    exhibitor = f.exhibitor(event, tables=1)
    f.slots_for(exhibitor, count=2)
    staff = f.checkin_staff(event)
    first, second = f.registration(event), f.registration(event)
    db.session.add(
        OutboxMessage(
            dedup_key="old", kind="test", to_address="a@example.org", due_at=utcnow() - timedelta(seconds=300)
        )
    )
    db.session.commit()
    before = _scrape(client)

    booking.book(first, exhibitor, event.starts_at)
    with pytest.raises(booking_errors.SlotTaken):  # the one table's slot is gone: no booking made
        booking.book(second, exhibitor, event.starts_at)
    checkin.check_in(event, first, staff, "North")
    checkin.check_in(event, first, staff, "South")  # already checked in: no second arrival
    checkin.scan_at_door(event, staff, "North", registration_id=second.id)  # the door's own scan
    checkin.scan_at_door(event, staff, "South", registration_id=second.id)
    after = _scrape(client)

    assert after[("bazaar_bookings_total", ())] - before[("bazaar_bookings_total", ())] == 1
    assert after[("bazaar_checkins_total", ())] - before[("bazaar_checkins_total", ())] == 2
    scrapes = ("bazaar_http_requests_total", (("endpoint", "metrics.scrape"), ("method", "GET"), ("status", "200")))
    assert after[scrapes] - before.get(scrapes, 0) == 1
    now = utcnow()
    due, oldest = db.session.execute(
        select(func.count(OutboxMessage.id), func.min(OutboxMessage.due_at)).where(
            OutboxMessage.status.in_(("pending", "claimed")), OutboxMessage.due_at <= now
        )
    ).one()
    assert due >= 2  # the old one and the booking's confirmation
    assert after[("bazaar_outbox_due_unsent", ())] == due
    age = (now - oldest).total_seconds()
    assert abs(after[("bazaar_outbox_oldest_due_age_seconds", ())] - age) <= 2


def test_metrics_answer_only_allowed_addresses_or_the_token(app, client, monkeypatch):
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=outside).status_code == 403
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "scrape-secret")
    assert client.get("/metrics", environ_base=outside, headers={"Authorization": "Bearer wrong"}).status_code == 403
    _scrape(client, environ_base=outside, headers={"Authorization": "Bearer scrape-secret"})
    assert client.get("/metrics").status_code == 200  # loopback is allowed by default


def test_metrics_are_summed_over_gunicorn_workers(app, processes, tmp_path):
    base = _gunicorn(processes, tmp_path, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prom"))
    hits = 24
    threads = [threading.Thread(target=lambda: [_get(base + "/") for _ in range(hits // 6)]) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    status, text = _get(base + "/metrics")
    assert status == 200
    home = ("bazaar_http_requests_total", (("endpoint", "events.home"), ("method", "GET"), ("status", "200")))
    assert _samples(text)[home] == hits
    assert len(list((tmp_path / "prom").glob("counter_*.db"))) >= 2  # more than one process counted


def test_worker_serves_its_task_failures(app, processes, tmp_path):
    from worker import celery

    port = free_port()
    processes.env.update(BAZAAR_WORKER_METRICS_PORT=str(port), PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prom"))
    processes.start_worker(tmp_path / "worker.log")
    wait_for(lambda: _get(f"http://127.0.0.1:{port}/metrics")[0] == 200, timeout=60, message="worker metrics")
    with app.app_context():
        celery.send_task("worker.tasks.send_message", args=[1, 2, 3])  # wrong arguments: the task raises
    failed = ("bazaar_task_failures_total", (("task", "worker.tasks.send_message"),))
    wait_for(
        lambda: _samples(_get(f"http://127.0.0.1:{port}/metrics")[1]).get(failed) == 1,
        timeout=60,
        message="the failure counted",
    )
