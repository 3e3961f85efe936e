"""The JSON API: OpenAPI document, scoped hashed tokens, problem details, every endpoint walked."""

import re

import pytest
from openapi_spec_validator import validate

from bazaar.api.models import ApiToken
from bazaar.api.services import create_token, revoke_token
from bazaar.extensions import db
from bazaar.registrations.services import ticket_token
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
    from bazaar.exhibitors.models import Exhibitor

    return db.session.scalar(db.select(Exhibitor).where(Exhibitor.event_id == event.id, Exhibitor.status == "approved"))


def _documented_calls(spec, event, reg):
    """(method, url, json) for every operation of the OpenAPI document, with real ids filled in."""
    exhibitor = event_exhibitor(event)
    values = {"event_id": event.id, "exhibitor_id": exhibitor.id}
    bodies = {"post": {"registration_id": reg.id, "door": "API"}}
    for path, operations in spec["paths"].items():
        url = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)
        for method in operations:
            if method in ("get", "post", "put", "patch", "delete"):
                yield method, url, bodies.get(method)


def test_openapi_document_validates_and_docs_are_browsable(client, fair):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    assert spec["paths"], "the document lists the API's endpoints"
    docs = client.get("/api/v1/docs").get_data(as_text=True)
    for path in spec["paths"]:
        assert path in docs
    assert "cdn" not in docs.lower()


def test_every_documented_endpoint_answers_with_a_scoped_token(client, fair):
    event, _, reg, secret = fair
    spec = client.get("/api/v1/openapi.json").get_json()
    calls = list(_documented_calls(spec, event, reg))
    assert len(calls) >= 3
    for method, url, body in calls:
        response = client.open(url, method=method.upper(), json=body, headers=bearer(secret))
        assert response.status_code == 200, (method, url, response.get_data(as_text=True))
        assert response.is_json
    free = client.get(
        f"/api/v1/events/{event.id}/exhibitors/{event_exhibitor(event).id}/free-times", headers=bearer(secret)
    ).get_json()
    assert len(free) == 2 and all(t["free_tables"] == 1 for t in free)


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


def test_check_in_through_the_api_is_idempotent(client, fair):
    event, _, reg, secret = fair
    url = f"/api/v1/events/{event.id}/checkins"
    first = client.post(url, json={"ticket": ticket_token(reg)}, headers=bearer(secret)).get_json()
    again = client.post(url, json={"ticket": ticket_token(reg)}, headers=bearer(secret)).get_json()
    assert first["result"] == "checked_in" and again["result"] == "already_checked_in"
    assert first["checked_in_at"] == again["checked_in_at"]


def test_bad_input_is_a_422_problem_not_a_500(client, fair):
    event, _, _, secret = fair
    url = f"/api/v1/events/{event.id}/checkins"
    for body in ({}, {"registration_id": "x"}, {"registration_id": 10**30}):
        response = client.post(url, json=body, headers=bearer(secret))
        assert response.status_code == 422, body
        assert response.mimetype == "application/problem+json"


# ---- permission matrix: scope, event and role decide, for every endpoint ---------------------


def test_token_of_another_event_sees_nothing(client, fair):
    event, _, reg, _ = fair
    other = f.event()
    _, foreign = create_token(f.organiser(org=other.organisers[0].organisation), other, "Other", "read-write")
    spec = client.get("/api/v1/openapi.json").get_json()
    for method, url, body in _documented_calls(spec, event, reg):
        response = client.open(url, method=method.upper(), json=body, headers=bearer(foreign))
        assert response.status_code == 404, (method, url)
    db.session.refresh(reg)
    assert reg.checked_in_at is None


def test_read_token_cannot_write_and_exhibitor_token_cannot_read_registrations(client, fair):
    event, organiser, reg, _ = fair
    _, read_only = create_token(organiser, event, "Read only", "read")
    url = f"/api/v1/events/{event.id}/checkins"
    assert client.post(url, json={"registration_id": reg.id}, headers=bearer(read_only)).status_code == 404
    admin = f.exhibitor_staff(f.exhibitor(event), role="admin")
    _, exhibitor_secret = create_token(admin, event, "Booth", "read-write")
    assert client.get(f"/api/v1/events/{event.id}", headers=bearer(exhibitor_secret)).status_code == 200
    assert client.get(f"/api/v1/events/{event.id}/registrations", headers=bearer(exhibitor_secret)).status_code == 404
    assert client.post(url, json={"registration_id": reg.id}, headers=bearer(exhibitor_secret)).status_code == 404
    db.session.refresh(reg)
    assert reg.checked_in_at is None


# ---- token pages --------------------------------------------------------------------------------


def test_organiser_creates_sees_and_revokes_a_token_on_the_page(client, fair):
    from tests.conftest import login

    event, organiser, _, _ = fair
    organiser.preferred_language = "en"
    db.session.commit()
    login(client, organiser)
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
    from tests.conftest import login

    event, _, _, _ = fair
    exhibitor = event_exhibitor(event)
    login(client, f.exhibitor_staff(exhibitor, role="interviewer"))
    assert client.get(f"/events/{event.id}/api-tokens").status_code == 403
    login(client, f.exhibitor_staff(exhibitor, role="admin"))
    assert client.get(f"/events/{event.id}/api-tokens").status_code == 200


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
