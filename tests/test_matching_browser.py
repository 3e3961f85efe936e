"""Matching in real Chromium against gunicorn: the organiser invites a candidate from the ranked
list, and the candidate accepts in Arabic on a phone and gets a booked interview."""

import pytest
from sqlalchemy import select

from bazaar.accounts.models import VisitorProfile
from bazaar.booking.models import Booking
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.matching.models import Invitation, Need
from bazaar.notifications.models import OutboxMessage
from tests import factories as f


def _sign_in(page, base, email):
    page.goto(f"{base}/login?lang=en")
    page.fill("#email", email)
    page.fill("#password", f.PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.browser
def test_organiser_invites_and_the_candidate_accepts_in_arabic_on_a_phone(ctx, live_server, page):
    org = f.organisation()
    event = f.event(org=org, name="Jobbdating Rinkeby")
    exhibitor = f.exhibitor(event, name="Omsorg Nord AB", tables=1, booth_number="C3")
    f.slots_for(exhibitor, count=2)
    need = Need(
        exhibitor_id=exhibitor.id,
        title="Undersköterskor",
        occupations=["assistant_nurse"],
        languages=["ar", "sv"],
        swedish_developing_ok=True,
    )
    db.session.add(need)
    f.organiser(org, email="org@example.org", preferred_language="en")
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
    need_id, registration_id = need.id, registration.id
    db.session.commit()  # and touch no row until the end: SQLite lets one transaction write at a time
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)

    _sign_in(page, live_server, "org@example.org")
    page.goto(f"{live_server}/needs/{need_id}/candidates")
    row = page.locator("tr", has_text="Amal Haddad")
    assert "100" in row.inner_text() and "Swedish still developing" in row.inner_text()
    row.locator("input[type=checkbox]").check()
    page.click("text=Invite the chosen candidates")
    page.wait_for_url(f"{live_server}/needs/{need_id}")
    assert "1 invited." in page.locator("main").inner_text()
    page.context.clear_cookies()

    db.session.expire_all()
    email = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == "match_invitation", OutboxMessage.channel == "email")
    )
    assert email.language == "ar"
    link = email.payload["url"]
    db.session.commit()  # SQLite: the server may write only once this process holds no transaction
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

    db.session.expire_all()
    invitation = db.session.scalar(select(Invitation))
    booking = db.session.get(Booking, invitation.booking_id)
    assert invitation.status == "accepted" and booking.status == "confirmed"
    assert booking.registration_id == registration_id and booking.slot_id == invitation.slot_id
    db.session.commit()
    assert errors == []
