"""Hostile input on every route and form, as every role: nothing may answer 5xx.

For each role (anonymous, the owner fair's visitor, exhibitor admin, interviewer, door staff and
organiser, and an organiser of another organisation) the sweep walks every endpoint the permission
matrix knows (``requests_for``) and sends

- GET with hostile query strings (huge and negative numbers, NUL and control characters, year-1
  dates, unknown keys, repeated keys);
- POST with every field the page's own form shows, filled in turn with values of the field's type
  at its edges (year 1 and 9999, 2**63, 25:99), NUL and control characters, file parts and overlong
  text; API endpoints get the same as JSON with the organiser's token.

A response of 500 or an exception escaping the app fails the test and names the request.
"""
import re

import pytest
import sqlalchemy as sa

from bazaar.exhibitors.models import Exhibitor, ExhibitorStaff
from bazaar.extensions import db, limiter
from bazaar.stats.services import compile_snapshot
from tests import factories as f
from tests.conftest import login
from tests.test_permission_matrix import NOT_SENT, requests_for, world  # noqa: F401 (fixture)

HUGE = "9223372036854775808"
QUERY = {"page": HUGE, "per_page": "-1", "type": "x\x00", "status": "\x01", "q": "\x00" * 3,
         "date": "0001-01-01", "since": "9999-12-31T23:59:59", "lang": "\x00", "next": "//evil.example",
         "unknown": "1", "sort": "'; DROP TABLE x", "limit": HUGE, "offset": "-" + HUGE}
EDGE_BY_TYPE = {
    "date": ["0001-01-01", "9999-12-31", "2026-02-30"],
    "datetime-local": ["0001-01-01T00:00", "9999-12-31T23:59", "2026-13-01T25:61"],
    "time": ["25:99", "00:00:00.0000001", "-1:00"],
    "number": [HUGE, "-" + HUGE, "1e309", "NaN"],
    "email": ["a@" + "b" * 300 + ".se", "\x00@example.org"],
}
TEXT_VALUES = ["\x00", "ok\x07bell", "x" * 100_000, "=cmd|' /C calc'!A0", HUGE, "0001-01-01T00:00"]
FIELD = re.compile(r'<(input|select|textarea)\b([^>]*)>', re.I)
ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')


@pytest.fixture
def unlimited():
    """Rate limits would turn most of the sweep into 429s and hide the forms behind them."""
    limiter.enabled = False
    yield
    limiter.enabled = True


def form_fields(html: str) -> dict[str, str]:
    """name -> input type of every field on a page (hidden ones too)."""
    fields = {}
    for tag, attrs in FIELD.findall(html):
        attr = dict(ATTR.findall(attrs))
        if "name" in attr:
            fields[attr["name"]] = attr.get("type", tag.lower()).lower()
    return fields


def bodies(fields: dict[str, str]) -> list[dict]:
    """Form bodies that fill every field with hostile values of its kind, plus file parts."""
    if not fields:
        fields = {"name": "text", "email": "email", "starts_at": "datetime-local"}
    made = []
    for value in TEXT_VALUES:
        made.append({name: value for name in fields})
    for index in range(3):
        made.append({name: EDGE_BY_TYPE.get(kind, TEXT_VALUES)[index % len(EDGE_BY_TYPE.get(kind, TEXT_VALUES))]
                     for name, kind in fields.items()})
    made.append({name: (_file(), "x.txt") for name in fields})
    made.append({name: ["a", "\x00", HUGE] for name in fields})
    return made


def _file():
    import io

    return io.BytesIO(b"\x00\xff" * 64)


def roles(world) -> dict:
    """The owner fair's people, each with a published statistics snapshot to export."""
    ids = world["ids"]
    exhibitor = db.session.get(Exhibitor, ids["exhibitor_id"])
    event = exhibitor.event
    # A name stored before the form refused control characters must not break the exports.
    db.session.execute(sa.update(Exhibitor).where(Exhibitor.id == exhibitor.id).values(name="Owner\x0bemployer"))
    db.session.commit()
    compile_snapshot(event.id)
    staff = {s.role: s.user for s in db.session.scalars(
        sa.select(ExhibitorStaff).where(ExhibitorStaff.exhibitor_id == exhibitor.id))}
    from bazaar.registrations.models import Registration

    owner_visitor = db.session.get(Registration, ids["registration_id"]).user
    return {
        "anonymous": None,
        "visitor": owner_visitor,
        "exhibitor admin": staff["admin"],
        "interviewer": staff["interviewer"],
        "door staff": f.checkin_staff(event),
        "organiser": f.organiser(event.organisers[0].organisation),
        "other organiser": world["outsiders"]["other organiser"],
    }


def send_all(app, client, endpoint, method, url, token=None):
    """Yield (description, response or exception) for every hostile variant of one request."""
    headers = {"Authorization": f"Bearer {token}"} if token and endpoint.startswith("api.") else {}
    if method == "GET":
        yield "GET ?hostile", _call(client.get, url, query_string=QUERY, headers=headers)
        yield "GET ?repeated", _call(client.get, url, query_string=[("page", "1"), ("page", HUGE)],
                                           headers=headers)
        return
    if endpoint.startswith("api."):
        fields = {"registration_id": "number", "scanned_at": "datetime-local", "client_scan_id": "text"}
        for body in bodies(fields)[:-2]:
            yield f"{method} json", _call(client.open, url, method=method, json=body, headers=headers)
        yield f"{method} not json", _call(client.open, url, method=method, data="\x00{", headers=headers,
                                         content_type="application/json")
        return
    page = _call(client.get, url)
    fields = form_fields(page.get_data(as_text=True)) if not isinstance(page, Exception) else {}
    fields.pop("csrf_token", None)
    for body in bodies(fields):
        yield f"{method} form {sorted(body)[:3]}", _call(client.open, url, method=method, data=body,
                                                         content_type="multipart/form-data")


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # an exception escaping the app is a 500 in production
        return exc


ROLES = ["anonymous", "visitor", "exhibitor admin", "interviewer", "door staff", "organiser", "other organiser"]


@pytest.mark.parametrize("role", ROLES)
def test_no_hostile_input_gives_a_server_error(app, world, unlimited, role):  # noqa: F811
    person = roles(world)[role]
    token = None
    if role == "organiser":
        from bazaar.api.services import create_token
        from bazaar.events.models import Event

        _, token = create_token(person, db.session.get(Event, world["ids"]["event_id"]), "sweep",
                                scope="read-write")
    client = app.test_client()
    failures, sent = [], 0
    for endpoint, method, url in requests_for(app, world):
        if (endpoint, method) in NOT_SENT or endpoint == "static":
            continue
        if person is not None:
            login(client, person)
        for what, response in send_all(app, client, endpoint, method, url, token):
            sent += 1
            db.session.rollback()
            if isinstance(response, Exception):
                failures.append(f"{what} {url} ({endpoint}): {type(response).__name__}: {response}"[:300])
            elif response.status_code >= 500:
                failures.append(f"{what} {url} ({endpoint}) -> {response.status_code}")
    assert sent > 500
    assert not failures, f"{role}: {len(failures)} of {sent} requests failed:\n" + "\n".join(failures[:40])
