"""Messages that follow from bookings and from the event calendar.

Every booking change (booking's ``booking_changed`` signal, sent inside the booking's transaction)
keeps exactly one live interview reminder per booking and channel (due ``Event.reminder_minutes_before``
before the start, skipped if not sent by the start); changed event times (events' ``times_changed``
signal) recompute them all, and the scheduled messages with them.

The beat task :func:`schedule_event_messages` writes, once their time is near, the day-before
reminder before each day of the fair (to the visitors with an interview that day; before the first
day also to those with none), each interview table's digest before each day, the
morning-after nudge to exhibitors with outcomes missing, and the follow-up survey invitations.
Every row has a unique key, so running it every minute writes each message once.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, func, literal, select, union_all
from sqlalchemy.orm import selectinload

from bazaar.accounts.models import User, VisitorProfile
from bazaar.booking import signals as booking_signals
from bazaar.booking.models import Booking, BookingChange, Slot
from bazaar.booking.notifications import booking_payload
from bazaar.clock import utcnow
from bazaar.database import iso_utc, json_object, minute_stamp, minutes_before
from bazaar.db_types import UTCDateTime
from bazaar.events import signals as event_signals
from bazaar.events.models import Event, EventStatus
from bazaar.exhibitors.models import ApplicationStatus, Exhibitor, ExhibitorStaff, InterviewTable
from bazaar.extensions import db
from bazaar.notifications.models import Channel, MessageStatus, OutboxMessage
from bazaar.notifications.services import (
    cancel_pending,
    cancel_pending_where,
    dedup_key,
    message_row,
    queue_or_revive,
    queue_selected,
    revive_cancelled,
)
from bazaar.registrations.models import Registration, RegistrationStatus
from bazaar.reminders.notifications import (
    DAY_BEFORE,
    DIGEST,
    OUTCOME_NUDGE,
    REMINDER,
    SCHEDULED_KINDS,
    SURVEY_INVITATION,
)
from bazaar.tokens import SignedLink

# Scheduled rows are written this long before they are due (so their contents are fresh).
LOOKAHEAD = timedelta(minutes=10)
DAY_BEFORE_AT = time(10, 0)  # local time at the venue
NUDGE_AT = time(9, 0)
NUDGE_VALID = timedelta(days=3)
SURVEY_VALID = timedelta(days=21)
# The link in a survey invitation; one from the last wave (90 days after the fair) works a good while.
SURVEY_LINK = SignedLink(
    "survey",
    Registration,
    {"r": "id"},
    timedelta(days=120),
    usable=lambda reg: reg.user_id is not None,
)
# Events that ended longer ago than this have nothing left to schedule (surveys go out within a year).
FOLLOWUP_HORIZON = timedelta(days=400)


def _local_at(moment: datetime, tz: str, days: int, at: time) -> datetime:
    """``at`` o'clock at the venue, ``days`` days after the local date of ``moment``, in UTC."""
    zone = ZoneInfo(tz)
    day = moment.astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(day, at, tzinfo=zone).astimezone(ZoneInfo("UTC"))


def day_before_due(event, day=None) -> datetime:
    """When the day-before messages of ``day`` (default: the fair's first day) go out."""
    return _local_at(day.opens_at if day is not None else event.starts_at, event.timezone, -1, DAY_BEFORE_AT)


def _day_payload(day) -> dict:
    return {
        "day": day.date.isoformat(),
        "opens_at": day.opens_at.isoformat(),
        "closes_at": day.closes_at.isoformat(),
        "note": day.note or "",
    }


def _on_day(bookings, day) -> list:
    """The bookings (in time order) within ``day``'s opening hours."""
    return [b for b in bookings if day.opens_at <= b.starts_at < day.closes_at]


def morning_after_due(event) -> datetime:
    return _local_at(event.ends_at, event.timezone, 1, NUDGE_AT)


def survey_waves(event) -> list[tuple[int, datetime]]:
    """(days after the fair, when its invitations go out) for each survey wave, in order. The one
    place that says when a wave is sent; the statistics' wave and milestones follow it."""
    return [
        (days, _local_at(event.ends_at, event.timezone, days, DAY_BEFORE_AT))
        for days in sorted({int(d) for d in event.followup_days or ()})
    ]


# ---- bookings ------------------------------------------------------------------------------


@booking_signals.booking_changed.connect
def _booking_changed(booking, event, change, outbox, **_) -> None:
    sync_interview_reminder(booking, event, new_rows=outbox if change == BookingChange.CREATED else None)


