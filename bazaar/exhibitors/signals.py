"""What exhibitors tell the rest of the house (blinker signals; receivers run inside the caller's transaction)."""

from blinker import Namespace

_signals = Namespace()

# An interviewer recorded an interview's attendance and outcome: send(booking, event=...).
interview_recorded = _signals.signal("interview-recorded")
