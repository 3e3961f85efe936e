"""Erasure by retention period: who is purged and who is kept, figures unchanged, nothing left behind."""

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bazaar.accounts.models import User, VisitorProfile
from bazaar.clock import utcnow
from bazaar.exhibitors.models import ExhibitorStaff
from bazaar.extensions import db
from bazaar.notifications.services import queue
from bazaar.privacy import retention
from bazaar.stats import services as stats
from bazaar.stats.compile import Compiler, compile_event
from bazaar.stats.milestones import SURVEY_RESPONSE_WINDOW
from bazaar.stats.models import StatsSnapshot
from tests import factories as f
from tests.privacy.test_privacy import MARKER, _texts_holding
from tests.support import login, wait_for

pytestmark = pytest.mark.usefixtures("english")


def _visitor(event, name, **profile):
    person = f.visitor(name=name, email=f"{name.lower().replace(' ', '.')}@example.org")
    for key, value in {"gender": "woman", "education_level": "university", "age_band": "30_39", **profile}.items():
        setattr(person.profile, key, value)
    db.session.commit()
    return person, f.registration(event, person, checked_in_at=event.starts_at)


@pytest.fixture
def fair(ctx):
    """An event long past with people to purge, and people kept for each reason."""
    org = f.organisation()
    event = f.event(org=org, starts_in=-timedelta(days=2), name="Old fair")
    older = f.event(org=org, starts_in=-timedelta(days=9), name="Older fair")
    later = f.event(org=org, starts_in=timedelta(days=900), name="Much later fair")
    booth = f.exhibitor(event, name="Region Skåne")
    purged = []
    for i in range(6):
        person, reg = _visitor(event, f"{MARKER} Person{i}")
        f.interview(reg, booth, outcome="hired" if i < 4 else "none", outcome_note=f"{MARKER} did well")
        answer = f.survey_answer(reg, "job" if i < 3 else "nothing", exhibitor=booth if i < 2 else None)
        answer.missing = f"More help, says {MARKER}"
        queue("booking_confirmed", user=person, event=event, subject=reg, payload={"name": person.name})
        purged.append(person)
    f.registration(older, purged[0])  # also at an older event, itself past its retention
    kept = {}
    kept["later event"], _ = _visitor(event, "Kept Later", gender="man")
    f.registration(later, kept["later event"], status="cancelled")  # registering is activity, even if cancelled
    kept["login"], _ = _visitor(event, "Kept Login", gender="man")
    kept["staff"], _ = _visitor(event, "Kept Staff", gender="man")
    db.session.add(ExhibitorStaff(exhibitor_id=booth.id, user_id=kept["staff"].id, role="interviewer"))
    kept["coach"], kept["member"] = f.visitor(name="Kept Coach"), f.visitor(name="Kept Member")
    for fair in (event, later):  # a job coach registered a group member at both fairs
        f.registration(fair, kept["member"], registered_by_id=kept["coach"].id)
    only_older, _ = _visitor(older, "Only Older")  # purged with the older fair, not this one
    # someone else's message names a purged person (an interviewer's digest)
    queue(
        "interviewer_digest", to_address="interviewer@example.org", event=event, payload={"visitors": [purged[1].name]}
    )
    db.session.commit()
    return {"event": event, "older": older, "later": later, "purged": purged, "kept": kept, "only_older": only_older}


def _past_purge_date(clock, event, days=1):
    clock.advance(seconds=(retention.purge_date(event) - utcnow()).total_seconds() + days * 86400)


def _ids(query):
    return set(db.session.scalars(query))


def test_the_purge_date_counts_months_after_the_survey_closes(ctx, app):
    event = f.event(starts_in=-timedelta(days=2))
    # the last survey wave goes out at 10:00 at the venue, 90 days after the fair; answers get two weeks
    zone = ZoneInfo(event.timezone)
    last_wave = datetime.combine(event.ends_at.astimezone(zone).date() + timedelta(days=90), time(10), tzinfo=zone)
    closes = (last_wave + SURVEY_RESPONSE_WINDOW).astimezone(ZoneInfo("UTC"))
    assert retention.retention_starts_at(event) == closes
    assert retention.purge_date(event) == retention.add_months(closes, app.config["RETENTION_MONTHS"])
    assert app.config["RETENTION_MONTHS"] == 24
    event.retention_months = 6
    assert retention.purge_date(event) == retention.add_months(closes, 6)
    start = f.at(2025, 1, 31, 12)
    assert retention.add_months(start, 1) == f.at(2025, 2, 28, 12)
    assert retention.add_months(start, 13) == f.at(2026, 2, 28, 12)
    assert retention.add_months(start, -2) == f.at(2024, 11, 30, 12)


def test_nobody_is_purged_before_the_date_and_the_rule_keeps_the_active(fair, clock):
    event = fair["event"]
    assert retention.purge_event(event) == 0  # not due
    _past_purge_date(clock, event)
    fair["kept"]["login"].last_login_at = utcnow() - timedelta(days=30)
    db.session.commit()
    purgeable = _ids(retention.purgeable(event))
    assert purgeable == {p.id for p in fair["purged"]}
    assert fair["only_older"].id not in purgeable
    assert not purgeable & {p.id for p in fair["kept"].values()}


