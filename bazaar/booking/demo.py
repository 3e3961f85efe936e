"""Interview slots and bookings for the demo fair (called at the end of ``bazaar.demo.load_demo``).

Every exhibitor gets 3 tables x 24 slots of 10 minutes (10:00-12:00 and 13:00-15:00, lunch in
between); about half the visitors book 1-3 interviews following the booking rules (no overlaps, one
per exhibitor, at most the event's cap) while every exhibitor keeps 30 % of its times free for
newcomers, but the most popular one, which is full and has a waiting list.
Bulk inserts keep ``flask bazaar demo`` fast.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from bazaar.booking.models import (
    Attendance,
    Booking,
    BookingStatus,
    Slot,
    SlotFormat,
    SlotStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from bazaar.exhibitors.models import Exhibitor, InterviewTable
from bazaar.extensions import db
from bazaar.registrations.models import Registration, RegistrationStatus

SLOT_MINUTES = 10
SESSIONS = ((time(10, 0), 12), (time(13, 0), 12))  # (first start, number of slots): 24 a table
BOOKING_SHARE = 0.5
KEEP_FREE = 0.3  # the share of each exhibitor's times (but the popular one's) left for newcomers
WAITING = 6


def slot_starts(event) -> list[datetime]:
    zone = ZoneInfo(event.timezone)
    day = event.starts_at.astimezone(zone).date()
    starts = []
    for first, count in SESSIONS:
        begin = datetime.combine(day, first, tzinfo=zone)
        starts += [(begin + timedelta(minutes=SLOT_MINUTES * i)).astimezone(ZoneInfo("UTC")) for i in range(count)]
    return starts


def add_slots_and_bookings(event, demo_user, rng, now) -> int:
    """Create the slots and bookings; returns the number of bookings."""
    starts = slot_starts(event)
    tables = db.session.execute(
        select(InterviewTable.id, InterviewTable.exhibitor_id)
        .join(Exhibitor)
        .where(Exhibitor.event_id == event.id)
        .order_by(InterviewTable.exhibitor_id, InterviewTable.id)
    ).all()
    length = timedelta(minutes=SLOT_MINUTES)
    db.session.execute(
        insert(Slot),
        [
            {
                "event_id": event.id,
                "exhibitor_id": exhibitor_id,
                "table_id": table_id,
                "starts_at": start,
                "ends_at": start + length,
                "format": SlotFormat.JOBBDATING,
                "status": SlotStatus.OPEN,
            }
            for table_id, exhibitor_id in tables
            for start in starts
        ],
    )
    free: dict[tuple[int, datetime], list[int]] = {}
    for slot_id, exhibitor_id, start in db.session.execute(
        select(Slot.id, Slot.exhibitor_id, Slot.starts_at).where(Slot.event_id == event.id).order_by(Slot.id)
    ):
        free.setdefault((exhibitor_id, start), []).append(slot_id)
    exhibitor_ids = sorted({exhibitor_id for _, exhibitor_id in tables})

    registrations = dict(
        db.session.execute(
            select(Registration.user_id, Registration.id).where(
                Registration.event_id == event.id, Registration.status == RegistrationStatus.REGISTERED
            )
        ).all()
    )
    demo_reg = registrations.pop(demo_user.id)
    others = sorted(registrations.values())
    rng.shuffle(others)
    rows: list[dict] = []

    def book(reg_id: int, exhibitor_id: int, start: datetime) -> None:
        rows.append(
            {
                "event_id": event.id,
                "exhibitor_id": exhibitor_id,
                "registration_id": reg_id,
                "slot_id": free[(exhibitor_id, start)].pop(),
                "starts_at": start,
                "ends_at": start + length,
                "status": BookingStatus.CONFIRMED,
                "sequence": 0,
                "walk_in": False,
                "attendance": Attendance.UNKNOWN,
                "created_at": now,
            }
        )

    # The demo visitor's own day: two interviews, one at the first exhibitor (the demo booth).
    book(demo_reg, exhibitor_ids[0], starts[3])
    book(demo_reg, exhibitor_ids[5], starts[14])

    # The most popular exhibitor is fully booked (when there are visitors enough), with people waiting.
    popular = exhibitor_ids[1]
    queue = iter(others)
    for start in starts:
        while free[(popular, start)] and (reg_id := next(queue, None)) is not None:
            book(reg_id, popular, start)
    used = len(rows) - 2
    waiting = others[used : used + WAITING]
    cap = event.max_bookings_per_visitor
    # Every other exhibitor keeps a share of its times free, so a newcomer to the demo can still book.
    keep_free = {
        exhibitor_id: int(KEEP_FREE * sum(len(free[(exhibitor_id, s)]) for s in starts))
        for exhibitor_id in exhibitor_ids
    }
    for reg_id in others[used + WAITING : used + WAITING + int(len(others) * BOOKING_SHARE)]:
        taken: set[datetime] = set()
        for exhibitor_id in rng.sample(exhibitor_ids, min(len(exhibitor_ids), rng.randint(1, cap))):
            if sum(len(free[(exhibitor_id, s)]) for s in starts) <= keep_free[exhibitor_id]:
                continue
            options = [s for s in starts if free[(exhibitor_id, s)] and s not in taken]
            if options:
                start = rng.choice(options)
                taken.add(start)
                book(reg_id, exhibitor_id, start)
    db.session.execute(insert(Booking), rows)
    if not waiting:  # a demo too small to fill the popular exhibitor
        return len(rows)
    db.session.execute(
        insert(WaitlistEntry),
        [
            {
                "exhibitor_id": popular,
                "registration_id": reg_id,
                "status": WaitlistStatus.WAITING,
                "offers_made": 0,
                "created_at": now + timedelta(seconds=i),
            }
            for i, reg_id in enumerate(waiting)
        ],
    )
    return len(rows)
