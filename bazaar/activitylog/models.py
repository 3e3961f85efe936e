"""One row per thing staff did at an event: the action, who did it (and their name as it was then),
what it was done to, and the details. Entries outlive the people in them: erasing a person blanks
the name snapshot and keeps the row."""

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bazaar.clock import utcnow
from bazaar.db_types import UTCDateTime
from bazaar.extensions import db


class Action(StrEnum):
    """Every action the log records, by domain; its label (the page's filter) is in ACTION_LABELS."""

    EVENT_CREATED = "event.created"
    EVENT_CHANGED = "event.changed"
    EVENT_STATUS = "event.status"
    APPLICATION_APPROVED = "application.approved"
    APPLICATION_REJECTED = "application.rejected"
    APPLICATION_WAITLISTED = "application.waitlisted"
    BOOTH_ASSIGNED = "booth.assigned"
    TABLE_CREATED = "table.created"
    TABLE_CHANGED = "table.changed"
    TABLE_DELETED = "table.deleted"
    SLOTS_GENERATED = "slots.generated"
    SLOT_BLOCKED = "slot.blocked"
    SLOT_OPENED = "slot.opened"
    SLOT_REMOVED = "slot.removed"
    INTERVIEW_RECORDED = "interview.recorded"
    INTERVIEW_CHANGED = "interview.changed"
    EXPORT_DOWNLOADED = "export.downloaded"
    EVENT_STAFF_INVITED = "eventstaff.invited"
    EVENT_STAFF_JOINED = "eventstaff.joined"
    EVENT_STAFF_REVOKED = "eventstaff.revoked"
    EVENT_STAFF_INVITATION_WITHDRAWN = "eventstaff.withdrawn"
    EXHIBITOR_STAFF_INVITED = "exhibitorstaff.invited"
    EXHIBITOR_STAFF_JOINED = "exhibitorstaff.joined"
    EXHIBITOR_STAFF_REMOVED = "exhibitorstaff.removed"
    EXHIBITOR_STAFF_INVITATION_WITHDRAWN = "exhibitorstaff.withdrawn"
    RETENTION_CHANGED = "retention.changed"
    RETENTION_PURGED = "retention.purged"
    WEBHOOK_CREATED = "webhook.created"
    WEBHOOK_CHANGED = "webhook.changed"
    WEBHOOK_SECRET_ROTATED = "webhook.rotated"
    WEBHOOK_DELETED = "webhook.deleted"
    MATCHING_INVITED = "matching.invited"
    EVENT_STAFF_GRANTED = "eventstaff.granted"
    EVENT_STAFF_REQUEST_APPROVED = "eventstaff.approved"
    EVENT_STAFF_REQUEST_DECLINED = "eventstaff.declined"
    BODY_ADDED = "body.added"
    BODY_REMOVED = "body.removed"
    QUESTION_ADDED = "question.added"
    QUESTION_CHANGED = "question.changed"
    QUESTION_REMOVED = "question.removed"
    ANNOUNCEMENT_SENT = "announcement.sent"
    ACTIVITY_CANCELLED = "activity.cancelled"


class Export(StrEnum):
    """The downloads an ``export.downloaded`` entry names."""

    APPLICATIONS = "applications"
    BOOKINGS = "bookings"
    REGISTRATIONS = "registrations"
    STATISTICS = "statistics"
    NEWS_LIST = "news_list"


EXPORT_LABELS = {
    Export.APPLICATIONS: _l("Exhibitor applications"),
    Export.BOOKINGS: _l("Bookings"),
    Export.REGISTRATIONS: _l("Registrations"),
    Export.STATISTICS: _l("Statistics"),
    Export.NEWS_LIST: _l("The news list"),
}

