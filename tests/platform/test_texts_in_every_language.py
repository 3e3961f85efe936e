"""Organisers' and exhibitors' own texts in the visitor's language: one choice (bazaar.i18n.pick_text)
with English, then Swedish, then any written language to fall back on, marked with its lang and
dir when it is not the page's; and forms that take the texts in every language of the site."""

import re

import pytest
from sqlalchemy import select

from bazaar.events.models import Event
from bazaar.exhibitors.models import Opening
from bazaar.extensions import db
from bazaar.forms import TEXT_LANGUAGES
from bazaar.i18n import localized, localized_attrs, pick_text
from bazaar.occupations import OCCUPATIONS
from config import LANGUAGES
from tests import factories as f
from tests.events.test_events import FORM
from tests.support import SCREENSHOTS, assert_accessible, assert_fits, browser_login, login

ARABIC = "تعرّف على أصحاب العمل في كولتورهوسيت."
ENGLISH = "Meet employers at Kulturhuset."
SWEDISH = "Träffa arbetsgivare på Kulturhuset."


@pytest.mark.parametrize(
    "texts, lang, picked",
    [
        ({"sv": SWEDISH, "en": ENGLISH, "ar": ARABIC}, "ar", ("ar", ARABIC)),  # the reader's own
        ({"sv": SWEDISH, "en": ENGLISH}, "so", ("en", ENGLISH)),  # English before Swedish
        ({"sv": SWEDISH, "ar": ARABIC}, "so", ("sv", SWEDISH)),  # then Swedish
        ({"ar": ARABIC, "fa": "..."}, "so", ("ar", ARABIC)),  # then the first written one
        ({"sv": "", "en": ENGLISH}, "sv", ("en", ENGLISH)),  # an empty text is not a text
        ({}, "sv", ("", "")),
        (None, "sv", ("", "")),
    ],
)
def test_pick_text_falls_back_to_english_then_swedish_then_any(ctx, texts, lang, picked):
    assert pick_text(texts, lang) == picked
    assert localized(texts, lang) == picked[1]


def test_the_shown_text_is_marked_only_when_it_is_not_in_the_pages_language(ctx):
    texts = {"sv": SWEDISH, "en": ENGLISH, "ar": ARABIC}
    assert localized_attrs(texts, "ar") == ""
    assert localized_attrs({"en": ENGLISH}, "ar") == ' lang="en" dir="ltr"'
    assert localized_attrs({"ar": ARABIC}, "sv") == ' lang="ar" dir="rtl"'
    assert localized_attrs({"fa": "سلام"}, "so") == ' lang="fa" dir="rtl"'
    assert localized_attrs({}, "sv") == ""


def test_organisers_arabic_description_reaches_an_arabic_visitor_and_a_somali_one_reads_english(ctx, client):
    organiser = f.organiser()
    login(client, organiser)
    form = {**FORM, "description_ar": ARABIC, "directions_fa": "از ایستگاه مرکزی پیاده بیایید."}
    page = client.get("/organiser/events/new?lang=en").get_data(as_text=True)
    for lang in TEXT_LANGUAGES:  # a field per language of the site, the others folded away
        assert f'name="description_{lang}"' in page and f'name="directions_{lang}"' in page
    assert re.search(r'<textarea[^>]*dir="rtl"[^>]*lang="ar"|<textarea[^>]*lang="ar"[^>]*dir="rtl"', page)
    assert "<summary>Add a translation</summary>" in page
    assert client.post("/organiser/events/new", data=form).status_code == 302
    event = db.session.scalar(select(Event))
    assert event.description == {"sv": SWEDISH, "en": ENGLISH, "ar": ARABIC}
    assert event.directions == {"sv": FORM["directions_sv"], "fa": "از ایستگاه مرکزی پیاده بیایید."}
    event.status = "published"
    db.session.commit()

    visitor = client.application.test_client()
    arabic = visitor.get(f"/events/{event.slug}?lang=ar").get_data(as_text=True)
    assert f'<p class="lead">{ARABIC}</p>' in arabic  # the page's own language: nothing to mark
    somali = visitor.get(f"/events/{event.slug}?lang=so").get_data(as_text=True)
    assert f'<p class="lead" lang="en" dir="ltr">{ENGLISH}</p>' in somali and ARABIC not in somali
    assert f'<dd lang="sv" dir="ltr">{FORM["directions_sv"]}</dd>' in somali  # no English: Swedish

    edit = client.get(f"/organiser/events/{event.id}/edit?lang=en").get_data(as_text=True)
    assert ARABIC in edit and re.search(r"<details[^>]*\bopen\b", edit)  # a written translation shows


