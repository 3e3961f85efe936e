"""Writing messages to the outbox, and sending the ones that are due.

Domain code calls :func:`queue` inside its own transaction; the row commits (or not) with the
change that caused it. After commit, a Celery task is asked to send immediate messages at once;
the beat sweep (:func:`dispatch_due_messages`) finds anything that task missed.
"""
from datetime import datetime

from sqlalchemy import select, update

from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage


def dedup_key(kind: str, recipient: str, subject_type: str | None, subject_id: int | None, version) -> str:
    return f"{kind}:{recipient}:{subject_type or '-'}:{subject_id or '-'}:{version}"


def queue(kind: str, *, user=None, to_address: str | None = None, event=None, subject=None,
          payload: dict | None = None, due_at: datetime | None = None, expires_at: datetime | None = None,
          version=0, channel: str = "email", language: str | None = None) -> OutboxMessage | None:
    """Add a message to the outbox in the current transaction (the caller commits).

    ``subject`` is the object the message is about (a Booking, Registration, ...); with ``kind``,
    the recipient and ``version`` it makes the message's unique key, so queueing the same message
    twice writes one row. Returns the row, or None if it was already queued.
    """
    address = to_address or (user.email if user is not None else None)
    if not address:
        return None
    subject_type = type(subject).__name__.lower() if subject is not None else None
    subject_id = subject.id if subject is not None else None
    key = dedup_key(kind, address, subject_type, subject_id, version)
    if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedup_key == key)) is not None:
        return None
    message = OutboxMessage(
        dedup_key=key, kind=kind, channel=channel, user_id=user.id if user is not None else None,
        to_address=address, language=language or (user.preferred_language if user is not None else "sv"),
        event_id=event.id if event is not None else None, subject_type=subject_type, subject_id=subject_id,
        payload=payload or {}, due_at=due_at or utcnow(), expires_at=expires_at,
    )
    db.session.add(message)
    return message


def cancel_pending(subject, kinds: tuple[str, ...] | None = None) -> int:
    """Cancel messages about ``subject`` that are not sent yet (e.g. a cancelled booking's reminders)."""
    q = update(OutboxMessage).where(
        OutboxMessage.subject_type == type(subject).__name__.lower(),
        OutboxMessage.subject_id == subject.id,
        OutboxMessage.status == "pending",
    )
    if kinds:
        q = q.where(OutboxMessage.kind.in_(kinds))
    return db.session.execute(q.values(status="cancelled")).rowcount


def dispatch_due_messages() -> int:
    raise NotImplementedError("implemented in the notifications issue")
