"""Follow-up survey answers and compiled statistics snapshots."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bazaar.clock import utcnow
from bazaar.db_types import UTCDateTime
from bazaar.extensions import db


class SnapshotStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class SurveyResponse(db.Model):
    """A visitor's follow-up answer for one event and survey wave; every wave's answer is kept."""

    __tablename__ = "survey_response"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    wave: Mapped[int] = mapped_column(default=1)
    result: Mapped[str] = mapped_column(String(24))  # job / internship / education / business / interview / nothing
    exhibitor_id: Mapped[int | None] = mapped_column(ForeignKey("exhibitor.id", ondelete="SET NULL"))
    employment_type: Mapped[str | None] = mapped_column(String(32))
    fair_contributed: Mapped[bool | None] = mapped_column()
    started_on: Mapped[datetime | None] = mapped_column(UTCDateTime())
    missing: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("registration_id", "wave"),)


class CaseResolution(db.Model):
    """An organiser's decision on a contradicted hire: the person was hired, or was not."""

    __tablename__ = "case_resolution"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"), unique=True)
    decision: Mapped[str] = mapped_column(String(16))  # hired / not_hired
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StatsSnapshot(db.Model):
    """A compiled, versioned set of figures; kept after visitors delete their data."""

    __tablename__ = "stats_snapshot"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default=SnapshotStatus.RUNNING)
    progress: Mapped[int] = mapped_column(default=0)  # percent
    reason: Mapped[str | None] = mapped_column(String(32))  # event_end / survey_wave / on_demand / retention
    figures: Mapped[dict] = mapped_column(db.JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("event_id", "version"),)
