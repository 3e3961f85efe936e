import phonenumbers
from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from bazaar.accounts import choices
from bazaar.forms import BazaarForm, strip
from bazaar.i18n import current_lang
from bazaar.occupations import OCCUPATIONS

# Emails longer than this would not fit the outbox's message key; no real address comes close.
EMAIL_MAX = 160
PASSWORD_MIN = 10


def valid_phone(form, field):
    if not field.data:
        return
    try:
        number = phonenumbers.parse(field.data, "SE")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(_l("Please enter a phone number such as 070-123 45 67 or +46 70 123 45 67."))


def normalise_phone(text: str | None) -> str | None:
    """A validated phone number in international form (+46701234567), or None."""
    if not text:
        return None
    return phonenumbers.format_number(phonenumbers.parse(text, "SE"), phonenumbers.PhoneNumberFormat.E164)


def with_blank(options, blank=_l("Choose…")):
    return [("", blank)] + list(options)


def optional_select(label, options, blank=_l("Choose…")):
    """A select whose first choice means "no answer" (also when the field is not sent at all)."""
    return SelectField(label, choices=with_blank(options, blank), default="")


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (usable without JavaScript; a script adds a filter box)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def email_field(label=_l("Email")):
    return EmailField(
        label,
        filters=[strip],
        validators=[
            DataRequired(),
            Length(max=EMAIL_MAX),
            Email(message=_l("Please enter a valid email address.")),
        ],
    )


def name_field(label=_l("Your name")):
    return StringField(label, filters=[strip], validators=[DataRequired(), Length(max=200)])


def language_field(label=_l("Preferred language")):
    return SelectField(label, validators=[DataRequired()])


def language_options():
    return [(code, native) for code, (native, _dir) in current_app.config["LANGUAGES"].items()]


class LoginForm(BazaarForm):
    email = EmailField(_l("Email"), filters=[strip], validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in"))


class NewPasswordMixin:
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(),
            Length(min=PASSWORD_MIN, max=200, message=_l("Use between 10 and 200 characters.")),
        ],
    )


class SignupForm(NewPasswordMixin, BazaarForm):
    name = name_field()
    email = email_field()
    preferred_language = language_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.preferred_language.choices = language_options()
        if not self.preferred_language.data:
            self.preferred_language.data = current_lang()


class ForgotPasswordForm(BazaarForm):
    email = email_field()


