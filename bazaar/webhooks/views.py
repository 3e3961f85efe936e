"""The organisers' webhook pages: endpoints, their secret, a test delivery and the delivery log."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bazaar import permissions
from bazaar.events.models import Event
from bazaar.notifications.services import resend
from bazaar.notifications.webhook import SIGNATURE_HEADER
from bazaar.routing import ROW_ID_MAX, page_number
from bazaar.webhooks import services
from bazaar.webhooks.forms import WebhookForm
from bazaar.webhooks.models import WebhookEndpoint

bp = Blueprint("webhooks", __name__)


def _endpoint(event_id: int, webhook_id: int) -> WebhookEndpoint:
    endpoint = permissions.load(WebhookEndpoint, webhook_id, "webhooks.manage_endpoint", not_found=True)
    if endpoint.event_id != event_id:
        abort(404)
    return endpoint


@bp.route("/organiser/events/<int:event_id>/webhooks", methods=["GET", "POST"])
@login_required
def endpoints(event_id):
    event = permissions.load(Event, event_id, "webhooks.manage")
    form = WebhookForm()
    if form.validate_on_submit():
        endpoint = services.create_endpoint(event, form.url.data, form.topics.data, form.description.data, current_user)
        flash(_("The webhook was added. Copy its signing secret into the receiving system."), "success")
        return redirect(url_for("webhooks.endpoint", event_id=event.id, webhook_id=endpoint.id))
    return render_template(
        "webhooks/endpoints.html",
        event=event,
        form=form,
        endpoints=services.endpoints_of(event),
        topics=services.TOPICS,
        retry_hours=services.retry_hours(),
    )


@bp.route("/organiser/events/<int:event_id>/webhooks/<int:webhook_id>", methods=["GET", "POST"])
@login_required
def endpoint(event_id, webhook_id):
    endpoint = _endpoint(event_id, webhook_id)
    form = WebhookForm(obj=endpoint)
    if form.validate_on_submit():
        services.update_endpoint(endpoint, form.url.data, form.topics.data, form.description.data, form.active.data)
        flash(_("Saved."), "success")
        return redirect(url_for("webhooks.endpoint", event_id=event_id, webhook_id=webhook_id))
    page = page_number(request.args)
    total, rows = services.deliveries(endpoint, page)
    return render_template(
        "webhooks/endpoint.html",
        event=endpoint.event,
        endpoint=endpoint,
        form=form,
        deliveries=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // services.DELIVERIES_PAGE)),
        signature_header=SIGNATURE_HEADER,
        topics=services.TOPICS,
    )


@bp.post("/organiser/events/<int:event_id>/webhooks/<int:webhook_id>/ping")
@login_required
def ping(event_id, webhook_id):
    services.send_ping(_endpoint(event_id, webhook_id))
    flash(_("A test delivery is on its way; it appears in the log below."), "success")
    return redirect(url_for("webhooks.endpoint", event_id=event_id, webhook_id=webhook_id))


@bp.post("/organiser/events/<int:event_id>/webhooks/<int:webhook_id>/secret")
@login_required
def rotate(event_id, webhook_id):
    services.rotate_secret(_endpoint(event_id, webhook_id))
    flash(_("A new signing secret is in use from now on. Put it into the receiving system."), "success")
    return redirect(url_for("webhooks.endpoint", event_id=event_id, webhook_id=webhook_id))


@bp.post("/organiser/events/<int:event_id>/webhooks/<int:webhook_id>/delete")
@login_required
def delete(event_id, webhook_id):
    services.delete_endpoint(_endpoint(event_id, webhook_id))
    flash(_("The webhook was removed. Deliveries still waiting will not be sent."), "success")
    return redirect(url_for("webhooks.endpoints", event_id=event_id))


@bp.post("/organiser/events/<int:event_id>/webhooks/<int:webhook_id>/deliveries/<int:message_id>/resend")
@login_required
def resend_delivery(event_id, webhook_id, message_id):
    endpoint = _endpoint(event_id, webhook_id)
    delivery = services.delivery_of(endpoint, message_id) if message_id <= ROW_ID_MAX else None
    if delivery is None:
        abort(404)
    if resend(delivery):
        flash(_("The delivery will be tried again in a moment."), "success")
    else:
        flash(_("Only a failed delivery can be sent again."), "error")
    return redirect(url_for("webhooks.endpoint", event_id=event_id, webhook_id=webhook_id))
