"""Speed-dating talks are counted as talks, never as interviews; interviews and hires for jobs abroad
are counted by the country of the job."""

import csv
import io
from datetime import timedelta

import pytest

from bazaar.booking.models import Booking, SlotFormat
from bazaar.checkin.models import BoothScan
from bazaar.exhibitors import services as exhibitor_services
from bazaar.exhibitors.models import Opening
from bazaar.extensions import db
from bazaar.stats import services
from bazaar.stats.compile import compile_event
from tests import factories as f
from tests.support import login

PAST = timedelta(days=-40)


@pytest.fixture
def speed_dating(ctx):
    """A fair with rounds of talks at one employer and real interviews at two."""
    org = f.organisation()
    organiser = f.organiser(org, preferred_language="en")
    ev = f.event(org, starts_in=PAST)
    rounds = f.exhibitor(ev, name="Rounds AB", tables=1)
    other = f.exhibitor(ev, name="Interviews AB", tables=1)
    talks = f.slots_for(rounds, count=10, minutes=5, format=SlotFormat.TALK)
    interviews = f.slots_for(rounds, start=ev.starts_at + timedelta(hours=2), count=3, minutes=15, format="interview")
    people = [f.registration(ev, checked_in_at=ev.starts_at) for _ in range(10)]
    held = [f.booked(person, slot, attendance="attended") for person, slot in zip(people[:8], talks)]
    f.booked(people[8], talks[8], attendance="no_show")  # a missed talk is no talk
    # two of the talkers got an interview booked from their talk, one of them a job
    f.booked(
        people[0],
        interviews[0],
        attendance="attended",
        outcome="hired",
        outcome_employment_type="permanent",
        from_talk_id=held[0].id,
    )
    f.booked(people[1], interviews[1], attendance="attended", outcome="none", from_talk_id=held[1].id)
    # one talked and was interviewed too, but not from the talk: no talk that led to an interview
    f.booked(people[2], interviews[2], attendance="attended", outcome="hired", outcome_employment_type="temporary")
    # a conversation logged at the booth: once for someone who also had a booked talk (one pair), once new
    db.session.add_all(
        [
            BoothScan(exhibitor_id=rounds.id, registration_id=people[2].id, kind="conversation"),
            BoothScan(exhibitor_id=rounds.id, registration_id=people[9].id, kind="conversation"),
        ]
    )
    db.session.commit()
    # real interviews elsewhere
    later = ev.starts_at + timedelta(hours=4)  # after every talk, so no visitor is in two places
    f.interview(people[3], other, at=later)
    f.interview(people[4], other, at=later, outcome="hired", outcome_employment_type="permanent")
    return {"event": ev, "organiser": organiser, "rounds": rounds, "talks": talks, "people": people}


def test_talks_never_count_as_interviews_held(speed_dating):
    h = compile_event(speed_dating["event"].id)["headline"]
    assert h["interviews_held"] == 5  # three at Rounds AB (two booked from talks), two at Interviews AB
    assert h["interviews_booked_held"] == 5 and h["bookings_made"] == 5
    assert h["talks_held"] == 9  # eight booked talks held, plus one new pair logged at the booth
    assert h["talks_to_interview"] == 2  # by the link, not by the pair having an interview too
    assert h["jobs_after_talks"] == 1
    assert h["outcome_hired"] == 3 and h["visitors_interviewed"] == 5


def test_a_talk_takes_no_outcome_and_the_day_page_says_so(speed_dating, client):
    rounds, talk = speed_dating["rounds"], speed_dating["talks"][0]
    booking = db.session.scalar(db.select(Booking).where(Booking.slot_id == talk.id))
    staff = f.exhibitor_staff(rounds, preferred_language="en")
    with pytest.raises(exhibitor_services.TalkTakesNoOutcome):
        exhibitor_services.record_interview(booking, staff, "attended", "hired", "permanent")
    db.session.rollback()
    login(client, staff)
    client.post("/language", data={"lang": "en"})
    day = client.get(f"/exhibitor/{rounds.id}/day").get_data(as_text=True)
    assert "Speed-dating talk: not an interview" in day
    prefix = f"b{booking.id}-"
    answer = client.post(
        f"/exhibitor/{rounds.id}/interviews/{booking.id}",
        data={prefix + "attendance": "attended", prefix + "outcome": "hired", prefix + "employment_type": "permanent"},
        headers={"X-Inline-Save": "1"},
    )
    assert answer.status_code == 400 and "has no outcome" in answer.get_json()["errors"][0]
    db.session.refresh(booking)
    assert booking.outcome is None
    held = client.post(
        f"/exhibitor/{rounds.id}/interviews/{booking.id}",
        data={prefix + "attendance": "no_show"},
        headers={"X-Inline-Save": "1"},
    )
    assert held.status_code == 200
    db.session.refresh(booking)
    assert booking.attendance == "no_show"


