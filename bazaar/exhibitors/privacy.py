"""What exhibitors hold about a person: their staff memberships."""

from datetime import datetime

from bazaar.accounts.models import User
from bazaar.exhibitors.models import ExhibitorStaff
from bazaar.extensions import db
from bazaar.shredders import register


def erase(users: list[User], now: datetime) -> None:
    db.session.execute(db.delete(ExhibitorStaff).where(ExhibitorStaff.user_id.in_([u.id for u in users])))


register("exhibitors", order=60, description="Exhibitor staff memberships", erase=erase)
