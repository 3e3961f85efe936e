"""Events (fairs) and who runs them."""

from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bazaar.accounts.models import Invitation
from bazaar.clock import utcnow
from bazaar.db_types import UTCDateTime
from bazaar.extensions import db


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"
    FINISHED = "finished"


STATUS_LABELS = {
    EventStatus.DRAFT: _l("Draft"),
    EventStatus.PUBLISHED: _l("Published"),
    EventStatus.CLOSED: _l("Closed"),
    EventStatus.FINISHED: _l("Finished"),
}
# The roles an event's organisers give people for their event; what each may do is decided in
# ``bazaar.permissions``.
STAFF_ROLE_LABELS = {
    "checkin": _l("Door staff"),
    "coorganiser": _l("Co-organiser"),
    "coach": _l("Job coach"),
}
# The roles a person may ask an event's organisers for (``StaffRequest``).
REQUESTABLE_ROLES = ("coach",)


class StaffRequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


STAFF_REQUEST_STATUS_LABELS = {
    StaffRequestStatus.PENDING: _l("Waiting for a decision"),
    StaffRequestStatus.APPROVED: _l("Approved"),
    StaffRequestStatus.DECLINED: _l("Declined"),
}


class Event(db.Model):
    """A fair. Times are stored in UTC and shown in ``timezone``.

    ``description`` and ``directions`` are dicts of language code to text, so organisers can
    write them in several languages (see :func:`bazaar.i18n.localized`).
    """

    __tablename__ = "event"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[dict] = mapped_column(db.JSON, default=dict)
    directions: Mapped[dict] = mapped_column(db.JSON, default=dict)
    venue_name: Mapped[str] = mapped_column(String(200))
    venue_address: Mapped[str] = mapped_column(String(300))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Stockholm")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    booking_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    booking_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    capacity: Mapped[int | None] = mapped_column()  # None: no limit
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.DRAFT)
    default_language: Mapped[str] = mapped_column(String(5), default="sv")
    max_bookings_per_visitor: Mapped[int] = mapped_column(default=3)
    allow_multiple_per_exhibitor: Mapped[bool] = mapped_column(default=False)
    reminder_minutes_before: Mapped[int] = mapped_column(default=60)
    followup_days: Mapped[list] = mapped_column(db.JSON, default=lambda: [30, 90])
    # Months after the survey period closes that visitors' personal data is kept (None: the site's default).
    retention_months: Mapped[int | None] = mapped_column()
    # Whom visitors ask about their data (the privacy notice names it; None: the site's contact).
    privacy_contact: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    organisers: Mapped[list["EventOrganiser"]] = relationship(back_populates="event", cascade="all, delete-orphan")

    @property
    def is_public(self) -> bool:
        return self.status != EventStatus.DRAFT

    def local_midnight(self, now: datetime | None = None) -> datetime:
        """The start of today at the fair (in its time zone), in UTC: where "today's arrivals" begin."""
        local_now = (now or utcnow()).astimezone(ZoneInfo(self.timezone))
        return local_now.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


class EventOrganiser(db.Model):
    """An organising body co-organising an event (a consortium has several)."""

    __tablename__ = "event_organiser"
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)

    event: Mapped[Event] = relationship(back_populates="organisers")
    organisation: Mapped["Organisation"] = relationship()  # noqa: F821


class EventStaff(db.Model):
    """A person given a role (:data:`STAFF_ROLE_LABELS`) for one event, e.g. door check-in on the day."""

    __tablename__ = "event_staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16), default="checkin")

    __table_args__ = (UniqueConstraint("event_id", "user_id", "role"),)
    user: Mapped["User"] = relationship()  # noqa: F821


class EventStaffInvitation(Invitation, db.Model):
    """An emailed invitation to one of the event's staff roles."""

    __tablename__ = "event_staff_invitation"
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="checkin")

    event: Mapped[Event] = relationship()


class StaffRequest(db.Model):
    """A person asks the event's organisers for a role (:data:`REQUESTABLE_ROLES`: job coach)."""

    __tablename__ = "staff_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16), default="coach")
    # Whom they work for and with whom (an SFI school, a municipality's job centre ...).
    organisation: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=StaffRequestStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    __table_args__ = (UniqueConstraint("event_id", "user_id", "role"),)
    event: Mapped[Event] = relationship()
    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821
