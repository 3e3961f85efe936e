"""Interview slots on a table: generating them, blocking, unblocking and removing them.

Generation never puts two slots on a table at overlapping times: the unique (table, start, seat)
index refuses exact duplicates (generated slots all take seat 0; only a speed-dating round has
more), the generator skips any time that overlaps a slot already there, and on PostgreSQL the
advisory lock ``Lock.TABLE_SLOTS`` per table serialises two generations running at once (SQLite
serialises every writer with BEGIN IMMEDIATE). Running the same generation twice therefore
creates nothing the second time.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bazaar.activitylog.models import Action
from bazaar.activitylog.services import log_action
from bazaar.booking.models import Booking, BookingChange, CancelReason, Slot, SlotFormat, SlotStatus
from bazaar.booking.notifications import booking_changed
from bazaar.booking.services import cancel_booking
from bazaar.events import signals as event_signals
from bazaar.events.services import DayMove, SlotsInTheWay
from bazaar.exhibitors.models import InterviewTable, Opening
from bazaar.extensions import db
from bazaar.locking import Lock, lock

SLOT_LENGTHS = (10, 15, 20, 25, 30, 45, 60)


class ScheduleError(Exception):
    """The slot plan cannot be used; ``str(error)`` says why."""


@dataclass(frozen=True)
class SlotPlan:
    """Slots to make on one day of the fair, in the event's local time."""

    day: date
    start: time
    end: time
    length_minutes: int
    gap_minutes: int = 0
    breaks: tuple[tuple[time, time], ...] = ()
    format: str = SlotFormat.JOBBDATING
    opening_id: int | None = None


@dataclass
class GenerationResult:
    created: list[Slot]
    skipped: int  # times left out because a slot on the table already covered them


