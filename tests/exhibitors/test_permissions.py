"""Crossing the lines on every exhibitor endpoint: other exhibitors' staff, visitors, organisers
of other events, anonymous users and interviewers trying admin actions all get 403/404 (or the
login page) and nothing changes."""

import pytest
from sqlalchemy import select

from bazaar.exhibitors.models import ExhibitorStaff, Opening, StaffInvitation
from bazaar.extensions import db
from tests import factories as f
from tests.platform.test_permission_matrix import changed_tables, snapshot
from tests.support import login


@pytest.fixture
def booth(ctx):
    org = f.organisation()
    event = f.event(org=org)
    ex = f.exhibitor(event, status="applied", tables=1)
    admin = f.exhibitor_staff(ex, role="admin")
    interviewer = f.exhibitor_staff(ex, role="interviewer")
    slot = f.slots_for(ex, count=1)[0]
    booking = f.booked(f.registration(event), slot)
    opening = Opening(exhibitor_id=ex.id, title={"en": "Cook"}, occupation="cook")
    invitation = StaffInvitation(exhibitor_id=ex.id, email="new@example.org", invited_by_id=admin.id)
    db.session.add_all([opening, invitation])
    db.session.commit()
    staff_id = db.session.scalar(select(ExhibitorStaff.id).where(ExhibitorStaff.user_id == interviewer.id))
    x, t = ex.id, ex.tables[0].id
    other_ex = f.exhibitor(event, tables=1)
    return {
        "event": event,
        "exhibitor": ex,
        "admin": admin,
        "interviewer": interviewer,
        "org": org,
        "other_exhibitor": other_ex,
        # (method, url, data, who in the booth may use it)
        "endpoints": [
            ("GET", f"/exhibitor/{x}", {}, "staff"),
            ("GET", f"/exhibitor/{x}/openings", {}, "staff"),
            ("GET", f"/exhibitor/{x}/tables", {}, "staff and organisers"),
            ("GET", f"/exhibitor/{x}/day", {}, "staff"),
            ("GET", f"/exhibitor/{x}/missing-outcomes", {}, "staff"),
            ("POST", f"/exhibitor/{x}/interviews/{booking.id}", {f"b{booking.id}-attendance": "no_show"}, "staff"),
            ("GET", f"/exhibitor/{x}/profile", {}, "admin"),
            ("POST", f"/exhibitor/{x}/profile", {"sector": "Hacked"}, "admin"),
            ("POST", f"/exhibitor/{x}/logo", {}, "admin"),
            ("POST", f"/exhibitor/{x}/logo/delete", {}, "admin"),
            ("GET", f"/exhibitor/{x}/openings/new", {}, "admin"),
            (
                "POST",
                f"/exhibitor/{x}/openings/new",
                {
                    "title_en": "X",
                    "occupation": "cook",
                    "positions": "1",
                    "country": "SE",
                    "employment_type": "permanent",
                    "level_1": "basic",
                    "level_2": "basic",
                },
                "admin",
            ),
            ("POST", f"/exhibitor/{x}/openings/{opening.id}/edit", {"title_en": "Hacked"}, "admin"),
            ("POST", f"/exhibitor/{x}/openings/{opening.id}/delete", {}, "admin"),
            ("GET", f"/exhibitor/{x}/staff", {}, "admin"),
            ("POST", f"/exhibitor/{x}/staff", {"email": "spy@example.org", "role": "admin"}, "admin"),
            ("POST", f"/exhibitor/{x}/staff/{staff_id}/remove", {}, "admin"),
            ("POST", f"/exhibitor/{x}/invitations/{invitation.id}/withdraw", {}, "admin"),
            ("POST", f"/exhibitor/{x}/tables/new", {"name": "Spy table"}, "admin and organisers"),
            ("POST", f"/exhibitor/{x}/tables/{t}/edit", {"name": "Hacked"}, "admin and organisers"),
            ("POST", f"/exhibitor/{x}/tables/{t}/delete", {}, "admin and organisers"),
            (
                "POST",
                f"/exhibitor/{x}/tables/{t}/generate",
                {"day": "x", "start": "09:00", "end": "10:00"},
                "admin and organisers",
            ),
            ("POST", f"/exhibitor/{x}/slots/{slot.id}/block", {}, "admin and organisers"),
            ("POST", f"/exhibitor/{x}/slots/{slot.id}/remove", {}, "admin and organisers"),
            ("GET", f"/organiser/events/{event.id}/applications", {}, "organiser"),
            ("GET", f"/organiser/applications/{x}", {}, "organiser"),
            ("POST", f"/organiser/applications/{x}", {"decision-decision": "approved"}, "organiser"),
            ("POST", f"/organiser/applications/{x}", {"booth-booth_number": "Z1"}, "organiser"),
            ("GET", f"/exhibitors/{x}/logo", {}, "private logo"),
            ("GET", f"/exhibitor/{x}/bookings.csv", {}, "organiser"),
            ("GET", f"/exhibitor/{x}/bookings.xlsx", {}, "organiser"),
        ],
    }


