"""The JSON API: OpenAPI document, scoped hashed tokens, problem details, every endpoint walked."""

import re
import uuid
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from openapi_spec_validator import validate

from bazaar.api.models import ApiToken
from bazaar.api.services import create_token, revoke_token
from bazaar.booking.models import Booking
from bazaar.checkin.models import DoorScan
from bazaar.clock import utcnow
from bazaar.events.models import Event
from bazaar.exhibitors.models import Exhibitor, ExhibitorStaff
from bazaar.extensions import db
from bazaar.registrations.services import ticket_token
from bazaar.stats.models import StatsSnapshot
from tests import factories as f


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def fair(ctx):
    event = f.event(name="Rekryteringsbazaren")
    organiser = f.organiser(org=event.organisers[0].organisation)
    reg = f.registration(event)
    f.slots_for(f.exhibitor(event, name="Region Stockholm"), count=2)
    _, secret = create_token(organiser, event, "Municipality import", scope="read-write")
    return event, organiser, reg, secret


def event_exhibitor(event):
    return db.session.scalar(db.select(Exhibitor).where(Exhibitor.event_id == event.id, Exhibitor.status == "approved"))


@pytest.fixture
def walk(fair):
    """Everything an API call can name: a booking, an exhibitor admin's token, a snapshot."""
    event, organiser, reg, secret = fair
    exhibitor = event_exhibitor(event)
    booking = f.interview(reg, exhibitor, attendance="unknown")
    admin = f.exhibitor_staff(exhibitor, role="admin")
    _, exhibitor_secret = create_token(admin, event, "Booth app", "read-write", exhibitor)
    snapshot = StatsSnapshot(event_id=event.id, version=1, status="done", figures={"visitors": 1})
    db.session.add(snapshot)
    db.session.commit()
    ids = {
        "event_id": event.id,
        "exhibitor_id": exhibitor.id,
        "registration_id": reg.id,
        "booking_id": booking.id,
        "snapshot_id": snapshot.id,
    }
    return {"ids": ids, "organiser": secret, "exhibitor": exhibitor_secret, "ticket": ticket_token(reg)}


# Every documented operation: which scoped token walks it, and with what. A documented operation
# missing here fails the walk, so a new endpoint cannot go untested.
WALK = {
    ("get", "/api/v1/events/{event_id}"): ("organiser", None),
    ("get", "/api/v1/events/{event_id}/exhibitors"): ("organiser", None),
    ("get", "/api/v1/events/{event_id}/exhibitors/{exhibitor_id}/free-times"): ("organiser", None),
    ("get", "/api/v1/events/{event_id}/registrations"): ("organiser", None),
    ("get", "/api/v1/events/{event_id}/registrations/{registration_id}"): ("organiser", None),
    ("get", "/api/v1/events/{event_id}/tickets"): ("organiser", "ticket"),
    ("post", "/api/v1/events/{event_id}/checkins"): ("organiser", {"registration_id": "registration_id"}),
    ("get", "/api/v1/events/{event_id}/exhibitors/{exhibitor_id}/bookings"): ("exhibitor", None),
    ("post", "/api/v1/events/{event_id}/exhibitors/{exhibitor_id}/bookings/{booking_id}/outcome"): (
        "exhibitor",
        {"attendance": "attended", "outcome": "second_interview"},
    ),
    ("get", "/api/v1/events/{event_id}/stats/snapshots"): ("organiser", None),
    ("get", "/api/v1/events/{event_id}/stats/snapshots/{snapshot_id}"): ("organiser", None),
}


