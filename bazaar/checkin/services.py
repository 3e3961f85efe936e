"""Event-day rules: door check-in, walk-in registration, live counters and booth scans.

A ticket is checked in once per day of the fair: the day's Arrival row (unique per visitor and
local date) is inserted with ON CONFLICT DO NOTHING, so however many doors scan the same ticket at
once, exactly one arrival per day is recorded; ``Registration.checked_in_at`` keeps the first
arrival of all. Every scan is logged in DoorScan.
"""

import logging
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Date, String, and_, bindparam, func, literal, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, make_transient_to_detached

from bazaar.accounts.models import User, VisitorProfile
from bazaar.accounts.services import create_user, find_user_by_email
from bazaar.booking.models import Attendance, Booking, BookingStatus, SpeedDatingSession
from bazaar.booking.speeddating import book_round
from bazaar.checkin import signals
from bazaar.checkin.models import Arrival, BoothScan, BoothScanKind, DoorScan, ScanResult
from bazaar.clock import utcnow
from bazaar.database import insert_or_ignore, is_postgres, note_written
from bazaar.db_types import UTCDateTime
from bazaar.events.models import Event
from bazaar.exhibitors.models import Exhibitor
from bazaar.extensions import db
from bazaar.notifications.services import queue
from bazaar.registrations.models import Registration, RegistrationStatus
from bazaar.registrations.services import TICKET_LINK, add_registration, free_places, lock_event_places, my_url
from bazaar.tokens import InvalidToken

WALK_IN_INTERVIEW_MINUTES = 15
WALK_IN_EMAIL_DOMAIN = "walk-in.invalid"  # RFC 2606: never deliverable, so never mailed


class EventFull(Exception):
    """The event has no free place for a walk-in."""


@dataclass
class ScanOutcome:
    result: str
    registration: Registration | None = None
    checked_in_at: datetime | None = None
    door: str | None = None  # for ScanResult.ALREADY: the door that recorded the arrival
    # Copied before commit, so the feedback page needs no reload of the expired rows.
    name: str | None = None
    number: str | None = None
    walk_in: bool = False


def ticket_number(registration: Registration) -> str:
    """A short number printed on the ticket; the same reference exhibitors see for a visitor
    who does not share their profile (``bazaar.exhibitors.services.visitor_card``)."""
    return number_of(registration.ticket_code)


def number_of(ticket_code: str) -> str:
    return ticket_code[:6].upper()


def _resolve(event_id: int, token: str) -> tuple[str | None, Registration | None]:
    """Find the registration a token names for ``event_id``: (failure result or None, registration)."""
    try:
        data = TICKET_LINK.data(token)
    except InvalidToken:
        return ScanResult.FORGED, None
    if data["e"] != event_id:
        return ScanResult.WRONG_EVENT, None
    code = data["t"]
    reg = db.session.scalar(
        select(Registration)
        .options(joinedload(Registration.user))
        .where(Registration.ticket_code == code, Registration.event_id == event_id)
    )
    if reg is None:
        return ScanResult.UNKNOWN, None
    return None, reg


# ---- door ----------------------------------------------------------------------------------


def describe(outcome: ScanOutcome) -> ScanOutcome:
    """Copy the name, number and walk-in flag of the registration found into the outcome."""
    reg = outcome.registration
    if reg is not None:
        outcome.name = reg.user.name if reg.user else None
        outcome.number = ticket_number(reg)
        outcome.walk_in = reg.walk_in
    return outcome


def _log_door_scan(
    event: Event,
    staff: User,
    door: str | None,
    outcome: ScanOutcome,
    scan_id: str | None = None,
    scanned_at: datetime | None = None,
) -> ScanOutcome:
    reg = describe(outcome).registration
    db.session.add(
        DoorScan(
            event_id=event.id,
            registration_id=reg.id if reg else None,
            scanned_by_id=staff.id,
            door=door or None,
            result=outcome.result,
            scan_id=scan_id,
            scanned_at=scanned_at or utcnow(),
        )
    )
    _commit_keeping_loaded_rows()
    return outcome


