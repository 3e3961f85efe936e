"""The statements every page links to: the privacy notice (the site's, and each fair's with its
organisers, contact and retention period) and the accessibility statement."""

from flask import Blueprint, current_app, render_template

from bazaar import permissions
from bazaar.events.views import get_event_or_404
from bazaar.privacy import retention

bp = Blueprint("about", __name__)


@bp.get("/privacy")
def privacy():
    return render_template("about/privacy.html", event=None, months=current_app.config["RETENTION_MONTHS"])


@bp.get("/events/<slug>/privacy")
def event_privacy(slug):
    event = get_event_or_404(slug)
    permissions.require("event.view", event, not_found=True)
    return render_template(
        "about/privacy.html",
        event=event,
        organisers=[link.organisation.name for link in event.organisers],
        months=retention.retention_months(event),
        purge_date=retention.purge_date(event),
    )


@bp.get("/accessibility")
def accessibility():
    return render_template("about/accessibility.html", contact=current_app.config["CONTACT_EMAIL"])
