"""The demo, loaded as a newcomer loads it (`flask bazaar demo --visitors 50`): the coming fair, the
three past fairs of the source reports compiled as they were, and loading twice adds nothing."""

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bazaar.accounts.auth import check_password
from bazaar.accounts.models import User, VisitorProfile
from bazaar.booking.models import Booking
from bazaar.checkin.models import Arrival
from bazaar.demo import DEMO_LOGINS, DEMO_PASSWORD, DEMO_SLUG, load_demo
from bazaar.events.models import Event
from bazaar.exhibitors.models import Exhibitor
from bazaar.extensions import db
from bazaar.registrations.models import Registration
from bazaar.stats.models import StatsSnapshot
from bazaar.stats.reference import JOBBDATING_07, PAST_EDITIONS


def _counts():
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (User, Exhibitor, Registration))


@pytest.mark.bulk
def test_demo_is_a_living_fair_beside_three_past_ones_and_loading_twice_adds_nothing(ctx, app):
    result = app.test_cli_runner().invoke(args=["bazaar", "demo", "--visitors", "50"])
    assert result.exit_code == 0 and "Demo loaded." in result.output, result.output
    first = _counts()
    demo_id = db.session.scalar(select(Event.id).where(Event.slug == DEMO_SLUG))
    in_demo = Exhibitor.event_id == demo_id
    assert db.session.scalar(select(func.count()).where(in_demo)) == 40
    assert db.session.scalar(select(func.count()).where(in_demo, Exhibitor.country == "DK")) == 10
    assert db.session.scalar(select(func.count()).where(Registration.event_id == demo_id)) == 50
    for email in DEMO_LOGINS.values():
        assert check_password(db.session.scalar(select(User).where(User.email == email)), DEMO_PASSWORD)
    levels = set(db.session.scalars(select(VisitorProfile.education_level)))  # varied, realistic profiles
    assert len(levels - {None}) >= 3

    for edition in PAST_EDITIONS:
        _holds_the_shape_of_its_report(edition)

    assert load_demo(visitors=50) is False
    assert _counts() == first
    result = app.test_cli_runner().invoke(args=["bazaar", "demo", "--visitors", "50"])
    assert "already present" in result.output and _counts() == first


def _holds_the_shape_of_its_report(edition) -> None:
    """Visitors, exhibitors and days are the report's; interviews and jobs follow from the edition's
    counts through the statistics' definitions (Jobbdating 07's exact figures: tests/stats/test_reference.py);
    compiled, and organised by a demo organiser's body."""
    event = db.session.scalar(select(Event).where(Event.slug == edition.slug))
    assert event.status == "finished" and (event.starts_at, event.ends_at) == (edition.starts_at, edition.ends_at)
    snapshot = db.session.scalar(select(StatsSnapshot).where(StatsSnapshot.event_id == event.id))
    h = snapshot.figures["headline"]
    assert h["exhibitors"] == len(edition.exhibitors)
    assert h["visitors_checked_in"] == edition.preregistered_checked_in + edition.walk_ins
    assert h["interviews_held"] == edition.bookings_held + edition.walk_in_interviews
    assert h["visitors_hired"] == edition.hired_by_exhibitors + edition.jobs_new_pair + edition.jobs_unnamed
    abroad = {row["country"] for row in snapshot.figures["by_job_country"]} - {"SE"}
    assert abroad == {c for *_, jobs in edition.exhibitors for c in jobs} - {"SE"}
    # its days, with interviews on each, and every interview and arrival within one of them
    zone = ZoneInfo(event.timezone)
    days = {day.date: (day.opens_at, day.closes_at) for day in event.days}
    assert sorted(days.values()) == sorted(edition.days)
    starts = db.session.scalars(select(Booking.starts_at).where(Booking.event_id == event.id)).all()
    arrivals = db.session.execute(select(Arrival.day, Arrival.arrived_at).where(Arrival.event_id == event.id)).all()
    for at in starts:
        opens, closes = days[at.astimezone(zone).date()]
        assert opens <= at < closes
    assert {at.astimezone(zone).date() for at in starts} == set(days)
    assert {day for day, _ in arrivals} == set(days) and all(
        opens <= at < closes for day, at in arrivals for opens, closes in [days[day]]
    )
    assert h["visits"] >= h["visitors_checked_in"]
    assert (h["visits"] > h["visitors_checked_in"]) == (len(edition.days) > 1)  # some came back on day 2
    organisers = select(User).where(
        User.email.in_(DEMO_LOGINS.values()), User.organisation_id.in_([o.organisation_id for o in event.organisers])
    )
    assert db.session.scalars(organisers).first() is not None
    if edition is JOBBDATING_07:
        assert (h["interviews_held"], h["visitors_hired"]) == (300, 85)
