"""Booking interviews: every rule is checked in the transaction that writes the booking.

How a booking stays correct under concurrency:

* Per visitor, writes are serialised: on PostgreSQL with the advisory lock
  ``Lock.VISITOR_BOOKINGS`` (bazaar/locking.py) on the registration (SQLite runs every transaction
  as ``BEGIN IMMEDIATE``, one writer at a time). Inside that lock the overlap, cap and
  one-per-exhibitor rules read committed data, so two requests by one visitor cannot both pass them.
  The unique (registration, start) index is the backstop.
* Per slot, the claim is conditional: an ``UPDATE slot ... WHERE status = 'open' AND not held for
  someone else`` locks the slot row, then the booking INSERT relies on the partial unique index of
  live bookings per slot. The loser of a race gets an IntegrityError, mapped to :class:`SlotTaken`
  with the nearest free times. Nothing is decided by a read followed by a write.

Every change raises ``Booking.sequence`` and calls
:func:`bazaar.booking.notifications.booking_changed` in the same transaction.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import selectinload

from bazaar.booking.models import Booking, Slot, WaitlistEntry
from bazaar.booking.notifications import WAITLIST_OFFER, booking_changed
from bazaar.clock import utcnow
from bazaar.database import is_postgres
from bazaar.exhibitors.models import Exhibitor, Opening
from bazaar.extensions import db
from bazaar.i18n import format_datetime, format_time
from bazaar.locking import Lock, lock
from bazaar.notifications.services import queue
from bazaar.registrations.models import Registration
from bazaar.tokens import SignedLink

LOCK_TIMEOUT = "10s"
WAITLIST_HOLD = timedelta(minutes=30)
# An offer shorter than this before the interview starts is not worth making.
WAITLIST_MIN_NOTICE = timedelta(minutes=5)
ALTERNATIVES = 3
# The link in a waiting-list offer, good only while that very offer stands (``offers_made``); it
# outlives the hold by an hour so a late click hears "gone", not "broken link".
CLAIM_LINK = SignedLink(
    "waitlist.claim", WaitlistEntry, {"w": "id", "n": "offers_made"}, WAITLIST_HOLD + timedelta(hours=1)
)
# cancel_booking's reason when the exhibitor removes the slot: the slot is not offered on.
SLOT_REMOVED = "slot_removed"
# cancel_booking's reason when the exhibitor no longer takes part (rejected or withdrawn after approval).
EXHIBITOR_WITHDRAWN = "exhibitor_withdrawn"
# Reasons whose freed slot is not offered to the waiting list.
NOT_OFFERED_ON = (SLOT_REMOVED, EXHIBITOR_WITHDRAWN)
EVENT_OPEN_STATUSES = ("published", "closed")


# ---- errors ----------------------------------------------------------------------------------


class BookingError(Exception):
    """A booking could not be made or changed. ``message`` is shown to the visitor;
    ``alternatives`` are free start times at the same exhibitor, nearest first in time order."""

    def __init__(self, message: str, alternatives: list[datetime] | None = None):
        super().__init__(message)
        self.message = message
        self.alternatives = alternatives or []


class NotRegistered(BookingError):
    """The visitor holds no live registration for the event."""


class BookingClosed(BookingError):
    """Outside the event's booking window, or the slot has already started."""


class SlotUnavailable(BookingError):
    """The slot is blocked, removed, held for someone else, or its exhibitor is not approved."""


class SlotTaken(BookingError):
    """Someone else got the slot first (the loser of a race)."""


class Overlap(BookingError):
    """The visitor already has an interview at an overlapping time."""


class CapReached(BookingError):
    """The visitor has as many interviews as the event allows."""


class AlreadyBookedExhibitor(BookingError):
    """The visitor already has an interview with this exhibitor."""


class NotChangeable(BookingError):
    """The booking is cancelled, past, or otherwise cannot be changed any more."""


class Busy(BookingError):
    """The lock could not be had within the lock timeout (many requests at once): try again."""


class WaitlistError(BookingError):
    """A waiting-list action is not possible (not waiting, offer expired, ...)."""


# ---- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FreeTime:
    """A start time at an exhibitor with at least one free table."""

    starts_at: datetime
    ends_at: datetime
    free_tables: int


