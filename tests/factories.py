"""Small builders for test data. Each commits, so other processes (worker, server) see it."""

import secrets
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bazaar.accounts.auth import hash_password
from bazaar.accounts.models import Organisation, User, VisitorProfile
from bazaar.clock import utcnow
from bazaar.events.models import Event, EventDay, EventOrganiser, EventStaff
from bazaar.events.services import DaySpec
from bazaar.exhibitors.models import Exhibitor, ExhibitorStaff, InterviewTable
from bazaar.extensions import db
from bazaar.registrations.models import Registration

PASSWORD = "correct horse battery"
_HASH = None


def _password_hash() -> str:
    global _HASH
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    return _HASH


def user(email=None, name="Test Person", **kw) -> User:
    u = User(
        email=email or f"user-{secrets.token_hex(4)}@example.org",
        name=name,
        password_hash=_password_hash(),
        email_verified_at=utcnow(),
        **kw,
    )
    db.session.add(u)
    db.session.commit()
    return u


def organisation(name=None) -> Organisation:
    org = Organisation(name=name or f"Org {secrets.token_hex(3)}")
    db.session.add(org)
    db.session.commit()
    return org


def organiser(org=None, **kw) -> User:
    return user(organisation=org or organisation(), **kw)


def event(org=None, status="published", starts_in=timedelta(days=10), hours=6, local_hour=None, **kw) -> Event:
    """A fair ``starts_in`` from now (to the hour), ``hours`` long; ``local_hour`` opens it at that
    hour of that local day instead, so a test that moves its days never depends on the time of day."""
    start = (utcnow() + starts_in).replace(minute=0, second=0, microsecond=0)
    if local_hour is not None:
        zone = ZoneInfo(kw.get("timezone") or "Europe/Stockholm")
        start = start.astimezone(zone).replace(hour=local_hour).astimezone(UTC)
    ev = Event(
        slug=kw.pop("slug", f"fair-{secrets.token_hex(3)}"),
        name=kw.pop("name", "Test fair"),
        venue_name="Kulturhuset",
        venue_address="Sergels torg 3, Stockholm",
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        status=status,
        **kw,
    )
    ev.days = [EventDay.spanning(ev.starts_at, ev.ends_at, ev.timezone or "Europe/Stockholm")]
    ev.organisers.append(EventOrganiser(organisation=org or organisation()))
    db.session.add(ev)
    db.session.commit()
    return ev


def set_days(ev, *spans) -> Event:
    """Give the event these days, (opens_at, closes_at) pairs in UTC, as they are (no slot moves)."""
    for i, (opens_at, closes_at) in enumerate(spans):
        fresh = EventDay.spanning(opens_at, closes_at, ev.timezone)
        if i < len(ev.days):
            day = ev.days[i]
            day.date, day.opens_at, day.closes_at = fresh.date, opens_at, closes_at
        else:
            ev.days.append(fresh)
    del ev.days[len(spans) :]
    ev.sync_span()
    db.session.commit()
    return ev


def two_day_event(starts_in=timedelta(days=10), **kw) -> Event:
    """A fair of two days: the first 6 hours long, the second (the next day) 5 hours from an hour later."""
    kw.setdefault("local_hour", 9 if abs(starts_in) >= timedelta(days=1) else None)
    ev = event(starts_in=starts_in, **kw)
    first = ev.starts_at
    return set_days(
        ev,
        (first, first + timedelta(hours=6)),
        (first + timedelta(days=1, hours=1), first + timedelta(days=1, hours=6)),
    )


def day_specs(ev, shift=timedelta(0), hours=None) -> list:
    """The event's days as the organiser's form gives them, each moved by ``shift`` (and
    ``hours``: a (opens, closes) pair of local times for every day)."""
    zone = ZoneInfo(ev.timezone)
    return [
        DaySpec(
            date=(day.opens_at + shift).astimezone(zone).date(),
            opens=hours[0] if hours else (day.opens_at + shift).astimezone(zone).time(),
            closes=hours[1] if hours else (day.closes_at + shift).astimezone(zone).time(),
            note=day.note,
            id=day.id,
        )
        for day in ev.days
    ]


def event_staff(ev, role: str, **kw) -> User:
    u = user(**kw)
    db.session.add(EventStaff(event_id=ev.id, user_id=u.id, role=role))
    db.session.commit()
    return u


def checkin_staff(ev, **kw) -> User:
    return event_staff(ev, "checkin", **kw)


