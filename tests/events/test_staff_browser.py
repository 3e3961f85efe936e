"""The event staff page on a phone: an organiser invites door staff, the invited person accepts in
their own browser and runs the door, and loses it the moment the organiser revokes the role."""

import pytest
from sqlalchemy import select

from bazaar.checkin.models import DoorScan
from bazaar.events.models import EventStaff
from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from bazaar.registrations.services import ticket_token
from tests import factories as f
from tests.support import assert_accessible, assert_fits, browser_login, release_database

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def test_invite_accept_run_the_door_and_revoke_on_phones(ctx, live_server, page, chromium):
    org = f.organisation()
    event = f.event(org=org, name="Höstmässan")
    organiser = f.organiser(org, preferred_language="en")
    registration = f.registration(event, f.visitor(name="Yasmin Ali"))
    token = ticket_token(registration)
    event_id, registration_id = event.id, registration.id
    staff_path = f"/organiser/events/{event_id}/staff"
    door_path = f"/organiser/events/{event_id}/door"
    browser_login(page, live_server, organiser)

    page.goto(f"{live_server}/organiser/events/{event_id}")
    page.locator(f"a[href='{staff_path}']").click()
    page.wait_for_url(live_server + staff_path)
    page.fill("#email", "dana.door@example.org")
    page.select_option("#role", "checkin")
    page.locator("main form:not(.inline) button[type=submit]").last.click()
    page.wait_for_url(live_server + staff_path)
    assert "dana.door@example.org" in page.locator("[data-invitations]").inner_text()
    assert_accessible(page, "event-staff")

    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "event_staff_invitation"))
    link = f"{live_server}/event-invitations/{message.payload['token']}"
    release_database()

    context = chromium.new_context(**PHONE, locale="en-GB")  # the invited person's own phone
    try:
        door = context.new_page()
        door.set_default_timeout(15000)
        door.goto(link)
        assert "Höstmässan" in door.locator("h1").inner_text()
        assert_fits(door)
        door.fill("#name", "Dana Door")
        door.fill("#password", "a good long password")
        door.locator("main form button[type=submit]").click()
        door.wait_for_url(live_server + door_path)

        field = door.locator("#token")
        field.fill(token)
        field.press("Enter")
        door.wait_for_selector('.scan-result[data-result="checked_in"]')
        assert "Yasmin Ali" in door.locator(".scan-result").inner_text()
        assert_fits(door)
        db.session.expire_all()
        assert db.session.scalar(select(DoorScan.registration_id)) == registration_id
        release_database()

        page.reload()
        row = page.locator("[data-staff] tr", has_text="Dana Door")
        row.locator("button[type=submit]").click()
        page.wait_for_url(live_server + staff_path)
        assert page.locator("[data-staff]").count() == 0
        db.session.expire_all()
        assert db.session.scalar(select(EventStaff.id).where(EventStaff.event_id == event_id)) is None
        release_database()

        response = door.goto(live_server + door_path)  # the same session, refused at once
        assert response.status in (403, 404)
        response = door.goto(link)  # and the used link stays used
        assert response.status == 404
    finally:
        context.close()
