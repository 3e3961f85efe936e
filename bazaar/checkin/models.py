"""Scans on the event day: at the door and at the booths."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bazaar.clock import utcnow
from bazaar.db_types import UTCDateTime
from bazaar.extensions import db


class ScanResult(StrEnum):
    """What a door scan can find. forged: the signature does not hold; unknown: a genuine ticket
    whose registration no longer exists; not_registered: waiting list or an unanswered offer."""

    CHECKED_IN = "checked_in"
    ALREADY = "already_checked_in"
    UNKNOWN = "unknown"
    WRONG_EVENT = "wrong_event"
    CANCELLED = "cancelled"
    NOT_REGISTERED = "not_registered"
    FORGED = "forged"
    NOT_CHECKED_IN = "not_checked_in"  # a lookup's answer (never a door scan's)


class BoothScanKind(StrEnum):
    CONVERSATION = "conversation"
    INTERVIEW = "interview"  # a walk-in interview, also a Booking


class DoorScan(db.Model):
    """Every door scan, including failed ones (who, which door, when, what it found)."""

    __tablename__ = "door_scan"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registration.id", ondelete="SET NULL"), index=True)
    scanned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    door: Mapped[str | None] = mapped_column(String(50))
    result: Mapped[str] = mapped_column(String(24))
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # the door's clock if it sent one
    # The client's id for an offline or API scan: sent again, it answers the first scan's result.
    scan_id: Mapped[str | None] = mapped_column(String(36), unique=True)

    registration: Mapped["Registration | None"] = relationship()  # noqa: F821
    scanned_by: Mapped["User | None"] = relationship()  # noqa: F821


class Arrival(db.Model):
    """A visitor's first arrival on one day of the fair (local date): one row per visitor and day,
    so a visitor in on day 1 is not "in" on day 2. ``Registration.checked_in_at`` stays the first
    arrival of all."""

    __tablename__ = "arrival"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime())
    door: Mapped[str | None] = mapped_column(String(50))

    __table_args__ = (UniqueConstraint("registration_id", "day"),)


class BoothScan(db.Model):
    """A badge scanned at a booth: a conversation, or a walk-in interview (then also a Booking)."""

    __tablename__ = "booth_scan"
    id: Mapped[int] = mapped_column(primary_key=True)
    exhibitor_id: Mapped[int] = mapped_column(ForeignKey("exhibitor.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registration.id", ondelete="SET NULL"))
    scanned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16), default=BoothScanKind.CONVERSATION)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id", ondelete="SET NULL"))
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    registration: Mapped["Registration | None"] = relationship()  # noqa: F821
    booking: Mapped["Booking | None"] = relationship()  # noqa: F821
    scanned_by: Mapped["User | None"] = relationship()  # noqa: F821
