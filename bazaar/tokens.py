"""Signed, expiring tokens for links in emails and QR tickets.

Each purpose has its own salt, so a token made for one purpose is refused for any other. A token's
age is judged by :func:`bazaar.clock.utcnow`, the clock every other rule uses.
"""

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from bazaar.clock import utcnow


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
