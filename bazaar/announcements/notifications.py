"""Announcements' message: the organiser's text, by email and SMS, in the recipient's language."""

from bazaar.notifications.registry import declare

KIND = "announcement"

declare(KIND)
