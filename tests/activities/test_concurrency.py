"""Signing up for one activity on PostgreSQL: many visitors at once, each thread with its own app
context, session and connection, released together by a barrier (as in tests/booking)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bazaar.activities import services
from bazaar.activities.models import Activity, Audience, Participant
from bazaar.extensions import db
from bazaar.locking import Lock
from bazaar.registrations.models import Registration
from tests import factories as f
from tests.support import limiter_on_redis

pytestmark = pytest.mark.postgresql_only

VISITORS = 40
CAPACITY = 15


@pytest.fixture(scope="module")
def wide_app(app):
    """The app under test with a connection pool big enough for real parallelism."""
    from bazaar import create_app
    from config import Config

    wide = create_app(
        Config(
            TESTING=True,
            WTF_CSRF_ENABLED=False,
            **limiter_on_redis(),
            SQLALCHEMY_ENGINE_OPTIONS={"pool_size": VISITORS, "max_overflow": 0, "pool_timeout": 120},
        )
    )
    yield wide
    with wide.app_context():
        db.engine.dispose()


def _fire(wide_app, jobs):
    barrier = threading.Barrier(len(jobs))

    def run(job):
        with wide_app.app_context():
            try:
                barrier.wait(timeout=60)
                return job()
            except services.ActivityError as exc:
                return exc.message
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def _signer(activity_id, registration_id):
    def job():
        activity = db.session.get(Activity, activity_id)
        return services.sign_up(activity, db.session.get(Registration, registration_id)).id

    return job


def _slow_count(monkeypatch):
    """Widen the window between counting the places and claiming one, as a loaded server would."""
    original = services.places_taken

    def slow(activity):
        taken = original(activity)
        time.sleep(0.1)
        return taken

    monkeypatch.setattr(services, "places_taken", slow)


def _setup():
    event = f.event()
    exhibitor = f.exhibitor(event)
    starts = event.ends_at + timedelta(days=7)
    activity = Activity(
        event_id=event.id,
        exhibitor_id=exhibitor.id,
        audience=Audience.OPEN,
        title={"en": "Try a day"},
        starts_at=starts,
        ends_at=starts + timedelta(hours=6),
        place="Storgatan 1",
        capacity=CAPACITY,
    )
    db.session.add(activity)
    db.session.commit()
    regs = [f.registration(event) for _ in range(VISITORS)]
    return activity, [_signer(activity.id, r.id) for r in regs]


def _places(activity) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count(Participant.id)).where(Participant.activity_id == activity.id, Participant.holds_place)
    )


def test_many_visitors_signing_up_at_once_fill_the_places_and_no_more(ctx, wide_app, monkeypatch):
    _slow_count(monkeypatch)
    activity, jobs = _setup()
    results = _fire(wide_app, jobs)
    assert len([r for r in results if isinstance(r, int)]) == CAPACITY
    refused = [r for r in results if not isinstance(r, int)]
    assert len(refused) == VISITORS - CAPACITY and len(set(refused)) == 1  # each told it is full
    assert _places(activity) == CAPACITY


def test_without_the_activity_lock_the_race_overfills(ctx, wide_app, monkeypatch):
    """The control experiment: switch the lock off and more people get in than there are places,
    which proves the test above exercises a real race."""
    _slow_count(monkeypatch)
    real_lock = services.lock
    monkeypatch.setattr(
        services, "lock", lambda kind, key, **kw: None if kind == Lock.ACTIVITY_PLACES else real_lock(kind, key, **kw)
    )
    activity, jobs = _setup()
    _fire(wide_app, jobs)
    assert _places(activity) > CAPACITY
