"""Forms for needs and invitations (staff pages: Swedish and English)."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from bazaar.accounts.choices import EDUCATION_LEVELS
from bazaar.accounts.forms import MultiCheckboxField
from bazaar.exhibitors.forms import LANGUAGE_NAMES
from bazaar.forms import BazaarForm, strip
from bazaar.i18n import localized
from bazaar.matching.services import NEED_FIELDS
from bazaar.occupations import OCCUPATIONS


class NeedForm(BazaarForm):
    title = StringField(
        _l("What the need is called"),
        filters=[strip],
        validators=[DataRequired(), Length(max=200)],
    )
    opening_id = SelectField(_l("The opening it relates to"), coerce=int, default=0)
    occupations = MultiCheckboxField(_l("Occupations"), choices=list(OCCUPATIONS.items()))
    positions = IntegerField(_l("Number of people"), default=1, validators=[DataRequired(), NumberRange(1, 10000)])
    languages = MultiCheckboxField(_l("Languages they must speak"), choices=list(LANGUAGE_NAMES.items()))
    education_level = SelectField(_l("Least education"), validators=[Optional()])
    driving_licence = BooleanField(_l("Driving licence required"))
    location = StringField(_l("Workplace location"), filters=[strip], validators=[Optional(), Length(max=100)])
    starts_on = DateField(_l("Start date"), validators=[Optional()])
    swedish_developing_ok = BooleanField(_l("Applicants whose Swedish is still developing are welcome"))
    standing = BooleanField(_l("Standing need: also look among visitors of other fairs"))

    def __init__(self, exhibitor, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.opening_id.choices = [(0, _l("None"))] + [
            (o.id, localized(o.title) or str(o.id)) for o in exhibitor.openings
        ]
        self.education_level.choices = [("", _l("No requirement"))] + [(k, v) for k, v in EDUCATION_LEVELS]

    def fill_from(self, need) -> None:
        for name in NEED_FIELDS:
            getattr(self, name).data = getattr(need, name)
        self.opening_id.data = need.opening_id or 0
        self.education_level.data = need.education_level or ""

    def need_fields(self) -> dict:
        data = {name: getattr(self, name).data for name in NEED_FIELDS}
        data["opening_id"] = data["opening_id"] or None
        data["education_level"] = data["education_level"] or None
        data["location"] = data["location"] or None
        data["driving_licence"] = bool(data["driving_licence"])
        data["swedish_developing_ok"] = bool(data["swedish_developing_ok"])
        data["standing"] = bool(data["standing"])
        return data


class InviteForm(BazaarForm):
    """The candidates chosen on the candidates page (registration ids)."""

    chosen = MultiCheckboxField(_l("Invite"), coerce=int, validate_choice=False)
