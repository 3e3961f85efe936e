"""Celery tasks. Thin: each loads what it needs by id and calls a domain function."""

from celery import shared_task

from bazaar.accounts.models import User
from bazaar.booking.waitlist import expire_waitlist_offers as expire_interview_holds
from bazaar.events.models import Event
from bazaar.extensions import db
from bazaar.matching.services import expire_invitations
from bazaar.notifications.services import dispatch_due_messages, send_now
from bazaar.privacy.retention import purge_due, purge_event
from bazaar.registrations.services import expire_offers
from bazaar.reminders.services import schedule_event_messages as schedule
from bazaar.stats.services import compile_snapshot, due_snapshots


@shared_task(name="worker.tasks.ping", ignore_result=False)
def ping() -> str:
    """Answer "pong"; ``flask bazaar ping-worker`` uses it to prove a worker is consuming."""
    return "pong"


@shared_task(name="worker.tasks.dispatch_due")
def dispatch_due(helper: bool = False) -> int:
    """Claim and send every message whose time has come (run by beat every minute). Facing a
    backlog, the beat-started sweep asks one helper sweep to share the work, and a sweep whose
    time is up hands over to a new task instead of leaving the rest for the next minute."""

    def ask_for_help():
        dispatch_due.delay(helper=True)

    def carry_on():
        dispatch_due.delay(helper=helper)

    return dispatch_due_messages(on_backlog=None if helper else ask_for_help, on_time_up=carry_on)


@shared_task(name="worker.tasks.send_message")
def send_message(message_id: int) -> str:
    """Send one outbox row now, if it is still pending (queued after the commit that wrote it)."""
    return send_now(message_id)


@shared_task(name="worker.tasks.schedule_event_messages")
def schedule_event_messages() -> int:
    """Write the day-before, digest, nudge and survey rows whose time is near (run by beat)."""
    return schedule()


@shared_task(name="worker.tasks.compile_stats")
def compile_stats(event_id: int, reason: str = "on_demand", snapshot_id: int | None = None) -> int | None:
    """Compile an event's figures into a new versioned snapshot (or the one given)."""
    return compile_snapshot(event_id, reason, snapshot_id)


@shared_task(name="worker.tasks.compile_due_stats")
def compile_due_stats() -> int:
    """Start a compilation for every event that ended, or whose survey wave passed, since its last one."""

    snapshots = due_snapshots()
    for snapshot in snapshots:
        compile_stats.delay(snapshot.event_id, snapshot.reason, snapshot_id=snapshot.id)
    return len(snapshots)


@shared_task(name="worker.tasks.expire_registration_offers")
def expire_registration_offers() -> int:
    """Pass lapsed waiting-list offers on to the next in line (run by beat every minute)."""
    return expire_offers()


@shared_task(name="worker.tasks.expire_waitlist_offers")
def expire_waitlist_offers() -> int:
    """Pass lapsed interview holds on and offer free slots to exhibitors' waiting lists (beat)."""
    return expire_interview_holds()


@shared_task(name="worker.tasks.purge_retention")
def purge_retention(event_id: int | None = None, user_id: int | None = None) -> int:
    """Erase the personal data of visitors whose events' retention period has passed (beat); or
    finish an organiser's early purge of ``event_id`` that ran out of time in the request."""
    if event_id is None:
        return purge_due()
    event = db.session.get(Event, event_id)
    by = db.session.get(User, user_id) if user_id is not None else None
    return purge_event(event, early=True, by=by) if event is not None else 0


@shared_task(name="worker.tasks.expire_match_invitations")
def expire_match_invitations() -> int:
    """Release the interview times of lapsed matching invitations (beat, every minute)."""
    return expire_invitations()
