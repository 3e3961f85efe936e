"""Employers find the application form: the public event page links it, in every visitor language,
while applications are open, and not once they have closed."""

from html import escape

import pytest
from flask_babel import force_locale, gettext

from config import LANGUAGES
from tests import factories as f

TEXTS = ("For employers", "Do you want to meet job seekers here? Apply for a booth at the fair.", "Apply to exhibit")


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_the_public_event_page_links_the_application_form_in_every_language(ctx, client, lang):
    event = f.event(status="published")
    page = client.get(f"/events/{event.slug}?lang={lang}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'href="/events/{event.slug}/exhibit"' in html
    with force_locale(lang):
        shown = [gettext(text) for text in TEXTS]
    assert all(escape(text, quote=False) in html for text in shown), lang
    if lang != "en":
        assert not set(shown) & set(TEXTS), f"{lang} shows English"
    assert client.get(f"/events/{event.slug}/exhibit?lang={lang}").status_code == 200  # and the link works


@pytest.mark.parametrize("status", ["closed", "finished"])
def test_no_link_once_applications_have_closed(ctx, client, status):
    event = f.event(status=status)
    html = client.get(f"/events/{event.slug}?lang=en").get_data(as_text=True)
    assert f"/events/{event.slug}/exhibit" not in html and "Apply to exhibit" not in html
    assert client.get(f"/events/{event.slug}/exhibit").status_code == 403
