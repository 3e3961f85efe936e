from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField
from wtforms.validators import DataRequired, NumberRange, Optional

from bazaar.forms import BazaarForm


class RetentionForm(BazaarForm):
    months = IntegerField(
        _l("Months to keep personal data after the survey closes (empty: the site's default)"),
        validators=[Optional(), NumberRange(min=1, max=240)],
    )


class PurgeForm(BazaarForm):
    confirm = BooleanField(
        _l("Yes, erase these people's personal data now"),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )
