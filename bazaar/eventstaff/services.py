"""Rules about an event's staff: inviting people to a role, accepting, and revoking."""

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from bazaar.accounts import invitations
from bazaar.accounts.models import User
from bazaar.accounts.services import find_user_by_email, normalise_email
from bazaar.activitylog.models import Action
from bazaar.activitylog.services import log_action
from bazaar.events.models import STAFF_ROLE_LABELS, Event, EventStaff, EventStaffInvitation
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
    staff = _role_row(invitation.event_id, user.id, invitation.role)
    if staff is None:
        staff = EventStaff(event_id=invitation.event_id, user_id=user.id, role=invitation.role)
        db.session.add(staff)
    log_action(invitation.event, Action.EVENT_STAFF_JOINED, user, invitation, {"role": invitation.role})
    db.session.commit()
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
