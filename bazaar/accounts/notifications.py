"""Accounts' messages."""

from bazaar.notifications.registry import declare

declare("verify_email", "password_reset")
