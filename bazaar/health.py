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


def check_configuration() -> list[tuple[str, bool, str]]:
    """What ``flask bazaar check`` reports: (what, ok, detail) for the secret key, the database,
    the broker and, when mail goes by SMTP, the SMTP server."""
    import os

    from config import instance_dir
    from bazaar.notifications.mail import SMTPMailer, get_mailer

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
    ok = db_ok and broker_ok
    body = {
        "status": "ok" if ok else "down",
        "database": {"ok": db_ok, "detail": db_info},
        "broker": {"ok": broker_ok, "detail": str(broker_info)},
    }
    return jsonify(body), 200 if ok else 503
