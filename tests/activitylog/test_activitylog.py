"""The activity log: each staff action done through the pages is recorded with who and when; the
organisers read it per event, filtered; erasing a person keeps their entries without their name."""

import html
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bazaar.accounts.models import Organisation
from bazaar.activitylog.models import Action, LogEntry
from bazaar.activitylog.services import log_action
from bazaar.booking.models import Slot
from bazaar.clock import utcnow
from bazaar.events.models import Event, EventStaff
from bazaar.exhibitors.models import ExhibitorStaff, InterviewTable, StaffInvitation
from bazaar.extensions import db
from bazaar.i18n import spreadsheet_time
from bazaar.matching.models import Need
from bazaar.notifications.models import OutboxMessage
from bazaar.privacy.retention import purge_event
from bazaar.privacy.services import erase_people, export_user_data
from bazaar.webhooks.models import WebhookEndpoint
from tests import factories as f
from tests.support import login


def entries(event, action=None) -> list[LogEntry]:
    db.session.expire_all()
    query = select(LogEntry).where(LogEntry.event_id == event.id).order_by(LogEntry.id)
    if action is not None:
        query = query.where(LogEntry.action == action)
    return list(db.session.scalars(query))


def only(event, action) -> LogEntry:
    [entry] = entries(event, action)
    return entry


def by(entry, person, before) -> bool:
    """Recorded as done by ``person`` (their name as it was), between ``before`` and now."""
    return entry.actor_id == person.id and entry.actor_name == person.name and before <= entry.created_at <= utcnow()


def activity(client, event, raw=False, **args) -> str:
    """The activity page's main part as read (tags out, spaces collapsed), or its HTML with ``raw``."""
    response = client.get(f"/organiser/events/{event.id}/activity", query_string=args)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    main = page[page.index("<main") : page.index("</main>")]
    if raw:
        return main
    words = re.sub(r"</?(bdi|em|strong)>", "", main)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", words)).split())


def last_token(kind) -> str:
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id.desc())
    )
    return message.payload["token"]


EVENT_FORM = {
    "name": "Vårens jobbmässa",
    "venue_name": "Kulturhuset",
    "venue_address": "Sergels torg 3",
    "days-0-date": "2031-03-10",
    "days-0-opens": "10:00",
    "days-0-closes": "16:00",
    "max_bookings_per_visitor": "3",
    "reminder_minutes_before": "60",
    "default_language": "sv",
    "privacy_contact": "dpo@example.org",
}


def test_event_settings_are_logged_with_old_and_new_values_but_not_personal_ones(ctx, client):
    org = f.organisation()
    olga = f.organiser(org, name="Olga Organiser", preferred_language="en")
    login(client, olga)
    before = utcnow()
    assert client.post("/organiser/events/new", data=EVENT_FORM).status_code == 302
    event = db.session.scalar(select(Event).where(Event.name == "Vårens jobbmässa"))
    changed = {
        **EVENT_FORM,
        "venue_name": "Stadsbiblioteket",
        "days-0-id": str(event.days[0].id),
        "days-0-opens": "11:00",
        "privacy_contact": "privacy@example.org",
    }
    assert client.post(f"/organiser/events/{event.id}/edit", data=changed).status_code == 302
    assert client.post(f"/organiser/events/{event.id}/status", data={"status": "published"}).status_code == 302

    assert by(only(event, Action.EVENT_CREATED), olga, before)
    edit = only(event, Action.EVENT_CHANGED)
    assert by(edit, olga, before)
    assert edit.data["changes"] == [
        {"field": "venue_name", "old": "Kulturhuset", "new": "Stadsbiblioteket"},
        {"field": "privacy_contact"},  # an address: named, not shown
        {"field": "days", "old": "2031-03-10 10:00–16:00", "new": "2031-03-10 11:00–16:00"},  # the fair's time
    ]
    status = only(event, Action.EVENT_STATUS)
    assert by(status, olga, before) and status.data["changes"] == [
        {"field": "status", "old": "draft", "new": "published"}
    ]

    page = activity(client, event)
    assert "Olga Organiser" in page and "Changed the event's settings." in page
    assert "Days and opening hours: 2031-03-10 10:00–16:00 → 2031-03-10 11:00–16:00" in page
    assert "Kulturhuset → Stadsbiblioteket" in page and "Contact for questions about personal data (changed)" in page
    assert "Draft → Published" in page and "Created the event." in page
    assert "dpo@example.org" not in page and "privacy@example.org" not in page
    # newest first
    assert page.index("Changed the event's status.") < page.index("Changed the event's settings.")
    assert page.index("Changed the event's settings.") < page.index("Created the event.")


