"""Speed-dating sessions (:class:`bazaar.booking.models.SpeedDatingSession`): creating one and its
rounds of talk seats, booking a round (on the web or at the door) and turning a talk into a booked
interview. Every booking goes through :mod:`bazaar.booking.services`, so every rule, the locks and
the confirmation in the outbox apply as to any booking.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from bazaar.booking.errors import BookingError, NotChangeable, SlotTaken, SlotUnavailable
from bazaar.booking.models import Attendance, Booking, Slot, SlotFormat, SlotStatus, SpeedDatingSession
from bazaar.booking.rules import bookable_for, live_booking_on
from bazaar.booking.services import book_seat, book_slot
from bazaar.clock import utcnow
from bazaar.exhibitors.models import ApplicationStatus, Exhibitor, InterviewTable
from bazaar.extensions import db
from bazaar.locking import Lock, lock

ROUND_MINUTES = (3, 4, 5, 6, 8, 10, 15)
MAX_ROUNDS = 40
MAX_SEATS = 20


class SessionError(Exception):
    """The session cannot be made as asked; ``str(error)`` says why (a key the views translate)."""


@dataclass(frozen=True)
class SessionPlan:
    starts_at: datetime  # UTC
    round_minutes: int
    rounds: int
    seats: int
    area: str


@dataclass(frozen=True)
class Round:
    """One round of a session: its times, its seats and how many are free."""

    number: int
    starts_at: datetime
    ends_at: datetime
    seats: int
    free: int


def _table(exhibitor: Exhibitor, area: str) -> InterviewTable:
    """The exhibitor's table named after the area, made if it has none."""
    table = next((t for t in exhibitor.tables if t.name == area), None)
    if table is None:
        table = InterviewTable(exhibitor_id=exhibitor.id, name=area)
        db.session.add(table)
        db.session.flush()
    return table


def create_session(event, plan: SessionPlan, exhibitors: list[Exhibitor], actor, shared: bool) -> SpeedDatingSession:
    """Make a session and its seats: ``rounds`` x ``seats`` talk slots per employer, at each
    employer's table named after the area. ``shared``: the organiser's session of the event with
    these participating employers; else the one employer's own. Refused if a seat would overlap a
    slot already on one of those tables."""
    area = (plan.area or "").strip()[:100]
    if not area:
        raise SessionError("area")
    if (
        plan.round_minutes not in ROUND_MINUTES
        or not 1 <= plan.rounds <= MAX_ROUNDS
        or not 1 <= plan.seats <= MAX_SEATS
    ):
        raise SessionError("size")
    if not exhibitors or (not shared and len(exhibitors) != 1):
        raise SessionError("exhibitors")
    if any(e.event_id != event.id or e.status != ApplicationStatus.APPROVED for e in exhibitors):
        raise SessionError("exhibitors")
    session = SpeedDatingSession(
        event_id=event.id,
        exhibitor_id=None if shared else exhibitors[0].id,
        area=area,
        starts_at=plan.starts_at,
        round_minutes=plan.round_minutes,
        rounds=plan.rounds,
        seats=plan.seats,
        created_by_id=getattr(actor, "id", None),
    )
    if event.day_holding(session.starts_at, session.ends_at) is None:
        raise SessionError("outside event")
    tables = sorted((_table(e, area) for e in exhibitors), key=lambda t: t.id)
    for table in tables:
        lock(Lock.TABLE_SLOTS, table.id)
    busy = db.session.scalar(
        select(Slot.id)
        .where(
            Slot.table_id.in_([t.id for t in tables]),
            Slot.status != SlotStatus.REMOVED,
            Slot.starts_at < session.ends_at,
            Slot.ends_at > session.starts_at,
        )
        .limit(1)
    )
    if busy is not None:
        db.session.rollback()
        raise SessionError("busy")
    db.session.add(session)
    db.session.flush()
    length = timedelta(minutes=plan.round_minutes)
    db.session.add_all(
        Slot(
            event_id=event.id,
            exhibitor_id=table.exhibitor_id,
            table_id=table.id,
            starts_at=session.starts_at + n * length,
            ends_at=session.starts_at + (n + 1) * length,
            format=SlotFormat.TALK,
            status=SlotStatus.OPEN,
            session_id=session.id,
            seat=seat,
        )
        for table in tables
        for n in range(plan.rounds)
        for seat in range(plan.seats)
    )
    db.session.commit()
    return session


def sessions_of(event, exhibitor: Exhibitor | None = None) -> list[SpeedDatingSession]:
    """The event's sessions in time order; with ``exhibitor``, those it has seats in."""
    q = select(SpeedDatingSession).where(SpeedDatingSession.event_id == event.id)
    if exhibitor is not None:
        q = q.where(
            SpeedDatingSession.id.in_(select(Slot.session_id).where(Slot.exhibitor_id == exhibitor.id).distinct())
        )
    return list(db.session.scalars(q.order_by(SpeedDatingSession.starts_at, SpeedDatingSession.id)))


def participants(session: SpeedDatingSession) -> list[Exhibitor]:
    """The employers with seats in the session, by name."""
    return list(
        db.session.scalars(
            select(Exhibitor)
            .where(Exhibitor.id.in_(select(Slot.exhibitor_id).where(Slot.session_id == session.id)))
            .order_by(Exhibitor.name)
        )
    )


