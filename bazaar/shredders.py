"""The shredders every domain registers: what it exports about a person and how it erases them.

A domain calls :func:`register` at import time from its ``privacy.py``. An eraser is given a batch
of people (one for a deleted account, up to a hundred in a retention purge) and should erase them
with a fixed number of statements. Erasers run in ``order`` (lowest first) inside one transaction
that the caller commits; exports are merged in the same order.
Orders in use: 10 give up coming places, 20 free text, 40 leave coaches' groups, 50 detach
registrations, 60 own messages, staff memberships and names in the activity log, 90 the account
itself (last: the others still read the name and address).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

Exporter = Callable[["User"], dict]  # noqa: F821  (section name -> JSON-ready data)
Eraser = Callable[[list["User"], datetime], None]  # noqa: F821


@dataclass(frozen=True)
class Shredder:
    identifier: str
    order: int
    description: str
    export: Exporter | None = None
    erase: Eraser | None = None


_SHREDDERS: dict[str, Shredder] = {}


def register(identifier: str, *, order: int, description: str, export=None, erase=None) -> Shredder:
    """Add (or, on a re-import, replace) the shredder named ``identifier``."""
    shredder = Shredder(identifier, order, description, export, erase)
    _SHREDDERS[identifier] = shredder
    return shredder


def shredders() -> list[Shredder]:
    return sorted(_SHREDDERS.values(), key=lambda s: (s.order, s.identifier))


def iso(value: datetime | None) -> str | None:
    """A time as exports write it."""
    return value.isoformat() if value else None
