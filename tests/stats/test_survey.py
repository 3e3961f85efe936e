"""The follow-up survey a visitor opens from a signed link in an email."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bazaar.extensions import db
from bazaar.stats.models import SurveyResponse
from bazaar.tokens import make_token
from tests import factories


@pytest.fixture
def visit(ctx):
    ev = factories.event(starts_in=timedelta(days=-31))
    booth = factories.exhibitor(ev, name="Byggkompaniet AB")
    other_fair_booth = factories.exhibitor(factories.event(), name="Elsewhere AB")
    reg = factories.registration(ev, checked_in_at=ev.starts_at)
    return {
        "event": ev,
        "booth": booth,
        "other": other_fair_booth,
        "reg": reg,
        "url": "/survey/" + make_token("survey", {"r": reg.id}),
    }


@pytest.fixture(autouse=True)
def _english(client):
    client.set_cookie("bazaar_lang", "en")


def _answers():
    return db.session.scalars(select(SurveyResponse)).all()


def test_answer_then_update_in_a_later_wave(client, visit, clock):
    page = client.get(visit["url"]).get_data(as_text=True)
    assert "Byggkompaniet AB" in page and "Elsewhere AB" not in page
    assert 'type="month"' in page
    response = client.post(
        visit["url"],
        data={
            "result": "job",
            "exhibitor_id": str(visit["booth"].id),
            "employment_type": "permanent",
            "fair_contributed": "yes",
            "started_on": "2026-10",
            "missing": "More employers in healthcare.",
        },
    )
    assert response.status_code == 200 and b"Thank you" in response.data
    [answer] = _answers()
    assert (answer.result, answer.exhibitor_id, answer.employment_type, answer.fair_contributed, answer.wave) == (
        "job",
        visit["booth"].id,
        "permanent",
        True,
        1,
    )
    assert (answer.started_on.year, answer.started_on.month, answer.started_on.day) == (2026, 10, 1)

    clock.advance(days=60)  # past the 90-day invitation
    page = client.get(visit["url"]).get_data(as_text=True)
    assert "You answered before" in page and "More employers in healthcare." in page
    client.post(visit["url"], data={"result": "internship", "exhibitor_id": "0", "fair_contributed": "dont_know"})
    db.session.expire_all()
    first, answer = sorted(_answers(), key=lambda a: a.wave)
    assert (first.result, first.wave) == ("job", 1)  # the 30-day answer is kept
    assert (answer.result, answer.exhibitor_id, answer.fair_contributed, answer.wave, answer.started_on) == (
        "internship",
        None,
        None,
        2,
        None,
    )


def test_the_survey_opens_in_the_visitors_language(app, visit):
    visit["reg"].user.preferred_language = "ar"
    db.session.commit()
    fresh = app.test_client()  # no language chosen yet, as when the email link is opened
    response = fresh.get(visit["url"])
    assert response.status_code == 302 and response.location.endswith("?lang=ar")
    page = fresh.get(response.location)
    assert page.status_code == 200 and 'dir="rtl"' in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"result": "job"},
        {"result": "millionaire", "fair_contributed": "yes"},
        {"result": "job", "fair_contributed": "yes", "exhibitor_id": "abc"},
        {"result": "job", "fair_contributed": "maybe"},
        {"result": "job", "fair_contributed": "yes", "employment_type": "slavery"},
        {"result": "job", "fair_contributed": "yes", "started_on": "2026-13"},
        {"result": "job", "fair_contributed": "yes", "started_on": "1850-01"},
        {"result": "job", "fair_contributed": "yes", "missing": "x" * 2001},
    ],
)
def test_bad_answers_get_a_form_error_and_nothing_is_saved(client, visit, data):
    response = client.post(visit["url"], data=data)
    assert response.status_code == 200
    assert b"Please correct the fields marked below" in response.data
    assert _answers() == []


def test_an_exhibitor_of_another_fair_is_refused(client, visit):
    response = client.post(
        visit["url"], data={"result": "job", "fair_contributed": "yes", "exhibitor_id": str(visit["other"].id)}
    )
    assert b"Please correct the fields marked below" in response.data and _answers() == []


@pytest.mark.parametrize(
    "token",
    [
        "junk",
        "x" * 3000,
        "eyJyIjoxfQ.forged.signature",
    ],
)
def test_forged_links_get_a_friendly_page(client, visit, token):
    for method in (client.get, client.post):
        response = method(f"/survey/{token}")
        assert response.status_code == 404 and b"This link does not work" in response.data


def test_links_for_another_purpose_or_a_missing_or_deleted_registration_do_not_work(client, visit, app):
    from bazaar.privacy.services import delete_account

    wrong = [
        make_token("ticket", {"r": visit["reg"].id}),
        make_token("survey", {"r": 999999}),
        make_token("survey", {"r": "1"}),
        make_token("survey", [1, 2]),
        make_token("survey", {"r": True}),
    ]
    for token in wrong:
        assert client.get(f"/survey/{token}").status_code == 404
    delete_account(visit["reg"].user)
    db.session.commit()
    assert client.get(visit["url"]).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 0


def test_a_survey_link_expires_by_the_application_clock(client, visit, clock):
    from bazaar.reminders.services import SURVEY_LINK

    clock.advance(seconds=SURVEY_LINK.max_age_seconds() - 3600)
    assert client.get(visit["url"]).status_code == 200
    clock.advance(hours=2)
    response = client.get(visit["url"])
    assert response.status_code == 404 and b"This link does not work" in response.data
