"""Forms of the hosts' pages (staff: Swedish and English): offering an activity and recording
attendance and outcomes."""

from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from bazaar.accounts.forms import MultiCheckboxField
from bazaar.activities.labels import KIND_LABELS
from bazaar.activities.models import CAPACITY_MAX, CAPACITY_MIN, ActivityOutcome, Audience
from bazaar.activities.services import ACTIVITY_FIELDS
from bazaar.booking.models import Attendance
from bazaar.exhibitors.forms import LANGUAGE_NAMES
from bazaar.forms import BazaarForm, LocalDateTimeField, TranslatedTexts, strip, translated
from bazaar.i18n import localized

AUDIENCE_LABELS = {
    Audience.INVITED: _l("Invited: the visitors who met us at the fair (an interview or a talk) get an email"),
    Audience.OPEN: _l("Open to every registered visitor of the fair"),
}
OUTCOME_LABELS = {
    ActivityOutcome.NONE: _l("No further step"),
    ActivityOutcome.NEXT_STEP: _l("Next step"),
    ActivityOutcome.OFFER: _l("Job offer"),
    ActivityOutcome.HIRED: _l("Hired"),
}
ATTENDANCE_LABELS = {Attendance.ATTENDED: _l("Attended"), Attendance.NO_SHOW: _l("No-show")}


@translated("description", _l("Description (%(language)s)"), max_length=2000)
@translated("title", _l("Title (%(language)s)"), max_length=200, field=StringField)
class ActivityForm(TranslatedTexts, BazaarForm):
    kind = SelectField(_l("Kind of activity"), choices=list(KIND_LABELS.items()))
    audience = SelectField(_l("Who may take part"), choices=list(AUDIENCE_LABELS.items()))
    exhibitor_id = SelectField(_l("Employer"), coerce=int, default=0)
    opening_id = SelectField(_l("The opening it relates to"), coerce=int, default=0)
    starts_at = LocalDateTimeField(_l("Starts"), validators=[DataRequired()])
    ends_at = LocalDateTimeField(_l("Ends"), validators=[DataRequired()])
    place = StringField(_l("Place (address)"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    capacity = IntegerField(
        _l("Places (%(min)d to %(max)d people)", min=CAPACITY_MIN, max=CAPACITY_MAX),
        default=CAPACITY_MAX,
        validators=[DataRequired(), NumberRange(CAPACITY_MIN, CAPACITY_MAX)],
    )
    languages = MultiCheckboxField(_l("Languages spoken there"), choices=list(LANGUAGE_NAMES.items()))
    interpreter = BooleanField(_l("An interpreter can be booked"))

    def __init__(self, event, exhibitor=None, exhibitors=None, *args, **kwargs):
        """``exhibitors``: the organisers' form, choosing the host among them (or none)."""
        super().__init__(*args, **kwargs)
        for name in ("starts_at", "ends_at"):
            getattr(self, name).tz = ZoneInfo(event.timezone)
        if exhibitors is None:
            del self.exhibitor_id
        else:
            self.exhibitor_id.choices = [(0, _l("None: the organisers host it"))] + [(e.id, e.name) for e in exhibitors]
        openings = [o for e in ([exhibitor] if exhibitor else exhibitors or []) for o in e.openings]
        self.opening_id.choices = [(0, _l("None"))] + [(o.id, localized(o.title) or str(o.id)) for o in openings]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.texts("title"):
            self.title_sv.errors = [*self.title_sv.errors, _l("Give the activity a title.")]
            return False
        return valid

    def fill_from(self, activity) -> None:
        self.fill_texts(activity)
        for name in ACTIVITY_FIELDS:
            if name not in self.TRANSLATED:
                getattr(self, name).data = getattr(activity, name)
        self.opening_id.data = activity.opening_id or 0

    def activity_fields(self) -> dict:
        data = {name: getattr(self, name).data for name in ACTIVITY_FIELDS if name not in self.TRANSLATED}
        data |= {key: self.texts(key) for key in self.TRANSLATED}
        data["opening_id"] = data["opening_id"] or None
        data["interpreter"] = bool(data["interpreter"])
        data["languages"] = list(data["languages"] or [])
        return data


class RecordForm(BazaarForm):
    """The host's record for one visitor who signed up."""

    attendance = SelectField(_l("Attendance"), choices=list(ATTENDANCE_LABELS.items()))
    outcome = SelectField(_l("Outcome"), choices=[("", _l("Not known yet"))] + list(OUTCOME_LABELS.items()))
    note = TextAreaField(_l("Note"), filters=[strip], validators=[Optional(), Length(max=1000)])


class CallOffForm(BazaarForm):
    """The host calls an activity off; those taking part are told, with this message if given."""

    message = TextAreaField(
        _l("A word to those taking part (optional)"),
        filters=[strip],
        validators=[Optional(), Length(max=1000)],
        description=_l("For example why, or when you will offer a new date."),
    )
    confirm = BooleanField(_l("Yes, call the activity off and tell everyone taking part"), validators=[DataRequired()])
