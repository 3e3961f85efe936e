"""``GET /healthz``: is the database reachable, is the broker reachable."""
from flask import Blueprint, jsonify
from sqlalchemy import text

from bazaar.extensions import csrf, db, limiter

bp = Blueprint("health", __name__)


def _check_database() -> tuple[bool, str]:
    try:
        db.session.execute(text("SELECT 1"))
        return True, db.engine.dialect.name
    except Exception as exc:  # any failure means "down"
        db.session.rollback()
        return False, type(exc).__name__


def _check_broker() -> tuple[bool, str]:
    from worker import celery

    try:
        with celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        return True, celery.conf.broker_url.split("://", 1)[0]
    except Exception as exc:
        return False, type(exc).__name__


@bp.get("/healthz")
@limiter.exempt
@csrf.exempt
def healthz():
    db_ok, db_info = _check_database()
    broker_ok, broker_info = _check_broker()
    ok = db_ok and broker_ok
    body = {
        "status": "ok" if ok else "down",
        "database": {"ok": db_ok, "detail": db_info},
        "broker": {"ok": broker_ok, "detail": str(broker_info)},
    }
    return jsonify(body), 200 if ok else 503