def live_registration(user, event) -> Registration | None:
    """The user's registration for ``event`` that may book (status ``registered``)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.user_id == user.id,
            Registration.status == "registered",
        )
    )


def live_booking_on(slot_id_column):
    """SQL condition: a confirmed booking is on the slot (negate it for a free slot)."""
    return exists().where(Booking.slot_id == slot_id_column, Booking.status == "confirmed")


def bookable_for(registration_id: int | None, now: datetime):
    """SQL condition: the slot is open and not held for someone else."""
    not_held = or_(Slot.held_for_registration_id.is_(None), Slot.held_until <= now)
    if registration_id is not None:
        not_held = or_(not_held, Slot.held_for_registration_id == registration_id)
    return and_(Slot.status == "open", not_held)


def free_times(exhibitor, registration_id: int | None = None, now: datetime | None = None) -> list[FreeTime]:
    """Future start times at ``exhibitor`` with a free table, tables grouped ("10:15", not per table)."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Slot.starts_at, func.min(Slot.ends_at), func.count(Slot.id))
        .where(
            Slot.exhibitor_id == exhibitor.id,
            Slot.starts_at > now,
            bookable_for(registration_id, now),
            ~live_booking_on(Slot.id),
        )
        .group_by(Slot.starts_at)
        .order_by(Slot.starts_at)
    ).all()
    return [FreeTime(starts, ends, count) for starts, ends, count in rows]


