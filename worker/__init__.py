"""The Celery app. Tasks live in ``worker.tasks`` and call domain functions in ``bazaar``.

Web processes import :data:`celery` to send tasks; worker processes start from
``worker.app`` (``celery -A worker.app worker``), which builds the Flask app first.
Every task runs inside the Flask app context (the pattern from Flask's Celery docs).
"""

import logging
import os
from datetime import timedelta

from celery import Celery, Task
from celery.signals import setup_logging, worker_process_init
from celery.utils.log import get_multiprocessing_logger

from bazaar import logs
from bazaar.extensions import db
from worker import filesystem  # noqa: F401  (registers the embedded broker's transport)

celery = Celery("bazaar")

# How often beat sweeps the outbox, in seconds: a minute in production, shorter in tests.
SWEEP_INTERVAL = timedelta(seconds=float(os.environ.get("BAZAAR_SWEEP_INTERVAL", "60")))

BEAT_SCHEDULE = {
    # The sweep is what makes delivery reliable: a lost broker message only delays a message.
    "dispatch-due-messages": {"task": "worker.tasks.dispatch_due", "schedule": SWEEP_INTERVAL},
    "schedule-event-messages": {"task": "worker.tasks.schedule_event_messages", "schedule": SWEEP_INTERVAL},
    "expire-registration-offers": {
        "task": "worker.tasks.expire_registration_offers",
        "schedule": timedelta(seconds=60),
    },
    "expire-waitlist-offers": {"task": "worker.tasks.expire_waitlist_offers", "schedule": timedelta(seconds=60)},
    "expire-match-invitations": {"task": "worker.tasks.expire_match_invitations", "schedule": timedelta(seconds=60)},
    "compile-due-stats": {"task": "worker.tasks.compile_due_stats", "schedule": timedelta(minutes=10)},
    # Idempotent: each run erases only people whose retention has passed since the last.
    "purge-retention": {"task": "worker.tasks.purge_retention", "schedule": timedelta(hours=6)},
}


@setup_logging.connect(weak=False)
def _json_logs(loglevel=None, **_):
    """Worker and beat log JSON lines like the app (a receiver here stops Celery's own set-up)."""
    logs.configure()
    logging.getLogger().setLevel(loglevel or logging.INFO)
    # billiard's pool logger does not propagate; Celery would give it a handler of its own at ERROR
    pool_logger = get_multiprocessing_logger()
    if pool_logger is not None:
        pool_logger.propagate = True
        pool_logger.setLevel(logging.ERROR)


def init_celery(app) -> Celery:
    class FlaskTask(Task):
        """Runs in the app context; a task that fails rolls its session back, so the process's
        next task starts clean (a cut connection is then replaced, pool_pre_ping checks the rest)."""

        def __call__(self, *args, **kwargs):
            with app.app_context():
                try:
                    return self.run(*args, **kwargs)
                except Exception:
                    db.session.rollback()
                    raise

    @worker_process_init.connect(weak=False)
    def _own_database_connections(**_):
        """A forked pool process must not share the parent's pooled database connections."""
        with app.app_context():
            db.engine.dispose(close=False)

    celery.Task = FlaskTask
    if not app.config["CELERY"].get("broker_url", "").startswith(("redis", "rediss")):
        # The filesystem broker is polled; kombu's default second makes after-commit sends wait.
        app.config["CELERY"]["broker_transport_options"].setdefault("polling_interval", 0.1)
    celery.config_from_object(app.config["CELERY"])
    celery.conf.beat_schedule = BEAT_SCHEDULE
    celery.conf.include = ["worker.tasks"]
    celery.set_default()
    app.extensions["celery"] = celery
    if not app.config["CELERY"].get("broker_url", "").startswith(("redis", "rediss")):
        for key in ("data_folder_in", "processed_folder", "control_folder"):
            folder = app.config["CELERY"]["broker_transport_options"].get(key)
            if folder:
                os.makedirs(folder, exist_ok=True)
    return celery
