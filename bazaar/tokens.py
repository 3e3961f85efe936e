"""Signed, expiring tokens for links in emails and QR tickets.

Each purpose has its own salt, so a token made for one purpose is refused for any other. A token's
age is judged by :func:`bazaar.clock.utcnow`, the clock every other rule uses.
"""

import re
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from bazaar.clock import utcnow
from bazaar.extensions import db

# What a signed token looks like in a text (payload.timestamp.signature, URL-safe base64).
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{16,}")


def redact_tokens(text: str, replacement: str) -> str:
    """``text`` with every signed token replaced: staff may read a message, never use its person's links."""
    return TOKEN_SHAPE.sub(replacement, text)


class InvalidToken(Exception):
    """The token is forged, damaged, for another purpose, or expired."""


class _ClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(utcnow().timestamp())


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"bazaar.{purpose}", signer=_ClockSigner)


def make_token(purpose: str, data) -> str:
    return _serializer(purpose).dumps(data)


def read_token(purpose: str, token: str, max_age: int | None = None):
    """Return the data in ``token`` or raise :class:`InvalidToken`."""
    if not token or len(token) > 2000:
        raise InvalidToken("empty or too long")
    try:
        return _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidToken("expired") from exc
    except BadSignature as exc:
        raise InvalidToken("bad signature") from exc


class SignedLink:
    """One kind of signed link, declared once: its purpose, the row it names and for how long.

    ``fields`` maps the token's short keys to what they hold: the first names the row (its primary key
    or another unique column); each other one is an attribute, or a function of the row, that must
    still give the same value when the link is used, so the link goes stale when it changes (a
    replaced offer, a changed password). ``max_age`` is a timedelta, the name of a config key holding
    seconds, or None. ``usable(row)`` may refuse rows the link must no longer reach.
    """

    def __init__(self, purpose: str, model, fields: dict, max_age: timedelta | str | None = None, usable=None):
        self.purpose, self.model, self.fields, self.max_age, self.usable = purpose, model, fields, max_age, usable

    def token(self, row) -> str:
        return make_token(self.purpose, {key: _value(row, field) for key, field in self.fields.items()})

    def max_age_seconds(self) -> int | None:
        if isinstance(self.max_age, str):
            return int(current_app.config[self.max_age])
        return None if self.max_age is None else int(self.max_age.total_seconds())

    def data(self, token: str) -> dict:
        """The token's fields, each naming a column of the right type; raises :class:`InvalidToken`."""
        data = read_token(self.purpose, (token or "").strip(), max_age=self.max_age_seconds())
        if not isinstance(data, dict):
            raise InvalidToken("malformed")
        columns = self.model.__table__.c
        for key, field in self.fields.items():
            column = columns.get(field) if isinstance(field, str) else None
            if column is not None and type(data.get(key)) is not column.type.python_type:
                raise InvalidToken("malformed")
        return data

    def load(self, token: str):
        """The row the link names while every field still matches; raises :class:`InvalidToken`."""
        data = self.data(token)
        (key, column), *others = self.fields.items()
        if column == "id":
            row = db.session.get(self.model, data[key])
        else:
            row = db.session.scalar(select(self.model).where(getattr(self.model, column) == data[key]))
        if row is None or any(_value(row, field) != data.get(k) for k, field in others):
            raise InvalidToken("unknown or stale")
        if self.usable is not None and not self.usable(row):
            raise InvalidToken("no longer usable")
        return row


def _value(row, field):
    return field(row) if callable(field) else getattr(row, field)
