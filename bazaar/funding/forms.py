import re

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import TextInput

from bazaar.forms import BazaarForm
from bazaar.funding.services import MAX_KRONOR


class KronorField(IntegerField):
    """Whole kronor, typed as people write them: ``2 000 000``, ``2000000 kr``."""

    widget = TextInput()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, render_kw={"inputmode": "numeric", "autocomplete": "off"}, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [re.sub(r"(?i)\s|kr\.?$|sek$", "", valuelist[0].replace("\u00a0", " "))]
        super().process_formdata(valuelist)


class BudgetForm(BazaarForm):
    cost_kronor = KronorField(
        _l("What the fair costs in total (kronor)"), validators=[InputRequired(), NumberRange(min=0, max=MAX_KRONOR)]
    )


class FundingForm(BazaarForm):
    funder = StringField(_l("Funding body"), validators=[DataRequired(), Length(max=200)])
    amount_kronor = KronorField(_l("Amount (kronor)"), validators=[InputRequired(), NumberRange(min=1, max=MAX_KRONOR)])
