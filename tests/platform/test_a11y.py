"""Accessibility checked in real Chromium at a phone viewport: axe-core (WCAG 2.1 A/AA rules plus
best practices) finds no serious or critical violation on the main pages, in a left-to-right and a
right-to-left language; controls are big enough to tap and nothing scrolls sideways.

axe-core is vendored under tests/vendor/axe-core/ and injected by the test only (never served).
"""

import pytest

from tests import factories as f
from tests.support import assert_accessible, axe_violations, browser_login, release_database

pytestmark = [pytest.mark.browser, pytest.mark.rendering]


def test_helper_finds_a_real_violation(ctx, live_server, page):
    """The checker itself works: an image without text and an unlabelled field are reported."""
    page.goto(live_server + "/")
    page.evaluate("""() => {
        const img = document.createElement('img'); img.src = '/static/none.png';
        const input = document.createElement('input');
        document.querySelector('main').append(img, input);
    }""")
    ids = {v["id"] for v in axe_violations(page)}
    assert {"image-alt", "label"} <= ids


@pytest.mark.parametrize("lang", ["sv", "ar"])
def test_public_pages_have_no_serious_violations(ctx, live_server, page, lang):
    ev = f.event(name="Jobbdating Helsingborg", description={"sv": "Träffa arbetsgivare.", "en": "Meet employers."})
    f.exhibitor(ev, name="Byggkompaniet AB")
    slug = ev.slug
    release_database()
    for name, path in (
        ("home", "/"),
        ("event", f"/events/{slug}"),
        ("login", "/login"),
        ("not-found", "/no-such-page"),
        ("event-privacy", f"/events/{slug}/privacy"),
        ("accessibility", "/accessibility"),
    ):
        page.goto(f"{live_server}{path}?lang={lang}")
        assert_accessible(page, f"{name}-{lang}")


def test_login_errors_are_tied_to_their_fields(ctx, live_server, page):
    page.goto(live_server + "/login?lang=en")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    email = page.locator("#email")
    assert email.get_attribute("aria-invalid") == "true"
    error_id = email.get_attribute("aria-describedby")
    assert page.locator(f"#{error_id}").inner_text()
    assert_accessible(page, "login-errors")


def test_organiser_pages_have_no_serious_violations(ctx, live_server, page):
    organiser = f.organiser()
    event_id = f.event(org=organiser.organisation, status="draft").id
    browser_login(page, live_server, organiser)
    for name, path in (
        ("organiser-events", "/organiser/events"),
        ("event-form", "/organiser/events/new"),
        ("manage", f"/organiser/events/{event_id}"),
        ("edit", f"/organiser/events/{event_id}/edit"),
    ):
        page.goto(live_server + path)
        assert_accessible(page, name)


def test_keyboard_reaches_skip_link_language_switcher_and_main_content_in_order(ctx, live_server, page):
    page.goto(live_server + "/login?lang=sv")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip"
    assert page.locator(".skip").is_visible()
    page.keyboard.press("Enter")
    page.wait_for_url("**/login?lang=sv#main")  # the jump lands on the main content
    order = []
    page.goto(live_server + "/login?lang=sv")
    for _ in range(8):
        page.keyboard.press("Tab")
        order.append(page.evaluate("() => document.activeElement.id || document.activeElement.className"))
    assert order.index("lang-select") < order.index("email") < order.index("password")
    page.focus("#lang-select")
    page.select_option("#lang-select", "fa")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/login?lang=fa")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "fa"


def visitor_fair():
    """A fair with two exhibitors and free times, a registered visitor with one booking."""
    from datetime import timedelta

    ev = f.event(name="Jobbdating Helsingborg", description={"sv": "Träffa arbetsgivare."})
    builders = f.exhibitor(
        ev, name="Byggkompaniet AB", booth_number="12", description={"sv": "Vi bygger hus.", "en": "We build houses."}
    )
    care = f.exhibitor(ev, name="Region Skåne", booth_number="30")
    slots = f.slots_for(builders, count=4, minutes=15)
    f.slots_for(care, start=ev.starts_at + timedelta(hours=1), count=4, minutes=15)
    person = f.visitor(name="Amal Haddad")
    reg = f.registration(ev, person)
    booking = f.booked(reg, slots[0])
    ids = {
        "slug": ev.slug,
        "builders": builders.id,
        "booking": booking.id,
        "registration": reg.id,
        "email": person.email,
    }
    release_database()
    return ids


