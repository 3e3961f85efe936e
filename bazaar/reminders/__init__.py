"""Reminders and scheduled messages: the one wing that reads every domain to decide who is told what
and when (interview reminders, the day before, the exhibitors' digest, the outcome nudge, the
follow-up surveys). It sits above the domains and hears of their changes through their signals."""
