"""What booking tells the rest of the house (blinker signals; receivers run inside the caller's transaction)."""

from blinker import Namespace

_signals = Namespace()

# A booking was created, rescheduled or cancelled (a BookingChange): send(booking, event=..., change=...,
# outbox=[...]); a receiver may add outbox rows (notifications.services.message_row) to ``outbox``, written
# with the booking's own message in one statement after the receivers ran.
booking_changed = _signals.signal("booking-changed")
