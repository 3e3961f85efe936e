"""An exhibitor's own results on its dashboard: counted as the fair's statistics count them, with
the statistics' definitions, and only its own."""

import re

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from bazaar.booking.models import Booking, Slot, SlotFormat
from bazaar.extensions import db
from bazaar.stats.compile import DEFINITIONS, compile_event
from bazaar.stats.presentation import OWN_RESULTS
from tests import factories as f
from tests.support import login

SHOWN = re.compile(r'data-result="(\w+)">(\d+)<')


@pytest.fixture
def fair(ctx):
    """One exhibitor's mixed day: booked interviews held, with offers and hires (five or more each, so
    the organiser's table shows them too), no-shows, a cancellation, walk-ins, a talk, and a rival."""
    event = f.event()
    exhibitor = f.exhibitor(event, name="Fjordbygg AS")
    rival = f.exhibitor(event, name="Rival AB")
    people = [f.registration(event, f.visitor()) for _ in range(16)]
    outcomes = ["hired"] * 5 + ["offer"] * 6 + ["second_interview", None]
    for reg, outcome in zip(people, outcomes, strict=False):
        f.interview(reg, exhibitor, outcome=outcome)
    f.interview(people[0], exhibitor, outcome="hired")  # the same visitor hired twice counts once
    f.interview(people[13], exhibitor, attendance="no_show")
    f.interview(people[14], exhibitor, attendance="no_show")
    f.interview(people[15], exhibitor, status="cancelled", attendance="unknown")
    f.interview(people[13], exhibitor, walk_in=True, attendance="unknown", outcome="hired")
    f.interview(people[14], exhibitor, walk_in=True, attendance="no_show")
    talk = f.slots_for(exhibitor, count=1, format=SlotFormat.TALK)[0]
    f.booked(people[15], talk, attendance="attended", outcome="hired")
    for reg in people[:6]:
        f.interview(reg, rival, outcome="hired")
    return event, exhibitor


def counted_from_rows(exhibitor) -> dict:
    """The statistics' definitions (DEFINITIONS), applied in Python to the exhibitor's rows."""
    talks = set(db.session.scalars(select(Slot.id).where(Slot.format == SlotFormat.TALK)))
    rows = db.session.scalars(select(Booking).where(Booking.exhibitor_id == exhibitor.id)).all()
    interviews = [b for b in rows if b.slot_id not in talks]
    booked = [b for b in interviews if not b.walk_in]
    held = [
        b
        for b in interviews
        if b.status == "confirmed" and (b.attendance == "attended" or (b.walk_in and b.attendance != "no_show"))
    ]
    return {
        "bookings_made": len(booked),
        "interviews_held": len(held),
        "interview_no_shows": sum(b.status == "confirmed" and b.attendance == "no_show" for b in booked),
        "offers": len({b.registration_id for b in held if b.outcome == "offer"}),
        "hired": len({b.registration_id for b in held if b.outcome == "hired"}),
    }


def test_the_dashboard_shows_the_exhibitors_own_results_as_the_statistics_count_them(fair, client):
    event, exhibitor = fair
    expected = counted_from_rows(exhibitor)
    assert all(expected.values())  # the fixture gives every figure something to count
    login(client, f.exhibitor_staff(exhibitor, role="interviewer", preferred_language="en"))
    page = client.get(f"/exhibitor/{exhibitor.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert {key: int(value) for key, value in SHOWN.findall(html)} == expected

    per_exhibitor = next(r for r in compile_event(event.id)["per_exhibitor"] if r["id"] == exhibitor.id)
    assert {key: per_exhibitor[key] for key in expected} == expected  # the organiser's table agrees

    with force_locale("en"):
        for _key, figure in OWN_RESULTS:
            assert str(DEFINITIONS[figure]) in html.replace("&#39;", "'"), figure


def test_the_results_are_in_swedish_for_a_swedish_reader(fair, client):
    _event, exhibitor = fair
    login(client, f.exhibitor_staff(exhibitor, preferred_language="sv"))
    html = client.get(f"/exhibitor/{exhibitor.id}").get_data(as_text=True)
    with force_locale("sv"):
        definitions = [str(DEFINITIONS[figure]) for _key, figure in OWN_RESULTS]
    with force_locale("en"):
        english = [str(DEFINITIONS[figure]) for _key, figure in OWN_RESULTS]
    assert "Era resultat på mässan" in html
    assert all(d in html and d not in english for d in definitions)


def test_another_exhibitors_staff_and_visitors_do_not_see_the_results(fair, client):
    event, exhibitor = fair
    rival_staff = f.exhibitor_staff(f.exhibitor(event), role="admin")
    for person in (rival_staff, f.visitor()):
        login(client, person)
        assert client.get(f"/exhibitor/{exhibitor.id}").status_code == 403