def test_decisions_booths_and_exports_are_logged(ctx, client):
    org = f.organisation()
    event = f.event(org=org)
    olga = f.organiser(org, name="Olga Organiser", preferred_language="en")
    applied = f.exhibitor(event, name="Acme AB", status="applied")
    other = f.exhibitor(event, name="Beta Bygg", status="applied")
    f.registration(event, f.visitor(name="Vera Visitor"))
    login(client, olga)
    before = utcnow()
    url = f"/organiser/applications/{applied.id}"
    assert client.post(url, data={"decision-decision": "approved"}).status_code == 302
    assert client.post(f"/organiser/applications/{other.id}", data={"decision-decision": "rejected"}).status_code == 302
    assert client.post(url, data={"booth-booth_number": "B12", "booth-booth_location": "Hall 2"}).status_code == 302
    assert client.post(url, data={"booth-booth_number": "B12", "booth-booth_location": "Hall 2"}).status_code == 302
    for export in (
        f"/organiser/events/{event.id}/applications.csv",
        f"/organiser/events/{event.id}/registrations.xlsx",
        f"/exhibitor/{applied.id}/bookings.csv",
    ):
        assert client.get(export).status_code == 200

    approved = only(event, Action.APPLICATION_APPROVED)
    assert by(approved, olga, before) and (approved.object_type, approved.object_id) == ("exhibitor", applied.id)
    assert approved.data == {"exhibitor": "Acme AB", "old": "applied", "cancelled_bookings": 0}
    assert by(only(event, Action.APPLICATION_REJECTED), olga, before)
    booth = only(event, Action.BOOTH_ASSIGNED)  # the second, unchanged save records nothing
    assert by(booth, olga, before) and booth.data["changes"] == [
        {"field": "booth_number", "old": None, "new": "B12"},
        {"field": "booth_location", "old": None, "new": "Hall 2"},
    ]
    downloads = entries(event, Action.EXPORT_DOWNLOADED)
    assert [(d.data["export"], d.data["format"]) for d in downloads] == [
        ("applications", "csv"),
        ("registrations", "xlsx"),
        ("bookings", "csv"),
    ]
    assert all(by(d, olga, before) for d in downloads)

    page = activity(client, event)
    assert "Approved the application of Acme AB." in page and "Rejected the application of Beta Bygg." in page
    assert "Assigned the booth of Acme AB." in page and "Booth number: – → B12" in page
    assert "Downloaded Registrations (XLSX)." in page and "Downloaded Bookings (CSV). Acme AB" in page
    assert "Vera Visitor" not in page


