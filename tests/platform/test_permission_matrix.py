"""Every endpoint of every blueprint against people who have no business there.

The test walks ``app.url_map``, fills each URL's arguments with objects that belong to one party
(an organiser's event, an exhibitor's booth, a visitor's booking ...), and sends every method the
rule accepts as:

- an anonymous client: every endpoint not listed as public must send it to the login page or
  answer 401/403/404;
- a visitor with no relation to those objects, a staff member of another exhibitor at the same
  fair, and an organiser of another organisation: every protected endpoint must answer 403 or
  404, never 200 and never 500, and the database must not change.

Endpoints are sorted into three explicit lists below; an endpoint in none of them is protected.
A URL argument the test does not know how to fill fails the test, so a new endpoint cannot slip
past without someone deciding which object its id names.
"""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.routing.converters import AnyConverter

from bazaar.booking.models import WaitlistEntry
from bazaar.extensions import db
from bazaar.notifications.services import queue
from tests import factories as f
from tests.support import login

# Who may reach what is decided in bazaar/permissions.py, whatever the database: one pass is enough.
pytestmark = pytest.mark.database_independent

# Open to anyone, logged in or not. Each entry says why.
PUBLIC_ENDPOINTS = {
    "static": "CSS, JS and images",
    "health.healthz": "load balancer health check",
    "metrics.scrape": "Prometheus: the client's network or a bearer token decides (bazaar/metrics.py), not an account",
    "events.home": "list of published fairs",
    "events.event_page": "a published fair's public page",
    "about.privacy": "the site's privacy notice",
    "about.event_privacy": "a published fair's privacy notice",
    "about.accessibility": "the accessibility statement",
    "accounts.set_language": "language switcher (CSRF-checked POST; stores a preference only for the logged-in user)",
    "accounts.login": "login form",
    "accounts.signup": "sign-up form",
    "accounts.forgot_password": "password reset request form",
    "accounts.reset_password": "signed, expiring token in the URL decides",
    "accounts.verify_email": "signed token in the URL decides",
    "registrations.register": "registration form of a published fair (creates the account)",
    "registrations.offer": "signed token for an event waiting-list offer",
    "booking.browse": "exhibitors of a published fair",
    "booking.speed_dating": "the speed-dating rounds of a published fair",
    "booking.exhibitor": "an approved exhibitor's public booth page",
    "booking.claim": "signed token for a waiting-list slot offer",
    "booking.email_link": "signed cancel/reschedule links from emails",
    "matching.invitation": "signed token for a matching invitation",
    "activities.invitation": "signed token for an invitation to a follow-on activity",
    "exhibitors.apply": "application to exhibit (creates the applicant's account)",
    "exhibitors.logo": "logos of approved exhibitors at public fairs appear on public pages",
    "events.body_logo": "logos of a public fair's organising bodies appear on its public page",
    "exhibitors.invitation": "signed token for a staff invitation",
    "eventstaff.invitation": "signed token for an event staff invitation (door staff, co-organiser)",
    "stats.survey": "signed token for a follow-up survey",
    "api-docs.openapi_json": "the API's OpenAPI document",
    "api_docs": "the API's browsable documentation",
    "checkin.door_service_worker": "the offline door's service worker script (no data)",
    "checkin.door_manifest": "the door app's install manifest (fetched without cookies; names no event data)",
    "members.code": "a group member types the code from their sheet (rate-limited; the code decides)",
    "members.page": "signed token for a group member's own page (first use, ticket, schedule)",
}

# API endpoints take no session: a logged-in browser without a token gets 401 there.
API_PREFIX = "api."
# What any token of the event may read, because it is on the event's public pages too.
PUBLIC_API_ENDPOINTS = {
    "api.EventView": "the event's public page",
    "api.ExhibitorList": "the public exhibitor directory",
    "api.FreeTimes": "an approved exhibitor's public booth page",
}

