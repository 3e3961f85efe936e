"""What accounts tell the rest of the house (blinker signals; receivers run inside the caller's transaction)."""

from blinker import Namespace

_signals = Namespace()

# A person withdrew a consent they had given (e.g. "matching"): send(user, consent=..., now=...).
consent_withdrawn = _signals.signal("consent-withdrawn")
