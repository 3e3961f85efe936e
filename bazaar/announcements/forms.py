import secrets
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Optional, Regexp, ValidationError

from bazaar.announcements.models import AUDIENCE_LABELS, Audience
from bazaar.forms import TEXT_LANGUAGES, BazaarForm, TranslatedTexts, translated
from config import LANGUAGES


def new_submission() -> str:
    return secrets.token_urlsafe(24)


@translated("sms", _l("Text message (%(language)s)"), max_length=300)
@translated("body", _l("Message (%(language)s)"), max_length=5000)
@translated("subject", _l("Subject (%(language)s)"), max_length=200, field=StringField)
class AnnouncementForm(TranslatedTexts, BazaarForm):
    """An announcement: its audience, its email (subject and message) and text message in any of the
    site's languages, and the language to preview it in."""

    audience = SelectField(_l("Send to"), choices=list(AUDIENCE_LABELS.items()), default=Audience.REGISTERED)
    exhibitor = SelectField(_l("Exhibitor (for visitors booked with one exhibitor)"), coerce=int, choices=[])
    day = SelectField(_l("Day (for the visitors of one day)"), choices=[], default="")
    preview_language = SelectField(
        _l("Preview as a recipient who reads"), choices=[(code, name) for code, (name, _) in LANGUAGES.items()]
    )
    # One per form page: a second submit of the same form sends nothing more.
    submission = HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{16,64}$")])
    # The number of people the organiser saw in the preview (written by the preview itself, so a
    # send needs one); sending asks again if it changed.
    confirmed_people = IntegerField(validators=[Optional()])

    def __init__(self, exhibitors=(), days=(), *args, **kwargs):
        """``days``: (ISO date, name) of each of the fair's days."""
        super().__init__(*args, **kwargs)
        self.exhibitor.choices = [(0, _l("Choose an exhibitor"))] + [(e.id, e.name) for e in exhibitors]
        self.day.choices = [("", _l("Choose a day"))] + list(days)

    def validate_day(self, field):
        if self.audience.data == Audience.DAY_VISITORS and not field.data:
            raise ValidationError(_l("Choose the day whose visitors get the message."))

    def chosen_day(self) -> date | None:
        return date.fromisoformat(self.day.data) if self.day.data else None

    def validate_exhibitor(self, field):
        if self.audience.data == Audience.EXHIBITOR_BOOKINGS and not field.data:
            raise ValidationError(_l("Choose the exhibitor whose booked visitors get the message."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        subjects, bodies = set(self.texts("subject")), set(self.texts("body"))
        if not bodies:
            self.body_sv.errors = [*self.body_sv.errors, _l("Write the message in at least one language.")]
            return False
        for lang in TEXT_LANGUAGES:
            if (lang in subjects) != (lang in bodies):
                target = getattr(self, f"subject_{lang}" if lang in bodies else f"body_{lang}")
                target.errors = [*target.errors, _l("Write the subject and the message in the same languages.")]
                valid = False
        return valid

    def draft_texts(self) -> dict:
        return {key: self.texts(key) for key in ("subject", "body", "sms")}
