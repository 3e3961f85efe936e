"""The organiser's own operations on a phone, in Chromium against gunicorn: an organising body added
with its logo shows on the fair's public page; the retention page says what will be purged and an
early purge erases exactly those people; the activity log tells both."""

import io
from datetime import timedelta

import pytest
import segno
from sqlalchemy import select

from bazaar.accounts.models import User
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.privacy.retention import forecast
from tests import factories as f
from tests.support import assert_fits, browser_login, release_database

pytestmark = pytest.mark.browser


def _png() -> bytes:
    out = io.BytesIO()
    segno.make("Region Skåne").save(out, kind="png", scale=4)
    return out.getvalue()


def test_a_body_with_its_logo_on_the_fairs_page_and_an_early_purge(ctx, live_server, page, tmp_path):
    org = f.organisation("Länsstyrelsen Skåne")
    event = f.event(org=org, name="Höstmässan", status="finished", starts_in=timedelta(days=-400), retention_months=1)
    organiser = f.organiser(org, preferred_language="en")
    long_ago = utcnow() - timedelta(days=500)
    gone = [f.visitor(name=f"Old Visitor {i}") for i in range(2)]
    for person in gone:
        person.created_at = long_ago
        f.registration(event, person)
    recent = f.visitor(name="Recent Visitor")
    f.registration(event, recent)  # registered now: kept
    db.session.commit()
    plan = forecast(event)
    expected = plan.people_then
    assert plan.due and expected == plan.people_now == len(gone)
    event_id, slug = event.id, event.slug
    gone_names = {p.name for p in gone}
    people = [p.id for p in [*gone, recent]]
    logo = tmp_path / "region.png"
    logo.write_bytes(_png())
    browser_login(page, live_server, organiser)

    page.goto(f"{live_server}/organiser/events/{event_id}/bodies")
    page.fill("#name", "Region Skåne")
    page.fill("#website", "https://www.skane.se")
    page.set_input_files("#logo", str(logo))
    page.locator("main form[enctype] button.primary").click()
    page.wait_for_load_state()
    assert "Region Skåne" in page.locator("[data-bodies]").inner_text()
    assert_fits(page)

    page.goto(f"{live_server}/events/{slug}")
    image = page.locator("#organised-by + ul img[alt='Region Skåne']")
    image.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert image.locator("xpath=..").get_attribute("href") == "https://www.skane.se"

    page.goto(f"{live_server}/organiser/events/{event_id}/retention")
    assert page.locator("#people-then").inner_text().strip() == str(expected)  # due already
    page.locator("a.button.danger").click()
    page.wait_for_load_state()
    assert str(expected) in page.locator("#purge-count").inner_text()
    page.locator("main form button.danger").click()  # not confirmed: refused with a message
    page.wait_for_load_state()
    assert "Tick the box to confirm." in page.locator("main").inner_text()
    page.check("main form input[type=checkbox]")
    page.locator("main form button.danger").click()
    page.wait_for_load_state()
    assert_fits(page)
    db.session.expire_all()
    names = set(db.session.scalars(select(User.name).where(User.id.in_(people))))
    assert "Recent Visitor" in names and not names & gone_names
    release_database()

    page.goto(f"{live_server}/organiser/events/{event_id}/activity")
    log = page.locator("main").inner_text()
    assert "Added the organising body Region Skåne." in log and "Ran the retention purge" in log