# Need a login but show or change only the caller's own things, so any logged-in user may get a
# page (GET only is sent: their POSTs act on the caller's own account and are tested per domain).
OWN_DATA_ENDPOINTS = {
    "accounts.my_page": "my registrations, bookings and tickets",
    "accounts.edit_profile": "my profile",
    "privacy.export_data": "my data as JSON",
    "privacy.delete_account": "delete my account (confirmation page)",
    "accounts.resend_verification": "resend my verification email",
    "accounts.logout": "log me out",
    "exhibitors.mine": "the exhibitors I work for",
    "booking.my_schedule": "my interviews at a fair",
    "booking.schedule_download": "my interviews at a fair as .ics",
    "booking.book": "book an interview for myself (refused unless I am registered)",
    "booking.book_round": "book a speed-dating round for myself (refused unless I am registered)",
    "booking.join_waitlist": "join an exhibitor's waiting list myself (refused unless registered)",
    "eventstaff.request_role": "ask the organisers to be a job coach at a published fair (my own request)",
    "checkin.door_events": "the fairs whose door I may run",
    "events.organiser_events": "my organisation's events",
    "events.create": "create an event for my organisation",
    "stats.compare": "compare my organisation's events",
    "api_tokens.tokens": "my own API tokens for a fair I organise or exhibit at (others get 403)",
    "matching.withdraw_consent": "stop being suggested to employers (POST, my own consent)",
    "activities.mine": "the activities after the fair open to me or that I was invited to",
}

# Mutating own-data endpoints that are never sent, with the reason.
NOT_SENT = {
    ("accounts.logout", "POST"): "ends the session of the client doing the sweep",
    ("privacy.delete_account", "POST"): "deletes the caller's own account",
}


def snapshot() -> dict:
    """A digest of every row of every table, to prove a refused request changed nothing: on
    PostgreSQL (where these sweeps run) one statement hashes each table's rows, in text, sorted."""
    db.session.expire_all()
    if db.engine.dialect.name == "postgresql":
        digests = sa.union_all(
            *(
                sa.select(
                    sa.literal(table.name).label("name"),
                    sa.text(
                        f"(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table.name}\" t)"
                    ),
                )
                for table in db.metadata.sorted_tables
            )
        )
        state = dict(db.session.execute(digests).all())
    else:
        state = {
            table.name: sorted(tuple(str(v) for v in row) for row in db.session.execute(sa.select(table)))
            for table in db.metadata.sorted_tables
        }
    db.session.rollback()
    return state


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


