"""Issue 15 on a phone: an organiser asks a choice question in Swedish and Arabic, a visitor answers
it in Arabic, and the organiser reads the answer in the list and the breakdown in the statistics."""

import pytest
from sqlalchemy import select

from bazaar.events.models import Event
from bazaar.extensions import db
from bazaar.registrations.models import RegistrationAnswer, RegistrationQuestion
from bazaar.stats import services as stats
from bazaar.stats.compile import NOT_STATED, suppress
from tests import factories as f
from tests.support import assert_accessible, assert_fits, browser_login, release_database

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.mark.browser
def test_a_question_asked_in_arabic_is_answered_listed_and_broken_down(ctx, live_server, page, chromium):
    org = f.organisation()
    organiser = f.organiser(org, preferred_language="sv")
    event = f.event(org=org, name="Rekryteringsbazaren", capacity=200)
    event_id, slug = event.id, event.slug
    browser_login(page, live_server, organiser)

    page.goto(f"{live_server}/organiser/events/{event_id}/questions")
    page.select_option("#kind", "choice")
    page.fill("#text_sv", "Vilken tid passar dig?")
    page.locator("details.translations > summary").nth(0).click()
    page.fill("#text_ar", "ما الوقت المناسب لك؟")
    page.fill("#choices_sv", "Förmiddag\nEftermiddag")
    page.locator("details.translations > summary").nth(1).click()
    page.fill("#choices_ar", "الصباح\nبعد الظهر")
    page.check("#required")
    page.locator("main form button.primary").click()
    page.wait_for_load_state()
    assert "Vilken tid passar dig?" in page.locator("[data-questions]").inner_text()
    assert_fits(page)
    db.session.expire_all()
    question = db.session.scalar(select(RegistrationQuestion).where(RegistrationQuestion.event_id == event_id))
    assert question.choices == [{"sv": "Förmiddag", "ar": "الصباح"}, {"sv": "Eftermiddag", "ar": "بعد الظهر"}]
    question_id = question.id
    # others registered before: some answered "in the morning", some before the question was asked
    event = db.session.get(Event, event_id)
    mornings = [f.registration(event, f.visitor()) for _ in range(7)]
    unanswered = [f.registration(event, f.visitor()) for _ in range(5)]
    db.session.add_all(RegistrationAnswer(registration_id=r.id, question_id=question_id, value="1") for r in mornings)
    db.session.commit()
    counts = {"1": len(mornings), "2": 1, NOT_STATED: len(unanswered)}  # with the visitor below
    release_database()

    visitor_context = chromium.new_context(**PHONE, locale="ar")
    visitor = visitor_context.new_page()
    try:
        visitor.goto(f"{live_server}/events/{slug}/register?lang=ar")
        assert visitor.locator("html").get_attribute("dir") == "rtl"
        legend = visitor.locator(f"fieldset[data-question='{question_id}'] legend")
        assert "ما الوقت المناسب لك؟" in legend.inner_text()
        visitor.fill("#name", "ليلى حسن")
        visitor.fill("#email", "layla@example.org")
        visitor.fill("#password", "a long password 1")
        visitor.locator("form.registration-form button[type=submit]").click()
        visitor.wait_for_load_state()
        assert visitor.locator(f"#question_{question_id}-error").is_visible()  # required: asked again
        assert visitor.input_value("#name") == "ليلى حسن"  # nothing typed is lost
        assert_fits(visitor)
        assert_accessible(visitor, "registration form with the event's questions, in Arabic")
        visitor.fill("#password", "a long password 1")
        visitor.get_by_label("بعد الظهر").check()
        visitor.locator("form.registration-form button[type=submit]").click()
        visitor.wait_for_url(f"{live_server}/my")
    finally:
        visitor_context.close()

    page.goto(f"{live_server}/organiser/events/{event_id}/registrations")
    row = page.locator("tr", has_text="ليلى حسن")
    assert row.locator(f"[data-answer='{question_id}']").inner_text() == "Eftermiddag"

    stats.compile_snapshot(event_id, "on_demand")
    release_database()
    shown = suppress(counts)
    assert shown["2"] is None  # one person: hidden
    page.goto(f"{live_server}/organiser/events/{event_id}/stats")
    table = page.locator(f"#breakdown-question_{question_id}")
    assert "Vilken tid passar dig?" in table.locator("h3").inner_text()
    for value, label in (("1", "Förmiddag"), ("2", "Eftermiddag")):
        cell = table.locator("tbody tr", has_text=label).locator("td").first.inner_text()
        assert cell == ("–" if shown[value] is None else str(shown[value]))
    assert_fits(page)