def _commit_keeping_loaded_rows() -> None:
    """Commit without expiring what this request already loaded (the staff member, the event),
    so the feedback page is rendered without reloading them: every scan saves two round trips."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def arrival_on(registration: Registration, day: date) -> Arrival | None:
    """The registration's arrival on that local date of the fair, if any."""
    return db.session.scalar(select(Arrival).where(Arrival.registration_id == registration.id, Arrival.day == day))


def arrivals_on(event: Event, registrations, day: date | None = None) -> dict[int, Arrival]:
    """Registration id to its arrival on ``day`` (default: today at the fair), for a list of them."""
    ids = [reg.id for reg in registrations]
    if not ids:
        return {}
    day = day or event.fair_date()
    rows = db.session.scalars(select(Arrival).where(Arrival.registration_id.in_(ids), Arrival.day == day))
    return {row.registration_id: row for row in rows}


def _claim_arrival(event: Event, reg: Registration, day: date, at: datetime, door: str | None) -> bool:
    """Record the registered visitor's arrival on ``day``; False if one is recorded already."""
    values = select(
        literal(event.id), Registration.id, literal(day, Date), literal(at, UTCDateTime()), literal(door, String)
    ).where(Registration.id == reg.id, Registration.status == RegistrationStatus.REGISTERED)
    statement = (
        insert_or_ignore(Arrival.__table__)
        .from_select(["event_id", "registration_id", "day", "arrived_at", "door"], values)
        .on_conflict_do_nothing()
        .returning(Arrival.__table__.c.id)
    )
    return db.session.execute(statement).first() is not None


