"""People and the bodies they act for."""

import hashlib
import hmac
from datetime import date, datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import Date, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bazaar.clock import utcnow
from bazaar.db_types import UTCDateTime
from bazaar.extensions import db


def normalise_email(email: str) -> str:
    """The form every address is stored and looked up in (the rate limits key on it too)."""
    return email.strip().lower()


class Invitation:
    """Columns of an emailed invitation into a role (an exhibitor's staff, an event's staff). The
    link's token names the row, so an invitation works once and can be withdrawn
    (``bazaar.accounts.invitations``)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.withdrawn_at is None


class Organisation(db.Model):
    """An organising body (county board, municipality, employment service ...)."""

    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)

    members: Mapped[list["User"]] = relationship(back_populates="organisation")


class User(UserMixin, db.Model):
    """Anyone who logs in. Roles come from relations: an organisation (organiser), exhibitor
    staff memberships, event staff assignments (check-in), and registrations (visitor)."""

    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased; None for a group member a job coach registered without one (bazaar.coaching).
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    preferred_language: Mapped[str] = mapped_column(String(5), default="sv")
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    is_active_account: Mapped[bool] = mapped_column(default=True)
    # Runs the site (set with ``flask bazaar site-operator``): sees every failed message, event or not.
    is_site_operator: Mapped[bool] = mapped_column(default=False, server_default=false())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last time they logged in: activity that keeps their data past an event's retention period.
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisation: Mapped[Organisation | None] = relationship(back_populates="members")
    profile: Mapped["VisitorProfile | None"] = relationship(
        back_populates="user", uselist=False, cascade="all, delete-orphan"
    )

    def session_stamp(self) -> str:
        """Changes whenever the password does, so every session and remember cookie made with the
        old password stops working after a reset or change."""
        key = current_app.secret_key.encode()
        return hmac.new(key, (self.password_hash or "").encode(), hashlib.sha256).hexdigest()[:20]

    def get_id(self) -> str:  # Flask-Login: what the session and remember cookie hold
        return f"{self.id}.{self.session_stamp()}"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_active_account and self.deleted_at is None

    @property
    def is_organiser(self) -> bool:
        return self.organisation_id is not None


class VisitorProfile(db.Model):
    """What a visitor chose to tell about themselves. Every field but the user is optional.

    ``foreign_background`` is sensitive: asked only with explicit consent, stored with the
    definition shown, never displayed per person, used only in suppressed aggregates.
    """

    __tablename__ = "visitor_profile"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    municipality: Mapped[str | None] = mapped_column(String(100))
    education_level: Mapped[str | None] = mapped_column(String(32))
    degree_origin: Mapped[str | None] = mapped_column(String(16))  # swedish / foreign
    credential_validated: Mapped[str | None] = mapped_column(String(16))  # yes / no / in_progress
    employment_status: Mapped[str | None] = mapped_column(String(32))
    occupations: Mapped[list] = mapped_column(db.JSON, default=list)  # occupation codes
    languages: Mapped[list] = mapped_column(db.JSON, default=list)  # ISO 639-1 codes
    swedish_level: Mapped[str | None] = mapped_column(String(16))
    years_in_sweden: Mapped[str | None] = mapped_column(String(16))  # band
    gender: Mapped[str | None] = mapped_column(String(16))
    age_band: Mapped[str | None] = mapped_column(String(16))
    heard_via: Mapped[str | None] = mapped_column(String(32))
    driving_licence: Mapped[bool | None] = mapped_column()
    available_from: Mapped[date | None] = mapped_column(Date)
    consent_share_profile_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_followup_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_news_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Matching: the organisers may suggest the visitor to employers who state a need, and show
    # the visitor employers that fit (bazaar.matching). Separate from sharing with booked employers.
    consent_matching_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_sensitive_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    foreign_background: Mapped[str | None] = mapped_column(String(32))
    foreign_background_definition: Mapped[str | None] = mapped_column(String(32))

    user: Mapped[User] = relationship(back_populates="profile")
