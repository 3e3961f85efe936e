"""Rules about exhibitors: applications and decisions, staff, booth profile, openings, tables,
and the interview list an exhibitor works through on the day."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from bazaar.accounts import invitations
from bazaar.accounts.models import User, VisitorProfile
from bazaar.accounts.services import find_user_by_email, normalise_email
from bazaar.activitylog.models import Action
from bazaar.activitylog.services import changes, log_action
from bazaar.booking.models import (
    Attendance,
    Booking,
    Outcome,
    Slot,
    SlotFormat,
)
from bazaar.booking.services import coming_bookings, withdraw_exhibitor_bookings
from bazaar.clock import utcnow
from bazaar.events.models import Event
from bazaar.exhibitors import signals
from bazaar.exhibitors.forms import ATTENDANCE_LABELS, FORMAT_LABELS, OUTCOME_LABELS
from bazaar.exhibitors.models import (
    APPLICATION_STATUS_LABELS,
    EMPLOYMENT_TYPE_LABELS,
    EMPLOYMENT_TYPES,
    ORG_TYPE_LABELS,
    ApplicationStatus,
    Exhibitor,
    ExhibitorStaff,
    InterviewTable,
    Opening,
    StaffInvitation,
)
from bazaar.extensions import db
from bazaar.i18n import country_name, localized, spreadsheet_time
from bazaar.images import LogoRefused, checked_logo
from bazaar.notifications.services import queue
from bazaar.registrations.models import Registration

DECISIONS = (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED, ApplicationStatus.WAITLISTED)
DECISION_ACTIONS = {
    ApplicationStatus.APPROVED: Action.APPLICATION_APPROVED,
    ApplicationStatus.REJECTED: Action.APPLICATION_REJECTED,
    ApplicationStatus.WAITLISTED: Action.APPLICATION_WAITLISTED,
}
STAFF_ROLES = ("admin", "interviewer")
# The link in a staff invitation: for its address, while the invitation is pending.
INVITATION_LINK = invitations.link("staff_invitation", StaffInvitation)


class ExhibitorError(Exception):
    """A rule refused the change; ``str(error)`` is a message for the user."""


class TalkTakesNoOutcome(ExhibitorError):
    """An outcome was given for a speed-dating talk; only an interview takes one."""


class DuplicateApplication(ExhibitorError):
    """The organisation number has already applied to this event."""


@dataclass(frozen=True)
class WithdrawalImpact:
    """What taking an approved exhibitor off the fair cancels: its coming booked interviews."""

    bookings: int
    visitors: int


class BookingsAffected(ExhibitorError):
    """The decision would cancel coming bookings the organiser has not agreed to cancel."""

    def __init__(self, impact: WithdrawalImpact):
        super().__init__("bookings affected")
        self.impact = impact


# ---- applications ---------------------------------------------------------------------------


def find_duplicate(event: Event, org_number: str | None) -> Exhibitor | None:
    if not org_number:
        return None
    return db.session.scalar(
        select(Exhibitor).where(Exhibitor.event_id == event.id, Exhibitor.org_number == org_number)
    )


def submit_application(event: Event, applicant: User, fields: dict) -> Exhibitor:
    """Record an application; the applicant becomes the exhibitor's first admin.

    The unique (event, organisation number) constraint is what refuses a duplicate, so two
    applications sent at once cannot both get in.
    """
    if find_duplicate(event, fields.get("org_number")):
        raise DuplicateApplication()
    exhibitor = Exhibitor(event_id=event.id, status=ApplicationStatus.APPLIED, **fields)
    exhibitor.staff.append(ExhibitorStaff(user=applicant, role="admin"))
    db.session.add(exhibitor)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise DuplicateApplication() from exc
    queue(
        "application_received",
        user=applicant,
        event=event,
        subject=exhibitor,
        payload={"exhibitor_name": exhibitor.name, "event_name": event.name},
    )
    db.session.commit()
    return exhibitor


def list_applications(
    event: Event, status: str | None = None, org_type: str | None = None, query: str | None = None
) -> list[Exhibitor]:
    q = select(Exhibitor).where(Exhibitor.event_id == event.id)
    if status:
        q = q.where(Exhibitor.status == status)
    if org_type:
        q = q.where(Exhibitor.org_type == org_type)
    if query:
        pattern = f"%{query.strip().lower()}%"
        q = q.where(
            or_(
                func.lower(Exhibitor.name).like(pattern),
                func.lower(Exhibitor.contact_name).like(pattern),
                func.lower(Exhibitor.contact_email).like(pattern),
                Exhibitor.org_number.like(pattern),
                func.lower(Exhibitor.sector).like(pattern),
            )
        )
    return list(db.session.scalars(q.order_by(Exhibitor.created_at, Exhibitor.id)))


def application_table(event: Event, **filters) -> tuple[list[str], list[list]]:
    """The organiser export of applications: headers, types, statuses and countries in the
    reader's language, local times to the minute."""
    header = [
        _("Organisation"),
        _("Organisation number"),
        _("Country"),
        _("Type"),
        _("Sector"),
        _("Countries where the jobs are"),
        _("Contact person"),
        _("Contact email"),
        _("Contact phone"),
        _("Status"),
        _("Applied"),
        _("Decided"),
        _("Booth number"),
        _("Booth location"),
    ]
    rows = [
        [
            ex.name,
            ex.org_number,
            country_name(ex.country),
            str(ORG_TYPE_LABELS.get(ex.org_type, ex.org_type)),
            ex.sector,
            ", ".join(country_name(code) for code in ex.job_countries or ()),
            ex.contact_name,
            ex.contact_email,
            ex.contact_phone,
            str(APPLICATION_STATUS_LABELS.get(ex.status, ex.status)),
            spreadsheet_time(ex.created_at, event.timezone),
            spreadsheet_time(ex.decided_at, event.timezone),
            ex.booth_number,
            ex.booth_location,
        ]
        for ex in list_applications(event, **filters)
    ]
    return header, rows


