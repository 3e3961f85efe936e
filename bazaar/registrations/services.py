"""Rules about registrations: tickets, capacity and the event waiting list.

Capacity is decided inside one lock per event: ``Lock.EVENT_PLACES`` on PostgreSQL (held until
commit), and on SQLite the write lock every transaction takes (``BEGIN IMMEDIATE``). Every change
that takes or frees a place goes through :func:`lock_event_places` first, so counting then inserting is
safe: nobody else can count or insert for that event until we commit.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload

from bazaar.accounts.models import User
from bazaar.accounts.services import create_user, external_url, find_user_by_email
from bazaar.booking.models import Booking, CancelReason
from bazaar.booking.services import cancel_booking
from bazaar.clock import utcnow
from bazaar.events.models import Event
from bazaar.events.services import registration_open
from bazaar.extensions import db
from bazaar.i18n import localized, spreadsheet_time
from bazaar.locking import Lock, lock
from bazaar.notifications.services import cancel_pending, queue
from bazaar.registrations import questions, signals
from bazaar.registrations.models import (
    PLACE_HOLDING,
    STATUS_LABELS,
    Registration,
    RegistrationChange,
    RegistrationStatus,
    live_registration,
)
from bazaar.tokens import SignedLink

# What a QR ticket carries: the ticket code (never the row id) and the event; it does not expire.
TICKET_LINK = SignedLink("ticket", Registration, {"t": "ticket_code", "e": "event_id"})
OFFER_HOLD = timedelta(hours=48)
# The link in an offer of a freed place: stale once the place is given up (a new ticket code).
OFFER_LINK = SignedLink(
    "registration_offer", Registration, {"r": "id", "t": "ticket_code"}, OFFER_HOLD + timedelta(days=1)
)
GROUP_MIN, GROUP_MAX = 2, 15


class RegistrationError(Exception):
    """A registration cannot be made; ``str(exc)`` is a message for the person."""


class RegistrationClosed(RegistrationError):
    """Registration for the event is not open (draft, closed, not yet open, or over)."""


class AlreadyRegistered(RegistrationError):
    def __init__(self, registration: Registration):
        super().__init__(_("You are already registered for this event."))
        self.registration = registration


class OfferGone(RegistrationError):
    """The offered place was taken back: the offer expired, was declined or already used."""


def ticket_token(registration: Registration) -> str:
    """The signed token a QR ticket carries: it names the ticket code, never the row id."""
    return TICKET_LINK.token(registration)


def new_ticket_code() -> str:
    return secrets.token_urlsafe(16)


# ---- capacity ------------------------------------------------------------------------------


def lock_event_places(event_id: int) -> None:
    """Serialise every place-changing transaction of one event until commit or rollback."""
    lock(Lock.EVENT_PLACES, event_id)


def places_taken(event_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Registration.id)).where(Registration.event_id == event_id, Registration.holds_place)
        )
        or 0
    )


def waiting_count(event_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Registration.id)).where(
                Registration.event_id == event_id, Registration.status == RegistrationStatus.WAITLISTED
            )
        )
        or 0
    )


def free_places(event: Event) -> int | None:
    """Places a newcomer could take now (None: no limit). Waiting people come first."""
    if event.capacity is None:
        return None
    if waiting_count(event.id):
        return 0
    return max(event.capacity - places_taken(event.id), 0)


def my_url() -> str:
    return external_url("accounts.my_page")


def add_registration(
    event: Event, user: User, status: str, registered_by: User | None = None, walk_in: bool = False
) -> Registration:
    """Write a new registration with its own ticket (the caller holds the event's places lock and
    commits); the house hears of it through ``registration_changed``."""
    reg = Registration(
        event_id=event.id,
        user_id=user.id,
        status=status,
        ticket_code=new_ticket_code(),
        registered_by_id=registered_by.id if registered_by else None,
        walk_in=walk_in,
    )
    db.session.add(reg)
    db.session.flush()
    signals.registration_changed.send(reg, event=event, change=RegistrationChange.CREATED)
    return reg


def register(
    event: Event,
    user: User,
    *,
    join_waitlist: bool = True,
    registered_by: User | None = None,
    answers: dict[int, str] | None = None,
) -> Registration:
    """Give ``user`` a place at ``event``, or a place on its waiting list when it is full, with
    their ``answers`` to the event's questions (question id -> value).

    Commits. Raises :class:`RegistrationClosed`, :class:`AlreadyRegistered`, or
    :class:`RegistrationError` when full and ``join_waitlist`` is False."""
    if not registration_open(event):
        raise RegistrationClosed(_("Registration for this event is closed."))
    lock_event_places(event.id)
    existing = live_registration(event.id, user.id)
    if existing is not None:
        db.session.rollback()
        raise AlreadyRegistered(existing)
    room = free_places(event)
    status = RegistrationStatus.REGISTERED if room is None or room > 0 else RegistrationStatus.WAITLISTED
    if status == RegistrationStatus.WAITLISTED and not join_waitlist:
        db.session.rollback()
        raise RegistrationError(_("The event is full."))
    try:
        reg = add_registration(event, user, status, registered_by)
    except IntegrityError as race:
        db.session.rollback()
        raise AlreadyRegistered(live_registration(event.id, user.id)) from race
    questions.save_answers(reg.id, answers or {})
    queue("registration_confirmed", user=user, event=event, subject=reg, payload={"status": status, "my_url": my_url()})
    db.session.commit()
    return reg


@dataclass
class Participant:
    """A person in a group as the job coach typed them: an email or a phone (or neither) may be missing."""

    name: str
    email: str | None
    preferred_language: str
    phone: str | None = None


def register_group(event: Event, coach: User, participants: list[Participant]) -> list[Registration | None]:
    """Register a job coach's group (an SFI class, a matching group) for ``event``: all of them or none.

    A participant without an account (or without an email) gets one and a registration with its own
    ticket. An address that already has an account is only sent an invitation to register
    themselves (None in the answer): nobody else may register an existing account. Does not commit:
    the caller records the group (:mod:`bazaar.coaching`) and commits. Raises
    :class:`RegistrationError` with a message, rolled back, changing nothing."""
    if not registration_open(event):
        raise RegistrationClosed(_("Registration for this event is closed."))
    if not GROUP_MIN <= len(participants) <= GROUP_MAX:
        raise RegistrationError(_("A group has %(min)d to %(max)d people.", min=GROUP_MIN, max=GROUP_MAX))
    lock_event_places(event.id)
    room = free_places(event)
    if room is not None and room < len(participants):
        db.session.rollback()
        raise RegistrationError(
            _(
                "There are only %(free)d places left, so the group of %(size)d does not fit. Nobody was registered.",
                free=room,
                size=len(participants),
            )
        )
    made: list[Registration | None] = []
    try:
        for person in participants:
            user = find_user_by_email(person.email) if person.email else None
            if user is not None:
                if user.is_active and live_registration(event.id, user.id) is None:
                    queue(
                        "group_invitation",
                        user=user,
                        event=event,
                        subject=event,
                        payload={
                            "coach_name": coach.name,
                            "register_url": external_url("events.event_page", slug=event.slug),
                        },
                    )
                made.append(None)
                continue
            user = create_user(person.email, person.name, None, preferred_language=person.preferred_language)
            db.session.flush()
            made.append(add_registration(event, user, RegistrationStatus.REGISTERED, coach))
    except IntegrityError as race:
        db.session.rollback()
        raise RegistrationError(_("Someone in the group registered at the same moment. Please send again.")) from race
    return made


def offer_free_places(event: Event, now: datetime | None = None) -> list[Registration]:
    """Offer every free place to the next people waiting (call with the event locked)."""
    now = now or utcnow()
    if now >= event.starts_at:
        return []
    limit = None if event.capacity is None else event.capacity - places_taken(event.id)
    if limit is not None and limit <= 0:
        return []
    q = (
        select(Registration)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.WAITLISTED)
        .order_by(Registration.created_at, Registration.id)
    )
    if limit is not None:
        q = q.limit(limit)
    offered = list(db.session.scalars(q))
    expires = min(now + OFFER_HOLD, event.starts_at)
    for reg in offered:
        reg.status = RegistrationStatus.OFFERED
        reg.offer_expires_at = expires
        if reg.user is not None:
            queue(
                "registration_offer",
                user=reg.user,
                event=event,
                subject=reg,
                expires_at=expires,
                payload={
                    "claim_url": external_url("registrations.offer", token=OFFER_LINK.token(reg)),
                    "expires_at": expires.isoformat(),
                },
            )
    return offered


def cancellable(reg: Registration, now: datetime | None = None) -> bool:
    """A registration can be given up until the event ends, unless the visitor is already inside."""
    return (
        reg.status != RegistrationStatus.CANCELLED
        and reg.checked_in_at is None
        and reg.event.ends_at > (now or utcnow())
    )


def cancel_registration(reg: Registration, commit: bool = True) -> bool:
    """Give up a registration (or a place on the waiting list); a freed place goes to the next in line.

    Returns False if it was already cancelled; raises :class:`RegistrationError` once the event is
    over or the visitor has checked in. The visitor's coming interviews are cancelled too (through
    the booking rules, so the slot goes to its waiting list and the visitor is told)."""

    now = utcnow()
    if reg.status != RegistrationStatus.CANCELLED and not cancellable(reg, now):
        raise RegistrationError(_("This registration can no longer be cancelled."))
    lock_event_places(reg.event_id)
    was = db.session.scalar(select(Registration.status).where(Registration.id == reg.id))
    done = db.session.execute(
        update(Registration)
        .where(Registration.id == reg.id, Registration.status != RegistrationStatus.CANCELLED)
        .values(status=RegistrationStatus.CANCELLED, cancelled_at=now, offer_expires_at=None)
    ).rowcount
    if done:
        for booking in db.session.scalars(
            select(Booking).where(Booking.registration_id == reg.id, Booking.is_live, Booking.starts_at > now)
        ).all():
            cancel_booking(booking, reason=CancelReason.REGISTRATION_CANCELLED, commit=False)
        cancel_pending(reg)
        db.session.flush()
        db.session.expire(reg)
        signals.registration_changed.send(reg, event=reg.event, change=RegistrationChange.CANCELLED)
        if was in PLACE_HOLDING:
            offer_free_places(reg.event, now)
    if commit:
        db.session.commit()
    return bool(done)


def claim_offer(reg: Registration) -> Registration:
    """Accept an offered place while the offer stands. Raises :class:`OfferGone` otherwise."""
    now = utcnow()
    claimed = db.session.execute(
        update(Registration)
        .where(
            Registration.id == reg.id,
            Registration.status == RegistrationStatus.OFFERED,
            Registration.offer_expires_at > now,
        )
        .values(status=RegistrationStatus.REGISTERED, offer_expires_at=None)
    ).rowcount
    if not claimed:
        db.session.rollback()
        raise OfferGone(_("This offer is no longer open."))
    db.session.expire(reg)
    signals.registration_changed.send(reg, event=reg.event, change=RegistrationChange.CONFIRMED)
    if reg.user is not None:
        queue(
            "registration_confirmed",
            user=reg.user,
            event=reg.event,
            subject=reg,
            version=1,
            payload={"status": RegistrationStatus.REGISTERED, "my_url": my_url()},
        )
    db.session.commit()
    return reg


def decline_offer(reg: Registration) -> None:
    if reg.status != RegistrationStatus.OFFERED:
        raise OfferGone(_("This offer is no longer open."))
    cancel_registration(reg)


def expire_offers(now: datetime | None = None) -> int:
    """Pass lapsed offers on to the next people waiting; also offer places that became free
    (a cancelled offer, a raised capacity). Run by Celery beat. Returns the number that lapsed."""
    now = now or utcnow()
    event_ids = db.session.scalars(
        select(Registration.event_id)
        .where(
            or_(
                (Registration.status == RegistrationStatus.OFFERED) & (Registration.offer_expires_at <= now),
                Registration.status == RegistrationStatus.WAITLISTED,
            )
        )
        .distinct()
    ).all()
    db.session.rollback()
    lapsed = 0
    for event_id in event_ids:
        lock_event_places(event_id)
        lapsed += db.session.execute(
            update(Registration)
            .where(
                Registration.event_id == event_id,
                Registration.status == RegistrationStatus.OFFERED,
                Registration.offer_expires_at <= now,
            )
            .values(status=RegistrationStatus.CANCELLED, cancelled_at=now, offer_expires_at=None)
        ).rowcount
        event = db.session.get(Event, event_id)
        offer_free_places(event, now)
        db.session.commit()
    return lapsed


# ---- organisers' list ----------------------------------------------------------------------


def search_registrations(event: Event, q: str = "", status: str = "", checked_in: str = ""):
    """A select of the event's registrations for the organiser list, newest first."""
    query = (
        select(Registration)
        .outerjoin(User, User.id == Registration.user_id)
        .where(Registration.event_id == event.id)
        .options(contains_eager(Registration.user), selectinload(Registration.registered_by))
    )
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like, lower_like = f"%{escaped}%", f"%{escaped.lower()}%"
        # lower() on both sides for PostgreSQL; SQLite lowers ASCII only, so also match as typed.
        query = query.where(
            or_(
                func.lower(User.name).like(lower_like, escape="\\"),
                User.name.like(like, escape="\\"),
                User.email.like(lower_like, escape="\\"),
            )
        )
    if status:
        query = query.where(Registration.status == status)
    if checked_in == "yes":
        query = query.where(Registration.checked_in_at.is_not(None))
    elif checked_in == "no":
        query = query.where(Registration.checked_in_at.is_(None))
    return query.order_by(Registration.created_at.desc(), Registration.id.desc())