def _check_in_locked(
    event: Event, reg: Registration, staff: User, door: str | None, reported_at: datetime | None = None
) -> ScanOutcome:
    """Claim the day's arrival; the caller logs the scan and commits.

    ``reported_at`` is when a door says it scanned (an offline door reports it later): a scan
    earlier than the day's recorded arrival takes the arrival over, and the later scan's log row
    becomes a repeat, so a ticket scanned at two offline doors counts once that day, at the earliest time."""
    if reg.event_id != event.id:
        return ScanOutcome(ScanResult.WRONG_EVENT)
    at = reported_at or utcnow()
    day = event.fair_date(at)
    first_arrival = reg.checked_in_at is None  # as loaded: an earlier offline scan only moves the time
    claimed = _claim_arrival(event, reg, day, at, door)
    if not claimed and reported_at is not None:
        claimed = db.session.execute(
            update(Arrival)
            .where(Arrival.registration_id == reg.id, Arrival.day == day, Arrival.arrived_at > reported_at)
            .values(arrived_at=at, door=door)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            db.session.execute(
                update(DoorScan)
                .where(
                    DoorScan.registration_id == reg.id,
                    DoorScan.result == ScanResult.CHECKED_IN,
                    DoorScan.scanned_at > at,
                    DoorScan.scanned_at < event.fair_day_end(day),
                )
                .values(result=ScanResult.ALREADY)
                .execution_options(synchronize_session=False)
            )
    if claimed:
        db.session.execute(
            update(Registration)
            .where(
                Registration.id == reg.id,
                or_(Registration.checked_in_at.is_(None), Registration.checked_in_at > at),
            )
            .values(checked_in_at=at, checked_in_by_id=staff.id)
            .execution_options(synchronize_session=False)
        )
        if first_arrival:
            signals.checked_in.send(reg, event=event, at=at, door=door)
        return ScanOutcome(ScanResult.CHECKED_IN, reg, at)
    db.session.refresh(reg)
    if reg.status == RegistrationStatus.CANCELLED:
        return ScanOutcome(ScanResult.CANCELLED, reg)
    arrival = arrival_on(reg, day)
    if arrival is not None:
        return ScanOutcome(ScanResult.ALREADY, reg, arrival.arrived_at, arrival.door)
    return ScanOutcome(ScanResult.NOT_REGISTERED, reg)


def check_in(event: Event, registration: Registration, staff: User, door: str | None) -> ScanOutcome:
    """Check a registration in (a walk-in just registered); idempotent, logged."""
    return _log_door_scan(event, staff, door, _check_in_locked(event, registration, staff, door))


def scan_at_door(
    event: Event, staff: User, door: str | None, token: str | None = None, registration_id: int | None = None
) -> tuple[ScanOutcome, "DoorTally"]:
    """Check in whoever the scanned ticket ``token`` names, or the registration picked from the
    search (one of another event counts as unknown); idempotent, logged, never raises on junk.
    Returns the outcome and the door's tally as read before the scan, with this scan counted."""
    if token is not None:
        try:
            data = TICKET_LINK.data(token)
        except InvalidToken:
            return _refused(event, staff, door, ScanResult.FORGED)
        if data["e"] != event.id:
            return _refused(event, staff, door, ScanResult.WRONG_EVENT)
        which = {"code": data["t"]}
    else:
        which = {"registration_id": registration_id}
    if is_postgres():
        return _scan_in_one_statement(event, staff, door, which)
    tally = door_tally(event)
    found = Registration.ticket_code == which["code"] if "code" in which else Registration.id == registration_id
    reg = db.session.scalar(
        select(Registration).options(joinedload(Registration.user)).where(found, Registration.event_id == event.id)
    )
    if reg is None:
        outcome = ScanOutcome(ScanResult.UNKNOWN)
    else:
        outcome = _check_in_locked(event, reg, staff, door)
    return _log_door_scan(event, staff, door, outcome), tally.after(outcome)


def _refused(event: Event, staff: User, door: str | None, result: str) -> tuple[ScanOutcome, "DoorTally"]:
    tally = door_tally(event)
    return _log_door_scan(event, staff, door, ScanOutcome(result)), tally


# PostgreSQL: the whole door scan in one round trip. Data-modifying CTEs claim the day's arrival
# (ON CONFLICT DO NOTHING on the unique (registration, day), as :func:`_claim_arrival`), mark the
# registration's first arrival and log the scan with its result; the outer SELECT reads the
# registration, its visitor's name, an earlier arrival today and the door's tally as they were before
# the scan. Written out as SQL because SQLAlchemy 2.0 compiles its PostgreSQL INSERT (ON CONFLICT)
# afresh on every execution (it has no cache key), which cost more than the statement itself.
_SCAN_SQL = """
WITH found AS (
    SELECT id, event_id, user_id, status, ticket_code, walk_in, checked_in_at FROM registration
    WHERE event_id = :event_id AND {which}
), claimed AS (
    INSERT INTO arrival (event_id, registration_id, day, arrived_at, door)
    SELECT :event_id, id, :day, :at, :door FROM found WHERE status = :registered
    ON CONFLICT DO NOTHING
    RETURNING registration_id
), marked AS (  -- runs though nothing reads it, as every data-modifying CTE does
    UPDATE registration SET checked_in_at = :at, checked_in_by_id = :staff_id, updated_at = :at
    WHERE id IN (SELECT registration_id FROM claimed) AND (checked_in_at IS NULL OR checked_in_at > :at)
), earlier AS (
    SELECT arrival.arrived_at, arrival.door FROM arrival JOIN found ON arrival.registration_id = found.id
    WHERE arrival.day = :day
), logged AS (
    INSERT INTO door_scan (event_id, registration_id, scanned_by_id, door, result, scanned_at)
    SELECT :event_id, (SELECT id FROM found), :staff_id, :scan_door,
        CASE WHEN NOT EXISTS (SELECT FROM found) THEN :unknown
             WHEN EXISTS (SELECT FROM claimed) THEN :checked_in
             WHEN (SELECT status FROM found) = :cancelled THEN :cancelled
             WHEN EXISTS (SELECT FROM earlier) THEN :already
             ELSE :not_registered END,
        :at
    RETURNING id, result
)
SELECT found.id, found.event_id, found.user_id, found.status, found.ticket_code, found.walk_in,
    found.checked_in_at IS NULL AS first_arrival, "user".name, logged.id AS scan_id, logged.result,
    earlier.arrived_at, earlier.door,
    (SELECT count(*) FROM arrival WHERE event_id = :event_id AND day = :day) AS arrived_today,
    (SELECT count(*) FROM registration WHERE event_id = :event_id AND status = :registered) AS registered
FROM logged LEFT JOIN found ON true LEFT JOIN "user" ON "user".id = found.user_id LEFT JOIN earlier ON true
"""


def _scan_statement(which: str):
    return (
        text(_SCAN_SQL.format(which=which))
        .bindparams(
            bindparam("day", type_=Date()),
            bindparam("at", type_=UTCDateTime()),
            registered=RegistrationStatus.REGISTERED,
            cancelled=RegistrationStatus.CANCELLED,
            unknown=ScanResult.UNKNOWN,
            checked_in=ScanResult.CHECKED_IN,
            already=ScanResult.ALREADY,
            not_registered=ScanResult.NOT_REGISTERED,
        )
        .columns(arrived_at=UTCDateTime())
    )


_SCAN_BY_CODE = _scan_statement("ticket_code = :code")
_SCAN_BY_ID = _scan_statement("id = :registration_id")


def _as_read(row) -> Registration:
    """The scanned registration as the statement read it, persistent in the session without a
    second read (what the statement did not read loads when used)."""
    present = db.session.identity_map.get(db.session.identity_key(Registration, row.id))
    if present is not None:
        return present
    reg = Registration(
        id=row.id,
        event_id=row.event_id,
        user_id=row.user_id,
        status=row.status,
        ticket_code=row.ticket_code,
        walk_in=row.walk_in,
    )
    make_transient_to_detached(reg)
    db.session.add(reg)
    return reg


def _scan_in_one_statement(event: Event, staff: User, door: str | None, which: dict) -> tuple[ScanOutcome, "DoorTally"]:
    """The door scan on PostgreSQL (see _SCAN_SQL); ``which`` is {"code": ...} or {"registration_id": ...}."""
    now = utcnow()
    day = event.fair_date(now)
    statement = _SCAN_BY_CODE if "code" in which else _SCAN_BY_ID
    row = db.session.execute(
        statement,
        {"event_id": event.id, "day": day, "at": now, "door": door, "scan_door": door or None, "staff_id": staff.id}
        | which,
    ).one()
    tally = DoorTally(row.arrived_today, row.registered)
    reg = None if row.id is None else _as_read(row)
    if row.result == ScanResult.CHECKED_IN:
        note_written("checkin")
        if row.first_arrival:
            signals.checked_in.send(reg, event=event, at=now, door=door)
        outcome = ScanOutcome(ScanResult.CHECKED_IN, reg, now)
    elif row.result == ScanResult.ALREADY:
        outcome = ScanOutcome(ScanResult.ALREADY, reg, row.arrived_at, row.door)
    elif row.result == ScanResult.NOT_REGISTERED and row.status == RegistrationStatus.REGISTERED:
        # Another door's arrival for today committed while this statement ran: that is the arrival.
        arrival = arrival_on(reg, day)
        db.session.execute(update(DoorScan).where(DoorScan.id == row.scan_id).values(result=ScanResult.ALREADY))
        outcome = ScanOutcome(ScanResult.ALREADY, reg, arrival.arrived_at, arrival.door)
    else:
        outcome = ScanOutcome(row.result, reg)
    _commit_keeping_loaded_rows()
    outcome.name, outcome.number, outcome.walk_in = (
        row.name,
        number_of(row.ticket_code) if reg else None,
        bool(row.walk_in),
    )
    return outcome, tally.after(outcome)


# A door's clock may run a little ahead of the server's.
SCAN_CLOCK_SKEW = timedelta(minutes=5)


class ScanTimeRefused(Exception):
    """A client-reported scan time outside the event's day(s), or in the future."""


def event_days(event: Event) -> tuple[datetime, datetime]:
    """From the start of the event's first local day to the end of its last (UTC)."""
    zone = ZoneInfo(event.timezone)
    first = event.starts_at.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    last = event.ends_at.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return first.astimezone(UTC), last.astimezone(UTC)


def _replayed(event: Event, scan: DoorScan) -> ScanOutcome:
    reg = scan.registration
    if reg is None:
        return ScanOutcome(scan.result)
    db.session.refresh(reg)
    arrival = arrival_on(reg, event.fair_date(scan.scanned_at))  # it may have moved since (an earlier scan)
    at, door = (arrival.arrived_at, arrival.door) if arrival is not None else (None, None)
    return describe(ScanOutcome(scan.result, reg, at, door))


def check_in_scan(
    event: Event,
    staff: User,
    scan_id: str,
    door: str | None,
    token: str | None = None,
    registration_id: int | None = None,
    scanned_at: datetime | None = None,
) -> ScanOutcome:
    """An API or offline-door scan, idempotent by the client's ``scan_id``: the same id again
    answers the stored result and checks nobody in twice. ``scanned_at`` (the door's clock) must
    fall within the event's day(s) and not lie ahead of now by more than :data:`SCAN_CLOCK_SKEW`;
    raises ScanTimeRefused."""
    seen = db.session.scalar(select(DoorScan).where(DoorScan.scan_id == scan_id))
    if seen is not None:
        return _replayed(event, seen)
    now = utcnow()
    if scanned_at is not None:
        first, last = event_days(event)
        if not (first <= scanned_at < last) or scanned_at > now + SCAN_CLOCK_SKEW:
            raise ScanTimeRefused(scanned_at.isoformat())
    if token is not None:
        failure, reg = _resolve(event.id, token)
    else:
        reg = db.session.get(Registration, registration_id)
        failure = ScanResult.UNKNOWN if reg is None or reg.event_id != event.id else None
    outcome = ScanOutcome(failure) if failure else _check_in_locked(event, reg, staff, door, scanned_at)
    try:
        return _log_door_scan(event, staff, door, outcome, scan_id, scanned_at or now)
    except IntegrityError:  # the same scan id sent twice at once: the other request recorded it
        db.session.rollback()
        return _replayed(event, db.session.scalar(select(DoorScan).where(DoorScan.scan_id == scan_id)))


def door_ticket_list(event: Event) -> list[dict]:
    """What an offline door needs to check tickets against: code, number, name, whether in today."""
    today = and_(Arrival.registration_id == Registration.id, Arrival.day == event.fair_date())
    rows = db.session.execute(
        select(Registration.ticket_code, Arrival.arrived_at, User.name)
        .outerjoin(User, User.id == Registration.user_id)
        .outerjoin(Arrival, today)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.REGISTERED)
        .order_by(Registration.id)
    )
    return [
        {"code": code, "number": number_of(code), "name": name, "checked_in": at is not None} for code, at, name in rows
    ]


