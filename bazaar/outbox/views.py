"""The organisers' view of an event's outbox (what is due, sent, failed or skipped), and the site
operators' view of every failed message, event or not."""

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import func, select

from bazaar import permissions
from bazaar.events.models import Event
from bazaar.extensions import db
from bazaar.notifications import services
from bazaar.notifications.models import Channel, MessageStatus, OutboxMessage
from bazaar.notifications.render import render
from bazaar.outbox.forms import STATUS_FILTERS, OutboxFilterForm
from bazaar.routing import ROW_ID_MAX, link_args, page_number
from bazaar.tokens import redact_tokens
from bazaar.vocabularies import label

# The endpoints keep the name "notifications." that templates and permissions use.
bp = Blueprint("notifications", __name__)

PAGE_SIZE = 100


def _event_outbox(event_id: int) -> Event:
    return permissions.load(Event, event_id, "notifications.outbox")


@bp.get("/organiser/events/<int:event_id>/outbox")
@login_required
def outbox(event_id):
    event = _event_outbox(event_id)
    form = OutboxFilterForm(request.args)
    kinds = db.session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.event_id == event.id).distinct().order_by(OutboxMessage.kind)
    ).all()
    form.kind.choices = [("", _("All"))] + [(k, label(k, "message_kind")) for k in kinds]
    query = select(OutboxMessage).where(OutboxMessage.event_id == event.id)
    if form.validate():
        if form.status.data:
            query = query.where(OutboxMessage.status.in_(STATUS_FILTERS[form.status.data]))
        if form.kind.data:
            query = query.where(OutboxMessage.kind == form.kind.data)
        if form.q.data:
            query = query.where(
                func.lower(OutboxMessage.to_address).contains(form.q.data.strip().lower(), autoescape=True)
            )
    page = page_number(request.args)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    messages = db.session.scalars(
        query.order_by(OutboxMessage.due_at.desc(), OutboxMessage.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    counts = services.status_counts(event.id)
    summary = {name: sum(counts[s] for s in statuses) for name, statuses in STATUS_FILTERS.items()}
    args = link_args(request.args, form)
    return render_template(
        "notifications/outbox.html",
        event=event,
        form=form,
        messages=messages,
        summary=summary,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        args=args,
    )


@bp.post("/organiser/events/<int:event_id>/outbox/<int:message_id>/resend")
@login_required
def resend(event_id, message_id):
    event = _event_outbox(event_id)
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.event_id != event.id:
        abort(404)
    if services.resend(message):
        flash(_("The message will be sent again in a moment."), "success")
    else:
        flash(_("Only a failed message can be sent again."), "error")
    return redirect(url_for("notifications.outbox", event_id=event.id, status=MessageStatus.FAILED))


@bp.get("/organiser/events/<int:event_id>/outbox/<int:message_id>")
@login_required
def message(event_id, message_id):
    """One message as its recipient gets it, with the recipient's signed links taken out."""
    event = _event_outbox(event_id)
    message = db.session.get(OutboxMessage, message_id) if message_id <= ROW_ID_MAX else None
    if message is None or message.event_id != event.id:
        abort(404)
    removed = _("[personal link removed]")
    content, error = None, None
    if message.channel == Channel.WEBHOOK:
        content = {"text": json.dumps(message.payload.get("body"), indent=2, ensure_ascii=False)}
    else:
        try:
            rendered = render(message)
        except Exception as exc:  # a template or data error: shown, as the sender would record it
            error = f"{type(exc).__name__}: {exc}"
        else:
            content = {
                "subject": redact_tokens(rendered.subject, removed),
                "text": redact_tokens(rendered.text, removed),
                "html": redact_tokens(rendered.html, removed) if rendered.html else None,
                "attachments": [a.filename for a in rendered.attachments],
            }
    return render_template("notifications/message.html", event=event, message=message, content=content, error=error)


@bp.get("/operator/failed-messages")
@login_required
def failed_everywhere():
    permissions.require("notifications.failed_everywhere")
    page = page_number(request.args)
    total, messages = services.failed_messages(page, PAGE_SIZE)
    events = {
        e.id: e
        for e in db.session.scalars(select(Event).where(Event.id.in_({m.event_id for m in messages if m.event_id})))
    }
    return render_template(
        "notifications/failed_everywhere.html",
        messages=messages,
        events=events,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
    )


@bp.post("/operator/failed-messages/<int:message_id>/resend")
@login_required
def resend_anywhere(message_id):
    permissions.require("notifications.failed_everywhere")
    message = db.session.get(OutboxMessage, message_id) if 0 < message_id <= ROW_ID_MAX else None
    if message is None:
        abort(404)
    if services.resend(message):
        flash(_("The message will be sent again in a moment."), "success")
    else:
        flash(_("Only a failed message can be sent again."), "error")
    return redirect(url_for("notifications.failed_everywhere"))
