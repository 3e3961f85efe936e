"""What exhibitors hold about a person: their staff memberships and the invitations sent to their address."""

from datetime import datetime

from bazaar.accounts.models import User
from bazaar.exhibitors.models import ExhibitorStaff, StaffInvitation
from bazaar.extensions import db
from bazaar.shredders import register


def erase(users: list[User], now: datetime) -> None:
    db.session.execute(db.delete(ExhibitorStaff).where(ExhibitorStaff.user_id.in_([u.id for u in users])))
    db.session.execute(db.delete(StaffInvitation).where(StaffInvitation.email.in_([u.email for u in users])))


register("exhibitors", order=60, description="Exhibitor staff memberships and invitations", erase=erase)
