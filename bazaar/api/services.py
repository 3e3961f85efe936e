"""Creating, finding and revoking API tokens."""

import hashlib
import secrets

from bazaar.api.models import ApiToken
from bazaar.clock import utcnow
from bazaar.extensions import db

TOKEN_PREFIX = "bzr_"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user, event, name: str, scope: str = "read", exhibitor=None) -> tuple[ApiToken, str]:
    """A new token and its secret (shown once, never stored); with ``exhibitor``, it acts for
    that exhibitor only."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, event=event, exhibitor=exhibitor, name=name.strip()[:100], scope=scope, token_hash=_digest(secret)
    )
    db.session.add(token)
    db.session.commit()
    return token, secret


def token_from_secret(secret: str) -> ApiToken | None:
    """The live token with this secret, its last use recorded; None for unknown or revoked ones."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(db.select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None or token.revoked_at is not None:
        return None
    token.last_used_at = utcnow()
    db.session.commit()
    return token


def revoke_token(token: ApiToken) -> None:
    token.revoked_at = token.revoked_at or utcnow()
    db.session.commit()


def tokens_of(user) -> list[ApiToken]:
    return list(
        db.session.scalars(db.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc()))
    )
