from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, FieldList, Form, FormField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from bazaar.accounts.forms import (
    EMAIL_MAX,
    PASSWORD_MIN,
    ProfileFieldsForm,
    email_field,
    language_field,
    language_options,
    name_field,
)
from bazaar.forms import BazaarForm, strip
from bazaar.i18n import current_lang
from bazaar.registrations.models import STATUS_LABELS
from bazaar.registrations.services import GROUP_MAX, GROUP_MIN, Participant


class RegistrationForm(ProfileFieldsForm):
    """Sign up for an event. Logged-in visitors do not see ``email`` and ``password``."""

    name = name_field()
    email = email_field()
    password = PasswordField(
        _l("Choose a password for your account"),
        validators=[
            DataRequired(),
            Length(min=PASSWORD_MIN, max=200, message=_l("Use between 10 and 200 characters.")),
        ],
    )
    preferred_language = language_field(_l("Language for emails and messages"))

    def __init__(self, *args, logged_in: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if logged_in:
            del self.email
            del self.password
        self.preferred_language.choices = language_options()
        if not self.preferred_language.data:
            self.preferred_language.data = current_lang()


class ParticipantForm(Form):
    name = StringField(_l("Name"), filters=[strip], validators=[Optional(), Length(max=200)])
    email = EmailField(
        _l("Email"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=EMAIL_MAX),
            Email(message=_l("Please enter a valid email address.")),
        ],
    )
    preferred_language = SelectField(_l("Language"))


class GroupRegistrationForm(BazaarForm):
    participants = FieldList(FormField(ParticipantForm), min_entries=GROUP_MAX, max_entries=GROUP_MAX)
    confirm = BooleanField(
        _l("The participants know I am registering them and have agreed to it"),
        validators=[DataRequired(message=_l("Please confirm."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        options = language_options()
        for entry in self.participants:
            entry.form.preferred_language.choices = options
            if not entry.form.preferred_language.data:
                entry.form.preferred_language.data = current_lang()

    def validate_participants(self, field):
        rows = self.filled_rows()
        incomplete = False
        for row in rows:
            for part in (row.name, row.email):
                if not part.data:
                    part.errors = [*part.errors, _l("Please fill this in too.")]
                    incomplete = True
        if incomplete:
            raise ValidationError(_l("Each participant needs both a name and an email address."))
        if not GROUP_MIN <= len(rows) <= GROUP_MAX:
            raise ValidationError(_l("Fill in between 5 and 15 participants."))
        emails = [row.email.data.lower() for row in rows]
        if len(set(emails)) != len(emails):
            raise ValidationError(_l("Each participant needs their own email address."))

    def filled_rows(self):
        return [entry.form for entry in self.participants if entry.form.name.data or entry.form.email.data]

    def participants_data(self) -> list[Participant]:
        return [Participant(row.name.data, row.email.data, row.preferred_language.data) for row in self.filled_rows()]


class RegistrationSearchForm(BazaarForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField(_l("Search name or email"), filters=[strip], validators=[Optional(), Length(max=200)])
    status = SelectField(
        _l("Status"),
        choices=[("", _l("All"))] + list(STATUS_LABELS.items()),
        validators=[Optional()],
    )
    checked_in = SelectField(
        _l("Checked in"), choices=[("", _l("All")), ("yes", _l("Yes")), ("no", _l("No"))], validators=[Optional()]
    )

    def filters(self) -> dict:
        if not self.validate():
            return {}
        return {"q": self.q.data or "", "status": self.status.data or "", "checked_in": self.checked_in.data or ""}
