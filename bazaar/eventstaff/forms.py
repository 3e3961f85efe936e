from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField
from wtforms.validators import DataRequired, Email, Length

from bazaar.events.models import STAFF_ROLE_LABELS
from bazaar.forms import BazaarForm


class EventStaffInviteForm(BazaarForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=list(STAFF_ROLE_LABELS.items()))
