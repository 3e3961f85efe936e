"""Rules about events: creating, publishing, listing."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select

from bazaar.accounts.models import Organisation
from bazaar.activitylog.models import Action
from bazaar.activitylog.services import changes, log_action
from bazaar.booking.models import Booking, Slot, SlotStatus
from bazaar.clock import utcnow
from bazaar.events import signals
from bazaar.events.models import Event, EventOrganiser, EventStatus
from bazaar.exhibitors.models import ApplicationStatus, Exhibitor
from bazaar.extensions import db
from bazaar.images import LogoRefused, checked_logo
from bazaar.notifications.models import MessageStatus, OutboxMessage
from bazaar.registrations.models import Registration, RegistrationStatus


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:70] or "event"


def unique_slug(name: str, exclude_id: int | None = None) -> str:
    base = slugify(name)
    slug, n = base, 2
    while True:
        q = select(Event.id).where(Event.slug == slug)
        if exclude_id:
            q = q.where(Event.id != exclude_id)
        if db.session.scalar(q) is None:
            return slug
        slug, n = f"{base}-{n}", n + 1


def create_event(organiser, **fields) -> Event:
    """Create a draft event co-organised by the organiser's body."""
    event = Event(**fields)
    event.slug = unique_slug(event.name)
    event.status = EventStatus.DRAFT
    event.organisers.append(EventOrganiser(organisation_id=organiser.organisation_id))
    db.session.add(event)
    db.session.flush()
    log_action(event, Action.EVENT_CREATED, organiser)
    db.session.commit()
    return event


# Settings the log names without their values: personal data (a contact address) and long texts.
UNLOGGED_VALUES = frozenset({"privacy_contact", "description", "directions"})


def update_event(event: Event, **fields) -> Event:
    timing = ("starts_at", "ends_at", "timezone", "reminder_minutes_before", "followup_days")
    times_changed = any(key in fields and getattr(event, key) != fields[key] for key in timing)
    changed = changes(event, fields, UNLOGGED_VALUES)
    if changed:
        log_action(event, Action.EVENT_CHANGED, data={"changes": changed})
    for key, value in fields.items():
        setattr(event, key, value)
    if times_changed:
        signals.times_changed.send(event)
    db.session.commit()
    return event


def set_status(event: Event, status: str) -> Event:
    allowed = {
        EventStatus.DRAFT: {EventStatus.PUBLISHED},
        EventStatus.PUBLISHED: {EventStatus.DRAFT, EventStatus.CLOSED, EventStatus.FINISHED},
        EventStatus.CLOSED: {EventStatus.PUBLISHED, EventStatus.FINISHED},
        EventStatus.FINISHED: set(),
    }
    if status not in allowed[event.status]:
        raise ValueError(f"cannot go from {event.status} to {status}")
    log_action(event, Action.EVENT_STATUS, data={"changes": [{"field": "status", "old": event.status, "new": status}]})
    event.status = status
    db.session.commit()
    return event


def upcoming_events(now: datetime | None = None) -> list[Event]:
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Event)
            .where(Event.status.in_((EventStatus.PUBLISHED, EventStatus.CLOSED)), Event.ends_at >= now)
            .order_by(Event.starts_at)
        )
    )


def events_for_organiser(user) -> list[Event]:
    return list(
        db.session.scalars(
            select(Event)
            .join(EventOrganiser)
            .where(EventOrganiser.organisation_id == user.organisation_id)
            .order_by(Event.starts_at.desc())
        )
    )


def registration_open(event: Event, now: datetime | None = None) -> bool:
    now = now or utcnow()
    if event.status != EventStatus.PUBLISHED:
        return False
    if event.registration_opens_at and now < event.registration_opens_at:
        return False
    closes = event.registration_closes_at or event.ends_at
    return now < closes


class CannotOrganise(Exception):
    """The user already belongs to an organising body that does not organise this event."""


def make_organiser(user, event: Event) -> None:
    """Make ``user`` an organiser of ``event`` by joining its (first) organising body. A member of
    another body is refused: bodies join events as co-organisers deliberately, not by the way."""
    bodies = [o.organisation for o in event.organisers]
    if not bodies:
        raise CannotOrganise("the event has no organising body")
    if user.organisation_id is None:
        user.organisation = bodies[0]
    elif user.organisation_id not in {b.id for b in bodies}:
        raise CannotOrganise(f"{user.email} belongs to {user.organisation.name}, which does not organise this event")
    db.session.commit()