def registration_table(event: Event, **filters) -> tuple[list[str], list[list]]:
    """The organiser export: who is registered and their answers to the event's own questions,
    never a sensitive answer (the profile's or a sensitive question's); headers and statuses in the
    reader's language, local times to the minute."""
    asked = questions.shown_per_person(event)
    header = [
        _("Name"),
        _("Email"),
        _("Language"),
        _("Phone"),
        _("Status"),
        _("Registered at"),
        _("Checked in"),
        _("Registered by"),
        _("Walk-in"),
        *(localized(q.text) for q in asked),
    ]
    languages = current_app.config["LANGUAGES"]
    query = search_registrations(event, **filters).options(selectinload(Registration.user, User.profile))
    registrations = db.session.scalars(query).all()
    answers = questions.answers_of([reg.id for reg in registrations])
    rows = []
    for reg in registrations:
        user = reg.user
        given = answers.get(reg.id, {})
        profile = user.profile if user is not None else None
        language = user.preferred_language if user else ""
        rows.append(
            [
                user.name if user else "",
                user.email if user else "",
                languages[language][0] if language in languages else language,
                profile.phone if profile else "",
                str(STATUS_LABELS.get(reg.status, reg.status)),
                spreadsheet_time(reg.created_at, event.timezone),
                spreadsheet_time(reg.checked_in_at, event.timezone),
                reg.registered_by.name if reg.registered_by else "",
                _("Yes") if reg.walk_in else _("No"),
                *(questions.answer_text(q, given.get(q.id)) for q in asked),
            ]
        )
    return header, rows
