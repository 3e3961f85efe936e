from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SearchField, SelectField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from bazaar.forms import YEARS, BazaarForm


class BrowseForm(BazaarForm):
    """Filters for the exhibitor directory (GET, nothing changes: no CSRF token)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search"), validators=[Optional(), Length(max=100)])
    occupation = SelectField(_l("Occupation"), validators=[Optional()], validate_choice=True)
    language = SelectField(_l("Language spoken at the booth"), validators=[Optional()])
    country = SelectField(_l("Country of the job"), validators=[Optional()])
    employment_type = SelectField(_l("Employment type"), validators=[Optional()])
    free = BooleanField(_l("Only exhibitors with free times"))


class TimeForm(BazaarForm):
    """One time to book (or to move a booking to), as an ISO 8601 UTC instant."""

    starts_at = HiddenField(validators=[DataRequired(), Length(max=40)])

    def validate_starts_at(self, field):
        try:
            value = datetime.fromisoformat(field.data).astimezone(UTC)
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValidationError(_l("That time is not valid.")) from exc
        if datetime.fromisoformat(field.data).tzinfo is None or value.year not in YEARS:
            raise ValidationError(_l("That time is not valid."))
        field.instant = value


class ConfirmForm(BazaarForm):
    """A POST that confirms an action shown on the page (the CSRF token is the content)."""
