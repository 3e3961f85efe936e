"""The Celery app. Tasks live in ``worker.tasks`` and call domain functions in ``bazaar``.

Web processes import :data:`celery` to send tasks; worker processes start from
``worker.app`` (``celery -A worker.app worker``), which builds the Flask app first.
Every task runs inside the Flask app context (the pattern from Flask's Celery docs).
"""
import os
from datetime import timedelta

from celery import Celery, Task

celery = Celery("bazaar")

BEAT_SCHEDULE = {
    # The sweep is what makes delivery reliable: a lost broker message only delays a message.
    "dispatch-due-messages": {"task": "worker.tasks.dispatch_due", "schedule": timedelta(seconds=60)},
    "expire-waitlist-offers": {"task": "worker.tasks.expire_waitlist_offers", "schedule": timedelta(seconds=60)},
}


def init_celery(app) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery.Task = FlaskTask
    celery.config_from_object(app.config["CELERY"])
    celery.conf.beat_schedule = BEAT_SCHEDULE
    celery.conf.include = ["worker.tasks"]
    celery.set_default()
    app.extensions["celery"] = celery
    if not app.config["CELERY"].get("broker_url", "").startswith(("redis", "rediss")):
        for key in ("data_folder_in", "processed_folder"):
            folder = app.config["CELERY"]["broker_transport_options"].get(key)
            if folder:
                os.makedirs(folder, exist_ok=True)
    return celery