SEARCH_MIN = 4
search_log = logging.getLogger("bazaar.checkin.door_search")


def search_registrations(event: Event, query: str, staff: User, limit: int = 20) -> list[Registration]:
    """Registrations of ``event`` whose visitor's name contains ``query`` (at least
    :data:`SEARCH_MIN` characters) or whose email is exactly ``query``; every search is logged
    (who searched which event, how many matched; not the query itself)."""
    query = query.strip()
    if len(query) < SEARCH_MIN:
        return []
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    results = list(
        db.session.scalars(
            select(Registration)
            .join(User, Registration.user_id == User.id)
            .where(
                Registration.event_id == event.id,
                or_(User.name.ilike(pattern, escape="\\"), func.lower(User.email) == query.lower()),
            )
            .order_by(User.name, Registration.id)
            .limit(limit)
        )
    )
    search_log.info("door search", extra={"event": event.id, "user_id": staff.id, "matches": len(results)})
    return results


def register_walk_in(
    event: Event,
    staff: User,
    door: str | None,
    name: str,
    email: str | None,
    language: str,
    wants_messages: bool = False,
) -> ScanOutcome:
    """Register someone at the door and check them in at once, as a new account.

    Capacity follows the registration service (its per-event lock and ``free_places``): a
    walk-in needs a free place. An email that already belongs to an account is not used: that
    account is neither registered, changed nor shown (door staff must not learn whether an
    address has an account); someone with an account shows their ticket or is found by search.
    Without a usable email, the account gets an undeliverable placeholder address. Raises EventFull.
    """
    lock_event_places(event.id)
    if email and find_user_by_email(email) is not None:
        email = None
    room = free_places(event)
    if room is not None and room <= 0:
        db.session.rollback()
        raise EventFull()
    address = email or f"walk-in-{secrets.token_hex(8)}@{WALK_IN_EMAIL_DOMAIN}"
    user = create_user(address, name, None, preferred_language=language)
    db.session.flush()
    reg = add_registration(event, user, RegistrationStatus.REGISTERED, staff, walk_in=True)
    if wants_messages and email:  # told to the staff by the newcomer in person, for their new account
        db.session.add(VisitorProfile(user_id=user.id, consent_followup_at=utcnow()))
        queue(
            "registration_confirmed",
            user=user,
            event=event,
            subject=reg,
            payload={"status": RegistrationStatus.REGISTERED, "my_url": my_url()},
        )
    return check_in(event, reg, staff, door)


