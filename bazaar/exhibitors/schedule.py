"""Interview slots on a table: generating them, blocking, unblocking and removing them.

Generation never puts two slots on a table at overlapping times: the unique (table, start, seat)
index refuses exact duplicates (generated slots all take seat 0; only a speed-dating round has
more), the generator skips any time that overlaps a slot already there, and on PostgreSQL the
advisory lock ``Lock.TABLE_SLOTS`` per table serialises two generations running at once (SQLite
serialises every writer with BEGIN IMMEDIATE). Running the same generation twice therefore
creates nothing the second time.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bazaar.activitylog.models import Action
from bazaar.activitylog.services import log_action
from bazaar.booking.models import Booking, CancelReason, Slot, SlotFormat, SlotStatus
from bazaar.booking.services import cancel_booking
from bazaar.exhibitors.models import InterviewTable, Opening
from bazaar.extensions import db
from bazaar.locking import Lock, lock

SLOT_LENGTHS = (10, 15, 20, 25, 30, 45, 60)


class ScheduleError(Exception):
    """The slot plan cannot be used; ``str(error)`` says why."""


@dataclass(frozen=True)
class SlotPlan:
    """Slots to make on one day, in the event's local time."""

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


def generate_slots(table: InterviewTable, plan: SlotPlan) -> GenerationResult:
    """Create the plan's slots on ``table`` within the event's hours; times already covered by
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
    if wanted[0][0] < event.starts_at or wanted[-1][1] > event.ends_at:
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
    if created:
        data = {"exhibitor": table.exhibitor.name, "table": table.name, "created": len(created), "skipped": skipped}
        log_action(event, Action.SLOTS_GENERATED, obj=table, data=data | {"format": plan.format})
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
