"""Celery tasks. Thin: each loads what it needs by id and calls a domain function."""

from celery import shared_task


@shared_task(name="worker.tasks.ping", ignore_result=False)
def ping() -> str:
    """Answer "pong"; ``flask bazaar ping-worker`` uses it to prove a worker is consuming."""
    return "pong"


@shared_task(name="worker.tasks.dispatch_due")
def dispatch_due(helper: bool = False) -> int:
    """Claim and send every message whose time has come (run by beat every minute). Facing a
    backlog, the beat-started sweep asks one helper sweep to share the work, and a sweep whose
    time is up hands over to a new task instead of leaving the rest for the next minute."""
    from bazaar.notifications.services import dispatch_due_messages

    def ask_for_help():
        dispatch_due.delay(helper=True)

    def carry_on():
        dispatch_due.delay(helper=helper)

    return dispatch_due_messages(on_backlog=None if helper else ask_for_help, on_time_up=carry_on)


@shared_task(name="worker.tasks.send_message")
def send_message(message_id: int) -> str:
    """Send one outbox row now, if it is still pending (queued after the commit that wrote it)."""
    from bazaar.notifications.services import send_now

    return send_now(message_id)


@shared_task(name="worker.tasks.schedule_event_messages")
def schedule_event_messages() -> int:
    """Write the day-before, digest, nudge and survey rows whose time is near (run by beat)."""
    from bazaar.notifications.reminders import schedule_event_messages as schedule

    return schedule()


@shared_task(name="worker.tasks.compile_stats")
def compile_stats(event_id: int, reason: str = "on_demand", snapshot_id: int | None = None) -> int | None:
    """Compile an event's figures into a new versioned snapshot (or the one given)."""
    from bazaar.stats.services import compile_snapshot

    return compile_snapshot(event_id, reason, snapshot_id)


@shared_task(name="worker.tasks.compile_due_stats")
def compile_due_stats() -> int:
    """Start a compilation for every event that ended, or whose survey wave passed, since its last one."""
    from bazaar.stats.services import due_snapshots

    snapshots = due_snapshots()
    for snapshot in snapshots:
        compile_stats.delay(snapshot.event_id, snapshot.reason, snapshot_id=snapshot.id)
    return len(snapshots)


@shared_task(name="worker.tasks.expire_registration_offers")
def expire_registration_offers() -> int:
    """Pass lapsed waiting-list offers on to the next in line (run by beat every minute)."""
    from bazaar.registrations.services import expire_offers

    return expire_offers()


@shared_task(name="worker.tasks.expire_waitlist_offers")
def expire_waitlist_offers() -> int:
    """Pass lapsed interview holds on and offer free slots to exhibitors' waiting lists (beat)."""
    from bazaar.booking.services import expire_waitlist_offers as expire

    return expire()


@shared_task(name="worker.tasks.expire_match_invitations")
def expire_match_invitations() -> int:
    """Release the interview times of lapsed matching invitations (beat, every minute)."""
    from bazaar.matching.services import expire_invitations

    return expire_invitations()