@dataclass
class DoorCounters:
    registered: int
    checked_in: int  # visitors who came on any day
    walk_ins: int
    waitlisted: int
    per_hour: list[tuple[datetime, int]]  # (hour start in the event's zone, arrivals)
    per_day: list[tuple[date, int]]  # (local date, visitors who came that day)
    per_door: list[tuple[str, int]]
    refused_scans: int


@dataclass
class DoorTally:
    checked_in_today: int
    expected: int  # registered (walk-ins included), the number the door works towards

    def after(self, outcome: "ScanOutcome | None") -> "DoorTally":
        """The tally once ``outcome`` is counted: read before the scan commits (a page after the
        commit reads nothing more), a fresh arrival adds one."""
        if outcome is not None and outcome.result == ScanResult.CHECKED_IN:
            return DoorTally(self.checked_in_today + 1, self.expected)
        return self


def door_tally(event: Event, now: datetime | None = None) -> DoorTally:
    """Arrivals today at the fair (whoever came on an earlier day too), and how many are expected."""
    arrived = (
        select(func.count(Arrival.id))
        .where(Arrival.event_id == event.id, Arrival.day == event.fair_date(now))
        .scalar_subquery()
    )
    expected = func.count(Registration.id).filter(Registration.status == RegistrationStatus.REGISTERED)
    row = db.session.execute(select(arrived, expected).where(Registration.event_id == event.id)).one()
    return DoorTally(checked_in_today=row[0], expected=row[1])


