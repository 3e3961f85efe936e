"""A job coach's groups and their members (each member is a registration of the event)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bazaar.clock import utcnow
from bazaar.db_types import UTCDateTime
from bazaar.extensions import db


class CoachGroup(db.Model):
    """People a job coach registered together for one event (an SFI class, a job-club group)."""

    __tablename__ = "coach_group"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    # NULL once the coach's account is erased: the members keep their places and links.
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    event: Mapped["Event"] = relationship()  # noqa: F821
    coach: Mapped["User | None"] = relationship()  # noqa: F821
    members: Mapped[list["GroupMember"]] = relationship(
        back_populates="group", order_by="GroupMember.id", cascade="all, delete-orphan"
    )


class GroupMember(db.Model):
    """One registration in a coach's group. ``code`` is typed on the first-use page (or carried by the
    signed link); until ``first_used_at`` the member has chosen nothing, so nothing optional is assumed."""

    __tablename__ = "group_member"
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("coach_group.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"), unique=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    first_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    group: Mapped[CoachGroup] = relationship(back_populates="members")
    registration: Mapped["Registration"] = relationship()  # noqa: F821
