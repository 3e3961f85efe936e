"""Entry point for worker and beat processes: ``celery -A worker.app worker -B``."""

from bazaar import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
