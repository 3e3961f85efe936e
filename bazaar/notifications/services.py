"""Writing messages to the outbox, and sending the ones that are due.

Domain code calls :func:`queue` inside its own transaction; the row commits (or not) with the
change that caused it. After commit, a Celery task is asked to send immediate messages at once
(:func:`send_now`); the beat sweep (:func:`dispatch_due_messages`) finds anything that task missed.

Each row moves ``pending -> claimed -> sent | failed | skipped``. A claim is a conditional UPDATE
(only a pending, due row is claimed; on PostgreSQL the sweep also skips rows another sweep has
locked), so two workers never send the same row. The sent mark is written in its own short
transaction right after the SMTP server accepted the message. The one window in which a row can
go out twice is a worker killed after that acceptance and before the mark commits: the row stays
``claimed`` and is sent again once its lease (:data:`CLAIM_LEASE`) runs out. Every email carries
a Message-ID derived from the row id, so mail clients show such a duplicate once.

Only an SMTP 5xx (or a template that cannot render the row) fails a row for good. A database,
broker or other infrastructure error while rendering puts the row back to pending with the
usual backoff (:func:`retry_delay`); the outcome marks retry a cut connection a few times, so a
failover between the SMTP acceptance and the sent mark does not reopen the duplicate window.
"""

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import DBAPIError, DisconnectionError, PendingRollbackError
from sqlalchemy.orm import selectinload

from bazaar.clock import utcnow
from bazaar.database import insert_skipping_conflicts, is_postgres
from bazaar.extensions import db
from bazaar.notifications import registry, webhook
from bazaar.notifications.mail import DeliveryError, PermanentFailure, TemporaryFailure, get_mailer
from bazaar.notifications.models import Channel, MessageStatus, OutboxMessage
from bazaar.notifications.render import build_email, render, rendering_batch
from bazaar.notifications.sms import get_gateway

log = logging.getLogger("bazaar.notifications")

# A claimed row not finished within this time belongs to a worker that died; it is sent again.
CLAIM_LEASE = timedelta(minutes=5)
# Waits before each new try after a temporary failure (then the last one repeats).
RETRY_DELAYS = (30, 120, 600, 3600, 7200)
MAX_ATTEMPTS = 10
BATCH_SIZE = 50
# A sweep stops claiming new batches after this long, so beat's next sweep can take over.
SWEEP_SECONDS = 50
# Messages due within this margin of their commit are kicked to the worker at once.
IMMEDIATE = timedelta(seconds=5)
# The worker's task that sends one row, called by name: the worker sits above every domain.
SEND_TASK = "worker.tasks.send_message"
# Errors of the infrastructure, not of the message: the row is tried again later.
TRANSIENT_ERRORS = (DBAPIError, DisconnectionError, PendingRollbackError, OSError, TimeoutError)
# How often an outcome mark is written again after its connection was cut.
FINISH_TRIES = 4


def is_transient(exc: BaseException) -> bool:
    """A database, broker or network error: trying again later may succeed."""
    return isinstance(exc, TRANSIENT_ERRORS)


def dedup_key(kind: str, recipient: str, subject_type: str | None, subject_id: int | None, version) -> str:
    return f"{kind}:{recipient}:{subject_type or '-'}:{subject_id or '-'}:{version}"


def message_row(
    kind: str,
    *,
    user=None,
    to_address: str | None = None,
    event=None,
    subject=None,
    payload: dict | None = None,
    due_at: datetime | None = None,
    expires_at: datetime | None = None,
    version=0,
    channel: str = Channel.EMAIL,
    language: str | None = None,
) -> dict | None:
    """The outbox row of a message, as column values; None when it has no recipient address.

    ``subject`` is the object the message is about (a Booking, Registration, ...); with ``kind``,
    the recipient and ``version`` it makes the message's unique key (:func:`dedup_key`)."""
    address = to_address or (user.email if user is not None else None)
    if not address:
        return None
    subject_type = type(subject).__name__.lower() if subject is not None else None
    subject_id = subject.id if subject is not None else None
    now = utcnow()
    return {
        "dedup_key": dedup_key(kind, address, subject_type, subject_id, version),
        "kind": kind,
        "channel": channel,
        "user_id": user.id if user is not None else None,
        "to_address": address,
        "language": language or (user.preferred_language if user is not None else "sv"),
        "event_id": event.id if event is not None else None,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "payload": payload or {},
        "due_at": due_at or now,
        "expires_at": expires_at,
        "status": MessageStatus.PENDING,
        "attempts": 0,
        "created_at": now,
    }


