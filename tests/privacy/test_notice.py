"""The privacy notice (the site's and each fair's) and the accessibility statement: in every
language, linked from every page's footer and from the registration form, naming the fair's
organisers, contact and the date its data goes."""

import re
from datetime import timedelta

import pytest

from bazaar.extensions import db
from bazaar.privacy import retention
from config import LANGUAGES
from tests import factories as f
from tests.events.test_events import FORM
from tests.support import login


@pytest.fixture
def fair(ctx):
    org = f.organisation(name="Länsstyrelsen Skåne")
    event = f.event(org=org, name="Jobbdating Helsingborg", starts_in=timedelta(days=5))
    event.retention_months = 18
    event.privacy_contact = "dataskydd@lansstyrelsen.se"
    db.session.commit()
    return event


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_the_statements_come_in_every_language(fair, client, lang):
    for path in ("/privacy", f"/events/{fair.slug}/privacy", "/accessibility"):
        page = client.get(f"{path}?lang={lang}")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert f'<html lang="{lang}"' in text
        headings = re.findall(r"<h2>([^<]+)</h2>", text)
        assert len(headings) >= 4
        if lang != "en":  # translated, not the English source
            assert "What we keep" not in text and "How we check it" not in text


def test_the_fairs_notice_names_its_organisers_contact_and_purge_date(fair, client):
    text = client.get(f"/events/{fair.slug}/privacy?lang=en").get_data(as_text=True)
    assert "The organisers of Jobbdating Helsingborg are responsible for your data: Länsstyrelsen Skåne." in text
    assert 'href="mailto:dataskydd@lansstyrelsen.se"' in text
    purge = retention.purge_date(fair)
    assert "erased 18 months after its follow-up survey closes" in text
    assert f"{purge.year}" in text
    fair.retention_months = None
    db.session.commit()
    site = client.get("/privacy?lang=en").get_data(as_text=True)
    assert "(24 months unless its organisers chose otherwise)" in site
    assert "dataskydd@lansstyrelsen.se" not in site


def test_a_draft_fairs_notice_is_as_hidden_as_the_fair(ctx, client):
    draft = f.event(status="draft")
    assert client.get(f"/events/{draft.slug}").status_code == 404
    assert client.get(f"/events/{draft.slug}/privacy").status_code == 404
    assert client.get("/events/no-such-fair/privacy").status_code == 404


def test_every_footer_links_both_statements_and_a_fairs_pages_link_its_own_notice(fair, client):
    for path in ("/", "/login", "/no-such-page"):
        text = client.get(path).get_data(as_text=True)
        assert 'href="/privacy"' in text and 'href="/accessibility"' in text
    event_page = client.get(f"/events/{fair.slug}").get_data(as_text=True)
    assert f'href="/events/{fair.slug}/privacy"' in event_page.split("<footer", 1)[1]
    form = client.get(f"/events/{fair.slug}/register?lang=en").get_data(as_text=True)
    main = form.split("<main", 1)[1].split("</main>", 1)[0]
    assert f'href="/events/{fair.slug}/privacy"' in main


def test_a_signed_in_visitor_is_pointed_to_my_page_for_their_rights(fair, client):
    login(client, f.visitor(), language="en")
    text = client.get(f"/events/{fair.slug}/privacy").get_data(as_text=True)
    assert 'href="/my"' in text.split("Your rights", 1)[1]


def test_the_organiser_names_the_privacy_contact_on_the_event_form(fair, client):

    organiser = f.organiser(fair.organisers[0].organisation)
    login(client, organiser, language="en")
    edit = f"/organiser/events/{fair.id}/edit"
    bad = client.post(edit, data={**FORM, "privacy_contact": "not an address"})
    assert bad.status_code == 200 and "Invalid email address" in bad.get_data(as_text=True)
    assert client.post(edit, data={**FORM, "privacy_contact": " dpo@helsingborg.se "}).status_code == 302
    db.session.expire_all()
    assert fair.privacy_contact == "dpo@helsingborg.se"
    assert 'href="mailto:dpo@helsingborg.se"' in client.get(f"/events/{fair.slug}/privacy").get_data(as_text=True)
    assert client.post(edit, data={**FORM, "privacy_contact": ""}).status_code == 302
    db.session.expire_all()
    assert fair.privacy_contact is None
