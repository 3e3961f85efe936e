"""The employer's page offers only the times the visitor can take (rules.offers_for): a time when they
have another interview is left out, their interview with this employer is moved instead of a second
booked, and at the cap the page says so. The statements do not grow with the employer's times."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bazaar.booking import rules, services
from bazaar.booking.models import Booking
from bazaar.extensions import db
from tests import factories as f
from tests.support import assert_accessible, browser_login, counted_statements, login, page_statements

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def fair(ctx):
    event = f.event(name="Jobbdating Lund")
    employer = f.exhibitor(event, name="Lunds Bageri AB", tables=2)
    other = f.exhibitor(event, name="Kodhuset Syd AB")
    f.slots_for(employer, count=4)
    other_slots = f.slots_for(other, count=4)
    reg = f.registration(event)
    return event, employer, other, other_slots, reg


def _at(event, minutes):
    return event.starts_at + timedelta(minutes=minutes)


def _page(client, event, employer) -> str:
    return client.get(f"/events/{event.slug}/exhibitors/{employer.id}").get_data(as_text=True)


def _offered(html) -> list[str]:
    """The times offered, as the ISO instants the forms send."""
    return re.findall(r'name="starts_at" value="([^"]+)"', html)


def test_every_free_time_is_offered_to_book_when_nothing_stands_in_the_way(fair, client):
    event, employer, _, _, reg = fair
    login(client, reg.user)
    html = _page(client, event, employer)
    assert _offered(html) == [_at(event, m).isoformat() for m in (0, 10, 20, 30)]
    assert html.count(f'action="/events/{event.slug}/exhibitors/{employer.id}/book"') == 4
    assert "Move here" not in html


def test_a_time_with_another_interview_is_not_offered(fair, client):
    event, employer, other, other_slots, reg = fair
    services.book(reg, other, other_slots[1].starts_at)  # 10 past, at another employer
    login(client, reg.user)
    html = _page(client, event, employer)
    assert _offered(html) == [_at(event, m).isoformat() for m in (0, 20, 30)]
    assert "1 free time is not shown: you have another interview then." in html
    # what is offered can be booked
    response = client.post(f"/events/{event.slug}/exhibitors/{employer.id}/book", data={"starts_at": _offered(html)[0]})
    assert response.status_code == 303
    assert db.session.scalar(select(Booking).where(Booking.exhibitor_id == employer.id)).starts_at == _at(event, 0)


def test_own_interview_here_offers_move_here_and_the_move_works(fair, client):
    event, employer, _, _, reg = fair
    booking = services.book(reg, employer, _at(event, 10))
    booking_id = booking.id
    login(client, reg.user)
    html = _page(client, event, employer)
    # the interview's own time is not offered; every other time moves it there, none books a second
    assert _offered(html) == [_at(event, m).isoformat() for m in (0, 20, 30)]
    assert html.count(f'action="/bookings/{booking_id}/reschedule"') == 3
    assert f'/exhibitors/{employer.id}/book"' not in html
    assert html.count("Move here") >= 3

    response = client.post(f"/bookings/{booking_id}/reschedule", data={"starts_at": _at(event, 30).isoformat()})
    assert response.status_code == 303 and response.headers["Location"].endswith("/my-schedule")
    db.session.expire_all()
    moved = db.session.get(Booking, booking_id)
    assert moved.starts_at == _at(event, 30) and moved.status == "confirmed" and moved.sequence == 1
    assert _offered(_page(client, event, employer)) == [_at(event, m).isoformat() for m in (0, 10, 20)]


def test_a_move_is_not_offered_to_a_time_taken_by_another_interview(fair, client):
    event, employer, other, other_slots, reg = fair
    services.book(reg, employer, _at(event, 10))
    services.book(reg, other, other_slots[2].starts_at)  # 20 past
    login(client, reg.user)
    html = _page(client, event, employer)
    assert _offered(html) == [_at(event, m).isoformat() for m in (0, 30)]
    assert "1 free time is not shown" in html


def test_at_the_cap_the_page_says_so_and_offers_nothing(fair, client):
    event, employer, other, other_slots, reg = fair
    event.max_bookings_per_visitor = 2
    db.session.commit()
    for slot in other_slots[:1]:
        services.book(reg, other, slot.starts_at)
    third = f.exhibitor(event, name="Tredje AB")
    services.book(reg, third, f.slots_for(third, count=1, start=_at(event, 30))[0].starts_at)
    login(client, reg.user)
    html = _page(client, event, employer)
    assert _offered(html) == []
    assert "You have booked the most interviews allowed (2)." in html
    assert f'href="/events/{event.slug}/my-schedule"' in html.split("most interviews allowed")[1][:400]


def test_at_the_cap_an_interview_here_can_still_be_moved(fair, client):
    event, employer, other, other_slots, reg = fair
    event.max_bookings_per_visitor = 2
    db.session.commit()
    booking = services.book(reg, employer, _at(event, 0))
    services.book(reg, other, other_slots[3].starts_at)  # 30 past
    login(client, reg.user)
    html = _page(client, event, employer)
    assert _offered(html) == [_at(event, m).isoformat() for m in (10, 20)]
    assert html.count(f'action="/bookings/{booking.id}/reschedule"') == 2
    assert "most interviews allowed" not in html


def test_the_reschedule_page_offers_only_times_the_move_can_take(fair, client):
    event, employer, other, other_slots, reg = fair
    booking = services.book(reg, employer, _at(event, 0))
    services.book(reg, other, other_slots[1].starts_at)  # 10 past
    login(client, reg.user)
    html = client.get(f"/bookings/{booking.id}/reschedule").get_data(as_text=True)
    assert _offered(html) == [_at(event, m).isoformat() for m in (20, 30)]


def test_offers_rules_and_the_booking_agree(fair):
    """Each offered time is taken by the service without an error (the rules are the same)."""
    event, employer, other, other_slots, reg = fair
    services.book(reg, other, other_slots[0].starts_at)
    offers = rules.offers_for(reg, employer)
    assert [o.time.starts_at for o in offers.offers] == [_at(event, m) for m in (10, 20, 30)]
    assert offers.left_out == 1 and offers.blocked is None
    booking = services.book(reg, employer, offers.offers[-1].time.starts_at)
    moves = rules.offers_for(reg, employer)
    assert {o.moving.id for o in moves.offers} == {booking.id}
    services.reschedule(booking, moves.offers[0].time.starts_at)


def test_statements_do_not_grow_with_the_times(fair, client):
    event, employer, other, other_slots, reg = fair
    services.book(reg, employer, _at(event, 0))
    services.book(reg, other, other_slots[1].starts_at)
    login(client, reg.user)
    sent = {}
    for extra in (0, 20):
        if extra:
            f.slots_for(employer, count=extra, start=_at(event, 60))
        db.session.expire_all()
        with counted_statements() as statements:
            html = _page(client, event, employer)
        assert len(_offered(html)) == 2 + extra
        sent[extra] = len([s for s in statements if not s.startswith("BEGIN")])  # SQLite's, when a transaction opens
    assert sent[0] == sent[20], sent


def test_statements_do_not_grow_with_the_visitors_other_interviews(ctx, client):
    """Each interview elsewhere takes one of the employer's times away (an overlap, told by the other
    employer's name): the page reads as much for one as for five."""
    event = f.event(max_bookings_per_visitor=8)
    employer = f.exhibitor(event, name="Lunds Bageri AB")
    f.slots_for(employer, count=8)
    reg = f.registration(event)
    login(client, reg.user)
    sent = {}
    for count in (1, 5):
        for n in range(max(sent, default=0), count):  # the ones the last round lacked
            other = f.exhibitor(event, name=f"Other {n}")
            [slot] = f.slots_for(other, start=_at(event, 10 * n), count=1)
            f.booked(reg, slot)
        html, statements = page_statements(client, f"/events/{event.slug}/exhibitors/{employer.id}")
        assert len(_offered(html)) == 8 - count
        sent[count] = len(statements)
    assert sent[1] == sent[5], sent