def free_slot_counts(event, now: datetime | None = None) -> dict[int, int]:
    """Exhibitor id -> number of free future slots, for the whole event in one query."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Slot.exhibitor_id, func.count(Slot.id))
        .where(Slot.event_id == event.id, Slot.starts_at > now, bookable_for(None, now), ~live_booking_on(Slot.id))
        .group_by(Slot.exhibitor_id)
    ).all()
    return dict(rows)


def nearest_alternatives(exhibitor, wanted: datetime, registration_id: int | None = None) -> list[datetime]:
    """Up to three free start times at ``exhibitor`` closest to ``wanted``, in time order."""
    times = [t.starts_at for t in free_times(exhibitor, registration_id) if t.starts_at != wanted]
    times.sort(key=lambda t: abs((t - wanted).total_seconds()))
    return sorted(times[:ALTERNATIVES])


# ---- rules -----------------------------------------------------------------------------------


def _live_bookings_of(registration_id: int, replacing: Booking | None):
    conditions = [Booking.registration_id == registration_id, Booking.status == "confirmed", Booking.walk_in.is_(False)]
    if replacing is not None:
        conditions.append(Booking.id != replacing.id)
    return conditions


def exhibitor_takes_bookings(exhibitor_id: int) -> bool:
    """The exhibitor is approved, read from the database with a share lock (PostgreSQL) held until
    commit: a decision taking it off the fair locks the row for update, so either it waits for
    this booking (and then counts and cancels it) or this booking waits and sees the new status."""
    return (
        db.session.scalar(select(Exhibitor.status).where(Exhibitor.id == exhibitor_id).with_for_update(read=True))
        == "approved"
    )


def check_rules(
    registration: Registration, slot: Slot, replacing: Booking | None = None, now: datetime | None = None
) -> None:
    """Raise the first rule ``registration`` would break by booking ``slot``.

    ``replacing``: the booking being rescheduled, which does not count against the new slot.
    Call inside the visitor lock for the answer to hold until commit."""
    now = now or utcnow()
    event = registration.event
    zone = event.timezone
    if registration.status != "registered" or registration.event_id != slot.event_id:
        raise NotRegistered(_("Only visitors registered for this event can book interviews."))
    if event.status not in EVENT_OPEN_STATUSES:
        raise BookingClosed(_("Booking is not open for this event."))
    if event.booking_opens_at and now < event.booking_opens_at:
        raise BookingClosed(_("Booking opens %(when)s.", when=format_datetime(event.booking_opens_at, zone)))
    if event.booking_closes_at and now >= event.booking_closes_at:
        raise BookingClosed(_("Booking closed %(when)s.", when=format_datetime(event.booking_closes_at, zone)))
    if slot.starts_at <= now:
        raise BookingClosed(_("That time has already started."))
    if slot.status != "open" or not exhibitor_takes_bookings(slot.exhibitor_id):
        raise SlotUnavailable(_("That time cannot be booked."))
    # One read of the visitor's live bookings (a handful), fresh from the database.
    mine = db.session.scalars(
        select(Booking).where(*_live_bookings_of(registration.id, replacing)).execution_options(populate_existing=True)
    ).all()
    overlapping = next((b for b in mine if b.starts_at < slot.ends_at and b.ends_at > slot.starts_at), None)
    if overlapping is not None:
        raise Overlap(
            _(
                "You already have an interview with %(name)s at %(time)s.",
                name=overlapping.exhibitor.name,
                time=format_time(overlapping.starts_at, zone),
            )
        )
    if len(mine) >= event.max_bookings_per_visitor:
        raise CapReached(
            _(
                "You have booked the most interviews allowed (%(n)d). Cancel one to book another.",
                n=event.max_bookings_per_visitor,
            )
        )
    if not event.allow_multiple_per_exhibitor and any(b.exhibitor_id == slot.exhibitor_id for b in mine):
        raise AlreadyBookedExhibitor(_("You already have an interview with this exhibitor."))


def _claim_slot_row(slot: Slot, registration_id: int, now: datetime) -> bool:
    """Lock the slot row if it is open and not held for someone else; clears a hold on it."""
    result = db.session.execute(
        update(Slot)
        .where(Slot.id == slot.id, bookable_for(registration_id, now))
        .values(held_for_registration_id=None, held_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(slot, ["held_for_registration_id", "held_until"])
    return result.rowcount == 1


def _is_visitor_conflict(exc: IntegrityError) -> bool:
    """The integrity error came from the one-booking-per-visitor-and-start index."""
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None) or str(exc.orig)
    return "visitor_start" in name or "booking.registration_id" in name


def _place(registration: Registration, candidates: list[Slot], put, now: datetime) -> Slot | None:
    """Claim the first of ``candidates`` that is free and run ``put(slot)`` (which writes the booking)
    in a savepoint; a slot lost to a concurrent booking is skipped. Returns the slot or None."""
    for slot in candidates:
        try:
            with db.session.begin_nested():
                if not _claim_slot_row(slot, registration.id, now):
                    continue
                put(slot)
                db.session.flush()
        except IntegrityError as exc:
            if _is_visitor_conflict(exc):
                raise Overlap(_("You already have an interview at that time.")) from exc
            continue
        return slot
    return None


def _taken(exhibitor, wanted: datetime, registration_id: int) -> SlotTaken:
    alternatives = nearest_alternatives(exhibitor, wanted, registration_id)
    return SlotTaken(_("Sorry, that time was just taken."), alternatives)


def _candidate_slots(exhibitor_id: int, starts_at: datetime, registration_id: int, now: datetime) -> list[Slot]:
    return list(
        db.session.scalars(
            select(Slot)
            .where(
                Slot.exhibitor_id == exhibitor_id,
                Slot.starts_at == starts_at,
                bookable_for(registration_id, now),
                ~live_booking_on(Slot.id),
            )
            .order_by(Slot.table_id)
        )
    )


def _slot_exists_at(exhibitor_id: int, starts_at: datetime) -> bool:
    return (
        db.session.scalar(
            select(Slot.id)
            .where(Slot.exhibitor_id == exhibitor_id, Slot.starts_at == starts_at, Slot.status == "open")
            .limit(1)
        )
        is not None
    )


def _run(work):
    """Run ``work()`` as one transaction: commit on success, roll back on any error."""
    try:
        result = work()
        db.session.commit()
        return result
    except OperationalError as exc:
        db.session.rollback()
        if "lock timeout" in str(exc.orig) or getattr(exc.orig, "sqlstate", None) == "55P03":
            raise Busy(_("Many people are booking right now. Please try again.")) from exc
        raise
    except BaseException:
        db.session.rollback()
        raise


# ---- booking ---------------------------------------------------------------------------------


def _new_booking(registration: Registration, actor, booking_box: list):
    def put(slot: Slot):
        booking = Booking(
            event_id=slot.event_id,
            exhibitor_id=slot.exhibitor_id,
            registration_id=registration.id,
            slot_id=slot.id,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            status="confirmed",
            sequence=0,
            booked_by_id=getattr(actor, "id", None),
        )
        db.session.add(booking)
        booking_box.append(booking)

    return put


def _book(registration: Registration, exhibitor, starts_at: datetime, actor, candidates: list[Slot] | None) -> Booking:
    now = utcnow()
    lock(Lock.VISITOR_BOOKINGS, registration.id, timeout=LOCK_TIMEOUT)
    if candidates is None:
        candidates = _candidate_slots(exhibitor.id, starts_at, registration.id, now)
    if not candidates:
        if _slot_exists_at(exhibitor.id, starts_at):
            raise _taken(exhibitor, starts_at, registration.id)
        raise SlotUnavailable(
            _("There is no interview at that time."), nearest_alternatives(exhibitor, starts_at, registration.id)
        )
    check_rules(registration, candidates[0], now=now)
    box: list[Booking] = []
    if _place(registration, candidates, _new_booking(registration, actor, box), now) is None:
        raise _taken(exhibitor, starts_at, registration.id)
    booking = box[-1]
    _close_waitlist_entries(registration.id, booking.exhibitor_id, now)
    booking_changed(booking, "created")
    return booking


def book(registration: Registration, exhibitor, starts_at: datetime, actor=None) -> Booking:
    """Book an interview with ``exhibitor`` at ``starts_at``; a free table is assigned.

    Raises a :class:`BookingError` subclass carrying the message for the visitor."""
    if exhibitor.event_id != registration.event_id:
        raise SlotUnavailable(_("That time cannot be booked."))
    return _run(lambda: _book(registration, exhibitor, starts_at, actor, None))


def book_slot(registration: Registration, slot: Slot, actor=None, then=None) -> Booking:
    """Book exactly ``slot`` (a waiting-list offer or a matching invitation names one table's slot).

    ``then(booking)`` runs in the same transaction once the booking is placed; what it raises
    undoes the booking (a matching invitation marks itself accepted there)."""

    def work():
        booking = _book(registration, slot.exhibitor, slot.starts_at, actor, [slot])
        if then is not None:
            then(booking)
        return booking

    return _run(work)


def cancel_booking(booking: Booking, actor=None, reason: str = "visitor", commit: bool = True) -> Booking:
    """Cancel a live booking and tell the visitor; the freed slot goes to the waiting list.

    A visitor may cancel until the interview starts; exhibitor staff and organisers (e.g. when a
    booked slot is removed) at any time. ``commit=False`` leaves the commit to the caller, who
    may be removing slots in the same transaction."""

    def work():
        now = utcnow()
        visitor_id = booking.registration.user_id
        if actor is not None and getattr(actor, "id", None) == visitor_id and booking.starts_at <= now:
            raise NotChangeable(_("The interview has already started and can no longer be cancelled."))
        result = db.session.execute(
            update(Booking)
            .where(Booking.id == booking.id, Booking.status == "confirmed")
            .values(
                status="cancelled",
                cancelled_at=now,
                cancelled_by_id=getattr(actor, "id", None),
                cancel_reason=(reason or "")[:200] or None,
                sequence=Booking.sequence + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise NotChangeable(_("This booking is already cancelled."))
        db.session.refresh(booking)
        booking_changed(booking, "cancelled")
        if booking.slot is not None and reason not in NOT_OFFERED_ON:
            offer_slot(booking.slot, now)
        return booking

    if commit:
        return _run(work)
    return work()


def reschedule(booking: Booking, new_slot_or_time, actor=None) -> Booking:
    """Move ``booking`` to another slot (a :class:`Slot`) or another time at the same exhibitor
    (a datetime). Atomic: the one booking row moves to the new slot in a single UPDATE guarded by
    the unique index, so the new slot is held before the old one is free, or nothing changes."""

    def work():
        now = utcnow()
        registration = booking.registration
        lock(Lock.VISITOR_BOOKINGS, registration.id, timeout=LOCK_TIMEOUT)
        db.session.refresh(booking)
        if booking.status != "confirmed":
            raise NotChangeable(_("This booking is cancelled."))
        if booking.starts_at <= now:
            raise NotChangeable(_("The interview has already started and can no longer be moved."))
        if isinstance(new_slot_or_time, Slot):
            exhibitor, wanted, candidates = new_slot_or_time.exhibitor, new_slot_or_time.starts_at, [new_slot_or_time]
        else:
            exhibitor, wanted = booking.exhibitor, new_slot_or_time
            candidates = _candidate_slots(exhibitor.id, wanted, registration.id, now)
        candidates = [s for s in candidates if s.id != booking.slot_id]
        if not candidates:
            if _slot_exists_at(exhibitor.id, wanted):
                raise _taken(exhibitor, wanted, registration.id)
            raise SlotUnavailable(
                _("There is no interview at that time."), nearest_alternatives(exhibitor, wanted, registration.id)
            )
        check_rules(registration, candidates[0], replacing=booking, now=now)
        old_slot = booking.slot

        def move(slot: Slot):
            # Conditional, so a cancellation committed meanwhile (it takes no visitor lock) wins.
            moved = db.session.execute(
                update(Booking)
                .where(Booking.id == booking.id, Booking.status == "confirmed")
                .values(
                    slot_id=slot.id,
                    exhibitor_id=slot.exhibitor_id,
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                    sequence=Booking.sequence + 1,
                )
                .execution_options(synchronize_session=False)
            ).rowcount
            if moved != 1:
                raise NotChangeable(_("This booking is cancelled."))

        if _place(registration, candidates, move, now) is None:
            raise _taken(exhibitor, wanted, registration.id)
        db.session.refresh(booking)
        booking_changed(booking, "rescheduled")
        if old_slot is not None:
            offer_slot(old_slot, now)
        return booking

    return _run(work)


def coming_bookings(exhibitor, now: datetime | None = None) -> list[Booking]:
    """The exhibitor's live booked interviews that have not started, in time order."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.exhibitor_id == exhibitor.id,
                Booking.status == "confirmed",
                Booking.walk_in.is_(False),
                Booking.starts_at > now,
            )
            .order_by(Booking.starts_at, Booking.id)
        )
    )


