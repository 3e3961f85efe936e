"""Job coaches: the role (invited, granted, asked for and approved), groups and their pages, booking
for a member, sheets and links, the member's own first use, and the lines nobody may cross."""

import threading

import pytest
from sqlalchemy import func, select

from bazaar.accounts.models import User
from bazaar.accounts.services import find_user_by_email
from bazaar.booking.models import Booking
from bazaar.coaching import services
from bazaar.coaching.models import CoachGroup, GroupMember
from bazaar.events.models import EventStaff, StaffRequest
from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from bazaar.privacy.services import erase_people, export_user_data
from bazaar.registrations import services as registration_services
from bazaar.registrations.models import Registration
from tests import factories as f
from tests.support import login

pytestmark = pytest.mark.usefixtures("english")

GROUP = [
    ("Abdi Farah", "abdi@example.org", "", "so"),
    ("هدى علي", "", "+46701234567", "ar"),
    ("Tesfay Gebremedhin", "tesfay@example.org", "", "ti"),
]


def outbox(kind):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)).all()


def group_form(rows, name="SFI 3B"):
    data = {"confirm": "y", "name": name}
    for i, (person, email, phone, lang) in enumerate(rows):
        data.update(
            {
                f"participants-{i}-name": person,
                f"participants-{i}-email": email,
                f"participants-{i}-phone": phone,
                f"participants-{i}-preferred_language": lang,
            }
        )
    return data


def coach_of(event, **kw):
    return f.event_staff(event, "coach", **kw)


def register(client, event, rows=GROUP, name="SFI 3B"):
    return client.post(f"/coach/events/{event.id}/groups/new", data=group_form(rows, name))


def test_coach_registers_a_group_with_and_without_email(ctx, client):
    event = f.event(capacity=50)
    coach = coach_of(event, name="Karin Coach")
    login(client, coach)
    page = client.get(f"/coach/events/{event.id}/groups/new")
    assert page.status_code == 200 and page.get_data(as_text=True).count('type="email"') == 15
    response = register(client, event)
    assert response.status_code == 303
    group = db.session.scalar(select(CoachGroup))
    assert group.coach_id == coach.id and group.name == "SFI 3B" and len(group.members) == 3
    regs = [m.registration for m in group.members]
    assert {r.registered_by_id for r in regs} == {coach.id}
    assert [r.user.name for r in regs] == [row[0] for row in GROUP]
    no_email = regs[1].user
    assert no_email.email is None and no_email.password_hash is None and no_email.profile.phone == "+46701234567"
    # nothing optional is assumed before the member's own first use
    assert all(getattr(no_email.profile, f"consent_{c}_at") is None for c in ("share_profile", "followup", "news"))
    assert no_email.profile.consent_matching_at is None and no_email.profile.consent_sensitive_at is None
    mails = outbox("group_registration")
    assert sorted(m.to_address for m in mails) == ["abdi@example.org", "tesfay@example.org"]
    assert "/members/" in mails[0].payload["member_url"]
    html = client.get(f"/coach/groups/{group.id}").get_data(as_text=True)
    assert "هدى علي" in html and "Has not opened their page yet" in html


def test_only_coaches_register_groups(ctx, client):
    event = f.event(capacity=50)
    for person in (f.user(), f.checkin_staff(event), f.event_staff(event, "coorganiser"), coach_of(f.event())):
        login(client, person)
        assert register(client, event).status_code == 404
        assert client.get(f"/coach/events/{event.id}/groups").status_code == 404
    assert db.session.scalar(select(func.count(Registration.id))) == 0
    anonymous = client.application.test_client()
    assert anonymous.get(f"/coach/events/{event.id}/groups/new").status_code == 302


def test_group_is_all_or_nothing_and_bad_rows_are_form_errors(ctx, client):
    event = f.event(capacity=4)
    for _ in range(2):
        registration_services.register(event, f.visitor())
    login(client, coach_of(event))
    response = register(client, event)
    html = response.get_data(as_text=True)
    assert "only 2 places left" in html and "Nobody was registered" in html
    assert db.session.scalar(select(func.count(Registration.id))) == 2
    assert db.session.scalar(select(func.count(CoachGroup.id))) == 0
    event.capacity = 100
    db.session.commit()
    for rows in (
        GROUP[:1],
        GROUP[:2] + [("Same", "abdi@example.org", "", "sv")],
        GROUP[:2] + [("", "x@example.org", "", "sv")],
        GROUP[:2] + [("Bad", "not-an-email", "", "sv")],
        GROUP[:2] + [("Bad phone", "", "12", "sv")],
        GROUP[:2] + [("Lang", "", "", "xx")],
    ):
        response = register(client, event, rows)
        assert response.status_code == 200 and 'class="error"' in response.get_data(as_text=True), rows
    assert db.session.scalar(select(func.count(Registration.id))) == 2


