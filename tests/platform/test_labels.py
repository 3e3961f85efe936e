"""Stored codes shown as words: every status and kind staff read, in Swedish; the employment type
and the country of a job in every visitor language. One label table per vocabulary."""

import pytest
from babel import Locale
from flask_babel import force_locale

from bazaar.activitylog.models import Action, Export
from bazaar.announcements.models import Audience
from bazaar.booking.models import Outcome
from bazaar.events.models import EventStatus
from bazaar.exhibitors.models import EMPLOYMENT_TYPES, ORG_TYPES, ApplicationStatus, Opening
from bazaar.extensions import db
from bazaar.notifications.models import Channel, MessageStatus
from bazaar.notifications.services import queue
from bazaar.registrations.models import RegistrationStatus
from bazaar.vocabularies import VOCABULARIES, label
from config import LANGUAGES
from tests import factories as f
from tests.support import ROOT, login

EMAILS = ROOT / "templates" / "emails"
MESSAGE_KINDS = (
    {p.name.split(".")[0] for p in EMAILS.glob("*.subject.txt")}
    | {p.name.split(".")[0] for p in EMAILS.glob("*.sms.txt")}
    | {"webhook"}
)  # a webhook delivery has no template: its body is JSON


@pytest.mark.parametrize(
    "vocabulary, codes",
    [
        ("event_status", EventStatus),
        ("event_staff_role", ("checkin", "coorganiser", "coach")),
        ("registration_status", RegistrationStatus),
        ("application_status", ApplicationStatus),
        ("org_type", ORG_TYPES),
        ("employment_type", EMPLOYMENT_TYPES),
        ("outcome", Outcome),
        ("message_status", MessageStatus),
        ("message_kind", MESSAGE_KINDS),
        ("message_channel", Channel),
        ("activity_action", Action),
        ("activity_export", Export),
        ("announcement_audience", Audience),
    ],
)
def test_every_code_has_exactly_its_label_in_swedish(app, vocabulary, codes):
    assert set(VOCABULARIES[vocabulary]) == set(codes)
    with app.test_request_context(), force_locale("sv"):
        swedish = {code: label(code, vocabulary) for code in codes}
    with app.test_request_context(), force_locale("en"):
        english = {code: label(code, vocabulary) for code in codes}
    assert all(text and text != code for code, text in english.items())
    untranslated = [code for code in codes if swedish[code] == english[code] and code not in ("sms",)]
    assert not untranslated, f"no Swedish for {untranslated}"
    assert label("no_such_code", vocabulary) == "no_such_code"  # old data shows, never fails


def test_staff_pages_show_statuses_and_kinds_in_words(ctx, client):
    org = f.organisation()
    ev = f.event(org=org)
    person = f.user(email="amal@example.org")
    sent = queue("booking_changed", user=person, event=ev, payload={})
    queue("interview_reminder", user=person, event=ev, payload={}, channel="sms")
    db.session.flush()
    sent.status = "sent"
    f.registration(ev, f.visitor(), status="waitlisted")
    f.exhibitor(ev, name="Helsingborgs stad", status="applied", org_type="public_employer")
    db.session.commit()
    login(client, f.organiser(org, preferred_language="sv"))
    outbox = client.get(f"/organiser/events/{ev.id}/outbox").get_data(as_text=True)
    assert "Skickat" in outbox and "Intervjun är flyttad" in outbox and "Påminnelse om intervju (SMS)" in outbox
    assert "Väntar på att skickas" in outbox
    for code in ("booking_changed", "interview_reminder"):
        assert f">{code}<" not in outbox and f"{code} (" not in outbox  # neither in the table nor the filter
    assert ">sent<" not in outbox and ">pending<" not in outbox
    events = client.get("/organiser/events").get_data(as_text=True)
    assert "Publicerat" in events and ">published<" not in events
    manage = client.get(f"/organiser/events/{ev.id}").get_data(as_text=True)
    assert "<strong>Publicerat</strong>" in manage
    registrations = client.get(f"/organiser/events/{ev.id}/registrations").get_data(as_text=True)
    assert '<td data-label="Status">Kö</td>' in registrations and ">waitlisted<" not in registrations
    applications = client.get(f"/organiser/events/{ev.id}/applications").get_data(as_text=True)
    assert ">public_employer<" not in applications and ">applied<" not in applications


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_job_cards_show_the_employment_type_and_the_countrys_name(ctx, client, app, lang):
    ev = f.event()
    ex = f.exhibitor(ev, name="Fjordbygg AS", country="NO")
    db.session.add(
        Opening(
            exhibitor_id=ex.id, title={"en": "Carpenter"}, location="Bergen", country="NO", employment_type="subsidised"
        )
    )
    db.session.commit()
    page = client.get(f"/events/{ev.slug}/exhibitors/{ex.id}?lang={lang}").get_data(as_text=True)
    norway = Locale.parse(lang).territories["NO"]
    with app.test_request_context(), force_locale(lang):
        subsidised = label("subsidised", "employment_type")
    assert f"({norway})" in page and "(NO)" not in page
    assert subsidised in page
    assert lang in ("en",) or subsidised != "Subsidised entry job"  # translated in every visitor language
    event_page = client.get(f"/events/{ev.slug}?lang={lang}").get_data(as_text=True)
    assert f'<span class="badge">{norway}</span>' in event_page