@pytest.mark.browser
def test_visitor_moves_the_interview_from_the_employer_page_on_a_phone(ctx, live_server, page):
    event = f.event(name="Jobbdating Lund")
    employer = f.exhibitor(event, name="Lunds Bageri AB", tables=1, booth_number="L01")
    f.slots_for(employer, count=4)
    person = f.visitor(email="yonas@example.org", preferred_language="en")
    reg = f.registration(event, person)
    booking = services.book(reg, employer, _at(event, 0))
    booking_id, slug, employer_id, wanted = booking.id, event.slug, employer.id, _at(event, 20)
    browser_login(page, live_server, person)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{live_server}/events/{slug}/exhibitors/{employer_id}?lang=en")
    moves = page.locator("ul.times button.move")
    moves.first.wait_for()
    assert moves.count() == 3 and page.locator("ul.times button.primary").count() == 0
    assert all(b.bounding_box()["height"] >= 44 for b in moves.all())
    assert_accessible(page, "employer-move-here")
    page.locator(f"ul.times form:has(input[value='{wanted.isoformat()}']) button").click()
    page.wait_for_url(f"**/events/{slug}/my-schedule")
    assert "moved" in page.locator("main").inner_text()
    db.session.expire_all()
    assert db.session.get(Booking, booking_id).starts_at == wanted
    assert errors == []
