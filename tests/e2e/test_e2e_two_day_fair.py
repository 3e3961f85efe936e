"""A fair of two days (Mötesplats Rekrytering), in Swedish on a phone: a visitor registers, books an
interview on each day, sees both days on the ticket and the schedule, gets a reminder before each day
from the real worker, is checked in at the door on each day; the employers record the outcomes and the
organiser's statistics count each day and the whole fair."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale, gettext

from bazaar.booking.models import Booking
from bazaar.clock import utcnow
from bazaar.events.models import Event
from bazaar.extensions import db
from bazaar.i18n import format_date
from bazaar.registrations.models import Registration
from bazaar.registrations.services import ticket_token
from bazaar.reminders.services import day_before_due
from tests import factories as f
from tests.smtp import SmtpSink
from tests.support import release_database, wait_for

pytestmark = pytest.mark.browser
STOCKHOLM = "Europe/Stockholm"


def sv(msgid: str, **values) -> str:
    with force_locale("sv"):
        return gettext(msgid, **values)


@pytest.fixture
def quick_beat(processes):
    """The beat writes the day-before messages and sends due mail every second (set before the worker starts)."""
    processes.env["BAZAAR_SWEEP_INTERVAL"] = "1"


def advance_to(clock, moment):
    clock.advance(seconds=(moment - utcnow()).total_seconds())


def build_fair():
    organiser = f.organiser(name="Lena Organiser")
    ev = f.two_day_event(org=organiser.organisation, name="Mötesplats Rekrytering", starts_in=timedelta(days=3))
    first, second = ev.days
    builders = f.exhibitor(ev, name="Byggkompaniet AB", booth_number="12")
    care = f.exhibitor(ev, name="Region Skåne", booth_number="30")
    f.slots_for(builders, start=first.opens_at, count=2, minutes=15)
    f.slots_for(care, start=second.opens_at, count=2, minutes=15)
    admins = {ex.id: f.exhibitor_staff(ex, role="admin").email for ex in (builders, care)}
    door = f.checkin_staff(ev, name="Dörrvärd Eva")
    ids = {"event": ev.id, "builders": builders.id, "care": care.id}
    emails = {"organiser": organiser.email, "door": door.email, "admins": admins}
    days = [(d.date, d.opens_at, d.closes_at) for d in ev.days]
    slug = ev.slug
    release_database()
    return ids, emails, days, slug


def book_first_time(page, base, slug, exhibitor_id, day_text):
    page.goto(f"{base}/events/{slug}/exhibitors/{exhibitor_id}")
    headings = page.locator("h3.times-day")
    assert headings.count() == 1 and day_text in headings.inner_text()  # the day is named
    page.locator("ul.times button.time").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == sv("My schedule")


def test_a_two_day_fair_from_registration_to_statistics(quick_beat, fair, page, clock):
    ids, emails, days, slug = build_fair()
    day_texts = [format_date(opens, STOCKHOLM, lang="sv") for _d, opens, _c in days]
    visitor_email = "amal.haddad@example.org"

    # The event page names both days with their hours; the visitor registers.
    page.goto(f"{fair.base}/events/{slug}")
    for text in day_texts:
        assert text in page.locator("ul.event-days").inner_text()
    fair.shot(page, "event")
    page.get_by_role("link", name=sv("Register"), exact=True).click()
    page.fill("#name", "Amal Haddad")
    page.fill("#email", visitor_email)
    page.fill("#password", "a long enough password")
    page.locator("form.registration-form button[type=submit]").click()
    page.wait_for_load_state()
    assert sv("You are registered! We have emailed you a confirmation and your ticket.") in page.content()
    confirmation = fair.mail.wait_for(visitor_email, sv("You are registered: %(event)s").split("%(")[0].strip())
    for _date, opens, _closes in days:  # both days, in the short form the email uses
        assert format_date(opens, STOCKHOLM, fmt="short", lang="sv") in SmtpSink.text(confirmation)

    # An interview on each day; the schedule groups them by day.
    book_first_time(page, fair.base, slug, ids["builders"], day_texts[0])
    book_first_time(page, fair.base, slug, ids["care"], day_texts[1])
    assert [h.inner_text() for h in page.locator("h2.schedule-day").all()] == day_texts
    assert page.locator("ol.schedule li.card").count() == 2
    fair.shot(page, "schedule")
    reg = db.session.query(Registration).filter_by(event_id=ids["event"]).one()
    reg_id, token = reg.id, ticket_token(reg)
    booked = {b.exhibitor_id: b.id for b in db.session.query(Booking).filter_by(registration_id=reg_id)}
    release_database()
    page.goto(f"{fair.base}/my/tickets/{reg_id}")
    assert [li.inner_text().split(",")[0] for li in page.locator("ul.event-days li").all()] == day_texts
    fair.shot(page, "ticket")

    # The worker sends a reminder the day before each day, each naming its own day.
    event = db.session.get(Event, ids["event"])
    dues = [day_before_due(event, day) for day in event.days]
    release_database()
    subject = sv("Tomorrow: %(event)s at %(venue)s", event="Mötesplats Rekrytering", venue="Kulturhuset")
    for due, text in zip(dues, day_texts):
        advance_to(clock, due + timedelta(minutes=1))
        mail = fair.mail.wait_for(visitor_email, subject, where=lambda m, text=text: text in SmtpSink.text(m))
        assert mail is not None
    assert len([m for m in fair.mail.to(visitor_email) if subject in str(m["Subject"])]) == 2

    # The door on day 1, then on day 2: in on day 1 is not in on day 2.
    fair.logout(page)
    fair.login(page, emails["door"])
    for _date, opens, _closes in days:
        advance_to(clock, opens + timedelta(minutes=20))
        page.goto(f"{fair.base}/organiser/events/{ids['event']}/door")
        page.fill("#door-search", "Amal")
        page.locator("form.search-form button[type=submit]").click()
        page.wait_for_load_state()
        page.locator("ul.search-results").get_by_role("button", name=sv("Check in")).click()
        page.wait_for_load_state()
        assert page.locator("section.scan-result").get_attribute("data-result") == "checked_in"  # not in yet today
        page.locator("form.scan-form input[name=token]").fill(token)
        page.get_by_role("button", name=sv("Check in"), exact=True).click()
        page.wait_for_load_state()
        assert page.locator("section.scan-result").get_attribute("data-result") == "already_checked_in"
    fair.shot(page, "door-day-2")

    # Each employer records its interview's outcome.
    for exhibitor_id in (ids["builders"], ids["care"]):
        fair.logout(page)
        fair.login(page, emails["admins"][exhibitor_id])
        page.goto(f"{fair.base}/exhibitor/{exhibitor_id}/missing-outcomes")
        row = page.locator(f"#interview-{booked[exhibitor_id]}")
        row.locator("select[name$='outcome']").select_option("offer")
        row.get_by_role("button", name=sv("Held: save")).click()
        page.locator(f"#interview-{booked[exhibitor_id]} .saved").wait_for(state="visible")

    # The organiser's statistics: each day and the whole fair.
    advance_to(clock, days[1][2] + timedelta(hours=1))
    fair.logout(page)
    fair.login(page, emails["organiser"])
    page.goto(f"{fair.base}/organiser/events/{ids['event']}/stats")
    page.get_by_role("button", name=sv("Compile the figures now")).click()
    page.wait_for_load_state()

    def compiled():
        page.reload()
        return page.locator("#per-day").count() == 1

    wait_for(compiled, timeout=90, interval=1, message="the worker to compile the figures")
    fair.shot(page, "statistics")
    held = db.session.query(Booking).filter(Booking.registration_id == reg_id, Booking.attendance == "attended").all()
    release_database()
    for date, _opens, _closes in days:
        cells = [c.inner_text() for c in page.locator(f"tr#day-{date.isoformat()} td").all()]
        on_day = [b for b in held if b.starts_at.astimezone(ZoneInfo(STOCKHOLM)).date() == date]
        assert cells[0] == "1" and cells[1] == str(len(on_day)) == "1"
    total = [c.inner_text() for c in page.locator("tr#day-total td").all()]
    assert total[0] == "1" and total[1] == str(len(held)) == "2"  # one visitor, two days, two interviews
    assert page.locator("#figure-visits td.num").inner_text() == "2"  # two visits
