"""The activity log: who changed what at an event, and when (as pretix's activity log does).

On a low floor, beside the outbox: every domain may write to it (:func:`services.log_action`), and
it imports no domain. The organisers read it on the event's activity page (``events.views``)."""
