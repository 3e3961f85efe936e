"""Language choice, text direction and locale formatting as a visitor meets them."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.pofile import read_po
from sqlalchemy import select

from bazaar.accounts.models import User
from bazaar.booking.notifications import booking_changed
from bazaar.extensions import db
from bazaar.i18n import (
    LANG_COOKIE,
    format_date,
    format_datetime,
    format_number,
    format_percent,
    format_time,
    spreadsheet_time,
    zone_abbreviation,
)
from bazaar.notifications.models import OutboxMessage
from bazaar.notifications.render import render
from config import LANGUAGES
from tests import factories as f
from tests.platform.test_i18n_catalogs import TRANSLATIONS
from tests.support import limiter_on_redis, login

RTL = {"ar", "fa"}


def html_attr(body: str, name: str) -> str:
    return re.search(rf'<html[^>]*\b{name}="([^"]*)"', body).group(1)


def translation(lang: str, msgid: str) -> str:
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        message = read_po(fh).get(msgid)
    return message.string if message is not None and message.string and not message.fuzzy else msgid


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_page_declares_language_and_direction(ctx, client, lang):
    ev = f.event(name="Jobbdating Helsingborg")
    ex = f.exhibitor(ev, description={"sv": "Vi bygger hus."})
    for url in (
        "/",
        f"/events/{ev.slug}",
        "/login",
        "/signup",
        "/forgot-password",
        f"/events/{ev.slug}/register",
        f"/events/{ev.slug}/exhibitors",
        f"/events/{ev.slug}/exhibitors/{ex.id}",
        "/no-such-page",
    ):
        body = client.get(f"{url}?lang={lang}").get_data(as_text=True)
        assert html_attr(body, "lang") == lang
        assert html_attr(body, "dir") == ("rtl" if lang in RTL else "ltr")
        assert Locale.parse(lang).text_direction == html_attr(body, "dir")


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_page_text_comes_from_the_catalog(ctx, client, lang):
    body = client.get(f"/?lang={lang}").get_data(as_text=True)
    assert translation(lang, "Upcoming fairs") in body
    assert translation(lang, "Skip to content") in body


def test_language_follows_the_browser_when_nothing_was_chosen(ctx, client):
    body = client.get("/", headers={"Accept-Language": "ar-SE,ar;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert html_attr(body, "lang") == "ar" and html_attr(body, "dir") == "rtl"
    body = client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9,da;q=0.4"}).get_data(as_text=True)
    assert html_attr(body, "lang") == "da"
    body = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert html_attr(body, "lang") == "sv"  # the default


def test_chosen_language_is_remembered_in_a_cookie_over_the_browser_language(ctx, client):
    client.get("/?lang=uk", headers={"Accept-Language": "en"})
    assert client.get_cookie(LANG_COOKIE).value == "uk"
    body = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert html_attr(body, "lang") == "uk"


def test_unknown_language_codes_are_ignored(ctx, client):
    for junk in ("xx", "../etc", "a" * 500, "AR", ""):
        response = client.get("/", query_string={"lang": junk})
        assert response.status_code == 200
        assert html_attr(response.get_data(as_text=True), "lang") == "sv"
        assert client.get_cookie(LANG_COOKIE) is None


def test_logged_in_users_choice_is_stored_for_their_emails(ctx, client):
    person = f.visitor(preferred_language="sv")
    login(client, person)
    response = client.post("/language", data={"lang": "ti", "next": "/events?x=1"})
    assert response.status_code == 302 and response.headers["Location"] == "/events?x=1"
    db.session.expire_all()
    assert db.session.get(User, person.id).preferred_language == "ti"
    other_browser = client.application.test_client()
    login(other_browser, person)
    assert html_attr(other_browser.get("/").get_data(as_text=True), "lang") == "ti"


def test_switcher_is_on_every_page_keeps_the_other_query_arguments_and_needs_no_script(ctx, client):
    ev = f.event()
    body = client.get(f"/events/{ev.slug}?lang=fa&page=2&q=snickare").get_data(as_text=True)
    form = re.search(r'<form class="lang" method="get" action="([^"]*)">(.*?)</form>', body, re.S)
    assert form.group(1) == f"/events/{ev.slug}"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(2)))
    assert fields == {"page": "2", "q": "snickare"}
    options = re.findall(r'<option value="(\w+)" lang="\1"', form.group(2))
    assert options == list(LANGUAGES)
    assert re.search(r'<option value="fa" lang="fa" selected>', form.group(2))
    assert '<button type="submit">' in form.group(2)
    assert "<script" not in body  # switching works as a plain form submit
    for url in ("/", "/login", "/no-such-page"):
        assert 'id="lang-select"' in client.get(url).get_data(as_text=True)


NUMERIC_DATE = re.compile(r"\d{1,4}\u200f?[/.\-]\d{1,2}\u200f?[/.\-]\d{2,4}")  # 12/12/26, 12.12.2026
SECONDS = re.compile(r"\d:\d\d[:.]\d\d")


def assert_24_hour_without_seconds(text: str, lang: str) -> None:
    """No "4:00 ድ.ቀ.", "3:30:33 PM", "12/12/26": the venue's clock, named months."""
    periods = {str(p) for p in babel_dates.get_period_names("abbreviated", locale=lang).values()}
    periods |= {str(p) for p in babel_dates.get_period_names("wide", locale=lang).values()}
    words = {w.strip(",،") for w in text.split()}
    assert not words & periods, f"12-hour clock in {text!r}"
    assert not SECONDS.search(text), f"seconds in {text!r}"
    assert not NUMERIC_DATE.search(text), f"an all-digit date in {text!r}"


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize(
    "moment", [datetime(2026, 1, 20, 15, 30, 33, tzinfo=UTC), datetime(2026, 6, 20, 14, 5, tzinfo=UTC)]
)
def test_one_formatter_gives_24_hour_times_full_day_names_and_the_zone_abbreviation(lang, moment):
    zone = ZoneInfo("Europe/Stockholm")
    local = moment.astimezone(zone)
    zone_name = "CET" if moment.month == 1 else "CEST"
    clock = f"{local.hour:02d}:{local.minute:02d}"  # 16:30 in winter, 16:05 in summer: the local hour
    day_name = babel_dates.get_day_names("wide", locale=lang)[local.weekday()]
    month_name = babel_dates.get_month_names("wide", locale=lang)[local.month]
    assert format_time(moment, "Europe/Stockholm", lang=lang) == clock
    assert format_time(moment, "Europe/Stockholm", lang=lang, with_zone=True) == f"{clock} {zone_name}"
    full = format_datetime(moment, "Europe/Stockholm", lang=lang)
    assert day_name in full and month_name in full and clock in full and full.endswith(" " + zone_name)
    assert day_name in format_date(moment, "Europe/Stockholm", lang=lang)
    short = format_datetime(moment, "Europe/Stockholm", "short", lang=lang)
    assert clock in short and short.endswith(" " + zone_name) and "2026" in short
    for text in (full, short, format_date(moment, "Europe/Stockholm", "medium", lang=lang)):
        assert_24_hour_without_seconds(text, lang)
        assert "Europe/" not in text
    assert zone_abbreviation(moment, "Europe/Stockholm") == zone_name
    assert f"{spreadsheet_time(moment, 'Europe/Stockholm'):%Y-%m-%d %H:%M:%S}" == f"{local:%Y-%m-%d} {clock}:00"


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_pages_and_emails_show_event_times_the_one_way(ctx, client, lang):
    """The event page, the door's arrival card, the ticket and an email in every visitor language."""
    ev = f.event()
    clock = format_time(ev.starts_at, ev.timezone, lang=lang)
    zone = zone_abbreviation(ev.starts_at, ev.timezone)
    body = client.get(f"/events/{ev.slug}?lang={lang}").get_data(as_text=True)
    assert f"{clock}–{format_time(ev.ends_at, ev.timezone, lang=lang)} {zone}" in body
    assert (
        babel_dates.get_day_names("wide", locale=lang)[ev.starts_at.astimezone(ZoneInfo(ev.timezone)).weekday()] in body
    )
    assert "Europe/Stockholm" not in body
    assert_24_hour_without_seconds(main_text(body), lang)

    slot = f.slots_for(f.exhibitor(ev, name="Acme Bygg AB"), count=1)[0]
    person = f.visitor(preferred_language=lang)
    reg = f.registration(ev, person, checked_in_at=ev.starts_at + timedelta(minutes=7, seconds=33))
    booking = f.booked(reg, slot)
    booking_changed(booking, "created")
    db.session.commit()
    login(client, person)
    ticket = client.get(f"/my/tickets/{reg.id}").get_data(as_text=True)
    assert format_time(reg.checked_in_at, ev.timezone, lang=lang) in ticket and zone in ticket
    assert_24_hour_without_seconds(main_text(ticket), lang)
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "booking_confirmed")).one()
    mail = render(message)
    for part in (mail.subject, mail.text, re.sub(r"<[^>]+>", " ", mail.html)):
        assert format_time(slot.starts_at, ev.timezone, lang=lang) in part
        assert_24_hour_without_seconds(part, lang)
    assert format_datetime(slot.starts_at, ev.timezone, lang=lang) in mail.text  # the day's full name
    assert "Europe/Stockholm" not in mail.text


