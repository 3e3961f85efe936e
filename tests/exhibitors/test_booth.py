"""Badges scanned at a booth: conversations and walk-in interviews."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bazaar.booking.models import Booking
from bazaar.checkin import services
from bazaar.checkin.models import BoothScan
from bazaar.clock import utcnow
from bazaar.exhibitors.services import visitor_card
from bazaar.extensions import db
from bazaar.registrations.services import ticket_token
from bazaar.tokens import make_token
from tests import factories as f
from tests.support import login


@pytest.fixture
def booth(ctx):
    event = f.event(name="Jobbdating Malmö")
    exhibitor = f.exhibitor(event, name="Region Skåne")
    return event, exhibitor, f.exhibitor_staff(exhibitor, role="interviewer")


def lookup(client, exhibitor, token):
    return client.post(f"/booth/{exhibitor.id}/scan", data={"token": token})


def log(client, exhibitor, token, kind):
    return client.post(f"/booth/{exhibitor.id}/log", data={"token": token, "kind": kind}, follow_redirects=True)


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_consenting_visitor_is_shown_by_name_and_a_conversation_is_logged(booth, client):
    event, exhibitor, staff = booth
    reg = f.registration(event, f.visitor(name="Nadia Rahimi"))
    login(client, staff, language="en")
    assert client.get(f"/booth/{exhibitor.id}").status_code == 200

    html = lookup(client, exhibitor, ticket_token(reg)).get_data(as_text=True)
    assert "Nadia Rahimi" in html and "Log a walk-in interview" in html
    assert html.count('id="token"') == 1 and 'id="log-token"' in html  # the camera fills the scan field
    assert count(BoothScan) == 0  # looking someone up logs nothing

    page = log(client, exhibitor, ticket_token(reg), "conversation").get_data(as_text=True)
    assert "Conversation with Nadia Rahimi logged" in page
    scan = db.session.scalar(select(BoothScan))
    assert (scan.exhibitor_id, scan.registration_id, scan.scanned_by_id, scan.kind, scan.booking_id) == (
        exhibitor.id,
        reg.id,
        staff.id,
        "conversation",
        None,
    )
    assert count(Booking) == 0


def test_visitor_without_consent_shows_as_ticket_number_only(booth, client):
    event, exhibitor, staff = booth
    person = f.visitor(name="Omar Secret", profile=False)
    reg = f.registration(event, person)
    login(client, staff, language="en")
    html = lookup(client, exhibitor, ticket_token(reg)).get_data(as_text=True)
    assert "Omar Secret" not in html and person.email not in html
    assert services.ticket_number(reg) == visitor_card(reg).reference  # the same number as on the ticket
    assert services.ticket_number(reg) in html
    page = log(client, exhibitor, ticket_token(reg), "interview").get_data(as_text=True)
    assert "Omar Secret" not in page and services.ticket_number(reg) in page


def test_walk_in_interview_becomes_an_attended_booking_in_the_schedule(booth, client):
    event, exhibitor, staff = booth
    reg = f.registration(event, f.visitor(name="Sara Lind"))
    login(client, staff, language="en")
    before = utcnow()
    page = log(client, exhibitor, ticket_token(reg), "interview").get_data(as_text=True)
    assert "Walk-in interview with Sara Lind logged" in page

    booking = db.session.scalar(select(Booking))
    assert booking.walk_in and booking.slot_id is None and booking.status == "confirmed"
    assert booking.attendance == "attended" and booking.attendance_marked_by_id == staff.id
    assert (booking.exhibitor_id, booking.registration_id, booking.event_id) == (exhibitor.id, reg.id, event.id)
    assert before <= booking.starts_at <= utcnow()
    assert booking.ends_at - booking.starts_at == timedelta(minutes=15)
    scan = db.session.scalar(select(BoothScan))
    assert scan.kind == "interview" and scan.booking_id == booking.id

    # it is in the exhibitor's schedule and takes an outcome like a booked interview
    day = client.get(f"/exhibitor/{exhibitor.id}/day").get_data(as_text=True)
    assert f"interview-{booking.id}" in day and "Sara Lind" in day
    response = client.post(
        f"/exhibitor/{exhibitor.id}/interviews/{booking.id}",
        data={f"b{booking.id}-attendance": "attended", f"b{booking.id}-outcome": "second_interview"},
    )
    assert response.status_code == 302
    db.session.refresh(booking)
    assert booking.outcome == "second_interview" and booking.outcome_recorded_by_id == staff.id


def test_only_registrations_of_the_same_event(booth, client):
    event, exhibitor, staff = booth
    foreign = f.registration(f.event(name="Other fair"), f.visitor(name="Far Away"))
    cancelled = f.registration(event, f.visitor(name="Gone Person"), status="cancelled")
    waiting = f.registration(event, status="waitlisted")
    login(client, staff, language="en")

    html = lookup(client, exhibitor, ticket_token(foreign)).get_data(as_text=True)
    assert 'data-result="wrong_event"' in html and "Far Away" not in html
    assert "another event" in log(client, exhibitor, ticket_token(foreign), "interview").get_data(as_text=True)
    assert 'data-result="cancelled"' in lookup(client, exhibitor, ticket_token(cancelled)).get_data(as_text=True)
    assert "cancelled" in log(client, exhibitor, ticket_token(cancelled), "conversation").get_data(as_text=True)
    assert 'data-result="not_registered"' in lookup(client, exhibitor, ticket_token(waiting)).get_data(as_text=True)
    forged = ticket_token(f.registration(event))[:-2] + "xx"
    assert 'data-result="forged"' in lookup(client, exhibitor, forged).get_data(as_text=True)
    assert "not valid" in log(client, exhibitor, forged, "interview").get_data(as_text=True)
    assert count(BoothScan) == 0 and count(Booking) == 0


@pytest.mark.parametrize("junk", ["", "x" * 3000, "\x00", "a.b.c", "😀", "' OR 1=1"])
def test_junk_at_the_booth_never_fails(booth, client, junk):
    event, exhibitor, staff = booth
    reg = f.registration(event)
    login(client, staff, language="en")
    assert lookup(client, exhibitor, junk).status_code == 200
    assert log(client, exhibitor, junk, "interview").status_code == 200
    assert log(client, exhibitor, ticket_token(reg), junk or "party").status_code == 200
    assert log(client, exhibitor, make_token("ticket", {"e": "x", "t": 5}), "interview").status_code == 200
    assert count(BoothScan) == 0 and count(Booking) == 0


def test_booth_permissions(booth, client):
    event, exhibitor, staff = booth
    reg = f.registration(event)
    other_booth = f.exhibitor(event)
    pending = f.exhibitor(event, status="applied")
    anon = client.application.test_client()
    assert anon.get(f"/booth/{exhibitor.id}").status_code == 302
    assert (
        anon.post(f"/booth/{exhibitor.id}/log", data={"token": ticket_token(reg), "kind": "interview"}).status_code
        == 302
    )

    intruders = [
        f.visitor(),
        f.exhibitor_staff(other_booth),
        f.checkin_staff(event),
        f.organiser(org=event.organisers[0].organisation),
        f.exhibitor_staff(f.exhibitor(f.event())),
    ]
    for intruder in intruders:
        login(client, intruder, language="en")
        assert client.get(f"/booth/{exhibitor.id}").status_code == 403
        assert lookup(client, exhibitor, ticket_token(reg)).status_code == 403
        assert (
            client.post(
                f"/booth/{exhibitor.id}/log", data={"token": ticket_token(reg), "kind": "interview"}
            ).status_code
            == 403
        )
    login(client, f.exhibitor_staff(pending, role="admin"), language="en")
    assert client.get(f"/booth/{pending.id}").status_code == 403  # not approved (yet)
    login(client, staff, language="en")
    assert client.get("/booth/999999").status_code == 404
    assert client.get("/booth/99999999999999").status_code == 404
    assert count(BoothScan) == 0 and count(Booking) == 0


def test_booth_staff_find_their_scanner(booth, client):
    _, exhibitor, staff = booth
    login(client, staff, language="en")
    assert f"/booth/{exhibitor.id}" in client.get("/").get_data(as_text=True)
