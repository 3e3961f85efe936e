"""WSGI entry point: ``gunicorn wsgi:app``."""

from bazaar import create_app

app = create_app()
