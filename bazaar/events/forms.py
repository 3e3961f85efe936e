import re
from datetime import time
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    FileField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    URLField,
)
from wtforms.validators import URL, DataRequired, Email, Length, NumberRange, Optional, Regexp, ValidationError

from bazaar.events.services import DaySpec
from bazaar.forms import TEXT_LANGUAGES, YEARS, BazaarForm, LocalDateTimeField, TranslatedTexts, strip, translated
from bazaar.i18n import format_date, format_time

MAX_DAYS = 14
TIME_INPUT = {"type": "time"}


def day_choices(event) -> list[tuple[str, str]]:
    """The fair's days as a form's choices: the ISO date, named with the day and its opening hours."""
    return [
        (
            day.date.isoformat(),
            f"{format_date(day.opens_at, event.timezone)}, "
            f"{format_time(day.opens_at, event.timezone)}–{format_time(day.closes_at, event.timezone)}",
        )
        for day in event.days
    ]


def _time(text: str | None) -> time | None:
    try:
        return time.fromisoformat((text or "").strip())
    except ValueError:
        return None


class DayForm(Form):
    """One day of the fair: its date and opening hours in local time (a row of the event form)."""

    id = HiddenField()
    date = DateField(_l("Date"), validators=[Optional()])
    opens = StringField(_l("Opens (local time)"), validators=[Optional(), Length(max=8)], render_kw=TIME_INPUT)
    closes = StringField(_l("Closes (local time)"), validators=[Optional(), Length(max=8)], render_kw=TIME_INPUT)
    note = StringField(
        _l("Hall or venue that day (optional)"), filters=[strip], validators=[Optional(), Length(max=200)]
    )
    remove = BooleanField(_l("Remove this day"))

    def is_blank(self) -> bool:
        return not (self.date.raw_data and self.date.raw_data[0]) and not self.opens.data and not self.closes.data


@translated("directions", _l("How to get there (%(language)s)"), max_length=2000)
@translated("description", _l("Description (%(language)s)"), max_length=5000)
class EventForm(TranslatedTexts, BazaarForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    venue_name = StringField(_l("Venue"), validators=[DataRequired(), Length(max=200)])
    venue_address = StringField(_l("Address"), validators=[DataRequired(), Length(max=300)])
    days = FieldList(FormField(DayForm), min_entries=1, max_entries=MAX_DAYS)
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

    def _kept_days(self):
        return [entry.form for entry in self.days if not entry.form.remove.data and not entry.form.is_blank()]

    def validate_days(self, field):
        kept, seen, valid = self._kept_days(), set(), True
        for day in kept:
            opens, closes = _time(day.opens.data), _time(day.closes.data)
            if day.date.data is None:
                day.date.errors = [*day.date.errors, _l("Give the day's date.")]
                valid = False
            elif day.date.data.year not in YEARS:
                message = _l("Please enter a year from %(first)d to %(last)d.", first=YEARS[0], last=YEARS[-1])
                day.date.errors = [*day.date.errors, message]
                valid = False
            elif day.date.data in seen:
                day.date.errors = [*day.date.errors, _l("This date is already one of the fair's days.")]
                valid = False
            else:
                seen.add(day.date.data)
            for sub, at in ((day.opens, opens), (day.closes, closes)):
                if at is None:
                    sub.errors = [*sub.errors, _l("Write the time as HH:MM, e.g. 09:30.")]
                    valid = False
            if opens and closes and closes <= opens:
                day.closes.errors = [*day.closes.errors, _l("The end must be after the start.")]
                valid = False
        if not kept:
            raise ValidationError(_l("A fair has at least one day."))
        if not valid:
            raise ValidationError(_l("Please correct the days below."))

    def day_specs(self) -> list[DaySpec]:
        """The days kept on the form, in date order."""
        specs = []
        for day in self._kept_days():
            day_id = str(day.id.data or "")
            specs.append(
                DaySpec(
                    date=day.date.data,
                    opens=_time(day.opens.data),
                    closes=_time(day.closes.data),
                    note=day.note.data or "",
                    id=int(day_id) if re.fullmatch(r"[0-9]{1,9}", day_id) else None,
                )
            )
        return sorted(specs, key=lambda spec: spec.date)

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
        data = {k: v for k, v in self.data.items() if k not in ("csrf_token", "days") and k not in per_language}
        return data | texts

    def fill_from(self, event) -> None:
        self.fill_texts(event)
        zone = ZoneInfo(event.timezone)
        while self.days.entries:
            self.days.pop_entry()
        for day in event.days:
            self.days.append_entry(
                SimpleNamespace(
                    id=str(day.id),
                    date=day.date,
                    opens=day.opens_at.astimezone(zone).strftime("%H:%M"),
                    closes=day.closes_at.astimezone(zone).strftime("%H:%M"),
                    note=day.note,
                    remove=False,
                )
            )


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
