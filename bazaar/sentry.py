"""Errors to Sentry, only when ``SENTRY_DSN`` is set: sentry-sdk with its Flask and Celery
integrations (web and worker processes both build the app, so both report). No personal data
is sent (``send_default_pii`` off: no cookies, addresses or user ids)."""


def init_app(app) -> None:
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    import sentry_sdk  # only when configured: without a DSN the SDK is never loaded
    from sentry_sdk.integrations.celery import CeleryIntegration  # likewise
    from sentry_sdk.integrations.flask import FlaskIntegration  # likewise

    sentry_sdk.init(
        dsn=dsn,
        environment=app.config.get("SENTRY_ENVIRONMENT"),
        integrations=[FlaskIntegration(), CeleryIntegration()],
        send_default_pii=False,
    )
