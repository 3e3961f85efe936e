"""Form pieces shared by every domain."""

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale, support
from flask_babel import LazyString, get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import DateTimeLocalField, TextAreaField
from wtforms.fields import FileField as _FileField
from wtforms.i18n import messages_path
from wtforms.validators import Length, Optional

from config import LANGUAGES

_CONTROL = dict.fromkeys(c for c in range(32) if chr(c) not in "\t\n\r")
_CONTROL[0x7F] = None


# Dates outside these years are refused as typed: year 1 or 9999 would overflow time arithmetic.
YEARS = range(2000, 2101)


def has_control_characters(value: str) -> bool:
    return value != value.translate(_CONTROL)


@lru_cache(maxsize=64)
def _wtforms_messages(locale: str) -> support.Translations:
    """WTForms' own messages (and the labels it makes of field names) in ``locale``, read from
    disk once per process instead of on every request with a form, as Flask-WTF would."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def strip(value):
    """A field filter: surrounding spaces go (what people paste from mail and office documents)."""
    return value.strip() if isinstance(value, str) else value


class BazaarForm(FlaskForm):
    """The base of every form: the one place request input is checked before any field sees it.

    A file part sent for a field that is not a file field is dropped, and text holding NUL or
    other control characters (PostgreSQL refuses NUL, XLSX refuses controls) fails validation
    with a clear message, so hostile input never causes a 500."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return _wtforms_messages(str(get_locale()))

        def wrap_formdata(self, form, formdata):
            formdata = super().wrap_formdata(form, formdata)
            if formdata is None:
                return None
            file_fields = {name for name, field in form._fields.items() if isinstance(field, _FileField)}
            kept = MultiDict()
            for key in formdata:
                for value in formdata.getlist(key):
                    if not isinstance(value, FileStorage) or key in file_fields:
                        kept.add(key, value)
            return kept

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if any(isinstance(raw, str) and has_control_characters(raw) for raw in field.raw_data or ()):
                field.errors = [*field.errors, _l("Please remove the invisible control characters.")]
                valid = False
        return valid


class LocalDateTimeField(DateTimeLocalField):
    """A datetime typed in the event's local time (Europe/Stockholm), stored as aware UTC."""

    def __init__(self, label=None, validators=None, tz: str = "Europe/Stockholm", **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
        super().__init__(label, validators, **kwargs)
        self.tz = ZoneInfo(tz)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            if self.data.year not in YEARS:  # kept (naive) so DataRequired does not hide this message
                raise ValueError(
                    str(_l("Please enter a year from %(first)d to %(last)d.", first=YEARS[0], last=YEARS[-1]))
                )
            self.data = self.data.replace(tzinfo=self.tz)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        if isinstance(self.data, datetime):
            return self.data.astimezone(self.tz).strftime("%Y-%m-%dT%H:%M")
        return ""


LOCAL_TIME_HELP = _l("Local time in Sweden")


# The languages an organiser or exhibitor may write their texts in; the first two are always shown
# on the form, the others behind "Add a translation" (templates/macros/forms.html).
TEXT_LANGUAGES = tuple(LANGUAGES)
ALWAYS_SHOWN_LANGUAGES = ("sv", "en")


def _language_label(label, lang: str) -> str:
    """``label`` with the language named in the reader's language ("Beskrivning (arabiska)")."""
    reader = Locale.parse(str(get_locale() or "en"))
    return str(label) % {"language": reader.languages.get(lang, lang)}


def translated(key: str, label, *, max_length: int, field=TextAreaField):
    """A form class decorator adding one field ``<key>_<lang>`` per language of
    :data:`TEXT_LANGUAGES`, each optional and at most ``max_length`` long; ``label`` holds
    ``%(language)s``. The form's :meth:`TranslatedTexts.texts` reads them back as one dict."""

    def add(form_cls):
        for lang in TEXT_LANGUAGES:
            render_kw = {"lang": lang, "dir": LANGUAGES[lang][1]}
            validators = [Optional(), Length(max=max_length)]
            setattr(
                form_cls,
                f"{key}_{lang}",
                field(LazyString(_language_label, label, lang), validators, render_kw=render_kw),
            )
        form_cls.TRANSLATED = (*getattr(form_cls, "TRANSLATED", ()), key)
        return form_cls

    return add


class TranslatedTexts:
    """Reading and filling the fields :func:`translated` added, as dicts of language code to text."""

    def texts(self, key: str) -> dict:
        """The filled languages of ``key``, stripped: ``{"sv": "...", "ar": "..."}``."""
        written = {lang: (getattr(self, f"{key}_{lang}").data or "").strip() for lang in TEXT_LANGUAGES}
        return {lang: text for lang, text in written.items() if text}

    def fill_texts(self, obj) -> None:
        for key in self.TRANSLATED:
            stored = getattr(obj, key) or {}
            for lang in TEXT_LANGUAGES:
                getattr(self, f"{key}_{lang}").data = stored.get(lang, "")

    def translation_fields(self, key: str) -> tuple[list, list]:
        """The fields of ``key`` always shown, and those behind "Add a translation"."""
        shown = [getattr(self, f"{key}_{lang}") for lang in TEXT_LANGUAGES if lang in ALWAYS_SHOWN_LANGUAGES]
        more = [getattr(self, f"{key}_{lang}") for lang in TEXT_LANGUAGES if lang not in ALWAYS_SHOWN_LANGUAGES]
        return shown, more
