"""A visitor's place at an event, and the event's waiting list."""

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, select, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bazaar.clock import utcnow
from bazaar.db_types import UTCDateTime
from bazaar.extensions import db


class RegistrationStatus(StrEnum):
    REGISTERED = "registered"  # holds a place
    WAITLISTED = "waitlisted"  # waiting for one
    OFFERED = "offered"  # a place is held for them until offer_expires_at
    CANCELLED = "cancelled"  # gave it up (or the offer lapsed)


class RegistrationChange(StrEnum):
    """What happened to a registration (``registration_changed``'s ``change``)."""

    CREATED = "created"  # made
    CONFIRMED = "confirmed"  # an offered place taken
    CANCELLED = "cancelled"  # given up


STATUS_LABELS = {
    RegistrationStatus.REGISTERED: _l("Registered"),
    RegistrationStatus.WAITLISTED: _l("Waiting list"),
    RegistrationStatus.OFFERED: _l("Offered a place"),
    RegistrationStatus.CANCELLED: _l("Cancelled"),
}
# The statuses that hold a place at the event.
PLACE_HOLDING = (RegistrationStatus.REGISTERED, RegistrationStatus.OFFERED)
NOT_CANCELLED = text(f"status <> '{RegistrationStatus.CANCELLED}'")


class Registration(db.Model):
    __tablename__ = "registration"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    # NULL once the visitor deleted their account: the row stays, anonymous, for the figures.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default=RegistrationStatus.REGISTERED)
    # Random, non-guessable; the QR carries a signed token holding it, never the row id.
    ticket_code: Mapped[str] = mapped_column(String(32), unique=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    walk_in: Mapped[bool] = mapped_column(default=False)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped by every ORM or Core UPDATE of the row (the API's ``updated_since`` reads it).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, index=True)

    event: Mapped["Event"] = relationship()  # noqa: F821
    user: Mapped["User | None"] = relationship(foreign_keys=[user_id])  # noqa: F821
    registered_by: Mapped["User | None"] = relationship(foreign_keys=[registered_by_id])  # noqa: F821

    __table_args__ = (
        # One live registration per visitor and event.
        Index(
            "uq_registration_event_user_live",
            "event_id",
            "user_id",
            unique=True,
            postgresql_where=NOT_CANCELLED,
            sqlite_where=NOT_CANCELLED,
        ),
    )

    @hybrid_property
    def holds_place(self) -> bool:
        """Registered, or offered a place that is held for them."""
        return self.status in PLACE_HOLDING

    @holds_place.inplace.expression
    @classmethod
    def _holds_place_expression(cls):
        return cls.status.in_(PLACE_HOLDING)


class QuestionKind(StrEnum):
    """What an organiser's own registration question takes as its answer."""

    TEXT = "text"
    CHOICE = "choice"  # one of the question's choices
    YES_NO = "yes_no"


# The kinds the statistics break down by (free text never is).
BROKEN_DOWN_KINDS = (QuestionKind.CHOICE, QuestionKind.YES_NO)
YES, NO = "yes", "no"
ANSWER_MAX = 1000


class RegistrationQuestion(db.Model):
    """A question an event's organisers ask in its registration form.

    ``text`` is a dict of language code to text; ``choices`` a list of such dicts, and a choice
    answer stores the choice's number (1, 2 ...), so a choice may be renamed after it was
    answered. A question removed after it was answered stops being asked (``asked`` false) and
    keeps its answers for the list, the export and the figures."""

    __tablename__ = "registration_question"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(16), default=QuestionKind.TEXT)
    required: Mapped[bool] = mapped_column(default=False)
    # Its breakdown is published once, after the follow-up survey closed (like foreign background).
    sensitive: Mapped[bool] = mapped_column(default=False)
    text: Mapped[dict] = mapped_column(db.JSON, default=dict)
    choices: Mapped[list] = mapped_column(db.JSON, default=list)
    asked: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def broken_down(self) -> bool:
        return self.kind in BROKEN_DOWN_KINDS


class RegistrationAnswer(db.Model):
    """A visitor's answer to one of the event's questions (personal data: the registrations shredder erases it).

    ``value``: the text; a choice's number; :data:`YES` or :data:`NO`."""

    __tablename__ = "registration_answer"
    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("registration_question.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(String(ANSWER_MAX))

    __table_args__ = (UniqueConstraint("registration_id", "question_id"),)


def registration_ids(users):
    """A subquery of the ids of these people's own registrations, for the tables that hang off them."""
    return select(Registration.id).where(Registration.user_id.in_([u.id for u in users])).scalar_subquery()


def live_registration(event_id: int, user_id: int) -> Registration | None:
    """The person's registration for the event that has not been cancelled, if any."""
    return db.session.scalar(
        select(Registration).where(
            Registration.event_id == event_id,
            Registration.user_id == user_id,
            Registration.status != RegistrationStatus.CANCELLED,
        )
    )