def booking_table(exhibitor: Exhibitor) -> tuple[list[str], list[list]]:
    """The organiser's export of one exhibitor's booked times, in time order: who comes when, to
    which table, and what came of it; headers and codes in the reader's language, local times."""
    zone = exhibitor.event.timezone
    header = [
        _("Starts"),
        _("Ends"),
        _("Table"),
        _("Format"),
        _("Job opening"),
        _("Name"),
        _("Email"),
        _("Phone"),
        _("Walk-in"),
        _("Attendance"),
        _("Outcome"),
        _("Employment type (if hired)"),
    ]
    bookings = db.session.scalars(
        select(Booking)
        .where(Booking.exhibitor_id == exhibitor.id, Booking.is_live)
        .options(
            joinedload(Booking.slot).joinedload(Slot.table),
            joinedload(Booking.slot).joinedload(Slot.opening),
            joinedload(Booking.registration).joinedload(Registration.user).joinedload(User.profile),
        )
        .order_by(Booking.starts_at, Booking.id)
    )
    rows = []
    for b in bookings:
        slot, user = b.slot, b.registration.user
        opening = slot.opening if slot else None
        rows.append(
            [
                spreadsheet_time(b.starts_at, zone),
                spreadsheet_time(b.ends_at, zone),
                slot.table.name if slot else "",
                str(FORMAT_LABELS.get(slot.format, slot.format)) if slot else "",
                localized(opening.title) if opening else "",
                user.name if user else "",
                user.email if user else "",
                user.profile.phone if user and user.profile else "",
                _("Yes") if b.walk_in else _("No"),
                str(ATTENDANCE_LABELS.get(b.attendance, "")),
                str(OUTCOME_LABELS.get(b.outcome, b.outcome or "")),
                str(EMPLOYMENT_TYPE_LABELS.get(b.outcome_employment_type, b.outcome_employment_type or "")),
            ]
        )
    return header, rows


