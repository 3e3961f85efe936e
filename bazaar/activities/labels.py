"""The names of the activity kinds, as visitors read them."""

from flask_babel import lazy_gettext as _l

from bazaar.activities.models import ActivityKind

KIND_LABELS = {
    ActivityKind.TRY_A_JOB_DAY: _l("Try-a-job day"),
    ActivityKind.STUDY_VISIT: _l("Study visit at the workplace"),
    ActivityKind.MATCHING_GROUP: _l("Matching group"),
}