def parse_breaks(text_value: str) -> tuple[tuple[time, time], ...]:
    """``"12:00-13:00, 15:00-15:15"`` as pairs of times; raises ScheduleError if malformed."""
    breaks = []
    for part in (text_value or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        pieces = [p.strip() for p in part.replace("–", "-").split("-")]
        if len(pieces) != 2:
            raise ScheduleError(part)
        try:
            start, end = (time.fromisoformat(p) for p in pieces)
        except ValueError as exc:
            raise ScheduleError(part) from exc
        if end <= start:
            raise ScheduleError(part)
        breaks.append((start, end))
    return tuple(sorted(breaks))


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(ZoneInfo("UTC"))


def planned_times(plan: SlotPlan, tz: str) -> list[tuple[datetime, datetime]]:
    """The (start, end) pairs in UTC the plan asks for, skipping breaks."""
    if plan.length_minutes <= 0 or plan.gap_minutes < 0:
        raise ScheduleError("length")
    zone = ZoneInfo(tz)
    start, end = _local(plan.day, plan.start, zone), _local(plan.day, plan.end, zone)
    if end <= start:
        raise ScheduleError("end")
    breaks = [(_local(plan.day, b0, zone), _local(plan.day, b1, zone)) for b0, b1 in plan.breaks]
    length, gap = timedelta(minutes=plan.length_minutes), timedelta(minutes=plan.gap_minutes)
    times, cursor = [], start
    while cursor + length <= end:
        clash = next((b1 for b0, b1 in breaks if cursor < b1 and b0 < cursor + length), None)
        if clash is not None:
            cursor = clash
            continue
        times.append((cursor, cursor + length))
        cursor += length + gap
    return times


def _generate(table: InterviewTable, plan: SlotPlan) -> GenerationResult:
    """Create the plan's slots on ``table`` within the hours of the fair's day; times already covered by
    a slot on the table are skipped; a removed slot at the exact time is reopened."""
    event = table.exhibitor.event
    if plan.format not in tuple(SlotFormat):
        raise ScheduleError("format")
    if plan.opening_id is not None:
        opening = db.session.get(Opening, plan.opening_id)
        if opening is None or opening.exhibitor_id != table.exhibitor_id:
            raise ScheduleError("opening")
    wanted = planned_times(plan, event.timezone)
    if not wanted:
        raise ScheduleError("empty")
    day = event.day_on(plan.day)
    if day is None or wanted[0][0] < day.opens_at or wanted[-1][1] > day.closes_at:
        raise ScheduleError("outside event")

    lock(Lock.TABLE_SLOTS, table.id)
    existing = list(
        db.session.scalars(
            select(Slot).where(Slot.table_id == table.id, Slot.starts_at < wanted[-1][1], Slot.ends_at > wanted[0][0])
        )
    )
    live = [s for s in existing if s.status != SlotStatus.REMOVED]
    removed_at = {s.starts_at: s for s in existing if s.status == SlotStatus.REMOVED and s.seat == 0}
    created, skipped = [], 0
    for starts_at, ends_at in wanted:
        if any(s.starts_at < ends_at and starts_at < s.ends_at for s in live):
            skipped += 1
            continue
        slot = removed_at.get(starts_at)
        if slot is None:
            slot = Slot(event_id=event.id, exhibitor_id=table.exhibitor_id, table_id=table.id, starts_at=starts_at)
            db.session.add(slot)
        slot.ends_at = ends_at
        slot.session_id = None  # a removed speed-dating seat reopened is a plain slot
        slot.format = plan.format
        slot.opening_id = plan.opening_id
        slot.status = SlotStatus.OPEN
        live.append(slot)
        created.append(slot)
    db.session.flush()
    return GenerationResult(created=created, skipped=skipped)


def generate_slots(table: InterviewTable, plan: SlotPlan, days: tuple[date, ...] = ()) -> GenerationResult:
    """The plan's slots on each of ``days`` (default: the plan's day), all or none; raises ScheduleError."""
    created, skipped = [], 0
    try:
        for day in days or (plan.day,):
            result = _generate(table, replace(plan, day=day))
            created += result.created
            skipped += result.skipped
    except ScheduleError:
        db.session.rollback()
        raise
    if created:
        data = {"exhibitor": table.exhibitor.name, "table": table.name, "created": len(created), "skipped": skipped}
        log_action(table.exhibitor.event, Action.SLOTS_GENERATED, obj=table, data=data | {"format": plan.format})
    db.session.commit()
    return GenerationResult(created=created, skipped=skipped)


def live_booking(slot: Slot) -> Booking | None:
    return db.session.scalar(select(Booking).where(Booking.slot_id == slot.id, Booking.is_live))


def set_blocked(slot: Slot, blocked: bool) -> Slot:
    """Block a slot (no new bookings; a booking already made stays) or open it again."""
    if slot.status == SlotStatus.REMOVED:
        raise ScheduleError("removed")
    status = SlotStatus.BLOCKED if blocked else SlotStatus.OPEN
    if slot.status != status:
        _log(slot, Action.SLOT_BLOCKED if blocked else Action.SLOT_OPENED)
    slot.status = status
    db.session.commit()
    return slot


def remove_slot(slot: Slot, actor) -> Booking | None:
    """Take a slot off the schedule; a booking in it is cancelled and the visitor told (by the
    booking domain). Returns the cancelled booking, if any."""

    booking = live_booking(slot)
    if booking is not None:
        cancel_booking(booking, actor, reason=CancelReason.SLOT_REMOVED, commit=False)
    _log(slot, Action.SLOT_REMOVED, actor, booking_cancelled=booking is not None)
    slot.status = SlotStatus.REMOVED
    slot.held_for_registration_id = None
    slot.held_until = None
    db.session.commit()
    return booking


def _log(slot: Slot, action: Action, actor=None, **data) -> None:
    table = slot.table
    named = {"exhibitor": table.exhibitor.name, "table": table.name, "starts_at": slot.starts_at}
    log_action(table.exhibitor.event, action, actor, slot, named | data)


def table_slots(table: InterviewTable) -> list[tuple[Slot, Booking | None]]:
    """The table's slots that are not removed, in time order, each with its live booking."""
    rows = db.session.execute(
        select(Slot, Booking)
        .outerjoin(Booking, (Booking.slot_id == Slot.id) & (Booking.is_live))
        .where(Slot.table_id == table.id, Slot.status != SlotStatus.REMOVED)
        .order_by(Slot.starts_at)
    )
    return [(slot, booking) for slot, booking in rows]


# Far enough ahead that no slot lives there: slots are parked there while a day moves, so no
# moved slot meets another on the unique (table, start) or (visitor, start) indexes on the way.
_PARKED = timedelta(days=100 * 366)


@event_signals.days_changed.connect
def _days_changed(event, moves: list[DayMove], **_) -> None:
    move_slots_with_days(event, moves)


def move_slots_with_days(event, moves: list[DayMove]) -> list[Booking]:
    """Move each changed day's slots by its shift (the same offset from the day's opening) with
    their bookings, each visitor told with an updated calendar file; slots that no longer fit the
    day's hours, or whose day went, are removed. Raises SlotsInTheWay (the caller rolls back) when
    a booked interview would not fit. The caller commits; returns the moved bookings."""
    in_the_way, placed = [], []
    for move in moves:
        slots = db.session.scalars(
            select(Slot)
            .where(Slot.event_id == event.id, Slot.starts_at >= move.window_start, Slot.starts_at < move.window_end)
            .order_by(Slot.starts_at)
        ).all()
        for slot in slots:
            booking = live_booking(slot)
            starts_at, ends_at = slot.starts_at + move.shift, slot.ends_at + move.shift
            fits = move.opens_at is not None and move.opens_at <= starts_at and ends_at <= move.closes_at
            if not fits and booking is not None:
                in_the_way.append(booking)
            elif not fits:
                slot.status = SlotStatus.REMOVED
                slot.held_for_registration_id = slot.held_until = None
            elif move.shift:
                placed.append((slot, booking, starts_at, ends_at))
    if in_the_way:
        raise SlotsInTheWay(sorted(in_the_way, key=lambda b: b.starts_at))
    for parked in (_PARKED, timedelta(0)):  # parked first, then on the new times
        for slot, booking, starts_at, ends_at in placed:
            slot.starts_at, slot.ends_at = starts_at + parked, ends_at + parked
            if booking is not None:
                booking.starts_at, booking.ends_at = slot.starts_at, slot.ends_at
        db.session.flush()
    moved = [booking for _slot, booking, *_ in placed if booking is not None]
    for booking in moved:
        booking.sequence += 1
        booking_changed(booking, BookingChange.RESCHEDULED)
    return moved