class ResetPasswordForm(NewPasswordMixin, BazaarForm):
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class ProfileFieldsForm(BazaarForm):
    """The optional visitor profile, its consents and the sensitive question."""

    phone = StringField(_l("Mobile phone"), filters=[strip], validators=[Optional(), Length(max=32), valid_phone])
    municipality = StringField(
        _l("Municipality where you live"),
        filters=[strip],
        validators=[Optional(), Length(max=100)],
    )
    education_level = optional_select(_l("Highest education"), choices.EDUCATION_LEVELS)
    degree_origin = optional_select(
        _l("Is your highest degree Swedish or from another country?"), choices.DEGREE_ORIGINS
    )
    credential_validated = optional_select(
        _l("If it is from another country: has it been validated in Sweden?"), choices.CREDENTIAL_VALIDATION
    )
    employment_status = optional_select(_l("What do you do now?"), choices.EMPLOYMENT_STATUSES)
    occupations = MultiCheckboxField(
        _l("Jobs and fields you are looking for"), choices=[(code, label) for code, label in OCCUPATIONS.items()]
    )
    languages = MultiCheckboxField(_l("Languages you speak"))
    swedish_level = optional_select(_l("Your Swedish"), choices.SWEDISH_LEVELS)
    years_in_sweden = optional_select(_l("How long have you lived in Sweden?"), choices.YEARS_IN_SWEDEN)
    gender = optional_select(_l("Gender"), choices.GENDERS, _l("Prefer not to say"))
    age_band = optional_select(_l("Age"), choices.AGE_BANDS)
    heard_via = optional_select(_l("How did you hear about the fair?"), choices.HEARD_VIA)
    driving_licence = BooleanField(_l("I have a driving licence for a car"))
    available_from = DateField(_l("I can start a new job from"), validators=[Optional()])

    consent_share_profile = BooleanField(_l("Share my profile with the employers I book an interview with"))
    consent_followup = BooleanField(_l("You may contact me for a short survey after the fair"))
    consent_news = BooleanField(_l("Tell me about next year's fair"))
    consent_matching = BooleanField(_l("Suggest me to employers who need someone like me"))

    consent_sensitive = BooleanField(
        _l("I agree to answer a question about foreign background, used only in anonymous statistics")
    )
    foreign_background = optional_select(_l("Foreign background"), choices.FOREIGN_BACKGROUND)

    PROFILE_FIELDS = (
        "phone",
        "municipality",
        "education_level",
        "degree_origin",
        "credential_validated",
        "employment_status",
        "occupations",
        "languages",
        "swedish_level",
        "years_in_sweden",
        "gender",
        "age_band",
        "heard_via",
        "driving_licence",
        "available_from",
    )
    CONSENTS = ("share_profile", "followup", "news", "matching")

    WHY = {
        "phone": _l("So we can send you a text message reminder before your interviews."),
        "municipality": _l("Helps the organisers see which areas the fair reaches."),
        "education_level": _l("Helps employers find candidates for the right jobs."),
        "degree_origin": _l("Helps us show how many visitors have a degree from another country."),
        "credential_validated": _l("Helps us see how many need help getting their degree recognised."),
        "employment_status": _l("Lets the organisers measure whether the fair helps people into work."),
        "occupations": _l("So we can suggest employers and jobs that fit you."),
        "languages": _l("Some employers look for people who speak certain languages."),
        "swedish_level": _l("Many employers have jobs where you can develop your Swedish at work."),
        "years_in_sweden": _l("Used only in anonymous statistics about who the fair reaches."),
        "gender": _l("Used only in anonymous statistics, to check the fair reaches everyone."),
        "age_band": _l("Used only in anonymous statistics about who the fair reaches."),
        "heard_via": _l("Helps the organisers spread the word next year."),
        "driving_licence": _l("Some jobs need one."),
        "available_from": _l("Employers look for people who can start when they need them."),
        "consent_share_profile": _l("Employers then see your answers above (never the background question)."),
        "consent_followup": _l("The answers show whether the fair led to jobs. You can say no."),
        "consent_news": _l("At most a few emails a year. You can stop them at any time."),
        "consent_matching": _l(
            "When an employer tells the organisers what kind of person they need, the organisers compare it "
            "with your jobs, languages, education, driving licence and start date, and may invite you to an "
            "interview. They also show you employers that fit you. Your background answer is never used. "
            "You can untick this at any time on My page."
        ),
        "consent_sensitive": _l(
            "Only if you tick this box do we ask the next question. No person will see "
            "your answer; it is counted only in totals of at least five people."
        ),
        "foreign_background": _l(
            "Statistics Sweden's definition: born abroad, or born in Sweden with both parents born abroad."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.languages.choices = choices.language_choices(current_lang())

    def validate_foreign_background(self, field):
        if field.data and not self.consent_sensitive.data:
            raise ValidationError(_l("Tick the box above if you want to answer this question."))

    def fill_from_profile(self, profile) -> None:
        if profile is None:
            return
        for name in self.PROFILE_FIELDS:
            value = getattr(profile, name)
            getattr(self, name).data = (
                value if value is not None else ("" if name not in ("occupations", "languages") else [])
            )
        for consent in self.CONSENTS:
            getattr(self, f"consent_{consent}").data = getattr(profile, f"consent_{consent}_at") is not None
        self.consent_sensitive.data = profile.consent_sensitive_at is not None
        self.foreign_background.data = profile.foreign_background or ""

    def profile_data(self) -> dict:
        """Profile answers as VisitorProfile attributes (blank -> None), consents as booleans."""
        data = {}
        for name in self.PROFILE_FIELDS:
            value = getattr(self, name).data
            data[name] = value or ([] if name in ("occupations", "languages") else None)
        data["phone"] = normalise_phone(data["phone"])
        consents = {c: bool(getattr(self, f"consent_{c}").data) for c in self.CONSENTS}
        consents["sensitive"] = bool(self.consent_sensitive.data)
        data["consents"] = consents
        data["foreign_background"] = (self.foreign_background.data or None) if consents["sensitive"] else None
        return data


class ProfileForm(ProfileFieldsForm):
    name = name_field()
    preferred_language = language_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.preferred_language.choices = language_options()


class DeleteAccountForm(BazaarForm):
    password = PasswordField(_l("Your password"), validators=[Optional(), Length(max=200)])
    confirm = BooleanField(
        _l("Yes, delete my account and my personal data"),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )
