"""Every figure's definition on small handcrafted data, suppression, de-duplication, deletion."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event as sa_event

from bazaar.accounts.models import VisitorProfile
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.stats import services
from bazaar.stats.compile import DEFINITIONS, HEADLINE, compile_event, suppress
from bazaar.stats.models import StatsSnapshot
from tests import factories

PAST = timedelta(days=-40)
CLOSED = timedelta(days=-200)  # the follow-up survey has closed: the sensitive breakdown is published


def _month_start(day, months_later):
    month = day.month - 1 + months_later
    return datetime(day.year + month // 12, month % 12 + 1, 1, tzinfo=UTC)


@pytest.fixture
def fair(ctx):
    """A small finished fair where every figure has a known, hand-counted value."""
    ev = factories.event(starts_in=PAST)
    a = factories.exhibitor(ev, name="Alfa AB", country="SE", org_type="employer", job_countries=["SE", "NO"])
    b = factories.exhibitor(ev, name="Beta ApS", country="DK", org_type="staffing_agency", job_countries=["DK"])
    c = factories.exhibitor(ev, name="Gamma kommun", country="SE", org_type="public_employer")
    factories.exhibitor(ev, name="Delta (not approved)", status="applied")
    came = ev.starts_at + timedelta(hours=1)
    r = {i: factories.registration(ev, checked_in_at=came) for i in range(1, 7)}
    r[7] = factories.registration(ev)
    r[8] = factories.registration(ev)
    r[9] = factories.registration(ev, walk_in=True, checked_in_at=came)
    r[10] = factories.registration(ev, status="cancelled")
    r[11] = factories.registration(ev, status="waitlisted")
    factories.interview(r[1], a, outcome="hired")
    factories.interview(r[2], a, outcome="offer")
    factories.interview(r[3], b, attendance="no_show")
    factories.interview(r[4], b, attendance="unknown", status="cancelled")
    factories.interview(r[5], c, outcome="second_interview")
    factories.interview(r[9], a, walk_in=True, outcome="internship")
    factories.interview(r[6], c, attendance="unknown", outcome="hired")  # not marked as held: not counted
    factories.interview(r[1], b, outcome="hired")
    factories.interview(r[4], c, outcome="hired")
    factories.interview(r[3], c, walk_in=True, attendance="no_show")  # logged by mistake, then undone
    day = ev.starts_at.astimezone(ZoneInfo(ev.timezone)).date()
    factories.survey_answer(r[1], "job", exhibitor=a, contributed=True, started_on=_month_start(day, 2))
    factories.survey_answer(r[4], "job", contributed=False)
    factories.survey_answer(r[2], "job", contributed=True, started_on=_month_start(day, 0))
    factories.survey_answer(r[5], "job", exhibitor=c, contributed=True, started_on=_month_start(day, 3))
    factories.survey_answer(r[3], "nothing", contributed=False)
    factories.survey_answer(r[6], "interview", contributed=None)
    factories.survey_answer(r[9], "internship", contributed=True)
    return {"event": ev, "r": r, "a": a, "b": b, "c": c, "day": day}


def test_every_headline_figure_follows_its_definition(fair):
    figures = compile_event(fair["event"].id)
    h = figures["headline"]
    day = fair["day"]
    assert h == {
        "exhibitors": 3,
        "exhibitors_foreign": 1,
        "exhibitors_jobs_abroad": 2,
        "visitors_registered": 9,
        "visitors_checked_in": 7,
        "visits": 7,  # one day: every visitor checked in is one visit
        "visitors_walk_in": 1,
        "visitors_no_show": 2,
        "registrations_cancelled": 1,
        "bookings_made": 8,
        "bookings_cancelled": 1,
        "interviews_booked_held": 5,
        "interviews_walk_in": 1,
        "interviews_held": 6,
        "talks_held": 0,  # counted in tests/events/test_talks_and_jobs_abroad.py
        "talks_to_interview": 0,
        "jobs_after_talks": 0,
        # Beta's jobs are all in Denmark: (r1, Beta) held and hired; Alfa's are in two countries, Gamma's unstated
        "interviews_jobs_abroad": 1,
        "hires_jobs_abroad": 1,
        "interview_no_shows": 1,
        "interview_no_show_rate": round(1 / 6, 4),
        "visitors_interviewed": 5,
        "outcome_second_interview": 1,
        "outcome_offer": 1,
        "outcome_hired": 3,
        "outcome_internship": 1,
        "matched_interviews": 0,  # counted in tests/matching/test_matching.py
        "hires_from_matching": 0,
        "activities_offered": 0,  # counted in tests/activities/test_activities.py
        "activity_participants": 0,
        "jobs_after_activities": 0,
        "jobs_after_try_a_job_day": 0,
        "visitors_offered": 3,
        "jobs_visitor_reported": 4,
        # (r1, Alfa) from both sources once, (r1, Beta), (r4, Gamma) whose unnamed answer is the
        # same job, (r2, none named), (r5, Gamma) reported only by the visitor
        "jobs_total": 5,
        "visitors_hired": 4,
        # r1 and r4 hired by exhibitors and answering "a job"; r2 and r5 only by their answer
        "evidence_confirmed": 2,
        "evidence_employer_only": 0,
        "evidence_visitor_only": 2,
        "evidence_resolved_hired": 0,
        "evidence_contradicted": 0,
        "evidence_resolved_not_hired": 0,
        "evidence_no_show": 0,
        "survey_respondents": 7,
        "attribution_share": round(4 / 7, 4),
        "time_to_job_median_days": float((_month_start(day, 2).date() - day).days),
    }
    assert set(HEADLINE) <= set(DEFINITIONS)
    assert dict(figures["exhibitors_by_country"]) == {"SE": 2, "DK": 1}
    assert dict(figures["exhibitors_by_job_country"]) == {"SE": 1, "NO": 1, "DK": 1}
    assert dict(figures["exhibitors_by_type"]) == {"employer": 1, "staffing_agency": 1, "public_employer": 1}
    assert figures["funnel"] == [
        ["funnel_registered", 9],  # r1-r9
        ["funnel_came", 7],  # r1-r6 and the walk-in r9 were scanned in
        ["funnel_interviewed", 5],  # r1, r2, r4, r5, r9
        ["funnel_offer_or_job", 4],  # r1, r2 (offer), r4 (hired); r5 (a job by the survey)
        ["funnel_job", 4],  # r1, r4 (confirmed); r2, r5 (visitor only)
    ]
    assert dict(figures["survey_results"]) == {
        "job": 4,
        "internship": 1,
        "education": 0,
        "business": 0,
        "interview": 1,
        "nothing": 1,
    }


def test_per_exhibitor_table_counts_and_suppresses(fair):
    rows = {row["name"]: row for row in compile_event(fair["event"].id)["per_exhibitor"]}
    assert set(rows) == {"Alfa AB", "Beta ApS", "Gamma kommun"}
    # bookings and interviews are not personal data: shown as they are
    assert (rows["Alfa AB"]["bookings_made"], rows["Alfa AB"]["interviews_held"]) == (2, 3)
    assert (rows["Beta ApS"]["interview_no_shows"], rows["Gamma kommun"]["interviews_held"]) == (1, 2)
    # every people count here is below five, so every non-zero cell is hidden
    assert rows["Alfa AB"]["hired"] is None and rows["Gamma kommun"]["jobs_total"] is None
    assert rows["Beta ApS"]["second_interviews"] == 0
    assert "foreign_background" not in rows["Alfa AB"] and "gender" not in rows["Alfa AB"]


def test_suppression_primary_and_secondary():
    # one small cell: it and the next smallest are hidden, so neither follows from the total
    assert suppress({"a": 10, "b": 3, "c": 7, "d": 20}) == {"a": 10, "b": None, "c": None, "d": 20}
    # two small cells hide each other
    assert suppress({"a": 10, "b": 3, "c": 2, "d": 20}) == {"a": 10, "b": None, "c": None, "d": 20}
    # zero describes nobody and is shown, but may be the complement
    assert suppress({"a": 0, "b": 4, "c": 9}) == {"a": None, "b": None, "c": 9}
    assert suppress({"a": 5, "b": 20}) == {"a": 5, "b": 20}


def _visitor(ev, checked_in=True, **profile):
    person = factories.visitor(profile=False)
    db.session.add(VisitorProfile(user_id=person.id, **profile))
    db.session.commit()
    return factories.registration(ev, person, checked_in_at=ev.starts_at if checked_in else None)


def test_breakdowns_suppress_small_cells_and_count_sensitive_answers_only_with_consent(ctx):
    ev = factories.event(starts_in=CLOSED)
    for _ in range(10):
        _visitor(ev, gender="woman", occupations=["cook", "cleaner"])
    for i in range(7):
        _visitor(ev, checked_in=i < 6, gender="man", foreign_background="born_abroad", consent_sensitive_at=utcnow())
    for _ in range(3):
        _visitor(ev, checked_in=False, gender="other", foreign_background="born_abroad")  # no consent
    breakdowns = compile_event(ev.id)["breakdowns"]

    gender = {row["value"]: row for row in breakdowns["gender"]["rows"]}
    assert gender["woman"]["registered"] == 10
    assert gender["other"]["registered"] is None  # 3 people: primary suppression
    assert gender["man"]["registered"] is None  # 7, hidden as its complement
    assert (gender["woman"]["checked_in"], gender["man"]["checked_in"], gender["other"]["checked_in"]) == (10, 6, 0)

    background = {row["value"]: row for row in breakdowns["foreign_background"]["rows"]}
    assert breakdowns["foreign_background"]["sensitive"] is True
    assert background["born_abroad"]["registered"] == 7  # the 3 without consent are not stated
    assert background[""]["registered"] == 13

    occupations = {row["value"]: row["registered"] for row in breakdowns["occupation"]["rows"]}
    assert occupations["cook"] == 10 and occupations["cleaner"] == 10
    assert occupations[""] == 10  # the ones who named no occupation


def test_figures_survive_a_visitor_deleting_their_data(fair, app):
    from bazaar.privacy.services import delete_account

    first_id = services.compile_snapshot(fair["event"].id, "on_demand")
    before = db.session.get(StatsSnapshot, first_id).figures
    person = fair["r"][1].user
    delete_account(person)
    db.session.commit()
    assert fair["r"][1].user_id is None

    db.session.expire_all()
    assert db.session.get(StatsSnapshot, first_id).figures == before  # the old snapshot is untouched
    second = db.session.get(StatsSnapshot, services.compile_snapshot(fair["event"].id, "on_demand"))
    assert second.version == 2
    assert second.figures["headline"] == before["headline"]  # the anonymous rows still count


def _sized_fair(visitors: int, exhibitors: int):
    ev = factories.event(starts_in=PAST)
    booths = [factories.exhibitor(ev, country="DK" if i % 3 == 0 else "SE") for i in range(exhibitors)]
    for i in range(visitors):
        reg = _visitor(ev, gender=("woman", "man")[i % 2], occupations=["cook"], education_level="university")
        booth = booths[i % exhibitors]
        factories.interview(reg, booth, outcome=("hired", "offer", "none")[i % 3])
        factories.survey_answer(reg, ("job", "nothing")[i % 2], exhibitor=booth if i % 4 == 0 else None)
    return ev


def test_number_of_sql_statements_does_not_grow_with_visitors_or_exhibitors(ctx):
    small, large = _sized_fair(6, 2), _sized_fair(40, 9)
    counts = []
    for ev in (small, large):
        statements = []
        db.session.commit()  # each compilation starts its own transaction, as in the task

        def count(conn, cursor, statement, parameters, context, executemany, statements=statements):
            statements.append(statement)

        sa_event.listen(db.engine, "before_cursor_execute", count)
        try:
            figures = compile_event(ev.id)
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", count)
        counts.append(len(statements))
        assert figures["headline"]["visitors_registered"] in (6, 40)
    assert counts[0] == counts[1]
    assert counts[0] < 40


def test_progress_is_reported_step_by_step_and_committed(fair):
    seen = []
    compile_event(fair["event"].id, on_progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 100 and len(seen) >= 5

    snapshot = services.create_snapshot(fair["event"].id, "on_demand")
    progress = []

    def committed(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE stats_snapshot SET progress"):
            progress.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", committed)
    try:
        services.compile_snapshot(fair["event"].id, "on_demand", snapshot_id=snapshot.id)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", committed)
    assert len(progress) >= 5  # one short transaction per step
    db.session.refresh(snapshot)
    assert (snapshot.status, snapshot.progress) == ("done", 100)


def test_funnel_steps_are_nested_when_interviews_were_not_scanned_at_the_door(ctx):
    """Walk-in interviews and bookings of visitors the door never scanned: still a funnel, never a step
    larger than the one before (they came: they were interviewed)."""
    ev = factories.event(starts_in=PAST)
    a = factories.exhibitor(ev)
    came = ev.starts_at + timedelta(hours=1)
    scanned = [factories.registration(ev, checked_in_at=came) for _ in range(3)]
    unscanned = [factories.registration(ev) for _ in range(3)]
    for reg in unscanned:
        factories.interview(reg, a, outcome="hired")
    factories.interview(scanned[0], a, walk_in=True, outcome="offer")
    factories.registration(ev)  # registered, never came
    figures = compile_event(ev.id)
    assert figures["headline"]["visitors_checked_in"] < figures["headline"]["visitors_interviewed"]  # the old mix
    steps = dict(figures["funnel"])
    assert steps == {
        "funnel_registered": 7,
        "funnel_came": 6,
        "funnel_interviewed": 4,
        "funnel_offer_or_job": 4,
        "funnel_job": 3,
    }
    values = list(steps.values())
    assert values == sorted(values, reverse=True)
