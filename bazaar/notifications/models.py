"""The outbox: every message is a row, written in the transaction that causes it."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bazaar.clock import utcnow
from bazaar.db_types import UTCDateTime
from bazaar.extensions import db


class MessageStatus(StrEnum):
    """pending -> claimed -> sent | failed | skipped; pending -> cancelled"""

    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    # (recipient, kind, subject, version): the same message is never written, so never sent, twice.
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(8), default=Channel.EMAIL)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    to_address: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(5), default="sv")
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[int | None] = mapped_column()
    payload: Mapped[dict] = mapped_column(db.JSON, default=dict)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A message not sent by then is skipped rather than sent late (e.g. a reminder after the interview).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Random per claim: only the process holding the current claim may record the outcome, so a
    # claim taken over after its lease ran out cannot be overwritten by the one it replaced.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # Named, not imported: the outbox knows no domain's code (docs/architecture.md).
    user = relationship("User", viewonly=True)
    event = relationship("Event", viewonly=True)

    __table_args__ = (Index("ix_outbox_status_due", "status", "due_at"),)