@pytest.fixture
def abroad(ctx):
    org = f.organisation()
    organiser = f.organiser(org, preferred_language="en")
    ev = f.event(org, starts_in=PAST)
    agency = f.exhibitor(ev, name="Nordic Staffing", job_countries=["SE", "NO"])
    oslo = Opening(exhibitor_id=agency.id, title={"en": "Nurse in Oslo"}, occupation="nurse", country="NO")
    db.session.add(oslo)
    db.session.commit()
    norway = f.slots_for(agency, count=7, minutes=15, opening_id=oslo.id)
    untied = f.slots_for(agency, start=ev.starts_at + timedelta(hours=3), count=1, minutes=15)
    luxembourg = f.exhibitor(ev, name="Lux Bank", country="LU", job_countries=["LU"])
    home = f.exhibitor(ev, name="Hemma AB", job_countries=["SE"])
    for i, slot in enumerate(norway):
        f.booked(
            f.registration(ev),
            slot,
            attendance="attended",
            outcome="hired" if i < 5 else "offer",
            outcome_employment_type="permanent" if i < 5 else None,
        )
    f.booked(f.registration(ev), untied[0], attendance="attended")  # Sweden or Norway: not known
    f.interview(f.registration(ev), luxembourg, outcome="hired", outcome_employment_type="permanent")
    f.interview(f.registration(ev), luxembourg, walk_in=True)
    f.interview(f.registration(ev), home, outcome="hired", outcome_employment_type="permanent")
    return {"event": ev, "organiser": organiser}


def test_interviews_and_hires_for_jobs_abroad_by_the_country_of_the_job(abroad, client):
    figures = compile_event(abroad["event"].id)
    h = figures["headline"]
    assert h["interviews_held"] == 11
    assert h["interviews_jobs_abroad"] == 9  # seven for Oslo, two in Luxembourg
    assert h["hires_jobs_abroad"] == 6
    rows = {row["country"]: row for row in figures["by_job_country"]}
    assert rows["NO"] == {"country": "NO", "interviews_held": 7, "hires": 5}
    # one hire in Luxembourg and one in Sweden are below five: both hidden, neither can be worked out
    assert rows["LU"]["interviews_held"] == 2 and rows["LU"]["hires"] is None
    assert rows["SE"]["interviews_held"] == 1 and rows["SE"]["hires"] is None
    assert set(rows) == {"NO", "LU", "SE"}

    services.compile_snapshot(abroad["event"].id, "on_demand")
    login(client, abroad["organiser"])
    report = client.get(f"/organiser/events/{abroad['event'].id}/stats/report").get_data(as_text=True)
    assert 'id="by-job-country"' in report and "Norway" in report and 'id="figure-interviews_jobs_abroad"' in report
    exported = client.get(f"/organiser/events/{abroad['event'].id}/stats/export.csv").get_data(as_text=True)
    lines = list(csv.reader(io.StringIO(exported.lstrip("\ufeff")), delimiter=";"))
    assert ["By the country of the job", "Interviews held", "Norway", "7"] in lines


def test_a_visitors_pages_call_a_talk_a_talk(ctx, client):
    ev = f.event(starts_in=timedelta(days=3))
    rounds = f.exhibitor(ev, name="Rounds AB", tables=1)
    mixed = f.exhibitor(ev, name="Mixed AB", tables=1)
    first, _second = f.slots_for(rounds, count=2, minutes=5, format=SlotFormat.TALK)
    f.slots_for(mixed, count=1, minutes=5, format=SlotFormat.TALK)
    f.slots_for(mixed, start=ev.starts_at + timedelta(hours=1), count=1, format=SlotFormat.INTERVIEW)
    registration = f.registration(ev)
    login(client, registration.user, language="en")
    page = client.get(f"/events/{ev.slug}/exhibitors/{rounds.id}").get_data(as_text=True)
    assert "Book a talk" in page and "Book an interview" not in page
    assert "Book an interview" in client.get(f"/events/{ev.slug}/exhibitors/{mixed.id}").get_data(as_text=True)

    booking = f.booked(registration, first)
    page = client.get(f"/events/{ev.slug}/exhibitors/{rounds.id}").get_data(as_text=True)
    assert "You have a talk here at" in page
    schedule = client.get(f"/events/{ev.slug}/my-schedule").get_data(as_text=True)
    assert '<span class="badge">Talk</span>' in schedule
    cancel = client.get(f"/bookings/{booking.id}/cancel").get_data(as_text=True)
    assert "Cancel the talk?" in cancel and "interview" not in cancel.split("<main", 1)[1].split("</main>", 1)[0]