class BodyRefused(Exception):
    """A change to an event's organising bodies that is refused: ``str(exc)`` is "already" (it
    organises the event already), "last" (an event keeps one body), "own" (nobody removes their own
    body: they would lock themselves out), or the logo's "too large" / "not an image"."""


def bodies_of(event: Event) -> list[EventOrganiser]:
    """The event's organising bodies, by name."""
    return sorted(event.organisers, key=lambda body: body.organisation.name.casefold())


def add_body(event: Event, name: str, website: str | None = None, logo: bytes | None = None) -> EventOrganiser:
    """Make the organising body called ``name`` (an existing one, whatever the case, else a new one)
    an organiser of ``event``: its members run the fair. Commits."""
    organisation = db.session.scalar(select(Organisation).where(func.lower(Organisation.name) == name.lower()))
    if organisation is None:
        organisation = Organisation(name=name)
        db.session.add(organisation)
        db.session.flush()
    elif any(body.organisation_id == organisation.id for body in event.organisers):
        db.session.rollback()
        raise BodyRefused("already")
    body = EventOrganiser(organisation_id=organisation.id, website=website)
    if logo:
        _put_logo(body, logo)
    event.organisers.append(body)
    db.session.commit()
    return body


def _put_logo(body: EventOrganiser, data: bytes) -> None:
    try:
        body.logo_mimetype = checked_logo(data)
    except LogoRefused as exc:
        db.session.rollback()
        raise BodyRefused(str(exc)) from exc
    body.logo = data


def set_body_logo(body: EventOrganiser, data: bytes) -> None:
    """Store the body's logo for this event, checked as every logo is (:func:`bazaar.images.checked_logo`). Commits."""
    _put_logo(body, data)
    db.session.commit()


def remove_body(event: Event, body: EventOrganiser, actor) -> None:
    """Take an organising body off the event (its members no longer run it). Commits."""
    if len(event.organisers) <= 1:
        raise BodyRefused("last")
    if body.organisation_id == actor.organisation_id:
        raise BodyRefused("own")
    event.organisers.remove(body)
    db.session.commit()


@dataclass
class Overview:
    """The figures an organiser looks at first on the event's page."""

    registered: int
    waitlisted: int  # waiting, or offered a freed place
    checked_in_today: int
    exhibitors_approved: int
    exhibitors_pending: int
    slots_offered: int
    slots_booked: int
    messages_failed: int


def overview(event: Event, now: datetime | None = None) -> Overview:
    """Counted in one statement of subqueries, from the domains' tables (the models are one schema)."""

    def count(column, *where):
        return select(func.count(column)).where(*where).scalar_subquery()

    in_event = Registration.event_id == event.id
    offered = and_(Slot.exhibitor_id == Exhibitor.id, Exhibitor.event_id == event.id, Slot.status == SlotStatus.OPEN)
    row = db.session.execute(
        select(
            count(Registration.id, in_event, Registration.status == RegistrationStatus.REGISTERED),
            count(
                Registration.id,
                in_event,
                Registration.status.in_((RegistrationStatus.WAITLISTED, RegistrationStatus.OFFERED)),
            ),
            count(Registration.id, in_event, Registration.checked_in_at >= event.local_midnight(now)),
            count(Exhibitor.id, Exhibitor.event_id == event.id, Exhibitor.status == ApplicationStatus.APPROVED),
            count(Exhibitor.id, Exhibitor.event_id == event.id, Exhibitor.status == ApplicationStatus.APPLIED),
            count(Slot.id, offered),
            count(
                Booking.id,
                Booking.event_id == event.id,
                Booking.is_live,
                Booking.slot_id.in_(select(Slot.id).join(Exhibitor).where(offered)),
            ),
            count(OutboxMessage.id, OutboxMessage.event_id == event.id, OutboxMessage.status == MessageStatus.FAILED),
        )
    ).one()
    return Overview(*row)