def test_tables_slots_and_interview_records_are_logged(ctx, client):
    org = f.organisation()
    event = f.event(org=org, starts_in=timedelta(days=-1), hours=48)
    tomorrow = utcnow().astimezone(ZoneInfo(event.timezone)).date() + timedelta(days=1)
    opens = datetime.combine(tomorrow, time(10), tzinfo=ZoneInfo(event.timezone))
    f.set_days(event, (event.starts_at, event.starts_at + timedelta(hours=8)), (opens, opens + timedelta(hours=8)))
    exhibitor = f.exhibitor(event, name="Acme AB", tables=0)
    anna = f.exhibitor_staff(exhibitor, role="admin", name="Anna Admin")
    login(client, anna, language="en")
    before = utcnow()
    assert client.post(f"/exhibitor/{exhibitor.id}/tables/new", data={"name": "Bord 1"}).status_code == 302
    table = db.session.scalar(select(InterviewTable).where(InterviewTable.exhibitor_id == exhibitor.id))
    edit = {"name": "Bord A", "interviewer_id": str(anna.id)}
    assert client.post(f"/exhibitor/{exhibitor.id}/tables/{table.id}/edit", data=edit).status_code == 302
    local = spreadsheet_time(opens + timedelta(hours=1), event.timezone)  # 11:00 on the fair's second day
    plan = {
        "day": local.date().isoformat(),
        "start": f"{local:%H:%M}",
        "end": f"{local + timedelta(hours=1):%H:%M}",
        "length": 15,
        "gap": 0,
        "breaks": "",
        "format": "interview",
    }
    assert client.post(f"/exhibitor/{exhibitor.id}/tables/{table.id}/generate", data=plan).status_code == 302
    slots = list(db.session.scalars(select(Slot).where(Slot.table_id == table.id).order_by(Slot.starts_at)))
    assert client.post(f"/exhibitor/{exhibitor.id}/slots/{slots[0].id}/block").status_code == 302
    assert client.post(f"/exhibitor/{exhibitor.id}/slots/{slots[0].id}/unblock").status_code == 302
    booking = f.booked(f.registration(event, f.visitor(name="Vera Visitor")), slots[1])
    assert client.post(f"/exhibitor/{exhibitor.id}/slots/{slots[2].id}/remove").status_code == 302
    p = f"b{booking.id}-"
    url = f"/exhibitor/{exhibitor.id}/interviews/{booking.id}"
    assert client.post(url, data={p + "attendance": "attended", p + "outcome": "second_interview"}).status_code == 302
    assert client.post(url, data={p + "attendance": "attended", p + "outcome": "offer"}).status_code == 302

    created, changed = only(event, Action.TABLE_CREATED), only(event, Action.TABLE_CHANGED)
    assert by(created, anna, before) and created.data == {"exhibitor": "Acme AB", "table": "Bord 1"}
    assert by(changed, anna, before) and changed.data["changes"] == [
        {"field": "name", "old": "Bord 1", "new": "Bord A"},
        {"field": "interviewer_id", "old": None, "new": anna.id},
    ]
    generated = only(event, Action.SLOTS_GENERATED)
    assert (
        by(generated, anna, before) and generated.data["created"] == len(slots) and generated.data["table"] == "Bord A"
    )
    for action in (Action.SLOT_BLOCKED, Action.SLOT_OPENED):
        assert by(only(event, action), anna, before) and only(event, action).object_id == slots[0].id
    assert only(event, Action.SLOT_REMOVED).data["booking_cancelled"] is False
    recorded, edited = only(event, Action.INTERVIEW_RECORDED), only(event, Action.INTERVIEW_CHANGED)
    assert by(recorded, anna, before) and by(edited, anna, before)
    assert (recorded.object_type, recorded.object_id) == ("booking", booking.id)
    assert {"field": "outcome", "old": None, "new": "second_interview"} in recorded.data["changes"]
    assert edited.data["changes"] == [{"field": "outcome", "old": "second_interview", "new": "offer"}]
    assert client.post(f"/exhibitor/{exhibitor.id}/tables/{table.id}/delete").status_code == 302  # has a booking
    assert entries(event, Action.TABLE_DELETED) == []

    login(client, f.organiser(org, preferred_language="en"))
    page = activity(client, event)
    assert "Anna Admin" in page and "Added table Bord 1 of Acme AB." in page
    assert f"Generated {len(slots)} interview times on table Bord A of Acme AB." in page
    assert "Interviewer: – → Anna Admin" in page
    at = f"{spreadsheet_time(booking.starts_at, event.timezone):%Y-%m-%d %H:%M} CET"
    assert f"Changed the record of the interview at {at} with Acme AB." in page
    assert "Second interview → Job offer" in page
    assert "Vera Visitor" not in page


