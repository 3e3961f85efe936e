"""Every booking rule, on both backends, through bazaar.booking.services."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from bazaar.booking import errors, rules, services
from bazaar.booking.models import Booking, CancelReason, Slot
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from tests import factories as f

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def fair(ctx):
    event = f.event()
    exhibitor = f.exhibitor(event, tables=3, booth_number="S07")
    slots = f.slots_for(exhibitor, count=6)
    return event, exhibitor, slots


def _at(event, minutes):
    return event.starts_at + timedelta(minutes=minutes)


def _live(**where):
    q = select(func.count(Booking.id)).where(Booking.status == "confirmed")
    for key, value in where.items():
        q = q.where(getattr(Booking, key) == value)
    return db.session.scalar(q)


def test_book_assigns_a_free_table_and_the_loser_is_offered_the_nearest_times(fair):
    event, exhibitor, _ = fair
    regs = [f.registration(event) for _ in range(4)]
    bookings = [services.book(reg, exhibitor, _at(event, 20), actor=reg.user) for reg in regs[:3]]
    assert len({b.slot.table_id for b in bookings}) == 3
    assert all(b.starts_at == _at(event, 20) and b.ends_at == _at(event, 30) for b in bookings)
    assert bookings[0].sequence == 0 and bookings[0].booked_by_id == regs[0].user_id

    with pytest.raises(errors.SlotTaken) as taken:
        services.book(regs[3], exhibitor, _at(event, 20))
    assert "just taken" in taken.value.message
    assert _live(registration_id=regs[3].id) == 0
    # nearest first (10:10 and 10:30, then the earlier of the two 20 minutes away), shown in time order
    nearby = rules.nearest_offers(rules.offers_for(regs[3], exhibitor), _at(event, 20))
    assert [o.time.starts_at for o in nearby] == [_at(event, 0), _at(event, 10), _at(event, 30)]


def test_free_times_are_grouped_per_start_time(fair):
    event, exhibitor, _ = fair
    services.book(f.registration(event), exhibitor, _at(event, 0))
    times = rules.free_times(exhibitor)
    assert [t.starts_at for t in times] == [_at(event, 10 * i) for i in range(6)]
    assert times[0].free_tables == 2 and times[1].free_tables == 3
    assert rules.free_slot_counts(event) == {exhibitor.id: 17}


def test_a_race_lost_at_the_insert_is_a_friendly_error_not_a_crash(fair, monkeypatch):
    """Two requests both saw the slot free; the second INSERT hits the unique index."""
    event, exhibitor, slots = fair
    single = f.exhibitor(event, tables=1)
    [slot] = f.slots_for(single, count=1)
    f.booked(f.registration(event), slot)
    monkeypatch.setattr(services, "_candidate_slots", lambda exhibitor_id, starts_at, reg_id, now, **_: [slot])
    with pytest.raises(errors.SlotTaken):
        services.book(f.registration(event), single, slot.starts_at)
    assert _live(slot_id=slot.id) == 1
    # with several tables the next free one is taken instead
    first = next(s for s in slots if s.starts_at == _at(event, 0))
    f.booked(f.registration(event), first)
    monkeypatch.setattr(
        services,
        "_candidate_slots",
        lambda exhibitor_id, starts_at, reg_id, now, **_: sorted(
            [s for s in slots if s.starts_at == starts_at], key=lambda s: s.table_id
        ),
    )
    booking = services.book(f.registration(event), exhibitor, _at(event, 0))
    assert booking.slot_id != first.id


def test_no_two_bookings_for_one_visitor_that_overlap(fair):
    event, exhibitor, _ = fair
    other = f.exhibitor(event, tables=1)
    f.slots_for(other, start=_at(event, 5), count=3)
    reg = f.registration(event)
    services.book(reg, exhibitor, _at(event, 0))
    with pytest.raises(errors.Overlap) as overlap:
        services.book(reg, other, _at(event, 5))
    assert exhibitor.name in overlap.value.message
    booking = services.book(reg, other, _at(event, 15))  # starts after 10:10 ends
    assert booking.exhibitor_id == other.id


def test_cap_per_visitor_is_configurable(fair):
    event, _, _ = fair
    event.max_bookings_per_visitor = 2
    db.session.commit()
    exhibitors = [f.exhibitor(event) for _ in range(3)]
    for i, ex in enumerate(exhibitors):
        f.slots_for(ex, start=_at(event, 20 * i), count=1)
    reg = f.registration(event)
    services.book(reg, exhibitors[0], _at(event, 0))
    services.book(reg, exhibitors[1], _at(event, 20))
    with pytest.raises(errors.CapReached) as cap:
        services.book(reg, exhibitors[2], _at(event, 40))
    assert "(2)" in cap.value.message
    assert _live(registration_id=reg.id) == 2


def test_default_cap_is_three(fair):
    event, _, _ = fair
    assert event.max_bookings_per_visitor == 3
    reg = f.registration(event)
    for i in range(4):
        ex = f.exhibitor(event)
        f.slots_for(ex, start=_at(event, 20 * i), count=1)
        if i < 3:
            services.book(reg, ex, _at(event, 20 * i))
        else:
            with pytest.raises(errors.CapReached):
                services.book(reg, ex, _at(event, 20 * i))


def test_one_booking_per_exhibitor_unless_the_organiser_allows_more(fair):
    event, exhibitor, _ = fair
    reg = f.registration(event)
    services.book(reg, exhibitor, _at(event, 0))
    with pytest.raises(errors.AlreadyBookedExhibitor):
        services.book(reg, exhibitor, _at(event, 30))
    event.allow_multiple_per_exhibitor = True
    db.session.commit()
    assert services.book(reg, exhibitor, _at(event, 30)).exhibitor_id == exhibitor.id


def test_booking_window(fair, clock):
    event, exhibitor, _ = fair
    reg = f.registration(event)
    event.booking_opens_at = utcnow() + timedelta(days=1)
    db.session.commit()
    with pytest.raises(errors.BookingClosed) as closed:
        services.book(reg, exhibitor, _at(event, 0))
    assert "Booking opens" in closed.value.message
    event.booking_opens_at = utcnow() - timedelta(days=1)
    event.booking_closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(errors.BookingClosed):
        services.book(reg, exhibitor, _at(event, 0))
    event.booking_closes_at = None
    db.session.commit()
    assert services.book(reg, exhibitor, _at(event, 0))
    # once the slot has started it cannot be booked
    clock.advance(days=10, minutes=15)
    with pytest.raises((errors.BookingClosed, errors.SlotUnavailable)):
        services.book(f.registration(event), exhibitor, _at(event, 10))
    later = f.exhibitor(event, tables=1)
    [past] = f.slots_for(later, start=utcnow() - timedelta(minutes=5), count=1)
    with pytest.raises(errors.BookingClosed):
        services.book_slot(f.registration(event), past)


def test_only_registered_visitors_book(fair):
    event, exhibitor, _ = fair
    for status in ("waitlisted", "offered", "cancelled"):
        with pytest.raises(errors.NotRegistered):
            services.book(f.registration(event, status=status), exhibitor, _at(event, 0))
    elsewhere = f.registration(f.event())
    with pytest.raises(errors.SlotUnavailable):
        services.book(elsewhere, exhibitor, _at(event, 0))
    assert _live() == 0


def test_blocked_slots_and_unapproved_exhibitors_are_not_bookable(fair):
    event, exhibitor, slots = fair
    for slot in slots:
        if slot.starts_at == _at(event, 0):
            slot.status = "blocked"
    db.session.commit()
    reg = f.registration(event)
    with pytest.raises(errors.SlotUnavailable):
        services.book(reg, exhibitor, _at(event, 0))
    assert rules.nearest_offers(rules.offers_for(reg, exhibitor), _at(event, 0))[0].time.starts_at == _at(event, 10)
    pending = f.exhibitor(event, status="applied")
    [slot] = f.slots_for(pending, count=1)
    with pytest.raises(errors.SlotUnavailable):
        services.book_slot(f.registration(event), slot)
    with pytest.raises(errors.SlotUnavailable):
        services.book(f.registration(event), exhibitor, _at(event, 3))  # no slot at 10:03


def test_booking_queues_the_confirmation_in_the_same_transaction(fair):
    event, exhibitor, _ = fair
    reg = f.registration(event)
    booking = services.book(reg, exhibitor, _at(event, 0))
    kinds = set(
        db.session.scalars(
            select(OutboxMessage.kind).where(
                OutboxMessage.subject_id == booking.id, OutboxMessage.subject_type == "booking"
            )
        )
    )
    assert "booking_confirmed" in kinds


def test_a_failing_notification_rolls_the_booking_back(fair, monkeypatch):
    event, exhibitor, _ = fair

    def broken(booking, change):
        raise RuntimeError("mail template missing")

    monkeypatch.setattr(services, "booking_changed", broken)
    with pytest.raises(RuntimeError):
        services.book(f.registration(event), exhibitor, _at(event, 0))
    assert _live() == 0


def test_cancel_bumps_sequence_frees_the_slot_and_tells_the_visitor(fair, clock):
    event, exhibitor, _ = fair
    reg = f.registration(event)
    booking = services.book(reg, exhibitor, _at(event, 0))
    services.cancel_booking(booking, reg.user, "visitor")
    assert booking.status == "cancelled" and booking.sequence == 1 and booking.cancelled_by_id == reg.user_id
    assert (
        db.session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.kind == "booking_cancelled", OutboxMessage.subject_id == booking.id
            )
        )
        is not None
    )
    assert rules.free_times(exhibitor)[0].free_tables == 3
    with pytest.raises(errors.NotChangeable):
        services.cancel_booking(booking, reg.user, "visitor")
    assert booking.sequence == 1
    # the visitor cannot cancel once the interview started; the exhibitor's staff can
    again = services.book(reg, exhibitor, _at(event, 10))
    clock.advance(days=10, minutes=12)
    with pytest.raises(errors.NotChangeable):
        services.cancel_booking(again, reg.user, "visitor")
    staff = f.exhibitor_staff(exhibitor)
    services.cancel_booking(again, staff, CancelReason.SLOT_REMOVED)
    assert again.status == "cancelled" and again.cancel_reason == "slot_removed"


def test_reschedule_moves_the_same_booking_and_frees_the_old_slot(fair):
    event, exhibitor, _ = fair
    reg = f.registration(event)
    booking = services.book(reg, exhibitor, _at(event, 0))
    old_slot = booking.slot_id
    moved = services.reschedule(booking, _at(event, 30))
    assert moved.id == booking.id and moved.starts_at == _at(event, 30) and moved.sequence == 1
    assert _live(slot_id=old_slot) == 0 and _live(registration_id=reg.id) == 1
    assert (
        db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "booking_changed", OutboxMessage.subject_id == booking.id)
        )
        is not None
    )
    # to a given slot at another exhibitor
    other = f.exhibitor(event, tables=1)
    [slot] = f.slots_for(other, start=_at(event, 50), count=1)
    services.reschedule(booking, slot)
    assert booking.slot_id == slot.id and booking.exhibitor_id == other.id and booking.sequence == 2


def test_reschedule_is_all_or_nothing(fair, monkeypatch):
    event, exhibitor, slots = fair
    reg = f.registration(event)
    booking = services.book(reg, exhibitor, _at(event, 0))
    # target fully booked: nothing changes
    for table_slot in [s for s in slots if s.starts_at == _at(event, 30)]:
        f.booked(f.registration(event), table_slot)
    with pytest.raises(errors.SlotTaken):
        services.reschedule(booking, _at(event, 30))
    db.session.refresh(booking)
    assert booking.starts_at == _at(event, 0) and booking.sequence == 0 and booking.status == "confirmed"
    # the new time overlaps another of the visitor's bookings: nothing changes
    other = f.exhibitor(event, tables=1)
    f.slots_for(other, start=_at(event, 40), count=1)
    services.book(reg, other, _at(event, 40))
    with pytest.raises(errors.Overlap):
        services.reschedule(booking, _at(event, 40))
    db.session.refresh(booking)
    assert booking.starts_at == _at(event, 0)
    # a failure after the move (the notification) undoes the move too
    monkeypatch.setattr(services, "booking_changed", lambda b, change: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        services.reschedule(booking, _at(event, 10))
    db.session.refresh(booking)
    assert booking.starts_at == _at(event, 0) and booking.sequence == 0
    assert _live(slot_id=booking.slot_id) == 1
    # a cancelled booking cannot be moved
    monkeypatch.undo()
    services.cancel_booking(booking, reg.user)
    with pytest.raises(errors.NotChangeable):
        services.reschedule(booking, _at(event, 10))


def test_a_slot_held_for_a_waiting_visitor_is_not_bookable_by_others(fair):
    event, exhibitor, _ = fair
    single = f.exhibitor(event, tables=1)
    [slot] = f.slots_for(single, count=1)
    holder, other = f.registration(event), f.registration(event)
    slot.held_for_registration_id = holder.id
    slot.held_until = utcnow() + timedelta(minutes=30)
    db.session.commit()
    with pytest.raises(errors.SlotTaken):
        services.book(other, single, slot.starts_at)
    booking = services.book(holder, single, slot.starts_at)
    db.session.refresh(slot)
    assert booking.slot_id == slot.id and slot.held_for_registration_id is None
    # a lapsed hold binds nobody
    [later] = f.slots_for(single, start=_at(event, 30), count=1)
    later.held_for_registration_id, later.held_until = holder.id, utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert services.book(other, single, later.starts_at).slot_id == later.id


def test_walk_in_interviews_do_not_count_against_the_cap(fair):
    event, exhibitor, _ = fair
    event.max_bookings_per_visitor = 1
    db.session.commit()
    reg = f.registration(event)
    other = f.exhibitor(event)
    db.session.add(
        Booking(
            event_id=event.id,
            exhibitor_id=other.id,
            registration_id=reg.id,
            walk_in=True,
            starts_at=_at(event, -60),
            ends_at=_at(event, -50),
        )
    )
    db.session.commit()
    assert services.book(reg, exhibitor, _at(event, 0))
    assert db.session.scalar(select(func.count(Slot.id))) == 18


def test_a_cancellation_that_lands_during_a_reschedule_wins(fair, monkeypatch):
    """The move is conditional on the booking still being live: nothing is moved or re-sent."""
    event, exhibitor, _ = fair
    reg = f.registration(event)
    booking = services.book(reg, exhibitor, _at(event, 0))
    original = rules.check_rules

    def cancelled_meanwhile(*args, **kwargs):
        original(*args, **kwargs)
        db.session.execute(update(Booking).where(Booking.id == booking.id).values(status="cancelled"))

    monkeypatch.setattr(services, "check_rules", cancelled_meanwhile)
    with pytest.raises(errors.NotChangeable):
        services.reschedule(booking, _at(event, 30))
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "booking_changed")) == 0
