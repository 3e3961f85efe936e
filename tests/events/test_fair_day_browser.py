"""A fair day's pages in real Chromium at phone size (390×844): the event page for a registered
visitor, the venue's 24-hour clock in every language, the door's running count."""

import re
from datetime import timedelta

import pytest

from bazaar.clock import utcnow
from bazaar.i18n import format_time, zone_abbreviation
from bazaar.registrations.services import ticket_token
from tests import factories as f
from tests.support import assert_fits, browser_login, release_database

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["ti", "so", "en"])
def test_event_page_offers_a_registered_visitor_their_schedule_not_register(ctx, live_server, page, lang):
    ev = f.event(name="Jobbdating Helsingborg")
    person = f.visitor(preferred_language=lang)
    waiting = f.visitor(preferred_language=lang)
    reg = f.registration(ev, person)
    f.registration(ev, waiting, status="waitlisted")
    clock = f"{format_time(ev.starts_at, ev.timezone, lang=lang)}–{format_time(ev.ends_at, ev.timezone, lang=lang)}"
    zone = zone_abbreviation(ev.starts_at, ev.timezone)
    ids = {"slug": ev.slug, "reg": reg.id, "person": person.email, "waiting": waiting.email}
    release_database()

    page.goto(f"{live_server}/events/{ids['slug']}?lang={lang}")
    main = page.locator("main")
    assert main.locator(f"a[href$='/events/{ids['slug']}/register']").count() == 1  # not logged in: Register
    when = main.locator(".facts dd").first.inner_text()
    assert f"{clock} {zone}" in when and re.search(r"\b\d\d:\d\d–\d\d:\d\d\b", when)
    assert "ድ.ቀ." not in when and " GD" not in when and "PM" not in when and "Europe/" not in when

    browser_login(page, live_server, type("U", (), {"email": ids["person"]}))
    page.goto(f"{live_server}/events/{ids['slug']}")
    assert main.locator(f"a[href$='/events/{ids['slug']}/register']").count() == 0
    mine = main.locator(".my-registration")
    assert mine.locator(f"a[href$='/events/{ids['slug']}/my-schedule']").is_visible()
    assert mine.locator(f"a[href$='/my/tickets/{ids['reg']}']").is_visible()
    assert_fits(page)
    mine.locator(f"a[href$='/events/{ids['slug']}/my-schedule']").click()
    page.wait_for_url(f"**/events/{ids['slug']}/my-schedule")

    page.locator("header form[action$='/logout'] button").click()
    page.wait_for_load_state()
    browser_login(page, live_server, type("U", (), {"email": ids["waiting"]}))
    page.goto(f"{live_server}/events/{ids['slug']}")
    assert main.locator(f"a[href$='/events/{ids['slug']}/register']").count() == 0
    assert main.locator(".my-registration a[href$='/my']").is_visible()


def test_door_page_shows_the_running_count(ctx, live_server, page):
    ev = f.event(name="Rekryteringsbazaren", starts_in=timedelta(hours=-1))
    staff = f.checkin_staff(ev, preferred_language="en")
    regs = [f.registration(ev, f.visitor(), checked_in_at=utcnow() - timedelta(minutes=1))]
    regs += [f.registration(ev, f.visitor()) for _ in range(2)]
    f.registration(ev, f.visitor(), status="waitlisted")  # not expected at the door
    f.registration(ev, f.visitor(), status="cancelled")
    token = ticket_token(regs[1])
    ids = {"event": ev.id, "staff": staff.email}
    release_database()

    browser_login(page, live_server, type("U", (), {"email": ids["staff"]}))
    page.goto(f"{live_server}/organiser/events/{ids['event']}/door")
    tally = page.locator(".door-tally")
    assert tally.inner_text() == "Checked in today: 1 of 3 expected"
    page.fill("#door", "North")
    page.fill("#token", token)
    page.locator("main form.scan-form button[type=submit]").click()
    page.wait_for_selector('.scan-result[data-result="checked_in"]')
    assert tally.inner_text() == "Checked in today: 2 of 3 expected"
    page.fill("#token", token)
    page.locator("main form.scan-form button[type=submit]").click()
    page.wait_for_selector('.scan-result[data-result="already_checked_in"]')
    assert tally.inner_text() == "Checked in today: 2 of 3 expected"  # a second scan is not a second arrival
    assert_fits(page)
