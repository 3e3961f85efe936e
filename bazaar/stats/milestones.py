"""When an event's figures are due: at its end, and after each survey wave's answers came in.
Read by the compilation (the sensitive table waits for the last wave) and by the schedule of compilations."""

from datetime import datetime, timedelta

from bazaar.reminders.services import survey_waves

# Survey answers are given time to come in before a wave's figures are compiled.
SURVEY_RESPONSE_WINDOW = timedelta(days=14)


def milestones(event) -> list[tuple[datetime, str]]:
    """When figures should be compiled: at the end, and after each survey wave's answers came in."""
    points = [(event.ends_at, "event_end")]
    for _days, sent_at in survey_waves(event):
        points.append((sent_at + SURVEY_RESPONSE_WINDOW, "survey_wave"))
    return points


def sensitive_published_from(event) -> datetime:
    """When the survey period closes and the sensitive breakdown may be published (once)."""
    return milestones(event)[-1][0]
