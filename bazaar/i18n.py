"""Languages, text direction, and the one formatter for dates and times.

Every page and email shows times through :func:`format_datetime` with the event's time zone named
explicitly, so a visitor is never sent to an interview an hour off.
"""

from datetime import date, datetime
from functools import lru_cache
from operator import attrgetter
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import current_app, request
from flask_babel import get_locale, get_translations, refresh
from flask_login import current_user, user_logged_in
from markupsafe import Markup

from bazaar.extensions import db

LANG_COOKIE = "bazaar_lang"


def supported() -> dict:
    return current_app.config["LANGUAGES"]


def select_locale() -> str:
    langs = supported()
    if request:
        forced = request.args.get("lang")
        if forced in langs:
            return forced
    if current_user and current_user.is_authenticated and current_user.preferred_language in langs:
        return current_user.preferred_language
    if request:
        cookie = request.cookies.get(LANG_COOKIE)
        if cookie in langs:
            return cookie
        best = request.accept_languages.best_match(list(langs))
        if best:
            return best
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def current_lang() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def text_direction(lang: str | None = None) -> str:
    return Locale.parse(lang or current_lang()).text_direction


FALLBACK_LANGUAGES = ("en", "sv")  # after the reader's own language, before any other filled one


def pick_text(texts: dict | None, lang: str | None = None) -> tuple[str, str]:
    """The one choice of an organiser's or exhibitor's text (a dict of language code to text) for a
    reader: their language, else English, else Swedish, else any filled language. Returns
    ``(code, text)``, ``("", "")`` when nothing is written."""
    if not texts:
        return "", ""
    for code in (lang or current_lang(), *FALLBACK_LANGUAGES):
        if texts.get(code):
            return code, texts[code]
    return next(((code, text) for code, text in texts.items() if text), ("", ""))


def localized(texts: dict | None, lang: str | None = None) -> str:
    """The text :func:`pick_text` picks for the reader."""
    return pick_text(texts, lang)[1]


def localized_attrs(texts: dict | None, lang: str | None = None) -> Markup:
    """`` lang="en" dir="ltr"`` for the element showing :func:`localized` text when it fell back to
    another language than the page's (so a screen reader reads English on an Arabic page in an
    English voice and the line runs left to right); nothing when it is in the page's language."""
    page = lang or current_lang()
    code = pick_text(texts, page)[0]
    if not code or code == page:
        return Markup("")
    return Markup(' lang="{}" dir="{}"').format(code, text_direction(code))


TIME_PATTERN = "HH:mm"  # the venue's signs say 16:00 in every language: never 4:00 PM, never seconds


def _local(dt: datetime, tz: str) -> datetime:
    return dt.astimezone(ZoneInfo(tz))


def zone_abbreviation(dt: datetime | None, tz: str = "Europe/Stockholm") -> str:
    """The zone as people read it at that moment ("CET" in winter, "CEST" in summer), not "Europe/Stockholm"."""
    return _local(dt, tz).tzname() if dt is not None else ""


def format_date(
    dt: datetime | date | None, tz: str = "Europe/Stockholm", fmt: str = "full", lang: str | None = None
) -> str:
    """``full``: the day's full name and the month's ("lördag 12 december 2026"); any other ``fmt``:
    the month's short name ("12 dec. 2026"). Never all digits, so 12/12/26 cannot be misread. A
    datetime is shown on its date in ``tz``; a date (a fair's day) as it is."""
    if dt is None:
        return ""
    day = _local(dt, tz).date() if isinstance(dt, datetime) else dt
    return _date_text(day, fmt == "full", lang or current_lang())


@lru_cache(maxsize=1024)
def _date_text(day: date, full: bool, locale: str) -> str:
    """:func:`format_date`'s words, kept: a page of a hundred interviews formats a few days."""
    if full:
        return babel_dates.format_date(day, format="full", locale=locale)
    return babel_dates.format_skeleton("yMMMd", day, locale=locale)


def format_time(
    dt: datetime | None, tz: str = "Europe/Stockholm", lang: str | None = None, with_zone: bool = False
) -> str:
    """A 24-hour time of hours and minutes ("16:30"), with the zone abbreviation if asked ("16:30 CET")."""
    if dt is None:
        return ""
    text, zone = _time_text(dt, tz, lang or current_lang())
    return f"{text} {zone}" if with_zone else text


@lru_cache(maxsize=4096)
def _time_text(dt: datetime, tz: str, locale: str) -> tuple[str, str]:
    """:func:`format_time`'s clock time and zone abbreviation, kept: a fair has a few hundred start times."""
    local = _local(dt, tz)
    return babel_dates.format_time(local, format=TIME_PATTERN, locale=locale), local.tzname()


def format_datetime(
    dt: datetime | None,
    tz: str = "Europe/Stockholm",
    fmt: str = "full",
    lang: str | None = None,
    with_zone: bool = True,
) -> str:
    """:func:`format_date` and :func:`format_time` joined the locale's way, naming the zone
    ("lördag 12 december 2026 16:30 CET"; ``fmt="short"``: "12 dec. 2026 16:30 CET")."""
    if dt is None:
        return ""
    locale = lang or current_lang()
    joined = babel_dates.get_datetime_format("medium", locale=locale)
    text = joined.replace("{1}", format_date(dt, tz, fmt, locale)).replace("{0}", format_time(dt, tz, locale))
    return f"{text} {zone_abbreviation(dt, tz)}" if with_zone else text


