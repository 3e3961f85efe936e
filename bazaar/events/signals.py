"""What events tell the rest of the house (blinker signals; receivers run inside the caller's transaction)."""

from blinker import Namespace

_signals = Namespace()

# The event's times or reminder settings changed (the caller commits): send(event).
times_changed = _signals.signal("event-times-changed")