def test_a_login_before_the_cut_off_does_not_keep_anyone(fair, clock):
    event = fair["event"]
    _past_purge_date(clock, event)
    fair["kept"]["login"].last_login_at = utcnow() - timedelta(days=800)  # before the cut-off (24 months back)
    db.session.commit()
    assert fair["kept"]["login"].id in _ids(retention.purgeable(event))


def test_purge_erases_people_and_keeps_every_figure(fair, clock, monkeypatch):
    event = fair["event"]
    first = stats.compile_snapshot(event.id, "on_demand")  # before the survey closed: sensitive table withheld
    _past_purge_date(clock, event)
    fair["kept"]["login"].last_login_at = utcnow() - timedelta(days=30)
    db.session.commit()
    second = stats.compile_snapshot(event.id, "on_demand")
    stored = {s.id: s.figures for s in db.session.scalars(select(StatsSnapshot))}
    assert db.session.get(StatsSnapshot, second).figures["breakdowns"]["gender"]["rows"]

    def live(event_id=event.id):
        figures = json.loads(json.dumps(compile_event(event_id)))  # as stored
        return {k: v for k, v in figures.items() if k != "compiled_at"}

    before, before_older = live(), live(fair["older"].id)
    assert {
        "user.name",
        "user.email",
        "booking.outcome_note",
        "survey_response.missing",
        "outbox_message.payload",
    } <= set(_texts_holding(MARKER))

    assert retention.purge_event(event) == 6
    db.session.expire_all()

    assert _texts_holding(MARKER) == []
    for person in fair["purged"]:
        person = db.session.get(User, person.id)
        assert person.deleted_at is not None and person.name == "" and not person.is_active
    assert db.session.scalar(select(func.count()).select_from(VisitorProfile)) == 6  # the kept five and Only Older
    for person in fair["kept"].values():
        assert db.session.get(User, person.id).deleted_at is None
    assert db.session.get(User, fair["only_older"].id).name == "Only Older"

    # stored snapshots exactly as they were; a retention snapshot was taken for each event touched
    for snapshot_id, figures in stored.items():
        assert db.session.get(StatsSnapshot, snapshot_id).figures == figures
    retention_snapshots = db.session.scalars(select(StatsSnapshot).where(StatsSnapshot.reason == "retention")).all()
    assert sorted(s.event_id for s in retention_snapshots) == sorted([event.id, fair["older"].id])
    # recompiled figures are the same, for this event and the older one the purged also attended
    assert live() == before and live(fair["older"].id) == before_older
    again = db.session.get(StatsSnapshot, stats.compile_snapshot(event.id, "on_demand")).figures
    assert {k: v for k, v in again.items() if k != "compiled_at"} == before
    assert stored[first]["headline"] == before["headline"]
    # ... and only because the breakdowns compiled before the purge stand: the profiles are gone
    monkeypatch.setattr(Compiler, "_frozen_breakdowns", lambda self: None)
    assert live()["breakdowns"]["gender"] != before["breakdowns"]["gender"]
    assert live()["headline"] == before["headline"]


def test_running_it_twice_purges_nothing_more(fair, clock):
    event = fair["event"]
    _past_purge_date(clock, event)
    assert retention.purge_event(event) > 0
    counted = db.session.scalar(select(func.count()).select_from(StatsSnapshot))
    deleted = _ids(select(User.id).where(User.deleted_at.isnot(None)))
    assert retention.purge_event(event) == 0
    assert retention.purge_due() == 1  # the older fair is due too: Only Older goes now, nobody else
    assert retention.purge_due() == 0
    assert db.session.scalar(select(func.count()).select_from(StatsSnapshot)) == counted  # older one frozen already
    assert _ids(select(User.id).where(User.deleted_at.isnot(None))) == deleted | {fair["only_older"].id}


def test_the_kept_are_purged_once_their_own_activity_is_old(fair, clock):
    event, later = fair["event"], fair["later"]
    _past_purge_date(clock, later)  # long after the later fair's retention too
    # the purged, and now the later fair's visitor, coach and member, and the one who never logged in
    assert retention.purge_event(event) == 6 + 4
    kept = {p.id for p in fair["kept"].values()}
    assert _ids(select(User.id).where(User.deleted_at.is_(None), User.id.in_(kept))) == {fair["kept"]["staff"].id}


def test_a_real_login_is_recorded_and_keeps_the_person(fair, clock, client):
    event = fair["event"]
    _past_purge_date(clock, event)
    person = fair["purged"][0]
    response = client.post("/login", data={"email": person.email, "password": f.PASSWORD})
    assert response.status_code == 302
    db.session.expire_all()
    assert person.last_login_at is not None and person.id not in _ids(retention.purgeable(event))


