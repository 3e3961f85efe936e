"""The booking rules (:func:`check_rules`) and the read side: which registration may book, which
slots are free (:func:`bookable_for`, :func:`live_booking_on`), free times and their counts."""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import Integer, and_, bindparam, case, exists, func, or_, select

from bazaar.booking.errors import (
    AlreadyBookedExhibitor,
    BookingClosed,
    BookingError,
    CapReached,
    NotRegistered,
    Overlap,
    SlotUnavailable,
)
from bazaar.booking.models import Booking, Slot, SlotFormat, SlotStatus
from bazaar.clock import utcnow
from bazaar.events.models import EventStatus
from bazaar.exhibitors.models import ApplicationStatus, Exhibitor
from bazaar.extensions import db
from bazaar.i18n import format_datetime, format_time
from bazaar.registrations.models import Registration, RegistrationStatus

ALTERNATIVES = 3
EVENT_OPEN_STATUSES = (EventStatus.PUBLISHED, EventStatus.CLOSED)


@dataclass(frozen=True)
class FreeTime:
    """A start time at an exhibitor with at least one free table."""

    starts_at: datetime
    ends_at: datetime
    free_tables: int
    talk: bool = False  # every free table then holds a talk, not an interview


def registration_for_booking(user, event) -> Registration | None:
    """The user's registration for ``event`` that may book: registered, not waitlisted or offered (a
    place-holding one is :func:`bazaar.registrations.models.live_registration`)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.user_id == user.id,
            Registration.status == RegistrationStatus.REGISTERED,
        )
    )


def live_booking_on(slot_id_column, exhibitor_id: int | None = None, event_id: int | None = None):
    """SQL condition: a confirmed booking is on the slot (negate it for a free slot). Give the
    slots' ``exhibitor_id`` or ``event_id`` when the query reads many slots: then only that
    exhibitor's or event's live bookings are looked at (indexed: ``ix_booking_exhibitor_live``,
    ``ix_booking_event_live``), so the query costs the same however many bookings other exhibitors
    and fairs hold, whatever plan the database picks and however stale its statistics."""
    condition = exists().where(Booking.slot_id == slot_id_column, Booking.is_live)
    if exhibitor_id is not None:
        condition = condition.where(Booking.exhibitor_id == exhibitor_id)
    if event_id is not None:
        condition = condition.where(Booking.event_id == event_id)
    return condition


def bookable_for(registration_id: int | None, now: datetime):
    """SQL condition: the slot is open and not held for someone else."""
    not_held = or_(Slot.held_for_registration_id.is_(None), Slot.held_until <= now)
    if registration_id is not None:
        not_held = or_(not_held, Slot.held_for_registration_id == registration_id)
    return and_(Slot.status == SlotStatus.OPEN, not_held)


def free_times(exhibitor, registration_id: int | None = None, now: datetime | None = None) -> list[FreeTime]:
    """Future start times at ``exhibitor`` with a free table, tables grouped ("10:15", not per table)."""
    now = now or utcnow()
    rows = db.session.execute(
        select(
            Slot.starts_at,
            func.min(Slot.ends_at),
            func.count(Slot.id),
            func.min(case((Slot.format == SlotFormat.TALK, 1), else_=0)),
        )
        .where(
            Slot.exhibitor_id == exhibitor.id,
            Slot.starts_at > now,
            bookable_for(registration_id, now),
            ~live_booking_on(Slot.id, exhibitor.id),
        )
        .group_by(Slot.starts_at)
        .order_by(Slot.starts_at)
    ).all()
    return [FreeTime(starts, ends, count, bool(talk)) for starts, ends, count, talk in rows]


def free_slot_counts(event, now: datetime | None = None) -> dict[int, int]:
    """Exhibitor id -> number of free future slots, for the whole event in one query."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Slot.exhibitor_id, func.count(Slot.id))
        .where(Slot.event_id == event.id, Slot.starts_at > now, bookable_for(None, now))
        .where(~live_booking_on(Slot.id, event_id=event.id))
        .group_by(Slot.exhibitor_id)
    ).all()
    return dict(rows)


# ---- rules -----------------------------------------------------------------------------------


