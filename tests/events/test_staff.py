"""An event's staff page: organisers invite door staff and co-organisers, who accept through a
signed, single-use link; revoking a role or withdrawing an invitation takes effect at once."""

from sqlalchemy import func, select

from bazaar.accounts.models import User
from bazaar.api.services import create_token
from bazaar.events.models import EventStaff, EventStaffInvitation
from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from bazaar.notifications.render import render
from bazaar.tokens import make_token
from tests import factories as f
from tests.support import login as conftest_login


def login(client, user) -> None:
    conftest_login(client, user)
    client.post("/language", data={"lang": "en"})


def invite(client, event, email, role="checkin"):
    response = client.post(f"/organiser/events/{event.id}/staff", data={"email": email, "role": role})
    assert response.status_code == 302, response.get_data(as_text=True)
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == "event_staff_invitation").order_by(OutboxMessage.id.desc())
    )
    return message, message.payload["token"]


def roles_of(user, event) -> set[str]:
    return set(
        db.session.scalars(
            select(EventStaff.role).where(EventStaff.event_id == event.id, EventStaff.user_id == user.id)
        )
    )


def test_the_event_page_links_the_staff_page_for_its_organisers(ctx, client):
    org = f.organisation()
    event = f.event(org=org)
    login(client, f.organiser(org))
    page = client.get(f"/organiser/events/{event.id}").get_data(as_text=True)
    assert f"/organiser/events/{event.id}/staff" in page
    assert "Event staff" in client.get(f"/organiser/events/{event.id}/staff").get_data(as_text=True)


def test_a_new_person_accepts_a_door_invitation_and_runs_the_door_until_revoked(ctx, client, app):
    org = f.organisation()
    event = f.event(org=org, name="Spring fair")
    login(client, f.organiser(org, name="Olga Organiser"))
    message, token = invite(client, event, "Door.Person@Example.org")
    assert message.to_address == "door.person@example.org" and message.event_id == event.id
    assert message.payload["inviter_name"] == "Olga Organiser" and message.payload["role"] == "checkin"
    assert f"/event-invitations/{token}" in render(message).text
    assert "door.person@example.org" in client.get(f"/organiser/events/{event.id}/staff").get_data(as_text=True)

    guest = app.test_client()
    guest.post("/language", data={"lang": "en"})
    page = guest.get(f"/event-invitations/{token}")  # a mail scanner's GET changes nothing
    assert page.status_code == 200 and "Door staff at Spring fair" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "door.person@example.org")) == 0
    response = guest.post(f"/event-invitations/{token}", data={"name": "Dana Door", "password": "a good long password"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/organiser/events/{event.id}/door")
    dana = db.session.scalar(select(User).where(User.email == "door.person@example.org"))
    assert dana.email_verified_at is not None and roles_of(dana, event) == {"checkin"}
    assert guest.get(f"/organiser/events/{event.id}/door").status_code == 200
    assert guest.get(f"/organiser/events/{event.id}").status_code == 403  # the door only
    assert guest.get(f"/organiser/events/{event.id}/staff").status_code == 403

    # single use: the link no longer works, for anyone
    assert app.test_client().get(f"/event-invitations/{token}").status_code == 404
    assert guest.post(f"/event-invitations/{token}").status_code == 404

    staff_page = client.get(f"/organiser/events/{event.id}/staff").get_data(as_text=True)
    assert "Dana Door" in staff_page and "Invitations not yet accepted" not in staff_page
    row = db.session.scalar(select(EventStaff).where(EventStaff.user_id == dana.id))
    assert client.post(f"/organiser/events/{event.id}/staff/{row.id}/revoke").status_code == 302
    assert roles_of(dana, event) == set()
    assert guest.get(f"/organiser/events/{event.id}/door").status_code == 403  # at once, same session


def test_a_co_organiser_runs_the_fair_but_not_its_staff_budget_or_retention(ctx, client, app):
    org = f.organisation()
    event = f.event(org=org)
    login(client, f.organiser(org))
    colleague = f.user(email="colleague@partner.example")
    _message, token = invite(client, event, "colleague@partner.example", role="coorganiser")

    anon = app.test_client()
    anon.post("/language", data={"lang": "en"})
    assert "Log in to accept" in anon.get(f"/event-invitations/{token}").get_data(as_text=True)
    assert anon.post(f"/event-invitations/{token}").status_code == 400
    stranger = app.test_client()
    login(stranger, f.user())
    assert "another email address" in stranger.get(f"/event-invitations/{token}").get_data(as_text=True)
    stranger.post(f"/event-invitations/{token}")
    assert roles_of(colleague, event) == set()

    mine = app.test_client()
    login(mine, colleague)
    response = mine.post(f"/event-invitations/{token}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/organiser/events/{event.id}")
    assert roles_of(colleague, event) == {"coorganiser"}
    manage = mine.get(f"/organiser/events/{event.id}")
    assert manage.status_code == 200 and f"/organiser/events/{event.id}/staff" not in manage.get_data(as_text=True)
    for reached in ("applications", "registrations", "door", "counters", "stats"):
        assert mine.get(f"/organiser/events/{event.id}/{reached}").status_code == 200, reached
    for refused in ("staff", "budget", "retention"):
        assert mine.get(f"/organiser/events/{event.id}/{refused}").status_code == 403, refused
    before = db.session.scalar(select(func.count(EventStaffInvitation.id)))
    assert mine.post(f"/organiser/events/{event.id}/staff", data={"email": "x@example.org"}).status_code == 403
    assert db.session.scalar(select(func.count(EventStaffInvitation.id))) == before


def test_withdrawn_expired_forged_and_foreign_links_are_refused(ctx, client, app, clock):
    org = f.organisation()
    event = f.event(org=org)
    login(client, f.organiser(org))
    _message, withdrawn = invite(client, event, "first@example.org")
    first = db.session.scalar(select(EventStaffInvitation).where(EventStaffInvitation.email == "first@example.org"))
    withdraw = f"/organiser/events/{event.id}/staff/invitations/{first.id}/withdraw"
    assert f'action="{withdraw}"' in client.get(f"/organiser/events/{event.id}/staff").get_data(as_text=True)
    assert client.post(withdraw).status_code == 302
    assert "first@example.org" not in client.get(f"/organiser/events/{event.id}/staff").get_data(as_text=True)
    _message, expiring = invite(client, event, "second@example.org")
    second = db.session.scalar(select(EventStaffInvitation).where(EventStaffInvitation.email == "second@example.org"))
    # an exhibitor's staff invitation link cannot be used for an event role, nor the other way round
    other_purpose = make_token("staff_invitation", {"i": second.id, "e": second.email})
    anon = app.test_client()
    for bad in (withdrawn, expiring[:-3] + "abc", other_purpose, "junk", "x" * 3000):
        assert anon.get(f"/event-invitations/{bad}").status_code == 404
        form = {"name": "X", "password": "a good long password"}
        assert anon.post(f"/event-invitations/{bad}", data=form).status_code == 404
    assert anon.get(f"/invitations/{expiring}").status_code == 404
    assert anon.get(f"/event-invitations/{expiring}").status_code == 200
    clock.advance(days=15)
    assert anon.get(f"/event-invitations/{expiring}").status_code == 404
    assert (
        db.session.scalar(
            select(func.count(User.id)).where(User.email.in_(["first@example.org", "second@example.org"]))
        )
        == 0
    )


def test_someone_who_has_the_role_already_is_not_invited_again(ctx, client):
    org = f.organisation()
    event = f.event(org=org)
    door = f.checkin_staff(event, email="door@example.org")
    login(client, f.organiser(org))
    page = client.post(f"/organiser/events/{event.id}/staff", data={"email": "DOOR@example.org", "role": "checkin"})
    assert page.status_code == 200 and "already has this role" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(EventStaffInvitation.id))) == 0
    invite(client, event, "door@example.org", role="coorganiser")  # another role is a new invitation
    assert roles_of(door, event) == {"checkin"}


