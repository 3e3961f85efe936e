"""The offline door's server side: its ticket list, its scan upload, its manifest and worker."""

import uuid
from datetime import timedelta

import pytest

from bazaar.checkin.models import DoorScan
from bazaar.extensions import db
from bazaar.registrations.models import Registration
from bazaar.registrations.services import ticket_token
from tests import factories as f
from tests.support import login


@pytest.fixture
def door(ctx, client):
    event = f.event(starts_in=-timedelta(hours=1))
    staff = f.checkin_staff(event)
    login(client, staff)
    return event


def test_the_ticket_list_holds_only_what_the_door_needs(client, door):
    inside = f.registration(door, f.visitor(name="Yasmin Ali"), checked_in_at=door.starts_at)
    waiting = f.registration(door, status="registered")
    f.registration(door, status="cancelled")
    f.registration(door, status="waitlisted")
    f.registration(f.event())
    response = client.get(f"/organiser/events/{door.id}/door/tickets")
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    data = response.get_json()
    assert set(data) == {"event_id", "valid_from", "valid_until", "csrf_token", "tickets"}
    assert data["tickets"] == [
        {
            "code": inside.ticket_code,
            "number": inside.ticket_code[:6].upper(),
            "name": "Yasmin Ali",
            "checked_in": True,
        },
        {
            "code": waiting.ticket_code,
            "number": waiting.ticket_code[:6].upper(),
            "name": waiting.user.name,
            "checked_in": False,
        },
    ]
    assert "email" not in response.get_data(as_text=True)


def test_an_uploaded_offline_scan_is_applied_once(client, door):
    reg = f.registration(door)
    body = {"scan_id": str(uuid.uuid4()), "ticket": ticket_token(reg), "door": "North"}
    first = client.post(f"/organiser/events/{door.id}/door/scans", json=body).get_json()
    again = client.post(f"/organiser/events/{door.id}/door/scans", json=body).get_json()
    assert first == again and first["result"] == "checked_in"
    assert db.session.scalar(db.select(db.func.count(DoorScan.id))) == 1
    assert db.session.get(Registration, reg.id).checked_in_at is not None


def test_junk_uploads_are_422_problems(client, door):
    url = f"/organiser/events/{door.id}/door/scans"
    for body in (None, [], {}, {"scan_id": "x", "ticket": "y"}, {"scan_id": str(uuid.uuid4())}, {"ticket": "t"}):
        response = client.post(url, json=body)
        assert response.status_code == 422 and response.mimetype == "application/problem+json", body
    late = {"scan_id": str(uuid.uuid4()), "ticket": "t", "scanned_at": "2020-01-01T10:00:00+00:00"}
    assert client.post(url, json=late).get_json()["code"] == "scanned_at_out_of_range"
    assert client.post(url, data="{not json", content_type="application/json").status_code == 422
    assert db.session.scalar(db.select(DoorScan)) is None


def test_the_upload_needs_the_csrf_token(ctx, app, door):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        login(client, f.checkin_staff(door))
        token = client.get(f"/organiser/events/{door.id}/door/tickets").get_json()["csrf_token"]
        body = {"scan_id": str(uuid.uuid4()), "ticket": ticket_token(f.registration(door))}
        url = f"/organiser/events/{door.id}/door/scans"
        assert client.post(url, json=body).status_code == 400
        assert client.post(url, json=body, headers={"X-CSRFToken": token}).status_code == 200
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_manifest_and_worker_cover_the_door_page(client, ctx):
    manifest = client.get("/organiser/events/7/door.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    assert manifest.get_json()["start_url"] == "/organiser/events/7/door"
    worker = client.get("/organiser/events/door-sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    # the worker's scope is its own folder: /organiser/events/, which holds every door page
    assert "/organiser/events/7/door".startswith(worker.request.path.rsplit("/", 1)[0] + "/")