def admins(exhibitor: Exhibitor) -> list[User]:
    return [s.user for s in exhibitor.staff if s.role == "admin"]


def withdrawal_impact(exhibitor: Exhibitor, now: datetime | None = None) -> WithdrawalImpact:
    """How many coming bookings, and of how many visitors, a decision other than approval cancels."""
    if exhibitor.status != ApplicationStatus.APPROVED:
        return WithdrawalImpact(bookings=0, visitors=0)
    coming = coming_bookings(exhibitor, now)
    return WithdrawalImpact(bookings=len(coming), visitors=len({b.registration_id for b in coming}))


def decide_application(
    exhibitor: Exhibitor, decision: str, actor: User, message: str = "", cancel_bookings: int | None = None
) -> Exhibitor:
    """Approve, reject or waitlist; the exhibitor's admins are told either way.

    Taking an approved exhibitor off the fair cancels its coming bookings in the same transaction
    (each visitor is told, reminders are cancelled, its waiting list is closed), but only once the
    organiser has agreed: ``cancel_bookings`` must equal the number of bookings concerned, else
    :class:`BookingsAffected` says how many bookings and visitors it would be."""
    if decision not in DECISIONS:
        raise ExhibitorError("unknown decision")
    # Locked until commit: bookings read the status with a share lock (see exhibitor_takes_bookings).
    db.session.refresh(exhibitor, with_for_update=True)
    if decision == exhibitor.status:
        db.session.rollback()
        raise ExhibitorError("unchanged")
    now = utcnow()
    leaving = exhibitor.status == ApplicationStatus.APPROVED
    impact = withdrawal_impact(exhibitor, now)
    if impact.bookings and cancel_bookings != impact.bookings:
        db.session.rollback()
        raise BookingsAffected(impact)
    log_action(
        exhibitor.event,
        DECISION_ACTIONS[decision],
        actor,
        exhibitor,
        {"exhibitor": exhibitor.name, "old": exhibitor.status, "cancelled_bookings": impact.bookings},
    )
    exhibitor.status = decision
    exhibitor.decided_at = now
    exhibitor.decided_by_id = actor.id
    exhibitor.decision_message = message.strip() or None
    for admin in admins(exhibitor):
        queue(
            f"application_{decision}",
            user=admin,
            event=exhibitor.event,
            subject=exhibitor,
            version=exhibitor.decided_at.isoformat(),
            payload={
                "exhibitor_name": exhibitor.name,
                "event_name": exhibitor.event.name,
                "message": exhibitor.decision_message or "",
            },
        )
    if leaving:
        withdraw_exhibitor_bookings(exhibitor, actor, now)
    db.session.commit()
    return exhibitor


def assign_booth(exhibitor: Exhibitor, number: str, location: str) -> Exhibitor:
    booth = {"booth_number": number.strip() or None, "booth_location": location.strip() or None}
    changed = changes(exhibitor, booth)
    if changed:
        log_action(exhibitor.event, Action.BOOTH_ASSIGNED, obj=exhibitor, data=_named(exhibitor, changes=changed))
    for key, value in booth.items():
        setattr(exhibitor, key, value)
    db.session.commit()
    return exhibitor


def _named(exhibitor: Exhibitor, **data) -> dict:
    """A log entry's data, with the exhibitor's name as it was."""
    return {"exhibitor": exhibitor.name} | data


def exhibitors_of(user: User) -> list[Exhibitor]:
    """The exhibitors the user works for, newest event first."""
    return list(
        db.session.scalars(
            select(Exhibitor)
            .join(ExhibitorStaff)
            .join(Event, Event.id == Exhibitor.event_id)
            .where(ExhibitorStaff.user_id == user.id)
            .order_by(Event.starts_at.desc(), Exhibitor.id)
        )
    )


# ---- staff ----------------------------------------------------------------------------------


