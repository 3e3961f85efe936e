"""My data: export everything, delete my account (erased, figures kept), the sensitive field."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bazaar.accounts.models import User, VisitorProfile
from bazaar.accounts.services import find_user_by_email
from bazaar.booking.models import Booking
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from bazaar.privacy.services import delete_account, export_user_data
from bazaar.registrations import services
from bazaar.registrations.models import Registration
from bazaar.stats.models import SurveyResponse
from tests import factories as f
from tests.support import login

pytestmark = pytest.mark.usefixtures("english")


def _rich_visitor():
    visitor = f.visitor(name="Maryam Hosseini", email="maryam@example.org")
    p = visitor.profile
    p.phone, p.municipality, p.occupations, p.languages = "+46701234567", "Lund", ["nurse"], ["fa", "sv"]
    p.consent_followup_at = utcnow() - timedelta(days=3)
    p.consent_sensitive_at = utcnow()
    p.foreign_background, p.foreign_background_definition = "born_abroad", "scb_mis_2002_3"
    db.session.commit()
    return visitor


def _booking(event, reg, exhibitor, hours=2, **kw):
    start = event.starts_at + timedelta(hours=hours)
    booking = Booking(
        event_id=event.id,
        exhibitor_id=exhibitor.id,
        registration_id=reg.id,
        starts_at=start,
        ends_at=start + timedelta(minutes=15),
        **kw,
    )
    db.session.add(booking)
    db.session.commit()
    return booking


def test_export_holds_everything_about_me(ctx, client):
    visitor = _rich_visitor()
    past = f.event(name="Last year's fair", starts_in=-timedelta(days=300))
    coming = f.event(name="This year's fair")
    old_reg = f.registration(past, visitor, checked_in_at=past.starts_at)
    new_reg = services.register(coming, visitor)
    employer = f.exhibitor(past, name="Region Skåne")
    _booking(past, old_reg, employer, attendance="attended", outcome="hired", outcome_employment_type="permanent")
    db.session.add(SurveyResponse(event_id=past.id, registration_id=old_reg.id, result="job", fair_contributed=True))
    other = f.visitor(name="Someone Else")
    f.registration(past, other)
    db.session.commit()

    data = export_user_data(visitor)
    assert data["account"]["email"] == "maryam@example.org" and data["account"]["name"] == "Maryam Hosseini"
    assert data["profile"]["phone"] == "+46701234567" and data["profile"]["occupations"] == ["nurse"]
    assert data["profile"]["foreign_background"] == "born_abroad"  # their own answer, to themselves
    assert data["consents"]["followup"] == visitor.profile.consent_followup_at.isoformat()
    assert data["consents"]["news"] is None
    assert {r["event"] for r in data["registrations"]} == {"Last year's fair", "This year's fair"}
    assert [b["exhibitor"] for b in data["bookings"]] == ["Region Skåne"]
    assert data["bookings"][0]["outcome"] == "hired"
    assert data["survey_answers"][0]["result"] == "job" and data["survey_answers"][0]["event"] == "Last year's fair"
    assert "Someone Else" not in json.dumps(data, ensure_ascii=False)
    assert new_reg.ticket_code not in json.dumps(data)  # the ticket stays a ticket, not data to leak

    login(client, visitor)
    response = client.get("/my/data.json")
    assert response.mimetype == "application/json" and "attachment" in response.headers["Content-Disposition"]
    downloaded = json.loads(response.get_data(as_text=True))
    assert downloaded["account"]["name"] == "Maryam Hosseini" and len(downloaded["registrations"]) == 2


def test_delete_account_erases_person_and_keeps_figures(ctx, client):
    visitor = _rich_visitor()
    past = f.event(starts_in=-timedelta(days=300))
    coming = f.event(capacity=1)
    old_reg = f.registration(past, visitor, checked_in_at=past.starts_at)
    employer = f.exhibitor(past)
    _booking(past, old_reg, employer, outcome="hired", outcome_note="Maryam was great, call her")
    coming_reg = services.register(coming, visitor)
    waiting = services.register(coming, f.visitor(name="Next In Line"))
    assert waiting.status == "waitlisted"
    user_id = visitor.id

    login(client, visitor)
    assert client.get("/my/delete").status_code == 200
    # the password is asked and the box must be ticked
    assert "Tick the box" in client.post("/my/delete", data={"password": f.PASSWORD}).get_data(as_text=True)
    assert "Wrong password" in client.post("/my/delete", data={"password": "nope", "confirm": "y"}).get_data(
        as_text=True
    )
    response = client.post("/my/delete", data={"password": f.PASSWORD, "confirm": "y"})
    assert response.status_code == 200 and "deleted" in response.get_data(as_text=True)

    db.session.expire_all()
    user = db.session.get(User, user_id)
    assert user.email != "maryam@example.org" and "maryam" not in user.email and user.name == ""
    assert user.password_hash is None and user.deleted_at is not None and not user.is_active
    assert db.session.scalar(select(func.count(VisitorProfile.id)).where(VisitorProfile.user_id == user_id)) == 0
    assert find_user_by_email("maryam@example.org") is None
    # registrations and bookings stay, detached, for the figures
    assert old_reg.user_id is None and old_reg.checked_in_at is not None and old_reg.status == "registered"
    kept = db.session.scalar(select(Booking).where(Booking.registration_id == old_reg.id))
    assert kept.outcome == "hired" and kept.outcome_note is None
    assert coming_reg.user_id is None and coming_reg.status == "cancelled"
    # the freed place went to the next in line
    assert waiting.status == "offered"
    # no message keeps the address
    assert (
        db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.to_address == "maryam@example.org"))
        == 0
    )
    assert not any("maryam" in key for key in db.session.scalars(select(OutboxMessage.dedup_key)))
    assert db.session.scalar(select(func.count(OutboxMessage.id))) > 0  # the rows stay, anonymous
    # logged out, and cannot log back in
    assert client.get("/my").status_code == 302
    anon = client.application.test_client()
    assert anon.post("/login", data={"email": "maryam@example.org", "password": f.PASSWORD}).status_code == 200
    # the address is free to sign up again
    assert (
        anon.post(
            "/signup",
            data={
                "name": "Maryam",
                "email": "maryam@example.org",
                "password": "a long password 1",
                "preferred_language": "fa",
            },
        ).status_code
        == 302
    )
    assert find_user_by_email("maryam@example.org").id != user_id


def test_delete_account_service_for_a_passwordless_group_participant(ctx):
    event = f.event()
    coach = f.user(name="Coach")
    person = f.user(name="Abdi Farah")
    person.password_hash = None
    db.session.commit()
    reg = services.register(event, person, registered_by=coach)
    delete_account(person)
    db.session.expire_all()
    assert reg.user_id is None and reg.registered_by_id == coach.id and reg.status == "cancelled"
    assert person.name == "" and person.deleted_at is not None


def test_sensitive_answer_never_on_per_person_screens(ctx, client):
    org = f.organisation()
    event = f.event(org=org)
    visitor = _rich_visitor()
    services.register(event, visitor)
    from bazaar.accounts.choices import FOREIGN_BACKGROUND

    label = str(dict(FOREIGN_BACKGROUND)["born_abroad"])
    organiser = f.organiser(org)
    login(client, organiser)
    for url in (f"/organiser/events/{event.id}/registrations", f"/organiser/events/{event.id}/registrations.csv"):
        body = client.get(url).get_data(as_text=True)
        assert "Maryam Hosseini" in body
        assert "born_abroad" not in body and label not in body and "scb_mis" not in body
    # the visitor's own My page does not display it either; the profile form lets them change or remove it
    c = client.application.test_client()
    login(c, visitor)
    assert label not in c.get("/my").get_data(as_text=True)
    assert 'selected value="born_abroad"' in c.get("/my/profile").get_data(as_text=True)


def test_my_page_shows_only_my_registrations(ctx, client):
    event, other_event = f.event(name="My fair"), f.event(name="Their fair")
    me, them = f.visitor(), f.visitor()
    services.register(event, me)
    services.register(other_event, them)
    login(client, me)
    html = client.get("/my").get_data(as_text=True)
    assert "My fair" in html and "Their fair" not in html
    assert db.session.scalar(select(func.count(Registration.id))) == 2


MARKER = "Zqx7Marker"


def _texts_holding(marker: str) -> list[str]:
    """Every table.column whose stored value holds ``marker``: generic over the metadata, so a new
    table or column is covered without changing this test."""
    found = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).mappings():
            found += [
                f"{table.name}.{column}"
                for column, value in row.items()
                if value is not None and marker.lower() in str(value).lower()
            ]
    return found


def test_delete_account_leaves_no_free_text_anywhere_and_figures_unchanged(ctx):
    from bazaar.reminders.services import day_before_due, ensure_event_messages
    from bazaar.stats.compile import compile_event

    visitor = f.visitor(name=f"{MARKER} Hosseini", email=f"{MARKER.lower()}@example.org")
    p = visitor.profile
    p.phone, p.municipality = "+46700000000", f"{MARKER} town"
    p.consent_share_profile_at = utcnow()
    db.session.commit()
    past = f.event(starts_in=-timedelta(days=100))
    old_reg = f.registration(past, visitor, checked_in_at=past.starts_at)
    employer = f.exhibitor(past)
    f.interview(old_reg, employer, outcome="hired", outcome_note=f"{MARKER} was great")
    answer = f.survey_answer(old_reg, result="job", exhibitor=employer, contributed=True)
    answer.missing = f"Nothing, says {MARKER}"
    coming = f.event(starts_in=timedelta(days=3))
    booth = f.exhibitor(coming)
    booth.tables[0].interviewer_id = f.exhibitor_staff(booth, role="interviewer").id
    db.session.commit()
    f.booked(f.registration(coming, visitor), f.slots_for(booth, count=1)[0])
    group = [services.Participant(f"Member {i}", f"member{i}@example.org", "sv") for i in range(5)]
    services.register_group(f.event(), visitor, group)  # the visitor as a job coach
    ensure_event_messages(coming, now=day_before_due(coming))  # the interviewer's digest names the visitor
    failed = db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == visitor.id))
    failed.last_error = f"550 {visitor.email}: mailbox unavailable"
    db.session.commit()
    assert {
        "user.name",
        "user.email",
        "visitor_profile.municipality",
        "booking.outcome_note",
        "survey_response.missing",
        "outbox_message.payload",
        "outbox_message.last_error",
    } <= set(_texts_holding(MARKER))

    def figures():
        return {key: value for key, value in compile_event(past.id).items() if key != "compiled_at"}

    before = figures()
    delete_account(visitor)
    db.session.expire_all()
    assert _texts_holding(MARKER) == []
    assert figures() == before


def test_deleting_an_account_erases_its_staff_roles_and_the_invitations_to_its_address(ctx):
    from bazaar.events.models import EventStaff, EventStaffInvitation
    from bazaar.exhibitors.models import ExhibitorStaff, StaffInvitation

    event = f.event()
    employer = f.exhibitor(event)
    person = f.checkin_staff(event, email="door.and.booth@example.org")
    db.session.add_all(
        [
            EventStaffInvitation(event_id=event.id, email=person.email, role="coorganiser"),
            StaffInvitation(exhibitor_id=employer.id, email=person.email, role="interviewer"),
            StaffInvitation(exhibitor_id=employer.id, email="someone.else@example.org", role="interviewer"),
        ]
    )
    db.session.add(ExhibitorStaff(exhibitor_id=employer.id, user_id=person.id, role="interviewer"))
    db.session.commit()
    exported = export_user_data(person)
    assert exported["event_roles"] == [{"event_id": event.id, "role": "checkin"}]
    assert [i["role"] for i in exported["event_staff_invitations"]] == ["coorganiser"]

    delete_account(person)
    db.session.expire_all()
    for model in (EventStaffInvitation, StaffInvitation):
        assert db.session.scalar(select(func.count()).where(model.email == "door.and.booth@example.org")) == 0
    assert db.session.scalar(select(func.count(StaffInvitation.id))) == 1  # another person's stays
    assert db.session.scalar(select(func.count(EventStaff.id)).where(EventStaff.user_id == person.id)) == 0
    assert db.session.scalar(select(func.count(ExhibitorStaff.id)).where(ExhibitorStaff.user_id == person.id)) == 0
