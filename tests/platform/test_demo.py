from sqlalchemy import func, select

from bazaar.accounts.auth import check_password
from bazaar.accounts.models import User, VisitorProfile
from bazaar.demo import DEMO_LOGINS, DEMO_PASSWORD, DEMO_SLUG, load_demo
from bazaar.events.models import Event
from bazaar.exhibitors.models import Exhibitor
from bazaar.extensions import db
from bazaar.registrations.models import Registration
from bazaar.stats.models import StatsSnapshot
from bazaar.stats.reference import PAST_EDITIONS


def _counts():
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (User, Exhibitor, Registration))


def test_demo_is_a_living_fair_and_loading_twice_adds_nothing(ctx, app):
    assert load_demo(visitors=300) is True
    first = _counts()
    demo_id = db.session.scalar(select(Event.id).where(Event.slug == DEMO_SLUG))
    in_demo = Exhibitor.event_id == demo_id  # the demo also holds the three past editions
    assert db.session.scalar(select(func.count()).where(in_demo)) == 40
    assert db.session.scalar(select(func.count()).where(in_demo, Exhibitor.country == "DK")) == 10
    assert db.session.scalar(select(func.count()).where(Registration.event_id == demo_id)) == 300
    for email in DEMO_LOGINS.values():
        assert check_password(db.session.scalar(select(User).where(User.email == email)), DEMO_PASSWORD)
    # varied, realistic optional profiles
    levels = set(db.session.scalars(select(VisitorProfile.education_level)))
    assert len(levels - {None}) >= 3
    # the three fairs of the source reports, compiled, each organised by a demo organiser's body
    for edition in PAST_EDITIONS:
        event = db.session.scalar(select(Event).where(Event.slug == edition.slug))
        assert event.status == "finished" and event.ends_at == edition.ends_at
        snapshot = db.session.scalar(select(StatsSnapshot).where(StatsSnapshot.event_id == event.id))
        assert snapshot is not None and snapshot.figures["headline"]["visitors_checked_in"] > 4000
        organisers = select(User).where(
            User.email.in_(DEMO_LOGINS.values()),
            User.organisation_id.in_([o.organisation_id for o in event.organisers]),
        )
        assert db.session.scalars(organisers).first() is not None

    assert load_demo(visitors=300) is False
    assert _counts() == first

    result = app.test_cli_runner().invoke(args=["bazaar", "demo", "--visitors", "300"])
    assert "already present" in result.output and _counts() == first
