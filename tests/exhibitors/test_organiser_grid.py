"""Those who run a fair fix any exhibitor's grid (tables and slots) of their event and export its
bookings; an organiser of another event is refused and changes nothing."""

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bazaar.booking.models import Slot
from bazaar.exhibitors.models import InterviewTable
from bazaar.extensions import db
from bazaar.i18n import spreadsheet_time
from tests import factories as f
from tests.support import login


@pytest.fixture
def fair(ctx):
    org = f.organisation()
    event = f.event(org=org, name="Vårmässan", local_hour=10)  # its first hour never crosses midnight
    exhibitor = f.exhibitor(event, name="Fjordbygg AS", tables=1)
    first, second, third = f.slots_for(exhibitor, start=event.starts_at + timedelta(hours=1), count=3, minutes=15)
    hired = f.booked(f.registration(event, f.visitor(name="Åsa Öberg", email="asa@example.org")), second)
    hired.attendance, hired.outcome, hired.outcome_employment_type = "attended", "hired", "permanent"
    f.booked(f.registration(event, f.visitor(name="=HYPERLINK(1)")), first)
    db.session.commit()
    return {"org": org, "event": event, "exhibitor": exhibitor, "slots": (first, second, third), "hired": hired}


def grid_state(exhibitor) -> list:
    db.session.expire_all()
    tables = db.session.scalars(select(InterviewTable).where(InterviewTable.exhibitor_id == exhibitor.id)).all()
    slots = db.session.scalars(select(Slot).where(Slot.exhibitor_id == exhibitor.id).order_by(Slot.id)).all()
    return [(t.id, t.name) for t in tables] + [(s.id, s.status, s.starts_at) for s in slots]


@pytest.mark.parametrize("role", ["organiser", "co-organiser"])
def test_those_who_run_the_fair_fix_an_exhibitors_grid(fair, client, role):
    event, exhibitor = fair["event"], fair["exhibitor"]
    person = (
        f.organiser(fair["org"], preferred_language="en")
        if role == "organiser"
        else f.event_staff(event, "coorganiser", preferred_language="en")
    )
    login(client, person)
    page = client.get(f"/exhibitor/{exhibitor.id}/tables")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"/exhibitor/{exhibitor.id}/tables/new" in text and f"/exhibitor/{exhibitor.id}/bookings.csv" in text
    assert f"/organiser/applications/{exhibitor.id}" in text  # their menu leads back to the application

    assert client.post(f"/exhibitor/{exhibitor.id}/tables/new", data={"name": "Bord 2"}).status_code == 302
    table = db.session.scalar(select(InterviewTable).where(InterviewTable.name == "Bord 2"))
    assert table.exhibitor_id == exhibitor.id
    local_start = spreadsheet_time(event.starts_at, event.timezone)
    plan = {
        "day": local_start.date().isoformat(),
        "start": f"{local_start:%H:%M}",
        "end": f"{local_start + timedelta(hours=1):%H:%M}",
        "length": 15,
        "gap": 0,
        "breaks": "",
        "format": "interview",
    }
    assert client.post(f"/exhibitor/{exhibitor.id}/tables/{table.id}/generate", data=plan).status_code == 302
    assert db.session.scalar(select(func.count(Slot.id)).where(Slot.table_id == table.id)) == 4

    free = fair["slots"][2]
    assert client.post(f"/exhibitor/{exhibitor.id}/slots/{free.id}/block").status_code == 302
    db.session.expire_all()
    assert db.session.get(Slot, free.id).status == "blocked"


def test_an_organiser_of_another_event_is_refused_and_changes_nothing(fair, client):
    exhibitor, (first, _second, free) = fair["exhibitor"], fair["slots"]
    other_org = f.organisation()
    f.event(org=other_org)
    login(client, f.organiser(other_org))
    table_id = exhibitor.tables[0].id
    before = grid_state(exhibitor)
    requests = [
        ("GET", f"/exhibitor/{exhibitor.id}/tables"),
        ("GET", f"/exhibitor/{exhibitor.id}/bookings.csv"),
        ("GET", f"/exhibitor/{exhibitor.id}/bookings.xlsx"),
        ("POST", f"/exhibitor/{exhibitor.id}/tables/new"),
        ("POST", f"/exhibitor/{exhibitor.id}/tables/{table_id}/edit"),
        ("POST", f"/exhibitor/{exhibitor.id}/tables/{table_id}/delete"),
        ("POST", f"/exhibitor/{exhibitor.id}/tables/{table_id}/generate"),
        ("POST", f"/exhibitor/{exhibitor.id}/slots/{free.id}/block"),
        ("POST", f"/exhibitor/{exhibitor.id}/slots/{first.id}/remove"),
    ]
    for method, url in requests:
        response = client.open(url, method=method, data={"name": "Taken over"})
        assert response.status_code in (403, 404), (method, url, response.status_code)
    assert grid_state(exhibitor) == before


def test_exhibitor_staff_keep_their_own_rights_and_do_not_export(fair, client):
    exhibitor = fair["exhibitor"]
    interviewer = f.exhibitor_staff(exhibitor, role="interviewer")
    login(client, interviewer)
    assert client.get(f"/exhibitor/{exhibitor.id}/tables").status_code == 200
    before = grid_state(exhibitor)
    assert client.post(f"/exhibitor/{exhibitor.id}/tables/new", data={"name": "Mine"}).status_code == 403
    assert grid_state(exhibitor) == before
    login(client, f.exhibitor_staff(exhibitor, role="admin"))
    assert client.post(f"/exhibitor/{exhibitor.id}/tables/new", data={"name": "Mine"}).status_code == 302
    assert client.get(f"/exhibitor/{exhibitor.id}/bookings.csv").status_code == 403  # contact details: organisers


def _csv(response, sep):
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=sep))


def test_bookings_export_per_exhibitor_in_the_organisers_language(fair, client):
    event, exhibitor, hired = fair["event"], fair["exhibitor"], fair["hired"]
    f.booked(f.registration(event, f.visitor(name="Another exhibitor's visitor")), f.slots_for(f.exhibitor(event))[0])
    login(client, f.organiser(fair["org"], preferred_language="sv"))
    response = client.get(f"/exhibitor/{exhibitor.id}/bookings.csv")
    assert response.mimetype == "text/csv" and response.headers["Cache-Control"] == "no-store"
    rows = _csv(response, ";")
    assert rows[0][:3] == ["Börjar", "Slutar", "Bord"] and "Namn" in rows[0]
    name = rows[0].index("Namn")
    assert [r[name] for r in rows[1:]] == ["'=HYPERLINK(1)", "Åsa Öberg"]  # time order, formula escaped
    asa = rows[2]
    assert asa[0] == f"{spreadsheet_time(hired.starts_at, event.timezone):%Y-%m-%d %H:%M}"
    assert asa[rows[0].index("E-post")] == "asa@example.org"
    assert (asa[rows[0].index("Närvaro")], asa[rows[0].index("Resultat")]) == ("Genomförd", "Anställd")
    commas = _csv(client.get(f"/exhibitor/{exhibitor.id}/bookings.csv?sep=comma"), ",")
    assert commas == rows

    login(client, f.organiser(fair["org"], preferred_language="en"))
    book = load_workbook(io.BytesIO(client.get(f"/exhibitor/{exhibitor.id}/bookings.xlsx").data))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Starts", "Ends", "Table"] and sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [v[header.index("Name")] for v in values] == ["'=HYPERLINK(1)", "Åsa Öberg"]
    assert values[1][0] == spreadsheet_time(hired.starts_at, event.timezone)
    assert values[1][header.index("Outcome")] == "Hired"
