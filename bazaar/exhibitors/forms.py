from datetime import time

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from bazaar.accounts.forms import MultiCheckboxField
from bazaar.booking.models import Attendance, Outcome, SlotFormat
from bazaar.booking.speeddating import MAX_ROUNDS, MAX_SEATS, ROUND_MINUTES
from bazaar.exhibitors.models import EMPLOYMENT_TYPE_LABELS, ORG_TYPE_LABELS
from bazaar.exhibitors.schedule import SLOT_LENGTHS, ScheduleError, parse_breaks
from bazaar.exhibitors.validation import normalise_org_number, normalise_phone
from bazaar.forms import BazaarForm, TranslatedTexts, translated
from bazaar.occupations import OCCUPATIONS

OUTCOME_LABELS = {
    Outcome.NONE: _l("No further step"),
    Outcome.SECOND_INTERVIEW: _l("Second interview"),
    Outcome.OFFER: _l("Job offer"),
    Outcome.HIRED: _l("Hired"),
    Outcome.INTERNSHIP: _l("Internship"),
    Outcome.OTHER: _l("Other"),
}
ATTENDANCE_LABELS = {"attended": _l("Held"), "no_show": _l("No-show")}
FORMAT_LABELS = {
    SlotFormat.JOBBDATING: _l("Short interview (jobbdating)"),
    SlotFormat.INTERVIEW: _l("Interview"),
    SlotFormat.TALK: _l("Speed-dating talk (not counted as an interview)"),
}
EDUCATION_LEVELS = {
    "compulsory": _l("Compulsory school"),
    "upper_secondary": _l("Upper secondary school"),
    "post_secondary_short": _l("Post-secondary, less than 3 years"),
    "university": _l("University, 3 years or more"),
}
LANGUAGE_LEVELS = {"basic": _l("Basic"), "good": _l("Good"), "fluent": _l("Fluent")}
# Languages an exhibitor may speak at the booth or require (ISO 639-1), named in their own language.
LANGUAGE_NAMES = {
    "sv": "Svenska",
    "en": "English",
    "ar": "العربية",
    "fa": "فارسی",
    "so": "Soomaali",
    "ti": "ትግርኛ",
    "uk": "Українська",
    "tr": "Türkçe",
    "da": "Dansk",
    "no": "Norsk",
    "fi": "Suomi",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "pl": "Polski",
    "ru": "Русский",
    "bs": "Bosanski",
    "ku": "Kurdî",
    "prs": "دری",
    "am": "አማርኛ",
}

COUNTRY_HELP = _l("The organisation's country")


def _choices(labels: dict) -> list[tuple[str, str]]:
    return list(labels.items())


class MultiChoiceField(SelectMultipleField):
    """A multi-select that drops unknown values silently instead of failing the whole form."""

    def pre_validate(self, form):
        valid = {value for value, _label in self.choices}
        self.data = [v for v in (self.data or []) if v in valid]


class ApplicationForm(BazaarForm):
    name = StringField(_l("Organisation name"), validators=[DataRequired(), Length(max=200)])
    is_foreign = BooleanField(_l("The organisation is not registered in Sweden"))
    org_number = StringField(
        _l("Swedish organisation number"),
        validators=[Optional(), Length(max=20)],
        description=_l("Ten digits, e.g. 556677-8899"),
    )
    country = SelectField(_l("Country of the organisation"), default="SE")
    org_type = SelectField(_l("Type of organisation"), choices=_choices(ORG_TYPE_LABELS))
    sector = StringField(_l("Sector"), validators=[DataRequired(), Length(max=64)])
    job_countries = MultiChoiceField(_l("Countries where the jobs are"))
    contact_name = StringField(_l("Contact person"), validators=[DataRequired(), Length(max=200)])
    contact_email = EmailField(_l("Contact email"), validators=[DataRequired(), Email(), Length(max=254)])
    contact_phone = StringField(_l("Contact phone"), validators=[DataRequired(), Length(max=32)])

    def validate_org_number(self, field):
        if self.is_foreign.data:
            field.data = None
            return
        if not field.data:
            raise ValidationError(_l("Enter the organisation number, or tick that the organisation is not Swedish."))
        normalised = normalise_org_number(field.data)
        if normalised is None:
            raise ValidationError(_l("This is not a valid Swedish organisation number (check the digits)."))
        field.data = normalised

    def validate_country(self, field):
        if self.is_foreign.data and field.data == "SE":
            raise ValidationError(_l("Choose the country the organisation is registered in."))

    def validate_contact_phone(self, field):
        normalised = normalise_phone(field.data or "")
        if normalised is None:
            raise ValidationError(_l("Enter a valid phone number, with country code if it is not Swedish."))
        field.data = normalised

    def exhibitor_fields(self) -> dict:
        return {
            "name": self.name.data.strip(),
            "org_number": None if self.is_foreign.data else self.org_number.data,
            "country": self.country.data if self.is_foreign.data else "SE",
            "org_type": self.org_type.data,
            "sector": self.sector.data.strip(),
            "job_countries": list(self.job_countries.data or []),
            "contact_name": self.contact_name.data.strip(),
            "contact_email": self.contact_email.data.strip().lower(),
            "contact_phone": self.contact_phone.data,
        }


