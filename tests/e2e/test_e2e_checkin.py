"""A door volunteer on the fair day, on a phone in Swedish: checks one visitor in by the code on their
ticket (what a hand scanner types), sees a second scan refused as a repeat, and finds another visitor
by name. The visitor's own ticket page is shown on the visitor's phone, in Somali."""

from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext

from bazaar.extensions import db
from bazaar.registrations.models import Registration
from bazaar.registrations.services import ticket_token
from tests import factories as f
from tests.support import release_database

pytestmark = pytest.mark.browser


def sv(msgid: str, **values) -> str:
    with force_locale("sv"):
        return gettext(msgid, **values)


def test_door_volunteer_checks_visitors_in(fair, page, chromium):
    ev = f.event(name="Jobbdating Helsingborg", starts_in=timedelta(hours=-1))
    volunteer = f.checkin_staff(ev, name="Dörrvärd Eva")
    amal = f.visitor(name="Amal Haddad", preferred_language="so")
    yonas = f.visitor(name="Yonas Tesfay")
    amal_reg, yonas_reg = f.registration(ev, amal), f.registration(ev, yonas)
    code = ticket_token(amal_reg)
    ids = {"amal": amal_reg.id, "yonas": yonas_reg.id, "volunteer": volunteer.id}
    amal_email, volunteer_email, event_id = amal.email, volunteer.email, ev.id
    release_database()

    visitor_phone = chromium.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="so"
    )
    ticket_page = visitor_phone.new_page()
    try:
        fair.login(ticket_page, amal_email)
        ticket_page.goto(f"{fair.base}/my/tickets/{ids['amal']}")
        with force_locale("so"):
            assert ticket_page.get_by_role("heading", level=1).inner_text() == gettext("Your ticket")
        assert ticket_page.locator("html").get_attribute("lang") == "so"
        fair.shot(ticket_page, "visitor-ticket-so")
    finally:
        visitor_phone.close()

    fair.login(page, volunteer_email)
    page.get_by_role("link", name=sv("Door check-in")).first.click()
    page.get_by_role("link", name=sv("Open the door")).click()
    assert page.url.endswith(f"/organiser/events/{event_id}/door")
    page.fill("#door", "Norra entrén")
    page.locator("form.scan-form input[name=token]").fill(code)
    fair.shot(page, "door-ready")
    page.get_by_role("button", name=sv("Check in"), exact=True).click()
    page.wait_for_load_state()
    result = page.locator("section.scan-result")
    assert result.get_attribute("data-result") == "checked_in"
    assert "Amal Haddad" in result.inner_text()
    fair.shot(page, "checked-in")

    page.locator("form.scan-form input[name=token]").fill(code)
    page.get_by_role("button", name=sv("Check in"), exact=True).click()
    page.wait_for_load_state()
    assert page.locator("section.scan-result").get_attribute("data-result") == "already_checked_in"
    assert sv("Already checked in") in page.locator("section.scan-result").inner_text()
    fair.shot(page, "already-checked-in")

    page.fill("#door-search", "Yonas")
    page.locator("form.search-form button[type=submit]").click()
    page.wait_for_load_state()
    page.locator("ul.search-results").get_by_role("button", name=sv("Check in")).click()
    page.wait_for_load_state()
    assert page.locator("section.scan-result").get_attribute("data-result") == "checked_in"
    fair.shot(page, "found-by-name")

    amal_reg, yonas_reg = db.session.get(Registration, ids["amal"]), db.session.get(Registration, ids["yonas"])
    assert amal_reg.checked_in_at is not None and yonas_reg.checked_in_at is not None
    assert amal_reg.checked_in_by_id == yonas_reg.checked_in_by_id == ids["volunteer"]
    release_database()