def invite_staff(exhibitor: Exhibitor, email: str, role: str, inviter: User) -> StaffInvitation:
    if role not in STAFF_ROLES:
        raise ExhibitorError("unknown role")
    email = normalise_email(email)
    existing = find_user_by_email(email)
    if existing and any(s.user_id == existing.id for s in exhibitor.staff):
        raise ExhibitorError("already staff")
    invitation = StaffInvitation(exhibitor_id=exhibitor.id, email=email, role=role, invited_by_id=inviter.id)
    db.session.add(invitation)
    log_action(exhibitor.event, Action.EXHIBITOR_STAFF_INVITED, inviter, invitation, _named(exhibitor, role=role))
    invitations.send(
        "staff_invitation",
        INVITATION_LINK,
        invitation,
        event=exhibitor.event,
        inviter=inviter,
        payload={"exhibitor_name": exhibitor.name, "event_name": exhibitor.event.name},
    )
    db.session.commit()
    return invitation


def pending_invitations(exhibitor: Exhibitor) -> list[StaffInvitation]:
    return invitations.pending(StaffInvitation, StaffInvitation.exhibitor_id == exhibitor.id)


def withdraw_invitation(invitation: StaffInvitation) -> None:
    """The invitation's link stops working at once."""
    exhibitor = invitation.exhibitor
    data = _named(exhibitor, role=invitation.role)
    log_action(exhibitor.event, Action.EXHIBITOR_STAFF_INVITATION_WITHDRAWN, obj=invitation, data=data)
    invitations.withdraw(invitation)


def accept_invitation(invitation: StaffInvitation, user: User) -> ExhibitorStaff:
    """Make ``user`` staff (see :func:`bazaar.accounts.invitations.claim`)."""
    invitations.claim(invitation, user)
    staff = db.session.scalar(
        select(ExhibitorStaff).where(
            ExhibitorStaff.exhibitor_id == invitation.exhibitor_id, ExhibitorStaff.user_id == user.id
        )
    )
    if staff is None:
        staff = ExhibitorStaff(exhibitor_id=invitation.exhibitor_id, user_id=user.id, role=invitation.role)
        db.session.add(staff)
    exhibitor = invitation.exhibitor
    log_action(
        exhibitor.event,
        Action.EXHIBITOR_STAFF_JOINED,
        user,
        exhibitor,
        _named(exhibitor, role=invitation.role, invitation_id=invitation.id),
    )
    db.session.commit()
    return staff


def remove_staff(exhibitor: Exhibitor, staff: ExhibitorStaff) -> None:
    """Remove a staff member; the last admin stays so the booth is never left without one."""
    if staff.role == "admin" and len(admins(exhibitor)) <= 1:
        raise ExhibitorError("last admin")
    for table in exhibitor.tables:
        if table.interviewer_id == staff.user_id:
            table.interviewer_id = None
    log_action(
        exhibitor.event,
        Action.EXHIBITOR_STAFF_REMOVED,
        obj=exhibitor,
        data=_named(exhibitor, user_id=staff.user_id, role=staff.role),
    )
    db.session.delete(staff)
    db.session.commit()


# ---- booth profile and openings -------------------------------------------------------------


def update_profile(exhibitor: Exhibitor, **fields) -> Exhibitor:
    for key, value in fields.items():
        setattr(exhibitor, key, value)
    db.session.commit()
    return exhibitor


def set_logo(exhibitor: Exhibitor, data: bytes) -> Exhibitor:
    """Store a logo after checking it is a PNG, JPEG or WebP image of at most 1 MB."""
    try:
        mimetype = checked_logo(data)
    except LogoRefused as exc:
        raise ExhibitorError(str(exc)) from exc
    exhibitor.logo = data
    exhibitor.logo_mimetype = mimetype
    db.session.commit()
    return exhibitor


def remove_logo(exhibitor: Exhibitor) -> None:
    exhibitor.logo = None
    exhibitor.logo_mimetype = None
    db.session.commit()


