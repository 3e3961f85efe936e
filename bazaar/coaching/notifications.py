"""Coaching's messages: the link to a group member's own page (ticket, schedule, first use)."""

from bazaar.notifications.registry import declare

declare("member_link")
