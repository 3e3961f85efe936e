"""Exhibitors' messages: the application's receipt and decision, and the staff invitation."""

from bazaar.notifications.registry import declare

declare(
    "application_received",
    "application_approved",
    "application_rejected",
    "application_waitlisted",
    "staff_invitation",
)
