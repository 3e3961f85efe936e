"""Exhibitors, their staff, booths and job openings."""

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bazaar.accounts.models import Invitation
from bazaar.clock import utcnow
from bazaar.db_types import UTCDateTime
from bazaar.extensions import db

ORG_TYPES = ("employer", "staffing_agency", "public_employer", "civil_society", "education_provider")
EMPLOYMENT_TYPES = (
    "permanent",
    "temporary",
    "internship",
    "probationary",
    "apprenticeship",
    "subsidised",
    "seasonal",
)


class ApplicationStatus(StrEnum):
    """An exhibitor's application; only an approved exhibitor is at the fair and takes bookings."""

    APPLIED = "applied"
    APPROVED = "approved"
    REJECTED = "rejected"
    WAITLISTED = "waitlisted"


# What people read for the codes above (``bazaar.vocabularies``).
APPLICATION_STATUS_LABELS = {
    ApplicationStatus.APPLIED: _l("New"),
    ApplicationStatus.APPROVED: _l("Approved"),
    ApplicationStatus.REJECTED: _l("Rejected"),
    ApplicationStatus.WAITLISTED: _l("Waiting list"),
}
ORG_TYPE_LABELS = {
    "employer": _l("Employer"),
    "staffing_agency": _l("Staffing agency"),
    "public_employer": _l("Public employer"),
    "civil_society": _l("Civil society organisation"),
    "education_provider": _l("Education provider"),
}
# With the codes, so every package that shows an opening (the booking directory too) names them alike.
EMPLOYMENT_TYPE_LABELS = {
    "permanent": _l("Permanent"),
    "temporary": _l("Temporary"),
    "internship": _l("Internship"),
    "probationary": _l("Probationary"),
    "apprenticeship": _l("Apprenticeship"),
    "subsidised": _l("Subsidised entry job"),
    "seasonal": _l("Seasonal"),
}


class Exhibitor(db.Model):
    """An organisation exhibiting at one event (its application, once approved, its booth)."""

    __tablename__ = "exhibitor"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    org_number: Mapped[str | None] = mapped_column(String(16))  # Swedish organisationsnummer
    country: Mapped[str] = mapped_column(String(2), default="SE")  # ISO 3166-1 alpha-2
    org_type: Mapped[str] = mapped_column(String(32), default="employer")
    sector: Mapped[str | None] = mapped_column(String(64))
    job_countries: Mapped[list] = mapped_column(db.JSON, default=list)
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=ApplicationStatus.APPLIED)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decision_message: Mapped[str | None] = mapped_column(Text)  # the organiser's words to the applicant
    description: Mapped[dict] = mapped_column(db.JSON, default=dict)  # language -> text
    booth_languages: Mapped[list] = mapped_column(db.JSON, default=list)
    recruits_abroad: Mapped[bool] = mapped_column(default=False)
    booth_number: Mapped[str | None] = mapped_column(String(16))
    booth_location: Mapped[str | None] = mapped_column(String(100))
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # lists test logo_mimetype
    logo_mimetype: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    event: Mapped["Event"] = relationship()  # noqa: F821
    staff: Mapped[list["ExhibitorStaff"]] = relationship(back_populates="exhibitor", cascade="all, delete-orphan")
    openings: Mapped[list["Opening"]] = relationship(back_populates="exhibitor", cascade="all, delete-orphan")
    tables: Mapped[list["InterviewTable"]] = relationship(
        back_populates="exhibitor", cascade="all, delete-orphan", order_by="InterviewTable.id"
    )

    # One application per Swedish organisation number and event (NULL for foreign organisations).
    __table_args__ = (UniqueConstraint("event_id", "org_number", name="uq_exhibitor_event_org_number"),)

    @property
    def is_foreign(self) -> bool:
        return self.country != "SE"


class ExhibitorStaff(db.Model):
    """A user working for an exhibitor: ``admin`` manages the booth, ``interviewer`` runs a table."""

    __tablename__ = "exhibitor_staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    exhibitor_id: Mapped[int] = mapped_column(ForeignKey("exhibitor.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="interviewer")

    exhibitor: Mapped[Exhibitor] = relationship(back_populates="staff")
    user: Mapped["User"] = relationship()  # noqa: F821
    __table_args__ = (UniqueConstraint("exhibitor_id", "user_id"),)


class Opening(db.Model):
    """A job opening an exhibitor recruits for at the fair."""

    __tablename__ = "opening"
    id: Mapped[int] = mapped_column(primary_key=True)
    exhibitor_id: Mapped[int] = mapped_column(ForeignKey("exhibitor.id", ondelete="CASCADE"), index=True)
    title: Mapped[dict] = mapped_column(db.JSON, default=dict)  # language -> text
    occupation: Mapped[str | None] = mapped_column(String(32))  # code from bazaar.occupations
    positions: Mapped[int] = mapped_column(default=1)
    location: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2), default="SE")
    employment_type: Mapped[str] = mapped_column(String(32), default="permanent")
    required_languages: Mapped[list] = mapped_column(db.JSON, default=list)  # [{"lang": "sv", "level": "B1"}]
    education_level: Mapped[str | None] = mapped_column(String(32))
    driving_licence: Mapped[bool] = mapped_column(default=False)
    swedish_developing_ok: Mapped[bool] = mapped_column(default=False)
    description: Mapped[dict] = mapped_column(db.JSON, default=dict)

    exhibitor: Mapped[Exhibitor] = relationship(back_populates="openings")


class InterviewTable(db.Model):
    """One interviewer's table at a booth; slots belong to a table."""

    __tablename__ = "interview_table"
    id: Mapped[int] = mapped_column(primary_key=True)
    exhibitor_id: Mapped[int] = mapped_column(ForeignKey("exhibitor.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    interviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    exhibitor: Mapped[Exhibitor] = relationship(back_populates="tables")


class StaffInvitation(Invitation, db.Model):
    """An emailed invitation to join an exhibitor's staff."""

    __tablename__ = "staff_invitation"
    exhibitor_id: Mapped[int] = mapped_column(ForeignKey("exhibitor.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="interviewer")

    exhibitor: Mapped[Exhibitor] = relationship()
