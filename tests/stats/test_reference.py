"""The past editions of the demo: Jobbdating 07 compiles from its rows to exactly its published figures,
Rekryteringsbazaren 2007 and the two-day Mötesplats Rekrytering 2006 to the shape of their reports."""

import time

import pytest
from sqlalchemy import func, select

from bazaar.booking.models import Booking
from bazaar.extensions import db
from bazaar.registrations.models import Registration
from bazaar.stats.compile import compile_event
from bazaar.stats.models import StatsSnapshot
from bazaar.stats.reference import (
    MOTESPLATS_REKRYTERING_06,
    REKRYTERINGSBAZAREN_07,
    load_reference_edition,
)
from tests import factories


@pytest.mark.bulk
def test_jobbdating_07_compiles_to_its_headline_figures(ctx):
    org = factories.organisation("Länsstyrelsen Skåne")
    started = time.monotonic()
    event = load_reference_edition([org])
    db.session.commit()
    built = time.monotonic() - started
    assert db.session.scalar(select(func.count()).select_from(StatsSnapshot)) == 0  # nothing typed in

    figures = compile_event(event.id)
    h = figures["headline"]
    assert (h["exhibitors"], h["exhibitors_foreign"]) == (40, 10)
    assert dict(figures["exhibitors_by_country"]) == {"SE": 30, "DK": 10}
    assert h["visitors_checked_in"] == 4700
    assert h["interviews_held"] == 300
    assert h["visitors_hired"] == 85  # people who got a job: the headline
    assert list(h)[0] == "visitors_hired"
    assert h["jobs_total"] >= h["visitors_hired"]
    assert h["evidence_confirmed"] + h["evidence_employer_only"] + h["evidence_visitor_only"] == h["visitors_hired"]
    assert h["evidence_contradicted"] == h["evidence_no_show"] == 0
    groups = {g["country"]: g for g in figures["by_exhibitor_group"]}
    assert (groups["DK"]["exhibitors"], groups["SE"]["exhibitors"]) == (10, 30)
    assert groups["DK"]["interviews_held"] + groups["SE"]["interviews_held"] == 300
    assert h["exhibitors_jobs_abroad"] == 10
    # the parts behind them
    assert h["visitors_walk_in"] == 650 and h["visitors_no_show"] == 550
    assert (h["interviews_booked_held"], h["interviews_walk_in"]) == (240, 60)
    assert h["outcome_hired"] == 70 and h["jobs_visitor_reported"] == 50
    assert h["survey_respondents"] == 900
    assert h["interview_no_show_rate"] == 0.2
    # deleted accounts still count: some registrations are anonymous
    assert db.session.scalar(select(func.count()).where(Registration.user_id.is_(None))) > 1000
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 390
    assert built < 60


@pytest.mark.bulk
def test_loading_twice_adds_nothing(ctx):
    org = factories.organisation()
    assert load_reference_edition([org]) is not None
    db.session.commit()
    assert load_reference_edition([org]) is None


def test_rekryteringsbazaren_recruits_for_norway_luxembourg_and_ireland_and_motesplats_has_two_days():
    assert {c for *_, jobs in REKRYTERINGSBAZAREN_07.exhibitors for c in jobs} >= {"NO", "LU", "IE"}
    assert len(REKRYTERINGSBAZAREN_07.exhibitors) == 60 and len(REKRYTERINGSBAZAREN_07.days) == 1
    assert REKRYTERINGSBAZAREN_07.preregistered_checked_in + REKRYTERINGSBAZAREN_07.walk_ins == 10_000
    assert len(MOTESPLATS_REKRYTERING_06.exhibitors) == 17 and len(MOTESPLATS_REKRYTERING_06.days) == 2
    assert MOTESPLATS_REKRYTERING_06.preregistered_checked_in + MOTESPLATS_REKRYTERING_06.walk_ins == 5_000
