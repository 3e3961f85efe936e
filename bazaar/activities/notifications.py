"""Activities' message: the invitation to a try-a-job day, study visit or matching group."""

from bazaar.notifications.registry import declare

declare("activity_invitation")