def test_the_length_limit_holds_in_every_language(ctx, client):
    login(client, f.organiser())
    response = client.post("/organiser/events/new?lang=en", data={**FORM, "description_ti": "ሀ" * 5001})
    assert response.status_code == 200 and db.session.scalar(select(Event)) is None
    page = response.get_data(as_text=True)
    assert 'id="description_ti-error"' in page and re.search(r"<details[^>]*\bopen\b", page)


def test_exhibitor_writes_booth_and_opening_texts_in_any_language_and_visitors_read_them(ctx, client):
    event = f.event()
    exhibitor = f.exhibitor(event, name="Hamnbolaget")
    login(client, f.exhibitor_staff(exhibitor))
    profile = {"description_sv": "Vi bygger hamnar.", "description_so": "Waxaan dhisnaa dekedo.", "sector": "Bygg"}
    assert client.post(f"/exhibitor/{exhibitor.id}/profile", data=profile).status_code == 302
    opening = {
        "title_sv": "Svetsare",
        "title_ar": "لحّام",
        "description_en": "Welding on the quay.",
        "occupation": next(iter(OCCUPATIONS)),
        "positions": "2",
        "country": "SE",
        "employment_type": "permanent",
        "level_1": "basic",
        "level_2": "basic",
    }
    assert client.post(f"/exhibitor/{exhibitor.id}/openings/new", data=opening).status_code == 302
    db.session.expire_all()
    assert exhibitor.description == {"sv": "Vi bygger hamnar.", "so": "Waxaan dhisnaa dekedo."}
    saved = db.session.scalar(select(Opening))
    assert saved.title == {"sv": "Svetsare", "ar": "لحّام"} and saved.description == {"en": "Welding on the quay."}

    visitor = client.application.test_client()
    page = visitor.get(f"/events/{event.slug}/exhibitors/{exhibitor.id}?lang=ar").get_data(as_text=True)
    assert "<h3>لحّام</h3>" in page
    assert '<p class="lead" lang="sv" dir="ltr">Vi bygger hamnar.</p>' in page
    assert '<p lang="en" dir="ltr">Welding on the quay.</p>' in page
    page = visitor.get(f"/events/{event.slug}/exhibitors/{exhibitor.id}?lang=so").get_data(as_text=True)
    assert '<p class="lead">Waxaan dhisnaa dekedo.</p>' in page and '<h3 lang="sv" dir="ltr">Svetsare</h3>' in page


@pytest.mark.browser
def test_organiser_adds_an_arabic_translation_on_a_phone(ctx, live_server, page):
    organiser = f.organiser(preferred_language="en")
    browser_login(page, live_server, organiser)
    page.goto(f"{live_server}/organiser/events/new?lang=en")
    page.wait_for_selector("#description_sv")
    arabic = page.locator("#description_ar")
    assert not arabic.is_visible()  # folded away until asked for
    assert_fits(page)
    page.locator("details.translations summary").first.click()
    page.wait_for_function("() => document.querySelector('#description_ar').offsetParent !== null")
    assert arabic.get_attribute("dir") == "rtl" and arabic.get_attribute("lang") == "ar"
    assert_fits(page)
    assert_accessible(page, "event-form-translations")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "event-form-translations.png"), full_page=True)
    for name, value in FORM.items():
        selector = f"#{name}"
        if page.locator(selector).evaluate("el => el.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    arabic.fill(ARABIC)
    page.locator("main form button.primary[type=submit]").click()
    page.wait_for_url(re.compile(r"/organiser/events/\d+$"))
    db.session.expire_all()
    event = db.session.scalar(select(Event))
    assert event.description["ar"] == ARABIC and set(event.description) <= set(LANGUAGES)