def sync_interview_reminder(booking, event, new_rows: list | None = None) -> None:
    """Keep one pending reminder per channel for a live, upcoming booking, due at the right time;
    cancel any other pending reminder for it.

    ``new_rows``: the booking was just created, so none of its reminders is in the outbox yet;
    their rows are added to this list, which the caller writes in one statement."""
    visitor = booking.registration.user
    wanted: dict[str, tuple[str, str]] = {}
    due = booking.starts_at - timedelta(minutes=event.reminder_minutes_before)
    version = f"{booking.sequence}@{due:%Y%m%dT%H%M}"
    if booking.is_live and not booking.walk_in and visitor is not None and booking.starts_at > utcnow():
        targets = [(Channel.EMAIL, visitor.email)] if visitor.email else []  # a group member may have none
        phone = visitor.profile.phone if visitor.profile is not None else None
        if phone:
            targets.append((Channel.SMS, phone))
        for channel, address in targets:
            wanted[dedup_key(REMINDER, address, "booking", booking.id, version)] = (channel, address)
    payload = booking_payload(booking)
    reminder = dict(subject=booking, version=version, due_at=due, expires_at=booking.starts_at, payload=payload)
    if new_rows is not None:
        new_rows += [
            message_row(REMINDER, to_address=address, user=visitor, event=event, channel=channel, **reminder)
            for channel, address in wanted.values()
        ]
        return
    cancel_pending(booking, (REMINDER,), keep=wanted)
    for channel, address in wanted.values():
        queue_or_revive(REMINDER, address=address, user=visitor, event=event, channel=channel, **reminder)


@event_signals.times_changed.connect
def event_times_changed(event, **_) -> None:
    """The event's times or reminder settings changed: recompute every pending reminder and
    scheduled message (the caller commits). Set-based, a fixed handful of statements however many
    bookings the event has, with the same outcome as :func:`sync_interview_reminder` per booking."""
    db.session.flush()
    wanted = _wanted_reminders(event)
    keys = select(wanted.c.dedup_key)
    cancel_pending_where(
        OutboxMessage.event_id == event.id,
        OutboxMessage.kind == REMINDER,
        OutboxMessage.subject_type == "booking",
        OutboxMessage.dedup_key.not_in(keys),
    )
    revive_cancelled(keys)
    columns = (
        "dedup_key",
        "kind",
        "channel",
        "event_id",
        "user_id",
        "to_address",
        "language",
        "subject_type",
        "subject_id",
        "payload",
        "due_at",
        "expires_at",
        "status",
        "attempts",
        "created_at",
    )
    queue_selected(
        columns,
        select(*(wanted.c[name] for name in columns[:-1]), literal(utcnow(), UTCDateTime())).where(
            wanted.c.dedup_key.not_in(
                select(OutboxMessage.dedup_key).where(
                    OutboxMessage.subject_type == "booking", OutboxMessage.kind == REMINDER
                )
            )
        ),
    )
    cancel_pending_where(OutboxMessage.event_id == event.id, OutboxMessage.kind.in_(SCHEDULED_KINDS))
    db.session.expire_all()  # rows loaded before no longer hold what the statements wrote
    ensure_event_messages(event)


def _wanted_reminders(event):
    """One row per reminder the event's live, upcoming bookings should have (an email, and a text
    message where the visitor gave a phone number), with the outbox columns and key it gets.
    The key and payload are :func:`dedup_key` and :func:`booking_payload` written in SQL (booking
    times are whole minutes); tests/notifications/test_reminders.py holds the two equal."""

    due = minutes_before(Booking.starts_at, event.reminder_minutes_before)
    payload = json_object(
        "booking_id",
        Booking.id,
        "exhibitor",
        Exhibitor.name,
        "booth",
        func.coalesce(Exhibitor.booth_number, ""),
        "booth_location",
        func.coalesce(Exhibitor.booth_location, ""),
        "table",
        func.coalesce(InterviewTable.name, ""),
        "format",
        func.coalesce(Slot.format, ""),
        "starts_at",
        iso_utc(Booking.starts_at),
        "ends_at",
        iso_utc(Booking.ends_at),
        "sequence",
        Booking.sequence,
        "cancel_reason",
        func.coalesce(Booking.cancel_reason, ""),
    )

    def targets(channel: str, address):
        key = (
            literal(f"{REMINDER}:")
            + address
            + literal(":booking:")
            + cast(Booking.id, String)
            + literal(":")
            + cast(Booking.sequence, String)
            + literal("@")
            + minute_stamp(due)
        )
        return (
            select(
                key.label("dedup_key"),
                literal(REMINDER).label("kind"),
                literal(channel, String).label("channel"),
                Booking.event_id.label("event_id"),
                User.id.label("user_id"),
                address.label("to_address"),
                User.preferred_language.label("language"),
                literal("booking").label("subject_type"),
                Booking.id.label("subject_id"),
                payload.label("payload"),
                due.label("due_at"),
                Booking.starts_at.label("expires_at"),
                literal(MessageStatus.PENDING, String).label("status"),
                literal(0).label("attempts"),
            )
            .join(Registration, Registration.id == Booking.registration_id)
            .join(User, User.id == Registration.user_id)
            .join(Exhibitor, Exhibitor.id == Booking.exhibitor_id)
            .outerjoin(Slot, Slot.id == Booking.slot_id)
            .outerjoin(InterviewTable, InterviewTable.id == Slot.table_id)
            .where(
                Booking.event_id == event.id,
                Booking.is_live,
                Booking.walk_in.is_(False),
                Booking.starts_at > literal(utcnow(), UTCDateTime()),
            )
        )

    by_text = (
        targets(Channel.SMS, VisitorProfile.phone)
        .join(VisitorProfile, VisitorProfile.user_id == User.id)
        .where(VisitorProfile.phone.is_not(None), VisitorProfile.phone != "")
    )
    by_mail = targets(Channel.EMAIL, User.email).where(User.email.is_not(None))  # a group member may have none
    return union_all(by_mail, by_text).subquery("wanted_reminders")