class NewAccountForm(BazaarForm):
    """The applicant's own account, asked only when they are not logged in."""

    account_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    account_email = EmailField(
        _l("Your email (you log in with it)"), validators=[DataRequired(), Email(), Length(max=254)]
    )
    password = PasswordField(
        _l("Choose a password (at least 10 characters)"), validators=[DataRequired(), Length(min=10, max=200)]
    )


class ApplicationFilterForm(BazaarForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validators=[Optional()])
    org_type = SelectField(_l("Type of organisation"), validators=[Optional()])
    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])


class DecisionForm(BazaarForm):
    decision = SelectField(
        _l("Decision"),
        choices=[
            ("approved", _l("Approve")),
            ("waitlisted", _l("Put on the waiting list")),
            ("rejected", _l("Reject")),
        ],
    )
    message = TextAreaField(_l("Message to the applicant (optional)"), validators=[Optional(), Length(max=2000)])
    # The number of coming bookings the organiser agreed to cancel (set on the confirmation step).
    cancel_bookings = IntegerField(widget=HiddenInput(), validators=[Optional(), NumberRange(min=0, max=10**6)])


class BoothForm(BazaarForm):
    booth_number = StringField(_l("Booth number"), validators=[Optional(), Length(max=16)])
    booth_location = StringField(_l("Booth location"), validators=[Optional(), Length(max=100)])


@translated("description", _l("Description (%(language)s)"), max_length=5000)
class ProfileForm(TranslatedTexts, BazaarForm):
    sector = StringField(_l("Sector"), validators=[DataRequired(), Length(max=64)])
    booth_languages = MultiChoiceField(_l("Languages spoken at the booth"), choices=list(LANGUAGE_NAMES.items()))
    recruits_abroad = BooleanField(_l("We recruit for jobs abroad (e.g. Denmark, Norway)"))

    def fill_from(self, exhibitor) -> None:
        self.fill_texts(exhibitor)

    def profile_fields(self) -> dict:
        return {
            "description": self.texts("description"),
            "sector": self.sector.data.strip(),
            "booth_languages": list(self.booth_languages.data or []),
            "recruits_abroad": bool(self.recruits_abroad.data),
        }


class LogoForm(BazaarForm):
    logo = FileField(_l("Logo (PNG, JPEG or WebP, at most 1 MB)"))


@translated("description", _l("Description (%(language)s)"), max_length=5000)
@translated("title", _l("Title (%(language)s)"), max_length=200, field=StringField)
class OpeningForm(TranslatedTexts, BazaarForm):
    occupation = SelectField(_l("Occupation"), choices=list(OCCUPATIONS.items()))
    positions = IntegerField(_l("Number of positions"), default=1, validators=[DataRequired(), NumberRange(1, 10000)])
    location = StringField(_l("Workplace location"), validators=[Optional(), Length(max=100)])
    country = SelectField(_l("Country of the job"), default="SE")
    employment_type = SelectField(_l("Employment type"), choices=_choices(EMPLOYMENT_TYPE_LABELS))
    language_1 = SelectField(_l("Required language"), validators=[Optional()])
    level_1 = SelectField(_l("Level"), choices=_choices(LANGUAGE_LEVELS))
    language_2 = SelectField(_l("Another required language"), validators=[Optional()])
    level_2 = SelectField(_l("Level"), choices=_choices(LANGUAGE_LEVELS))
    education_level = SelectField(_l("Education required"), validators=[Optional()])
    driving_licence = BooleanField(_l("Driving licence required"))
    swedish_developing_ok = BooleanField(_l("Applicants whose Swedish is still developing are welcome"))

    LANGUAGE_SLOTS = 2

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        languages = [("", _l("None"))] + list(LANGUAGE_NAMES.items())
        self.language_1.choices = languages
        self.language_2.choices = languages
        self.education_level.choices = [("", _l("No requirement"))] + _choices(EDUCATION_LEVELS)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.title_sv.data or "").strip() and not (self.title_en.data or "").strip():
            self.title_sv.errors = [*self.title_sv.errors, _l("Give the opening a title in Swedish or English.")]
            return False
        return valid

    def fill_from(self, opening) -> None:
        self.fill_texts(opening)
        for i, requirement in enumerate(opening.required_languages[: self.LANGUAGE_SLOTS], start=1):
            getattr(self, f"language_{i}").data = requirement.get("lang", "")
            getattr(self, f"level_{i}").data = requirement.get("level", "basic")
        self.education_level.data = opening.education_level or ""

    def opening_fields(self) -> dict:
        required = []
        for i in range(1, self.LANGUAGE_SLOTS + 1):
            lang = getattr(self, f"language_{i}").data
            if lang and lang not in {r["lang"] for r in required}:
                required.append({"lang": lang, "level": getattr(self, f"level_{i}").data})
        return {
            "title": self.texts("title"),
            "description": self.texts("description"),
            "occupation": self.occupation.data,
            "positions": self.positions.data,
            "location": (self.location.data or "").strip() or None,
            "country": self.country.data,
            "employment_type": self.employment_type.data,
            "required_languages": required,
            "education_level": self.education_level.data or None,
            "driving_licence": bool(self.driving_licence.data),
            "swedish_developing_ok": bool(self.swedish_developing_ok.data),
        }


