"""Matching's message: the invitation to meet an employer at a reserved time."""

from bazaar.notifications.registry import declare

declare("match_invitation")
