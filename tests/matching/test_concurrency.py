"""Matching invitations under concurrency on PostgreSQL: a held time goes to one person only,
and once the hold lapses the invitation no longer books it (threads released by a barrier)."""

import pytest
from sqlalchemy import func, select

from bazaar.booking.models import Booking, Slot
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.matching import services
from bazaar.matching.models import Invitation, Need
from bazaar.registrations.models import Registration
from tests import factories as f
from tests.booking.test_concurrency import _booker, _fire
from tests.booking.test_concurrency import wide_app as wide_app  # noqa: F401  (the fixture)

pytestmark = pytest.mark.postgresql_only

RIVALS = 30


def _consenting(event):
    person = f.visitor()
    person.profile.consent_matching_at = utcnow()
    person.profile.occupations = ["cook"]
    db.session.commit()
    return f.registration(event, person)


@pytest.fixture
def one_time(ctx):
    """A need whose exhibitor has a single interview time left."""
    org = f.organisation()
    event = f.event(org=org)
    exhibitor = f.exhibitor(event, tables=1)
    [slot] = f.slots_for(exhibitor, count=1)
    need = Need(exhibitor_id=exhibitor.id, title="Kockar", occupations=["cook"], languages=[])
    db.session.add(need)
    db.session.commit()
    return event, exhibitor, slot, need, f.organiser(org)


def _inviter(need_id, reg_id, actor_id):
    def job():
        from bazaar.accounts.models import User

        made = services.invite(db.session.get(Need, need_id), [reg_id], db.session.get(User, actor_id))
        return [i.registration_id for i in made]

    return job


def _acceptor(invitation_id):
    def job():
        try:
            return services.accept(db.session.get(Invitation, invitation_id)).id
        except services.MatchingError:
            return "MatchingError"

    return job


def test_two_candidates_invited_at_once_cannot_be_given_the_same_time(one_time, wide_app):
    event, exhibitor, slot, need, organiser = one_time
    candidates = [_consenting(event) for _ in range(8)]
    results = _fire(wide_app, [_inviter(need.id, r.id, organiser.id) for r in candidates])
    invited = [ids for ids in results if ids]
    assert len(invited) == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Invitation.id))) == 1
    assert db.session.get(Slot, slot.id).held_for_registration_id == invited[0][0]


def test_the_invited_candidate_gets_the_held_time_however_many_rush_for_it(one_time, wide_app):
    event, exhibitor, slot, need, organiser = one_time
    candidate = _consenting(event)
    [invitation] = services.invite(need, [candidate.id], organiser)
    rivals = [f.registration(event) for _ in range(RIVALS)]
    jobs = [_acceptor(invitation.id)] + [_booker(r.id, exhibitor.id, slot.starts_at) for r in rivals]
    results = _fire(wide_app, jobs)
    assert isinstance(results[0], int)
    assert all(r in ("SlotTaken", "SlotUnavailable") for r in results[1:]), set(results[1:])
    db.session.expire_all()
    [made] = db.session.scalars(select(Booking).where(Booking.slot_id == slot.id, Booking.status == "confirmed")).all()
    assert made.registration_id == candidate.id
    assert db.session.get(Invitation, invitation.id).booking_id == made.id


def test_once_the_hold_lapses_the_invitation_books_nothing_and_one_rival_gets_the_time(one_time, wide_app, clock):
    event, exhibitor, slot, need, organiser = one_time
    candidate = _consenting(event)
    [invitation] = services.invite(need, [candidate.id], organiser)
    clock.advance(seconds=(invitation.expires_at - utcnow()).total_seconds() + 1)
    rivals = [f.registration(event) for _ in range(RIVALS)]
    jobs = [_acceptor(invitation.id)] + [_booker(r.id, exhibitor.id, slot.starts_at) for r in rivals]
    results = _fire(wide_app, jobs)
    assert results[0] == "MatchingError"
    assert len([r for r in results[1:] if isinstance(r, int)]) == 1
    db.session.expire_all()
    [made] = db.session.scalars(select(Booking).where(Booking.slot_id == slot.id, Booking.status == "confirmed")).all()
    assert db.session.get(Registration, made.registration_id).id != candidate.id
    assert services.expire_invitations() == 1
