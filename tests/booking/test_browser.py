"""Booking on a phone in real Chromium against gunicorn: find, book, see my schedule, move, cancel."""

import re

import pytest
from sqlalchemy import select

from bazaar.booking.models import Booking
from bazaar.exhibitors.models import Opening
from bazaar.extensions import db
from tests import factories as f


@pytest.mark.browser
def test_visitor_books_moves_and_cancels_on_a_phone(ctx, live_server, page):
    event = f.event(name="Jobbdating Malmö")
    exhibitor = f.exhibitor(
        event, name="Öresunds Logistik AB", tables=2, booth_number="S05", booth_languages=["sv", "ar"]
    )
    exhibitor.openings.append(
        Opening(title={"en": "Warehouse worker", "sv": "Lagerarbetare"}, occupation="warehouse", country="SE")
    )
    f.exhibitor(event, name="Kodhuset Syd AB")
    f.slots_for(exhibitor, count=4)
    person = f.visitor(name="Amina Warsame", email="amina@example.org", preferred_language="en")
    f.registration(event, person)
    schedule_url = f"{live_server}/events/{event.slug}/my-schedule"
    directory_url = f"{live_server}/events/{event.slug}/exhibitors?occupation=warehouse"
    db.session.commit()  # and touch no row until the end: SQLite lets one transaction write at a time
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)

    page.goto(f"{live_server}/login?lang=en")
    page.fill("#email", "amina@example.org")
    page.fill("#password", f.PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()

    page.goto(directory_url)
    main = page.locator("main").inner_text()
    assert "Öresunds Logistik AB" in main and "Kodhuset Syd AB" not in main
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.click("text=Öresunds Logistik AB")
    page.wait_for_url(re.compile(r"/exhibitors/\d+$"))  # loaded, styles too, before the times are measured

    buttons = page.locator("ul.times button")
    buttons.first.wait_for()
    assert buttons.count() == 4  # four times, two tables each: grouped
    assert all(b.bounding_box()["height"] >= 44 for b in buttons.all())
    buttons.nth(1).click()
    page.wait_for_url(schedule_url)
    schedule = page.locator("main").inner_text()
    assert "Öresunds Logistik AB" in schedule and "S05" in schedule

    page.click("text=Change time")
    page.locator("ul.times button").nth(2).click()
    page.wait_for_url(schedule_url)
    booking = db.session.scalar(select(Booking))
    assert booking.sequence == 1 and booking.status == "confirmed"
    db.session.commit()

    page.click("main a.danger")
    page.click("text=Yes, cancel it")
    page.wait_for_url(schedule_url)
    assert "You have no interviews booked yet." in page.locator("main").inner_text()
    assert db.session.scalar(select(Booking)).status == "cancelled"
    assert errors == []
