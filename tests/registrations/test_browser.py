"""The registration form in real Chromium on a phone-sized screen, against gunicorn."""

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from bazaar.accounts.services import find_user_by_email
from bazaar.extensions import db
from bazaar.registrations.models import Registration
from tests import factories as f


@pytest.mark.browser
def test_visitor_registers_on_a_phone(ctx, live_server, page):
    event = f.event(name="Jobbdating Helsingborg", capacity=500)
    url = f"{live_server}/events/{event.slug}/register?lang=en"
    db.session.commit()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))  # script errors, CSP refusals included
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)
    page.goto(url)

    # nothing is wider than the phone
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # short on a phone: the optional parts are folded away, the required fields and consents show
    assert page.locator("#name").is_visible() and page.locator("#consent_followup").is_visible()
    assert not page.locator("#phone").is_visible() and not page.locator("#consent_sensitive").is_visible()
    page.locator("details.optional > summary").nth(0).click()
    page.locator("details.optional > summary").nth(1).click()
    assert page.locator("#phone").is_visible()

    # the sensitive question stays hidden until its own consent box is ticked
    question = page.locator("#foreign_background")
    assert not question.is_visible()
    page.check("#consent_sensitive")
    assert question.is_visible()
    page.uncheck("#consent_sensitive")
    assert not question.is_visible()

    # the occupation list has a search box that narrows it
    search = page.locator("#occupations-filter")
    assert search.is_visible()
    search.fill("nurs")
    visible = page.locator("#occupations li:visible").all_inner_texts()
    assert visible and all("nurse" in text.lower() for text in visible)
    page.check("#occupations li:visible input >> nth=0")
    search.fill("")

    page.fill("#name", "ሰላም ተስፋይ")
    page.fill("#email", "selam@example.org")
    page.fill("#password", "a long password 1")
    page.select_option("#preferred_language", "ti")
    page.fill("#phone", "070 123 45 67")
    page.check("#consent_followup")
    page.check("#consent_sensitive")
    page.select_option("#foreign_background", "born_abroad")
    buttons = page.locator("button[type=submit]:visible").all()
    assert all(b.bounding_box()["height"] >= 44 for b in buttons)
    page.locator("form.registration-form button[type=submit]").click()
    page.wait_for_url(f"{live_server}/my")
    assert "Jobbdating Helsingborg" in page.locator("main").inner_text()
    with force_locale("ti"):  # from the moment the account exists, it speaks the chosen language
        assert gettext("You are registered! We have emailed you a confirmation and your ticket.") in page.content()
    assert errors == []

    db.session.expire_all()
    user = find_user_by_email("selam@example.org")
    assert user.name == "ሰላም ተስፋይ" and user.preferred_language == "ti"
    assert user.profile.phone == "+46701234567" and user.profile.occupations
    assert user.profile.foreign_background == "born_abroad" and user.profile.consent_followup_at is not None
    assert db.session.scalar(select(Registration.status).where(Registration.user_id == user.id)) == "registered"
    db.session.commit()
