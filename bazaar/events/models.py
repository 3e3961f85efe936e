"""Events (fairs) and who runs them."""

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, LargeBinary, String, UniqueConstraint
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
    # At least one; ``starts_at``/``ends_at`` are their span (first opening, last closing), kept by sync_span.
    days: Mapped[list["EventDay"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventDay.opens_at"
    )

    @property
    def is_public(self) -> bool:
        return self.status != EventStatus.DRAFT

    def sync_span(self) -> None:
        """Set ``starts_at``/``ends_at`` to the days' span."""
        if self.days:
            self.starts_at = min(day.opens_at for day in self.days)
            self.ends_at = max(day.closes_at for day in self.days)

    def fair_date(self, moment: datetime | None = None) -> date:
        """The date of the fair's day at ``moment`` (default: now): the day open then, which keeps
        its date past midnight (an evening fair's visitor arrives once that day, not again at 00:00);
        outside opening hours, the date in the fair's time zone."""
        moment = moment or utcnow()
        open_day = next((day for day in self.days if day.opens_at <= moment < day.closes_at), None)
        return open_day.date if open_day else moment.astimezone(ZoneInfo(self.timezone)).date()

    def fair_day_end(self, on: date) -> datetime:
        """When the moments whose :meth:`fair_date` is ``on`` end: the next local midnight, or the
        day's closing if it runs past midnight."""
        midnight = datetime.combine(on + timedelta(days=1), time(0), tzinfo=ZoneInfo(self.timezone))
        day = self.day_on(on)
        return max(midnight.astimezone(UTC), day.closes_at) if day else midnight.astimezone(UTC)

    def day_on(self, on: date) -> "EventDay | None":
        """The fair's day on that local date, if it is one."""
        return next((day for day in self.days if day.date == on), None)

    def day_holding(self, starts_at: datetime, ends_at: datetime) -> "EventDay | None":
        """The fair's day whose opening hours hold ``starts_at``-``ends_at`` (a day may run past midnight)."""
        return next((day for day in self.days if day.opens_at <= starts_at and ends_at <= day.closes_at), None)


class EventDay(db.Model):
    """One day of a fair: its local date, opening hours (UTC) and where it is held if that differs."""

    __tablename__ = "event_day"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    date: Mapped[date] = mapped_column(Date)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(200), default="")  # e.g. "Hall B" or another venue

    event: Mapped[Event] = relationship(back_populates="days")

    @classmethod
    def spanning(cls, opens_at: datetime, closes_at: datetime, tz: str, note: str = "") -> "EventDay":
        """The day from ``opens_at`` to ``closes_at``, dated by its opening in ``tz``."""
        return cls(date=opens_at.astimezone(ZoneInfo(tz)).date(), opens_at=opens_at, closes_at=closes_at, note=note)

    __table_args__ = (UniqueConstraint("event_id", "date"),)


class EventOrganiser(db.Model):
    """An organising body co-organising an event (a consortium has several); its members run the
    event. The logo and website are how the body is shown on this event's page."""

    __tablename__ = "event_organiser"
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    website: Mapped[str | None] = mapped_column(String(300))
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # pages test logo_mimetype
    logo_mimetype: Mapped[str | None] = mapped_column(String(32))

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
