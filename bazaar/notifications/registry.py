"""Which messages exist, and what they carry besides their text.

Each domain declares its own kinds in its ``notifications.py`` (``declare("booking_confirmed", ...)``)
and may add attachments to a kind, its own or another domain's (``@attachment("registration_confirmed")``:
check-in puts the QR ticket on the registration confirmation). A webhook delivery is signed with a
secret the webhooks domain looks up when it is sent (``@webhook_secret_lookup``). A kind may get
values signed only when it is rendered (``@render_values``: the interview reminder's manage links,
its payload being written in SQL), and load what those read for a whole batch at once (``@prefetch``).
The outbox renders
only declared kinds, so a message no domain owns fails loudly instead of going out half-made. Notifications imports no
domain: the domains come to it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Attachment:
    filename: str
    maintype: str
    subtype: str
    data: bytes | str
    params: dict = field(default_factory=dict)


class UnknownKind(LookupError):
    """A message kind that no domain declared."""


# kind -> the functions that make its attachments: fn(message) -> Attachment | None
_KINDS: dict[str, list[Callable]] = {}


def declare(*kinds: str) -> None:
    """Declare message kinds (each has templates ``emails/<kind>.*``)."""
    for kind in kinds:
        _KINDS.setdefault(kind, [])


def attachment(*kinds: str):
    """Decorator: ``fn(message) -> Attachment | None`` adds a file to every message of ``kinds``."""

    def register(fn: Callable) -> Callable:
        for kind in kinds:
            if kind not in _KINDS:
                raise UnknownKind(f"attachment for undeclared message kind {kind!r}")
            _KINDS[kind].append(fn)
        return fn

    return register


# kind -> the functions that add to the payload when a message is rendered: fn(message) -> dict
_RENDER_VALUES: dict[str, list[Callable]] = {}


def render_values(*kinds: str):
    """Decorator: ``fn(message) -> dict`` adds values to the payload of every message of ``kinds``
    as it is rendered (what SQL cannot make, such as signed links)."""

    def register(fn: Callable) -> Callable:
        for kind in kinds:
            if kind not in _KINDS:
                raise UnknownKind(f"render values for undeclared message kind {kind!r}")
            _RENDER_VALUES.setdefault(kind, []).append(fn)
        return fn

    return register


# kind -> the functions that load, once for a batch about to be rendered, what its render values read
_PREFETCH: dict[str, list[Callable]] = {}


def prefetch(*kinds: str):
    """Decorator: ``fn(messages) -> list`` loads in one query what the render values of ``kinds``
    read for each message (the reminders' bookings); the caller holds the returned rows while it
    renders the batch, so the session finds them without asking the database again."""

    def register(fn: Callable) -> Callable:
        for kind in kinds:
            if kind not in _KINDS:
                raise UnknownKind(f"prefetch for undeclared message kind {kind!r}")
            _PREFETCH.setdefault(kind, []).append(fn)
        return fn

    return register


def prefetch_for(messages) -> list:
    """Run every prefetch once over the messages of its kinds; returns what they loaded."""
    by_fn: dict[Callable, list] = {}
    for message in messages:
        for fn in _PREFETCH.get(message.kind, ()):
            by_fn.setdefault(fn, []).append(message)
    return [row for fn, batch in by_fn.items() for row in fn(batch)]


def payload(message) -> dict:
    """The payload ``message`` is rendered with: its stored payload and the values added for its kind."""
    values = dict(message.payload or {})
    for fn in _RENDER_VALUES.get(message.kind, []):
        values.update(fn(message))
    return values


# fn(message) -> the secret that signs a webhook delivery, or None when its endpoint is gone or off.
_WEBHOOK_SECRET: list[Callable] = []


def webhook_secret_lookup(fn: Callable) -> Callable:
    """Decorator: the one function that finds the signing secret of a webhook delivery."""
    _WEBHOOK_SECRET[:] = [fn]
    return fn


def webhook_secret(message) -> str | None:
    if not _WEBHOOK_SECRET:
        raise UnknownKind("no domain signs webhook deliveries")
    return _WEBHOOK_SECRET[0](message)


def kinds() -> list[str]:
    return sorted(_KINDS)


def attachments(message) -> list[Attachment]:
    """The files ``message`` carries; raises :class:`UnknownKind` for a kind nobody declared."""
    if message.kind not in _KINDS:
        raise UnknownKind(f"no domain declares the message kind {message.kind!r}")
    return [made for fn in _KINDS[message.kind] if (made := fn(message)) is not None]