@pytest.fixture
def world(ctx):
    """One party's objects, and three outsiders."""
    org = f.organisation("Owner organisation")
    event = f.event(org=org, name="Owner fair")
    exhibitor = f.exhibitor(
        event, name="Owner employer", tables=1, logo=b"\x89PNG\r\n\x1a\n" + b"\x00" * 16, logo_mimetype="image/png"
    )
    admin = f.exhibitor_staff(exhibitor, role="admin")
    interviewer = f.exhibitor_staff(exhibitor, role="interviewer")
    slot = f.slots_for(exhibitor, count=2)[0]
    from bazaar.exhibitors.models import ExhibitorStaff, Opening, StaffInvitation

    opening = Opening(exhibitor_id=exhibitor.id, title={"en": "Nurse"}, occupation="nurse")
    invitation = StaffInvitation(exhibitor_id=exhibitor.id, email="invited@example.org", invited_by_id=admin.id)
    db.session.add_all([opening, invitation])
    db.session.commit()
    owner_visitor = f.visitor(name="Owner visitor")
    registration = f.registration(event, owner_visitor)
    booking = f.booked(registration, slot)
    other_reg = f.registration(event)
    hired = f.registration(event, f.visitor(name="Owner hired visitor"), checked_in_at=event.starts_at)
    f.interview(hired, exhibitor, outcome="hired")
    f.survey_answer(hired, "nothing")  # a case to resolve: only the event's organisers may see it
    entry = WaitlistEntry(exhibitor_id=exhibitor.id, registration_id=other_reg.id)
    db.session.add(entry)
    message = queue("booking_confirmed", user=owner_visitor, event=event, subject=booking)
    db.session.commit()
    staff_row = db.session.scalar(sa.select(ExhibitorStaff).where(ExhibitorStaff.user_id == admin.id))
    from bazaar.api.services import create_token

    api_token, _ = create_token(admin, event, "Owner's token", scope="read-write")
    from bazaar.matching.models import Need

    need = Need(exhibitor_id=exhibitor.id, title="Owner's need", occupations=["nurse"], languages=[])
    db.session.add(need)
    db.session.commit()
    from bazaar.activities.models import Activity, Participant

    activity = Activity(
        event_id=event.id,
        exhibitor_id=exhibitor.id,
        kind="try_a_job_day",
        audience="open",
        title={"en": "Owner's try-a-job day"},
        starts_at=event.ends_at + timedelta(days=7),
        ends_at=event.ends_at + timedelta(days=7, hours=6),
        place="Owner street 1",
        capacity=5,
    )
    db.session.add(activity)
    db.session.flush()
    participant = Participant(activity_id=activity.id, registration_id=registration.id, status="signed_up")
    db.session.add(participant)
    db.session.commit()
    from bazaar.funding.services import add_funding

    funding = add_funding(event, "Owner's funder", 100_000)
    from bazaar.webhooks.services import create_endpoint

    webhook = create_endpoint(event, "https://hooks.example.org/owner", ["registration.created"], "", admin)
    from bazaar.stats.models import StatsSnapshot

    # a failed compile: the API reads any stored snapshot; the stats pages show only finished ones
    snapshot = StatsSnapshot(event_id=event.id, version=1, status="failed", figures={})
    db.session.add(snapshot)
    db.session.commit()

    other_org = f.organisation("Other organisation")
    other_event = f.event(org=other_org, name="Other fair")
    outsiders = {
        "visitor": f.visitor(name="Unrelated visitor"),
        "other exhibitor staff": f.exhibitor_staff(f.exhibitor(event, name="Rival employer"), role="admin"),
        "other organiser": f.organiser(other_org),
    }
    f.registration(other_event, outsiders["visitor"])
    from bazaar.events.models import EventStaff, EventStaffInvitation

    door_staff = f.checkin_staff(event)
    coorganiser = f.event_staff(event, "coorganiser", name="Owner co-organiser")
    door_row = db.session.scalar(sa.select(EventStaff).where(EventStaff.user_id == door_staff.id))
    event_invitation = EventStaffInvitation(event_id=event.id, email="door-invited@example.org", role="checkin")
    db.session.add(event_invitation)
    from bazaar.announcements.models import Announcement

    announcement = Announcement(
        event_id=event.id,
        audience="registered",
        subject={"en": "Owner's announcement"},
        body={"en": "The entrance moved."},
        submission="owner-announcement-0001",
    )
    db.session.add(announcement)
    from bazaar.registrations.models import RegistrationAnswer, RegistrationQuestion

    question = RegistrationQuestion(
        event_id=event.id, kind="choice", text={"en": "Owner's question"}, choices=[{"en": "A"}, {"en": "B"}]
    )
    db.session.add(question)
    db.session.flush()
    db.session.add(RegistrationAnswer(registration_id=registration.id, question_id=question.id, value="1"))
    db.session.commit()

    from bazaar.booking import speeddating

    session = speeddating.create_session(
        event,
        speeddating.SessionPlan(event.starts_at + timedelta(hours=2), 5, 2, 1, "Owner corner"),
        [exhibitor],
        admin,
        shared=False,
    )
    from bazaar.coaching.services import register_group
    from bazaar.events.models import StaffRequest
    from bazaar.registrations.services import Participant

    coach = f.event_staff(event, "coach", name="Owner coach")
    group = register_group(event, coach, "Owner group", [Participant(f"Owner member {i}", None, "sv") for i in (1, 2)])
    member = group.members[0]
    member_booking = f.booked(
        member.registration, f.slots_for(exhibitor, count=1, start=slot.starts_at + timedelta(hours=1))[0]
    )
    staff_request = StaffRequest(event_id=event.id, user_id=f.user().id, role="coach", organisation="Owner SFI")
    db.session.add(staff_request)
    db.session.commit()
    roles = {  # the owner's own people, for sweeps that act as each role
        "visitor": owner_visitor,
        "exhibitor": admin,
        "interviewer": interviewer,
        "door staff": door_staff,
        "co-organiser": coorganiser,
        "coach": coach,
        "other coach": f.event_staff(event, "coach", name="Other coach"),
        "organiser": f.organiser(org),
        "other-event organiser": outsiders["other organiser"],
    }
    world_extra = {"member_booking_id": member_booking.id}
    ids = {
        "event_id": event.id,
        "exhibitor_id": exhibitor.id,
        "booking_id": booking.id,
        "registration_id": registration.id,
        "slot_id": slot.id,
        "table_id": exhibitor.tables[0].id,
        "opening_id": opening.id,
        "staff_id": staff_row.id,
        "invitation_id": invitation.id,
        "entry_id": entry.id,
        "message_id": message.id,
        "token_id": api_token.id,
        "funding_id": funding.id,
        "snapshot_id": snapshot.id,
        "need_id": need.id,
        "activity_id": activity.id,
        "participant_id": participant.id,
        "webhook_id": webhook.id,
        "event_staff_id": door_row.id,
        "event_invitation_id": event_invitation.id,
        "announcement_id": announcement.id,
        "session_id": session.id,
        "question_id": question.id,
        "organisation_id": org.id,
        "group_id": group.id,
        "member_id": member.id,
        "staff_request_id": staff_request.id,
    }
    strings = {"slug": event.slug, "token": "not-a-valid-token", "filename": "style.css"}
    return {
        "ids": ids,
        "strings": strings,
        "outsiders": outsiders,
        "roles": roles,
        "org": org,
        "exhibitor_admin": admin,
        **world_extra,
    }