@pytest.mark.parametrize("lang", ["sv", "ar"])
def test_visitor_flow_pages_have_no_serious_violations(ctx, live_server, page, lang):
    ids = visitor_fair()
    slug = ids["slug"]
    page.goto(f"{live_server}/events/{slug}/register?lang={lang}")
    assert_accessible(page, f"register-{lang}")
    page.goto(f"{live_server}/signup")
    assert_accessible(page, f"signup-{lang}")
    page.goto(f"{live_server}/forgot-password")
    assert_accessible(page, f"forgot-password-{lang}")
    browser_login(page, live_server, type("U", (), {"email": ids["email"]}))
    for name, path in (
        ("my-page", "/my"),
        ("profile", "/my/profile"),
        ("browse", f"/events/{slug}/exhibitors"),
        ("exhibitor", f"/events/{slug}/exhibitors/{ids['builders']}"),
        ("schedule", f"/events/{slug}/my-schedule"),
        ("reschedule", f"/bookings/{ids['booking']}/reschedule"),
        ("cancel", f"/bookings/{ids['booking']}/cancel"),
        ("ticket", f"/my/tickets/{ids['registration']}"),
    ):
        page.goto(live_server + path)
        assert page.locator("html").get_attribute("lang") == lang
        assert_accessible(page, f"{name}-{lang}")


def test_staff_pages_have_no_serious_violations(ctx, live_server, page):
    from datetime import timedelta

    ev = f.event(name="Jobbdating Helsingborg", starts_in=timedelta(hours=-1))
    booth = f.exhibitor(ev, name="Byggkompaniet AB")
    f.slots_for(booth, count=3)
    admin = f.exhibitor_staff(booth, role="admin")
    door = f.checkin_staff(ev)
    ids = {"event": ev.id, "booth": booth.id, "table": booth.tables[0].id, "admin": admin.email, "door": door.email}
    release_database()
    browser_login(page, live_server, type("U", (), {"email": ids["admin"]}))
    booth_pages = (
        "",
        "/profile",
        "/staff",
        "/openings",
        "/openings/new",
        "/tables",
        f"/tables/{ids['table']}/generate",
        "/day",
        "/missing-outcomes",
    )
    for suffix in booth_pages:
        page.goto(f"{live_server}/exhibitor/{ids['booth']}{suffix}")
        assert_accessible(page, "exhibitor" + suffix.replace("/", "-"))
    page.goto(f"{live_server}/booth/{ids['booth']}")
    assert_accessible(page, "booth-scanner")
    page.locator("header form[action$='/logout'] button").click()
    page.wait_for_load_state()
    browser_login(page, live_server, type("U", (), {"email": ids["door"]}))
    for name, path in (
        ("door-events", "/door"),
        ("door", f"/organiser/events/{ids['event']}/door"),
        ("walk-in", f"/organiser/events/{ids['event']}/door/walk-in"),
    ):
        page.goto(live_server + path)
        assert_accessible(page, name)


def test_organiser_statistics_and_registrations_have_no_serious_violations(ctx, live_server, page):
    organiser = f.organiser()
    ev = f.event(org=organiser.organisation)
    f.registration(ev, f.visitor(name="Abdirahman Mohamed Abdullahi", email="abdirahman.abdullahi@example.org"))
    f.exhibitor(ev, name="Nordvästra Skånes Räddningstjänst", status="applied", sector="Offentlig sektor")
    ids = {"event": ev.id, "email": organiser.email}
    release_database()
    browser_login(page, live_server, type("U", (), {"email": ids["email"]}))
    for name, path in (
        ("stats", f"/organiser/events/{ids['event']}/stats"),
        ("stats-cases", f"/organiser/events/{ids['event']}/stats/cases"),
        ("registrations", f"/organiser/events/{ids['event']}/registrations"),
        ("applications", f"/organiser/events/{ids['event']}/applications"),
        ("outbox", f"/organiser/events/{ids['event']}/outbox"),
        ("counters", f"/organiser/events/{ids['event']}/counters"),
        ("compare", "/organiser/stats/compare"),
    ):
        page.goto(live_server + path)
        assert_accessible(page, name)