def test_staff_webhooks_retention_and_matching_are_logged(ctx, client, app):
    org = f.organisation()
    event = f.event(org=org, starts_in=timedelta(days=-400))
    exhibitor = f.exhibitor(event, name="Acme AB")
    olga = f.organiser(org, name="Olga Organiser", preferred_language="en")
    login(client, olga)
    before = utcnow()
    assert (
        client.post(
            f"/organiser/events/{event.id}/staff", data={"email": "dana@example.org", "role": "checkin"}
        ).status_code
        == 302
    )
    guest = app.test_client()
    token = last_token("event_staff_invitation")
    assert (
        guest.post(
            f"/event-invitations/{token}", data={"name": "Dana Door", "password": "a good long password"}
        ).status_code
        == 302
    )
    dana_row = db.session.scalar(select(EventStaff).where(EventStaff.event_id == event.id))
    assert client.post(f"/organiser/events/{event.id}/staff/{dana_row.id}/revoke").status_code == 302
    assert (
        client.post(
            f"/organiser/events/{event.id}/staff", data={"email": "co@example.org", "role": "coorganiser"}
        ).status_code
        == 302
    )
    invitation_id = db.session.scalar(
        select(func.max(LogEntry.object_id)).where(LogEntry.action == Action.EVENT_STAFF_INVITED)
    )
    assert client.post(f"/organiser/events/{event.id}/staff/invitations/{invitation_id}/withdraw").status_code == 302

    anna = f.exhibitor_staff(exhibitor, role="admin", name="Anna Admin")
    ivan = f.exhibitor_staff(exhibitor, role="interviewer", name="Ivan Interviewer")
    admin_client = app.test_client()
    login(admin_client, anna, language="en")
    assert (
        admin_client.post(
            f"/exhibitor/{exhibitor.id}/staff", data={"email": "new@example.org", "role": "interviewer"}
        ).status_code
        == 302
    )
    staff_invitation = db.session.scalar(select(StaffInvitation).where(StaffInvitation.email == "new@example.org"))
    withdraw = f"/exhibitor/{exhibitor.id}/invitations/{staff_invitation.id}/withdraw"
    assert admin_client.post(withdraw).status_code == 302
    ivan_row = db.session.scalar(select(ExhibitorStaff).where(ExhibitorStaff.user_id == ivan.id))
    assert admin_client.post(f"/exhibitor/{exhibitor.id}/staff/{ivan_row.id}/remove").status_code == 302

    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    try:
        hook = {"url": "https://127.0.0.1:9/hook", "description": "CRM", "topics": ["registration.created"]}
        assert client.post(f"/organiser/events/{event.id}/webhooks", data=hook).status_code == 302
        endpoint = db.session.scalar(select(WebhookEndpoint))
        changed = {**hook, "topics": ["registration.created", "visitor.checked_in"], "active": "y"}
        assert client.post(f"/organiser/events/{event.id}/webhooks/{endpoint.id}", data=changed).status_code == 302
        assert client.post(f"/organiser/events/{event.id}/webhooks/{endpoint.id}/secret").status_code == 302
        assert client.post(f"/organiser/events/{event.id}/webhooks/{endpoint.id}/delete").status_code == 302
    finally:
        app.config["WEBHOOK_ALLOW_PRIVATE"] = False

    assert client.post(f"/organiser/events/{event.id}/retention", data={"months": "6"}).status_code == 302
    visitor = f.visitor(name="Vera Visitor")
    f.registration(event, visitor)
    visitor.created_at = utcnow() - timedelta(days=500)
    db.session.commit()
    kept = len(entries(event))
    done = client.post(f"/organiser/events/{event.id}/retention/purge", data={"confirm": "y"})
    assert done.status_code == 302

    assert [e.data["role"] for e in entries(event, Action.EVENT_STAFF_INVITED)] == ["checkin", "coorganiser"]
    joined = only(event, Action.EVENT_STAFF_JOINED)
    assert joined.actor_name == "Dana Door" and joined.created_at >= before
    revoked = only(event, Action.EVENT_STAFF_REVOKED)
    assert by(revoked, olga, before) and revoked.data == {"user_id": dana_row.user_id, "role": "checkin"}
    assert by(only(event, Action.EVENT_STAFF_INVITATION_WITHDRAWN), olga, before)
    assert by(only(event, Action.EXHIBITOR_STAFF_INVITED), anna, before)
    assert by(only(event, Action.EXHIBITOR_STAFF_INVITATION_WITHDRAWN), anna, before)
    assert only(event, Action.EXHIBITOR_STAFF_REMOVED).data["user_id"] == ivan.id
    assert all(
        by(only(event, a), olga, before)
        for a in (Action.WEBHOOK_CREATED, Action.WEBHOOK_CHANGED, Action.WEBHOOK_SECRET_ROTATED, Action.WEBHOOK_DELETED)
    )
    assert only(event, Action.WEBHOOK_CHANGED).data["changes"] == [
        {"field": "topics", "old": ["registration.created"], "new": ["registration.created", "visitor.checked_in"]}
    ]
    assert only(event, Action.RETENTION_CHANGED).data["changes"] == [
        {"field": "retention_months", "old": None, "new": 6}
    ]
    purged = only(event, Action.RETENTION_PURGED)
    assert by(purged, olga, before) and purged.data == {"erased": 1, "early": True}
    assert len(entries(event)) == kept + 1  # the purge keeps every entry

    page = activity(client, event)
    assert "Took the role Door staff away from Dana Door." in page
    assert "Removed Ivan Interviewer from the staff of Acme AB." in page
    assert "Withdrew an invitation to the staff of Acme AB." in page
    assert "Replaced the secret of the webhook https://127.0.0.1:9/hook." in page
    assert "Ran the retention purge: 1 person's data erased." in page
    assert "dana@example.org" not in page and "co@example.org" not in page


