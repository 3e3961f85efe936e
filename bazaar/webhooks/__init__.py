"""Webhooks: an organiser's own systems hear of registrations, arrivals and interview outcomes as
they happen. Deliveries are outbox rows (channel ``webhook``), written in the transaction of the change
they report, signed and retried like every other message (bazaar/notifications/webhook.py)."""
