"""The interview waiting list: join and leave a line, offer a freed slot to the first in line
who could book it (held for them, with a claim link), release holds and pass lapsed offers on.
Claiming an offer is a booking: :func:`bazaar.booking.services.claim_offer`."""

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bazaar.booking.errors import BookingError, NotRegistered, SlotUnavailable, WaitlistError, run
from bazaar.booking.models import Slot, SlotStatus, WaitlistEntry, WaitlistStatus
from bazaar.booking.notifications import WAITLIST_OFFER
from bazaar.booking.rules import bookable_for, check_rules, exhibitor_takes_bookings, live_booking_on
from bazaar.clock import utcnow
from bazaar.database import is_postgres
from bazaar.extensions import db
from bazaar.notifications.services import queue
from bazaar.registrations.models import Registration, RegistrationStatus
from bazaar.tokens import SignedLink

WAITLIST_HOLD = timedelta(minutes=30)
# An offer shorter than this before the interview starts is not worth making.
WAITLIST_MIN_NOTICE = timedelta(minutes=5)
# The link in a waiting-list offer, good only while that very offer stands (``offers_made``); it
# outlives the hold by an hour so a late click hears "gone", not "broken link".
CLAIM_LINK = SignedLink(
    "waitlist.claim", WaitlistEntry, {"w": "id", "n": "offers_made"}, WAITLIST_HOLD + timedelta(hours=1)
)


def join_waitlist(registration: Registration, exhibitor) -> WaitlistEntry:
    """Queue the visitor for the next free time at ``exhibitor``."""

    def work():
        if registration.status != RegistrationStatus.REGISTERED or exhibitor.event_id != registration.event_id:
            raise NotRegistered(_("Only visitors registered for this event can join a waiting list."))
        if not exhibitor_takes_bookings(exhibitor.id):
            raise SlotUnavailable(_("That exhibitor takes no bookings."))
        entry = WaitlistEntry(exhibitor_id=exhibitor.id, registration_id=registration.id, status=WaitlistStatus.WAITING)
        try:
            with db.session.begin_nested():
                db.session.add(entry)
                db.session.flush()
        except IntegrityError as exc:
            raise WaitlistError(_("You are already on this waiting list.")) from exc
        return entry

    return run(work)


def leave_waitlist(entry: WaitlistEntry) -> None:
    """Leave the line; a slot held for the visitor passes to the next in line."""

    def work():
        now = utcnow()
        result = db.session.execute(
            update(WaitlistEntry)
            .where(WaitlistEntry.id == entry.id, WaitlistEntry.in_line)
            .values(status=WaitlistStatus.LEFT)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise WaitlistError(_("You are not on this waiting list."))
        db.session.refresh(entry)
        release_held_slot(entry.offered_slot, entry.registration_id, now)

    run(work)


def waitlist_entry(registration_id: int, exhibitor_id: int) -> WaitlistEntry | None:
    return db.session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.registration_id == registration_id,
            WaitlistEntry.exhibitor_id == exhibitor_id,
            WaitlistEntry.in_line,
        )
    )


def close_waitlist_entries(registration_id: int, exhibitor_id: int, now: datetime) -> None:
    """The visitor booked at this exhibitor: their place in its line is used up."""
    entry = waitlist_entry(registration_id, exhibitor_id)
    if entry is None:
        return
    entry.status = WaitlistStatus.CLAIMED
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


def close_waitlist(exhibitor_id: int) -> None:
    """The exhibitor takes no more bookings: close its line and release the slots held for it."""
    db.session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.exhibitor_id == exhibitor_id, WaitlistEntry.in_line)
        .values(status=WaitlistStatus.CLOSED)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Slot)
        .where(Slot.exhibitor_id == exhibitor_id, Slot.held_for_registration_id.isnot(None))
        .values(held_for_registration_id=None, held_until=None)
        .execution_options(synchronize_session=False)
    )


def _waiting_entries(exhibitor_id: int, limit: int):
    q = (
        select(WaitlistEntry)
        .where(WaitlistEntry.exhibitor_id == exhibitor_id, WaitlistEntry.status == WaitlistStatus.WAITING)
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
    if slot.status != SlotStatus.OPEN or slot.starts_at - WAITLIST_MIN_NOTICE <= now:
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
        entry.status, entry.offered_slot_id, entry.offer_expires_at = WaitlistStatus.OFFERED, slot.id, expires
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
    q = select(WaitlistEntry).where(
        WaitlistEntry.status == WaitlistStatus.OFFERED, WaitlistEntry.offer_expires_at <= now
    )
    if is_postgres():
        q = q.with_for_update(skip_locked=True)
    for entry in db.session.scalars(q).all():
        entry.status = WaitlistStatus.EXPIRED
        db.session.flush()
        # passed on below, with every other free slot, in line order
        release_held_slot(entry.offered_slot, entry.registration_id, now, pass_on=False)
    db.session.commit()
    offers = 0
    waiting_exhibitors = db.session.scalars(
        select(WaitlistEntry.exhibitor_id).where(WaitlistEntry.status == WaitlistStatus.WAITING).distinct()
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
            ~live_booking_on(Slot.id, exhibitor_id),
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
