"""Exhibitor pages in real Chromium on a phone: applying, and recording outcomes on the day."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from bazaar.accounts.models import User
from bazaar.booking.models import Booking
from bazaar.exhibitors.models import Exhibitor
from bazaar.extensions import db
from tests import factories as f
from tests.support import assert_accessible, browser_login, release_database

pytestmark = pytest.mark.browser


def test_employer_applies_on_a_phone(ctx, live_server, page):
    slug = f.event(name="Jobbmässan Malmö").slug
    release_database()
    page.goto(f"{live_server}/events/{slug}/exhibit?lang=en")
    assert_accessible(page, "exhibitor-apply")
    page.fill("#name", "Skånska Vård AB")
    page.fill("#org_number", "556036-0794")  # wrong check digit
    page.select_option("#org_type", "public_employer")
    page.fill("#sector", "Health care")
    page.select_option("#job_countries", ["SE", "DK"])
    page.fill("#contact_name", "Liya Haile")
    page.fill("#contact_email", "liya@skanskavard.example")
    page.fill("#contact_phone", "040-12 34 56")
    page.fill("#account_name", "Liya Haile")
    page.fill("#account_email", "liya@skanskavard.example")
    page.fill("#password", "a long enough password")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#org_number").get_attribute("aria-invalid") == "true"
    assert page.locator("#name").input_value() == "Skånska Vård AB"  # nothing typed is lost
    assert_accessible(page, "exhibitor-apply-errors")

    page.fill("#org_number", "5560360793")
    page.fill("#password", "a long enough password")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "Skånska Vård AB" in page.locator("h1").inner_text()
    db.session.expire_all()
    exhibitor = db.session.scalar(select(Exhibitor))
    assert (exhibitor.org_number, exhibitor.org_type, sorted(exhibitor.job_countries)) == (
        "556036-0793",
        "public_employer",
        ["DK", "SE"],
    )
    release_database()


def test_interviewer_records_an_outcome_on_a_phone(ctx, live_server, page):
    ev = f.event(starts_in=timedelta(hours=-1), hours=6)
    ex = f.exhibitor(ev, tables=1, booth_number="B4")
    slot, second = f.slots_for(ex, start=ev.starts_at, count=2, minutes=15)
    booking = f.booked(f.registration(ev, f.visitor(name="Yohannes Kidane")), slot)
    other = f.booked(f.registration(ev, f.visitor(name="Leila Ahmadi")), second)
    interviewer = f.exhibitor_staff(ex, role="interviewer", preferred_language="en")
    booking_id, other_id, exhibitor_id = booking.id, other.id, ex.id
    browser_login(page, live_server, interviewer)
    page.goto(f"{live_server}/exhibitor/{exhibitor_id}/day")
    assert "Yohannes Kidane" in page.locator(f"#interview-{booking_id}").inner_text()
    assert_accessible(page, "exhibitor-day")

    page.fill("#interview-search", "yoha")  # narrows as you type
    assert page.locator(f"#interview-{booking_id}").is_visible()
    assert not page.locator(f"#interview-{other_id}").is_visible()
    page.fill("#interview-search", "")
    assert page.locator(f"#interview-{other_id}").is_visible()

    page.evaluate("window.stayedOnThePage = true")
    row = page.locator(f"#interview-{booking_id}")
    row.locator("select[name$='-outcome']").select_option("hired")
    row.locator("select[name$='-employment_type']").select_option("permanent")
    row.locator("input[name$='-note']").fill("Startar i mars")
    row.locator("button[value=attended]").click()
    page.locator(f"#interview-{booking_id} .saved").wait_for(state="visible")
    assert page.locator(f"#interview-{booking_id} .saved").inner_text() == "Saved."  # inline, in view
    assert page.evaluate("window.stayedOnThePage") is True  # no reload
    assert "Hired" in page.locator(f"#interview-{booking_id} .when").inner_text()
    booking = db.session.get(Booking, booking_id)
    assert (booking.attendance, booking.outcome, booking.outcome_employment_type, booking.outcome_note) == (
        "attended",
        "hired",
        "permanent",
        "Startar i mars",
    )
    release_database()

    page.emulate_media(media="print")
    assert not page.locator(f"#interview-{booking_id} form").is_visible()
    assert page.locator(".print-only").is_visible()
    page.emulate_media(media="screen")

    page.locator(f"#interview-{booking_id} button[value=no_show]").click()  # changed mind: one tap
    page.locator(f"#interview-{booking_id} .badge", has_text="No-show").wait_for()
    assert page.evaluate("window.stayedOnThePage") is True
    db.session.expire_all()
    assert db.session.get(Booking, booking_id).attendance == "no_show"
    release_database()

    page.goto(f"{live_server}/exhibitor/{exhibitor_id}/tables?lang=ar")
    assert_accessible(page, "exhibitor-tables-ar")


@pytest.mark.rendering
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_admin_and_organiser_pages_are_accessible(ctx, live_server, page, lang):
    from bazaar.exhibitors.models import Opening, StaffInvitation

    org = f.organisation()
    ev = f.event(org=org)
    ex = f.exhibitor(ev, tables=1, booth_number="B4", description={"sv": "Vi anställer.", "en": "We hire."})
    admin = f.exhibitor_staff(ex, role="admin")
    f.exhibitor_staff(ex, role="interviewer")
    f.slots_for(ex, count=3)
    opening = Opening(
        exhibitor_id=ex.id,
        title={"en": "Welder"},
        occupation="welder",
        required_languages=[{"lang": "sv", "level": "basic"}],
    )
    db.session.add_all([opening, StaffInvitation(exhibitor_id=ex.id, email="new@example.org")])
    db.session.commit()
    organiser_id = f.organiser(org).id
    x, t, o, e = ex.id, ex.tables[0].id, opening.id, ev.id
    browser_login(page, live_server, admin)
    for name, path in (
        ("dashboard", f"/exhibitor/{x}"),
        ("profile", f"/exhibitor/{x}/profile"),
        ("staff", f"/exhibitor/{x}/staff"),
        ("openings", f"/exhibitor/{x}/openings"),
        ("opening-form", f"/exhibitor/{x}/openings/{o}/edit"),
        ("tables", f"/exhibitor/{x}/tables"),
        ("table-form", f"/exhibitor/{x}/tables/{t}/edit"),
        ("generate", f"/exhibitor/{x}/tables/{t}/generate"),
        ("mine", "/exhibitor"),
    ):
        page.goto(f"{live_server}{path}?lang={lang}")
        assert_accessible(page, f"exhibitor-{name}-{lang}")
    page.context.clear_cookies()
    browser_login(page, live_server, db.session.get(User, organiser_id))
    for name, path in (
        ("applications", f"/organiser/events/{e}/applications"),
        ("application", f"/organiser/applications/{x}"),
    ):
        page.goto(f"{live_server}{path}?lang={lang}")
        assert_accessible(page, f"organiser-{name}-{lang}")
