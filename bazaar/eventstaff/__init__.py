"""An event's own staff: door staff and co-organisers, invited by the event's organisers."""
