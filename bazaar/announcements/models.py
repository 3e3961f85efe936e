"""The record of each announcement sent: who wrote it, when, to whom, what it said, how many got it.

No recipient is stored here: each recipient's copy is an outbox row (``bazaar.notifications``),
which the privacy shredders already cover."""

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bazaar.clock import utcnow
from bazaar.db_types import UTCDateTime
from bazaar.extensions import db


class Audience(StrEnum):
    """Whom an announcement goes to (the query of each: ``bazaar.announcements.services``)."""

    REGISTERED = "registered"  # hold a place
    WAITLISTED = "waitlisted"  # on the event's waiting list
    EXHIBITOR_BOOKINGS = "exhibitor_bookings"  # have a live interview with one exhibitor
    EXHIBITORS = "exhibitors"  # admins and interviewers of the approved exhibitors
    CHECKED_IN = "checked_in"  # came through the door
    DAY_VISITORS = "day_visitors"  # hold a place and have an interview on one day, or came in that day
    NEWS = "news"  # asked to hear about next year's fair


AUDIENCE_LABELS = {
    Audience.REGISTERED: _l("Everyone registered"),
    Audience.WAITLISTED: _l("The waiting list"),
    Audience.EXHIBITOR_BOOKINGS: _l("Visitors booked with one exhibitor"),
    Audience.EXHIBITORS: _l("Exhibitors (their admins and interviewers)"),
    Audience.CHECKED_IN: _l("Visitors who checked in"),
    Audience.DAY_VISITORS: _l("Visitors of one day (an interview that day, or came in that day)"),
    Audience.NEWS: _l("The news list (asked to hear about next year's fair)"),
}


class Announcement(db.Model):
    """One announcement as sent. ``subject``, ``body`` and ``sms`` are dicts of language code to
    text; each recipient got the text :func:`bazaar.i18n.pick_text` chose for their language."""

    __tablename__ = "announcement"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    audience: Mapped[str] = mapped_column(String(24))
    exhibitor_id: Mapped[int | None] = mapped_column(ForeignKey("exhibitor.id", ondelete="SET NULL"))
    day: Mapped[date | None] = mapped_column(Date)  # the fair's day, for Audience.DAY_VISITORS
    subject: Mapped[dict] = mapped_column(db.JSON, default=dict)
    body: Mapped[dict] = mapped_column(db.JSON, default=dict)
    sms: Mapped[dict] = mapped_column(db.JSON, default=dict)
    email_count: Mapped[int] = mapped_column(default=0)
    sms_count: Mapped[int] = mapped_column(default=0)
    # Random, made with the form: a second submit of the same form finds this row instead of sending again.
    submission: Mapped[str] = mapped_column(String(64), unique=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    event: Mapped["Event"] = relationship()  # noqa: F821
    author: Mapped["User | None"] = relationship()  # noqa: F821
    exhibitor: Mapped["Exhibitor | None"] = relationship()  # noqa: F821