def withdraw_exhibitor_bookings(exhibitor, actor=None, now: datetime | None = None) -> list[Booking]:
    """The exhibitor no longer takes part: cancel its coming bookings (each visitor gets the
    cancellation message, pending reminders are cancelled, the time is free again) and close its
    waiting list, releasing slots held for it. Runs in the caller's transaction; returns the
    cancelled bookings."""
    now = now or utcnow()
    cancelled = []
    for booking in coming_bookings(exhibitor, now):
        try:
            cancelled.append(cancel_booking(booking, actor, reason=EXHIBITOR_WITHDRAWN, commit=False))
        except NotChangeable:
            continue  # the visitor cancelled it meanwhile
    db.session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.exhibitor_id == exhibitor.id, WaitlistEntry.status.in_(("waiting", "offered")))
        .values(status="closed")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Slot)
        .where(Slot.exhibitor_id == exhibitor.id, Slot.held_for_registration_id.isnot(None))
        .values(held_for_registration_id=None, held_until=None)
        .execution_options(synchronize_session=False)
    )
    return cancelled


# ---- waiting list ----------------------------------------------------------------------------


def join_waitlist(registration: Registration, exhibitor) -> WaitlistEntry:
    """Queue the visitor for the next free time at ``exhibitor``."""

    def work():
        if registration.status != "registered" or exhibitor.event_id != registration.event_id:
            raise NotRegistered(_("Only visitors registered for this event can join a waiting list."))
        if not exhibitor_takes_bookings(exhibitor.id):
            raise SlotUnavailable(_("That exhibitor takes no bookings."))
        entry = WaitlistEntry(exhibitor_id=exhibitor.id, registration_id=registration.id, status="waiting")
        try:
            with db.session.begin_nested():
                db.session.add(entry)
                db.session.flush()
        except IntegrityError as exc:
            raise WaitlistError(_("You are already on this waiting list.")) from exc
        return entry

    return _run(work)


