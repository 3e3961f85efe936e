"""An organiser after the fair, in Swedish: asks for the statistics, waits while the real worker compiles
them, and downloads the Excel workbook, whose key figures match what happened at the fair."""

from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from openpyxl import load_workbook

from bazaar.extensions import db
from tests import factories as f
from tests.support import release_database, wait_for

pytestmark = pytest.mark.browser


def sv(msgid: str, **values) -> str:
    with force_locale("sv"):
        return gettext(msgid, **values)


def build_finished_fair(organiser):
    ev = f.event(org=organiser.organisation, name="Jobbdating Helsingborg", starts_in=timedelta(days=-2))
    builders = f.exhibitor(ev, name="Byggkompaniet AB")
    care = f.exhibitor(ev, name="Region Skåne")
    registrations = [f.registration(ev, f.visitor(name=f"Besökare {i}")) for i in range(8)]
    arrived = registrations[:7]
    for reg in arrived:
        reg.checked_in_at = ev.starts_at + timedelta(minutes=5)
    db.session.commit()
    held = [
        f.interview(
            reg,
            builders if i % 2 else care,
            outcome="hired" if i < 2 else "second_interview",
            outcome_employment_type="permanent" if i < 2 else None,
        )
        for i, reg in enumerate(arrived[:5])
    ]
    held += [f.interview(reg, care, walk_in=True, outcome="none") for reg in arrived[5:7]]
    f.interview(registrations[7], builders, attendance="no_show")
    expected = {
        "Visitors registered": len(registrations),
        "Visitors checked in": len(arrived),
        "Interviews held": len(held),
    }
    ev.status = "finished"
    db.session.commit()
    return ev.name, expected


def test_organiser_compiles_statistics_and_downloads_the_workbook(fair, page, tmp_path):
    organiser = f.organiser(name="Lena Organiser")
    email = organiser.email
    event_name, expected = build_finished_fair(organiser)
    release_database()

    fair.login(page, email)
    page.get_by_role("link", name=sv("My events")).click()
    page.get_by_role("link", name=event_name).click()
    page.get_by_role("link", name=sv("Statistics and outcomes")).click()
    fair.shot(page, "stats-empty")
    page.get_by_role("button", name=sv("Compile the figures now")).click()
    page.wait_for_load_state()
    assert sv("Compiling the figures. This page shows the progress.") in page.content()

    def compiled():
        page.reload()
        return page.get_by_role("link", name=sv("Download Excel")).count() == 1

    wait_for(compiled, timeout=90, interval=1, message="the worker to compile the figures")
    fair.shot(page, "dashboard")

    with page.expect_download() as download_info:
        page.get_by_role("link", name=sv("Download Excel")).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    book = load_workbook(path, read_only=True)
    assert sv("Headline") in book.sheetnames and sv("Definitions") in book.sheetnames
    headline = {row[0]: row[1] for row in book[sv("Headline")].iter_rows(min_row=2, values_only=True)}
    for figure, value in expected.items():
        assert headline[sv(figure)] == value, figure
