"""The door page driven by real Chromium against gunicorn, as door staff use it on a phone."""

import base64

import pytest
from sqlalchemy import select

from bazaar.booking.models import Booking
from bazaar.checkin.models import DoorScan
from bazaar.checkin.qr import ticket_qr_png
from bazaar.extensions import db
from bazaar.registrations.services import TICKET_LINK, ticket_token
from tests import factories as f

DECODE_WITH_JSQR = """async (dataUrl) => {
  const img = new Image();
  img.src = dataUrl;
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = img.width; canvas.height = img.height;
  const context = canvas.getContext("2d");
  context.drawImage(img, 0, 0);
  const data = context.getImageData(0, 0, img.width, img.height);
  const code = window.jsQR(data.data, data.width, data.height);
  return code ? code.data : null;
}"""


@pytest.mark.browser
def test_door_staff_scan_a_ticket_with_a_hand_scanner(ctx, live_server, page):
    event = f.event(name="Rekryteringsbazaren")
    f.checkin_staff(event, email="door@example.org", preferred_language="en")
    reg = f.registration(event, f.visitor(name="Yasmin Ali"))
    token = ticket_token(reg)
    door_path = f"/organiser/events/{event.id}/door"
    reg_id = reg.id
    png = "data:image/png;base64," + base64.b64encode(ticket_qr_png(reg)).decode()
    db.session.commit()  # end this process's transaction (on SQLite it would hold the write lock)

    page.goto(live_server + door_path)
    assert "/login" in page.url  # sent to log in first, then back
    page.fill("#email", "door@example.org")
    page.fill("#password", f.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(live_server + door_path)

    # the vendored camera library reads our printed QR code
    decoded = page.evaluate(DECODE_WITH_JSQR, png)
    assert TICKET_LINK.load(decoded).id == reg_id  # (tokens carry a timestamp, so they vary)
    db.session.commit()

    page.fill("#door", "North entrance")
    field = page.locator("#token")
    field.focus()
    field.press_sequentially(token, delay=2)  # a hand scanner types the code, then Enter
    field.press("Enter")
    result = page.locator(".scan-result")
    result.wait_for()
    assert result.get_attribute("data-result") == "checked_in"
    assert "Checked in" in result.locator(".scan-headline").inner_text()
    assert "Yasmin Ali" in result.inner_text()
    assert page.evaluate("document.activeElement.id") == "token"  # ready for the next ticket

    page.keyboard.type(token)
    page.keyboard.press("Enter")
    page.wait_for_selector('.scan-result[data-result="already_checked_in"]')
    again = page.locator(".scan-result").inner_text()
    assert "Already checked in" in again and "North entrance" in again

    db.session.expire_all()
    assert [(s.result, s.door) for s in db.session.scalars(select(DoorScan).order_by(DoorScan.id))] == [
        ("checked_in", "North entrance"),
        ("already_checked_in", "North entrance"),
    ]


@pytest.mark.browser
def test_booth_staff_log_a_walk_in_interview_from_a_phone(ctx, live_server, page):
    event = f.event(name="Jobbdating Malmö")
    exhibitor = f.exhibitor(event, name="Region Skåne")
    f.exhibitor_staff(exhibitor, role="interviewer", email="booth@example.org", preferred_language="en")
    reg = f.registration(event, f.visitor(name="Karim Nasser"))
    token = ticket_token(reg)
    exhibitor_id = exhibitor.id
    db.session.commit()

    page.goto(live_server + "/login")
    page.fill("#email", "booth@example.org")
    page.fill("#password", f.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.get_by_role("link", name="Booth scanner").click()
    page.wait_for_url(f"{live_server}/booth/{exhibitor_id}")

    page.locator("#token").press_sequentially(token, delay=2)
    page.locator("#token").press("Enter")
    page.wait_for_selector(".scan-result")
    assert "Karim Nasser" in page.locator(".scan-result").inner_text()
    page.get_by_role("button", name="Log a walk-in interview").click()
    assert "Walk-in interview with Karim Nasser logged" in page.locator(".flash-success").inner_text()
    assert "Karim Nasser" in page.locator("table.list").inner_text()

    db.session.expire_all()
    booking = db.session.scalar(select(Booking))
    assert booking.walk_in and booking.attendance == "attended" and booking.exhibitor_id == exhibitor_id