def _live_bookings_of(registration_id, replacing_id=None) -> list:
    """Conditions: the visitor's live bookings that count for the rules (not walk-ins), but the one
    being moved (``replacing_id``). Ids or bound parameters."""
    conditions = [Booking.registration_id == registration_id, Booking.is_live, Booking.walk_in.is_(False)]
    if replacing_id is not None:
        conditions.append(Booking.id != replacing_id)
    return conditions


@cache
def _fresh_live_bookings(replacing: bool):
    """The read of :func:`check_rules`: the visitor's live bookings (parameter ``visitor``) but the
    one being moved (``replacing``), fresh from the database; built once per process."""
    moved = bindparam("replacing", type_=Integer()) if replacing else None
    return (
        select(Booking)
        .where(*_live_bookings_of(bindparam("visitor", type_=Integer()), moved))
        .execution_options(populate_existing=True)
    )


def approved_exhibitor(exhibitor_id: int):
    """SELECT of the exhibitor's id if it is approved, with a share lock (PostgreSQL) held until
    commit: a decision taking it off the fair locks the row for update, so either it waits for
    this booking (and then counts and cancels it) or this booking waits and sees the new status.
    A booking's claim statement puts it in its own WHERE (bazaar/booking/services.py)."""
    return (
        select(Exhibitor.id)
        .where(Exhibitor.id == exhibitor_id, Exhibitor.status == ApplicationStatus.APPROVED)
        .with_for_update(read=True)
    )


def exhibitor_takes_bookings(exhibitor_id: int) -> bool:
    """The exhibitor is approved (:func:`approved_exhibitor`, read on its own)."""
    return db.session.scalar(approved_exhibitor(exhibitor_id)) is not None


def check_rules(
    registration: Registration,
    slot: Slot,
    replacing: Booking | None = None,
    now: datetime | None = None,
    exhibitor_in_claim: bool = False,
) -> None:
    """Raise the first rule ``registration`` would break by booking ``slot``.

    ``replacing``: the booking being rescheduled, which does not count against the new slot.
    ``exhibitor_in_claim``: the caller's claim statement holds :func:`approved_exhibitor` in its
    WHERE, so the exhibitor is not read here (a claim that finds it gone claims nothing).
    Call inside the visitor lock for the answer to hold until commit."""
    now = now or utcnow()
    check_event_rules(registration, slot.event_id, slot.starts_at, now)
    if slot.status != SlotStatus.OPEN or not (exhibitor_in_claim or exhibitor_takes_bookings(slot.exhibitor_id)):
        raise SlotUnavailable(_("That time cannot be booked."))
    # One read of the visitor's live bookings (a handful), fresh from the database.
    params = {"visitor": registration.id, "replacing": getattr(replacing, "id", None)}
    mine = db.session.scalars(_fresh_live_bookings(replacing is not None), params).all()
    check_visitor_rules(
        registration, mine, slot.exhibitor_id, slot.starts_at, slot.ends_at, talk=slot.format == SlotFormat.TALK
    )


def check_event_rules(registration: Registration, event_id: int, starts_at: datetime, now: datetime) -> None:
    """The rules of :func:`check_rules` about the visitor's registration, the event's booking
    period and the time itself (no database read)."""
    event = registration.event
    zone = event.timezone
    if registration.status != RegistrationStatus.REGISTERED or registration.event_id != event_id:
        raise NotRegistered(_("Only visitors registered for this event can book interviews."))
    if event.status not in EVENT_OPEN_STATUSES:
        raise BookingClosed(_("Booking is not open for this event."))
    if event.booking_opens_at and now < event.booking_opens_at:
        raise BookingClosed(_("Booking opens %(when)s.", when=format_datetime(event.booking_opens_at, zone)))
    if event.booking_closes_at and now >= event.booking_closes_at:
        raise BookingClosed(_("Booking closed %(when)s.", when=format_datetime(event.booking_closes_at, zone)))
    if starts_at <= now:
        raise BookingClosed(_("That time has already started."))


