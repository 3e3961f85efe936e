"""Activities' messages: the invitation to a try-a-job day, study visit or matching group, the
confirmation of a sign-up, the reminder the day before, and word that the host called it off."""

from bazaar.notifications.registry import declare

declare("activity_invitation", "activity_confirmed", "activity_reminder", "activity_cancelled")