def queue(kind: str, **message) -> OutboxMessage | None:
    """Add a message to the outbox in the current transaction (the caller commits); the keywords
    are :func:`message_row`'s. Queueing the same message twice (same unique key) writes one row.
    Returns the row, or None if it was already queued."""
    row = message_row(kind, **message)
    if row is None:
        return None
    if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedup_key == row["dedup_key"])) is not None:
        return None
    added = OutboxMessage(**row)
    db.session.add(added)
    return added


@cache
def _insert_rows_statement(on_postgres: bool):
    """The INSERT of :func:`queue_rows`, built once per process and database kind."""
    return insert_skipping_conflicts(OutboxMessage.__table__).returning(OutboxMessage.id, OutboxMessage.due_at)


def queue_rows(rows: list[dict | None]) -> None:
    """Write the messages ``rows`` (from :func:`message_row`; Nones are left out) in one multi-row
    ``INSERT ... ON CONFLICT DO NOTHING`` (the unique dedup key) in the current transaction: a message
    already queued stays as it is, nothing is read back, and the due ones are handed to a worker
    after commit like :func:`queue`'s."""
    rows = [row for row in rows if row is not None]
    if not rows:
        return
    written = db.session.execute(_insert_rows_statement(is_postgres()), rows).all()
    soon = utcnow() + IMMEDIATE
    db.session.info.setdefault("outbox_kick", set()).update(id_ for id_, due in written if due <= soon)


def erase_mentions(event_ids, people: list[tuple[str, str]]) -> int:
    """In the messages of ``event_ids``, blank every payload string (at any depth) that is one of the
    people's names or holds one of their addresses, and error texts that hold an address: other
    people's messages that mention an erased person (an interviewer's digest, a group's "registered
    by"). ``people`` are (name, address) pairs, so a batch of erasures reads the messages once.
    Returns rows changed."""
    names = {name.strip() for name, _ in people if name.strip()}
    addresses = [address for _, address in people if address]

    def scrub(value):
        if isinstance(value, str):
            return "" if value.strip() in names or any(a in value for a in addresses) else value
        if isinstance(value, list):
            return [scrub(v) for v in value]
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items()}
        return value

    changed = 0
    for message in db.session.scalars(select(OutboxMessage).where(OutboxMessage.event_id.in_(event_ids))):
        payload = scrub(message.payload or {})
        error = scrub(message.last_error)
        if payload != (message.payload or {}) or error != message.last_error:
            message.payload, message.last_error = payload, error or None
            changed += 1
    return changed


def cancel_pending(subject, kinds: tuple[str, ...] | None = None, keep=()) -> int:
    """Cancel messages about ``subject`` that are not sent yet (e.g. a cancelled booking's
    reminders), of ``kinds`` if given, except those whose dedup key is in ``keep``."""
    q = update(OutboxMessage).where(
        OutboxMessage.subject_type == type(subject).__name__.lower(),
        OutboxMessage.subject_id == subject.id,
        OutboxMessage.status == MessageStatus.PENDING,
    )
    if kinds:
        q = q.where(OutboxMessage.kind.in_(kinds))
    if keep:
        q = q.where(OutboxMessage.dedup_key.not_in(list(keep)))
    return db.session.execute(q.values(status=MessageStatus.CANCELLED)).rowcount


def queue_or_revive(
    kind: str, *, subject, version, address: str, due_at: datetime, expires_at: datetime | None, payload: dict, **kw
) -> OutboxMessage | None:
    """Queue a message, or bring back the cancelled row with the same key (e.g. a reminder time
    changed and then changed back). A row already sent or failed stays as it is."""
    row = message_row(
        kind,
        subject=subject,
        version=version,
        to_address=address,
        due_at=due_at,
        expires_at=expires_at,
        payload=payload,
        **kw,
    )
    if row is None:
        return None
    existing = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key == row["dedup_key"]))
    if existing is None:
        added = OutboxMessage(**row)
        db.session.add(added)
        return added
    if existing.status == MessageStatus.CANCELLED:
        existing.status, existing.due_at, existing.expires_at = MessageStatus.PENDING, due_at, expires_at
        existing.payload, existing.attempts, existing.last_error = payload, 0, None
    return existing


# Set-based versions for a whole event's scheduled messages at once (a fixed handful of statements
# however many rows): the caller commits, and expires what it loaded before.


def cancel_pending_where(*where) -> None:
    """Cancel the pending messages matching ``where``, in one statement."""
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.PENDING, *where)
        .values(status=MessageStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )


def revive_cancelled(dedup_keys) -> None:
    """Put cancelled messages with these dedup keys (a list or a subquery) back in line, tries reset."""
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.CANCELLED, OutboxMessage.dedup_key.in_(dedup_keys))
        .values(status=MessageStatus.PENDING, attempts=0, last_error=None)
        .execution_options(synchronize_session=False)
    )


