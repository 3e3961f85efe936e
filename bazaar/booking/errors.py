"""How booking fails (:class:`BookingError` and its kinds), and :func:`run`, the one transaction
a booking change runs in, which reports a lock timeout as :class:`Busy`."""

from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError

from bazaar.extensions import db


class BookingError(Exception):
    """A booking could not be made or changed. ``message`` is shown to the visitor (the page
    offers the nearest times they can take: :func:`bazaar.booking.rules.nearest_offers`)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotRegistered(BookingError):
    """The visitor holds no live registration for the event."""


class BookingClosed(BookingError):
    """Outside the event's booking window, or the slot has already started."""


class SlotUnavailable(BookingError):
    """The slot is blocked, removed, held for someone else, or its exhibitor is not approved."""


class SlotTaken(BookingError):
    """Someone else got the slot first (the loser of a race)."""


class Overlap(BookingError):
    """The visitor already has an interview at an overlapping time."""


class CapReached(BookingError):
    """The visitor has as many interviews as the event allows."""


class AlreadyBookedExhibitor(BookingError):
    """The visitor already has an interview with this exhibitor."""


class NotChangeable(BookingError):
    """The booking is cancelled, past, or otherwise cannot be changed any more."""


class Busy(BookingError):
    """The lock could not be had within the lock timeout (many requests at once): try again."""


class WaitlistError(BookingError):
    """A waiting-list action is not possible (not waiting, offer expired, ...)."""


def run(work):
    """Run ``work()`` as one transaction: commit on success, roll back on any error."""
    try:
        result = work()
        db.session.commit()
        return result
    except OperationalError as exc:
        db.session.rollback()
        if "lock timeout" in str(exc.orig) or getattr(exc.orig, "sqlstate", None) == "55P03":
            raise Busy(_("Many people are booking right now. Please try again.")) from exc
        raise
    except BaseException:
        db.session.rollback()
        raise