def save_opening(exhibitor: Exhibitor, opening: Opening | None, **fields) -> Opening:
    if opening is None:
        opening = Opening(exhibitor_id=exhibitor.id)
        db.session.add(opening)
    for key, value in fields.items():
        setattr(opening, key, value)
    db.session.commit()
    return opening


def delete_opening(opening: Opening) -> None:
    db.session.delete(opening)
    db.session.commit()


# ---- interview tables -----------------------------------------------------------------------


def save_table(
    exhibitor: Exhibitor, table: InterviewTable | None, name: str, interviewer_id: int | None
) -> InterviewTable:
    if interviewer_id is not None and not any(s.user_id == interviewer_id for s in exhibitor.staff):
        raise ExhibitorError("not staff")
    fields = {"name": name.strip(), "interviewer_id": interviewer_id}
    if table is None:
        table = InterviewTable(exhibitor_id=exhibitor.id, **fields)
        db.session.add(table)
        log_action(exhibitor.event, Action.TABLE_CREATED, obj=table, data=_named(exhibitor, table=table.name))
    elif changed := changes(table, fields):
        data = _named(exhibitor, table=fields["name"], changes=changed)
        log_action(exhibitor.event, Action.TABLE_CHANGED, obj=table, data=data)
        for key, value in fields.items():
            setattr(table, key, value)
    db.session.commit()
    return table


def delete_table(table: InterviewTable) -> None:
    """Delete a table and its slots; refused while any of its slots holds a live booking."""
    booked = db.session.scalar(
        select(func.count(Booking.id))
        .join(Slot, Slot.id == Booking.slot_id)
        .where(Slot.table_id == table.id, Booking.is_live)
    )
    if booked:
        raise ExhibitorError("has bookings")
    exhibitor = table.exhibitor
    log_action(exhibitor.event, Action.TABLE_DELETED, obj=table, data=_named(exhibitor, table=table.name))
    db.session.execute(delete(Slot).where(Slot.table_id == table.id))
    db.session.delete(table)
    db.session.commit()


# ---- the day: interviews, attendance and outcomes -------------------------------------------


@dataclass
class VisitorCard:
    """What an exhibitor may see of a visitor: the profile only with the visitor's consent,
    never the sensitive fields."""

    reference: str
    shared: bool
    name: str | None = None
    education_level: str | None = None
    languages: tuple = ()
    occupations: tuple = ()


def visitor_card(registration: Registration) -> VisitorCard:
    user = registration.user
    profile = user.profile if user is not None else None
    if profile is None:
        return _card(registration.ticket_code, None, None, None, None, None)
    return _card(
        registration.ticket_code,
        user.name,
        profile.consent_share_profile_at,
        profile.education_level,
        profile.languages,
        profile.occupations,
    )


# What :func:`_card` reads of a visitor, as columns (the day's list reads them in its one query).
CARD_COLUMNS = (
    Registration.ticket_code,
    User.name,
    VisitorProfile.consent_share_profile_at,
    VisitorProfile.education_level,
    VisitorProfile.languages,
    VisitorProfile.occupations,
)


def _card(ticket_code, name, shared_at, education_level, languages, occupations) -> VisitorCard:
    """The visitor's card: the profile only if the visitor consented to share it."""
    reference = ticket_code[:6].upper()
    if shared_at is None:
        return VisitorCard(reference=reference, shared=False)
    return VisitorCard(
        reference=reference,
        shared=True,
        name=name,
        education_level=education_level,
        languages=tuple(languages or ()),
        occupations=tuple(occupations or ()),
    )


@dataclass
class InterviewRow:
    booking: Booking
    table: InterviewTable | None
    visitor: VisitorCard
    talk: bool = False  # a speed-dating talk: held or no-show, no outcome