def test_matching_invitations_are_logged(ctx, client):
    from bazaar.accounts.models import VisitorProfile

    org = f.organisation()
    event = f.event(org=org)
    exhibitor = f.exhibitor(event, name="Acme AB")
    f.slots_for(exhibitor, count=3)
    person = f.user(name="Amal")
    db.session.add(VisitorProfile(user_id=person.id, consent_matching_at=utcnow(), occupations=["cook"], languages=[]))
    db.session.commit()
    reg = f.registration(event, person)
    need = Need(exhibitor_id=exhibitor.id, title="Kockar", occupations=["cook"], languages=[])
    db.session.add(need)
    db.session.commit()
    olga = f.organiser(org, name="Olga Organiser", preferred_language="en")
    login(client, olga)
    before = utcnow()
    assert client.post(f"/needs/{need.id}/candidates", data={"chosen": [str(reg.id)]}).status_code == 303
    entry = only(event, Action.MATCHING_INVITED)
    assert by(entry, olga, before) and entry.data == {"exhibitor": "Acme AB", "need": "Kockar", "invitations": 1}
    assert "Sent 1 matching invitation for Kockar at Acme AB." in activity(client, event)
    assert "Amal" not in activity(client, event)


def test_the_filters_narrow_by_action_actor_and_date(ctx, client):
    org = f.organisation()
    event = f.event(org=org, timezone="Europe/Stockholm")
    olga = f.organiser(org, name="Olga Organiser", preferred_language="en")
    carl = f.event_staff(event, "coorganiser", name="Carl Coorganiser")
    other_event = f.event(org=org)
    day = f.at(2031, 5, 12, 21, 30)  # 23:30 in Stockholm (CEST): 12 May locally
    for minutes, actor, action in [
        (0, olga, Action.EVENT_CHANGED),
        (60, carl, Action.EVENT_CHANGED),  # 00:30 on 13 May locally
        (24 * 60, carl, Action.BOOTH_ASSIGNED),
    ]:
        log_action(event, action, actor).created_at = day + timedelta(minutes=minutes)
    log_action(other_event, Action.EVENT_CHANGED, olga)
    db.session.commit()
    login(client, olga)

    def shown(**args):
        page = activity(client, event, raw=True, **args)
        return page.count("<tr data-action="), page

    assert shown()[0] == 3
    assert shown(action="booth.assigned")[0] == 1
    assert shown(actor=str(carl.id))[0] == 2
    assert shown(actor=str(olga.id), action="event.changed")[0] == 1
    assert shown(since="2031-05-13")[0] == 2
    assert shown(until="2031-05-12")[0] == 1
    assert shown(since="2031-05-13", until="2031-05-13")[0] == 2  # 00:30 and 23:30 on 13 May
    assert shown(since="2031-05-14")[0] == 0
    count, page = shown(since="2031-05-14", until="2031-05-13")
    assert count == 3 and "The end date must not be before the start date." in page  # unfiltered, with the message
    for junk in (
        {"action": "no.such"},
        {"actor": "abc"},
        {"actor": "99999999999"},
        {"since": "13/05"},
        {"until": "9999-01-01"},
        {"page": "x"},
        {"action": "\x00"},
    ):
        assert client.get(f"/organiser/events/{event.id}/activity", query_string=junk).status_code == 200
    # the filters offer only what the log holds
    assert '<option value="booth.assigned">Booth assigned</option>' in shown()[1]
    assert "Webhook added" not in shown()[1] and "Carl Coorganiser" in shown()[1]