def documented_operations(spec) -> set:
    return {
        (method, path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }


def walk_request(walk, method, path):
    """(url, json body, token secret) for one documented operation, with real ids filled in."""
    who, extra = WALK[(method, path)]
    url = re.sub(r"\{(\w+)\}", lambda m: str(walk["ids"][m.group(1)]), path)
    body = None
    if extra == "ticket":
        url += "?" + urlencode({"ticket": walk["ticket"]})
    elif method == "post":
        body = {k: walk["ids"].get(v, v) for k, v in extra.items()}
        if path.endswith("/checkins"):
            body["scan_id"] = str(uuid.uuid4())
    return url, body, walk[who]


def test_openapi_document_validates_and_docs_are_browsable(client, fair):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    assert spec["paths"], "the document lists the API's endpoints"
    docs = client.get("/api/v1/docs").get_data(as_text=True)
    for path in spec["paths"]:
        assert path in docs
    assert "cdn" not in docs.lower()


def test_every_documented_endpoint_answers_with_a_scoped_token(client, walk):
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = documented_operations(spec)
    assert documented == set(WALK), f"documented but not walked: {documented - set(WALK)}"
    for method, path in sorted(documented):
        url, body, secret = walk_request(walk, method, path)
        response = client.open(url, method=method.upper(), json=body, headers=bearer(secret))
        assert response.status_code == 200, (method, url, response.get_data(as_text=True))
        assert response.is_json
    ids = walk["ids"]
    base = f"/api/v1/events/{ids['event_id']}"
    free = client.get(f"{base}/exhibitors/{ids['exhibitor_id']}/free-times", headers=bearer(walk["organiser"]))
    assert len(free.get_json()) == 2 and all(t["free_tables"] == 1 for t in free.get_json())
    booking = db.session.get(Booking, ids["booking_id"])
    assert booking.attendance == "attended" and booking.outcome == "second_interview"
    figures = client.get(f"{base}/stats/snapshots/{ids['snapshot_id']}", headers=bearer(walk["organiser"]))
    assert figures.get_json()["figures"] == {"visitors": 1}


def test_each_documented_endpoint_refuses_the_other_kind_of_token(client, walk):
    """The organiser's token cannot act for the exhibitor; the exhibitor's token reads only
    the event's public data and its own exhibitor's things."""
    public = {"/api/v1/events/{event_id}", "/api/v1/events/{event_id}/exhibitors"}
    public.add("/api/v1/events/{event_id}/exhibitors/{exhibitor_id}/free-times")
    for method, path in sorted(WALK):
        url, body, secret = walk_request(walk, method, path)
        other = walk["exhibitor"] if secret == walk["organiser"] else walk["organiser"]
        response = client.open(url, method=method.upper(), json=body, headers=bearer(other))
        assert response.status_code == (200 if path in public else 404), (method, path)


def test_token_is_stored_hashed_and_last_use_recorded(client, fair):
    event, _, _, secret = fair
    token = db.session.scalar(db.select(ApiToken))
    assert secret not in token.token_hash and len(token.token_hash) == 64
    assert token.last_used_at is None
    assert client.get(f"/api/v1/events/{event.id}", headers=bearer(secret)).status_code == 200
    db.session.refresh(token)
    assert token.last_used_at is not None


def test_missing_or_revoked_token_is_a_problem_document(client, fair):
    event, _, _, secret = fair
    response = client.get(f"/api/v1/events/{event.id}")
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "token_invalid"
    revoke_token(db.session.scalar(db.select(ApiToken)))
    assert client.get(f"/api/v1/events/{event.id}", headers=bearer(secret)).status_code == 401


def test_registrations_are_paged(client, fair):
    event, _, _, secret = fair
    for _ in range(2):
        f.registration(event)
    response = client.get(f"/api/v1/events/{event.id}/registrations?page=1&page_size=2", headers=bearer(secret))
    assert response.status_code == 200 and len(response.get_json()) == 2
    assert '"total": 3' in response.headers["X-Pagination"]


def test_huge_or_junk_pages_are_a_client_error_never_a_500(client, fair):
    event, _, _, secret = fair
    for page in ("9223372036854775808", "99999999999999999999999", "-1", "abc"):
        response = client.get(f"/api/v1/events/{event.id}/registrations?page={page}", headers=bearer(secret))
        assert response.status_code in (200, 422), page


def scan(**body):
    return {"scan_id": str(uuid.uuid4()), **body}


def test_check_in_through_the_api_is_idempotent_by_scan_id(client, fair):
    event, _, reg, secret = fair
    url = f"/api/v1/events/{event.id}/checkins"
    body = scan(ticket=ticket_token(reg), door="North")
    first = client.post(url, json=body, headers=bearer(secret)).get_json()
    resent = client.post(url, json=body, headers=bearer(secret)).get_json()
    again = client.post(url, json=scan(ticket=ticket_token(reg)), headers=bearer(secret)).get_json()
    assert first["result"] == resent["result"] == "checked_in" and again["result"] == "already_checked_in"
    assert first["checked_in_at"] == resent["checked_in_at"] == again["checked_in_at"]
    assert [s.result for s in db.session.scalars(db.select(DoorScan).order_by(DoorScan.id))] == [
        "checked_in",
        "already_checked_in",
    ]


def test_two_offline_doors_count_once_and_the_earliest_scan_wins(client, ctx):
    event = f.event(starts_in=-timedelta(hours=2))
    organiser = f.organiser(org=event.organisers[0].organisation)
    _, secret = create_token(organiser, event, "Doors", "read-write")
    reg = f.registration(event)
    url = f"/api/v1/events/{event.id}/checkins"
    early, late = utcnow() - timedelta(minutes=30), utcnow() - timedelta(minutes=10)
    second = client.post(
        url, json=scan(ticket=ticket_token(reg), door="South", scanned_at=late.isoformat()), headers=bearer(secret)
    )
    first = client.post(
        url, json=scan(ticket=ticket_token(reg), door="North", scanned_at=early.isoformat()), headers=bearer(secret)
    )
    assert second.get_json()["result"] == first.get_json()["result"] == "checked_in"
    db.session.expire_all()
    assert db.session.get(type(reg), reg.id).checked_in_at == early
    rows = db.session.scalars(db.select(DoorScan).order_by(DoorScan.id)).all()
    assert [(r.door, r.result, r.scanned_at) for r in rows] == [
        ("South", "already_checked_in", late),
        ("North", "checked_in", early),
    ]
    later = client.post(url, json=scan(registration_id=reg.id), headers=bearer(secret)).get_json()
    assert later["result"] == "already_checked_in"
    assert later["checked_in_at"].startswith(early.isoformat()[:19])


def test_scan_times_outside_the_event_days_or_ahead_are_refused(client, ctx):
    event = f.event(starts_in=-timedelta(hours=1))
    organiser = f.organiser(org=event.organisers[0].organisation)
    _, secret = create_token(organiser, event, "Doors", "read-write")
    reg = f.registration(event)
    url = f"/api/v1/events/{event.id}/checkins"
    for at in (utcnow() - timedelta(days=3), utcnow() + timedelta(minutes=30), "2026-13-01T00:00:00+00:00"):
        body = scan(registration_id=reg.id, scanned_at=at if isinstance(at, str) else at.isoformat())
        response = client.post(url, json=body, headers=bearer(secret))
        assert response.status_code == 422 and response.mimetype == "application/problem+json", at
    naive = client.post(
        url, json=scan(registration_id=reg.id, scanned_at="2026-12-02T10:00:00"), headers=bearer(secret)
    )
    assert naive.status_code == 422
    db.session.refresh(reg)
    assert reg.checked_in_at is None


def test_bad_input_is_a_422_problem_not_a_500(client, fair):
    event, _, _, secret = fair
    url = f"/api/v1/events/{event.id}/checkins"
    bodies = ({}, scan(), scan(registration_id="x"), scan(registration_id=10**30), {"scan_id": "not-a-uuid"})
    for body in bodies:
        response = client.post(url, json=body, headers=bearer(secret))
        assert response.status_code == 422, body
        assert response.mimetype == "application/problem+json"
    for query in ("", "?ticket=", "?ticket=" + "x" * 3000):
        assert client.get(f"/api/v1/events/{event.id}/tickets{query}", headers=bearer(secret)).status_code == 422


def test_the_event_names_each_of_its_days(client, fair):
    event, _, _, secret = fair
    second_opens = event.days[0].opens_at + timedelta(days=1, hours=1)
    f.set_days(
        event, (event.days[0].opens_at, event.days[0].closes_at), (second_opens, second_opens + timedelta(hours=5))
    )
    event.days[1].note = "Hall B"
    db.session.commit()
    days = client.get(f"/api/v1/events/{event.id}", headers=bearer(secret)).get_json()["days"]
    assert [d["date"] for d in days] == [d.date.isoformat() for d in event.days]
    assert days[1]["note"] == "Hall B" and days[1]["opens_at"] == second_opens.isoformat()


def test_ticket_lookup_checks_nobody_in(client, fair):
    event, _, reg, secret = fair
    found = client.get(
        f"/api/v1/events/{event.id}/tickets?" + urlencode({"ticket": ticket_token(reg)}), headers=bearer(secret)
    ).get_json()
    assert found["result"] == "not_checked_in" and found["registration_id"] == reg.id
    forged = client.get(f"/api/v1/events/{event.id}/tickets?ticket=abc", headers=bearer(secret)).get_json()
    assert forged["result"] == "forged"
    db.session.refresh(reg)
    assert reg.checked_in_at is None


def test_registrations_updated_since_in_stable_order(client, fair):
    event, _, first, secret = fair
    second, third = f.registration(event), f.registration(event)
    base = utcnow() - timedelta(hours=1)
    for reg, minutes in ((first, 30), (second, 10), (third, 10)):
        db.session.execute(
            db.update(type(reg)).where(type(reg).id == reg.id).values(updated_at=base + timedelta(minutes=minutes))
        )
    db.session.commit()
    url = f"/api/v1/events/{event.id}/registrations"
    since = (base + timedelta(minutes=5)).isoformat()
    pages = [
        client.get(url, query_string={"updated_since": since, "page": p, "page_size": 2}, headers=bearer(secret))
        for p in (1, 2)
    ]
    assert [r["id"] for page in pages for r in page.get_json()] == sorted([second.id, third.id]) + [first.id]
    cut = client.get(
        url, query_string={"updated_since": (base + timedelta(minutes=20)).isoformat()}, headers=bearer(secret)
    )
    assert [r["id"] for r in cut.get_json()] == [first.id]
    # a check-in bumps updated_at: the next sync sees the registration again
    before = utcnow()
    client.post(f"/api/v1/events/{event.id}/checkins", json=scan(registration_id=second.id), headers=bearer(secret))
    synced = client.get(url, query_string={"updated_since": before.isoformat()}, headers=bearer(secret)).get_json()
    assert [(r["id"], r["checked_in_at"] is not None) for r in synced] == [(second.id, True)]
    for junk in ("yesterday", "2026-12-02T10:00:00"):
        assert client.get(url, query_string={"updated_since": junk}, headers=bearer(secret)).status_code == 422


def test_read_one_registration_of_this_event_only(client, fair):
    event, _, reg, secret = fair
    one = client.get(f"/api/v1/events/{event.id}/registrations/{reg.id}", headers=bearer(secret))
    assert one.status_code == 200 and one.get_json()["id"] == reg.id and one.get_json()["updated_at"]
    elsewhere = f.registration(f.event())
    for rid in (elsewhere.id, 10**30):
        assert client.get(f"/api/v1/events/{event.id}/registrations/{rid}", headers=bearer(secret)).status_code == 404


def test_outcome_through_the_api_follows_the_web_rules(client, walk):
    ids = walk["ids"]
    url = f"/api/v1/events/{ids['event_id']}/exhibitors/{ids['exhibitor_id']}/bookings/{ids['booking_id']}/outcome"
    for body in ({"attendance": "unknown"}, {"attendance": "attended", "outcome": "hired"}, {}):
        response = client.post(url, json=body, headers=bearer(walk["exhibitor"]))
        assert response.status_code == 422 and response.mimetype == "application/problem+json", body
    hired = {"attendance": "attended", "outcome": "hired", "employment_type": "permanent"}
    assert client.post(url, json=hired, headers=bearer(walk["exhibitor"])).get_json()["outcome"] == "hired"
    booking = db.session.get(Booking, ids["booking_id"])
    assert booking.outcome_recorded_by_id is not None and booking.outcome_employment_type == "permanent"


def test_an_exhibitor_token_acts_for_its_own_exhibitor_only(client, walk):
    ids = walk["ids"]
    event = db.session.get(Event, ids["event_id"])
    rival = f.exhibitor(event, name="Rival")
    rival_booking = f.interview(f.registration(event), rival, attendance="unknown")
    base = f"/api/v1/events/{ids['event_id']}/exhibitors/{rival.id}/bookings"
    assert client.get(base, headers=bearer(walk["exhibitor"])).status_code == 404
    # the token's owner admins the rival too: the token still acts for its one exhibitor
    admin = db.session.scalar(db.select(ApiToken).where(ApiToken.name == "Booth app")).user
    f.exhibitor_staff(rival, role="admin", email="x@example.org")
    db.session.add(ExhibitorStaff(exhibitor_id=rival.id, user_id=admin.id, role="admin"))
    db.session.commit()
    assert client.get(base, headers=bearer(walk["exhibitor"])).status_code == 404
    outcome = client.post(
        f"{base}/{rival_booking.id}/outcome", json={"attendance": "no_show"}, headers=bearer(walk["exhibitor"])
    )
    assert outcome.status_code == 404
    own = f"/api/v1/events/{ids['event_id']}/exhibitors/{ids['exhibitor_id']}/bookings"
    assert [b["id"] for b in client.get(own, headers=bearer(walk["exhibitor"])).get_json()] == [ids["booking_id"]]


# ---- permission matrix: scope, event and role decide, for every endpoint ---------------------


def test_token_of_another_event_sees_nothing(client, walk):
    other = f.event()
    _, foreign = create_token(f.organiser(org=other.organisers[0].organisation), other, "Other", "read-write")
    for method, path in sorted(WALK):
        url, body, _ = walk_request(walk, method, path)
        response = client.open(url, method=method.upper(), json=body, headers=bearer(foreign))
        assert response.status_code == 404, (method, url)
    assert db.session.scalar(db.select(DoorScan)) is None


def test_read_token_cannot_write_and_exhibitor_token_cannot_read_registrations(client, fair):
    event, organiser, reg, _ = fair
    _, read_only = create_token(organiser, event, "Read only", "read")
    url = f"/api/v1/events/{event.id}/checkins"
    assert client.post(url, json=scan(registration_id=reg.id), headers=bearer(read_only)).status_code == 404
    admin = f.exhibitor_staff(f.exhibitor(event), role="admin")
    _, exhibitor_secret = create_token(admin, event, "Booth", "read-write")
    assert client.get(f"/api/v1/events/{event.id}", headers=bearer(exhibitor_secret)).status_code == 200
    assert client.get(f"/api/v1/events/{event.id}/registrations", headers=bearer(exhibitor_secret)).status_code == 404
    assert client.post(url, json=scan(registration_id=reg.id), headers=bearer(exhibitor_secret)).status_code == 404
    db.session.refresh(reg)
    assert reg.checked_in_at is None


# ---- token pages --------------------------------------------------------------------------------


def test_organiser_creates_sees_and_revokes_a_token_on_the_page(client, fair):
    from tests.support import login

    event, organiser, _, _ = fair
    organiser.preferred_language = "en"
    db.session.commit()
    login(client, organiser)
    assert f"/events/{event.id}/api-tokens" in client.get(f"/organiser/events/{event.id}").get_data(as_text=True)
    page = client.post(f"/events/{event.id}/api-tokens", data={"name": "Door app", "scope": "read"})
    html = page.get_data(as_text=True)
    secret = html.split("<code data-secret>", 1)[1].split("</code>", 1)[0]
    assert page.status_code == 200 and "Door app" in html and "never" in html
    assert client.get(f"/api/v1/events/{event.id}", headers=bearer(secret)).status_code == 200
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.name == "Door app"))
    assert client.post(f"/api-tokens/{token.id}/revoke").status_code == 302
    assert client.get(f"/api/v1/events/{event.id}", headers=bearer(secret)).status_code == 401
    assert "revoked" in client.get(f"/events/{event.id}/api-tokens").get_data(as_text=True)


