"""What coaching holds about a person: as a member, their place in a coach's group (and its code);
as a coach, their groups and their requests for the role."""

from datetime import datetime

from sqlalchemy import delete, func, select, update

from bazaar.accounts.models import User
from bazaar.coaching.models import CoachGroup, GroupMember
from bazaar.events.models import StaffRequest
from bazaar.extensions import db
from bazaar.registrations.models import Registration, registration_ids
from bazaar.shredders import iso, register


def export(user: User) -> dict:
    memberships = db.session.scalars(
        select(GroupMember)
        .join(Registration, Registration.id == GroupMember.registration_id)
        .where(Registration.user_id == user.id)
        .order_by(GroupMember.id)
    ).all()
    coached = db.session.execute(
        select(CoachGroup, func.count(GroupMember.id))
        .outerjoin(GroupMember, GroupMember.group_id == CoachGroup.id)
        .where(CoachGroup.coach_id == user.id)
        .group_by(CoachGroup.id)
        .order_by(CoachGroup.id)
    ).all()
    requests = db.session.scalars(select(StaffRequest).where(StaffRequest.user_id == user.id)).all()
    return {
        "coaching": {
            "groups": [
                {
                    "event": m.group.event.name,
                    "group": m.group.name,
                    "coach": m.group.coach.name if m.group.coach else None,
                    "joined_at": iso(m.created_at),
                    "first_used_at": iso(m.first_used_at),
                }
                for m in memberships
            ],
            "coached_groups": [
                {"event": g.event.name, "group": g.name, "created_at": iso(g.created_at), "members": count}
                for g, count in coached
            ],
            "role_requests": [
                {
                    "event": r.event.name,
                    "role": r.role,
                    "organisation": r.organisation,
                    "status": r.status,
                    "asked_at": iso(r.created_at),
                }
                for r in requests
            ],
        }
    }


def erase(users: list[User], now: datetime) -> None:
    """A member leaves their group (code and link go); a coach's groups stay for their members,
    without the coach; requests for the role go. Runs before registrations are detached."""
    ids = [u.id for u in users]
    db.session.execute(
        delete(GroupMember).where(GroupMember.registration_id.in_(registration_ids(users))),
        execution_options={"synchronize_session": "fetch"},
    )
    db.session.execute(
        update(CoachGroup).where(CoachGroup.coach_id.in_(ids)).values(coach_id=None),
        execution_options={"synchronize_session": "fetch"},
    )
    db.session.execute(
        delete(StaffRequest).where(StaffRequest.user_id.in_(ids)), execution_options={"synchronize_session": "fetch"}
    )


register("coaching", order=40, description="Job coaches' groups and their members", export=export, erase=erase)
