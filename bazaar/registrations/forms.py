from flask_babel import lazy_gettext as _l
from wtforms import (
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from bazaar.accounts.forms import (
    PASSWORD_MIN,
    ProfileFieldsForm,
    email_field,
    language_field,
    language_options,
    name_field,
)
from bazaar.forms import BazaarForm, strip
from bazaar.i18n import current_lang, localized
from bazaar.registrations.models import ANSWER_MAX, STATUS_LABELS, QuestionKind
from bazaar.registrations.questions import choice_options


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


ANSWER_REQUIRED = _l("Please answer this question.")


class AnswerChoiceField(RadioField):
    """Radio buttons that may be left unticked when the question is optional."""

    def pre_validate(self, form):
        if self.data:
            super().pre_validate(form)


def _answer_field(question):
    label = localized(question.text)
    needed = [InputRequired(message=ANSWER_REQUIRED)] if question.required else [Optional()]
    if question.kind == QuestionKind.TEXT:
        needed = [DataRequired(message=ANSWER_REQUIRED)] if question.required else [Optional()]
        return StringField(label, filters=[strip], validators=[*needed, Length(max=ANSWER_MAX)])
    return AnswerChoiceField(label, choices=choice_options(question), validators=needed)


def registration_form(questions, **kwargs) -> RegistrationForm:
    """The registration form with one field ``question_<id>`` per question the event asks."""
    form_cls = type("EventRegistrationForm", (RegistrationForm,), {})
    for question in questions:
        setattr(form_cls, f"question_{question.id}", _answer_field(question))
    form = form_cls(**kwargs)
    form.questions = [(question, form[f"question_{question.id}"]) for question in questions]
    return form


def answers(form) -> dict[int, str]:
    """The answers given in a form from :func:`registration_form` (question id -> value)."""
    return {question.id: field.data for question, field in form.questions if field.data}


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
