"""Building the Flask app: configuration, extensions, every domain's blueprints and messages, the
worker's Celery app and the command line. Only :func:`bazaar.create_app` imports this module, so
importing one leaf module of Bazaar does not load the whole house."""

from pathlib import Path

from flask import Flask

# Each domain declares its messages (and attachments); the reminders hear the domains' signals.
import bazaar.accounts.notifications  # noqa: F401
import bazaar.activities.notifications  # noqa: F401
import bazaar.announcements.notifications  # noqa: F401
import bazaar.booking.notifications  # noqa: F401
import bazaar.checkin.notifications  # noqa: F401
import bazaar.coaching.notifications  # noqa: F401
import bazaar.eventstaff.notifications  # noqa: F401
import bazaar.exhibitors.notifications  # noqa: F401
import bazaar.exhibitors.schedule  # noqa: F401  (moves slots with the event's days)
import bazaar.matching.notifications  # noqa: F401
import bazaar.matching.services  # noqa: F401  (connects its consent receiver)
import bazaar.registrations.notifications  # noqa: F401
import bazaar.reminders.notifications  # noqa: F401
import bazaar.reminders.services  # noqa: F401
import bazaar.webhooks.services  # noqa: F401  (hears the domains' signals, signs deliveries)
from bazaar import (
    cli,
    database,
    errors,
    health,
    i18n,
    logs,
    metrics,
    models,  # noqa: F401  (registers every table)
    ratelimit,  # noqa: F401  (registers the embedded limiter storage)
    routing,
    security,
    sentry,
    vocabularies,
)
from bazaar.about.views import bp as about_bp
from bazaar.accounts import auth
from bazaar.accounts.views import bp as accounts_bp
from bazaar.activities.views import bp as activities_bp
from bazaar.announcements.views import bp as announcements_bp
from bazaar.api import docs
from bazaar.api.tokens import bp as api_tokens_bp
from bazaar.booking.views import bp as booking_bp
from bazaar.checkin.views import bp as checkin_bp
from bazaar.coaching.members import bp as members_bp
from bazaar.coaching.views import bp as coaching_bp
from bazaar.events.views import bp as events_bp
from bazaar.eventstaff.views import bp as eventstaff_bp
from bazaar.exhibitors.views import bp as exhibitors_bp
from bazaar.extensions import babel, csrf, db, limiter, login_manager, migrate
from bazaar.funding.views import bp as funding_bp
from bazaar.matching.views import bp as matching_bp
from bazaar.outbox.views import bp as outbox_bp
from bazaar.privacy.views import bp as privacy_bp
from bazaar.registrations.organiser_questions import bp as questions_bp
from bazaar.registrations.views import bp as registrations_bp
from bazaar.stats.views import bp as stats_bp
from bazaar.webhooks.views import bp as webhooks_bp
from config import Config
from worker import init_celery

ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None) -> Flask:
    """Build the app. ``config`` is a :class:`config.Config`, a dict of overrides, or None."""
    if config is None:
        config = Config()
    elif isinstance(config, dict):
        config = Config(**config)

    app = Flask(
        "bazaar",
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "bazaar" / "static"),
    )
    app.config.from_mapping(config.as_dict())
    logs.configure(app)
    sentry.init_app(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    limiter.init_app(app)
    login_manager.init_app(app)
    database.init_app(app)
    auth.init_app(app)
    i18n.init_app(app)

    routing.init_app(app)  # before any blueprint, so every <int:...> is bounded
    for bp in (
        events_bp,
        accounts_bp,
        registrations_bp,
        questions_bp,
        exhibitors_bp,
        eventstaff_bp,
        booking_bp,
        checkin_bp,
        coaching_bp,
        members_bp,
        outbox_bp,
        announcements_bp,
        stats_bp,
        funding_bp,
        privacy_bp,
        matching_bp,
        activities_bp,
        webhooks_bp,
        about_bp,
        health.bp,
    ):
        app.register_blueprint(bp)
    docs.init_app(app)
    app.register_blueprint(api_tokens_bp)
    metrics.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    vocabularies.init_app(app)
    init_celery(app)
    cli.init_app(app)
    return app
