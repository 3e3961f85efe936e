"""Language choice, text direction and locale formatting as a visitor meets them."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.pofile import read_po

from bazaar.accounts.models import User
from bazaar.extensions import db
from bazaar.i18n import LANG_COOKIE, format_date, format_datetime, format_number, format_percent, format_time
from config import LANGUAGES
from tests import factories as f
from tests.conftest import limiter_on_redis, login
from tests.test_i18n_catalogs import TRANSLATIONS

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


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("moment", [datetime(2026, 1, 20, 8, 30, tzinfo=UTC), datetime(2026, 6, 20, 8, 30, tzinfo=UTC)])
def test_dates_and_times_follow_the_locale_and_name_the_zone(lang, moment):
    zone = ZoneInfo("Europe/Stockholm")
    local = moment.astimezone(zone)
    zone_name = local.tzname()
    assert zone_name == ("CET" if moment.month == 1 else "CEST")
    shown = format_datetime(moment, "Europe/Stockholm", "medium", lang=lang)
    assert shown == babel_dates.format_datetime(local, "medium", tzinfo=zone, locale=lang) + " " + zone_name
    assert shown.endswith(zone_name)
    # The local wall-clock hour (09:30 in winter, 10:30 in summer), not the UTC one.
    assert re.search(rf"\b0?{local.hour}[:.]{local.minute:02d}\b", shown)
    assert format_time(moment, "Europe/Stockholm", lang=lang, with_zone=True) == (
        babel_dates.format_time(local, "short", tzinfo=zone, locale=lang) + " " + zone_name
    )
    assert format_date(moment, "Europe/Stockholm", lang=lang) == babel_dates.format_date(
        local.date(), "full", locale=lang
    )


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
    assert '<p class="lead" lang="sv" dir="auto">Träffa arbetsgivare.</p>' in body
    assert '<dd lang="ar" dir="auto">الحافلة 1 إلى كنوتبونكتن.</dd>' in body
    body = client.get(f"/events/{ev.slug}?lang=en").get_data(as_text=True)
    assert '<p class="lead" lang="en" dir="auto">Meet employers.</p>' in body
    assert '<dd lang="sv" dir="auto">Buss 1 till Knutpunkten.</dd>' in body


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