def queue_selected(columns: tuple[str, ...], rows) -> None:
    """Queue, in one INSERT ... SELECT, the messages ``rows`` selects (its columns named by
    ``columns``, ``created_at`` last)."""
    db.session.execute(insert(OutboxMessage).from_select(columns, rows))


# ---- after-commit kick ---------------------------------------------------------------------


@sa_event.listens_for(db.session, "after_flush")
def _remember_immediate(session, flush_context):
    soon = utcnow() + IMMEDIATE
    ids = session.info.setdefault("outbox_kick", set())
    for obj in session.new:
        if isinstance(obj, OutboxMessage) and obj.due_at <= soon:
            ids.add(obj.id)


@sa_event.listens_for(db.session, "after_commit")
def _kick_worker(session):
    ids = session.info.pop("outbox_kick", None)
    if ids:
        kick(sorted(ids))


@sa_event.listens_for(db.session, "after_rollback")
def _forget_kick(session):
    session.info.pop("outbox_kick", None)


def kick(message_ids: list[int]) -> None:
    """Ask a worker to send these rows now. Best effort: if the broker is down, the sweep sends them."""
    celery = current_app.extensions["celery"]
    for message_id in message_ids:
        try:
            # ignore_result: as the task itself does; else send_task subscribes to the result backend,
            # and with Redis down that waits instead of failing fast.
            celery.send_task(
                SEND_TASK,
                (message_id,),
                ignore_result=True,
                retry=True,
                retry_policy={"max_retries": 1, "interval_start": 0.2},
            )
        except Exception:  # the broker's errors vary by transport; the row is safe in the outbox
            log.warning("could not hand message %s to the broker; the sweep will send it", message_id, exc_info=True)
            return


# ---- claiming and sending ------------------------------------------------------------------


def _new_token() -> str:
    return secrets.token_hex(16)


def claim_one(message_id: int) -> str | None:
    """Claim one pending, due row; returns the claim token, or None if it is not ours to send."""
    token, now = _new_token(), utcnow()
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id, OutboxMessage.status == MessageStatus.PENDING, OutboxMessage.due_at <= now
        )
        .values(status=MessageStatus.CLAIMED, claimed_at=now, claim_token=token, attempts=OutboxMessage.attempts + 1)
    ).rowcount
    db.session.commit()
    return token if claimed else None


def claim_due(limit: int = BATCH_SIZE) -> tuple[str, list[int]]:
    """Claim up to ``limit`` due rows, oldest first. PostgreSQL: rows locked by another sweep are
    skipped, not waited for. SQLite: the transaction is BEGIN IMMEDIATE, so sweeps take turns."""
    token, now = _new_token(), utcnow()
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == MessageStatus.PENDING, OutboxMessage.due_at <= now)
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
        .limit(limit)
    )
    if is_postgres():
        due = due.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(due))
    if ids:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.status == MessageStatus.PENDING)
            .values(
                status=MessageStatus.CLAIMED, claimed_at=now, claim_token=token, attempts=OutboxMessage.attempts + 1
            )
        )
        ids = list(
            db.session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.claim_token == token).order_by(OutboxMessage.id)
            )
        )
    db.session.commit()
    return token, ids


class _Marks:
    """Writes each claimed row's outcome in its own short transaction, on one connection kept for
    the batch (on PostgreSQL in autocommit: the conditional UPDATE is the whole transaction, one
    round trip). A cut connection is replaced and the mark written again (it is conditional on our
    claim, so writing it twice is harmless)."""

    def __init__(self):
        self._conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self):
        if self._conn is None:
            conn = db.engine.connect()
            self._conn = conn.execution_options(isolation_level="AUTOCOMMIT") if is_postgres() else conn
        return self._conn

    def write(self, message_id: int, token: str, **values) -> bool:
        """Record the outcome of our claim on one row; False if the row is no longer ours."""
        table = OutboxMessage.__table__
        statement = (
            update(table)
            .where(table.c.id == message_id, table.c.claim_token == token, table.c.status == MessageStatus.CLAIMED)
            .values(claim_token=None, **values)
        )
        for attempt in range(1, FINISH_TRIES + 1):
            try:
                conn = self._connection()
                with conn.begin():
                    return bool(conn.execute(statement).rowcount)
            except TRANSIENT_ERRORS:
                self.close()
                if attempt == FINISH_TRIES:
                    raise  # the row stays claimed; the sweep takes it back when the lease runs out
                log.warning("marking message %s failed on a lost connection; trying again", message_id)
                time.sleep(0.2 * attempt)
        return False


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1])


