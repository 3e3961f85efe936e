"""The offline door in real Chromium against gunicorn: scans while the network is down are kept
in the browser and applied exactly once when it is back; two offline doors count a ticket once."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bazaar.checkin.models import DoorScan
from bazaar.extensions import db
from bazaar.registrations.models import Registration
from bazaar.registrations.services import ticket_token
from tests import factories as f
from tests.support import release_database

PENDING_SCANS = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("bazaar-door", 1);
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const all = open.result.transaction("scans").objectStore("scans").getAll();
    all.onsuccess = () => resolve(all.result);
  };
})"""
LIST_LOADED = """() => {
  const box = document.getElementById("door-offline");
  const refreshed = box.querySelector("[data-refreshed]").textContent;
  return !box.hidden && refreshed !== "" && refreshed !== box.getAttribute("data-never");
}"""
DOOR_PAGE_KEPT = """() => caches.match(location.pathname).then((hit) => !!hit)"""


def open_door(page, base, door_path, email, door_name):
    page.goto(base + door_path)
    page.fill("#email", email)
    page.fill("#password", f.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(base + door_path)
    page.fill("#door", door_name)
    page.wait_for_function(LIST_LOADED)


def scan(page, token):
    field = page.locator("#token")
    field.fill(token)
    field.press("Enter")


def waiting(page) -> str:
    return page.locator("#door-offline [data-waiting]").inner_text()


def fresh_event(name):
    event = f.event(name=name, starts_in=-timedelta(hours=1))
    return event, f"/organiser/events/{event.id}/door"


@pytest.mark.browser
def test_a_visitor_checked_in_offline_is_applied_exactly_once_when_back_online(ctx, live_server, page):
    event, door_path = fresh_event("Rekryteringsbazaren")
    f.checkin_staff(event, email="door@example.org", preferred_language="en")
    reg = f.registration(event, f.visitor(name="Yasmin Ali"))
    token, reg_id = ticket_token(reg), reg.id
    db.session.commit()

    open_door(page, live_server, door_path, "door@example.org", "North entrance")
    assert "Online" in page.locator("#door-offline").inner_text()
    for _ in range(50):  # the service worker keeps the door page for a reload without network
        if page.evaluate(DOOR_PAGE_KEPT):
            break
        page.wait_for_timeout(100)

    page.context.set_offline(True)
    page.wait_for_selector("#door-offline.is-offline")
    page.reload()  # served by the service worker
    page.wait_for_function(LIST_LOADED)
    assert "Offline" in page.locator("#door-offline").inner_text()
    page.fill("#door", "North entrance")

    scan(page, token)
    result = page.locator('.scan-result[data-result="checked_in_offline"]')
    result.wait_for()
    assert "Checked in (offline)" in result.inner_text() and "Yasmin Ali" in result.inner_text()
    assert waiting(page) == "1"
    assert page.evaluate("document.activeElement.id") == "token"
    scan(page, token)  # the same ticket again at this door: already in, nothing more to send
    page.wait_for_selector('.scan-result[data-result="already_checked_in_offline"]')
    assert waiting(page) == "1"
    scan(page, "not-a-ticket")
    page.wait_for_selector('.scan-result[data-result="forged_offline"]')
    (stored,) = page.evaluate(PENDING_SCANS)
    db.session.expire_all()
    assert db.session.get(Registration, reg_id).checked_in_at is None  # nothing reached the server yet
    release_database()  # on SQLite an open read would hold the lock the server's writes need

    page.context.set_offline(False)
    page.wait_for_function("() => document.querySelector('#door-offline [data-waiting]').textContent === '0'")
    assert "Online" in page.locator("#door-offline").inner_text()

    # the same scan sent once more (a lost answer, a second tab): the same answer, no second arrival
    again = page.evaluate(
        """async (scan) => {
          const list = await (await fetch(document.getElementById("door-offline").dataset.tickets)).json();
          const response = await fetch(document.getElementById("door-offline").dataset.scans, {
            method: "POST", headers: {"Content-Type": "application/json", "X-CSRFToken": list.csrf_token},
            body: JSON.stringify(scan)});
          return [response.status, await response.json()];
        }""",
        {k: stored[k] for k in ("scan_id", "ticket", "door", "scanned_at")},
    )
    assert again[0] == 200 and again[1]["result"] == "checked_in"

    db.session.expire_all()
    scans = db.session.scalars(select(DoorScan)).all()
    assert [(s.result, s.door, s.scan_id) for s in scans] == [("checked_in", "North entrance", stored["scan_id"])]
    arrived = db.session.get(Registration, reg_id).checked_in_at
    assert arrived == datetime.fromisoformat(stored["scanned_at"].replace("Z", "+00:00"))


@pytest.mark.browser
def test_two_offline_doors_scanning_one_ticket_count_it_once_at_the_earliest_time(ctx, live_server, page, chromium):
    event, door_path = fresh_event("Jobbmässan")
    f.checkin_staff(event, email="north@example.org", preferred_language="en")
    f.checkin_staff(event, email="south@example.org", preferred_language="en")
    reg = f.registration(event, f.visitor(name="Karim Nasser"))
    token, reg_id = ticket_token(reg), reg.id
    db.session.commit()
    south_context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        north, south = page, south_context.new_page()
        south.set_default_timeout(15000)
        open_door(north, live_server, door_path, "north@example.org", "North")
        open_door(south, live_server, door_path, "south@example.org", "South")
        north.context.set_offline(True)
        south_context.set_offline(True)

        scan(north, token)
        north.wait_for_selector('.scan-result[data-result="checked_in_offline"]')
        south.wait_for_timeout(1100)  # the south door scans later
        scan(south, token)
        south.wait_for_selector('.scan-result[data-result="checked_in_offline"]')
        (north_scan,), (south_scan,) = north.evaluate(PENDING_SCANS), south.evaluate(PENDING_SCANS)
        assert north_scan["scanned_at"] < south_scan["scanned_at"]

        south_context.set_offline(False)  # the later scan reaches the server first
        south.wait_for_function("() => document.querySelector('#door-offline [data-waiting]').textContent === '0'")
        north.context.set_offline(False)
        north.wait_for_function("() => document.querySelector('#door-offline [data-waiting]').textContent === '0'")
    finally:
        south_context.close()

    db.session.expire_all()
    earliest = datetime.fromisoformat(north_scan["scanned_at"].replace("Z", "+00:00"))
    assert db.session.get(Registration, reg_id).checked_in_at == earliest
    rows = db.session.scalars(select(DoorScan).order_by(DoorScan.id)).all()
    assert [(r.door, r.result) for r in rows] == [("South", "already_checked_in"), ("North", "checked_in")]
