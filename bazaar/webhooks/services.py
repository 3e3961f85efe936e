"""Webhook endpoints and what they hear.

The domains' signals (a registration made, confirmed or cancelled; a first arrival at the door;
an interview recorded) reach :func:`deliver`, which writes one outbox row per active endpoint of
the event that chose the topic, inside the transaction of the change: a change that rolls back
sends nothing, and a change that commits is delivered at least once (the outbox's retries).

Bodies are thin on purpose: ids, codes and times, never a name, an address or the self-declared
background. A receiver that needs more reads it through the API with its own token
(``links.api``), so personal data leaves Bazaar only through a door that checks who asks.
"""

import secrets
import uuid
from datetime import datetime
from functools import cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, bindparam, func, select

from bazaar.activitylog.models import Action
from bazaar.activitylog.services import changes, log_action
from bazaar.booking.models import Booking
from bazaar.checkin import signals as checkin_signals
from bazaar.clock import utcnow
from bazaar.events.models import Event
from bazaar.exhibitors import signals as exhibitor_signals
from bazaar.extensions import db
from bazaar.notifications import registry
from bazaar.notifications.models import Channel, OutboxMessage
from bazaar.notifications.services import MAX_ATTEMPTS, message_row, queue_rows, retry_delay
from bazaar.registrations import signals as registration_signals
from bazaar.registrations.models import Registration, RegistrationChange
from bazaar.webhooks.models import WebhookEndpoint

KIND = "webhook"  # the outbox kind of every delivery; the topic is in its payload
CHANNEL = Channel.WEBHOOK
TOPICS = {
    "registration.created": _l("A visitor registered (or joined the waiting list)"),
    "registration.updated": _l("A registration was confirmed from the waiting list or cancelled"),
    "visitor.checked_in": _l("A visitor arrived at the door"),
    "interview.recorded": _l("An exhibitor recorded an interview's attendance and outcome"),
}
PING = "ping"  # the organiser's test delivery; not a topic one subscribes to
DELIVERIES_PAGE = 50


def retry_hours() -> int:
    """How long, rounded, the outbox keeps trying a receiver that does not answer."""
    return round(sum(retry_delay(n).total_seconds() for n in range(1, MAX_ATTEMPTS)) / 3600)


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def endpoints_of(event: Event) -> list[WebhookEndpoint]:
    return list(
        db.session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.event_id == event.id).order_by(WebhookEndpoint.id)
        )
    )


def create_endpoint(event: Event, url: str, topics: list[str], description: str, actor) -> WebhookEndpoint:
    """Add an endpoint with a fresh secret (commits)."""
    endpoint = WebhookEndpoint(
        event_id=event.id,
        url=url,
        topics=[t for t in TOPICS if t in topics],
        description=description.strip(),
        secret=new_secret(),
        created_by_id=actor.id,
    )
    db.session.add(endpoint)
    log_action(event, Action.WEBHOOK_CREATED, actor, endpoint, {"url": url, "topics": endpoint.topics})
    db.session.commit()
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, url: str, topics: list[str], description: str, active: bool) -> None:
    """Change where an endpoint points and what it hears (commits). Deliveries already written keep
    their URL; a switched-off endpoint's waiting deliveries are skipped when their turn comes."""
    fields = {
        "url": url,
        "topics": [t for t in TOPICS if t in topics],
        "description": description.strip(),
        "active": active,
    }
    if changed := changes(endpoint, fields):
        log_action(endpoint.event, Action.WEBHOOK_CHANGED, obj=endpoint, data={"url": url, "changes": changed})
    for key, value in fields.items():
        setattr(endpoint, key, value)
    db.session.commit()


def rotate_secret(endpoint: WebhookEndpoint) -> str:
    """A new signing secret at once (commits); deliveries still waiting are signed with it."""
    endpoint.secret = new_secret()
    log_action(endpoint.event, Action.WEBHOOK_SECRET_ROTATED, obj=endpoint, data={"url": endpoint.url})
    db.session.commit()
    return endpoint.secret


def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    """Remove the endpoint (commits); its waiting deliveries are skipped, its log stays in the outbox."""
    log_action(endpoint.event, Action.WEBHOOK_DELETED, obj=endpoint, data={"url": endpoint.url})
    db.session.delete(endpoint)
    db.session.commit()


def _body(topic: str, event: Event, delivery: str, data: dict, links: dict | None = None) -> dict:
    return {
        "id": delivery,
        "topic": topic,
        "created_at": utcnow().isoformat(),
        "event": {"id": event.id, "slug": event.slug},
        "data": data,
        "links": links or {},
    }


