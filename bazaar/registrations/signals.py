"""What registrations tell the rest of the house (blinker signals; receivers run inside the caller's transaction)."""

from blinker import Namespace

_signals = Namespace()

# A registration was made, its offered place taken or it was given up (a RegistrationChange):
# send(registration, event=..., change=...).
registration_changed = _signals.signal("registration-changed")