class TableForm(BazaarForm):
    name = StringField(_l("Table name"), validators=[DataRequired(), Length(max=100)])
    interviewer_id = SelectField(_l("Interviewer"), coerce=int, validators=[Optional()])


TIME_INPUT = {"type": "time"}  # the phone's time picker; it sends HH:MM (or HH:MM:SS), as typed text may


class SlotPlanForm(BazaarForm):
    day = MultiCheckboxField(_l("Days"), validators=[DataRequired(message=_l("Pick at least one day."))])
    start = StringField(
        _l("First slot starts (local time)"), validators=[DataRequired(), Length(max=8)], render_kw=TIME_INPUT
    )
    end = StringField(
        _l("Last slot ends by (local time)"), validators=[DataRequired(), Length(max=8)], render_kw=TIME_INPUT
    )
    length = SelectField(
        _l("Slot length (minutes)"), coerce=int, default=15, choices=[(n, str(n)) for n in SLOT_LENGTHS]
    )
    gap = IntegerField(_l("Gap between slots (minutes)"), default=0, validators=[Optional(), NumberRange(0, 120)])
    breaks = StringField(_l("Breaks (e.g. 12:00-13:00, 15:00-15:15)"), validators=[Optional(), Length(max=200)])
    format = SelectField(_l("Format"), choices=_choices(FORMAT_LABELS))
    opening_id = SelectField(_l("Tied to an opening (optional)"), validators=[Optional()])

    def _time(self, field):
        try:
            return time.fromisoformat(field.data.strip())
        except (ValueError, AttributeError):
            raise ValidationError(_l("Write the time as HH:MM, e.g. 09:30.")) from None

    def validate_start(self, field):
        self._time(field)

    def validate_end(self, field):
        self._time(field)

    def validate_breaks(self, field):
        try:
            parse_breaks(field.data)
        except ScheduleError:
            raise ValidationError(_l("Write breaks as HH:MM-HH:MM, separated by commas.")) from None


class SpeedDatingForm(BazaarForm):
    """A speed-dating session: when, how long a round is, how many rounds and seats, where."""

    day = SelectField(_l("Day"))
    start = StringField(
        _l("First round starts (local time)"), validators=[DataRequired(), Length(max=8)], render_kw=TIME_INPUT
    )
    round_minutes = SelectField(
        _l("Round length (minutes)"), coerce=int, default=5, choices=[(n, str(n)) for n in ROUND_MINUTES]
    )
    rounds = IntegerField(_l("Number of rounds"), default=6, validators=[DataRequired(), NumberRange(1, MAX_ROUNDS)])
    seats = IntegerField(
        _l("Seats per round (per employer)"), default=1, validators=[DataRequired(), NumberRange(1, MAX_SEATS)]
    )
    area = StringField(_l("Table or area"), validators=[DataRequired(), Length(max=100)])
    participants = MultiChoiceField(_l("Employers taking part"), coerce=int)

    def validate_start(self, field):
        try:
            time.fromisoformat(field.data.strip())
        except (ValueError, AttributeError):
            raise ValidationError(_l("Write the time as HH:MM, e.g. 09:30.")) from None


class DoorSeatForm(BazaarForm):
    """A walk-in visitor seated in a round: the round's start and the ticket's code (typed or scanned)."""

    round = SelectField(_l("Round"))
    ticket = StringField(
        _l("Ticket (scan the QR code)"),
        validators=[DataRequired(), Length(max=500)],
        render_kw={"autocomplete": "off", "autofocus": True},
    )


class TalkInterviewForm(BazaarForm):
    """The free interview time picked after a talk."""

    slot_id = SelectField(validators=[DataRequired()])


class InviteForm(BazaarForm):
    email = EmailField(_l("Colleague's email"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[("interviewer", _l("Interviewer")), ("admin", _l("Admin"))])


class OutcomeForm(BazaarForm):
    attendance = SelectField(_l("Attendance"), choices=list(ATTENDANCE_LABELS.items()))
    outcome = SelectField(_l("Outcome"), validators=[Optional()])
    employment_type = SelectField(_l("Employment type (if hired)"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=1000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome.choices = [("", _l("Not decided yet"))] + [(o, OUTCOME_LABELS[o]) for o in Outcome]
        self.employment_type.choices = [("", "—")] + _choices(EMPLOYMENT_TYPE_LABELS)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if (
            self.attendance.data == Attendance.ATTENDED
            and self.outcome.data == Outcome.HIRED
            and not self.employment_type.data
        ):
            self.employment_type.errors = [*self.employment_type.errors, _l("Choose the employment type for a hire.")]
            return False
        return valid
