"""What accounts tells the rest of the house (blinker signals; receivers run inside the caller's transaction)."""

from blinker import Namespace

_signals = Namespace()

# A visitor withdrew a consent (profile page or a one-click button): send(user, consent=..., now=...),
# ``consent`` the name in ``consent_<name>_at``. What rests on the consent ends in the same transaction.
consent_withdrawn = _signals.signal("consent-withdrawn")