def _delivery_row(endpoint: WebhookEndpoint, topic: str, event: Event, subject, data: dict, links=None) -> dict:
    """The outbox row of one delivery to ``endpoint`` (its own delivery id, so never a duplicate)."""
    delivery = uuid.uuid4().hex
    return message_row(
        KIND,
        to_address=endpoint.url,
        event=event,
        subject=subject,
        channel=CHANNEL,
        version=delivery,
        language="en",
        payload={
            "endpoint_id": endpoint.id,
            "topic": topic,
            "delivery": delivery,
            "body": _body(topic, event, delivery, data, links),
        },
    )


@cache
def _active_endpoints_statement():
    """The active endpoints of event ``event``: built once per process, as every check-in,
    registration and interview outcome runs it."""
    return select(WebhookEndpoint).where(
        WebhookEndpoint.event_id == bindparam("event", type_=Integer()), WebhookEndpoint.active.is_(True)
    )


def deliver(topic: str, event: Event, subject, data: dict, links: dict | None = None) -> int:
    """Queue ``topic`` for every active endpoint of ``event`` that chose it, in one INSERT (the
    caller commits)."""
    rows = [
        _delivery_row(endpoint, topic, event, subject, data, links)
        for endpoint in db.session.scalars(_active_endpoints_statement(), {"event": event.id})
        if topic in endpoint.topics
    ]
    queue_rows(rows)
    return len(rows)


def send_ping(endpoint: WebhookEndpoint) -> None:
    """A test delivery to this endpoint now, whatever it subscribes to (commits)."""
    queue_rows([_delivery_row(endpoint, PING, endpoint.event, endpoint, {"endpoint_id": endpoint.id})])
    db.session.commit()


def _api(path: str) -> dict:
    return {"api": current_app.config["BASE_URL"] + "/api/v1" + path}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# ---- what the domains tell -------------------------------------------------------------------


@registration_signals.registration_changed.connect
def _registration_changed(reg: Registration, event: Event, change: str) -> None:
    topic = "registration.created" if change == RegistrationChange.CREATED else "registration.updated"
    deliver(
        topic,
        event,
        reg,
        {"registration_id": reg.id, "change": change, "status": reg.status, "walk_in": bool(reg.walk_in)},
        _api(f"/events/{event.id}/registrations/{reg.id}"),
    )


@checkin_signals.checked_in.connect
def _checked_in(reg: Registration, event: Event, at: datetime, door: str | None) -> None:
    deliver(
        "visitor.checked_in",
        event,
        reg,
        {"registration_id": reg.id, "checked_in_at": _iso(at), "door": door},
        _api(f"/events/{event.id}/registrations/{reg.id}"),
    )


@exhibitor_signals.interview_recorded.connect
def _interview_recorded(booking: Booking, event: Event) -> None:
    deliver(
        "interview.recorded",
        event,
        booking,
        {
            "booking_id": booking.id,
            "registration_id": booking.registration_id,
            "exhibitor_id": booking.exhibitor_id,
            "attendance": booking.attendance,
            "outcome": booking.outcome,
            "employment_type": booking.outcome_employment_type,
            "recorded_at": _iso(booking.outcome_recorded_at or utcnow()),
        },
        _api(f"/events/{event.id}/exhibitors/{booking.exhibitor_id}/bookings"),
    )


@registry.webhook_secret_lookup
def _secret_of(message: OutboxMessage) -> str | None:
    """The endpoint's current secret when the delivery is sent; None once it is deleted or off."""
    endpoint = db.session.get(WebhookEndpoint, (message.payload or {}).get("endpoint_id") or 0)
    if endpoint is None or not endpoint.active or endpoint.event_id != message.event_id:
        return None
    return endpoint.secret


# ---- the delivery log ------------------------------------------------------------------------


def deliveries(endpoint: WebhookEndpoint, page: int) -> tuple[int, list[OutboxMessage]]:
    """The endpoint's deliveries, newest first: (how many in all, the rows of ``page``)."""
    query = select(OutboxMessage).where(
        OutboxMessage.event_id == endpoint.event_id,
        OutboxMessage.channel == CHANNEL,
        OutboxMessage.payload["endpoint_id"].as_integer() == endpoint.id,
    )
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .offset((page - 1) * DELIVERIES_PAGE)
        .limit(DELIVERIES_PAGE)
    ).all()
    return total, rows


def delivery_of(endpoint: WebhookEndpoint, message_id: int) -> OutboxMessage | None:
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.channel != CHANNEL or (message.payload or {}).get("endpoint_id") != endpoint.id:
        return None
    return message