def door_counters(event: Event) -> DoorCounters:
    """Server-side counts for the organisers' live view."""
    by_status = dict(
        db.session.execute(
            select(Registration.status, func.count(Registration.id))
            .where(Registration.event_id == event.id)
            .group_by(Registration.status)
        ).all()
    )
    walk_ins = db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == event.id,
            Registration.walk_in.is_(True),
            Registration.status != RegistrationStatus.CANCELLED,
        )
    )
    checked_in = db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == event.id, Registration.checked_in_at.is_not(None)
        )
    )
    arrivals = db.session.execute(select(Arrival.day, Arrival.arrived_at).where(Arrival.event_id == event.id)).all()
    zone = ZoneInfo(event.timezone)
    hours = Counter(at.astimezone(zone).replace(minute=0, second=0, microsecond=0) for _day, at in arrivals)
    days = Counter(day for day, _at in arrivals)
    per_door = db.session.execute(
        select(DoorScan.door, func.count(DoorScan.id))
        .where(DoorScan.event_id == event.id, DoorScan.result == ScanResult.CHECKED_IN)
        .group_by(DoorScan.door)
        .order_by(func.count(DoorScan.id).desc(), DoorScan.door)
    ).all()
    refused = db.session.scalar(
        select(func.count(DoorScan.id)).where(
            DoorScan.event_id == event.id, DoorScan.result.not_in((ScanResult.CHECKED_IN, ScanResult.ALREADY))
        )
    )
    return DoorCounters(
        registered=by_status.get(RegistrationStatus.REGISTERED, 0),
        checked_in=checked_in,
        walk_ins=walk_ins,
        waitlisted=by_status.get(RegistrationStatus.WAITLISTED, 0) + by_status.get(RegistrationStatus.OFFERED, 0),
        per_hour=sorted(hours.items()),
        per_day=sorted(days.items()),
        per_door=[(door or "", n) for door, n in per_door],
        refused_scans=refused,
    )


