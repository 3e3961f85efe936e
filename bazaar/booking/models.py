"""Interview slots, bookings and the per-exhibitor waiting list.

The database enforces the booking rules that must never break under concurrency: one live
booking per slot and one live booking per visitor and start time (partial unique indexes).
"""

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, and_, select, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from bazaar.clock import utcnow
from bazaar.db_types import UTCDateTime
from bazaar.extensions import db

# The codes stored in this domain's String columns (labels: bazaar.vocabularies).


class SlotFormat(StrEnum):
    """jobbdating: a short interview on the spot (Jobbdating 07's 300 interviews); interview: a
    longer one; talk: a speed-dating talk of a few minutes, which never counts as an interview."""

    JOBBDATING = "jobbdating"
    INTERVIEW = "interview"
    TALK = "talk"


class SlotStatus(StrEnum):
    OPEN = "open"
    BLOCKED = "blocked"
    REMOVED = "removed"


class BookingStatus(StrEnum):
    CONFIRMED = "confirmed"  # a live booking
    CANCELLED = "cancelled"


class Attendance(StrEnum):
    UNKNOWN = "unknown"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


class Outcome(StrEnum):
    NONE = "none"
    SECOND_INTERVIEW = "second_interview"
    OFFER = "offer"
    HIRED = "hired"
    INTERNSHIP = "internship"
    OTHER = "other"


class CancelReason(StrEnum):
    """Why a booking was cancelled (``Booking.cancel_reason``)."""

    VISITOR = "visitor"
    SLOT_REMOVED = "slot_removed"  # the exhibitor removed the slot: it is not offered on
    EXHIBITOR_WITHDRAWN = "exhibitor_withdrawn"  # the exhibitor no longer takes part
    REGISTRATION_CANCELLED = "registration_cancelled"


class BookingChange(StrEnum):
    """What happened to a booking (``booking_changed``'s ``change``)."""

    CREATED = "created"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"  # a slot is held for the visitor until offer_expires_at
    CLAIMED = "claimed"
    EXPIRED = "expired"
    LEFT = "left"
    CLOSED = "closed"


IN_LINE = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)
LIVE = text(f"status = '{BookingStatus.CONFIRMED}'")
WAITING = text(f"status IN ('{WaitlistStatus.WAITING}', '{WaitlistStatus.OFFERED}')")


class SpeedDatingSession(db.Model):
    """A speed-dating session: ``rounds`` rounds of ``round_minutes`` back to back from
    ``starts_at`` at ``area``, with ``seats`` seats per employer in every round.

    Each seat of a round is a talk slot (format TALK, ``Slot.session_id``, ``Slot.seat``) of one
    employer, at that employer's table named after the area. A visitor who books a round (on the web
    or at the door) holds one seat, so the one-live-booking-per-slot index means a round never seats
    more visitors than it has seats. An exhibitor's own session (``exhibitor_id`` set) has its seats
    at that employer. The organiser's shared session (``exhibitor_id`` NULL) belongs to the event:
    every participating employer has ``seats`` seats in every round; a visitor booking a round is
    seated with an employer they have not talked with yet, the one with most free seats, so over
    the rounds they book the employers rotate past them. Every talk is one visitor with one
    employer: logged by that employer and counted like any talk.
    """

    __tablename__ = "speed_dating_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    # The employer running it; NULL for the organiser's shared session.
    exhibitor_id: Mapped[int | None] = mapped_column(ForeignKey("exhibitor.id", ondelete="CASCADE"), index=True)
    area: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    round_minutes: Mapped[int] = mapped_column()
    rounds: Mapped[int] = mapped_column()
    seats: Mapped[int] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    event: Mapped["Event"] = relationship()  # noqa: F821
    exhibitor: Mapped["Exhibitor | None"] = relationship()  # noqa: F821

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.round_minutes * self.rounds)


