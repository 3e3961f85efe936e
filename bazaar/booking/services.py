"""Booking, cancelling and rescheduling interviews (book, book_slot, book_seat, claim_offer, cancel_booking,
reschedule), and an exhibitor's coming bookings. Every rule (bazaar/booking/rules.py) is checked
in the transaction that writes the booking. How that holds under concurrency:

* Per visitor, writes are serialised: on PostgreSQL with the advisory lock
  ``Lock.VISITOR_BOOKINGS`` (bazaar/locking.py) on the registration (SQLite runs every transaction
  as ``BEGIN IMMEDIATE``, one writer at a time). Inside that lock the overlap, cap and
  one-per-exhibitor rules read committed data, so two requests by one visitor cannot both pass them.
  The unique (registration, start) index is the backstop. A new booking takes the lock inside its
  free-table query (``taken_in_statement``) and reads the visitor's bookings in the next statement.
* Per slot, the claim is conditional: an ``UPDATE slot ... WHERE status = 'open' AND not held for
  someone else`` locks the slot row, then the booking INSERT relies on the partial unique index of
  live bookings per slot. A new booking does this in one statement (:func:`_claim_statements`,
  ``ON CONFLICT DO NOTHING``, no savepoint); if that claims nothing, the tables are tried one by one
  in savepoints (:func:`_place`), where the loser of a race gets an IntegrityError, mapped to
  :class:`SlotTaken`. Nothing is decided by a read followed by a write.

Every change raises ``Booking.sequence`` and calls
:func:`bazaar.booking.notifications.booking_changed` in the same transaction.
"""

from datetime import datetime
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import Integer, and_, bindparam, exists, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, make_transient_to_detached

