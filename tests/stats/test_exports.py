"""Exports that Excel in Swedish opens as they are: a UTF-8 byte order mark, semicolons (or commas
when asked), headers and statuses in the organiser's language, local times to the minute, and a
real XLSX with a bold frozen header and fitted columns."""

import csv
import io
from datetime import timedelta

from openpyxl import load_workbook

from bazaar.i18n import spreadsheet_time
from tests import factories as f
from tests.support import login


def _fair():
    org = f.organisation()
    ev = f.event(org=org, starts_in=timedelta(days=-1))
    reg = f.registration(
        ev, f.visitor(name="Åsa Öberg", email="asa@example.org"), checked_in_at=ev.starts_at + timedelta(seconds=95.5)
    )
    f.registration(ev, f.visitor(name="=HYPERLINK(1)"), status="waitlisted")
    f.exhibitor(ev, name="Fjordbygg AS", status="approved", country="NO", org_type="public_employer")
    return org, ev, reg


def _csv(response, sep):
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")  # else Excel reads Å as Ã…
    return list(csv.reader(io.StringIO(body[1:]), delimiter=sep))


def test_registrations_csv_is_semicolon_separated_swedish_and_to_the_minute(ctx, client):
    org, ev, reg = _fair()
    login(client, f.organiser(org, preferred_language="sv"))
    response = client.get(f"/organiser/events/{ev.id}/registrations.csv")
    assert response.mimetype == "text/csv" and response.headers["Cache-Control"] == "no-store"
    rows = _csv(response, ";")
    assert rows[0][:5] == ["Namn", "E-post", "Språk", "Telefon", "Status"]
    asa = next(r for r in rows if r[0] == "Åsa Öberg")
    local = spreadsheet_time(reg.checked_in_at, ev.timezone)
    assert asa[4] == "Anmäld" and asa[2] == "Svenska"
    assert asa[6] == f"{local:%Y-%m-%d %H:%M}" and len(asa[6]) == 16  # no seconds, microseconds or offset
    assert "+00:00" not in response.get_data(as_text=True)
    assert [next(r for r in rows if r[0].startswith("'="))[i] for i in (0, 4)] == ["'=HYPERLINK(1)", "Kö"]
    commas = _csv(client.get(f"/organiser/events/{ev.id}/registrations.csv?sep=comma"), ",")
    assert commas[0][:2] == ["Namn", "E-post"] and len(commas) == len(rows)
    assert _csv(client.get(f"/organiser/events/{ev.id}/registrations.csv?sep=junk"), ";")[0] == rows[0]
    english = f.organiser(org, preferred_language="en")
    login(client, english)
    assert _csv(client.get(f"/organiser/events/{ev.id}/registrations.csv"), ";")[0][0] == "Name"


def test_registrations_xlsx_has_a_bold_frozen_header_fitted_columns_and_time_cells(ctx, client):
    org, ev, reg = _fair()
    login(client, f.organiser(org, preferred_language="sv"))
    response = client.get(f"/organiser/events/{ev.id}/registrations.xlsx?status=registered")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["Namn", "E-post"] and all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.max_row == 2  # the filter applies
    checked_in = sheet.cell(row=2, column=header.index("Incheckad") + 1)
    assert checked_in.value == spreadsheet_time(reg.checked_in_at, ev.timezone)  # a date cell, local
    assert checked_in.value.second == 0 and checked_in.number_format == "yyyy-mm-dd hh:mm"
    email_column = sheet.column_dimensions["B"].width
    assert email_column >= len("asa@example.org") and sheet.column_dimensions["I"].width >= 8


def test_applications_export_names_countries_and_types_in_the_organisers_language(ctx, client):
    org, ev, _reg = _fair()
    login(client, f.organiser(org, preferred_language="sv"))
    rows = _csv(client.get(f"/organiser/events/{ev.id}/applications.csv"), ";")
    assert rows[0][:4] == ["Organisation", "Organisationsnummer", "Land", "Typ"]
    assert rows[1][:4] == ["Fjordbygg AS", "", "Norge", "Offentlig arbetsgivare"]
    sheet = load_workbook(io.BytesIO(client.get(f"/organiser/events/{ev.id}/applications.xlsx").data)).active
    assert [c.value for c in sheet[2]][:3] == ["Fjordbygg AS", None, "Norge"] and sheet.freeze_panes == "A2"