@dataclass
class _Ready:
    """A claimed row rendered and ready to hand over, or already decided (``outcome``)."""

    message_id: int
    attempts: int = 0
    channel: str = Channel.EMAIL
    to_address: str = ""
    content: object = None  # an email.message.Message, or the text of an SMS
    outcome: dict | None = None


def _retry_later(attempts: int, error: str) -> dict:
    """The outcome of a temporary failure: pending again after the backoff, or failed for good
    once :data:`MAX_ATTEMPTS` tries are used up."""
    if attempts >= MAX_ATTEMPTS:
        return {"status": MessageStatus.FAILED, "last_error": f"gave up after {attempts} tries: {error}"[:2000]}
    return {"status": MessageStatus.PENDING, "due_at": utcnow() + retry_delay(attempts), "last_error": error[:2000]}


def _prepare(message: OutboxMessage, now: datetime) -> _Ready:
    ready = _Ready(message.id, message.attempts, message.channel, message.to_address)
    if message.expires_at is not None and message.expires_at <= now:
        ready.outcome = {"status": MessageStatus.SKIPPED, "last_error": "expired before it could be sent"}
        return ready
    try:
        if message.channel == Channel.WEBHOOK:
            secret = registry.webhook_secret(message)
            if secret is None:
                ready.outcome = {
                    "status": MessageStatus.SKIPPED,
                    "last_error": "the webhook was removed or switched off",
                }
                return ready
            ready.content = webhook.build(message.to_address, message.payload, secret)
            return ready
        rendered = render(message)
        ready.content = build_email(message, rendered) if message.channel == Channel.EMAIL else rendered.text
    except TRANSIENT_ERRORS:
        raise  # the database or network, not the message: see _prepare_claimed
    except Exception as exc:  # a template or data error: retrying will not help, the organiser can resend
        log.exception("message %s could not be rendered", message.id)
        ready.outcome = {"status": MessageStatus.FAILED, "last_error": f"render: {type(exc).__name__}: {exc}"[:2000]}
    return ready


def _prepare_claimed(token: str) -> list[_Ready]:
    """Load and render every row of one claim in one read, then end that read: no transaction
    is held while talking to SMTP (on SQLite it would block every writer)."""
    prepared: list[_Ready] = []
    claimed: list[tuple[int, int]] = []  # (id, attempts) of every row of the claim
    try:
        messages = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.claim_token == token)
            .order_by(OutboxMessage.id)
            # Recipients and events in one query each, not one per row.
            .options(selectinload(OutboxMessage.user), selectinload(OutboxMessage.event))
            .execution_options(populate_existing=True)
        ).all()
        claimed = [(m.id, m.attempts) for m in messages]
        now = utcnow()
        loaded = registry.prefetch_for(messages)  # held while rendering: the session's map is weak
        with rendering_batch():
            for message in messages:
                prepared.append(_prepare(message, now))
        del loaded
    except TRANSIENT_ERRORS as exc:
        # The database (or network) went away mid-read: the rows not yet rendered wait and retry.
        log.warning("rendering claim %s stopped on %s; its rows will be tried again", token, type(exc).__name__)
        error = f"temporary: {type(exc).__name__}: {exc}"
        done = {ready.message_id for ready in prepared}
        prepared += [
            _Ready(message_id, attempts, outcome=_retry_later(attempts, error))
            for message_id, attempts in claimed
            if message_id not in done
        ]
    finally:
        db.session.rollback()
    return prepared


def _transmit(ready: _Ready, token: str, mailer, marks: _Marks) -> str:
    """Hand one prepared row over and record the outcome; returns the row's new status."""
    if ready.outcome is not None:
        marks.write(ready.message_id, token, **ready.outcome)
        return "retry" if ready.outcome["status"] == MessageStatus.PENDING else ready.outcome["status"]
    try:
        if ready.channel == Channel.SMS:
            get_gateway().send(ready.to_address, ready.content)
        elif ready.channel == Channel.WEBHOOK:
            webhook.post(ready.content)
        else:
            mailer.send(ready.content)
    except PermanentFailure as exc:
        marks.write(ready.message_id, token, status=MessageStatus.FAILED, last_error=str(exc)[:2000])
        return MessageStatus.FAILED
    except (TemporaryFailure, DeliveryError) as exc:
        outcome = _retry_later(ready.attempts, str(exc))
        marks.write(ready.message_id, token, **outcome)
        return "retry" if outcome["status"] == MessageStatus.PENDING else MessageStatus.FAILED
    # Accepted by the server: mark it sent at once (the only crash window, see the module docstring).
    marks.write(ready.message_id, token, status=MessageStatus.SENT, sent_at=utcnow(), last_error=None)
    return MessageStatus.SENT


