"""An activity offered after the fair and the visitors taking part in it."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bazaar.booking.models import Attendance
from bazaar.clock import utcnow
from bazaar.db_types import UTCDateTime
from bazaar.extensions import db


class ActivityKind(StrEnum):
    TRY_A_JOB_DAY = "try_a_job_day"  # prova-på-dag
    STUDY_VISIT = "study_visit"  # a visit at the workplace
    MATCHING_GROUP = "matching_group"  # a group of 5-15 people meeting the employer


class Audience(StrEnum):
    INVITED = "invited"  # the visitors who met the employer at the fair, invited by email
    OPEN = "open"  # every registered visitor of the fair, listed on their pages


class ParticipantStatus(StrEnum):
    INVITED = "invited"
    SIGNED_UP = "signed_up"  # holds a place
    CANCELLED = "cancelled"


class ActivityOutcome(StrEnum):
    NONE = "none"
    NEXT_STEP = "next_step"
    OFFER = "offer"
    HIRED = "hired"


# The places of a group: the source reports' groups of 5 to 15 people.
CAPACITY_MIN, CAPACITY_MAX = 5, 15


class Activity(db.Model):
    """A try-a-job day, study visit or matching group after the fair, hosted by an exhibitor (or by
    the organisers, with or without an exhibitor). ``title`` and ``description`` map a language
    code to text; ``languages`` are the ISO 639-1 codes spoken there."""

    __tablename__ = "activity"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    exhibitor_id: Mapped[int | None] = mapped_column(ForeignKey("exhibitor.id", ondelete="CASCADE"), index=True)
    opening_id: Mapped[int | None] = mapped_column(ForeignKey("opening.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32), default=ActivityKind.TRY_A_JOB_DAY)
    audience: Mapped[str] = mapped_column(String(16), default=Audience.INVITED)
    title: Mapped[dict] = mapped_column(db.JSON, default=dict)
    description: Mapped[dict] = mapped_column(db.JSON, default=dict)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    place: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int] = mapped_column(default=CAPACITY_MAX)
    languages: Mapped[list] = mapped_column(db.JSON, default=list)
    interpreter: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # called off by the host
    cancel_message: Mapped[str | None] = mapped_column(Text)  # the host's word to those taking part

    event: Mapped["Event"] = relationship()  # noqa: F821
    exhibitor: Mapped["Exhibitor | None"] = relationship()  # noqa: F821
    opening: Mapped["Opening | None"] = relationship()  # noqa: F821
    participants: Mapped[list["Participant"]] = relationship(
        back_populates="activity", cascade="all, delete-orphan", order_by="Participant.id"
    )


class Participant(db.Model):
    """One visitor (by their registration for the fair) and one activity: invited, signed up
    (holding a place) or cancelled, then attendance and outcome as the host records them."""

    __tablename__ = "activity_participant"
    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ParticipantStatus.INVITED)
    attendance: Mapped[str] = mapped_column(String(16), default=Attendance.UNKNOWN)
    outcome: Mapped[str | None] = mapped_column(String(16))  # an ActivityOutcome
    outcome_note: Mapped[str | None] = mapped_column(Text)
    outcome_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    activity: Mapped[Activity] = relationship(back_populates="participants")
    registration: Mapped["Registration"] = relationship()  # noqa: F821

    @hybrid_property
    def holds_place(self) -> bool:
        return self.status == ParticipantStatus.SIGNED_UP

    @holds_place.inplace.expression
    @classmethod
    def _holds_place_expression(cls):
        return cls.status == ParticipantStatus.SIGNED_UP

    __table_args__ = (
        # One row per visitor and activity: an invitation becomes the sign-up, a cancelled one may sign up again.
        Index("uq_activity_participant_visitor", "activity_id", "registration_id", unique=True),
    )
