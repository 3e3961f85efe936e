"""What the door tells the rest of the house (blinker signals; receivers run inside the caller's transaction)."""

from blinker import Namespace

_signals = Namespace()

# A visitor's arrival was recorded for the first time: send(registration, event=..., at=..., door=...).
checked_in = _signals.signal("checked-in")
