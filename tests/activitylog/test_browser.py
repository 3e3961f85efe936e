"""The activity log on an organiser's phone: the entries read as sentences and fit the screen."""

import pytest

from bazaar.activitylog.models import Action
from bazaar.activitylog.services import log_action
from bazaar.extensions import db
from tests import factories as f
from tests.support import assert_accessible, assert_fits, browser_login, release_database

pytestmark = [pytest.mark.browser, pytest.mark.rendering]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def test_the_log_reads_and_fits_on_a_phone(ctx, live_server, chromium):
    org = f.organisation()
    event = f.event(org=org, name="Höstmässan")
    exhibitor = f.exhibitor(event, name="Stockholms Stads Äldreförvaltning och Omsorgsnämnd")
    organiser = f.organiser(org, name="Olga Organiser", preferred_language="en")
    log_action(
        event, Action.APPLICATION_APPROVED, organiser, exhibitor, {"exhibitor": exhibitor.name, "old": "applied"}
    )
    change = {"field": "url", "old": "https://hooks.example.org/" + "a" * 80, "new": "https://hooks.example.org/b"}
    log_action(event, Action.WEBHOOK_CHANGED, organiser, data={"url": change["new"], "changes": [change]})
    db.session.commit()
    event_id, email = event.id, organiser.email
    release_database()

    context = chromium.new_context(**PHONE, locale="en-GB")
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        browser_login(page, live_server, email)
        page.goto(f"{live_server}/organiser/events/{event_id}")
        page.locator(f"a[href='/organiser/events/{event_id}/activity']").click()
        page.wait_for_url(f"{live_server}/organiser/events/{event_id}/activity")
        rows = page.locator("table.activity-log tbody tr")
        assert rows.count() == 2
        assert "Changed the webhook https://hooks.example.org/b." in rows.nth(0).inner_text()
        assert "Approved the application of Stockholms Stads" in rows.nth(1).inner_text()
        assert "Olga Organiser" in rows.nth(1).inner_text()
        assert_fits(page)
        page.select_option("#action", "application.approved")
        page.locator("form.activity-filter button[type=submit]").click()
        page.wait_for_load_state()
        assert "action=application.approved" in page.url and rows.count() == 1
        assert_fits(page)
        assert_accessible(page, "activity-log")
    finally:
        context.close()
