"""Rules about an event's staff: inviting people to a role, granting it to an account, a person's
request for a role (job coach) and its decision, accepting, and revoking."""

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from bazaar.accounts import invitations
from bazaar.accounts.models import User
from bazaar.accounts.services import find_user_by_email, normalise_email
from bazaar.activitylog.models import Action
from bazaar.activitylog.services import log_action
from bazaar.clock import utcnow
from bazaar.events.models import (
    REQUESTABLE_ROLES,
    STAFF_ROLE_LABELS,
    Event,
    EventStaff,
    EventStaffInvitation,
    StaffRequest,
    StaffRequestStatus,
)
from bazaar.extensions import db

INVITATION_LINK = invitations.link("event_staff_invitation", EventStaffInvitation)


class EventStaffError(Exception):
    """A rule refused the change."""


def staff_of(event: Event) -> list[EventStaff]:
    """The event's staff, by role then name."""
    return list(
        db.session.scalars(
            select(EventStaff)
            .join(User, User.id == EventStaff.user_id)
            .options(joinedload(EventStaff.user))
            .where(EventStaff.event_id == event.id)
            .order_by(EventStaff.role, User.name, EventStaff.id)
        )
    )


def pending_invitations(event: Event) -> list[EventStaffInvitation]:
    return invitations.pending(EventStaffInvitation, EventStaffInvitation.event_id == event.id)


def invite(event: Event, email: str, role: str, inviter: User) -> EventStaffInvitation:
    """Email an invitation to ``role`` at ``event``; refused if the person has that role already."""
    if role not in STAFF_ROLE_LABELS:
        raise EventStaffError("unknown role")
    email = normalise_email(email)
    existing = find_user_by_email(email)
    if existing is not None and _role_row(event.id, existing.id, role) is not None:
        raise EventStaffError("already staff")
    invitation = EventStaffInvitation(event_id=event.id, email=email, role=role, invited_by_id=inviter.id)
    db.session.add(invitation)
    log_action(event, Action.EVENT_STAFF_INVITED, inviter, invitation, {"role": role})
    invitations.send(
        "event_staff_invitation",
        INVITATION_LINK,
        invitation,
        event=event,
        inviter=inviter,
        payload={"event_name": event.name},
    )
    db.session.commit()
    return invitation


def accept(invitation: EventStaffInvitation, user: User) -> EventStaff:
    """Give ``user`` the invitation's role (see :func:`bazaar.accounts.invitations.claim`)."""
    invitations.claim(invitation, user)
    staff = _give(invitation.event_id, user.id, invitation.role)
    log_action(invitation.event, Action.EVENT_STAFF_JOINED, user, invitation, {"role": invitation.role})
    db.session.commit()
    return staff


def grant(event: Event, email: str, role: str) -> EventStaff:
    """Give an existing account ``role`` at once (no invitation); refused if no account has ``email``."""
    if role not in STAFF_ROLE_LABELS:
        raise EventStaffError("unknown role")
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        raise EventStaffError("no account")
    staff = _give(event.id, user.id, role)
    log_action(event, Action.EVENT_STAFF_GRANTED, obj=staff, data={"user_id": user.id, "role": role})
    db.session.commit()
    return staff


def request_role(event: Event, user: User, role: str, organisation: str) -> StaffRequest:
    """The person asks the organisers for ``role`` (a declined request may be asked again)."""
    if role not in REQUESTABLE_ROLES:
        raise EventStaffError("not requestable")
    request = db.session.scalar(
        select(StaffRequest).where(
            StaffRequest.event_id == event.id, StaffRequest.user_id == user.id, StaffRequest.role == role
        )
    )
    if request is None:
        request = StaffRequest(event_id=event.id, user_id=user.id, role=role)
        db.session.add(request)
    request.organisation, request.status = organisation, StaffRequestStatus.PENDING
    request.created_at, request.decided_at, request.decided_by_id = utcnow(), None, None
    db.session.commit()
    return request


def own_request(event: Event, user: User, role: str) -> StaffRequest | None:
    return db.session.scalar(
        select(StaffRequest).where(
            StaffRequest.event_id == event.id, StaffRequest.user_id == user.id, StaffRequest.role == role
        )
    )


def pending_requests(event: Event) -> list[StaffRequest]:
    return list(
        db.session.scalars(
            select(StaffRequest)
            .options(joinedload(StaffRequest.user))
            .where(StaffRequest.event_id == event.id, StaffRequest.status == StaffRequestStatus.PENDING)
            .order_by(StaffRequest.created_at, StaffRequest.id)
        )
    )


def decide_request(request: StaffRequest, approve: bool, organiser: User) -> None:
    """Approve (the role is given) or decline a pending request."""
    if request.status != StaffRequestStatus.PENDING:
        raise EventStaffError("already decided")
    request.status = StaffRequestStatus.APPROVED if approve else StaffRequestStatus.DECLINED
    request.decided_at, request.decided_by_id = utcnow(), organiser.id
    if approve:
        _give(request.event_id, request.user_id, request.role)
    action = Action.EVENT_STAFF_REQUEST_APPROVED if approve else Action.EVENT_STAFF_REQUEST_DECLINED
    event = db.session.get(Event, request.event_id)
    log_action(event, action, organiser, request, {"user_id": request.user_id, "role": request.role})
    db.session.commit()


def _give(event_id: int, user_id: int, role: str) -> EventStaff:
    staff = _role_row(event_id, user_id, role)
    if staff is None:
        staff = EventStaff(event_id=event_id, user_id=user_id, role=role)
        db.session.add(staff)
    return staff


def revoke(staff: EventStaff) -> None:
    """Take the role away; every permission check reads the table, so access ends with this commit."""
    event = db.session.get(Event, staff.event_id)
    log_action(event, Action.EVENT_STAFF_REVOKED, data={"user_id": staff.user_id, "role": staff.role})
    db.session.delete(staff)
    db.session.commit()


def withdraw_invitation(invitation: EventStaffInvitation) -> None:
    """The invitation's link stops working at once."""
    log_action(
        invitation.event, Action.EVENT_STAFF_INVITATION_WITHDRAWN, obj=invitation, data={"role": invitation.role}
    )
    invitations.withdraw(invitation)


def _role_row(event_id: int, user_id: int, role: str) -> EventStaff | None:
    return db.session.scalar(
        select(EventStaff).where(
            EventStaff.event_id == event_id, EventStaff.user_id == user_id, EventStaff.role == role
        )
    )
