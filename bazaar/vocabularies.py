"""Every stored code shown to people, by vocabulary, with the translated label its domain defines.

Templates write ``{{ code|label("registration_status") }}``; the labels live next to the codes in
their domain and nowhere else. An unknown code (old data) shows as itself rather than failing.
"""

from functools import lru_cache

from flask_babel import get_locale

from bazaar.activitylog.models import ACTION_LABELS, EXPORT_LABELS, FIELD_LABELS
from bazaar.announcements.models import AUDIENCE_LABELS
from bazaar.events.models import STAFF_ROLE_LABELS
from bazaar.events.models import STATUS_LABELS as EVENT_STATUS_LABELS
from bazaar.exhibitors.forms import ATTENDANCE_LABELS, EDUCATION_LEVELS, FORMAT_LABELS, OUTCOME_LABELS
from bazaar.exhibitors.models import APPLICATION_STATUS_LABELS, EMPLOYMENT_TYPE_LABELS, ORG_TYPE_LABELS
from bazaar.notifications.labels import CHANNEL_LABELS, KIND_LABELS
from bazaar.notifications.labels import STATUS_LABELS as MESSAGE_STATUS_LABELS
from bazaar.occupations import OCCUPATIONS
from bazaar.registrations.models import STATUS_LABELS as REGISTRATION_STATUS_LABELS

VOCABULARIES = {
    "event_status": EVENT_STATUS_LABELS,
    "event_staff_role": STAFF_ROLE_LABELS,
    "registration_status": REGISTRATION_STATUS_LABELS,
    "application_status": APPLICATION_STATUS_LABELS,
    "org_type": ORG_TYPE_LABELS,
    "employment_type": EMPLOYMENT_TYPE_LABELS,
    "slot_format": FORMAT_LABELS,
    "outcome": OUTCOME_LABELS,
    "education_level": EDUCATION_LEVELS,
    "occupation": OCCUPATIONS,
    "message_status": MESSAGE_STATUS_LABELS,
    "message_kind": KIND_LABELS,
    "message_channel": CHANNEL_LABELS,
    "attendance": ATTENDANCE_LABELS,
    "activity_action": ACTION_LABELS,
    "activity_export": EXPORT_LABELS,
    "activity_field": FIELD_LABELS,
    "announcement_audience": AUDIENCE_LABELS,
}


def label(code: str | None, vocabulary: str) -> str:
    """The translated label of ``code`` in ``vocabulary``."""
    if code is None:
        return ""
    locale = get_locale()
    if locale is None:  # outside any app: the source text
        return _text(vocabulary, code)
    return _kept(vocabulary, code, str(locale))


def _text(vocabulary: str, code: str) -> str:
    return str(VOCABULARIES[vocabulary].get(code, code))


@lru_cache(maxsize=4096)
def _kept(vocabulary: str, code: str, lang: str) -> str:
    """:func:`_text` in ``lang`` (the current language, which it is translated into), kept: a page of
    a hundred interviews shows the same few labels again and again."""
    return _text(vocabulary, code)


def init_app(app) -> None:
    app.jinja_env.filters["label"] = label
