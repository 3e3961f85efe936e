"""Registrations' messages. The confirmations carry the QR ticket, which check-in attaches
(:mod:`bazaar.checkin.notifications`)."""

from bazaar.notifications.registry import declare

TICKET_KINDS = ("registration_confirmed", "group_registration")
declare(*TICKET_KINDS, "group_invitation", "registration_offer")
