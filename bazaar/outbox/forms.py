from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from bazaar.forms import BazaarForm
from bazaar.notifications.models import MessageStatus

STATUS_FILTERS = {
    "due": (MessageStatus.PENDING, MessageStatus.CLAIMED),
    MessageStatus.SENT: (MessageStatus.SENT,),
    MessageStatus.FAILED: (MessageStatus.FAILED,),
    MessageStatus.SKIPPED: (MessageStatus.SKIPPED,),
    MessageStatus.CANCELLED: (MessageStatus.CANCELLED,),
}


class OutboxFilterForm(BazaarForm):
    """A GET form: filtering changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        validators=[Optional()],
        choices=[
            ("", _l("All")),
            ("due", _l("Due")),
            ("sent", _l("Sent")),
            ("failed", _l("Failed")),
            ("skipped", _l("Skipped")),
            ("cancelled", _l("Cancelled")),
        ],
    )
    kind = SelectField(_l("Kind of message"), validators=[Optional()], choices=[("", _l("All"))])
    q = StringField(_l("Recipient contains"), validators=[Optional(), Length(max=254)])