def test_exhibitor_admin_may_make_tokens_interviewer_may_not(client, fair):
    from tests.support import login

    event, _, _, _ = fair
    exhibitor = event_exhibitor(event)
    login(client, f.exhibitor_staff(exhibitor, role="interviewer"))
    assert client.get(f"/events/{event.id}/api-tokens").status_code == 403
    admin = f.exhibitor_staff(exhibitor, role="admin")
    login(client, admin)
    assert f"/events/{event.id}/api-tokens" in client.get(f"/exhibitor/{exhibitor.id}").get_data(as_text=True)
    assert client.get(f"/events/{event.id}/api-tokens").status_code == 200
    rival = f.exhibitor(event, name="Rival")
    for acts_for in ("event", str(rival.id)):  # neither the whole event nor another exhibitor
        client.post(f"/events/{event.id}/api-tokens", data={"name": "Grab", "scope": "read", "acts_for": acts_for})
    assert db.session.scalar(db.select(ApiToken)).name == "Municipality import"
    client.post(f"/events/{event.id}/api-tokens", data={"name": "Booth", "scope": "read-write"})
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.name == "Booth"))
    assert token.user_id == admin.id and token.exhibitor_id == exhibitor.id


def test_rate_limit_counts_per_token(client, fair):
    from bazaar.api.views import API_RATE_LIMIT

    event, organiser, _, secret = fair
    _, other = create_token(organiser, event, "Second", "read")
    allowed = int(API_RATE_LIMIT.split("/")[0])
    url = f"/api/v1/events/{event.id}"
    codes = [client.get(url, headers=bearer(secret)).status_code for _ in range(allowed + 1)]
    assert codes[:allowed] == [200] * allowed and codes[-1] == 429
    assert client.get(url, headers=bearer(secret)).mimetype == "application/problem+json"
    assert client.get(url, headers=bearer(other)).status_code == 200
