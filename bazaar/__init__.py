"""Bazaar: a platform for recruitment fairs."""

from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None) -> Flask:
    """Build the app. ``config`` is a :class:`config.Config`, a dict of overrides, or None."""
    from config import Config

    if config is None:
        config = Config()
    elif isinstance(config, dict):
        config = Config(**config)

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "bazaar" / "static"),
    )
    app.config.from_mapping(config.as_dict())

    from bazaar import logs

    logs.configure(app)

    from bazaar import i18n, ratelimit  # noqa: F401  (ratelimit registers the embedded limiter storage)
    from bazaar.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    limiter.init_app(app)
    login_manager.init_app(app)

    from bazaar import (
        database,
        models,  # noqa: F401  (registers every table)
    )

    database.init_app(app)

    from bazaar.accounts import auth

    auth.init_app(app)
    i18n.init_app(app)

    from bazaar import errors, health, routing, security

    routing.init_app(app)  # before any blueprint, so every <int:...> is bounded
    from bazaar.accounts.views import bp as accounts_bp
    from bazaar.booking.views import bp as booking_bp
    from bazaar.checkin.views import bp as checkin_bp
    from bazaar.events.views import bp as events_bp
    from bazaar.exhibitors.views import bp as exhibitors_bp
    from bazaar.funding.views import bp as funding_bp
    from bazaar.matching.views import bp as matching_bp
    from bazaar.notifications.views import bp as notifications_bp
    from bazaar.registrations.views import bp as registrations_bp
    from bazaar.stats.views import bp as stats_bp

    for bp in (
        events_bp,
        accounts_bp,
        registrations_bp,
        exhibitors_bp,
        booking_bp,
        checkin_bp,
        notifications_bp,
        stats_bp,
        funding_bp,
        matching_bp,
        health.bp,
    ):
        app.register_blueprint(bp)
    from bazaar.api import docs

    docs.init_app(app)
    from bazaar.api.tokens import bp as api_tokens_bp

    app.register_blueprint(api_tokens_bp)
    errors.init_app(app)
    security.init_app(app)

    from worker import init_celery

    init_celery(app)

    from bazaar import cli

    cli.init_app(app)
    return app
