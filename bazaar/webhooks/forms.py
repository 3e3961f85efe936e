from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, URLField
from wtforms.validators import URL, DataRequired, Length, ValidationError

from bazaar.accounts.forms import MultiCheckboxField
from bazaar.forms import BazaarForm
from bazaar.notifications.mail import TemporaryFailure
from bazaar.notifications.webhook import refused_address
from bazaar.webhooks.services import TOPICS


def _reachable(form, field):
    """Refuse a URL Bazaar would refuse to call (a private address); a name that does not resolve
    yet is kept: its deliveries wait and retry."""
    try:
        reason = refused_address(field.data or "")
    except TemporaryFailure:
        return
    if reason:
        raise ValidationError(reason)


class WebhookForm(BazaarForm):
    url = URLField(
        _l("URL that receives the deliveries"),
        validators=[DataRequired(), Length(max=254), URL(require_tld=False), _reachable],
    )
    description = StringField(_l("Description (for you)"), validators=[Length(max=100)])
    topics = MultiCheckboxField(
        _l("What it hears"), choices=list(TOPICS.items()), validators=[DataRequired(_l("Choose at least one."))]
    )
    active = BooleanField(_l("Switched on"), default=True)