def exhibitor(ev, name=None, status="approved", tables=1, **kw) -> Exhibitor:
    ex = Exhibitor(
        event_id=ev.id,
        name=name or f"Employer {secrets.token_hex(3)}",
        contact_name="Contact",
        contact_email="contact@employer.example",
        status=status,
        **kw,
    )
    for i in range(tables):
        ex.tables.append(InterviewTable(name=f"Table {i + 1}"))
    db.session.add(ex)
    db.session.commit()
    return ex


def exhibitor_staff(ex, role="admin", **kw) -> User:
    u = user(**kw)
    db.session.add(ExhibitorStaff(exhibitor_id=ex.id, user_id=u.id, role=role))
    db.session.commit()
    return u


def visitor(profile=True, **kw) -> User:
    u = user(**kw)
    if profile:
        db.session.add(VisitorProfile(user_id=u.id, consent_share_profile_at=utcnow()))
        db.session.commit()
    return u


def registration(ev, person=None, status="registered", **kw) -> Registration:
    person = person or visitor()
    reg = Registration(event_id=ev.id, user_id=person.id, status=status, ticket_code=secrets.token_urlsafe(16), **kw)
    db.session.add(reg)
    db.session.flush()
    if reg.checked_in_at is not None:  # checked in: arrived that day, as the door records it
        db.session.add(arrival(reg, reg.checked_in_at, ev))
    db.session.commit()
    return reg


def arrival(reg, at, ev=None):
    """The visitor's arrival at ``at`` (on that day of the fair), unsaved."""
    from bazaar.checkin.models import Arrival

    ev = ev or db.session.get(Event, reg.event_id)
    return Arrival(event_id=reg.event_id, registration_id=reg.id, day=ev.fair_date(at), arrived_at=at)


def at(year, month, day, hour=0, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# ---- booking -----------------------------------------------------------------------------------


def slots_for(ex, start=None, count=6, minutes=10, gap=0, status="open", **kw) -> list:
    """``count`` slots on every table of ``ex`` from ``start`` (default: the event's start)."""
    from bazaar.booking.models import Slot
    from bazaar.events.models import Event

    start = start or db.session.get(Event, ex.event_id).starts_at
    made = []
    for table in ex.tables:
        for i in range(count):
            begins = start + timedelta(minutes=i * (minutes + gap))
            made.append(
                Slot(
                    event_id=ex.event_id,
                    exhibitor_id=ex.id,
                    table_id=table.id,
                    starts_at=begins,
                    ends_at=begins + timedelta(minutes=minutes),
                    status=status,
                    **kw,
                )
            )
    db.session.add_all(made)
    db.session.commit()
    return made


def booked(reg, slot, **kw):
    """A live booking written directly (no rules): for setting up a schedule quickly."""
    from bazaar.booking.models import Booking

    b = Booking(
        event_id=slot.event_id,
        exhibitor_id=slot.exhibitor_id,
        registration_id=reg.id,
        slot_id=slot.id,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        status="confirmed",
        **kw,
    )
    db.session.add(b)
    db.session.commit()
    return b


# ---- stats -------------------------------------------------------------------------------------
_interview_minute = iter(range(10**9))


def interview(reg, ex, walk_in=False, attendance="attended", status="confirmed", outcome=None, at=None, **kw):
    """An interview row (no slot needed) at ``at`` or else a distinct time: booked, or walk-in when ``walk_in``."""
    from bazaar.booking.models import Booking
    from bazaar.events.models import Event

    starts = (
        at
        or kw.pop("starts_at", None)
        or db.session.get(Event, ex.event_id).starts_at + timedelta(minutes=next(_interview_minute))
    )
    b = Booking(
        event_id=ex.event_id,
        exhibitor_id=ex.id,
        registration_id=reg.id,
        starts_at=starts,
        ends_at=kw.pop("ends_at", starts + timedelta(minutes=10)),
        walk_in=walk_in,
        attendance=attendance,
        status=status,
        outcome=outcome,
        **kw,
    )
    db.session.add(b)
    db.session.commit()
    return b


def survey_answer(reg, result="job", exhibitor=None, contributed=None, started_on=None, wave=1):
    from bazaar.stats.models import SurveyResponse

    answer = SurveyResponse(
        event_id=reg.event_id,
        registration_id=reg.id,
        result=result,
        exhibitor_id=exhibitor.id if exhibitor else None,
        fair_contributed=contributed,
        started_on=started_on,
        wave=wave,
    )
    db.session.add(answer)
    db.session.commit()
    return answer