def check_visitor_rules(
    registration: Registration,
    mine: list[Booking],
    exhibitor_id: int,
    starts_at: datetime,
    ends_at: datetime,
    talk: bool = False,
) -> None:
    """The rules of :func:`check_rules` about the visitor's own live bookings ``mine`` (the one
    being moved left out): no overlap, the cap, one interview per exhibitor (no database read
    unless ``mine`` holds a booking at this exhibitor). A talk and an interview with one employer are
    not two of a kind: one-per-exhibitor counts talks against a new ``talk``, interviews against an
    interview, so an employer can book an interview after a talk."""
    event = registration.event
    overlapping = next((b for b in mine if b.starts_at < ends_at and b.ends_at > starts_at), None)
    if overlapping is not None:
        raise Overlap(
            _(
                "You already have an interview with %(name)s at %(time)s.",
                name=overlapping.exhibitor.name,
                time=format_time(overlapping.starts_at, event.timezone),
            )
        )
    if len(mine) >= event.max_bookings_per_visitor:
        raise CapReached(
            _(
                "You have booked the most interviews allowed (%(n)d). Cancel one to book another.",
                n=event.max_bookings_per_visitor,
            )
        )
    if not event.allow_multiple_per_exhibitor and any(
        b.exhibitor_id == exhibitor_id and b.is_talk == talk for b in mine
    ):
        raise AlreadyBookedExhibitor(_("You already have an interview with this exhibitor."))


# ---- what a visitor can book at an exhibitor -------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """A free time the visitor can take: a new booking, or ``moving`` their interview there."""

    time: FreeTime
    moving: Booking | None = None


@dataclass
class Offers:
    """The times at an exhibitor a visitor can actually book, judged by the rules above.

    ``blocked``: why no time can be taken (booking closed, the cap reached), when none can.
    ``left_out``: free times not offered because the visitor has another interview then."""

    offers: list[Offer]
    blocked: BookingError | None = None
    left_out: int = 0


def offers_for(
    registration: Registration,
    exhibitor,
    moving: Booking | None = None,
    now: datetime | None = None,
    live: list[Booking] | None = None,
) -> Offers:
    """The free times at ``exhibitor`` that ``registration`` can book, by :func:`check_event_rules`
    and :func:`check_visitor_rules`: a new booking where the rules allow it, else moving their one
    interview with this exhibitor there. ``moving``: offer only moves of that booking (reschedule).
    ``live``: the visitor's live bookings (``models.my_bookings``) if the caller has read them.
    Two statements however many times: the free times and the visitor's bookings (one with ``live``)."""
    now = now or utcnow()
    times = free_times(exhibitor, registration.id, now)
    if live is None:
        mine = db.session.scalars(select(Booking).where(*_live_bookings_of(registration.id))).all()
    else:  # the same bookings as _live_bookings_of: walk-ins count for no rule
        mine = [b for b in live if b.is_live and not b.walk_in]
    if moving is None:
        here = [b for b in mine if b.exhibitor_id == exhibitor.id and b.starts_at > now]
        movable = here[0] if len(here) == 1 else None
    else:
        movable = next((b for b in mine if b.id == moving.id and b.starts_at > now), None)
    others = [b for b in mine if b is not movable]
    result = Offers([])
    for t in times:
        if movable is not None and movable.starts_at < t.ends_at and movable.ends_at > t.starts_at:
            continue  # the interview's own time
        try:
            check_event_rules(registration, exhibitor.event_id, t.starts_at, now)
        except BookingError as exc:
            return Offers([], blocked=exc)
        refused = None
        if moving is None:
            try:
                check_visitor_rules(registration, mine, exhibitor.id, t.starts_at, t.ends_at, talk=t.talk)
            except BookingError as exc:
                refused = exc
            else:
                result.offers.append(Offer(t))
                continue
        if movable is not None:
            try:
                check_visitor_rules(registration, others, exhibitor.id, t.starts_at, t.ends_at, talk=t.talk)
            except BookingError as exc:
                refused = exc
            else:
                result.offers.append(Offer(t, movable))
                continue
        if isinstance(refused, Overlap):
            result.left_out += 1
        elif refused is not None:
            result.blocked = refused
    if result.offers:
        result.blocked = None
    return result


def nearest_offers(offers: Offers, wanted: datetime) -> list[Offer]:
    """Up to :data:`ALTERNATIVES` of ``offers`` (judged by the visitor's rules) closest to ``wanted``,
    in time order: what a visitor refused that time is offered instead."""
    others = [o for o in offers.offers if o.time.starts_at != wanted]
    others.sort(key=lambda o: abs((o.time.starts_at - wanted).total_seconds()))
    return sorted(others[:ALTERNATIVES], key=lambda o: o.time.starts_at)
