from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Email, Length, NumberRange, Optional, ValidationError

from bazaar.checkin.models import BoothScanKind
from bazaar.forms import BazaarForm

TOKEN_MAX = 2000  # bazaar.tokens refuses anything longer
DOOR_MAX = 50


def strip(value):
    return value.strip() if isinstance(value, str) else value


def no_control_characters(form, field):
    if isinstance(field.data, str) and any(ord(c) < 32 for c in field.data):
        raise ValidationError(_l("This contains characters that are not allowed."))


def door_field():
    return StringField(
        _l("Door"), filters=[strip], validators=[Optional(), Length(max=DOOR_MAX), no_control_characters]
    )


class ScanForm(BazaarForm):
    """A ticket token (camera or hardware scanner) or a registration picked from a search."""

    token = StringField(_l("Ticket code"), filters=[strip], validators=[Optional(), Length(max=TOKEN_MAX)])
    registration_id = IntegerField(validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    door = door_field()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not self.token.data and self.registration_id.data is None:
            self.token.errors.append(_l("Scan a ticket or type its code."))
            return False
        return valid


class WalkInForm(BazaarForm):
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=200), no_control_characters])
    email = EmailField(
        _l("Email"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=160),
            no_control_characters,
            Email(message=_l("Please enter a valid email address.")),
        ],
    )
    language = SelectField(_l("Preferred language"))
    wants_messages = BooleanField(_l("Wants messages from us (for example the follow-up survey)"))
    door = door_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = [(code, native) for code, (native, _dir) in current_app.config["LANGUAGES"].items()]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.wants_messages.data and not self.email.data:
            self.email.errors.append(_l("An email address is needed to send messages."))
            return False
        return valid


class BoothScanForm(BazaarForm):
    token = StringField(
        _l("Ticket code"),
        filters=[strip],
        validators=[DataRequired(_l("Scan a badge or type its code.")), Length(max=TOKEN_MAX)],
    )


class BoothLogForm(BoothScanForm):
    kind = HiddenField(validators=[AnyOf(tuple(BoothScanKind))])
