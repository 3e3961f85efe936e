"""Booking's messages: the visitor's confirmation, change and cancellation (each with a calendar
file and, while the interview stands, links to cancel or change it), and the waiting list's offer."""

from datetime import timedelta

from flask import current_app

from bazaar.booking import signals
from bazaar.booking.calendar import booking_ics
from bazaar.booking.models import Booking, BookingChange
from bazaar.events.models import Event
from bazaar.extensions import db
from bazaar.notifications.registry import Attachment, attachment, declare
from bazaar.notifications.services import message_row, queue_rows
from bazaar.tokens import SignedLink

BOOKING_MESSAGES = {
    BookingChange.CREATED: "booking_confirmed",
    BookingChange.RESCHEDULED: "booking_changed",
    BookingChange.CANCELLED: "booking_cancelled",
}
WAITLIST_OFFER = "waitlist_offer"
declare(*BOOKING_MESSAGES.values(), WAITLIST_OFFER)

# The cancel and change links in a visitor's booking emails; a link lands on a page that needs a
# POST, so a mail scanner following it changes nothing.
MANAGE_LINK = SignedLink("booking.manage", Booking, {"b": "id", "r": "registration_id"}, timedelta(days=120))


def manage_url(booking: Booking, action: str) -> str:
    """Absolute link for emails to the page that confirms ``action`` ("cancel" or "reschedule")."""
    if action not in ("cancel", "reschedule"):
        raise ValueError(action)
    return f"{current_app.config['BASE_URL']}/bookings/link/{MANAGE_LINK.token(booking)}/{action}"


def manage_links(booking: Booking) -> dict:
    """The cancel and change links a visitor's email carries while the interview stands."""
    return {"cancel_url": manage_url(booking, "cancel"), "reschedule_url": manage_url(booking, "reschedule")}


def booking_payload(booking) -> dict:
    exhibitor, slot = booking.exhibitor, booking.slot
    return {
        "booking_id": booking.id,
        "exhibitor": exhibitor.name,
        "booth": exhibitor.booth_number or "",
        "booth_location": exhibitor.booth_location or "",
        "table": slot.table.name if slot is not None else "",
        "format": slot.format if slot is not None else "",
        "starts_at": booking.starts_at.isoformat(),
        "ends_at": booking.ends_at.isoformat(),
        "sequence": booking.sequence,
        "cancel_reason": getattr(booking, "cancel_reason", None) or "",
    }


def booking_changed(booking, change: str) -> None:
    """Queue the visitor's message about ``change`` and tell the listeners (the interview reminder
    follows). Call inside the transaction that changed the booking (the caller commits). The
    message and the rows the listeners add to ``outbox`` are written in one statement."""
    if change not in BOOKING_MESSAGES:
        raise ValueError(f"unknown booking change {change!r}")
    if booking.id is None:
        db.session.flush()
    event = db.session.get(Event, booking.event_id)
    visitor = booking.registration.user
    outbox = []
    if visitor is not None and not booking.walk_in:
        payload = booking_payload(booking)
        if change != BookingChange.CANCELLED:
            payload.update(manage_links(booking))
        outbox.append(
            message_row(
                BOOKING_MESSAGES[change],
                user=visitor,
                event=event,
                subject=booking,
                payload=payload,
                version=booking.sequence,
            )
        )
    signals.booking_changed.send(booking, event=event, change=change, outbox=outbox)
    queue_rows(outbox)


@attachment(*BOOKING_MESSAGES.values())
def _calendar_file(message) -> Attachment | None:
    booking = db.session.get(Booking, message.subject_id) if message.subject_type == "booking" else None
    if booking is None:
        return None
    data = booking_ics(booking)
    text = data.decode() if isinstance(data, bytes) else data
    method = "CANCEL" if "METHOD:CANCEL" in text else "REQUEST"
    return Attachment("interview.ics", "text", "calendar", text, {"method": method})
