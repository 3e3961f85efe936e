"""Job coaching on phones: the organiser gives the coach role, the coach registers a group of three
(one without email), books an interview for a member and prints that member's sheet; the member
without email opens their page with the code on the sheet, chooses Arabic and gives their own consents."""

import pytest
from sqlalchemy import select

from bazaar.booking.models import Booking
from bazaar.coaching.models import GroupMember
from bazaar.events.models import EventStaff
from bazaar.extensions import db
from bazaar.registrations.models import Registration
from tests import factories as f
from tests.support import assert_fits, browser_login, release_database

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def test_coach_role_group_booking_sheet_and_a_members_first_use_on_phones(ctx, live_server, chromium):
    org = f.organisation()
    event = f.event(org=org, name="Vårmässan", capacity=100)
    exhibitor = f.exhibitor(event, name="Malmö stad", booth_number="12")
    slot = f.slots_for(exhibitor, count=3)[1]
    organiser = f.organiser(org, preferred_language="en")
    coach = f.user(email="karin.coach@example.org", name="Karin Coach", preferred_language="en")
    event_id, slot_start, coach_id, organiser_email = event.id, slot.starts_at, coach.id, organiser.email

    context = chromium.new_context(**PHONE, locale="en-GB")
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        browser_login(page, live_server, organiser_email)
        staff_path = f"/organiser/events/{event_id}/staff"
        page.goto(live_server + staff_path)
        page.fill("#grant-email", "karin.coach@example.org")
        page.select_option("#grant-role", "coach")
        page.locator(f"form[action='{staff_path}/grant'] button[type=submit]").click()
        page.wait_for_url(live_server + staff_path)
        assert "Karin Coach" in page.locator("[data-staff]").inner_text()
        assert_fits(page)
        db.session.expire_all()
        assert db.session.scalar(select(EventStaff.role).where(EventStaff.user_id == coach_id)) == "coach"
        release_database()
    finally:
        context.close()

    context = chromium.new_context(**PHONE, locale="en-GB")  # the coach's own phone
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        browser_login(page, live_server, "karin.coach@example.org")
        page.goto(f"{live_server}/coach/events/{event_id}/groups")
        page.locator(f"a[href='/coach/events/{event_id}/groups/new']").click()
        page.fill("#name", "SFI 3B")
        rows = [
            ("Abdi Farah", "abdi@example.org", "", "so"),
            ("Huda Ali", "", "070-123 45 67", "sv"),
            ("Oksana Bondarenko", "oksana@example.org", "", "uk"),
        ]
        for i, (name, email, phone, lang) in enumerate(rows):
            page.fill(f"#participants-{i}-name", name)
            page.fill(f"#participants-{i}-email", email)
            page.fill(f"#participants-{i}-phone", phone)
            page.select_option(f"#participants-{i}-preferred_language", lang)
        page.check("#confirm")
        assert_fits(page)
        page.locator("main form button[type=submit]").click()
        page.wait_for_selector("[data-members]")
        assert page.locator("[data-member]").count() == 3
        assert_fits(page)

        db.session.expire_all()
        huda = db.session.scalar(select(GroupMember).join(Registration).where(Registration.user.has(name="Huda Ali")))
        member_id, huda_user_id = huda.id, huda.registration.user_id
        assert huda.registration.user.email is None
        release_database()

        card = page.locator(f"[data-member='{member_id}']")
        card.locator(f"a[href='/coach/members/{member_id}/book']").click()
        page.locator("a", has_text="Malmö stad").click()
        page.locator(f"input[value='{slot_start.isoformat()}']").check()
        page.check("#asked")
        page.locator("main form button[type=submit]").click()
        page.wait_for_selector("[data-members]")
        assert "Malmö stad" in page.locator(f"[data-member='{member_id}']").inner_text()
        db.session.expire_all()
        booking = db.session.scalar(select(Booking))
        assert booking.booked_by_id == coach_id and booking.registration.user_id == huda_user_id
        release_database()

        page.locator(f"[data-member='{member_id}'] a[href='/coach/members/{member_id}/sheet']").click()
        page.wait_for_selector("[data-member-sheet]")
        assert "Malmö stad" in page.locator("[data-member-sheet]").inner_text()
        page.emulate_media(media="print")
        assert page.locator("[data-member-sheet] svg").is_visible()
        assert not page.locator("header.top").is_visible()  # the page prints without the site's header
        code = page.locator("[data-code]").inner_text().strip()
        assert len(code) == 9
    finally:
        context.close()

    context = chromium.new_context(**PHONE, locale="sv-SE")  # Huda's phone, no account, no email
    try:
        phone = context.new_page()
        phone.set_default_timeout(15000)
        phone.goto(f"{live_server}/m")
        phone.fill("#code", code)
        phone.locator("main form button[type=submit]").click()
        phone.wait_for_selector("[data-first-use]")
        assert phone.locator("[data-first-use] svg").count() == 0
        assert not phone.is_checked("#consent_news") and not phone.is_checked("#consent_matching")
        phone.select_option("#preferred_language", "ar")
        phone.check("#accept_privacy")
        phone.check("#consent_followup")
        assert_fits(phone)
        phone.locator("[data-first-use] button[type=submit]").click()
        phone.wait_for_selector(".ticket-qr svg")
        assert phone.locator("html").get_attribute("dir") == "rtl"
        assert phone.locator("html").get_attribute("lang") == "ar"
        assert "Malmö stad" in phone.locator("[data-schedule]").inner_text()
        assert_fits(phone)
        db.session.expire_all()
        member = db.session.get(GroupMember, member_id)
        user = member.registration.user
        assert member.first_used_at is not None and user.preferred_language == "ar"
        assert user.profile.consent_followup_at is not None
        assert user.profile.consent_news_at is None and user.profile.consent_matching_at is None
    finally:
        context.close()
