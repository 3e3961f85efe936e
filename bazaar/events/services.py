"""Rules about events: creating, publishing, listing."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select

from bazaar.accounts.models import Organisation
from bazaar.activitylog.models import Action
from bazaar.activitylog.services import changes, log_action
from bazaar.booking.models import Booking, Slot, SlotStatus
from bazaar.checkin.models import Arrival
from bazaar.clock import utcnow
from bazaar.events import signals
from bazaar.events.models import (
    Event,
    EventDay,
    EventOrganiser,
    EventStaff,
    EventStatus,
    StaffRequest,
    StaffRequestStatus,
)
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


@dataclass(frozen=True)
class DaySpec:
    """A day as the organiser's form gives it: ``id`` of the day it edits (None: a new day)."""

    date: date
    opens: time
    closes: time
    note: str = ""
    id: int | None = None

    def times(self, tz: str) -> tuple[datetime, datetime]:
        zone = ZoneInfo(tz)
        return tuple(datetime.combine(self.date, at, tzinfo=zone).astimezone(UTC) for at in (self.opens, self.closes))


@dataclass(frozen=True)
class DayMove:
    """An existing day whose hours changed or which was removed (``opens_at`` None): the slots
    from ``window_start`` to ``window_end`` (its local date) move by ``shift`` and must then lie
    within ``opens_at``-``closes_at``."""

    window_start: datetime
    window_end: datetime
    shift: timedelta
    opens_at: datetime | None
    closes_at: datetime | None


class SlotsInTheWay(Exception):
    """Booked interviews that the change of days would leave outside the fair (``bookings``)."""

    def __init__(self, bookings: list):
        super().__init__(f"{len(bookings)} bookings in the way")
        self.bookings = bookings


def _local_day_window(event: Event, day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(event.timezone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start.astimezone(UTC), datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


def _apply_days(event: Event, days: list[DaySpec]) -> list[DayMove]:
    """Make the event's days those of ``days``; returns how existing days moved or went."""
    if not days:
        raise ValueError("an event has at least one day")
    kept = {spec.id for spec in days}
    moves = []
    for gone in [day for day in event.days if day.id not in kept]:
        moves.append(DayMove(*_local_day_window(event, gone.date), timedelta(0), None, None))
        event.days.remove(gone)
    if moves:
        db.session.flush()  # a day removed before one is added on its date
    by_id = {day.id: day for day in event.days}
    for spec in days:
        opens_at, closes_at = spec.times(event.timezone)
        day = by_id.pop(spec.id, None) if spec.id is not None else None
        if day is None:
            day = EventDay()
            event.days.append(day)
        elif (day.opens_at, day.closes_at) != (opens_at, closes_at):
            moves.append(DayMove(*_local_day_window(event, day.date), opens_at - day.opens_at, opens_at, closes_at))
        day.date, day.opens_at, day.closes_at, day.note = spec.date, opens_at, closes_at, spec.note
    event.sync_span()
    return moves


def create_event(organiser, days: list[DaySpec], **fields) -> Event:
    """Create a draft event co-organised by the organiser's body."""
    event = Event(**fields)
    event.timezone = event.timezone or "Europe/Stockholm"
    _apply_days(event, days)
    event.slug = unique_slug(event.name)
    event.status = EventStatus.DRAFT
    event.organisers.append(EventOrganiser(organisation_id=organiser.organisation_id))
    db.session.add(event)
    db.session.flush()
    log_action(event, Action.EVENT_CREATED, organiser)
    db.session.commit()
    return event


def _days_text(event: Event) -> str:
    """The fair's days and hours as the activity log names them ("2026-10-20 10:00–16:00; ...")."""
    zone = ZoneInfo(event.timezone)
    return "; ".join(
        f"{day.date.isoformat()} {day.opens_at.astimezone(zone):%H:%M}–{day.closes_at.astimezone(zone):%H:%M}"
        for day in sorted(event.days, key=lambda d: d.date)
    )


# Settings the log names without their values: personal data (a contact address) and long texts.
UNLOGGED_VALUES = frozenset({"privacy_contact", "description", "directions"})


def update_event(event: Event, days: list[DaySpec] | None = None, **fields) -> Event:
    """Save the event's fields and days. Slots of a day whose hours changed move with it (the
    ``days_changed`` receivers move them and tell the visitors); raises SlotsInTheWay, changing
    nothing, when booked interviews would end up outside the fair."""
    timing = ("timezone", "reminder_minutes_before", "followup_days")
    times_changed = any(key in fields and getattr(event, key) != fields[key] for key in timing)
    span = (event.starts_at, event.ends_at)
    changed = changes(event, fields, UNLOGGED_VALUES)
    old_days = _days_text(event)
    for key, value in fields.items():
        setattr(event, key, value)
    try:
        moves = _apply_days(event, days) if days is not None else []
        if moves:
            signals.days_changed.send(event, moves=moves)
    except SlotsInTheWay:
        db.session.rollback()
        raise
    if times_changed or moves or span != (event.starts_at, event.ends_at):
        signals.times_changed.send(event)
    if (new_days := _days_text(event)) != old_days:
        changed.append({"field": "days", "old": old_days, "new": new_days})
    if changed:
        log_action(event, Action.EVENT_CHANGED, data={"changes": changed})
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


def events_run_by(user) -> list[Event]:
    """The fairs ``user`` runs: their organising body's, and those they were made co-organiser of."""
    conditions = [
        Event.id.in_(select(EventStaff.event_id).where(EventStaff.user_id == user.id, EventStaff.role == "coorganiser"))
    ]
    if user.organisation_id is not None:
        conditions.append(
            Event.id.in_(select(EventOrganiser.event_id).where(EventOrganiser.organisation_id == user.organisation_id))
        )
    return list(db.session.scalars(select(Event).where(or_(*conditions)).order_by(Event.starts_at.desc())))


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
    log_action(event, Action.BODY_ADDED, data={"name": organisation.name})
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
    log_action(event, Action.BODY_REMOVED, actor, data={"name": body.organisation.name})
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
    staff_requests: int  # people asking for a role (job coach), waiting for a decision


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
            count(Arrival.id, Arrival.event_id == event.id, Arrival.day == event.fair_date(now)),
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
            count(
                StaffRequest.id, StaffRequest.event_id == event.id, StaffRequest.status == StaffRequestStatus.PENDING
            ),
        )
    ).one()
    return Overview(*row)