def test_an_existing_account_is_invited_not_registered(ctx, client):
    event = f.event(capacity=50)
    owner = f.user(email="abdi@example.org", name="Stored Secret Name")
    login(client, coach_of(event))
    register(client, event)
    group = db.session.scalar(select(CoachGroup))
    assert len(group.members) == 2 and registration_services.live_registration(event.id, owner.id) is None
    assert [m.to_address for m in outbox("group_invitation")] == ["abdi@example.org"]
    assert "Stored Secret Name" not in client.get(f"/coach/groups/{group.id}").get_data(as_text=True)


@pytest.fixture
def two_coaches(ctx):
    event = f.event(capacity=50)
    exhibitor = f.exhibitor(event, tables=1)
    slots = f.slots_for(exhibitor, start=event.starts_at, count=4)
    groups = []
    for n in range(2):
        coach = coach_of(event, name=f"Coach {n}")
        people = [registration_services.Participant(f"Member {n}-{i}", None, "sv") for i in range(2)]
        groups.append(services.register_group(event, coach, f"Group {n}", people))
    stranger = registration_services.register(event, f.visitor(name="Other Visitor"))
    return {"event": event, "exhibitor": exhibitor, "slots": slots, "groups": groups, "stranger": stranger}


def test_a_coach_sees_only_their_own_groups_members(two_coaches, client):
    mine, theirs = two_coaches["groups"]
    login(client, mine.coach)
    assert "Member 0-0" in client.get(f"/coach/groups/{mine.id}").get_data(as_text=True)
    listing = client.get(f"/coach/events/{two_coaches['event'].id}/groups").get_data(as_text=True)
    assert "Group 0" in listing and "Group 1" not in listing and "Other Visitor" not in listing
    other_member = theirs.members[0]
    for url in (
        f"/coach/groups/{theirs.id}",
        f"/coach/groups/{theirs.id}/print",
        f"/coach/members/{other_member.id}/sheet",
        f"/coach/members/{other_member.id}/book",
        f"/coach/members/{other_member.id}/book/{two_coaches['exhibitor'].id}",
    ):
        assert client.get(url).status_code == 404, url
    for url in (f"/coach/members/{other_member.id}/send-link", f"/coach/members/{other_member.id}/new-code"):
        assert client.post(url).status_code == 404, url
    # a visitor's booking is not reachable through one's own member either
    stranger_booking = f.booked(two_coaches["stranger"], two_coaches["slots"][0])
    url = f"/coach/members/{mine.members[0].id}/bookings/{stranger_booking.id}/cancel"
    assert client.post(url, data={"asked": "y"}).status_code == 404
    db.session.expire_all()
    assert stranger_booking.is_live


def test_revoking_the_role_ends_access_to_the_groups(two_coaches, client):
    group = two_coaches["groups"][0]
    login(client, group.coach)
    assert client.get(f"/coach/groups/{group.id}").status_code == 200
    db.session.delete(db.session.scalar(select(EventStaff).where(EventStaff.user_id == group.coach_id)))
    db.session.commit()
    assert client.get(f"/coach/groups/{group.id}").status_code == 404


def test_coach_books_and_cancels_for_a_member_through_the_booking_rules(two_coaches, client):
    group, event = two_coaches["groups"][0], two_coaches["event"]
    member, exhibitor, slot = group.members[0], two_coaches["exhibitor"], two_coaches["slots"][1]
    login(client, group.coach)
    page = client.get(f"/coach/members/{member.id}/book/{exhibitor.id}").get_data(as_text=True)
    assert slot.starts_at.isoformat() in page
    url = f"/coach/members/{member.id}/book/{exhibitor.id}"
    refused = client.post(url, data={"starts_at": slot.starts_at.isoformat()})
    assert refused.status_code == 200 and db.session.scalar(select(func.count(Booking.id))) == 0  # not asked
    response = client.post(url, data={"starts_at": slot.starts_at.isoformat(), "asked": "y"})
    assert response.status_code == 303
    booking = db.session.scalar(select(Booking))
    assert booking.registration_id == member.registration_id and booking.booked_by_id == group.coach_id
    # the one-per-exhibitor rule holds for the coach as for the visitor
    again = client.post(url, data={"starts_at": two_coaches["slots"][2].starts_at.isoformat(), "asked": "y"})
    assert db.session.scalar(select(func.count(Booking.id))) == 1 and again.status_code in (200, 409)
    assert "Member 0-0" in client.get(f"/coach/groups/{group.id}/print").get_data(as_text=True)
    cancel = f"/coach/members/{member.id}/bookings/{booking.id}/cancel"
    client.post(cancel)  # not confirmed: nothing happens
    db.session.expire_all()
    assert booking.is_live
    assert client.post(cancel, data={"asked": "y"}).status_code == 303
    db.session.expire_all()
    assert not booking.is_live and booking.cancelled_by_id == group.coach_id
    assert event.id == booking.event_id


