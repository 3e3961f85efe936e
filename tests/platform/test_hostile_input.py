"""Hostile input over every route and every form, as every role: never a 5xx.

The routes come from ``app.url_map`` through the permission matrix's own walker (its ``world``
of one party's objects); the form field names come from every ``BazaarForm`` subclass, so a new
route or field is swept without changing this test. Each request carries hostile values in the
query string and, for other methods, in the body: file parts, NUL and control characters,
numbers too large for the database, year-1 and year-9999 dates, overlong text, unknown keys and
wrong types. URL arguments are filled with the real objects and, once more, with hostile ids.
"""

from io import BytesIO

import pytest
from wtforms.fields import FieldList, FormField
from wtforms.fields.core import UnboundField

from bazaar.extensions import db
from bazaar.forms import BazaarForm
from tests.platform.test_permission_matrix import NOT_SENT, requests_for, world  # noqa: F401, F811  (world: fixture)
from tests.support import login

API_ROLES = ("exhibitor", "organiser")
HUGE = "9223372036854775808"  # one past PostgreSQL's bigint
HOSTILE_TEXTS = (
    "\x00nul",
    "ctl\x01\x1b",
    "x" * 5000,
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    HUGE,
    "-1",
    "1e999",
    "0001-01-01T00:00:00+05:00",
    "abc",
)
HOSTILE_IDS = {
    "event_id": HUGE,
    "exhibitor_id": HUGE,
    "booking_id": HUGE,
    "registration_id": HUGE,
    "slot_id": HUGE,
    "table_id": HUGE,
    "opening_id": HUGE,
    "staff_id": HUGE,
    "invitation_id": HUGE,
    "entry_id": HUGE,
    "message_id": HUGE,
    "token_id": HUGE,
    "slug": "x\x01y",
    "token": "\x00" + "a" * 900,
    "filename": "../../config.py",
}
# Keys the views read, and unknown ones that must never reach url_for (``_external``, ``event_id`` ...).
QUERY_KEYS = (
    "page",
    "page_size",
    "version",
    "event",
    "table",
    "type",
    "status",
    "kind",
    "q",
    "next",
    "lang",
    "checked_in",
    "org_type",
    "starts_at",
    "day",
    "unknown_key",
    "_external",
    "_anchor",
    "_scheme",
    "_method",
    "event_id",
    "endpoint",
    "slug",
)


def _field_names(form_class, prefix="") -> set[str]:
    names = set()
    for klass in form_class.__mro__:
        for name, value in vars(klass).items():
            if not isinstance(value, UnboundField):
                continue
            if value.field_class is FieldList:
                inner = value.args[0]
                if isinstance(inner, UnboundField) and inner.field_class is FormField:
                    names |= _field_names(inner.args[0], f"{prefix}{name}-0-")
                names.add(f"{prefix}{name}-0")
            else:
                names.add(prefix + name)
    return names


def _all_forms(klass=BazaarForm):
    for sub in klass.__subclasses__():
        yield sub
        yield from _all_forms(sub)


def field_names() -> list[str]:
    """Every field of every form (call once the app, and so every form module, is loaded)."""
    return sorted(set().union(*(_field_names(form) for form in _all_forms())) | {"unknown_key"})


def _query(variant: int) -> dict:
    """Variant 1 (sent with every GET) gives ``page`` the number too large for the database;
    variant 3 sends only that, so no other bad key is refused first."""
    if variant == 3:
        return {"page": HUGE}
    shift = HOSTILE_TEXTS.index(HUGE) * variant
    return {key: HOSTILE_TEXTS[(i + shift) % len(HOSTILE_TEXTS)] for i, key in enumerate(QUERY_KEYS)}


def _body(fields: list[str], variant: int) -> dict:
    if variant == 0:  # a file part in every field
        return {name: (BytesIO(b"\x00file"), "x.txt") for name in fields}
    return {name: HOSTILE_TEXTS[(i + variant) % len(HOSTILE_TEXTS)] for i, name in enumerate(fields)}


def _send(client, method, url, fields, variant, headers):
    if method == "GET":
        return client.get(url, query_string=_query(variant), headers=headers)
    return client.open(
        url,
        method=method,
        query_string=_query(variant),
        data=_body(fields, variant),
        content_type="multipart/form-data",
        headers=headers,
    )


def test_the_sweep_knows_the_forms(app):
    assert {"name", "email", "starts_at", "participants-0-email"} <= set(field_names())


@pytest.mark.parametrize(
    "role", ["anonymous", "visitor", "exhibitor", "interviewer", "door staff", "organiser", "other-event organiser"]
)
def test_no_hostile_input_causes_a_server_error(app, world, role):  # noqa: F811 (the imported fixture)
    client = app.test_client()
    person = world["roles"].get(role)
    sweep = [(r, v) for r in requests_for(app, world) for v in ((1, 3) if r[1] == "GET" else (0, 1))]
    sweep += [(r, 2) for r in requests_for(app, world, hostile=HOSTILE_IDS)]
    fields = field_names()
    headers = {}
    if role in API_ROLES:  # the API takes a token, not the session: give the role one for this fair
        from bazaar.api.services import create_token
        from bazaar.events.models import Event

        _, secret = create_token(person, db.session.get(Event, world["ids"]["event_id"]), "sweep", scope="read-write")
        headers = {"Authorization": f"Bearer {secret}"}
    failures = []
    for (endpoint, method, url), variant in sweep:
        if (endpoint, method) in NOT_SENT:
            continue
        if person is not None:
            login(client, person)
        response = _send(client, method, url, fields, variant, headers)
        if response.status_code >= 500:
            failures.append(f"{method} {url} ({endpoint}) variant {variant} -> {response.status_code}")
    assert not failures, f"{role}:\n" + "\n".join(failures)
