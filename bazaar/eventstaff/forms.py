from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from bazaar.events.models import STAFF_ROLE_LABELS
from bazaar.forms import BazaarForm, strip


class EventStaffInviteForm(BazaarForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=list(STAFF_ROLE_LABELS.items()))


class EventStaffGrantForm(BazaarForm):
    """Give a role to an account that exists already, without an invitation."""

    email = EmailField(
        _l("Email of the account"), filters=[strip], validators=[DataRequired(), Email(), Length(max=254)]
    )
    role = SelectField(_l("Role"), choices=list(STAFF_ROLE_LABELS.items()))


class CoachRequestForm(BazaarForm):
    organisation = StringField(
        _l("Where you work as a job coach"),
        filters=[strip],
        validators=[DataRequired(), Length(max=200)],
        description=_l("E.g. the SFI school, the municipality's job centre or the organisation you work for."),
    )