def test_sheet_link_and_the_members_own_first_use(two_coaches, client, app):
    group = two_coaches["groups"][0]
    member = group.members[0]
    user = member.registration.user
    user.profile = None
    db.session.commit()
    login(client, group.coach)
    sheet = client.get(f"/coach/members/{member.id}/sheet").get_data(as_text=True)
    assert services.shown_code(member.code) in sheet and "<svg" in sheet and "Member 0-0" in sheet
    assert '<html lang="sv"' in sheet  # in the member's language
    assert 'dir="rtl"' in client.get(f"/coach/members/{member.id}/sheet?lang=ar").get_data(as_text=True)
    # neither email nor phone: nothing to send
    client.post(f"/coach/members/{member.id}/send-link")
    assert outbox("member_link") == []

    visitor = app.test_client()
    assert visitor.post("/m", data={"code": "WRONG-CODE"}).status_code == 200
    found = visitor.post("/m", data={"code": services.shown_code(member.code).lower()})
    assert found.status_code == 303
    link = found.headers["Location"]
    first = visitor.get(link).get_data(as_text=True)
    assert "data-first-use" in first and "<svg" not in first  # no ticket before the member's own choices
    refused = visitor.post(link, data={"preferred_language": "ar", "consent_news": "y"})
    assert refused.status_code == 200
    db.session.expire_all()
    assert member.first_used_at is None and user.profile is None
    done = visitor.post(link, data={"preferred_language": "ar", "accept_privacy": "y", "consent_followup": "y"})
    assert done.status_code == 303 and "lang=ar" in done.headers["Location"]
    db.session.expire_all()
    assert member.first_used_at is not None and user.preferred_language == "ar"
    assert user.profile.consent_followup_at is not None
    assert user.profile.consent_news_at is None and user.profile.consent_matching_at is None
    page = visitor.get(done.headers["Location"]).get_data(as_text=True)
    assert "<svg" in page and 'dir="rtl"' in page
    # a new code makes the old sheet and link stale
    client.post(f"/coach/members/{member.id}/new-code")
    assert visitor.get(link).status_code == 404


def test_the_link_goes_by_text_message_and_email_through_the_outbox(ctx, client):
    event = f.event(capacity=50)
    coach = coach_of(event)
    people = [
        registration_services.Participant("Texted", None, "so", "+46701234567"),
        registration_services.Participant("Mailed", "mailed@example.org", "ti"),
    ]
    group = services.register_group(event, coach, "G", people)
    login(client, coach)
    for member in group.members:
        client.post(f"/coach/members/{member.id}/send-link")
    rows = outbox("member_link")
    assert sorted((r.channel, r.to_address) for r in rows) == [("email", "mailed@example.org"), ("sms", "+46701234567")]
    from bazaar.notifications.render import render

    sms = render(next(r for r in rows if r.channel == "sms"))
    assert rows[0].payload["url"] in sms.text or rows[1].payload["url"] in sms.text


def test_the_role_is_asked_for_and_approved_or_granted(ctx, client):
    org = f.organisation()
    event = f.event(org=org)
    person = f.user(name="Asking Coach")
    login(client, person)
    url = f"/events/{event.slug}/job-coach"
    assert client.get(url).status_code == 200
    assert client.post(url, data={"organisation": "SFI Malmö"}).status_code == 303
    request = db.session.scalar(select(StaffRequest))
    assert request.status == "pending" and request.organisation == "SFI Malmö"
    assert client.get(f"/coach/events/{event.id}/groups").status_code == 404  # not yet
    # the request cannot be decided by the asker, a co-organiser or another organiser
    decide = f"/organiser/events/{event.id}/staff/requests/{request.id}/approve"
    for outsider in (person, f.event_staff(event, "coorganiser"), f.organiser()):
        login(client, outsider)
        assert client.post(decide).status_code in (403, 404)
    login(client, f.organiser(org))
    staff_page = client.get(f"/organiser/events/{event.id}/staff").get_data(as_text=True)
    assert "Asking Coach" in staff_page and "SFI Malmö" in staff_page
    client.post(decide)
    db.session.expire_all()
    assert request.status == "approved" and request.decided_by_id is not None
    login(client, person)
    assert client.get(f"/coach/events/{event.id}/groups").status_code == 200
    # granted directly to an existing account; an unknown address is refused with a message
    login(client, f.organiser(org))
    other = f.user(email="second@example.org")
    grant = f"/organiser/events/{event.id}/staff/grant"
    refused = client.post(grant, data={"grant-email": "nobody@example.org", "grant-role": "coach"})
    assert refused.status_code == 200 and "No account has this email" in refused.get_data(as_text=True)
    assert client.post(grant, data={"grant-email": "second@example.org", "grant-role": "coach"}).status_code == 302
    assert db.session.scalar(select(EventStaff).where(EventStaff.user_id == other.id)).role == "coach"