def sweep(client, endpoints, allowed):
    """Send every request the user is not allowed; return the failures."""
    failures = []
    for method, url, data, who in endpoints:
        if who in allowed:
            continue
        before = snapshot()
        response = client.open(url, method=method, data=data)
        if response.status_code not in (403, 404):
            failures.append(f"{method} {url} -> {response.status_code}")
        if changed_tables(before, snapshot()):
            failures.append(f"{method} {url} changed {changed_tables(before, snapshot())}")
    return failures


@pytest.mark.parametrize("outsider", ["other exhibitor admin", "visitor", "other organiser", "own-event organiser"])
def test_outsiders_are_refused_everywhere(app, booth, outsider):
    if outsider == "other exhibitor admin":
        person, allowed = f.exhibitor_staff(booth["other_exhibitor"], role="admin"), set()
    elif outsider == "visitor":
        person = f.visitor()
        f.registration(booth["event"], person)
        allowed = set()
    elif outsider == "other organiser":
        person, allowed = f.organiser(), set()
    else:
        # the event's organisers fix any exhibitor's grid (tables and slots) and export its bookings
        allowed = {"organiser", "private logo", "staff and organisers", "admin and organisers"}
        person = f.organiser(booth["org"])
    client = app.test_client()
    login(client, person)
    assert sweep(client, booth["endpoints"], allowed) == []


def test_interviewer_cannot_use_admin_or_organiser_endpoints(app, booth):
    client = app.test_client()
    login(client, booth["interviewer"])
    assert sweep(client, booth["endpoints"], {"staff", "staff and organisers", "private logo"}) == []


def test_anonymous_goes_to_login_and_nothing_changes(app, booth):
    client = app.test_client()
    for method, url, data, who in booth["endpoints"]:
        before = snapshot()
        response = client.open(url, method=method, data=data)
        if who == "private logo":
            assert response.status_code == 404
        else:
            assert response.status_code == 302 and "/login" in response.headers["Location"], url
        assert changed_tables(before, snapshot()) == []


def test_own_staff_cannot_reach_other_exhibitors_children_through_their_own_id(app, booth):
    """Another exhibitor's admin uses their own exhibitor id with our openings, tables, slots,
    bookings, staff rows and invitations: 404, nothing changes."""
    mine = booth["other_exhibitor"]
    client = app.test_client()
    login(client, f.exhibitor_staff(mine, role="admin"))
    rewritten = [
        (m, u.replace(f"/exhibitor/{booth['exhibitor'].id}/", f"/exhibitor/{mine.id}/"), d, w)
        for m, u, d, w in booth["endpoints"]
        if u.count("/") > 3
        and u.startswith(f"/exhibitor/{booth['exhibitor'].id}/")
        and any(part.isdigit() for part in u.split("/")[3:])
    ]
    assert len(rewritten) >= 10
    assert sweep(client, rewritten, set()) == []


def test_junk_ids_are_404_not_500(app, booth):
    client = app.test_client()
    login(client, booth["admin"])
    x = booth["exhibitor"].id
    for url in (
        "/exhibitor/0",
        "/exhibitor/99999999999",
        f"/exhibitor/{x}/openings/99999999999/edit",
        f"/exhibitor/{x}/tables/2147483648/edit",
        "/exhibitors/99999999999/logo",
        "/organiser/applications/99999999999",
        "/organiser/events/99999999999/applications",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/exhibitor/{x}/day?table=99999999999").status_code == 200
    assert client.post(f"/exhibitor/{x}/slots/99999999999/remove").status_code == 404
    assert client.post(f"/exhibitor/{x}/slots/1/explode").status_code == 404