def test_the_log_is_paged(ctx, client, monkeypatch):
    from bazaar.events import views

    monkeypatch.setattr(views, "ACTIVITY_PAGE_SIZE", 2)
    org = f.organisation()
    event = f.event(org=org)
    olga = f.organiser(org, preferred_language="en")
    for n in range(5):
        log_action(event, Action.EVENT_CHANGED, olga).created_at = utcnow() - timedelta(minutes=n)
    db.session.commit()
    login(client, olga)
    first, last = activity(client, event, raw=True), activity(client, event, raw=True, page=3)
    assert first.count("<tr data-action=") == 2 and last.count("<tr data-action=") == 1
    assert "Page 1 of 3" in first and f"/organiser/events/{event.id}/activity?page=2" in first


def test_erasure_keeps_the_entries_and_replaces_the_name(ctx, client, app):
    org = f.organisation()
    event = f.event(org=org)
    exhibitor = f.exhibitor(event, name="Acme AB", tables=0)
    anna = f.exhibitor_staff(exhibitor, role="admin", name="Anna Admin")
    interviewer = f.exhibitor_staff(exhibitor, role="interviewer", name="Ivan Interviewer")
    login(client, anna, language="en")
    assert client.post(f"/exhibitor/{exhibitor.id}/tables/new", data={"name": "Bord 1"}).status_code == 302
    row = db.session.scalar(select(ExhibitorStaff).where(ExhibitorStaff.user_id == interviewer.id))
    assert client.post(f"/exhibitor/{exhibitor.id}/staff/{row.id}/remove").status_code == 302
    exported = export_user_data(anna)["activity_log"]
    assert [(e["action"], e["event_id"], e["name_recorded"]) for e in exported] == [
        ("table.created", event.id, "Anna Admin"),
        ("exhibitorstaff.removed", event.id, "Anna Admin"),
    ]
    assert "Anna Admin" in client.get("/my/data.json").get_data(as_text=True)
    deleted = client.post("/my/delete", data={"confirm": "y", "password": f.PASSWORD})
    db.session.expire_all()
    assert deleted.status_code == 200 and anna.deleted_at is not None
    erase_people([interviewer])
    db.session.commit()

    kept = entries(event)
    assert [e.action for e in kept] == ["table.created", "exhibitorstaff.removed"]
    assert {(e.actor_id, e.actor_name) for e in kept} == {(anna.id, "")}
    organiser = app.test_client()
    login(organiser, f.organiser(org, preferred_language="en"))
    page = activity(organiser, event)
    assert "Anna Admin" not in page and "Ivan Interviewer" not in page
    assert page.count("Erased person") >= 3  # two actors, the removed person, and the actor filter
    assert "Added table Bord 1 of Acme AB." in page


def test_a_scheduled_purge_is_logged_as_bazaar_itself(ctx, client):
    org = f.organisation()
    event = f.event(org=org, starts_in=timedelta(days=-2000))
    visitor = f.visitor()
    f.registration(event, visitor)
    visitor.created_at = utcnow() - timedelta(days=2100)
    db.session.commit()
    assert purge_event(event) == 1
    entry = only(event, Action.RETENTION_PURGED)
    assert (entry.actor_id, entry.actor_name, entry.data) == (None, None, {"erased": 1, "early": False})
    login(client, f.organiser(org, preferred_language="en"))
    assert "Bazaar (automatic)" in activity(client, event)