def rounds_of(session: SpeedDatingSession, now: datetime | None = None) -> list[Round]:
    """The session's rounds with their seats and free seats (one query)."""
    now = now or utcnow()
    free = bookable_for(None, now) & ~live_booking_on(Slot.id, event_id=session.event_id)
    rows = db.session.execute(
        select(Slot.starts_at, func.min(Slot.ends_at), func.count(Slot.id), func.sum(case((free, 1), else_=0)))
        .where(Slot.session_id == session.id, Slot.status != SlotStatus.REMOVED)
        .group_by(Slot.starts_at)
        .order_by(Slot.starts_at)
    ).all()
    return [
        Round(number=n, starts_at=starts, ends_at=ends, seats=int(seats), free=int(open_ or 0))
        for n, (starts, ends, seats, open_) in enumerate(rows, start=1)
    ]


def _free_seats_by_employer(session, starts_at: datetime, registration) -> list[list[Slot]]:
    """The round's free seats, grouped by employer: first the employers the visitor has no talk
    with, then the most free seats first."""
    now = utcnow()
    seats = list(
        db.session.scalars(
            select(Slot)
            .where(
                Slot.session_id == session.id,
                Slot.starts_at == starts_at,
                bookable_for(registration.id, now),
                ~live_booking_on(Slot.id, event_id=session.event_id),
            )
            .order_by(Slot.seat, Slot.id)
        )
    )
    talked = set(
        db.session.scalars(
            select(Booking.exhibitor_id)
            .join(Slot, Slot.id == Booking.slot_id)
            .where(Booking.registration_id == registration.id, Booking.is_live, Slot.format == SlotFormat.TALK)
        )
    )
    count = Counter(s.exhibitor_id for s in seats)
    groups: dict[int, list[Slot]] = {}
    for seat in seats:
        groups.setdefault(seat.exhibitor_id, []).append(seat)
    order = sorted(groups, key=lambda e: (e in talked, -count[e], e))
    return [groups[e] for e in order]


def book_round(registration, session: SpeedDatingSession, starts_at: datetime, actor=None) -> Booking:
    """Seat the visitor in the round of ``session`` starting at ``starts_at`` (the visitor on the
    web, or door staff and the employer for a walk-in). The booking rules apply as to any booking:
    a seat is a booking, counted in the cap and not overlapping an interview. Raises a
    :class:`BookingError` with the message to show."""
    if registration.event_id != session.event_id:
        raise SlotUnavailable(_("That time cannot be booked."))
    groups = _free_seats_by_employer(session, starts_at, registration)
    if not groups:
        raise SlotTaken(_("This round is full."))
    refused: BookingError | None = None
    for seats in groups:
        try:
            return book_seat(registration, seats, actor)
        except SlotTaken as exc:  # this employer's seats went meanwhile: try the next one
            refused = exc
    raise refused


# ---- after the talk -------------------------------------------------------------------------


def interview_times(talk: Booking, now: datetime | None = None, limit: int = 12) -> list[Slot]:
    """Free interview slots (not talks) of the talk's employer that start later on the talk's fair
    day, one per start time, soonest first: the first is "now", the next free one."""
    now = now or utcnow()
    day = talk.exhibitor.event.day_holding(talk.starts_at, talk.ends_at)
    day_end = day.closes_at if day is not None else talk.ends_at
    rows = db.session.scalars(
        select(Slot)
        .where(
            Slot.exhibitor_id == talk.exhibitor_id,
            Slot.format != SlotFormat.TALK,
            Slot.starts_at > now,
            Slot.starts_at < day_end,
            bookable_for(talk.registration_id, now),
            ~live_booking_on(Slot.id, talk.exhibitor_id),
        )
        .order_by(Slot.starts_at, Slot.table_id)
    )
    by_time: dict[datetime, Slot] = {}
    for slot in rows:
        by_time.setdefault(slot.starts_at, slot)
    return list(by_time.values())[:limit]


def interview_from(talk: Booking) -> Booking | None:
    """The live interview booked from ``talk``, if any."""
    return db.session.scalar(select(Booking).where(Booking.from_talk_id == talk.id, Booking.is_live))


def book_interview_after_talk(talk: Booking, slot: Slot, actor) -> Booking:
    """Book the talk's visitor an interview in ``slot`` of the same employer, linked to the talk
    (``Booking.from_talk_id``: the statistics count talks that led to an interview by it). The talk
    is marked held if nobody had marked it. A booking like any other (:func:`book_slot`): every rule
    and the visitor's confirmation apply."""
    if not talk.is_live or not talk.is_talk or talk.attendance == Attendance.NO_SHOW:
        raise NotChangeable(_("Only a talk that was held can lead to an interview."))
    if slot.exhibitor_id != talk.exhibitor_id or slot.format == SlotFormat.TALK:
        raise SlotUnavailable(_("That time cannot be booked."))
    already = NotChangeable(_("An interview is already booked after this talk."))
    if interview_from(talk) is not None:
        raise already

    def link(interview: Booking) -> None:
        if interview_from(talk) is not None:  # booked meanwhile (checked again inside the visitor's lock)
            raise already
        interview.from_talk_id = talk.id
        if talk.attendance == Attendance.UNKNOWN:
            talk.attendance = Attendance.ATTENDED
            talk.attendance_marked_by_id = actor.id

    return book_slot(talk.registration, slot, actor, then=link)
