"""The organiser dashboard, exports, printable report and comparison; who may see them."""

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from bazaar.extensions import db
from bazaar.stats import services
from bazaar.stats.models import StatsSnapshot
from tests import factories
from tests.support import login

INJECTION = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def setup(ctx):
    org = factories.organisation()
    organiser = factories.organiser(org, preferred_language="en")  # the pages in English source text
    ev = factories.event(org, starts_in=timedelta(days=-40), name="Jobbdating 2026")
    booth = factories.exhibitor(ev, name=INJECTION)
    for i in range(6):
        reg = factories.registration(ev, checked_in_at=ev.starts_at)
        factories.interview(reg, booth, outcome="hired" if i < 5 else "offer")
    return {"org": org, "organiser": organiser, "event": ev, "booth": booth}


def _compiled(ev):
    return db.session.get(StatsSnapshot, services.compile_snapshot(ev.id, "on_demand"))


def test_dashboard_shows_figures_and_server_drawn_charts(client, setup):
    ev = setup["event"]
    login(client, setup["organiser"])
    page = client.get(f"/organiser/events/{ev.id}/stats")
    assert page.status_code == 200 and b"No figures have been compiled" in page.data
    _compiled(ev)
    page = client.get(f"/organiser/events/{ev.id}/stats").get_data(as_text=True)
    assert "<svg" in page and "Interviews held" in page and "Version 1" in page
    assert 'id="figure-interviews_held"' in page
    assert "<script" not in page
    manage = client.get(f"/organiser/events/{ev.id}").get_data(as_text=True)
    assert f"/organiser/events/{ev.id}/stats" in manage


def test_compile_button_makes_a_running_snapshot_and_the_page_refreshes(client, setup):
    ev = setup["event"]
    login(client, setup["organiser"])
    assert client.get(f"/organiser/events/{ev.id}/stats/compile").status_code == 405
    response = client.post(f"/organiser/events/{ev.id}/stats/compile")
    assert response.status_code == 302
    running = services.running_snapshot(ev.id)
    assert running is not None and running.reason == "on_demand"
    page = client.get(f"/organiser/events/{ev.id}/stats")
    assert page.headers.get("Refresh") and b"<progress" in page.data
    client.post(f"/organiser/events/{ev.id}/stats/compile")
    assert len(services.snapshot_history(ev.id)) == 1  # no second compilation while one runs


def test_versions_stay_as_they_were_compiled(client, setup):
    ev = setup["event"]
    login(client, setup["organiser"])
    first = _compiled(ev)
    factories.registration(ev, checked_in_at=ev.starts_at)
    _compiled(ev)
    old = client.get(f"/organiser/events/{ev.id}/stats/export.csv?version={first.version}").get_data(as_text=True)
    new = client.get(f"/organiser/events/{ev.id}/stats/export.csv").get_data(as_text=True)
    assert "Visitors registered;;6" in old and "Visitors registered;;7" in new
    assert client.get(f"/organiser/events/{ev.id}/stats?version=99").status_code == 404
    assert client.get(f"/organiser/events/{ev.id}/stats?version=abc").status_code == 200
    assert client.get(f"/organiser/events/{ev.id}/stats?version=99999999999999999999").status_code == 404


def test_csv_export_guards_against_formulas(client, setup):
    login(client, setup["organiser"])
    _compiled(setup["event"])
    response = client.get(f"/organiser/events/{setup['event'].id}/stats/export.csv?sep=comma")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))
    cells = [cell for row in rows for cell in row]
    assert "'" + INJECTION in cells and INJECTION not in cells
    assert ["Headline", "Interviews held", "", "6"] in rows


def test_xlsx_export_parses_back_with_the_formula_guard(client, setup):
    login(client, setup["organiser"])
    _compiled(setup["event"])
    response = client.get(f"/organiser/events/{setup['event'].id}/stats/export.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    assert {"Headline", "Funnel", "Breakdowns", "Per exhibitor", "Definitions"} <= set(book.sheetnames)
    headline = {row[0].value: row[1].value for row in book["Headline"].iter_rows(min_row=2)}
    assert headline["Interviews held"] == 6 and headline["Hired (reported by exhibitors)"] == 5
    name = book["Per exhibitor"]["A2"]
    assert name.data_type == "s" and name.value == "'" + INJECTION
    assert not any(c.data_type == "f" for sheet in book for row in sheet.iter_rows() for c in row)


def test_xlsx_export_survives_a_control_character_stored_before_forms_refused_them(client, setup):
    setup["booth"].name = "Vård\x01 AB\x1b"
    db.session.commit()
    login(client, setup["organiser"])
    _compiled(setup["event"])
    response = client.get(f"/organiser/events/{setup['event'].id}/stats/export.xlsx")
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.data))["Per exhibitor"]["A2"].value == "Vård AB"


