"""What booking tells the rest of the house (blinker signals; receivers run inside the caller's transaction)."""

from blinker import Namespace

_signals = Namespace()

# A booking was created, rescheduled or cancelled (a BookingChange): send(booking, event=..., change=...).
booking_changed = _signals.signal("booking-changed")