def requests_for(app, world, hostile: dict | None = None):
    """(endpoint, method, url) for every rule and method, with the party's objects filled in
    (or, for names in ``hostile``, with its values: e.g. an id too large for the database)."""
    made = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        values = {}
        for name, converter in rule._converters.items():
            if isinstance(converter, AnyConverter):
                values[name] = sorted(converter.items)[0]
            elif hostile and name in hostile:
                values[name] = hostile[name]
            elif name in world["ids"]:
                values[name] = world["ids"][name]
            elif name in world["strings"]:
                values[name] = world["strings"][name]
            else:
                raise AssertionError(f"{rule.endpoint}: teach the matrix which object <{name}> names")
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            made.append((rule.endpoint, method, url))
    return made


def test_the_snapshot_sees_one_changed_value_and_one_new_row(world):
    """The digest the sweeps compare would catch a refused request that wrote anything."""
    before = snapshot()
    assert changed_tables(before, snapshot()) == []
    entry = db.session.scalars(sa.select(WaitlistEntry)).first()
    entry.offers_made += 1
    db.session.commit()
    changed = snapshot()
    assert changed_tables(before, changed) == ["waitlist_entry"]
    f.user(email="one.more@example.org")
    assert "user" in changed_tables(changed, snapshot())


def test_lists_name_real_endpoints(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(PUBLIC_ENDPOINTS) <= endpoints, set(PUBLIC_ENDPOINTS) - endpoints
    assert set(OWN_DATA_ENDPOINTS) <= endpoints, set(OWN_DATA_ENDPOINTS) - endpoints
    assert not set(PUBLIC_ENDPOINTS) & set(OWN_DATA_ENDPOINTS)


def send(client, method, url):
    if method == "GET":
        return client.get(url)
    return client.open(url, method=method, data={})


def test_anonymous_is_sent_to_login_everywhere_but_public_pages(app, world):
    client = app.test_client()
    failures = []
    for endpoint, method, url in requests_for(app, world):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        before = snapshot()
        response = send(client, method, url)
        location = response.headers.get("Location", "")
        to_login = response.status_code in (301, 302, 303) and re.search(r"/login\b", location)
        if not (to_login or response.status_code in (401, 403, 404)):
            failures.append(f"{method} {url} ({endpoint}) -> {response.status_code} {location}")
        if changed_tables(before, snapshot()):
            failures.append(f"{method} {url} ({endpoint}) changed {changed_tables(before, snapshot())}")
    assert not failures, "\n".join(failures)


def test_public_endpoints_never_fail_for_anyone(app, world):
    clients = {"anonymous": app.test_client()}
    for role, person in world["outsiders"].items():
        clients[role] = app.test_client()
        login(clients[role], person)
    failures = []
    for endpoint, method, url in requests_for(app, world):
        if endpoint not in PUBLIC_ENDPOINTS:
            continue
        for role, client in clients.items():
            response = send(client, method, url)
            if response.status_code >= 500:
                failures.append(f"{role}: {method} {url} ({endpoint}) -> {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ["visitor", "other exhibitor staff", "other organiser"])
def test_unrelated_users_are_refused_and_change_nothing(app, world, role):
    person = world["outsiders"][role]
    client = app.test_client()
    failures = []
    for endpoint, method, url in requests_for(app, world):
        if endpoint in PUBLIC_ENDPOINTS or (endpoint, method) in NOT_SENT:
            continue
        login(client, person)
        if endpoint in OWN_DATA_ENDPOINTS:
            if method == "GET":
                response = send(client, method, url)
                if response.status_code >= 500:
                    failures.append(f"{method} {url} ({endpoint}) -> {response.status_code}")
            continue
        before = snapshot()
        response = send(client, method, url)
        refused = (401,) if endpoint.startswith(API_PREFIX) else (403, 404)
        if response.status_code not in refused:
            failures.append(
                f"{method} {url} ({endpoint}) -> {response.status_code} {response.headers.get('Location', '')}"
            )
        changed = changed_tables(before, snapshot())
        if changed:
            failures.append(f"{method} {url} ({endpoint}) changed {changed}")
    assert not failures, f"{role}:\n" + "\n".join(failures)


@pytest.mark.parametrize("role", ["visitor", "other exhibitor staff", "other organiser"])
def test_outsiders_api_tokens_are_refused_on_every_api_endpoint(app, world, role):
    """Each outsider's read-write token for their own fair (or, if they may, for this one) gets
    404 from every API endpoint of the owner's fair, and changes nothing."""
    from bazaar.api.services import create_token
    from bazaar.events.models import Event

    person = world["outsiders"][role]
    owner_event = db.session.get(Event, world["ids"]["event_id"])
    scoped_to = owner_event if role == "other exhibitor staff" else f.event()
    _, secret = create_token(person, scoped_to, "outsider", scope="read-write")
    client = app.test_client()
    failures = []
    api_requests = [r for r in requests_for(app, world) if r[0].startswith(API_PREFIX)]
    assert api_requests
    for endpoint, method, url in api_requests:
        if role == "other exhibitor staff" and endpoint in PUBLIC_API_ENDPOINTS:
            continue
        before = snapshot()
        response = client.open(
            url,
            method=method,
            json={"registration_id": world["ids"]["registration_id"]},
            headers={"Authorization": f"Bearer {secret}"},
        )
        if response.status_code != 404:
            failures.append(f"{method} {url} ({endpoint}) -> {response.status_code}")
        changed = [t for t in changed_tables(before, snapshot()) if t != "api_token"]  # last_used_at
        if changed:
            failures.append(f"{method} {url} ({endpoint}) changed {changed}")
    assert not failures, f"{role}:\n" + "\n".join(failures)


# Endpoints only a site operator reaches; every other role is refused there (the sweeps above).
SITE_OPERATOR_ENDPOINTS = {"notifications.failed_everywhere", "notifications.resend_anywhere"}


def test_site_operator_endpoints_refuse_everyone_else_and_open_for_the_operator(app, world):
    """The owner organiser of the fair is refused too; the flag, not a relation, decides."""
    from bazaar.accounts.models import Organisation
    from bazaar.events.models import Event

    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints >= SITE_OPERATOR_ENDPOINTS
    assert not SITE_OPERATOR_ENDPOINTS & (set(PUBLIC_ENDPOINTS) | set(OWN_DATA_ENDPOINTS))
    event = db.session.get(Event, world["ids"]["event_id"])
    owner = f.organiser(db.session.get(Organisation, event.organisers[0].organisation_id))
    operator = f.user(email="operator@example.org", is_site_operator=True)
    client = app.test_client()
    failures = []
    for endpoint, method, url in requests_for(app, world):
        if endpoint not in SITE_OPERATOR_ENDPOINTS:
            continue
        login(client, owner)
        before = snapshot()
        if send(client, method, url).status_code != 403 or changed_tables(before, snapshot()):
            failures.append(f"owner organiser: {method} {url}")
        login(client, operator)
        if send(client, method, url).status_code not in (200, 302):
            failures.append(f"operator: {method} {url}")
    assert not failures, "\n".join(failures)


def test_cases_to_resolve_are_for_the_events_organisers_only(app, world):
    """The page naming people whose evidence disagrees: not even the event's own exhibitor sees it."""
    url = f"/organiser/events/{world['ids']['event_id']}/stats/cases"
    client = app.test_client()
    login(client, world["exhibitor_admin"])
    assert client.get(url).status_code in (403, 404)
    login(client, f.organiser(world["org"], preferred_language="en"))
    page = client.get(url)
    assert page.status_code == 200 and b"Owner hired visitor" in page.data


# Endpoints for the event's co-organisers only, where even the owner's own people are refused.
ORGANISER_ONLY_ENDPOINTS = {
    "privacy.retention_page": "when the event's visitors' data is purged, and its retention period",
    "privacy.purge": "run the retention purge early (confirmation step)",
    "eventstaff.staff": "the event's door staff and co-organisers, and inviting more",
    "eventstaff.revoke": "take a role at the event away",
    "eventstaff.withdraw_invitation": "withdraw an event staff invitation",
    "events.activity": "the event's activity log (what co-organisers did too)",
    "events.bodies": "the event's organising bodies, whose members run it, and adding one",
    "events.body_logo_upload": "an organising body's logo on the event's page",
    "events.body_remove": "take an organising body off the event (refused for the organiser's own)",
    "eventstaff.grant": "give a role (e.g. job coach) to an existing account",
    "eventstaff.decide_request": "approve or decline a request to be a job coach",
}


def test_retention_and_event_staff_are_for_the_events_organisers_only(app, world):
    """The event's exhibitor, interviewer, door staff, co-organiser and visitor, and another event's
    organiser, can neither see nor run the purge nor see or change the event's staff; the organiser
    reaches every page; an unconfirmed purge changes nothing, a revoke or withdrawal does."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints >= set(ORGANISER_ONLY_ENDPOINTS)
    client = app.test_client()
    failures = []
    for endpoint, method, url in requests_for(app, world):
        if endpoint not in ORGANISER_ONLY_ENDPOINTS:
            continue
        for role in (
            "visitor",
            "exhibitor",
            "interviewer",
            "door staff",
            "co-organiser",
            "other-event organiser",
            "organiser",
        ):
            login(client, world["roles"][role])
            before = snapshot()
            status = send(client, method, url).status_code
            allowed = (200, 302) if role == "organiser" else (403, 404)
            if status not in allowed:
                failures.append(f"{role}: {method} {url} ({endpoint}) -> {status}")
            acts = role == "organiser" and method == "POST" and endpoint.startswith("eventstaff.")
            if changed_tables(before, snapshot()) and not acts:
                failures.append(f"{role}: {method} {url} ({endpoint}) changed {changed_tables(before, snapshot())}")
    assert not failures, "\n".join(failures)


# Which of the owner's people (and an organiser of another fair) reach each API endpoint with a
# read-write token for the owner's fair; the exhibitor admin's token acts for the owner's exhibitor.
# A token acts as its maker (interviewers and visitors cannot make one on the page; this checks
# the rules all the same). Every API endpoint must be listed; the others get 404.
ANYONE = {"organiser", "co-organiser", "door staff", "exhibitor", "interviewer", "visitor", "other-event organiser"}
API_ACCESS = {
    "api.EventView": ANYONE,
    "api.ExhibitorList": ANYONE,
    "api.FreeTimes": ANYONE,
    "api.RegistrationList": {"organiser", "co-organiser"},
    "api.RegistrationRead": {"organiser", "co-organiser"},
    "api.TicketLookup": {"organiser", "co-organiser", "door staff"},
    "api.CheckIn": {"organiser", "co-organiser", "door staff"},
    "api.BookingList": {"exhibitor", "interviewer"},
    "api.Outcome": {"exhibitor", "interviewer"},
    "api.SnapshotList": {"organiser", "co-organiser"},
    "api.SnapshotRead": {"organiser", "co-organiser"},
}
API_INPUT = {  # what a request that passes the permission check sends, so it answers 200
    "api.TicketLookup": {"query_string": {"ticket": "not-a-valid-token"}},
    "api.CheckIn": {"json": {"scan_id": "6f1b6a3e-9a43-4f0e-8f52-4a0f7c1d2b11", "registration_id": None}},
    "api.Outcome": {"json": {"attendance": "no_show"}},
}


def test_each_role_reaches_exactly_its_api_endpoints(app, world):
    from bazaar.api.services import create_token
    from bazaar.events.models import Event
    from bazaar.exhibitors.models import Exhibitor

    event = db.session.get(Event, world["ids"]["event_id"])
    exhibitor = db.session.get(Exhibitor, world["ids"]["exhibitor_id"])
    api_requests = [r for r in requests_for(app, world) if r[0].startswith(API_PREFIX)]
    assert {endpoint for endpoint, _, _ in api_requests} == set(API_ACCESS)
    client = app.test_client()
    failures = []
    for role in sorted(ANYONE):
        scoped = exhibitor if role == "exhibitor" else None
        _, secret = create_token(world["roles"][role], event, role, "read-write", scoped)
        for endpoint, method, url in api_requests:
            given = dict(API_INPUT.get(endpoint, {}))
            if "json" in given:
                given["json"] = {k: v or world["ids"]["registration_id"] for k, v in given["json"].items()}
            response = client.open(url, method=method, headers={"Authorization": f"Bearer {secret}"}, **given)
            expected = 200 if role in API_ACCESS[endpoint] else 404
            if response.status_code != expected:
                failures.append(f"{role}: {method} {url} ({endpoint}) -> {response.status_code}, not {expected}")
    assert not failures, "\n".join(failures)


# Who reaches an exhibitor's grid pages: its own staff see them, and those who run the fair see,
# fix and export them (the changing POSTs are swept per role in tests/exhibitors/test_organiser_grid.py).
GRID_ACCESS = {
    "exhibitors.tables": {"organiser", "co-organiser", "exhibitor", "interviewer"},
    "exhibitors.bookings_csv": {"organiser", "co-organiser"},
    "exhibitors.bookings_xlsx": {"organiser", "co-organiser"},
    "exhibitors.table_form": {"organiser", "co-organiser", "exhibitor"},
    "exhibitors.generate": {"organiser", "co-organiser", "exhibitor"},
}


def test_each_role_reaches_exactly_its_grid_pages(app, world):
    client = app.test_client()
    failures = []
    for endpoint, method, url in requests_for(app, world):
        if endpoint not in GRID_ACCESS or method != "GET":
            continue
        for role, person in world["roles"].items():
            login(client, person)
            status = client.get(url).status_code
            expected = (200,) if role in GRID_ACCESS[endpoint] else (403, 404)
            if status not in expected:
                failures.append(f"{role}: GET {url} ({endpoint}) -> {status}")
    assert not failures, "\n".join(failures)


# Who reaches the announcement pages: those who run the fair; the news list export, which holds the
# people of the bodies' other fairs too: the organising bodies (the sending POST is swept per role
# in tests/announcements).
ANNOUNCEMENT_ACCESS = {
    "announcements.index": {"organiser", "co-organiser"},
    "announcements.new": {"organiser", "co-organiser"},
    "announcements.view": {"organiser", "co-organiser"},
    "announcements.news_csv": {"organiser"},
    "announcements.news_xlsx": {"organiser"},
}


def test_each_role_reaches_exactly_its_announcement_pages(app, world):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("announcements.")}
    assert endpoints == set(ANNOUNCEMENT_ACCESS)
    client = app.test_client()
    failures = []
    for endpoint, method, url in requests_for(app, world):
        if endpoint not in ANNOUNCEMENT_ACCESS:
            continue
        for role, person in world["roles"].items():
            login(client, person)
            before = snapshot()
            status = send(client, method, url).status_code
            allowed = role in ANNOUNCEMENT_ACCESS[endpoint]
            expected = ((200,) if method == "GET" else (200, 302)) if allowed else (403, 404)
            if status not in expected:
                failures.append(f"{role}: {method} {url} ({endpoint}) -> {status}")
            changed = changed_tables(before, snapshot())
            if allowed and method == "GET":
                changed = [t for t in changed if t != "log_entry"]  # a download is logged (activity log)
            if changed:
                failures.append(f"{role}: {method} {url} ({endpoint}) changed {changed}")
    assert not failures, "\n".join(failures)


# Who reaches the speed-dating pages: an exhibitor's sessions as its grid; the event's shared
# sessions those who run it; seating a walk-in the door and the staff of an employer in the session.
SPEED_DATING_ACCESS = {
    "exhibitors.speed_dating": {"organiser", "co-organiser", "exhibitor", "interviewer"},
    "exhibitors.shared_speed_dating": {"organiser", "co-organiser"},
    "checkin.speed_dating_door": {"organiser", "co-organiser", "door staff", "exhibitor", "interviewer"},
}


def test_each_role_reaches_exactly_its_speed_dating_pages(app, world):
    client = app.test_client()
    failures = []
    for endpoint, method, url in requests_for(app, world):
        if endpoint not in SPEED_DATING_ACCESS or method != "GET":
            continue
        for role, person in world["roles"].items():
            login(client, person)
            status = client.get(url).status_code
            expected = (200,) if role in SPEED_DATING_ACCESS[endpoint] else (403, 404)
            if status not in expected:
                failures.append(f"{role}: GET {url} ({endpoint}) -> {status}")
    assert not failures, "\n".join(failures)


# The event's own registration questions: those who run the fair (organisers and co-organisers).
QUESTION_PAGES = {"questions.question_list", "questions.question_edit"}


def test_registration_questions_are_for_those_who_run_the_event(app, world):
    client = app.test_client()
    failures = []
    for endpoint, method, url in requests_for(app, world):
        if endpoint not in QUESTION_PAGES or method != "GET":
            continue
        for role, person in world["roles"].items():
            login(client, person)
            status = client.get(url).status_code
            expected = (200,) if role in ("organiser", "co-organiser") else (403, 404)
            if status not in expected:
                failures.append(f"{role}: GET {url} ({endpoint}) -> {status}")
    assert not failures, "\n".join(failures)


# Who reaches the pages of the follow-on activities: the host exhibitor's admins and those who run
# the fair (the visitor's own pages and POSTs are swept above and tested in tests/activities/).
ACTIVITY_ACCESS = {
    "activities.exhibitor_activities": {"organiser", "co-organiser", "exhibitor"},
    "activities.new_for_exhibitor": {"organiser", "co-organiser", "exhibitor"},
    "activities.event_activities": {"organiser", "co-organiser"},
    "activities.new_for_event": {"organiser", "co-organiser"},
    "activities.activity": {"organiser", "co-organiser", "exhibitor"},
    "activities.edit": {"organiser", "co-organiser", "exhibitor"},
}


def test_each_role_reaches_exactly_its_activity_pages(app, world):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("activities.")}
    assert set(ACTIVITY_ACCESS) <= endpoints
    client = app.test_client()
    failures = []
    for endpoint, method, url in requests_for(app, world):
        if endpoint not in ACTIVITY_ACCESS or method != "GET":
            continue
        for role, person in world["roles"].items():
            login(client, person)
            status = client.get(url).status_code
            expected = (200,) if role in ACTIVITY_ACCESS[endpoint] else (403, 404)
            if status not in expected:
                failures.append(f"{role}: GET {url} ({endpoint}) -> {status}")
    assert not failures, "\n".join(failures)


# The job coach's pages: the coach who registered the group reaches them; everyone else of the
# owner's fair (another coach there, its organisers, door staff, exhibitors, visitors) is refused.
COACH_ENDPOINTS = {
    "coaching.group",
    "coaching.group_print",
    "coaching.sheet",
    "coaching.book_choose",
    "coaching.book",
    "coaching.send_link",
    "coaching.new_code",
    "coaching.cancel",
}


def test_only_the_groups_own_coach_reaches_its_pages(app, world):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints >= COACH_ENDPOINTS
    client = app.test_client()
    failures = []
    for endpoint, method, url in requests_for(app, world):
        if endpoint not in COACH_ENDPOINTS:
            continue
        if endpoint == "coaching.cancel":
            url = url.rsplit("/bookings/", 1)[0] + f"/bookings/{world['member_booking_id']}/cancel"
        for role, person in world["roles"].items():
            login(client, person)
            before = snapshot()
            status = send(client, method, url).status_code
            allowed = (200, 302, 303, 400, 409) if role == "coach" else (403, 404)
            if status not in allowed:
                failures.append(f"{role}: {method} {url} ({endpoint}) -> {status}")
            if role != "coach" and changed_tables(before, snapshot()):
                failures.append(f"{role}: {method} {url} ({endpoint}) changed {changed_tables(before, snapshot())}")
    assert not failures, "\n".join(failures)