def test_an_organiser_of_another_event_cannot_see_or_change_its_staff(ctx, client):
    org, other_org = f.organisation(), f.organisation()
    event, other_event = f.event(org=org), f.event(org=other_org)
    door = f.checkin_staff(event)
    row = db.session.scalar(select(EventStaff).where(EventStaff.user_id == door.id))
    pending = EventStaffInvitation(event_id=event.id, email="pending@example.org", role="checkin")
    db.session.add(pending)
    db.session.commit()
    login(client, f.organiser(other_org))
    assert client.get(f"/organiser/events/{event.id}/staff").status_code == 403
    assert client.post(f"/organiser/events/{event.id}/staff/{row.id}/revoke").status_code == 403
    assert client.post(f"/organiser/events/{event.id}/staff/invitations/{pending.id}/withdraw").status_code == 403
    # through their own event's URL the other event's rows are not found
    assert client.post(f"/organiser/events/{other_event.id}/staff/{row.id}/revoke").status_code == 404
    assert client.post(f"/organiser/events/{other_event.id}/staff/invitations/{pending.id}/withdraw").status_code == 404
    db.session.expire_all()
    assert roles_of(door, event) == {"checkin"}
    assert db.session.get(EventStaffInvitation, pending.id).is_pending


def test_a_revoked_door_staffs_api_token_stops_working_with_the_role(ctx, client, app):
    org = f.organisation()
    event = f.event(org=org)
    door = f.checkin_staff(event)
    _token, secret = create_token(door, event, "Door app", scope="read-write")
    url = f"/api/v1/events/{event.id}/tickets?ticket=not-a-valid-token"
    headers = {"Authorization": f"Bearer {secret}"}
    assert app.test_client().get(url, headers=headers).status_code == 200
    login(client, f.organiser(org))
    row = db.session.scalar(select(EventStaff).where(EventStaff.user_id == door.id))
    assert client.post(f"/organiser/events/{event.id}/staff/{row.id}/revoke").status_code == 302
    assert app.test_client().get(url, headers=headers).status_code == 404


def test_a_co_organiser_finds_the_fair_under_my_events_and_door_staff_do_not(ctx, client, app):
    org = f.organisation()
    event, elsewhere = f.event(org=org, name="Jobbmässan Lund"), f.event(name="Another body's fair")
    login(client, f.organiser(org))
    colleague, doorkeeper = f.user(email="colleague@partner.example"), f.user(email="door@partner.example")
    for person, role in ((colleague, "coorganiser"), (doorkeeper, "checkin")):
        _message, token = invite(client, event, person.email, role=role)
        own = app.test_client()
        login(own, person)
        own.post(f"/event-invitations/{token}")

    mine = app.test_client()
    login(mine, colleague)
    assert '<a href="/organiser/events">My events</a>' in mine.get("/my").get_data(as_text=True)
    listed = mine.get("/organiser/events").get_data(as_text=True)
    assert "Jobbmässan Lund" in listed and elsewhere.name not in listed
    assert "Create an event" not in listed  # a co-organiser runs this fair, not the organising body

    door = app.test_client()
    login(door, doorkeeper)
    assert "/organiser/events" not in door.get("/my").get_data(as_text=True)
    assert door.get("/organiser/events").status_code == 403
