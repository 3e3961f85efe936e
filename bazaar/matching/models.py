"""An employer's stated need and the invitations sent to candidates for it."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bazaar.clock import utcnow
from bazaar.db_types import UTCDateTime
from bazaar.extensions import db


class InvitationStatus(StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


OFFERED = text(f"status = '{InvitationStatus.OFFERED}'")


class Need(db.Model):
    """What an exhibitor needs: the people, the skills and when. ``standing``: it stays open between
    fairs, so candidates are drawn from every consenting visitor, not only the fair's."""

    __tablename__ = "need"
    id: Mapped[int] = mapped_column(primary_key=True)
    exhibitor_id: Mapped[int] = mapped_column(ForeignKey("exhibitor.id", ondelete="CASCADE"), index=True)
    opening_id: Mapped[int | None] = mapped_column(ForeignKey("opening.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    occupations: Mapped[list] = mapped_column(db.JSON, default=list)  # codes from bazaar.occupations
    positions: Mapped[int] = mapped_column(default=1)
    languages: Mapped[list] = mapped_column(db.JSON, default=list)  # ISO 639-1 codes, all wanted
    education_level: Mapped[str | None] = mapped_column(String(32))  # the least wanted
    driving_licence: Mapped[bool] = mapped_column(default=False)
    location: Mapped[str | None] = mapped_column(String(100))
    starts_on: Mapped[date | None] = mapped_column(Date)
    swedish_developing_ok: Mapped[bool] = mapped_column(default=False)
    standing: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    exhibitor: Mapped["Exhibitor"] = relationship()  # noqa: F821
    opening: Mapped["Opening | None"] = relationship()  # noqa: F821
    invitations: Mapped[list["Invitation"]] = relationship(
        back_populates="need", cascade="all, delete-orphan", order_by="Invitation.id"
    )


class Invitation(db.Model):
    """A candidate invited to meet the employer, with an interview time held for them until
    ``expires_at`` (the slot's own hold); accepting books it under the booking rules."""

    __tablename__ = "invitation"
    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slot.id", ondelete="SET NULL"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=InvitationStatus.OFFERED)
    score: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    need: Mapped[Need] = relationship(back_populates="invitations")
    registration: Mapped["Registration"] = relationship()  # noqa: F821
    slot: Mapped["Slot | None"] = relationship()  # noqa: F821
    booking: Mapped["Booking | None"] = relationship()  # noqa: F821

    __table_args__ = (
        # One open invitation per candidate and need, and per held slot.
        Index(
            "uq_invitation_need_visitor_offered",
            "need_id",
            "registration_id",
            unique=True,
            postgresql_where=OFFERED,
            sqlite_where=OFFERED,
        ),
        Index("uq_invitation_slot_offered", "slot_id", unique=True, postgresql_where=OFFERED, sqlite_where=OFFERED),
    )