def main_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html.split("<main", 1)[1])


def test_times_are_shown_in_the_events_zone_not_the_servers():
    moment = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night Sweden moves to summer time
    assert format_datetime(moment, "Europe/Stockholm", "short", lang="sv").endswith("01:30 CET")
    after_change = datetime(2026, 3, 29, 2, 0, tzinfo=UTC)
    assert format_datetime(after_change, "Europe/Stockholm", "short", lang="sv").endswith("04:00 CEST")
    assert format_datetime(moment, "Europe/Copenhagen", "short", lang="da").endswith("CET")


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_numbers_follow_the_locale(lang):
    assert format_number(1234567.5, lang=lang) == babel_numbers.format_decimal(1234567.5, locale=lang)
    assert format_number(4700, lang=lang, decimals=0) == babel_numbers.format_decimal(4700, locale=lang)
    assert format_percent(0.25, lang=lang) == babel_numbers.format_percent(0.25, locale=lang)
    symbols = Locale.parse(lang).number_symbols["latn"]
    assert symbols["decimal"] in format_number(2.5, lang=lang)


def test_swedish_and_english_differ_where_the_locales_do():
    assert format_number(1234.5, lang="sv") != format_number(1234.5, lang="en")
    assert "," in format_number(2.5, lang="sv") and "." in format_number(2.5, lang="en")


