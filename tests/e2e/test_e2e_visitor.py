"""A visitor, in Arabic, on a phone: registers, books two interviews (the second with the keyboard only),
moves one and cancels the other. Every email arrives through the real worker and SMTP, in Arabic."""

from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext, ngettext

from bazaar.booking.models import Booking
from bazaar.extensions import db
from bazaar.registrations.models import Registration
from tests import factories as f
from tests.smtp import SmtpSink
from tests.support import release_database

pytestmark = pytest.mark.browser

LANG = "ar"


def ar(msgid: str, **values) -> str:
    """The Arabic text the page should show for ``msgid`` (from the compiled catalog)."""
    with force_locale(LANG):
        return gettext(msgid, **values)


def before_placeholder(translated: str) -> str:
    return translated.split("%(")[0].strip()


def subject_prefix(msgid: str) -> str:
    with force_locale(LANG):
        return before_placeholder(gettext(msgid))


def build_fair():
    organiser = f.organiser()
    ev = f.event(
        org=organiser.organisation,
        name="Jobbdating Helsingborg",
        description={"sv": "Träffa arbetsgivare.", "ar": "قابل أصحاب العمل."},
    )
    builders = f.exhibitor(ev, name="Byggkompaniet AB", booth_number="12")
    care = f.exhibitor(ev, name="Region Skåne", booth_number="30")
    f.slots_for(builders, count=4, minutes=15)
    f.slots_for(care, start=ev.starts_at + timedelta(hours=1), count=4, minutes=15)
    names = ev.name, ev.slug, builders.name, care.name
    release_database()
    return names


def squeezed(header) -> str:
    """Header text without whitespace: Python 3.11's header folder can drop the space at the boundary
    of two RFC 2047 encoded words (non-Latin subjects are encoded), e.g. "ByggkompanietAB"."""
    return "".join(str(header).split())


def switch_language(page, lang: str) -> None:
    page.select_option("#lang-select", lang)
    with page.expect_navigation():
        page.locator("form.lang button[type=submit]").click()


def schedule_card(page, exhibitor_name: str):
    return page.locator("ol.schedule li.card").filter(has=page.get_by_role("heading", name=exhibitor_name))


def test_visitor_registers_books_moves_and_cancels_in_arabic(fair, page):
    event_name, slug, builders, care = build_fair()
    email = "amal.haddad@example.org"

    page.goto(fair.base + "/")
    switch_language(page, LANG)
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.get_by_role("heading", level=1).inner_text() == ar("Meet employers. Get interviewed on the spot.")
    fair.shot(page, "home-ar")

    page.get_by_role("link", name=event_name).click()
    assert page.locator("p.lead").inner_text() == "قابل أصحاب العمل."
    fair.shot(page, "event-ar")
    page.get_by_role("link", name=ar("Register"), exact=True).click()
    page.fill("#name", "Amal Haddad")
    page.fill("#email", email)
    page.fill("#password", "a long enough password")
    assert page.input_value("#preferred_language") == LANG, "emails default to the page's language"
    fair.shot(page, "register-ar")
    page.locator("form.registration-form button[type=submit]").click()
    page.wait_for_load_state()
    assert ar("You are registered! We have emailed you a confirmation and your ticket.") in page.content()
    fair.shot(page, "registered-ar")

    confirmation = fair.mail.wait_for(email, subject_prefix("You are registered: %(event)s"))
    assert event_name in str(confirmation["Subject"])

    # First interview: by tapping.
    page.get_by_role("link", name=ar("My interviews")).click()
    page.get_by_role("link", name=ar("Find exhibitors and book")).click()
    with force_locale(LANG):
        assert ngettext("%(num)d exhibitor", "%(num)d exhibitors", 2) in page.content()
    fair.shot(page, "browse-ar")
    page.get_by_role("link", name=builders).click()
    fair.shot(page, "exhibitor-ar")
    page.locator("ul.times button.time").first.click()
    page.wait_for_load_state()
    assert ar("My schedule") == page.get_by_role("heading", level=1).inner_text()
    assert schedule_card(page, builders).count() == 1

    # Second interview: with the keyboard only.
    page.get_by_role("link", name=ar("Find exhibitors and book")).click()
    page.get_by_role("link", name=care).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('time')"):
            break
    else:
        raise AssertionError("no time button can be reached with Tab")
    fair.shot(page, "keyboard-focus-on-time-ar")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert schedule_card(page, care).count() == 1
    fair.shot(page, "two-booked-ar")

    for employer in (builders, care):
        booked_mail = fair.mail.wait_for(
            email,
            subject_prefix("Interview booked: %(employer)s, %(when)s"),
            where=lambda m, employer=employer: squeezed(employer) in squeezed(m["Subject"]),
        )
        assert any(part.get_content_type() == "text/calendar" for part in booked_mail.walk())

    # Move the first interview to another time.
    schedule_card(page, builders).get_by_role("link", name=ar("Change time")).click()
    fair.shot(page, "reschedule-ar")
    page.locator("ul.times button.time").first.click()
    page.wait_for_load_state()
    assert before_placeholder(ar("Your interview is moved to %(time)s.")) in page.content()
    fair.shot(page, "moved-ar")

    # Cancel the second.
    schedule_card(page, care).get_by_role("link", name=ar("Cancel")).click()
    fair.shot(page, "cancel-confirm-ar")
    page.get_by_role("button", name=ar("Yes, cancel it")).click()
    page.wait_for_load_state()
    assert ar("Your interview with %(name)s is cancelled.", name=care) in page.content()
    assert schedule_card(page, care).count() == 0 and schedule_card(page, builders).count() == 1
    fair.shot(page, "final-schedule-ar")

    moved = fair.mail.wait_for(email, subject_prefix("Interview moved: %(employer)s, now %(when)s"))
    cancelled = fair.mail.wait_for(email, subject_prefix("Interview cancelled: %(employer)s, %(when)s"))
    assert squeezed(builders) in squeezed(moved["Subject"]) and squeezed(care) in squeezed(cancelled["Subject"])
    assert "http" in SmtpSink.text(moved)

    registration = db.session.scalar(
        db.select(Registration).join(Registration.user).where(Registration.event.has(slug=slug))
    )
    bookings = db.session.scalars(
        db.select(Booking).where(Booking.registration_id == registration.id).order_by(Booking.id)
    ).all()
    assert registration.user.preferred_language == LANG
    statuses = {b.exhibitor.name: b.status for b in bookings if b.status == "confirmed"}
    assert statuses == {builders: "confirmed"}
    assert any(b.exhibitor.name == care and b.status == "cancelled" for b in bookings)
    release_database()
