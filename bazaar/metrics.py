"""Prometheus metrics at ``GET /metrics``.

Requests by endpoint, method and status, and their duration; bookings made and door check-ins
(counted when their transaction commits); Celery task failures; and, computed from the database at
scrape time, the outbox backlog (messages due and not sent) and the age of the oldest of them.

Under gunicorn set ``PROMETHEUS_MULTIPROC_DIR`` (an empty folder of its own per gunicorn or worker
instance) so every worker process's counts are summed (prometheus_client's multi-process mode).
``/metrics`` answers only clients whose address is in ``BAZAAR_METRICS_ALLOW`` (networks, default
loopback) or who send ``Authorization: Bearer <BAZAAR_METRICS_TOKEN>``; anyone else gets 403.
A Celery worker serves its own metrics (task failures) on ``BAZAAR_WORKER_METRICS_PORT`` when set
(give it a ``PROMETHEUS_MULTIPROC_DIR`` of its own too, so its pool processes are counted)."""

import hmac
import ipaddress
import logging
import os
import time

from celery.signals import task_failure, worker_init
from flask import Blueprint, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import event, inspect

from bazaar.booking.models import Booking
from bazaar.checkin.models import DoorScan, ScanResult
from bazaar.database import WRITTEN_ROWS
from bazaar.extensions import db
from bazaar.health import outbox_backlog

log = logging.getLogger("bazaar.metrics")

if _folder := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(_folder, exist_ok=True)  # before the metrics below open their files in it

REQUESTS = Counter(
    "bazaar_http_requests", "HTTP requests answered, by endpoint, method and status", ["endpoint", "method", "status"]
)
REQUEST_SECONDS = Histogram("bazaar_http_request_duration_seconds", "Time to answer a request", ["endpoint"])
BOOKINGS = Counter("bazaar_bookings", "Interview bookings of a slot made (committed)")
CHECKINS = Counter("bazaar_checkins", "Arrivals checked in at the door (committed)")
TASK_FAILURES = Counter("bazaar_task_failures", "Celery tasks that raised an error", ["task"])

bp = Blueprint("metrics", __name__)


# ---- multi-process mode ----------------------------------------------------------------------


def _multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class _Scrape:
    """What one scrape reports: this process's (or every process's) metrics, plus extra collectors."""

    def __init__(self, *extra):
        self.extra = extra

    def collect(self):
        if _multiprocess_dir() is not None:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            yield from registry.collect()
        else:
            yield from REGISTRY.collect()
        for collector in self.extra:
            yield from collector.collect()


class OutboxCollector:
    """The outbox backlog, read from the database at scrape time (the figures /healthz reports)."""

    def collect(self):
        try:
            backlog = outbox_backlog()
        except Exception as exc:  # a scrape while the database is down still reports the rest
            db.session.rollback()
            log.warning("outbox backlog not read", extra={"error": type(exc).__name__})
            return
        yield GaugeMetricFamily("bazaar_outbox_due_unsent", "Outbox messages due and not sent", backlog["due_unsent"])
        yield GaugeMetricFamily(
            "bazaar_outbox_oldest_due_age_seconds",
            "How long the oldest due, unsent outbox message has waited",
            backlog["oldest_due_age_seconds"],
        )


# ---- /metrics --------------------------------------------------------------------------------


def _allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in current_app.config["METRICS_ALLOW"])


@bp.get("/metrics")
def scrape():
    if not _allowed():
        abort(403)
    return Response(generate_latest(_Scrape(OutboxCollector())), mimetype=CONTENT_TYPE_LATEST)


# ---- hooks -----------------------------------------------------------------------------------
# Bookings and check-ins are counted when the transaction that writes them commits: the rows are
# noted at flush, counted at the outermost commit if still stored, forgotten at rollback.


@event.listens_for(db.session, "after_flush")
def _note_rows(session, flush_context):
    noted = session.info.setdefault("metrics_noted", [])
    for obj in session.new:
        # a booking of a slot (a walk-in interview logged at a booth has none), an arrival at the door
        if (isinstance(obj, Booking) and obj.slot_id is not None) or (
            isinstance(obj, DoorScan) and obj.result == ScanResult.CHECKED_IN
        ):
            noted.append(obj)


@event.listens_for(db.session, "after_commit")
def _count_rows(session):
    if session.in_nested_transaction():  # a savepoint released: its rows are not stored yet
        return
    for obj in session.info.pop("metrics_noted", ()):
        if inspect(obj).persistent:  # the rows of a savepoint rolled back were expunged
            (BOOKINGS if isinstance(obj, Booking) else CHECKINS).inc()
    for kind in session.info.pop(WRITTEN_ROWS, ()):
        {"booking": BOOKINGS, "checkin": CHECKINS}[kind].inc()


@event.listens_for(db.session, "after_rollback")
def _forget_rows(session):
    if not session.in_nested_transaction():
        session.info.pop("metrics_noted", None)
        session.info.pop(WRITTEN_ROWS, None)


@task_failure.connect(weak=False)
def _count_task_failure(sender=None, **_):
    TASK_FAILURES.labels(task=getattr(sender, "name", "unknown")).inc()


@worker_init.connect(weak=False)
def _serve_worker_metrics(**_):
    """In a Celery worker's main process: serve its metrics (summed over its pool processes)."""
    port = os.environ.get("BAZAAR_WORKER_METRICS_PORT")
    if not port:
        return
    address = os.environ.get("BAZAAR_WORKER_METRICS_ADDR", "127.0.0.1")
    try:
        start_http_server(int(port), addr=address, registry=_Scrape())
    except OSError as exc:  # e.g. a second worker on this machine with the same port: it still works
        log.error("worker metrics not served", extra={"path": f"{address}:{port}", "error": str(exc)})
        return
    log.info("worker metrics served", extra={"path": f"http://{address}:{port}/metrics"})


METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def init_app(app) -> None:
    app.register_blueprint(bp)

    @app.before_request
    def _start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count_request(response):
        endpoint = request.url_rule.endpoint if request.url_rule else "unmatched"
        method = request.method if request.method in METHODS else "other"  # any client may invent one
        REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            REQUEST_SECONDS.labels(endpoint).observe(time.perf_counter() - started)
        return response