def leave_waitlist(entry: WaitlistEntry) -> None:
    """Leave the line; a slot held for the visitor passes to the next in line."""

    def work():
        now = utcnow()
        result = db.session.execute(
            update(WaitlistEntry)
            .where(WaitlistEntry.id == entry.id, WaitlistEntry.status.in_(("waiting", "offered")))
            .values(status="left")
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise WaitlistError(_("You are not on this waiting list."))
        db.session.refresh(entry)
        release_held_slot(entry.offered_slot, entry.registration_id, now)

    _run(work)


def claim_offer(entry: WaitlistEntry, actor=None) -> Booking:
    """Book the slot held for the visitor by a waiting-list offer."""
    now = utcnow()
    if entry.status != "offered" or entry.offered_slot is None:
        raise WaitlistError(_("This offer is no longer open."))
    if entry.offer_expires_at is None or entry.offer_expires_at <= now:
        raise WaitlistError(_("This offer has expired and was passed on."))
    return book_slot(entry.registration, entry.offered_slot, actor)


def waitlist_entry(registration_id: int, exhibitor_id: int) -> WaitlistEntry | None:
    return db.session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.registration_id == registration_id,
            WaitlistEntry.exhibitor_id == exhibitor_id,
            WaitlistEntry.status.in_(("waiting", "offered")),
        )
    )


