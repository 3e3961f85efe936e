"""Waiting list per exhibitor: offers with a time-limited hold, claim links, passing on."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from bazaar.booking import errors, rules, services, waitlist
from bazaar.booking.models import Booking, Slot, WaitlistEntry
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from tests import factories as f
from tests.conftest import login


@pytest.fixture(autouse=True)
def english(app, monkeypatch):
    """Assert on the English source texts, whatever the default language and its catalog."""
    monkeypatch.setattr(app.extensions["babel"], "locale_selector", lambda: "en")


@pytest.fixture
def full(ctx):
    """An exhibitor with one table and two slots, both booked; two visitors waiting."""
    event = f.event()
    exhibitor = f.exhibitor(event, name="Region Skåne", tables=1, booth_number="S02")
    slots = f.slots_for(exhibitor, count=2)
    holders = [f.registration(event) for _ in slots]
    bookings = [services.book(reg, exhibitor, slot.starts_at) for reg, slot in zip(holders, slots)]
    first, second = f.registration(event), f.registration(event)
    waitlist.join_waitlist(first, exhibitor)
    waitlist.join_waitlist(second, exhibitor)
    return event, exhibitor, slots, bookings, first, second


def _entry(reg, exhibitor):
    return db.session.scalar(
        select(WaitlistEntry)
        .where(WaitlistEntry.registration_id == reg.id, WaitlistEntry.exhibitor_id == exhibitor.id)
        .order_by(WaitlistEntry.id.desc())
    )


def _offers(reg):
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "waitlist_offer", OutboxMessage.user_id == reg.user_id)
    ).all()


def test_joining_twice_is_refused_and_leaving_works(full):
    event, exhibitor, _, _, first, _ = full
    with pytest.raises(errors.WaitlistError):
        waitlist.join_waitlist(first, exhibitor)
    entry = _entry(first, exhibitor)
    waitlist.leave_waitlist(entry)
    assert entry.status == "left"
    with pytest.raises(errors.WaitlistError):
        waitlist.leave_waitlist(entry)
    waitlist.join_waitlist(first, exhibitor)  # may queue again, at the back
    with pytest.raises(errors.NotRegistered):
        waitlist.join_waitlist(f.registration(event, status="cancelled"), exhibitor)


def test_a_cancellation_offers_the_slot_to_the_first_in_line_with_a_hold(full, client):
    event, exhibitor, slots, bookings, first, second = full
    services.cancel_booking(bookings[0], bookings[0].registration.user)
    entry = _entry(first, exhibitor)
    slot = db.session.get(Slot, slots[0].id)
    assert entry.status == "offered" and entry.offered_slot_id == slot.id
    assert slot.held_for_registration_id == first.id
    assert entry.offer_expires_at == slot.held_until
    assert timedelta(minutes=29) < entry.offer_expires_at - utcnow() <= timedelta(minutes=30)
    assert _entry(second, exhibitor).status == "waiting"
    [offer] = _offers(first)
    assert offer.payload["claim_url"].startswith("http://127.0.0.1:5000/waitlist/claim/")
    assert offer.expires_at == entry.offer_expires_at

    # nobody else can book the held slot meanwhile
    with pytest.raises(errors.SlotTaken):
        services.book(f.registration(event), exhibitor, slot.starts_at)
    assert rules.free_times(exhibitor) == []

    # the claim link shows the time; a GET books nothing, the POST does (no login needed)
    path = offer.payload["claim_url"][len("http://127.0.0.1:5000") :]
    page = client.get(path)
    assert page.status_code == 200 and "Region Skåne" in page.get_data(as_text=True)
    assert db.session.scalar(select(Booking).where(Booking.registration_id == first.id)) is None
    assert client.post(path).status_code == 303
    booking = db.session.scalar(select(Booking).where(Booking.registration_id == first.id))
    assert booking.slot_id == slot.id and booking.status == "confirmed"
    db.session.refresh(entry)
    assert entry.status == "claimed"
    assert "This time is booked" in client.get(path).get_data(as_text=True)
    assert client.post(path).status_code == 409


def test_an_unclaimed_hold_passes_to_the_next_in_line(full, clock, client):
    event, exhibitor, slots, bookings, first, second = full
    services.cancel_booking(bookings[0], bookings[0].registration.user)
    [first_offer] = _offers(first)
    clock.advance(minutes=31)
    from worker.tasks import expire_waitlist_offers

    db.session.commit()  # the task runs in its own app context and session, as in the worker
    assert expire_waitlist_offers() == 1
    db.session.expire_all()
    assert _entry(first, exhibitor).status == "expired"
    entry = _entry(second, exhibitor)
    assert entry.status == "offered" and entry.offered_slot_id == slots[0].id
    assert db.session.get(Slot, slots[0].id).held_for_registration_id == second.id
    assert len(_offers(second)) == 1
    # the first visitor's link no longer books
    path = first_offer.payload["claim_url"][len("http://127.0.0.1:5000") :]
    response = client.post(path)
    assert response.status_code == 409 and "This offer has ended" in response.get_data(as_text=True)
    assert db.session.scalar(select(Booking).where(Booking.registration_id == first.id)) is None
    # nothing left to pass on: a second sweep changes nothing
    db.session.commit()
    assert expire_waitlist_offers() == 0


def test_new_slots_reach_the_waiting_list(full):
    event, exhibitor, slots, _, first, second = full
    f.slots_for(exhibitor, start=slots[-1].ends_at, count=1)
    assert waitlist.expire_waitlist_offers() == 1
    assert _entry(first, exhibitor).status == "offered"
    assert _entry(second, exhibitor).status == "waiting"


def test_a_visitor_who_could_not_book_the_slot_keeps_their_place(full):
    """The first in line already has an interview at that time elsewhere: the next one is offered."""
    event, exhibitor, slots, bookings, first, second = full
    elsewhere = f.exhibitor(event, tables=1)
    f.slots_for(elsewhere, start=slots[0].starts_at, count=1)
    services.book(first, elsewhere, slots[0].starts_at)
    services.cancel_booking(bookings[0], bookings[0].registration.user)
    assert _entry(first, exhibitor).status == "waiting"
    assert _entry(second, exhibitor).status == "offered"


def test_leaving_while_holding_an_offer_passes_it_on(full):
    event, exhibitor, slots, bookings, first, second = full
    services.cancel_booking(bookings[1], bookings[1].registration.user)
    waitlist.leave_waitlist(_entry(first, exhibitor))
    assert _entry(second, exhibitor).status == "offered"
    assert db.session.get(Slot, slots[1].id).held_for_registration_id == second.id


def test_booking_at_the_exhibitor_uses_up_the_place_in_line(full):
    event, exhibitor, slots, _, first, second = full
    [extra] = f.slots_for(exhibitor, start=slots[-1].ends_at, count=1)
    services.book(first, exhibitor, extra.starts_at)
    assert _entry(first, exhibitor).status == "claimed"


def test_claim_links_are_checked(full, client):
    event, exhibitor, _, bookings, first, _ = full
    for token in ("junk", "x" * 3000, ""):
        assert client.get(f"/waitlist/claim/{token}").status_code == 404
    from bazaar.tokens import make_token

    entry = _entry(first, exhibitor)
    stale = make_token(waitlist.CLAIM_LINK.purpose, {"w": entry.id, "n": entry.offers_made + 5})
    assert client.get(f"/waitlist/claim/{stale}").status_code == 404


def test_waitlist_pages_and_permissions(full, client):
    event, exhibitor, _, _, first, second = full
    login(client, first.user)
    page = client.get(f"/events/{event.slug}/exhibitors/{exhibitor.id}").get_data(as_text=True)
    assert "You are on the waiting list." in page
    schedule = client.get(f"/events/{event.slug}/my-schedule").get_data(as_text=True)
    assert "Region Skåne" in schedule
    # another visitor cannot remove someone else's place
    intruder = client.application.test_client()
    login(intruder, second.user)
    assert intruder.post(f"/waitlist/{_entry(first, exhibitor).id}/leave").status_code == 404
    assert intruder.post("/waitlist/999999/leave").status_code == 404
    assert _entry(first, exhibitor).status == "waiting"
    assert client.post(f"/waitlist/{_entry(first, exhibitor).id}/leave").status_code == 303
    assert _entry(first, exhibitor).status == "left"
    newcomer = f.registration(event)
    login(intruder, newcomer.user)
    assert intruder.post(f"/events/{event.slug}/exhibitors/{exhibitor.id}/waitlist").status_code == 303
    assert _entry(newcomer, exhibitor).status == "waiting"


def test_offer_email_renders_with_the_claim_link_and_local_times(full):
    from bazaar.notifications.render import render

    event, exhibitor, _, bookings, first, _ = full
    services.cancel_booking(bookings[0], bookings[0].registration.user)
    [offer] = _offers(first)
    rendered = render(offer)
    assert "Region Skåne" in rendered.subject
    assert offer.payload["claim_url"] in rendered.text and offer.payload["claim_url"] in rendered.html
    assert "S02" in rendered.text
