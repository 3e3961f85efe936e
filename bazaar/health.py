"""``GET /healthz``: which part is up (database, broker, rate-limit storage) and the outbox backlog.

503 when the database or the broker is down (take this process out of the load balancer);
200 with ``"status": "degraded"`` when only the rate-limit storage is down, since limits then
count in each process's memory and every request is still served."""

import os

from flask import Blueprint, jsonify
from sqlalchemy import func, select, text

from bazaar.clock import utcnow
from bazaar.extensions import csrf, db, limiter
from bazaar.notifications.mail import SMTPMailer, get_mailer
from bazaar.notifications.models import MessageStatus, OutboxMessage
from config import instance_dir
from worker import celery

bp = Blueprint("health", __name__)

UNSENT = (MessageStatus.PENDING, MessageStatus.CLAIMED)


def _check_database() -> tuple[bool, str]:
    try:
        db.session.execute(text("SELECT 1"))
        return True, db.engine.dialect.name
    except Exception as exc:  # any failure means "down"
        db.session.rollback()
        return False, type(exc).__name__


def _check_broker() -> tuple[bool, str]:
    try:
        with celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        return True, celery.conf.broker_url.split("://", 1)[0]
    except Exception as exc:
        return False, type(exc).__name__


def _check_rate_limit_storage() -> tuple[bool, str]:
    storage = limiter.storage
    scheme = type(storage).STORAGE_SCHEME[0]
    try:
        return bool(storage.check()), scheme
    except Exception as exc:
        return False, type(exc).__name__


def outbox_backlog() -> dict:
    """Messages due and not yet sent, and how long the oldest of them has waited."""
    now = utcnow()
    count, oldest = db.session.execute(
        select(func.count(OutboxMessage.id), func.min(OutboxMessage.due_at)).where(
            OutboxMessage.status.in_(UNSENT), OutboxMessage.due_at <= now
        )
    ).one()
    return {"due_unsent": count, "oldest_due_age_seconds": round((now - oldest).total_seconds()) if oldest else 0}


def check_configuration() -> list[tuple[str, bool, str]]:
    """What ``flask bazaar check`` reports: (what, ok, detail) for the secret key, the database,
    the broker and, when mail goes by SMTP, the SMTP server."""

    key = os.environ.get("SECRET_KEY")
    dev_key = instance_dir() / "secret_key"
    if not key:
        secret = (False, "SECRET_KEY is not set (the development key under the instance folder is used)")
    elif dev_key.exists() and dev_key.read_text().strip() == key:
        secret = (False, "SECRET_KEY is the generated development key")
    else:
        secret = (True, "set")
    results = [("secret key", *secret), ("database", *_check_database()), ("broker", *_check_broker())]
    mailer = get_mailer()
    if isinstance(mailer, SMTPMailer):
        try:
            mailer.check()
            results.append(("smtp", True, f"{mailer.host}:{mailer.port}"))
        except Exception as exc:
            results.append(("smtp", False, f"{mailer.host}:{mailer.port}: {type(exc).__name__}: {exc}"))
    else:
        results.append(("smtp", True, "not used (mail goes to the log)"))
    return results


@bp.get("/healthz")
@limiter.exempt
@csrf.exempt
def healthz():
    db_ok, db_info = _check_database()
    broker_ok, broker_info = _check_broker()
    limits_ok, limits_info = _check_rate_limit_storage()
    ok = db_ok and broker_ok
    body = {
        "status": ("ok" if limits_ok else "degraded") if ok else "down",
        "database": {"ok": db_ok, "detail": db_info},
        "broker": {"ok": broker_ok, "detail": str(broker_info)},
        "rate_limit_storage": {"ok": limits_ok, "detail": limits_info},
    }
    if db_ok:
        body["outbox"] = outbox_backlog()
    return jsonify(body), 200 if ok else 503