ACTION_LABELS = {
    Action.EVENT_CREATED: _l("Event created"),
    Action.EVENT_CHANGED: _l("Event settings changed"),
    Action.EVENT_STATUS: _l("Event status changed"),
    Action.APPLICATION_APPROVED: _l("Application approved"),
    Action.APPLICATION_REJECTED: _l("Application rejected"),
    Action.APPLICATION_WAITLISTED: _l("Application put on the waiting list"),
    Action.BOOTH_ASSIGNED: _l("Booth assigned"),
    Action.TABLE_CREATED: _l("Interview table added"),
    Action.TABLE_CHANGED: _l("Interview table changed"),
    Action.TABLE_DELETED: _l("Interview table deleted"),
    Action.SLOTS_GENERATED: _l("Interview times generated"),
    Action.SLOT_BLOCKED: _l("Interview time blocked"),
    Action.SLOT_OPENED: _l("Interview time opened"),
    Action.SLOT_REMOVED: _l("Interview time removed"),
    Action.INTERVIEW_RECORDED: _l("Interview outcome recorded"),
    Action.INTERVIEW_CHANGED: _l("Interview outcome changed"),
    Action.EXPORT_DOWNLOADED: _l("Export downloaded"),
    Action.EVENT_STAFF_INVITED: _l("Event staff invited"),
    Action.EVENT_STAFF_JOINED: _l("Event staff joined"),
    Action.EVENT_STAFF_REVOKED: _l("Event staff role taken away"),
    Action.EVENT_STAFF_INVITATION_WITHDRAWN: _l("Event staff invitation withdrawn"),
    Action.EXHIBITOR_STAFF_INVITED: _l("Exhibitor staff invited"),
    Action.EXHIBITOR_STAFF_JOINED: _l("Exhibitor staff joined"),
    Action.EXHIBITOR_STAFF_REMOVED: _l("Exhibitor staff removed"),
    Action.EXHIBITOR_STAFF_INVITATION_WITHDRAWN: _l("Exhibitor staff invitation withdrawn"),
    Action.RETENTION_CHANGED: _l("Retention period changed"),
    Action.RETENTION_PURGED: _l("Retention purge run"),
    Action.WEBHOOK_CREATED: _l("Webhook added"),
    Action.WEBHOOK_CHANGED: _l("Webhook changed"),
    Action.WEBHOOK_SECRET_ROTATED: _l("Webhook secret replaced"),
    Action.WEBHOOK_DELETED: _l("Webhook deleted"),
    Action.MATCHING_INVITED: _l("Matching invitations sent"),
    Action.EVENT_STAFF_GRANTED: _l("Role given to an existing account"),
    Action.EVENT_STAFF_REQUEST_APPROVED: _l("Request for a role approved"),
    Action.EVENT_STAFF_REQUEST_DECLINED: _l("Request for a role declined"),
    Action.BODY_ADDED: _l("Organising body added"),
    Action.BODY_REMOVED: _l("Organising body removed"),
    Action.QUESTION_ADDED: _l("Registration question added"),
    Action.QUESTION_CHANGED: _l("Registration question changed"),
    Action.QUESTION_REMOVED: _l("Registration question removed"),
    Action.ANNOUNCEMENT_SENT: _l("Announcement sent"),
    Action.ACTIVITY_CANCELLED: _l("Activity after the fair called off"),
}


class LogEntry(db.Model):
    """``actor_name`` is the actor's name when they acted: None for Bazaar itself (a scheduled
    task), "" once the actor is erased. ``data`` holds ids and codes, never a visitor's details."""

    __tablename__ = "log_entry"
    __table_args__ = (Index("ix_log_entry_event_created", "event_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    actor_name: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column()
    data: Mapped[dict] = mapped_column(db.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# What a change names, by "<object type>.<field>" (the words the organisers' forms use).
FIELD_LABELS = {
    "event.name": _l("Name"),
    "event.venue_name": _l("Venue"),
    "event.venue_address": _l("Address"),
    "event.starts_at": _l("Starts"),
    "event.ends_at": _l("Ends"),
    "event.days": _l("Days and opening hours"),
    "event.registration_opens_at": _l("Registration opens"),
    "event.registration_closes_at": _l("Registration closes"),
    "event.booking_opens_at": _l("Interview booking opens"),
    "event.booking_closes_at": _l("Interview booking closes"),
    "event.capacity": _l("Visitor capacity (empty: no limit)"),
    "event.max_bookings_per_visitor": _l("Interviews each visitor may book"),
    "event.reminder_minutes_before": _l("Reminder before each interview (minutes)"),
    "event.privacy_contact": _l("Contact for questions about personal data"),
    "event.default_language": _l("Default language"),
    "event.description": _l("Description"),
    "event.directions": _l("How to get there"),
    "event.status": _l("Status"),
    "event.retention_months": _l("Retention period (months)"),
    "exhibitor.booth_number": _l("Booth number"),
    "exhibitor.booth_location": _l("Booth location"),
    "interview_table.name": _l("Table"),
    "interview_table.interviewer_id": _l("Interviewer"),
    "booking.attendance": _l("Attendance"),
    "booking.outcome": _l("Outcome"),
    "booking.outcome_employment_type": _l("Employment type (if hired)"),
    "webhook_endpoint.url": _l("URL"),
    "webhook_endpoint.topics": _l("Topics"),
    "webhook_endpoint.description": _l("Description"),
    "webhook_endpoint.active": _l("Active"),
}