# ---- booths --------------------------------------------------------------------------------


def booth_lookup(exhibitor: Exhibitor, token: str) -> ScanOutcome:
    """Whom a badge scanned at the booth names; only registrations of the exhibitor's event."""
    return ticket_lookup(exhibitor.event_id, token)


def ticket_lookup(event_id: int, token: str) -> ScanOutcome:
    """Whom a ticket names and whether they are in today, without checking anyone in."""
    failure, reg = _resolve(event_id, token)
    if failure:
        return ScanOutcome(failure)
    if reg.status == RegistrationStatus.CANCELLED:
        return ScanOutcome(ScanResult.CANCELLED, reg)
    if reg.status != RegistrationStatus.REGISTERED:
        return ScanOutcome(ScanResult.NOT_REGISTERED, reg)
    arrival = arrival_on(reg, db.session.get(Event, event_id).fair_date())
    if arrival is None:
        return ScanOutcome(ScanResult.NOT_CHECKED_IN, reg)
    return ScanOutcome(ScanResult.CHECKED_IN, reg, arrival.arrived_at)


class BoothScanRefused(Exception):
    def __init__(self, result: str):
        super().__init__(result)
        self.result = result


def log_booth_scan(exhibitor: Exhibitor, token: str, staff: User, kind: str) -> BoothScan:
    """Log a conversation, or a walk-in interview (a Booking without a slot, already attended,
    which then appears in the exhibitor's schedule and takes an outcome like a booked one)."""
    if kind not in tuple(BoothScanKind):
        raise BoothScanRefused("bad_kind")
    outcome = booth_lookup(exhibitor, token)
    if outcome.registration is None or outcome.result in (ScanResult.CANCELLED, ScanResult.NOT_REGISTERED):
        raise BoothScanRefused(outcome.result)
    reg = outcome.registration
    scan = BoothScan(exhibitor_id=exhibitor.id, registration_id=reg.id, scanned_by_id=staff.id, kind=kind)
    if kind == BoothScanKind.INTERVIEW:
        now = utcnow()
        booking = Booking(
            event_id=exhibitor.event_id,
            exhibitor_id=exhibitor.id,
            registration_id=reg.id,
            slot_id=None,
            starts_at=now,
            ends_at=now + timedelta(minutes=WALK_IN_INTERVIEW_MINUTES),
            status=BookingStatus.CONFIRMED,
            walk_in=True,
            attendance=Attendance.ATTENDED,
            attendance_marked_by_id=staff.id,
        )
        db.session.add(booking)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            raise BoothScanRefused("conflict") from None
        scan.booking_id = booking.id
    db.session.add(scan)
    db.session.commit()
    return scan


def recent_booth_scans(exhibitor: Exhibitor, limit: int = 30) -> list[BoothScan]:
    return list(
        db.session.scalars(
            select(BoothScan)
            .where(BoothScan.exhibitor_id == exhibitor.id)
            .order_by(BoothScan.scanned_at.desc(), BoothScan.id.desc())
            .limit(limit)
        )
    )


def seat_at_door(session: SpeedDatingSession, starts_at: datetime, token: str, staff: User) -> Booking:
    """Seat the visitor a scanned ticket names in a round of ``session`` with a free seat (door staff
    or the employer, for a visitor who walks up): a booking like the visitor's own, every rule applies."""
    outcome = ticket_lookup(session.event_id, token)
    if outcome.registration is None or outcome.result in (ScanResult.CANCELLED, ScanResult.NOT_REGISTERED):
        raise BoothScanRefused(outcome.result)
    return book_round(outcome.registration, session, starts_at, actor=staff)
