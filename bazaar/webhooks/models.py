"""Where an event's webhooks go, and which topics each URL hears."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bazaar.clock import utcnow
from bazaar.db_types import UTCDateTime
from bazaar.extensions import db


class WebhookEndpoint(db.Model):
    """A URL that receives the event's chosen topics, signed with ``secret`` (kept in clear: it
    signs, so Bazaar needs it; it is shown to the event's organisers only)."""

    __tablename__ = "webhook_endpoint"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(254))  # the outbox's address column holds it
    description: Mapped[str] = mapped_column(String(100), default="")
    topics: Mapped[list] = mapped_column(db.JSON, default=list)
    secret: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    event = relationship("Event")