from bazaar.booking.errors import NotChangeable, Overlap, SlotTaken, SlotUnavailable, WaitlistError, run
from bazaar.booking.models import (
    Attendance,
    Booking,
    BookingChange,
    BookingStatus,
    CancelReason,
    Slot,
    SlotStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from bazaar.booking.notifications import booking_changed
from bazaar.booking.rules import (
    approved_exhibitor,
    bookable_for,
    check_rules,
    exhibitor_takes_bookings,
    live_booking_on,
)
from bazaar.booking.waitlist import close_waitlist, close_waitlist_entries, offer_slot, release_held_slot
from bazaar.clock import utcnow
from bazaar.database import insert_skipping_conflicts, is_postgres, note_written
from bazaar.extensions import db
from bazaar.locking import Lock, lock, taken_in_statement
from bazaar.registrations.models import Registration

LOCK_TIMEOUT = "10s"
# Reasons whose freed slot is not offered to the waiting list.
NOT_OFFERED_ON = (CancelReason.SLOT_REMOVED, CancelReason.EXHIBITOR_WITHDRAWN)


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


def _place(registration: Registration, candidates: list[Slot], put, now: datetime) -> Booking | None:
    """Claim the first of ``candidates`` that is free and run ``put(slot)``, which writes the booking
    and returns it, in a savepoint; a slot lost to a concurrent booking is skipped. Returns the
    booking ``put`` returned, or None if every candidate was lost."""
    for slot in candidates:
        try:
            with db.session.begin_nested():
                if not _claim_slot_row(slot, registration.id, now):
                    continue
                booking = put(slot)
                db.session.flush()
        except IntegrityError as exc:
            if _is_visitor_conflict(exc):
                raise Overlap(_("You already have an interview at that time.")) from exc
            continue
        return booking
    return None


def _taken() -> SlotTaken:
    return SlotTaken(_("Sorry, that time was just taken."))


@cache
def _candidate_statement(on_postgres: bool):
    """The statement of :func:`_candidate_slots`, built once per process (and so compiled once):
    the free tables at exhibitor ``exhibitor`` and time ``starts``, with their table, in table order,
    taking the lock of visitor ``visitor`` first (``taken_in_statement``)."""
    registration_id = bindparam("visitor", type_=Integer())
    exhibitor_id = bindparam("exhibitor", type_=Integer())
    return (
        select(Slot)
        .where(
            Slot.exhibitor_id == exhibitor_id,
            Slot.starts_at == bindparam("starts", type_=Slot.starts_at.type),
            bookable_for(registration_id, bindparam("now", type_=Slot.held_until.type)),
            ~live_booking_on(Slot.id, exhibitor_id),
            taken_in_statement(Lock.VISITOR_BOOKINGS, registration_id, timeout=LOCK_TIMEOUT),
        )
        .options(joinedload(Slot.table))
        .order_by(Slot.table_id)
    )


def _candidate_slots(exhibitor_id: int, starts_at: datetime, registration_id: int, now: datetime) -> list[Slot]:
    """The free tables at ``exhibitor_id`` and ``starts_at``, with their table, in table order;
    bounded by the exhibitor and the time (indexed), whatever other fairs hold. The same statement
    takes the visitor's lock first."""
    params = {"exhibitor": exhibitor_id, "starts": starts_at, "visitor": registration_id, "now": now}
    return list(db.session.scalars(_candidate_statement(is_postgres()), params))


def _slot_exists_at(exhibitor_id: int, starts_at: datetime) -> bool:
    return (
        db.session.scalar(
            select(Slot.id)
            .where(Slot.exhibitor_id == exhibitor_id, Slot.starts_at == starts_at, Slot.status == SlotStatus.OPEN)
            .limit(1)
        )
        is not None
    )


def _new_booking(registration: Registration, actor):
    def put(slot: Slot) -> Booking:
        booking = Booking(
            event_id=slot.event_id,
            exhibitor_id=slot.exhibitor_id,
            registration_id=registration.id,
            slot_id=slot.id,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            status=BookingStatus.CONFIRMED,
            sequence=0,
            booked_by_id=getattr(actor, "id", None),
        )
        db.session.add(booking)
        return booking

    return put


# A new booking's columns that are the same for every booking (the slot and the visitor give the rest).
NEW_BOOKING = {
    "status": BookingStatus.CONFIRMED,
    "walk_in": False,
    "sequence": 0,
    "attendance": Attendance.UNKNOWN,
}
# ... and those the claim's parameters give (_run_claim), by the parameter's name. The names are
# no column's: SQLAlchemy would take a parameter named like a column as a value to write there.
NEW_BOOKING_PARAMETERS = {"registration_id": "visitor", "booked_by_id": "actor", "created_at": "now"}


@cache
def _claim_statements(on_postgres: bool) -> tuple:
    """The claim of :func:`_claim`, built once per process with named parameters, so SQLAlchemy
    compiles it once: take the first free ``candidates`` slot (in table order) under its row
    lock if the exhibitor still takes bookings (its row share-locked), clear a hold on it, write the
    booking (``ON CONFLICT DO NOTHING``: the unique indexes of live bookings decide a race) and
    close the visitor's place in the exhibitor's waiting line. PostgreSQL: one statement of
    data-modifying CTEs returning (booking id, slot id, the slot the closed place had been offered),
    skipping a candidate another claim has locked. SQLite, one writer at a time: the booking INSERT
    and the waiting-line UPDATE (a hold on the slot is cleared in between)."""
    registration_id = bindparam("visitor", type_=Integer())
    exhibitor_id = bindparam("exhibitor", type_=Integer())
    now = bindparam("now", type_=Slot.held_until.type)
    free = and_(
        Slot.id.in_(bindparam("candidates", expanding=True)),
        bookable_for(registration_id, now),
        ~live_booking_on(Slot.id, exhibitor_id),
        Slot.exhibitor_id.in_(approved_exhibitor(exhibitor_id).scalar_subquery()),
    )
    picked = select(Slot.id).where(free).order_by(Slot.table_id, Slot.seat, Slot.id).limit(1)
    columns = Booking.__table__.c
    own = {name: literal(value, columns[name].type) for name, value in NEW_BOOKING.items()}
    own.update({name: bindparam(key, type_=columns[name].type) for name, key in NEW_BOOKING_PARAMETERS.items()})
    slot_columns = ("event_id", "exhibitor_id", "slot_id", "starts_at", "ends_at")
    close_place = (
        update(WaitlistEntry.__table__)
        .where(
            WaitlistEntry.registration_id == registration_id,
            WaitlistEntry.exhibitor_id == exhibitor_id,
            WaitlistEntry.in_line,
        )
        .values(status=WaitlistStatus.CLAIMED)
        .returning(WaitlistEntry.offered_slot_id)
    )
    if not on_postgres:
        taken = Slot.__table__.c
        book_first_free = (
            insert_skipping_conflicts(Booking.__table__)
            .from_select(
                [*slot_columns, *own],
                select(
                    taken.event_id, taken.exhibitor_id, taken.id, taken.starts_at, taken.ends_at, *own.values()
                ).where(Slot.id == picked.scalar_subquery()),
            )
            .returning(Booking.id, Booking.slot_id)
        )
        return book_first_free, close_place
    unlocked = picked.with_for_update(skip_locked=True)
    claimed = (
        update(Slot.__table__)
        .where(Slot.id == unlocked.scalar_subquery(), bookable_for(registration_id, now))
        .values(held_for_registration_id=None, held_until=None)
        .returning(Slot.event_id, Slot.exhibitor_id, Slot.id.label("slot_id"), Slot.starts_at, Slot.ends_at)
        .cte("claimed")
    )
    booked = (
        insert_skipping_conflicts(Booking.__table__)
        .from_select([*slot_columns, *own], select(*(claimed.c[name] for name in slot_columns), *own.values()))
        .returning(Booking.id, Booking.slot_id)
        .cte("booked")
    )
    closed = close_place.where(exists(select(booked.c.id))).cte("closed")
    offered = select(closed.c.offered_slot_id).limit(1).scalar_subquery()
    return (select(booked.c.id, booked.c.slot_id, offered),)


def _run_claim(registration: Registration, candidates: list[Slot], actor, now: datetime):
    """Run :func:`_claim_statements`: (booking id, slot id, offered slot id), or None if no
    candidate could be claimed."""
    params = {
        "visitor": registration.id,
        "exhibitor": candidates[0].exhibitor_id,
        "candidates": [slot.id for slot in candidates],
        "now": now,
        "actor": getattr(actor, "id", None),
    }
    if is_postgres():
        [claim] = _claim_statements(True)
        return db.session.execute(claim, params).first()
    book_first_free, close_place = _claim_statements(False)
    row = db.session.execute(book_first_free, params).first()
    if row is None:
        return None
    booking_id, slot_id = row
    slot = next(slot for slot in candidates if slot.id == slot_id)
    if slot.held_for_registration_id is not None:
        _claim_slot_row(slot, registration.id, now)
    return booking_id, slot_id, db.session.scalar(close_place, params)


def _claim(registration: Registration, candidates: list[Slot], actor, now: datetime) -> Booking | None:
    """Claim the first free of ``candidates`` and write the booking (:func:`_claim_statements`);
    returns the booking as a session object (not read back), or None if none could be claimed."""
    row = _run_claim(registration, candidates, actor, now)
    if row is None:
        return None
    booking_id, slot_id, offered_slot_id = row
    note_written("booking")
    slot = next(slot for slot in candidates if slot.id == slot_id)
    db.session.expire(slot, ["held_for_registration_id", "held_until"])
    booking = Booking(
        id=booking_id,
        event_id=slot.event_id,
        exhibitor_id=slot.exhibitor_id,
        slot_id=slot.id,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        cancel_reason=None,
        registration_id=registration.id,
        booked_by_id=getattr(actor, "id", None),
        created_at=now,
        **NEW_BOOKING,
    )
    make_transient_to_detached(booking)
    db.session.add(booking)
    if offered_slot_id is not None and offered_slot_id != slot.id:
        release_held_slot(db.session.get(Slot, offered_slot_id), registration.id, now)
    return booking


def _book(registration: Registration, exhibitor, starts_at: datetime, actor, candidates: list[Slot] | None) -> Booking:
    now = utcnow()
    if candidates is None:
        candidates = _candidate_slots(exhibitor.id, starts_at, registration.id, now)
    else:
        lock(Lock.VISITOR_BOOKINGS, registration.id, timeout=LOCK_TIMEOUT)
    if not candidates:
        if _slot_exists_at(exhibitor.id, starts_at):
            raise _taken()
        raise SlotUnavailable(_("There is no interview at that time."))
    check_rules(registration, candidates[0], now=now, exhibitor_in_claim=True)
    booking = _claim(registration, candidates, actor, now)
    if booking is None:
        # Lost a race for every table, or one is locked by a claim still running: take them one by
        # one, waiting for each lock, so a claim that rolls back does not leave its table unbooked.
        if not exhibitor_takes_bookings(exhibitor.id):
            raise SlotUnavailable(_("That time cannot be booked."))
        booking = _place(registration, candidates, _new_booking(registration, actor), now)
        if booking is None:
            raise _taken()
        close_waitlist_entries(registration.id, booking.exhibitor_id, now)
    booking_changed(booking, BookingChange.CREATED)
    return booking


def book(registration: Registration, exhibitor, starts_at: datetime, actor=None) -> Booking:
    """Book an interview with ``exhibitor`` at ``starts_at``; a free table is assigned.

    Raises a :class:`BookingError` subclass carrying the message for the visitor."""
    if exhibitor.event_id != registration.event_id:
        raise SlotUnavailable(_("That time cannot be booked."))
    return run(lambda: _book(registration, exhibitor, starts_at, actor, None))


def book_slot(registration: Registration, slot: Slot, actor=None, then=None) -> Booking:
    """Book exactly ``slot`` (a waiting-list offer or a matching invitation names one table's slot).

    ``then(booking)`` runs in the same transaction once the booking is placed; what it raises
    undoes the booking (a matching invitation marks itself accepted there)."""

    def work():
        booking = _book(registration, slot.exhibitor, slot.starts_at, actor, [slot])
        if then is not None:
            then(booking)
        return booking

    return run(work)


def book_seat(registration: Registration, seats: list[Slot], actor=None) -> Booking:
    """Book one of ``seats``: free seats of one employer in one round of a speed-dating session
    (:mod:`bazaar.booking.speeddating`). A seat lost to a concurrent booking passes to the next, so
    a round fills to its last seat and never beyond (one live booking per slot)."""
    first = seats[0]
    return run(lambda: _book(registration, first.exhibitor, first.starts_at, actor, seats))


def cancel_booking(booking: Booking, actor=None, reason: str = CancelReason.VISITOR, commit: bool = True) -> Booking:
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
            .where(Booking.id == booking.id, Booking.is_live)
            .values(
                status=BookingStatus.CANCELLED,
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
        booking_changed(booking, BookingChange.CANCELLED)
        if booking.slot is not None and reason not in NOT_OFFERED_ON:
            offer_slot(booking.slot, now)
        return booking

    if commit:
        return run(work)
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
        if not booking.is_live:
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
                raise _taken()
            raise SlotUnavailable(_("There is no interview at that time."))
        check_rules(registration, candidates[0], replacing=booking, now=now)
        old_slot = booking.slot

        def move(slot: Slot) -> Booking:
            # Conditional, so a cancellation committed meanwhile (it takes no visitor lock) wins.
            moved = db.session.execute(
                update(Booking)
                .where(Booking.id == booking.id, Booking.is_live)
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
            return booking

        if _place(registration, candidates, move, now) is None:
            raise _taken()
        db.session.refresh(booking)
        booking_changed(booking, BookingChange.RESCHEDULED)
        if old_slot is not None:
            offer_slot(old_slot, now)
        return booking

    return run(work)


def coming_bookings(exhibitor, now: datetime | None = None) -> list[Booking]:
    """The exhibitor's live booked interviews that have not started, in time order."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.exhibitor_id == exhibitor.id,
                Booking.is_live,
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
            cancelled.append(cancel_booking(booking, actor, reason=CancelReason.EXHIBITOR_WITHDRAWN, commit=False))
        except NotChangeable:
            continue  # the visitor cancelled it meanwhile
    close_waitlist(exhibitor.id)
    return cancelled


def claim_offer(entry: WaitlistEntry, actor=None) -> Booking:
    """Book the slot held for the visitor by a waiting-list offer."""
    now = utcnow()
    if entry.status != WaitlistStatus.OFFERED or entry.offered_slot is None:
        raise WaitlistError(_("This offer is no longer open."))
    if entry.offer_expires_at is None or entry.offer_expires_at <= now:
        raise WaitlistError(_("This offer has expired and was passed on."))
    return book_slot(entry.registration, entry.offered_slot, actor)
