"""Event staff's messages: the invitation to a role at an event."""

from bazaar.notifications.registry import declare

declare("event_staff_invitation")