def day_interviews(exhibitor: Exhibitor, table_id: int | None = None) -> list[InterviewRow]:
    """The exhibitor's live interviews in time order: booked slots and walk-ins alike (one query,
    however many there are, reading of each visitor only what their card may show)."""
    q = (
        select(Booking, InterviewTable, Slot.format, *CARD_COLUMNS)
        .join(Registration, Registration.id == Booking.registration_id)
        .outerjoin(User, User.id == Registration.user_id)
        .outerjoin(VisitorProfile, VisitorProfile.user_id == User.id)
        .outerjoin(Slot, Slot.id == Booking.slot_id)
        .outerjoin(InterviewTable, InterviewTable.id == Slot.table_id)
        .where(Booking.exhibitor_id == exhibitor.id, Booking.is_live)
        .order_by(Booking.starts_at, Booking.id)
    )
    if table_id is not None:
        q = q.where(Slot.table_id == table_id)
    return [
        InterviewRow(booking=b, table=t, visitor=_card(*card), talk=slot_format == SlotFormat.TALK)
        for b, t, slot_format, *card in db.session.execute(q)
    ]


NEXT_SHOWN = 3  # interviews still to come shown open on the day page; later ones start folded


@dataclass
class DayPlan:
    """The day page's three parts: what needs the interviewer now, what comes later, what is done."""

    now: list[InterviewRow]  # unmarked interviews already begun, the one under way and the next few
    later: list[InterviewRow]
    done: list[InterviewRow]  # over and marked held or no-show


def day_plan(rows: list[InterviewRow], now: datetime | None = None) -> DayPlan:
    now = now or utcnow()
    begun, coming, done = [], [], []
    for row in rows:
        b = row.booking
        if b.ends_at <= now and b.attendance != Attendance.UNKNOWN:
            done.append(row)
        else:
            (begun if b.starts_at <= now else coming).append(row)
    return DayPlan(now=begun + coming[:NEXT_SHOWN], later=coming[NEXT_SHOWN:], done=done)


def missing_outcomes(exhibitor: Exhibitor, now: datetime | None = None) -> list[InterviewRow]:
    """Interviews already over that still lack attendance or, if held, an outcome."""
    now = now or utcnow()
    return [row for row in day_interviews(exhibitor) if row.booking.starts_at <= now and row.booking.outcome_missing]


def record_interview(
    booking: Booking,
    actor: User,
    attendance: str,
    outcome: str | None = None,
    employment_type: str | None = None,
    note: str | None = None,
) -> Booking:
    """Mark an interview held or a no-show and, if held, its outcome (who and when recorded). A
    speed-dating talk is only held or missed: it takes no outcome (an interview after it does)."""

    if attendance not in tuple(Attendance) or attendance == Attendance.UNKNOWN:
        raise ExhibitorError("attendance")
    if outcome is not None and booking.slot is not None and booking.slot.format == SlotFormat.TALK:
        raise TalkTakesNoOutcome("a talk takes no outcome")
    if attendance == Attendance.NO_SHOW:
        outcome, employment_type, note = None, None, None
    else:
        if outcome is not None and outcome not in tuple(Outcome):
            raise ExhibitorError("outcome")
        if outcome == Outcome.HIRED and employment_type not in EMPLOYMENT_TYPES:
            raise ExhibitorError("employment type")
        if outcome != Outcome.HIRED:
            employment_type = None
    recorded = {"attendance": attendance, "outcome": outcome, "outcome_employment_type": employment_type}
    first = booking.attendance == Attendance.UNKNOWN
    changed = changes(booking, recorded)
    if changed:
        exhibitor = booking.exhibitor
        action = Action.INTERVIEW_RECORDED if first else Action.INTERVIEW_CHANGED
        data = _named(exhibitor, starts_at=booking.starts_at, changes=changed)
        log_action(exhibitor.event, action, actor, booking, data)
    booking.attendance = attendance
    booking.attendance_marked_by_id = actor.id
    booking.outcome = outcome
    booking.outcome_employment_type = employment_type
    booking.outcome_note = (note or "").strip() or None
    booking.outcome_recorded_at = utcnow() if outcome else None
    booking.outcome_recorded_by_id = actor.id if outcome else None
    signals.interview_recorded.send(booking, event=booking.exhibitor.event)
    db.session.commit()
    return booking
