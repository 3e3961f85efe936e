"""Speed dating in real Chromium on phones: the employer creates a session, a visitor books a round,
the employer logs the talk with one tap and turns it into an interview, which the visitor then sees
on My schedule."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bazaar.booking.models import Booking, SpeedDatingSession
from bazaar.extensions import db
from tests import factories as f
from tests.support import assert_accessible, browser_login, release_database

pytestmark = pytest.mark.browser


def test_speed_dating_from_session_to_interview_on_phones(ctx, live_server, page, chromium):
    event = f.event(starts_in=timedelta(days=2), name="Jobbdating Helsingborg", local_hour=10)
    employer = f.exhibitor(event, name="Hamnen AB", tables=1)
    interviews = f.slots_for(employer, start=event.starts_at + timedelta(hours=3), count=3, minutes=15)
    admin = f.exhibitor_staff(employer, preferred_language="en")
    visitor = f.registration(event, f.visitor(name="Amina Warsame", preferred_language="en"))
    first_round = (event.starts_at + timedelta(hours=1)).astimezone(ZoneInfo(event.timezone))
    slug, employer_id, visitor_email = event.slug, employer.id, visitor.user.email
    interview_at = interviews[0].starts_at.astimezone(ZoneInfo(event.timezone)).strftime("%H:%M")

    browser_login(page, live_server, admin)
    page.goto(f"{live_server}/exhibitor/{employer_id}/speed-dating?lang=en")
    page.fill("#start", first_round.strftime("%H:%M"))
    page.select_option("#round_minutes", "5")
    page.fill("#rounds", "4")
    page.fill("#seats", "2")
    page.fill("#area", "Speed-dating corner")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "Speed-dating session created." in page.locator("main").inner_text()
    assert page.locator("section[id^=session-] ol.rounds li").count() == 4
    assert_accessible(page, "speed-dating-exhibitor")
    session = db.session.scalar(select(SpeedDatingSession).where(SpeedDatingSession.exhibitor_id == employer_id))
    assert (session.rounds, session.seats, session.round_minutes) == (4, 2, 5)
    release_database()

    phone = chromium.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    try:
        seeker = phone.new_page()
        seeker.set_default_timeout(15000)
        browser_login(seeker, live_server, visitor_email)
        seeker.goto(f"{live_server}/events/{slug}/speed-dating?lang=en")
        assert_accessible(seeker, "speed-dating-visitor")
        seeker.locator(f"#session-{session.id} button").first.click()
        seeker.wait_for_load_state()
        assert "/my-schedule" in seeker.url
        assert "Talk" in seeker.locator("ol.schedule").inner_text()
        talk = db.session.scalar(select(Booking).where(Booking.registration_id == visitor.id))
        talk_id = talk.id
        release_database()

        page.goto(f"{live_server}/exhibitor/{employer_id}/day?lang=en")
        page.locator(f"#interview-{talk_id} button[value=attended]").click()  # one tap: held
        page.locator(f"#interview-{talk_id} .badge", has_text="Held").wait_for()
        db.session.expire_all()
        assert db.session.get(Booking, talk_id).attendance == "attended"
        release_database()
        page.locator(f"#interview-{talk_id} a", has_text="Book an interview").click()
        page.wait_for_load_state()
        assert_accessible(page, "speed-dating-talk-to-interview")
        page.locator("main form button", has_text="Next free time").click()
        page.wait_for_load_state()
        assert f"/exhibitor/{employer_id}/day" in page.url
        db.session.expire_all()
        interview = db.session.scalar(select(Booking).where(Booking.from_talk_id == talk_id))
        assert interview is not None and interview.slot_id == interviews[0].id
        release_database()

        seeker.reload()
        seeker.wait_for_load_state()
        cards = seeker.locator("ol.schedule > li")
        assert cards.count() == 2
        assert interview_at in cards.nth(1).inner_text() and "Talk" not in cards.nth(1).inner_text()
        assert "Hamnen AB" in cards.nth(1).inner_text()
    finally:
        phone.close()