def _send_claimed(token: str, mailer, marks: _Marks) -> list[str]:
    """Send the rows of one claim. Rows not reached within half the lease (a very slow SMTP
    server) go back to pending untouched, so a sweep that takes them over never doubles them."""
    started = time.monotonic()
    outcomes = []
    for ready in _prepare_claimed(token):
        if time.monotonic() - started > CLAIM_LEASE.total_seconds() / 2:
            marks.write(ready.message_id, token, status=MessageStatus.PENDING, attempts=OutboxMessage.attempts - 1)
            outcomes.append("released")
        else:
            outcomes.append(_transmit(ready, token, mailer, marks))
    return outcomes


def send_now(message_id: int) -> str:
    """Send one row if it is still pending and due (the after-commit kick)."""
    token = claim_one(message_id)
    if token is None:
        return "not-pending"
    with get_mailer() as mailer, _Marks() as marks:
        outcomes = _send_claimed(token, mailer, marks)
    return outcomes[0] if outcomes else "lost"


def skip_expired() -> int:
    now = utcnow()
    count = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == MessageStatus.PENDING,
            OutboxMessage.expires_at.is_not(None),
            OutboxMessage.expires_at <= now,
        )
        .values(status=MessageStatus.SKIPPED, last_error="expired before it could be sent")
    ).rowcount
    db.session.commit()
    return count


def reclaim_abandoned() -> int:
    """Put rows whose claim outlived its lease (the worker died) back to pending."""
    now = utcnow()
    count = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.CLAIMED, OutboxMessage.claimed_at < now - CLAIM_LEASE)
        .values(status=MessageStatus.PENDING, claim_token=None, last_error="claim lease ran out (worker stopped?)")
    ).rowcount
    db.session.commit()
    if count:
        log.warning("reclaimed %s messages abandoned by a stopped worker", count)
    return count


def dispatch_due_messages(
    max_seconds: float = SWEEP_SECONDS, batch_size: int = BATCH_SIZE, on_backlog=None, on_time_up=None
) -> int:
    """The beat sweep: skip expired rows, take back abandoned claims, then claim and send due rows
    in batches until none are left (or ``max_seconds`` passed). Returns how many were sent.

    ``on_backlog`` is called once if the first batch was full (more rows wait), so the caller can
    start a helper sweep in another worker process; claims keep the two apart. ``on_time_up`` is
    called if time ran out with rows still waiting, so the caller can continue in a new task."""
    reclaim_abandoned()
    skip_expired()
    sent = 0
    started = time.monotonic()
    with get_mailer() as mailer, _Marks() as marks:
        while True:
            if time.monotonic() - started >= max_seconds:
                if on_time_up is not None:
                    on_time_up()
                break
            token, ids = claim_due(batch_size)
            if not ids:
                break
            if on_backlog is not None and len(ids) == batch_size:
                on_backlog()
                on_backlog = None
            sent += _send_claimed(token, mailer, marks).count(MessageStatus.SENT)
    return sent


# ---- the organisers' outbox ----------------------------------------------------------------


def status_counts(event_id: int) -> dict[str, int]:
    rows = db.session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.event_id == event_id)
        .group_by(OutboxMessage.status)
    )
    counts = dict.fromkeys(MessageStatus, 0)
    counts.update({status: n for status, n in rows})
    return counts


def resend(message: OutboxMessage) -> bool:
    """Give a failed message another go: back to pending, due now, tries counted afresh."""
    done = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.status == MessageStatus.FAILED)
        .values(status=MessageStatus.PENDING, due_at=utcnow(), attempts=0, claim_token=None)
    ).rowcount
    db.session.commit()
    if done:
        kick([message.id])
    return bool(done)


def failed_messages(page: int, page_size: int) -> tuple[int, list[OutboxMessage]]:
    """Every failed message, of an event or of none (sign-up verifications, password resets ...),
    newest first: (how many in all, the rows of ``page``)."""
    query = select(OutboxMessage).where(OutboxMessage.status == MessageStatus.FAILED)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.order_by(OutboxMessage.due_at.desc(), OutboxMessage.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    return total, rows


def resend_failed(event_id: int | None = None) -> int:
    """Give every failed message (of one event, or all) another go; how many were revived."""
    query = select(OutboxMessage).where(OutboxMessage.status == MessageStatus.FAILED)
    if event_id is not None:
        query = query.where(OutboxMessage.event_id == event_id)
    return sum(resend(message) for message in db.session.scalars(query).all())
