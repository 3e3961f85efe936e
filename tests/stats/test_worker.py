"""Compiling runs in a real Celery worker process: on demand and when an event or wave is due."""

from datetime import timedelta

from sqlalchemy import select

from bazaar.extensions import db
from bazaar.stats import services
from bazaar.stats.models import StatsSnapshot
from tests import factories
from tests.support import wait_for


def _done(event_id, count=1):
    """Finished snapshots as plain dicts; the read transaction ends at once (on SQLite every
    transaction takes the write lock, which the worker needs)."""
    snapshots = [
        {
            "version": s.version,
            "reason": s.reason,
            "progress": s.progress,
            "figures": s.figures,
            "finished_at": s.finished_at,
        }
        for s in db.session.scalars(
            select(StatsSnapshot).where(StatsSnapshot.event_id == event_id, StatsSnapshot.status == "done")
        )
    ]
    db.session.rollback()
    return snapshots if len(snapshots) >= count else None


def test_a_real_worker_compiles_a_snapshot(app, ctx, processes, tmp_path):
    from worker.tasks import compile_stats

    ev = factories.event(starts_in=timedelta(days=-2))
    booth = factories.exhibitor(ev)
    for i in range(5):
        reg = factories.registration(ev, checked_in_at=ev.starts_at)
        factories.interview(reg, booth, outcome="hired" if i < 3 else None)
    db.session.rollback()
    processes.start_worker(tmp_path / "worker.log")
    compile_stats.delay(ev.id, "on_demand")
    [snapshot] = wait_for(lambda: _done(ev.id), timeout=90, message="snapshot compiled by the worker")
    assert (snapshot["version"], snapshot["reason"], snapshot["progress"]) == (1, "on_demand", 100)
    assert snapshot["figures"]["headline"]["interviews_held"] == 5
    assert snapshot["figures"]["headline"]["jobs_total"] == 3
    assert snapshot["finished_at"] is not None


def test_the_beat_task_compiles_events_that_ended_and_survey_waves_that_passed(app, ctx, processes, tmp_path, clock):
    from worker.tasks import compile_due_stats

    ended = factories.event(starts_in=timedelta(days=-1))
    factories.event(starts_in=timedelta(days=3))  # not over yet
    factories.registration(ended, checked_in_at=ended.starts_at)
    db.session.rollback()
    processes.start_worker(tmp_path / "worker.log")
    compile_due_stats.delay()
    [first] = wait_for(lambda: _done(ended.id), timeout=90, message="the ended event compiled")
    assert first["reason"] == "event_end"
    assert services.due_snapshots() == []  # nothing more is due until the first survey wave

    clock.advance(days=30 + 14)
    compile_due_stats.delay()
    snapshots = wait_for(lambda: _done(ended.id, 2), timeout=90, message="the survey wave compiled")
    assert sorted((s["version"], s["reason"]) for s in snapshots) == [(1, "event_end"), (2, "survey_wave")]


def test_an_interrupted_compilation_is_marked_failed(ctx, clock):
    ev = factories.event(starts_in=timedelta(days=5))
    stuck = services.create_snapshot(ev.id, "on_demand")
    clock.advance(hours=2)
    services.due_snapshots()
    db.session.refresh(stuck)
    assert (stuck.status, stuck.error) == ("failed", "interrupted")
    assert services.compile_snapshot(ev.id, "on_demand", snapshot_id=stuck.id) is None  # not run twice
