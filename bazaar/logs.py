"""Structured logging: one JSON object per line, in one shape for every process.

The web app, gunicorn's access and error logs (``deploy/gunicorn.conf.py`` uses :data:`LOGCONFIG`)
and Celery's worker and beat (``worker.init_celery`` takes over Celery's logging set-up) all write
through :class:`JsonFormatter` to stderr. Every line has ``ts``, ``level``, ``logger`` and ``msg``;
the other keys appear when they apply (:data:`EXTRA_KEYS`, gunicorn's request fields, the task)."""

import json
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime

# Keys a caller may pass with ``extra=`` that are kept in the line.
EXTRA_KEYS = (
    "event",
    "event_id",
    "path",
    "method",
    "status",
    "error",
    "user_id",
    "task",
    "message_id",
    "snapshot_id",
    "matches",
)


def _current_task():
    """The Celery task this line is logged from, if any (only where Celery is loaded)."""
    if "celery" not in sys.modules:
        return None
    from celery import current_task  # only once Celery is loaded: the web need not import it

    return current_task if current_task and current_task.request.id else None


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
            # gunicorn passes its request "atoms": m method, U path (no query), s status, M milliseconds
            atoms = record.args
            data["msg"] = f"{atoms['m']} {atoms['U']} {atoms['s']}"
            data.update(method=atoms["m"], path=atoms["U"], status=int(atoms["s"]), duration_ms=atoms["M"])
        for key in EXTRA_KEYS:
            if hasattr(record, key):
                data[key] = getattr(record, key)
        task = _current_task()
        if task is not None:
            data.setdefault("task", task.name)
            data["task_id"] = task.request.id
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


# For gunicorn's ``logconfig_dict`` (and :func:`logging.config.dictConfig`): everything to stderr as JSON.
LOGCONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "bazaar.logs.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
    },
}


def configure(app=None) -> None:
    """Send every logger's lines to stderr as JSON (once per process); the app's logger propagates."""
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        logging.captureWarnings(True)  # warnings too, as JSON lines, not bare text on stderr
    for noisy in ("alembic.runtime.plugins", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if app is not None:
        app.logger.handlers.clear()
        app.logger.propagate = True
