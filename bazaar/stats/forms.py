from datetime import UTC, date, datetime

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, MonthField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from bazaar.exhibitors.models import EMPLOYMENT_TYPES
from bazaar.forms import BazaarForm
from bazaar.routing import ROW_ID_MAX
from bazaar.stats import labels
from bazaar.stats.compile import DECISIONS, SURVEY_RESULTS

CONTRIBUTED = {"yes": True, "no": False, "dont_know": None}


class ResolveCaseForm(BazaarForm):
    """An organiser's decision on one contradicted hire (one button per decision)."""

    registration_id = IntegerField(validators=[DataRequired(), NumberRange(1, ROW_ID_MAX)])
    decision = RadioField(choices=list(DECISIONS), validators=[DataRequired()])


class SurveyForm(BazaarForm):
    """The one-minute follow-up survey, sized for a phone."""

    result = RadioField(
        _l("Since the fair, have you got …"),
        choices=[(code, labels.SURVEY_RESULTS[code]) for code in SURVEY_RESULTS],
        validators=[DataRequired(_l("Please choose one answer."))],
    )
    exhibitor_id = SelectField(_l("With which exhibitor? (optional)"), coerce=int, validate_choice=True)
    employment_type = SelectField(
        _l("What kind of employment? (optional)"),
        choices=[("", _l("Choose …"))] + [(code, labels.EMPLOYMENT_TYPES[code]) for code in EMPLOYMENT_TYPES],
        validators=[Optional()],
    )
    fair_contributed = RadioField(
        _l("Did the fair contribute to it?"),
        choices=[("yes", _l("Yes")), ("no", _l("No")), ("dont_know", _l("I don't know"))],
        validators=[DataRequired(_l("Please choose one answer."))],
    )
    started_on = MonthField(_l("When did it start? (month, optional)"), validators=[Optional()])
    missing = TextAreaField(
        _l("Was anything missing at the fair? (optional)"), validators=[Optional(), Length(max=2000)]
    )

    def __init__(self, exhibitors, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.exhibitor_id.choices = [(0, _l("None of them / I'd rather not say"))] + [
            (e.id, e.name) for e in exhibitors
        ]

    def validate_started_on(self, field):
        if field.data and not date(2000, 1, 1) <= field.data <= date(2100, 1, 1):
            raise ValidationError(_l("Please give a month between 2000 and 2100."))

    def to_answers(self) -> dict:
        started = self.started_on.data
        return {
            "result": self.result.data,
            "exhibitor_id": self.exhibitor_id.data or None,
            "employment_type": self.employment_type.data or None,
            "fair_contributed": CONTRIBUTED[self.fair_contributed.data],
            "started_on": datetime(started.year, started.month, 1, tzinfo=UTC) if started else None,
            "missing": (self.missing.data or "").strip() or None,
        }

    def fill_from(self, response) -> None:
        self.result.data = response.result
        self.exhibitor_id.data = response.exhibitor_id or 0
        self.employment_type.data = response.employment_type or ""
        self.fair_contributed.data = {True: "yes", False: "no", None: "dont_know"}[response.fair_contributed]
        self.started_on.data = response.started_on.date() if response.started_on else None
        self.missing.data = response.missing or ""