def test_printable_report(client, setup):
    login(client, setup["organiser"])
    ev = setup["event"]
    assert client.get(f"/organiser/events/{ev.id}/stats/report").status_code == 404  # nothing compiled yet
    _compiled(ev)
    page = client.get(f"/organiser/events/{ev.id}/stats/report").get_data(as_text=True)
    assert "print-report" in page and "Outcome report: Jobbdating 2026" in page and "<svg" in page


def test_comparison_side_by_side_with_a_chart(client, setup):
    org, ev = setup["org"], setup["event"]
    last_year = factories.event(org, starts_in=timedelta(days=-400), name="Jobbdating 2025")
    factories.registration(last_year, checked_in_at=last_year.starts_at)
    _compiled(ev)
    _compiled(last_year)
    login(client, setup["organiser"])
    page = client.get(f"/organiser/stats/compare?event={ev.id}&event={last_year.id}&event=junk").get_data(as_text=True)
    table = page[page.index("<table") :]
    assert table.index("Jobbdating 2025") < table.index("Jobbdating 2026")  # oldest first
    assert page.count("<svg") == 1 and "series-1" in page
    assert client.get("/organiser/stats/compare").status_code == 200


def test_nobody_else_sees_or_compiles_the_figures(client, setup):
    ev = setup["event"]
    _compiled(ev)
    urls = [
        f"/organiser/events/{ev.id}/stats",
        f"/organiser/events/{ev.id}/stats/report",
        f"/organiser/events/{ev.id}/stats/export.csv",
        f"/organiser/events/{ev.id}/stats/export.xlsx",
        f"/organiser/stats/compare?event={ev.id}",
    ]
    assert all(client.get(url).status_code in (302, 401) for url in urls)  # not logged in
    for outsider in (factories.organiser(), factories.exhibitor_staff(setup["booth"]), factories.visitor()):
        login(client, outsider)
        for url in urls:
            assert client.get(url).status_code == 403, (outsider, url)
        assert client.post(f"/organiser/events/{ev.id}/stats/compile").status_code == 403
    assert len(services.snapshot_history(ev.id)) == 1
    login(client, setup["organiser"])
    assert client.get("/organiser/events/999999/stats").status_code == 404
    assert client.get("/organiser/events/99999999999999999999/stats").status_code == 404
    assert client.get("/organiser/stats/compare?event=99999999999999999999").status_code == 404


def test_a_snapshot_compiled_before_schema_2_still_shows(client, setup):
    ev = setup["event"]
    login(client, setup["organiser"])
    snapshot = _compiled(ev)
    old = dict(snapshot.figures, schema=1)
    for key in ("by_exhibitor_group", "exhibitors_by_job_country"):
        del old[key]
    old["headline"] = {
        k: v for k, v in old["headline"].items() if not k.startswith("evidence_") and k != "exhibitors_jobs_abroad"
    }
    snapshot.figures = old
    db.session.commit()
    for path in ("stats", "stats/report", "stats/export.csv", "stats/export.xlsx"):
        assert client.get(f"/organiser/events/{ev.id}/{path}").status_code == 200, path
    page = client.get(f"/organiser/events/{ev.id}/stats").get_data(as_text=True)
    assert "People who got a job" in page and 'id="figure-evidence_confirmed"' in page


def test_people_who_got_a_job_lead_with_jobs_and_group_totals_beside_them(client, setup):
    ev = setup["event"]
    login(client, setup["organiser"])
    _compiled(ev)
    page = client.get(f"/organiser/events/{ev.id}/stats").get_data(as_text=True)
    cards = page[page.index('class="stat-cards"') :]
    assert (
        cards.index("People who got a job")
        < cards.index("Jobs (visitor–exhibitor pairs)")
        < cards.index("Interviews held")
    )
    assert 'id="by-exhibitor-group"' in page and "Employers recruiting for jobs abroad" in page
    assert f"/organiser/events/{ev.id}/stats/cases" in page
    text = client.get(f"/organiser/events/{ev.id}/stats/export.csv").get_data(as_text=True)
    assert "By the exhibitor's country" in text and "People who got a job" in text