@pytest.mark.parametrize(
    "who, status",
    [
        ("organiser", 200),
        ("co-organiser", 403),
        ("door staff", 403),
        ("exhibitor admin", 403),
        ("other organiser", 403),
        ("visitor", 403),
    ],
)
def test_only_the_organising_bodies_read_the_log(ctx, client, who, status):
    org = f.organisation()
    event = f.event(org=org)
    exhibitor = f.exhibitor(event)
    people = {
        "organiser": lambda: f.organiser(org),
        "co-organiser": lambda: f.event_staff(event, "coorganiser"),
        "door staff": lambda: f.checkin_staff(event),
        "exhibitor admin": lambda: f.exhibitor_staff(exhibitor, role="admin"),
        "other organiser": lambda: f.organiser(f.organisation()),
        "visitor": lambda: f.visitor(),
    }
    person = people[who]()
    log_action(event, Action.EVENT_CHANGED, person)
    db.session.commit()
    login(client, person, language="en")
    assert client.get(f"/organiser/events/{event.id}/activity").status_code == status
    link = f"/organiser/events/{event.id}/activity" in client.get(f"/organiser/events/{event.id}").get_data(
        as_text=True
    )
    assert link == (who == "organiser")
    assert client.get("/organiser/events/99999999/activity").status_code == 404


def test_anonymous_people_are_sent_to_log_in(ctx, client):
    event = f.event()
    response = client.get(f"/organiser/events/{event.id}/activity")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.get(Organisation, event.organisers[0].organisation_id) is not None


def test_roles_bodies_questions_announcements_and_the_news_list_are_logged(ctx, client):
    from bazaar.announcements import services as announcements
    from bazaar.events.models import StaffRequest
    from bazaar.registrations.models import RegistrationQuestion

    org = f.organisation()
    event = f.event(org=org)
    olga = f.organiser(org, name="Olga Organiser", preferred_language="en")
    asker = f.user(name="Asking Coach")
    login(client, asker)
    client.post(f"/events/{event.slug}/job-coach", data={"organisation": "SFI Malmö"})
    request = db.session.scalar(select(StaffRequest))
    granted = f.user(name="Granted Coach", email="granted@example.org")
    login(client, olga)
    before = utcnow()
    client.post(f"/organiser/events/{event.id}/staff/requests/{request.id}/approve")
    client.post(f"/organiser/events/{event.id}/staff/grant", data={"grant-email": granted.email, "grant-role": "coach"})
    client.post(
        f"/organiser/events/{event.id}/bodies", data={"name": "Region Skåne"}, content_type="multipart/form-data"
    )
    region = db.session.scalar(select(Organisation).where(Organisation.name == "Region Skåne"))
    client.post(f"/organiser/events/{event.id}/bodies/{region.id}/delete")
    url = f"/organiser/events/{event.id}/questions"
    client.post(url, data={"kind": "yes_no", "text_en": "Do you have a driving licence?"})
    question = db.session.scalar(select(RegistrationQuestion))
    client.post(f"/organiser/questions/{question.id}/edit", data={"text_en": "Do you hold a driving licence?"})
    client.post(f"/organiser/questions/{question.id}/delete")
    f.registration(event, f.visitor(preferred_language="sv"))
    draft = announcements.Draft(audience="registered", subject={"sv": "Ny ingång"}, body={"sv": "Gå in från torget."})
    announcements.send(event, draft, olga, "announcement-submission-01")
    client.get(f"/organiser/events/{event.id}/news-list.csv")

    for action in (
        Action.EVENT_STAFF_REQUEST_APPROVED,
        Action.EVENT_STAFF_GRANTED,
        Action.BODY_ADDED,
        Action.BODY_REMOVED,
        Action.QUESTION_ADDED,
        Action.QUESTION_CHANGED,
        Action.QUESTION_REMOVED,
        Action.ANNOUNCEMENT_SENT,
    ):
        assert by(only(event, action), olga, before), action
    assert only(event, Action.EXPORT_DOWNLOADED).data == {"export": "news_list", "format": "csv"}
    page = activity(client, event)
    assert "Approved the request of Asking Coach to be Job coach." in page
    assert "Gave Granted Coach the role Job coach." in page
    assert "Added the organising body Region Skåne." in page and "Removed the organising body Region Skåne." in page
    assert "Added the registration question “Do you have a driving licence?”." in page
    assert "Changed the registration question “Do you hold a driving licence?”." in page
    assert "Removed the registration question “Do you hold a driving licence?”." in page
    assert "Sent an announcement to Everyone registered: 1 email." in page
    assert "Downloaded The news list (CSV)." in page