class Slot(db.Model):
    __tablename__ = "slot"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    exhibitor_id: Mapped[int] = mapped_column(ForeignKey("exhibitor.id", ondelete="CASCADE"))
    table_id: Mapped[int] = mapped_column(ForeignKey("interview_table.id", ondelete="CASCADE"))
    opening_id: Mapped[int | None] = mapped_column(ForeignKey("opening.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    format: Mapped[str] = mapped_column(String(16), default=SlotFormat.JOBBDATING)
    status: Mapped[str] = mapped_column(String(16), default=SlotStatus.OPEN)
    # A slot offered to a visitor from the waiting list is held for them until ``held_until``;
    # nobody else can book it meanwhile (the booking claim checks this on the locked slot row).
    held_for_registration_id: Mapped[int | None] = mapped_column(ForeignKey("registration.id", ondelete="SET NULL"))
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A seat in a round of a speed-dating session (several seats share a table and a start).
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("speed_dating_session.id", ondelete="CASCADE"), index=True
    )
    seat: Mapped[int] = mapped_column(default=0, server_default="0")

    table: Mapped["InterviewTable"] = relationship()  # noqa: F821
    exhibitor: Mapped["Exhibitor"] = relationship()  # noqa: F821
    opening: Mapped["Opening | None"] = relationship()  # noqa: F821

    __table_args__ = (
        Index("ix_slot_exhibitor_start", "exhibitor_id", "starts_at"),
        Index("ix_slot_event_start", "event_id", "starts_at"),  # an event's free slots (the directory)
        Index("uq_slot_table_start", "table_id", "starts_at", "seat", unique=True),
    )


class Booking(db.Model):
    """An interview: booked in a slot, or a walk-in interview logged at the booth (no slot).

    ``starts_at``/``ends_at`` copy the slot's times so overlap rules need no join.
    ``sequence`` is raised on every change, for the calendar file.
    """

    __tablename__ = "booking"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    exhibitor_id: Mapped[int] = mapped_column(ForeignKey("exhibitor.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slot.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=BookingStatus.CONFIRMED)
    walk_in: Mapped[bool] = mapped_column(default=False)
    sequence: Mapped[int] = mapped_column(default=0)
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    attendance: Mapped[str] = mapped_column(String(16), default=Attendance.UNKNOWN)
    attendance_marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_employment_type: Mapped[str | None] = mapped_column(String(32))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    outcome_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Why it was cancelled (a CancelReason): shown to the visitor.
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    # The speed-dating talk this interview was booked from (the employer turned the talk into it).
    from_talk_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id", ondelete="SET NULL"), index=True)

    slot: Mapped[Slot | None] = relationship()
    registration: Mapped["Registration"] = relationship()  # noqa: F821
    exhibitor: Mapped["Exhibitor"] = relationship()  # noqa: F821

    @hybrid_property
    def is_live(self) -> bool:
        """Booked and not cancelled (the partial unique indexes count these)."""
        return self.status == BookingStatus.CONFIRMED

    @is_live.inplace.expression
    @classmethod
    def _is_live_expression(cls):
        return cls.status == BookingStatus.CONFIRMED

    @property
    def is_talk(self) -> bool:
        """A speed-dating talk, not an interview: the visitor's pages say so."""
        return self.slot is not None and self.slot.format == SlotFormat.TALK

    @hybrid_property
    def outcome_missing(self) -> bool:
        """A live interview nobody has marked a no-show whose outcome is not recorded yet: what the
        booth's "missing outcomes" list and the morning-after nudge ask for."""
        return self.is_live and self.attendance != Attendance.NO_SHOW and self.outcome is None

    @outcome_missing.inplace.expression
    @classmethod
    def _outcome_missing_expression(cls):
        return and_(cls.is_live, cls.attendance != Attendance.NO_SHOW, cls.outcome.is_(None))

    __table_args__ = (
        Index("uq_booking_slot_live", "slot_id", unique=True, postgresql_where=LIVE, sqlite_where=LIVE),
        Index(
            "uq_booking_visitor_start_live",
            "registration_id",
            "starts_at",
            unique=True,
            postgresql_where=LIVE,
            sqlite_where=LIVE,
        ),
        # The live bookings of one exhibitor, or of one event (rules.live_booking_on): with these
        # the free-slot queries read only that exhibitor's or event's bookings, with fresh planner
        # statistics or none (a rush fills the table faster than they are gathered).
        Index("ix_booking_exhibitor_live", "exhibitor_id", "slot_id", postgresql_where=LIVE, sqlite_where=LIVE),
        Index("ix_booking_event_live", "event_id", "slot_id", postgresql_where=LIVE, sqlite_where=LIVE),
    )


def my_bookings(registration, include_cancelled: bool = False) -> list[Booking]:
    """The visitor's bookings at the event (live ones unless ``include_cancelled``), earliest first."""
    q = (
        select(Booking)
        .where(Booking.registration_id == registration.id)
        # what every schedule shows of each: one query, however many interviews
        .options(joinedload(Booking.exhibitor), joinedload(Booking.slot).joinedload(Slot.table))
    )
    if not include_cancelled:
        q = q.where(Booking.is_live)
    return list(db.session.scalars(q.order_by(Booking.starts_at, Booking.id)))


class WaitlistEntry(db.Model):
    """A visitor waiting for a slot at one exhibitor; offered a slot with a time-limited hold."""

    __tablename__ = "waitlist_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    exhibitor_id: Mapped[int] = mapped_column(ForeignKey("exhibitor.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=WaitlistStatus.WAITING)
    offered_slot_id: Mapped[int | None] = mapped_column(ForeignKey("slot.id", ondelete="SET NULL"))
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    offers_made: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @hybrid_property
    def in_line(self) -> bool:
        """Waiting, or holding an offer: the visitor still has a place in the exhibitor's line."""
        return self.status in IN_LINE

    @in_line.inplace.expression
    @classmethod
    def _in_line_expression(cls):
        return cls.status.in_(IN_LINE)

    registration: Mapped["Registration"] = relationship()  # noqa: F821
    exhibitor: Mapped["Exhibitor"] = relationship()  # noqa: F821
    offered_slot: Mapped[Slot | None] = relationship()

    __table_args__ = (
        # One place in the line per visitor and exhibitor while waiting or holding an offer.
        Index(
            "uq_waitlist_exhibitor_visitor_live",
            "exhibitor_id",
            "registration_id",
            unique=True,
            postgresql_where=WAITING,
            sqlite_where=WAITING,
        ),
    )