# ---- scheduled messages --------------------------------------------------------------------


def _existing_keys(event_id: int, kind: str) -> dict[str, str]:
    return dict(
        db.session.execute(
            select(OutboxMessage.dedup_key, OutboxMessage.status).where(
                OutboxMessage.event_id == event_id, OutboxMessage.kind == kind
            )
        ).all()
    )


def _ensure(kind: str, existing: dict, *, subject, version, address: str | None, **kw) -> int:
    if not address:
        return 0  # a group member without email (bazaar.coaching)
    key = dedup_key(kind, address, type(subject).__name__.lower(), subject.id, version)
    if existing.get(key, MessageStatus.CANCELLED) != MessageStatus.CANCELLED:
        return 0
    return 1 if queue_or_revive(kind, subject=subject, version=version, address=address, **kw) else 0


def _registered(event_id: int):
    return db.session.scalars(
        select(Registration)
        .join(User, User.id == Registration.user_id)
        .where(Registration.event_id == event_id, Registration.status == RegistrationStatus.REGISTERED)
        .options(selectinload(Registration.user).selectinload(User.profile))
        .order_by(Registration.id)
    ).all()


def _live_bookings(event_id: int):
    return db.session.scalars(
        select(Booking)
        .where(Booking.event_id == event_id, Booking.is_live)
        .options(
            selectinload(Booking.exhibitor),
            selectinload(Booking.slot).selectinload(Slot.table),
            selectinload(Booking.registration),
        )
        .order_by(Booking.starts_at)
    ).all()


def _day_before(event, day, due: datetime) -> int:
    """The day-before reminder of ``day``: to every visitor with an interview that day, and on the
    fair's first day also to every registered visitor with no interview at all."""
    kind, version = DAY_BEFORE, f"{due:%Y%m%d}"
    existing = _existing_keys(event.id, kind)
    bookings = _live_bookings(event.id)
    booked = {b.registration_id for b in bookings}
    schedules: dict[int, list] = {}
    for booking in _on_day(bookings, day):
        schedules.setdefault(booking.registration_id, []).append(booking_payload(booking))
    first_day = day is event.days[0]
    written = 0
    for reg in _registered(event.id):
        if reg.id not in schedules and not (first_day and reg.id not in booked):
            continue
        written += _ensure(
            kind,
            existing,
            subject=reg,
            version=version,
            address=reg.user.email,
            user=reg.user,
            event=event,
            due_at=due,
            expires_at=day.opens_at,
            payload={"registration_id": reg.id, "schedule": schedules.get(reg.id, []), **_day_payload(day)},
        )
    return written


