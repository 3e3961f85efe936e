"""The outbox as staff see it: an event's messages for its organisers, every failed one for site
operators. The outbox itself (writing, sending, rendering) is :mod:`bazaar.notifications`."""
