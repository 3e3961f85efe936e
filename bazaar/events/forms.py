from flask_babel import lazy_gettext as _l
from wtforms import EmailField, FileField, IntegerField, SelectField, StringField, URLField
from wtforms.validators import URL, DataRequired, Email, Length, NumberRange, Optional, Regexp, ValidationError

from bazaar.forms import TEXT_LANGUAGES, BazaarForm, LocalDateTimeField, TranslatedTexts, strip, translated


@translated("directions", _l("How to get there (%(language)s)"), max_length=2000)
@translated("description", _l("Description (%(language)s)"), max_length=5000)
class EventForm(TranslatedTexts, BazaarForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    venue_name = StringField(_l("Venue"), validators=[DataRequired(), Length(max=200)])
    venue_address = StringField(_l("Address"), validators=[DataRequired(), Length(max=300)])
    starts_at = LocalDateTimeField(_l("Starts"), validators=[DataRequired()])
    ends_at = LocalDateTimeField(_l("Ends"), validators=[DataRequired()])
    registration_opens_at = LocalDateTimeField(_l("Registration opens"), validators=[Optional()])
    registration_closes_at = LocalDateTimeField(_l("Registration closes"), validators=[Optional()])
    booking_opens_at = LocalDateTimeField(_l("Interview booking opens"), validators=[Optional()])
    booking_closes_at = LocalDateTimeField(_l("Interview booking closes"), validators=[Optional()])
    capacity = IntegerField(
        _l("Visitor capacity (empty: no limit)"), validators=[Optional(), NumberRange(min=1, max=1_000_000)]
    )
    max_bookings_per_visitor = IntegerField(
        _l("Interviews each visitor may book"), default=3, validators=[DataRequired(), NumberRange(min=1, max=50)]
    )
    reminder_minutes_before = IntegerField(
        _l("Reminder before each interview (minutes)"),
        default=60,
        validators=[DataRequired(), NumberRange(min=5, max=1440)],
    )
    privacy_contact = EmailField(
        _l("Contact for questions about personal data"),
        description=_l("The privacy notice gives this address (for example your data protection officer)."),
        filters=[strip, lambda value: value or None],
        validators=[Optional(), Email(), Length(max=254)],
    )
    default_language = SelectField(_l("Default language"), choices=[("sv", "Svenska"), ("en", "English")])

    def validate_ends_at(self, field):
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The end must be after the start."))

    def validate_registration_closes_at(self, field):
        if self.registration_opens_at.data and field.data and field.data <= self.registration_opens_at.data:
            raise ValidationError(_l("Registration must close after it opens."))

    def validate_booking_closes_at(self, field):
        if self.booking_opens_at.data and field.data and field.data <= self.booking_opens_at.data:
            raise ValidationError(_l("Booking must close after it opens."))

    def to_fields(self) -> dict:
        """The form's data as Event attributes."""
        texts = {key: self.texts(key) for key in self.TRANSLATED}
        per_language = {f"{key}_{lang}" for key in texts for lang in TEXT_LANGUAGES}
        data = {k: v for k, v in self.data.items() if k != "csrf_token" and k not in per_language}
        return data | texts

    def fill_from(self, event) -> None:
        self.fill_texts(event)


LOGO_LABEL = _l("Logo (PNG, JPEG or WebP, at most 1 MB)")


class BodyForm(BazaarForm):
    """An organising body of the event: its name, and how the event's page shows it."""

    name = StringField(_l("Name of the organising body"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    website = URLField(
        _l("Website (optional)"),
        filters=[strip, lambda value: value or None],
        validators=[
            Optional(),
            Length(max=300),
            Regexp(r"^https?://", message=_l("Start the address with https://")),
            URL(message=_l("Please enter a web address.")),
        ],
    )
    logo = FileField(LOGO_LABEL)


class BodyLogoForm(BazaarForm):
    logo = FileField(LOGO_LABEL)
