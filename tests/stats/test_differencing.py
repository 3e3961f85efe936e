"""Issue 11 point 1: the self-declared background cannot be read by comparing two compiled versions."""

from datetime import timedelta

from bazaar.accounts.models import VisitorProfile
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.stats import services
from bazaar.stats.models import StatsSnapshot
from tests import factories


def _person(ev, background, consented=True):
    person = factories.visitor(profile=False)
    db.session.add(
        VisitorProfile(
            user_id=person.id,
            foreign_background=background,
            gender="woman",
            consent_sensitive_at=utcnow() if consented else None,
        )
    )
    db.session.commit()
    return factories.registration(ev, person, checked_in_at=ev.starts_at)


def _compiled(ev) -> dict:
    return db.session.get(StatsSnapshot, services.compile_snapshot(ev.id, "on_demand")).figures


def _attack(ev) -> tuple[dict, dict]:
    """Compile, register one person who declares a background, compile again."""
    before = _compiled(ev)
    _person(ev, "parents_abroad")
    return before, _compiled(ev)


def test_differencing_two_versions_reveals_no_background(ctx):
    ev = factories.event(starts_in=timedelta(days=-200))  # the follow-up survey has closed
    for _ in range(12):
        _person(ev, "born_abroad")
    for _ in range(8):
        _person(ev, "parents_abroad")
    for _ in range(6):
        _person(ev, "neither")
    before, after = _attack(ev)
    # the new registration is in the figures (the attack did take place) ...
    assert after["headline"]["visitors_registered"] == before["headline"]["visitors_registered"] + 1
    assert after["breakdowns"]["gender"] != before["breakdowns"]["gender"]
    # ... but the sensitive table is the one first published, unchanged
    published = {row["value"]: row["registered"] for row in before["breakdowns"]["foreign_background"]["rows"]}
    assert published["parents_abroad"] == 8 and published["born_abroad"] == 12
    assert after["breakdowns"]["foreign_background"]["rows"] == before["breakdowns"]["foreign_background"]["rows"]
    assert after["breakdowns"]["foreign_background"]["first_version"] == 1
    # deleting an account afterwards changes nothing either
    from sqlalchemy import select

    from bazaar.privacy.services import delete_account
    from bazaar.registrations.models import Registration

    someone = db.session.scalars(select(Registration).where(Registration.event_id == ev.id)).first()
    delete_account(someone.user)
    db.session.commit()
    third = _compiled(ev)
    assert third["breakdowns"]["foreign_background"]["rows"] == before["breakdowns"]["foreign_background"]["rows"]


def test_before_the_survey_closes_the_sensitive_table_is_withheld(ctx):
    ev = factories.event(starts_in=timedelta(days=-40))  # 90-day invitation not yet answered
    for _ in range(10):
        _person(ev, "born_abroad")
    before, after = _attack(ev)
    for figures in (before, after):
        table = figures["breakdowns"]["foreign_background"]
        assert table["withheld"] is True and table["rows"] == []
    assert after["breakdowns"]["gender"] != before["breakdowns"]["gender"]