def test_organiser_sees_the_date_and_count_and_runs_it_early(fair, client, clock):
    from bazaar.accounts.models import Organisation

    event = fair["event"]
    clock.advance(days=200)  # the survey has closed; the purge date is far off
    fair["kept"]["login"].last_login_at = utcnow() - timedelta(days=10)  # since the survey closed
    db.session.commit()
    organiser = f.organiser(db.session.get(Organisation, event.organisers[0].organisation_id), preferred_language="en")
    login(client, organiser)
    page = client.get(f"/organiser/events/{event.id}/retention").get_data(as_text=True)
    assert "Retention of personal data" in page
    assert retention.purge_date(event).strftime("%Y") in page
    assert '<dd id="people-then">6</dd>' in page
    # today the older fair still keeps its visitors' data, so the one purged person who was there stays too
    assert '<dd id="people-now">5</dd>' in page
    assert "retention" in client.get(f"/organiser/events/{event.id}").get_data(as_text=True)

    response = client.post(f"/organiser/events/{event.id}/retention", data={"months": "6"})
    assert response.status_code == 302 and event.retention_months == 6
    for bad in ("0", "-3", "abc", "99999999999999999999"):
        assert client.post(f"/organiser/events/{event.id}/retention", data={"months": bad}).status_code == 200
        db.session.expire_all()
        assert event.retention_months == 6
    assert client.post(f"/organiser/events/{event.id}/retention", data={"months": ""}).status_code == 302
    db.session.expire_all()
    assert event.retention_months is None

    confirm = client.get(f"/organiser/events/{event.id}/retention/purge").get_data(as_text=True)
    assert "5 people" in confirm
    unticked = client.post(f"/organiser/events/{event.id}/retention/purge", data={})
    assert unticked.status_code == 200 and "Tick the box" in unticked.get_data(as_text=True)
    assert _texts_holding(MARKER)  # nothing erased without the tick
    done = client.post(f"/organiser/events/{event.id}/retention/purge", data={"confirm": "y"}, follow_redirects=True)
    assert "5 people" in done.get_data(as_text=True) and "data was erased" in done.get_data(as_text=True)
    assert {p.name for p in db.session.scalars(select(User).where(User.name.contains(MARKER)))} == {
        fair["purged"][0].name
    }


def test_the_cli_dry_run_changes_nothing_then_purges(fair, clock, app):
    def bazaar(*args):
        return app.test_cli_runner().invoke(args=["bazaar", "purge-retention", *args])

    event = fair["event"]
    result = bazaar("--event", str(event.id))
    assert result.exit_code == 0 and "not due until" in result.output
    _past_purge_date(clock, event)
    result = bazaar("--dry-run")
    assert result.exit_code == 0, result.output
    # the one who never logged in goes too here; the person at both fairs is counted once in the total
    assert result.output.splitlines() == [
        f"event {event.id} (Old fair): 7 people would be purged",
        f"event {fair['older'].id} (Older fair): 2 people would be purged",
        "8 people would be purged in 2 event(s).",
    ]
    assert _texts_holding(MARKER)
    result = bazaar("--event", str(event.id))
    assert result.exit_code == 0 and "7 people purged" in result.output
    assert _texts_holding(MARKER) == []
    assert bazaar().output.splitlines()[-1] == "1 people purged in 2 event(s)."  # Only Older, at the older fair


def test_the_beat_task_purges_in_a_real_worker(fair, clock, processes, tmp_path):
    from worker.tasks import purge_retention

    event = fair["event"]
    _past_purge_date(clock, event)
    ids = [p.id for p in fair["purged"]]
    db.session.rollback()
    processes.start_worker(tmp_path / "worker.log")
    purge_retention.delay()

    def erased():
        done = db.session.scalar(select(func.count()).where(User.id.in_(ids), User.deleted_at.isnot(None)))
        db.session.rollback()
        return done == len(ids)

    wait_for(erased, timeout=90, message="the worker to purge the old fair")
    assert _texts_holding(MARKER) == []
    assert db.session.get(User, fair["kept"]["later event"].id).deleted_at is None


@pytest.mark.bulk
def test_a_large_early_purge_finishes_in_a_real_worker(fair, clock, client, processes, tmp_path, monkeypatch):
    """The organiser's request erases for a few seconds at most; a worker erases the rest."""
    from bazaar.accounts.models import Organisation
    from bazaar.privacy import views

    event = fair["event"]
    _past_purge_date(clock, event)
    monkeypatch.setattr(retention, "BATCH", 2)
    monkeypatch.setattr(views, "REQUEST_TIME_LIMIT", 0)
    organiser = f.organiser(db.session.get(Organisation, event.organisers[0].organisation_id), preferred_language="en")
    ids = set(db.session.scalars(retention.purgeable(event)))
    assert len(ids) == 7  # the six, and the one who never logged in
    login(client, organiser)
    page = client.post(f"/organiser/events/{event.id}/retention/purge", data={"confirm": "y"}, follow_redirects=True)
    assert "2 people" in page.get_data(as_text=True) and "in the background" in page.get_data(as_text=True)
    db.session.rollback()
    processes.start_worker(tmp_path / "worker.log")

    def erased():
        done = db.session.scalar(select(func.count()).where(User.id.in_(ids), User.deleted_at.isnot(None)))
        db.session.rollback()
        return done == len(ids)

    wait_for(erased, timeout=90, message="the worker to finish the purge")
    assert _texts_holding(MARKER) == []
