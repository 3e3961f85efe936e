"""What events tell the rest of the house (blinker signals; receivers run inside the caller's transaction)."""

from blinker import Namespace

_signals = Namespace()

# The event's times or reminder settings changed (the caller commits): send(event).
times_changed = _signals.signal("event-times-changed")

# Days of the event changed their hours or went (the caller commits): send(event, moves=[DayMove]).
# A receiver moves what lies on those days, or raises events.services.SlotsInTheWay to refuse.
days_changed = _signals.signal("event-days-changed")
