"""Staff-readable names for the outbox's codes: message statuses, kinds and channels."""

from flask_babel import lazy_gettext as _l

from bazaar.notifications.models import Channel, MessageStatus

STATUS_LABELS = {
    MessageStatus.PENDING: _l("Waiting to be sent"),
    MessageStatus.CLAIMED: _l("Being sent"),
    MessageStatus.SENT: _l("Sent"),
    MessageStatus.FAILED: _l("Failed"),
    MessageStatus.SKIPPED: _l("Skipped"),
    MessageStatus.CANCELLED: _l("Cancelled"),
}
KIND_LABELS = {
    "application_received": _l("Application received"),
    "application_approved": _l("Application approved"),
    "application_rejected": _l("Application rejected"),
    "application_waitlisted": _l("Application on the waiting list"),
    "booking_confirmed": _l("Interview booked"),
    "booking_changed": _l("Interview moved"),
    "booking_cancelled": _l("Interview cancelled"),
    "interview_reminder": _l("Interview reminder"),
    "waitlist_offer": _l("Interview time offered"),
    "registration_confirmed": _l("Registration confirmed"),
    "registration_offer": _l("Place offered"),
    "group_registration": _l("Group registration"),
    "group_invitation": _l("Group invitation"),
    "member_link": _l("Link to a group member's page"),
    "event_day_before": _l("Day-before reminder"),
    "exhibitor_digest": _l("Exhibitor's schedule"),
    "outcome_nudge": _l("Reminder to report outcomes"),
    "survey_invitation": _l("Follow-up survey"),
    "password_reset": _l("Password reset"),
    "verify_email": _l("Email address check"),
    "staff_invitation": _l("Staff invitation"),
    "event_staff_invitation": _l("Event staff invitation"),
    "match_invitation": _l("Matching invitation"),
    "announcement": _l("Announcement"),
    "activity_invitation": _l("Invitation to an activity after the fair"),
    "activity_confirmed": _l("Activity sign-up confirmed"),
    "activity_reminder": _l("Activity reminder"),
    "activity_cancelled": _l("Activity called off"),
    "webhook": _l("Webhook delivery"),
}
CHANNEL_LABELS = {Channel.EMAIL: _l("Email"), Channel.SMS: _l("SMS"), Channel.WEBHOOK: _l("Webhook")}