def _close_waitlist_entries(registration_id: int, exhibitor_id: int, now: datetime) -> None:
    """The visitor booked at this exhibitor: their place in its line is used up."""
    entry = waitlist_entry(registration_id, exhibitor_id)
    if entry is None:
        return
    entry.status = "claimed"
    db.session.flush()
    release_held_slot(entry.offered_slot, entry.registration_id, now)


def release_held_slot(slot: Slot | None, registration_id: int, now: datetime, pass_on: bool = True) -> bool:
    """Free ``slot`` if it is still held for ``registration_id`` (a conditional UPDATE, so a hold
    passed on meanwhile stays) and, with ``pass_on``, offer it to the next in the exhibitor's line.
    For waiting-list offers and matching invitations alike; runs in the caller's transaction.
    True if it was freed."""
    if slot is None:
        return False
    released = db.session.execute(
        update(Slot)
        .where(Slot.id == slot.id, Slot.held_for_registration_id == registration_id)
        .values(held_for_registration_id=None, held_until=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(slot, ["held_for_registration_id", "held_until"])
    if released and pass_on:
        offer_slot(slot, now)
    return bool(released)


def _waiting_entries(exhibitor_id: int, limit: int):
    q = (
        select(WaitlistEntry)
        .where(WaitlistEntry.exhibitor_id == exhibitor_id, WaitlistEntry.status == "waiting")
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        .limit(limit)
    )
    if is_postgres():
        q = q.with_for_update(skip_locked=True)
    return list(db.session.scalars(q))


def _eligible(entry: WaitlistEntry, slot: Slot, now: datetime) -> bool:
    try:
        check_rules(entry.registration, slot, now=now)
    except BookingError:
        return False
    return True


def offer_slot(slot: Slot, now: datetime | None = None) -> WaitlistEntry | None:
    """Hold a free ``slot`` for the first visitor in its exhibitor's line who could book it, and
    send them a claim link. Runs in the caller's transaction."""
    now = now or utcnow()
    if slot.status != "open" or slot.starts_at - WAITLIST_MIN_NOTICE <= now:
        return None
    for entry in _waiting_entries(slot.exhibitor_id, limit=50):
        if not _eligible(entry, slot, now):
            continue
        expires = min(now + WAITLIST_HOLD, slot.starts_at)
        held = db.session.execute(
            update(Slot)
            .where(Slot.id == slot.id, bookable_for(None, now))
            .values(held_for_registration_id=entry.registration_id, held_until=expires)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.expire(slot, ["held_for_registration_id", "held_until"])
        # The slot row is locked now, so a booking cannot appear on it before we commit.
        if not held or db.session.scalar(select(live_booking_on(slot.id))):
            return None
        entry.status, entry.offered_slot_id, entry.offer_expires_at = "offered", slot.id, expires
        entry.offers_made += 1
        db.session.flush()
        _queue_offer(entry, slot)
        return entry
    return None


def claim_url(entry: WaitlistEntry) -> str:
    return f"{current_app.config['BASE_URL']}/waitlist/claim/{CLAIM_LINK.token(entry)}"


def _queue_offer(entry: WaitlistEntry, slot: Slot) -> None:
    registration = entry.registration
    exhibitor = slot.exhibitor
    queue(
        WAITLIST_OFFER,
        user=registration.user,
        event=registration.event,
        subject=entry,
        version=entry.offers_made,
        expires_at=entry.offer_expires_at,
        payload={
            "exhibitor": exhibitor.name,
            "booth": exhibitor.booth_number or "",
            "starts_at": slot.starts_at.isoformat(),
            "ends_at": slot.ends_at.isoformat(),
            "expires_at": entry.offer_expires_at.isoformat(),
            "claim_url": claim_url(entry),
        },
    )


def expire_waitlist_offers() -> int:
    """Pass on lapsed holds and offer free slots to waiting visitors (beat, every minute).

    Free slots appear when holds lapse and when exhibitors add slots; both are picked up here.
    Returns the number of offers made."""
    now = utcnow()
    q = select(WaitlistEntry).where(WaitlistEntry.status == "offered", WaitlistEntry.offer_expires_at <= now)
    if is_postgres():
        q = q.with_for_update(skip_locked=True)
    for entry in db.session.scalars(q).all():
        entry.status = "expired"
        db.session.flush()
        # passed on below, with every other free slot, in line order
        release_held_slot(entry.offered_slot, entry.registration_id, now, pass_on=False)
    db.session.commit()
    offers = 0
    waiting_exhibitors = db.session.scalars(
        select(WaitlistEntry.exhibitor_id).where(WaitlistEntry.status == "waiting").distinct()
    ).all()
    for exhibitor_id in waiting_exhibitors:
        offers += _offer_free_slots(exhibitor_id, now)
        db.session.commit()
    return offers


def _offer_free_slots(exhibitor_id: int, now: datetime) -> int:
    slots = db.session.scalars(
        select(Slot)
        .where(
            Slot.exhibitor_id == exhibitor_id,
            Slot.starts_at > now + WAITLIST_MIN_NOTICE,
            bookable_for(None, now),
            ~live_booking_on(Slot.id),
        )
        .order_by(Slot.starts_at, Slot.table_id)
    ).all()
    offers = 0
    for slot in slots:
        if not _waiting_entries(exhibitor_id, limit=1):
            break
        if offer_slot(slot, now) is not None:
            offers += 1
    return offers


# ---- the exhibitor directory -----------------------------------------------------------------


@dataclass
class Listing:
    """An approved exhibitor in the directory, with the openings that match the filters."""

    exhibitor: object
    openings: list
    free_slots: int


def _matches_text(exhibitor, openings, needle: str) -> bool:
    texts = [exhibitor.name, exhibitor.sector or "", *(exhibitor.description or {}).values()]
    for opening in openings:
        texts += [*(opening.title or {}).values(), opening.location or "", opening.occupation or ""]
    return any(needle in (t or "").casefold() for t in texts)


def directory(
    event,
    q: str = "",
    occupation: str = "",
    language: str = "",
    country: str = "",
    employment_type: str = "",
    free_only: bool = False,
) -> list[Listing]:
    """Approved exhibitors at ``event`` filtered by what visitors ask for. Opening filters
    (occupation, country, employment type) keep exhibitors with at least one matching opening."""
    exhibitors = db.session.scalars(
        select(Exhibitor)
        .where(Exhibitor.event_id == event.id, Exhibitor.status == "approved")
        .options(selectinload(Exhibitor.openings))
        .order_by(Exhibitor.name)
    ).all()
    free = free_slot_counts(event)
    needle = (q or "").strip().casefold()
    listings = []
    for exhibitor in exhibitors:
        openings = [
            o
            for o in exhibitor.openings
            if (not occupation or o.occupation == occupation)
            and (not employment_type or o.employment_type == employment_type)
            and (not country or o.country == country)
        ]
        if (occupation or employment_type) and not openings:
            continue
        if country and not openings and country not in (exhibitor.job_countries or []):
            continue
        if language and language not in (exhibitor.booth_languages or []):
            continue
        if free_only and not free.get(exhibitor.id):
            continue
        if needle and not _matches_text(exhibitor, exhibitor.openings, needle):
            continue
        listings.append(
            Listing(
                exhibitor,
                openings if (occupation or employment_type or country) else list(exhibitor.openings),
                free.get(exhibitor.id, 0),
            )
        )
    return listings


def directory_choices(event) -> dict[str, list[str]]:
    """Codes present at ``event`` for the directory's filters (languages and job countries)."""
    rows = db.session.execute(
        select(Exhibitor.booth_languages, Exhibitor.job_countries).where(
            Exhibitor.event_id == event.id, Exhibitor.status == "approved"
        )
    ).all()
    countries = set(
        db.session.scalars(
            select(Opening.country)
            .join(Exhibitor)
            .where(Exhibitor.event_id == event.id, Exhibitor.status == "approved")
        )
    )
    languages = set()
    for booth_languages, job_countries in rows:
        languages.update(booth_languages or [])
        countries.update(job_countries or [])
    return {"languages": sorted(languages), "countries": sorted(c for c in countries if c)}
