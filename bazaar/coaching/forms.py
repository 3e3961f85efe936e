"""The job coach's forms (staff pages: Swedish and English)."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, FieldList, Form, FormField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from bazaar.accounts.forms import EMAIL_MAX, language_options, normalise_phone, valid_phone
from bazaar.forms import BazaarForm, strip
from bazaar.i18n import current_lang
from bazaar.registrations.services import GROUP_MAX, GROUP_MIN, Participant


class ParticipantForm(Form):
    name = StringField(_l("Name"), filters=[strip], validators=[Optional(), Length(max=200)])
    email = EmailField(
        _l("Email (if they have one)"),
        filters=[strip],
        validators=[Optional(), Length(max=EMAIL_MAX), Email(message=_l("Please enter a valid email address."))],
    )
    phone = StringField(
        _l("Mobile phone (for a text message)"), filters=[strip], validators=[Optional(), Length(max=32), valid_phone]
    )
    preferred_language = SelectField(_l("Language"))


class GroupRegistrationForm(BazaarForm):
    name = StringField(
        _l("Name of the group"),
        filters=[strip],
        validators=[DataRequired(), Length(max=200)],
        description=_l("For you, e.g. the class or the course. The members see it on their page."),
    )
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
        if any(not row.name.data for row in rows):
            for row in rows:
                if not row.name.data:
                    row.name.errors = [*row.name.errors, _l("Please fill this in too.")]
            raise ValidationError(_l("Each participant needs a name."))
        if not GROUP_MIN <= len(rows) <= GROUP_MAX:
            raise ValidationError(_l("Fill in between %(min)d and %(max)d participants.", min=GROUP_MIN, max=GROUP_MAX))
        emails = [row.email.data.lower() for row in rows if row.email.data]
        if len(set(emails)) != len(emails):
            raise ValidationError(_l("Each participant needs their own email address."))

    def filled_rows(self):
        return [e.form for e in self.participants if e.form.name.data or e.form.email.data or e.form.phone.data]

    def participants_data(self) -> list[Participant]:
        return [
            Participant(
                row.name.data, row.email.data or None, row.preferred_language.data, normalise_phone(row.phone.data)
            )
            for row in self.filled_rows()
        ]


class BookForMemberForm(BazaarForm):
    """One time at one exhibitor, booked for a member who asked the coach to."""

    starts_at = RadioField(_l("Time"), validators=[DataRequired(message=_l("Choose a time."))])
    asked = BooleanField(
        _l("The member asked me to book this"), validators=[DataRequired(message=_l("Please confirm."))]
    )


class CancelForMemberForm(BazaarForm):
    asked = BooleanField(
        _l("The member asked me to cancel this"), validators=[DataRequired(message=_l("Please confirm."))]
    )
