"""Rules about a job coach's groups: registering one, its page, booking for a member, the member's
sheet and link, and the member's own first use (language, privacy terms, consents).

Until a member has used their page themselves (``GroupMember.first_used_at``), nothing optional is
assumed: no consent is given, so no matching, no news, no background question. Only the member
gives consents, on their own page; a coach never can."""

import secrets
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bazaar.accounts.models import User, VisitorProfile
from bazaar.accounts.services import external_url, save_profile
from bazaar.booking import services as booking_services
from bazaar.booking.errors import NotChangeable
from bazaar.booking.models import Booking
from bazaar.clock import utcnow
from bazaar.coaching.models import CoachGroup, GroupMember
from bazaar.events.models import Event
from bazaar.extensions import db
from bazaar.notifications.models import Channel
from bazaar.notifications.services import queue
from bazaar.registrations import services as registration_services
from bazaar.tokens import InvalidToken, SignedLink

# The member's own page. It does not expire; a new code (a lost sheet) makes the old link stale.
MEMBER_LINK = SignedLink("group_member", GroupMember, {"m": "id", "c": "code"})
# Codes typed from a printed sheet: no 0/O, 1/I to confuse.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
# The member's optional consents asked on first use (never the background question there).
MEMBER_CONSENTS = ("share_profile", "followup", "news", "matching")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    """The code as printed: two groups of four."""
    return f"{code[:4]}-{code[4:]}"


def member_url(member: GroupMember) -> str:
    return external_url("members.page", token=MEMBER_LINK.token(member))


def code_url() -> str:
    return external_url("members.code")


def member_by_code(text: str) -> GroupMember | None:
    """The member whose code was typed (spaces, dashes and case do not matter)."""
    code = "".join(ch for ch in (text or "").upper() if ch.isalnum())[:CODE_LENGTH]
    if len(code) != CODE_LENGTH:
        return None
    return db.session.scalar(select(GroupMember).where(GroupMember.code == code))


def member_from_token(token: str) -> GroupMember:
    """Raises :class:`InvalidToken`."""
    member = MEMBER_LINK.load(token)
    if member.registration.user_id is None:
        raise InvalidToken("erased")
    return member


# ---- the coach -------------------------------------------------------------------------------


def register_group(
    event: Event, coach: User, name: str, participants: list[registration_services.Participant]
) -> CoachGroup:
    """Register the group (all or nothing, :func:`bazaar.registrations.services.register_group`) and
    record it as the coach's; each new member gets a code, their phone on their profile, and an
    email if they have an address. Commits; raises ``RegistrationError``."""
    made = registration_services.register_group(event, coach, participants)
    group = CoachGroup(event_id=event.id, coach_id=coach.id, name=name)
    db.session.add(group)
    for person, registration in zip(participants, made, strict=True):
        if registration is None:
            continue
        member = GroupMember(group=group, registration_id=registration.id, code=new_code())
        db.session.add(member)
        if person.phone:
            db.session.add(VisitorProfile(user_id=registration.user_id, phone=person.phone))
        db.session.flush()
        queue(
            "group_registration",
            user=registration.user,
            event=event,
            subject=registration,
            payload={
                "coach_name": coach.name,
                "my_url": registration_services.my_url(),
                "set_password_url": external_url("accounts.forgot_password"),
                "member_url": member_url(member),
            },
        )
    db.session.commit()
    return group


def groups_of(coach: User, event: Event) -> list[CoachGroup]:
    return list(
        db.session.scalars(
            select(CoachGroup)
            .where(CoachGroup.event_id == event.id, CoachGroup.coach_id == coach.id)
            .options(selectinload(CoachGroup.members))
            .order_by(CoachGroup.created_at, CoachGroup.id)
        )
    )


def bookings_of(group: CoachGroup) -> dict[int, list[Booking]]:
    """Registration id -> the member's live interviews, earliest first (one query for the group)."""
    ids = [m.registration_id for m in group.members]
    rows = db.session.scalars(
        select(Booking)
        .where(Booking.registration_id.in_(ids), Booking.is_live)
        .options(selectinload(Booking.exhibitor))
        .order_by(Booking.starts_at, Booking.id)
    )
    found: dict[int, list[Booking]] = {i: [] for i in ids}
    for booking in rows:
        found[booking.registration_id].append(booking)
    return found


def book_for(member: GroupMember, exhibitor, starts_at: datetime, coach: User) -> Booking:
    """Book an interview for a member who asked the coach to: every booking rule applies and the
    member is told as if they booked; the booking records the coach (``booked_by_id``)."""
    return booking_services.book(member.registration, exhibitor, starts_at, actor=coach)


def cancel_for(member: GroupMember, booking: Booking, coach: User) -> Booking:
    """Cancel a member's coming interview at their request (the coach is ``cancelled_by_id``)."""
    if booking.registration_id != member.registration_id:
        raise NotChangeable(_("This booking is not this member's."))
    if booking.starts_at <= utcnow():
        raise NotChangeable(_("The interview has already started and can no longer be cancelled."))
    return booking_services.cancel_booking(booking, actor=coach)


def send_link(member: GroupMember) -> list[str]:
    """Send the member the link to their page (ticket, schedule, first use): by email if they have
    an address, by text message if they have a phone. Returns the channels used; commits."""
    user = member.registration.user
    payload = {"url": member_url(member), "code": shown_code(member.code)}
    common = {"user": user, "event": member.group.event, "subject": member, "version": int(utcnow().timestamp())}
    channels = []
    if user.email and queue("member_link", payload=payload, **common) is not None:
        channels.append(Channel.EMAIL)
    phone = user.profile.phone if user.profile is not None else None
    if phone and queue("member_link", to_address=phone, channel=Channel.SMS, payload=payload, **common) is not None:
        channels.append(Channel.SMS)
    db.session.commit()
    return channels


def new_member_code(member: GroupMember) -> None:
    """A lost sheet: a new code, so the old sheet's code and link stop working."""
    member.code = new_code()
    db.session.commit()


# ---- the member ------------------------------------------------------------------------------


def first_use(member: GroupMember, language: str, consents: dict[str, bool], now: datetime | None = None) -> None:
    """The member chose their language, accepted the privacy terms and gave (or not) each optional
    consent themselves. Later visits may change them the same way. Commits."""
    now = now or utcnow()
    user = member.registration.user
    user.preferred_language = language
    profile = user.profile
    # The background question is not asked here: an answer given on the profile stays as it is.
    sensitive = profile is not None and profile.consent_sensitive_at is not None
    given = {c: bool(consents.get(c)) for c in MEMBER_CONSENTS}
    background = profile.foreign_background if sensitive else None
    save_profile(user, {"consents": {**given, "sensitive": sensitive}, "foreign_background": background}, now)
    if member.first_used_at is None:
        member.first_used_at = now
    db.session.commit()