def _digests(event, day, due: datetime) -> int:
    """Each interview table's schedule for ``day``, the day before."""
    kind, version = DIGEST, f"{due:%Y%m%d}"
    existing = _existing_keys(event.id, kind)
    by_table: dict[int, list] = {}
    for booking in _on_day(_live_bookings(event.id), day):
        if booking.slot is None:
            continue
        person = booking.registration.user
        shares = person is not None and person.profile is not None and person.profile.consent_share_profile_at
        by_table.setdefault(booking.slot.table_id, []).append(
            {
                "starts_at": booking.starts_at.isoformat(),
                "ends_at": booking.ends_at.isoformat(),
                "visitor": person.name if shares else "",
            }
        )
    written = 0
    exhibitors = db.session.scalars(
        select(Exhibitor)
        .where(Exhibitor.event_id == event.id, Exhibitor.status == ApplicationStatus.APPROVED)
        .order_by(Exhibitor.id)
    )
    for exhibitor in exhibitors:
        for table in exhibitor.tables:
            interviewer = db.session.get(User, table.interviewer_id) if table.interviewer_id else None
            address = interviewer.email if interviewer is not None else exhibitor.contact_email
            written += _ensure(
                kind,
                existing,
                subject=table,
                version=version,
                address=address,
                user=interviewer,
                event=event,
                due_at=due,
                expires_at=day.opens_at,
                language=interviewer.preferred_language if interviewer else event.default_language,
                payload={
                    "exhibitor": exhibitor.name,
                    "exhibitor_id": exhibitor.id,
                    "booth": exhibitor.booth_number or "",
                    "booth_location": exhibitor.booth_location or "",
                    "table": table.name,
                    "interviews": by_table.get(table.id, []),
                    **_day_payload(day),
                },
            )
    return written


def _outcome_nudges(event, due: datetime) -> int:
    kind, version = OUTCOME_NUDGE, f"{due:%Y%m%d}"
    existing = _existing_keys(event.id, kind)
    missing: dict[int, int] = {}
    for exhibitor_id in db.session.scalars(
        select(Booking.exhibitor_id).where(
            Booking.event_id == event.id, Booking.outcome_missing, Booking.starts_at <= due
        )
    ):
        missing[exhibitor_id] = missing.get(exhibitor_id, 0) + 1
    written = 0
    for exhibitor_id, count in sorted(missing.items()):
        exhibitor = db.session.get(Exhibitor, exhibitor_id)
        admins = [
            s.user
            for s in db.session.scalars(
                select(ExhibitorStaff).where(
                    ExhibitorStaff.exhibitor_id == exhibitor_id, ExhibitorStaff.role == "admin"
                )
            )
        ]
        recipients = [(u.email, u, u.preferred_language) for u in admins] or [
            (exhibitor.contact_email, None, event.default_language)
        ]
        for address, person, language in recipients:
            written += _ensure(
                kind,
                existing,
                subject=exhibitor,
                version=version,
                address=address,
                user=person,
                event=event,
                language=language,
                due_at=due,
                expires_at=due + NUDGE_VALID,
                payload={"exhibitor": exhibitor.name, "exhibitor_id": exhibitor.id, "missing": count},
            )
    return written


def _surveys(event, days: int, due: datetime) -> int:
    kind, version = SURVEY_INVITATION, f"{days}d"
    existing = _existing_keys(event.id, kind)
    written = 0
    for reg in _registered(event.id):
        profile = reg.user.profile
        if reg.checked_in_at is None or profile is None or profile.consent_followup_at is None:
            continue  # visitors who never came have no fair to report on
        written += _ensure(
            kind,
            existing,
            subject=reg,
            version=version,
            address=reg.user.email,
            user=reg.user,
            event=event,
            due_at=due,
            expires_at=due + SURVEY_VALID,
            payload={"registration_id": reg.id, "days": days, "token": SURVEY_LINK.token(reg)},
        )
    return written


def _near(due: datetime, now: datetime, until: datetime) -> bool:
    return due - LOOKAHEAD <= now < until


def ensure_event_messages(event, now: datetime | None = None) -> int:
    """Write the scheduled messages of ``event`` whose time is near; returns how many were new."""
    now = now or utcnow()
    if event.status not in (EventStatus.PUBLISHED, EventStatus.CLOSED, EventStatus.FINISHED):
        return 0
    written = 0
    for day in event.days if event.status != EventStatus.FINISHED else ():
        due = day_before_due(event, day)
        if _near(due, now, day.opens_at):
            written += _day_before(event, day, due) + _digests(event, day, due)
    due = morning_after_due(event)
    if _near(due, now, due + NUDGE_VALID):
        written += _outcome_nudges(event, due)
    for days, due in survey_waves(event):
        if _near(due, now, due + SURVEY_VALID):
            written += _surveys(event, days, due)
    return written


def schedule_event_messages() -> int:
    """For every live event, write the scheduled messages that are due soon (beat, every minute)."""

    now = utcnow()
    written = 0
    events = db.session.scalars(
        select(Event).where(
            Event.status.in_((EventStatus.PUBLISHED, EventStatus.CLOSED, EventStatus.FINISHED)),
            Event.ends_at >= now - FOLLOWUP_HORIZON,
        )
    ).all()
    for event in events:
        written += ensure_event_messages(event, now)
        db.session.commit()
    return written
