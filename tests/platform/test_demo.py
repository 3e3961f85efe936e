from sqlalchemy import func, select

from bazaar.accounts.auth import check_password
from bazaar.accounts.models import User, VisitorProfile
from bazaar.demo import DEMO_LOGINS, DEMO_PASSWORD, DEMO_SLUG, load_demo
from bazaar.events.models import Event
from bazaar.exhibitors.models import Exhibitor
from bazaar.extensions import db
from bazaar.registrations.models import Registration


def _counts():
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (User, Exhibitor, Registration))


def test_demo_is_a_living_fair_and_loading_twice_adds_nothing(ctx, app):
    assert load_demo(visitors=300) is True
    first = _counts()
    demo_id = db.session.scalar(select(Event.id).where(Event.slug == DEMO_SLUG))
    in_demo = Exhibitor.event_id == demo_id  # the demo also holds the past edition Jobbdating 07
    assert db.session.scalar(select(func.count()).where(in_demo)) == 40
    assert db.session.scalar(select(func.count()).where(in_demo, Exhibitor.country == "DK")) == 10
    assert db.session.scalar(select(func.count()).where(Registration.event_id == demo_id)) == 300
    for email in DEMO_LOGINS.values():
        assert check_password(db.session.scalar(select(User).where(User.email == email)), DEMO_PASSWORD)
    # varied, realistic optional profiles
    levels = set(db.session.scalars(select(VisitorProfile.education_level)))
    assert len(levels - {None}) >= 3

    assert load_demo(visitors=300) is False
    assert _counts() == first

    result = app.test_cli_runner().invoke(args=["bazaar", "demo", "--visitors", "300"])
    assert "already present" in result.output and _counts() == first