def test_event_page_isolates_times_so_they_read_right_in_rtl(ctx, client):
    ev = f.event()
    body = client.get(f"/events/{ev.slug}?lang=ar").get_data(as_text=True)
    expected = format_time(ev.ends_at, ev.timezone, lang="ar", with_zone=True)
    assert re.search(r"<bdi>[^<]*" + re.escape(expected) + "</bdi>", body)


def test_organiser_text_falls_back_and_says_which_language_it_is_in(ctx, client):
    ev = f.event(
        description={"sv": "Träffa arbetsgivare.", "en": "Meet employers."},
        directions={"sv": "Buss 1 till Knutpunkten.", "ar": "الحافلة 1 إلى كنوتبونكتن."},
    )
    body = client.get(f"/events/{ev.slug}?lang=ar").get_data(as_text=True)
    assert '<p class="lead" lang="en" dir="ltr">Meet employers.</p>' in body  # English before Swedish
    assert "<dd>الحافلة 1 إلى كنوتبونكتن.</dd>" in body  # the page's own language: nothing to mark
    body = client.get(f"/events/{ev.slug}?lang=en").get_data(as_text=True)
    assert '<p class="lead">Meet employers.</p>' in body
    assert '<dd lang="sv" dir="ltr">Buss 1 till Knutpunkten.</dd>' in body


def test_language_chosen_before_logging_in_becomes_the_accounts_language(ctx, client):
    person = f.visitor(preferred_language="sv")
    client.get("/login?lang=fa")
    response = client.post("/login", data={"email": person.email, "password": f.PASSWORD})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, person.id).preferred_language == "fa"
    assert html_attr(client.get("/my").get_data(as_text=True), "lang") == "fa"


def test_logging_in_without_a_chosen_language_keeps_the_accounts_language(ctx, client):
    person = f.visitor(preferred_language="tr")
    client.post("/login", data={"email": person.email, "password": f.PASSWORD}, headers={"Accept-Language": "sv"})
    db.session.expire_all()
    assert db.session.get(User, person.id).preferred_language == "tr"
    assert html_attr(client.get("/my", headers={"Accept-Language": "sv"}).get_data(as_text=True), "lang") == "tr"


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_a_visitors_own_pages_render_in_every_language(ctx, client, lang):
    ev = f.event()
    ex = f.exhibitor(ev)
    slot = f.slots_for(ex, count=2)[0]
    person = f.visitor(preferred_language=lang)
    reg = f.registration(ev, person)
    booking = f.booked(reg, slot)
    login(client, person)
    for url in (
        "/my",
        "/my/profile",
        f"/events/{ev.slug}/my-schedule",
        f"/bookings/{booking.id}/reschedule",
        f"/bookings/{booking.id}/cancel",
        f"/my/tickets/{reg.id}",
        f"/my/tickets/{reg.id}/badge",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert html_attr(body, "lang") == lang and html_attr(body, "dir") == ("rtl" if lang in RTL else "ltr")


def test_a_get_with_lang_changes_the_page_but_never_the_stored_preference(ctx, client):
    person = f.visitor(preferred_language="sv")
    login(client, person)
    body = client.get("/?lang=ar").get_data(as_text=True)  # e.g. an image tag on another site
    assert html_attr(body, "lang") == "ar"
    db.session.expire_all()
    assert db.session.get(User, person.id).preferred_language == "sv"
    assert html_attr(client.get("/").get_data(as_text=True), "lang") == "sv"
    form = re.search(r'<form class="lang" method="post" action="/language">(.*?)</form>', body, re.S)
    assert 'name="csrf_token"' in form.group(1) and 'name="next" value="/"' in form.group(1)


def test_the_language_post_needs_a_csrf_token(app):
    from bazaar import create_app
    from config import Config

    csrf_app = create_app(Config(TESTING=True, **limiter_on_redis()))
    with csrf_app.app_context():
        person = f.visitor(preferred_language="sv")
        client = csrf_app.test_client()
        login(client, person)
        assert client.post("/language", data={"lang": "ar"}).status_code == 400
        db.session.expire_all()
        assert db.session.get(User, person.id).preferred_language == "sv"
        db.session.remove()