def by_day(items, tz: str = "Europe/Stockholm", attribute: str = "starts_at") -> list[tuple[datetime, list]]:
    """Items (in time order) grouped by their local date at the fair: [(the group's first time, items)]."""
    get = attrgetter(attribute)
    groups: list[tuple[object, datetime, list]] = []
    for item in items:
        at = get(item)
        if groups and groups[-1][0] == _local(at, tz).date():
            groups[-1][2].append(item)
        else:
            groups.append((_local(at, tz).date(), at, [item]))
    return [(at, group) for _day, at, group in groups]


def spreadsheet_time(dt: datetime | None, tz: str = "Europe/Stockholm") -> datetime | None:
    """A local wall-clock time for exports, to the minute and without a zone (spreadsheets cannot
    hold one): a CSV shows it as "2026-12-12 16:30", an XLSX as a date cell (bazaar/spreadsheets.py)."""
    return _local(dt, tz).replace(second=0, microsecond=0, tzinfo=None) if dt is not None else None


def country_name(code: str | None, lang: str | None = None) -> str:
    """A country's name in the reader's language ("Norge", "النرويج"), not its code ("NO")."""
    if not code:
        return ""
    return Locale.parse(lang or current_lang()).territories.get(code.upper(), code)


def format_number(value: int | float | None, lang: str | None = None, decimals: int | None = None) -> str:
    """Group digits and pick the decimal sign per locale (``1 234,5`` in Swedish, ``1,234.5`` in English)."""
    if value is None:
        return ""
    if decimals is not None:
        return babel_numbers.format_decimal(
            value, format="#,##0." + "0" * decimals if decimals else "#,##0", locale=lang or current_lang()
        )
    return babel_numbers.format_decimal(value, locale=lang or current_lang())


def format_percent(value: float | None, lang: str | None = None) -> str:
    """``0.25`` as ``25 %`` (Swedish) or ``25%`` (English)."""
    if value is None:
        return ""
    return babel_numbers.format_percent(value, locale=lang or current_lang())


def remember_on_device(response, lang: str) -> None:
    response.set_cookie(
        LANG_COOKIE,
        lang,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )


def store_preferred_language(user, lang: str) -> bool:
    """Make ``lang`` the account's language (pages and emails); only from a POST with CSRF."""
    if lang not in supported():
        return False
    user.preferred_language = lang
    return True


@lru_cache(maxsize=8192)
def _kept_gettext(lang: str, message: str) -> str:
    """A template's message in ``lang`` (the language of the page, which Flask-Babel translates into)."""
    return get_translations().ugettext(message)


@lru_cache(maxsize=8192)
def _kept_ngettext(lang: str, singular: str, plural: str, n: int) -> str:
    return get_translations().ungettext(singular, plural, n)


def init_app(app) -> None:
    # Templates' ``_`` and ``ngettext`` keep each message per language: Flask-Babel looks the page's
    # translations up on every call, which cost more than the rest of a directory row. Jinja still
    # fills in and escapes the variables.
    app.jinja_env.install_gettext_callables(
        gettext=lambda message: _kept_gettext(current_lang(), message),
        ngettext=lambda singular, plural, n: _kept_ngettext(current_lang(), singular, plural, n),
        newstyle=True,
    )
    app.jinja_env.filters["dt"] = format_datetime
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["percent"] = format_percent
    app.jinja_env.filters["time"] = format_time
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["by_day"] = by_day
    app.jinja_env.filters["zone"] = zone_abbreviation
    app.jinja_env.filters["country"] = country_name
    app.jinja_env.filters["localized"] = localized
    app.jinja_env.filters["localized_attrs"] = localized_attrs

    @app.before_request
    def _choose_language_afresh():
        """Flask-Babel caches the locale on ``g``, which outlives a request when an app context
        was already pushed (tests, CLI); every request chooses its own language."""
        refresh()

    @app.after_request
    def _remember_language(response):
        """``?lang=xx`` changes this page and is remembered on this device in a cookie; it never
        changes an account's stored preference (a GET from another site could), see
        :func:`store_preferred_language`."""
        lang = request.args.get("lang")
        if lang in supported():
            remember_on_device(response, lang)
        return response

    @user_logged_in.connect_via(app)
    def _adopt_language_chosen_before_login(sender, user, **extra):
        """A language picked on this device before logging in becomes the account's language,
        so the pages after login and the emails that follow use it too."""
        chosen = request.cookies.get(LANG_COOKIE) if request else None
        if chosen in supported() and user.preferred_language != chosen:
            user.preferred_language = chosen
            db.session.commit()

    @app.context_processor
    def _i18n_context():
        lang = current_lang()
        return {
            "languages": supported(),
            "current_lang": lang,
            "text_dir": text_direction(lang),
        }
