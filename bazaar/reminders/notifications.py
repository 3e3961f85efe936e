"""The reminders' messages; the interview reminder carries the booking's manage links."""

from sqlalchemy import select

from bazaar.booking.models import Booking
from bazaar.booking.notifications import manage_links
from bazaar.extensions import db
from bazaar.notifications.registry import declare, prefetch, render_values

REMINDER = "interview_reminder"
DAY_BEFORE = "event_day_before"
DIGEST = "exhibitor_digest"
OUTCOME_NUDGE = "outcome_nudge"
SURVEY_INVITATION = "survey_invitation"
SCHEDULED_KINDS = (DAY_BEFORE, DIGEST, OUTCOME_NUDGE, SURVEY_INVITATION)
declare(REMINDER, *SCHEDULED_KINDS)


@render_values(REMINDER)
def _manage_links(message) -> dict:
    """Signed when the reminder is rendered: its payload is written in SQL too
    (``event_times_changed``), which cannot sign them."""
    booking = db.session.get(Booking, message.subject_id) if message.subject_type == "booking" else None
    return manage_links(booking) if booking is not None and booking.is_live else {}


@prefetch(REMINDER)
def _bookings(messages) -> list[Booking]:
    """The bookings of a batch of reminders in one query, for :func:`_manage_links`."""
    ids = [m.subject_id for m in messages if m.subject_type == "booking"]
    return db.session.scalars(select(Booking).where(Booking.id.in_(ids))).all() if ids else []
