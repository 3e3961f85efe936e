"""Matching end to end in real Chromium against gunicorn and a real Celery worker: an exhibitor
states a need, the organiser invites a candidate from the ranked list, the candidate accepts in
Arabic on a phone and gets a booked interview, the employer records a hire, and the organiser's
statistics count it as a hire from matching."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from bazaar.accounts.models import VisitorProfile
from bazaar.booking.models import Booking
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.matching.models import Invitation, Need
from bazaar.notifications.models import OutboxMessage
from tests import factories as f
from tests.support import browser_login, release_database, wait_for


def _figure(page, name: str) -> str:
    return page.locator(f"#figure-{name} td.num").inner_text().strip()


@pytest.mark.browser
def test_a_need_becomes_an_invitation_an_interview_in_arabic_and_a_hire_from_matching(
    ctx, live_server, page, processes, tmp_path
):
    org = f.organisation()
    event = f.event(org=org, name="Jobbdating Rinkeby", starts_in=timedelta(hours=-1), hours=8)
    exhibitor = f.exhibitor(event, name="Omsorg Nord AB", tables=1, booth_number="C3")
    f.slots_for(exhibitor, start=event.starts_at + timedelta(hours=3), count=2)
    recruiter = f.exhibitor_staff(exhibitor, role="admin", email="rekrytering@omsorgnord.se", preferred_language="en")
    organiser = f.organiser(org, email="org@example.org", preferred_language="en")
    amal = f.user(name="Amal Haddad", email="amal@example.org", preferred_language="ar")
    db.session.add(
        VisitorProfile(
            user_id=amal.id,
            occupations=["assistant_nurse"],
            languages=["ar"],
            swedish_level="basic",
            consent_matching_at=utcnow(),
        )
    )
    registration = f.registration(event, amal)
    event_id, exhibitor_id, registration_id = event.id, exhibitor.id, registration.id
    recruiter, organiser = recruiter.email, organiser.email
    db.session.commit()
    processes.start_worker(tmp_path / "worker.log")
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)

    # The employer states its need.
    browser_login(page, live_server, recruiter)
    page.goto(f"{live_server}/exhibitor/{exhibitor_id}/needs")
    page.click("text=Record a need")
    page.fill("#title", "Undersköterskor")
    page.check("input[name=occupations][value=assistant_nurse]")
    page.check("input[name=languages][value=ar]")
    page.check("input[name=languages][value=sv]")
    page.check("#swedish_developing_ok")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server}/needs/*")
    need_id = int(page.url.rsplit("/", 1)[1])
    assert "Saved." in page.locator("main").inner_text()
    need = db.session.get(Need, need_id)
    assert (need.occupations, sorted(need.languages), need.swedish_developing_ok) == (
        ["assistant_nurse"],
        ["ar", "sv"],
        True,
    )
    release_database()
    page.context.clear_cookies()

    # The organiser finds it among the fair's needs and invites the best candidate.
    browser_login(page, live_server, organiser)
    page.goto(f"{live_server}/organiser/events/{event_id}/needs")
    page.click("text=Undersköterskor")
    page.click("text=Find candidates")
    page.wait_for_url(f"{live_server}/needs/{need_id}/candidates")
    row = page.locator("tr", has_text="Amal Haddad")
    assert "100" in row.inner_text() and "Swedish still developing" in row.inner_text()
    row.locator("input[type=checkbox]").check()
    page.click("text=Invite the chosen candidates")
    page.wait_for_url(f"{live_server}/needs/{need_id}")
    assert "1 invited." in page.locator("main").inner_text()
    page.context.clear_cookies()

    # The candidate accepts in Arabic on her phone.
    email = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == "match_invitation", OutboxMessage.channel == "email")
    )
    assert email.language == "ar"
    link = email.payload["url"]
    release_database()
    page.goto(link)
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "ar"
    main = page.locator("main").inner_text()
    assert "صاحب عمل يرغب في مقابلتك" in main and "Omsorg Nord AB" in main
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    accept = page.locator("button", has_text="نعم، احجز هذه المقابلة")
    assert accept.bounding_box()["height"] >= 44
    accept.click()
    page.wait_for_load_state()
    assert "تم الحجز" in page.locator("main").inner_text()
    invitation = db.session.scalar(select(Invitation))
    booking = db.session.get(Booking, invitation.booking_id)
    assert invitation.status == "accepted" and booking.status == "confirmed"
    assert booking.registration_id == registration_id and booking.slot_id == invitation.slot_id
    booking_id = booking.id
    release_database()
    page.context.clear_cookies()

    # The employer holds the interview and records the hire on the day view.
    browser_login(page, live_server, recruiter)
    page.goto(f"{live_server}/exhibitor/{exhibitor_id}/day")
    row = page.locator(f"#interview-{booking_id}")
    assert "Amal Haddad" not in row.inner_text()  # she consented to matching, not to sharing her profile
    row.locator("select[name$='-outcome']").select_option("hired")
    row.locator("select[name$='-employment_type']").select_option("permanent")
    row.locator("button[value=attended]").click()
    page.locator(f"#interview-{booking_id} .saved").wait_for(state="visible")
    page.context.clear_cookies()

    # The organiser compiles the figures (on the worker) and reads the hire from matching.
    browser_login(page, live_server, organiser)
    page.goto(f"{live_server}/organiser/events/{event_id}/stats")
    page.locator("main form.actions button[type=submit]").first.click()
    page.wait_for_url(f"{live_server}/organiser/events/{event_id}/stats")

    def compiled():
        page.reload()
        return page.locator("#figure-hires_from_matching").count() == 1

    wait_for(compiled, timeout=60, interval=1, message="the worker to compile the figures")
    assert _figure(page, "matched_interviews") == "1"
    assert _figure(page, "hires_from_matching") == "1"
    assert errors == []
