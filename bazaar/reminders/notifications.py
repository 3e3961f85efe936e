"""The reminders' messages."""

from bazaar.notifications.registry import declare

REMINDER = "interview_reminder"
DAY_BEFORE = "event_day_before"
DIGEST = "exhibitor_digest"
OUTCOME_NUDGE = "outcome_nudge"
SURVEY_INVITATION = "survey_invitation"
SCHEDULED_KINDS = (DAY_BEFORE, DIGEST, OUTCOME_NUDGE, SURVEY_INVITATION)
declare(REMINDER, *SCHEDULED_KINDS)
