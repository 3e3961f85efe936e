"""API tokens: named, scoped to one event and to read or read-write, stored hashed."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bazaar.clock import utcnow
from bazaar.db_types import UTCDateTime
from bazaar.extensions import db

TOKEN_SCOPES = ("read", "read-write")


class ApiToken(db.Model):
    """The secret is shown once; only its SHA-256 is kept. Acts as ``user`` within ``event``."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(16), default="read")
    # An exhibitor admin's token acts for this one exhibitor only.
    exhibitor_id: Mapped[int | None] = mapped_column(ForeignKey("exhibitor.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User")
    event = relationship("Event")
    exhibitor = relationship("Exhibitor")