def test_invited_coach_lands_on_their_groups(ctx, client):
    org = f.organisation()
    event = f.event(org=org)
    login(client, f.organiser(org))
    client.post(f"/organiser/events/{event.id}/staff", data={"email": "new-coach@example.org", "role": "coach"})
    token = outbox("event_staff_invitation")[0].payload["token"]
    anonymous = client.application.test_client()
    response = anonymous.post(
        f"/event-invitations/{token}", data={"name": "New Coach", "password": "a long password 1"}
    )
    assert response.headers["Location"].endswith(f"/coach/events/{event.id}/groups")


def test_privacy_export_and_erasure_of_members_and_coaches(two_coaches):
    group = two_coaches["groups"][0]
    member, coach = group.members[0], group.coach
    member_user = member.registration.user
    exported = export_user_data(member_user)
    assert exported["coaching"]["groups"][0]["group"] == "Group 0"
    assert exported["coaching"]["groups"][0]["coach"] == coach.name
    coach_export = export_user_data(coach)
    assert coach_export["coaching"]["coached_groups"][0]["members"] == 2
    erase_people([member_user])
    db.session.commit()
    assert db.session.get(GroupMember, member.id) is None
    erase_people([coach])
    db.session.commit()
    db.session.expire_all()
    assert group.coach_id is None and len(group.members) == 1


@pytest.mark.postgresql_only
def test_two_groups_racing_for_the_last_places_all_or_nothing(app, ctx):
    event = f.event(capacity=8)
    coaches = [coach_of(event, name=f"Coach {i}") for i in range(2)]
    event_id, coach_ids = event.id, [c.id for c in coaches]
    db.session.remove()
    outcomes = []
    barrier = threading.Barrier(2)

    def run(n, coach_id):
        with app.app_context():
            from bazaar.events.models import Event

            people = [registration_services.Participant(f"P{n}-{i}", f"g{n}-{i}@example.org", "sv") for i in range(5)]
            barrier.wait()
            try:
                services.register_group(db.session.get(Event, event_id), db.session.get(User, coach_id), "G", people)
                outcomes.append("registered")
            except registration_services.RegistrationError as exc:
                outcomes.append(str(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(n, cid)) for n, cid in enumerate(coach_ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes)[1] == "registered" and "Nobody was registered" in sorted(outcomes)[0], outcomes
    regs = db.session.scalars(select(Registration).where(Registration.event_id == event_id)).all()
    assert len(regs) == 5 and len({r.registered_by_id for r in regs}) == 1
    assert db.session.scalar(select(func.count(GroupMember.id))) == 5
    assert find_user_by_email("g0-0@example.org") is None or find_user_by_email("g1-0@example.org") is None


@pytest.mark.parametrize("lang", ["sv", "en", "ar", "fa", "so", "ti", "uk", "tr", "da"])
def test_the_member_link_renders_by_email_and_text_in_every_language(ctx, lang):
    from bazaar.notifications.render import build_email, render

    event = f.event(name="Öppet hus")
    coach = coach_of(event)
    people = [registration_services.Participant("Hodan", f"hodan-{lang}@example.org", lang, "+46701234567")]
    people.append(registration_services.Participant("Selam", None, lang))
    group = services.register_group(event, coach, "G", people)
    assert services.send_link(group.members[0]) == ["email", "sms"]
    for row in outbox("member_link"):
        rendered = render(row)
        assert row.payload["url"] in rendered.text and row.payload["code"] not in row.payload["url"]
        if row.channel == "email":
            assert row.payload["code"] in rendered.text and row.payload["url"] in rendered.html
            assert rendered.subject and build_email(row, rendered)["Subject"]
