"""Applying to exhibit, organisers' decisions and booth assignment."""

import pytest
from sqlalchemy import func, select

from bazaar.accounts.models import User
from bazaar.exhibitors.models import Exhibitor, ExhibitorStaff
from bazaar.exhibitors.validation import luhn_valid, normalise_org_number
from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from tests import factories as f
from tests.support import login

FORM = {
    "name": "Vårdbolaget Äldreomsorg AB",
    "org_number": "5560360793",
    "org_type": "employer",
    "sector": "Health care",
    "job_countries": ["SE", "NO"],
    "contact_name": "Amira Haddad",
    "contact_email": "Amira@Vardbolaget.example",
    "contact_phone": "070-123 45 67",
}
NEW_ACCOUNT = {
    "account_name": "Amira Haddad",
    "account_email": "amira@vardbolaget.example",
    "password": "long enough secret",
}


def messages(kind):
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


def test_org_number_check_digit_and_normalisation():
    assert normalise_org_number("5560360793") == "556036-0793"
    assert normalise_org_number(" 556036-0793 ") == "556036-0793"
    assert normalise_org_number("556036-0794") is None  # wrong check digit
    assert normalise_org_number("55603607") is None
    assert normalise_org_number("55603607931") is None
    assert normalise_org_number("abcdef-ghij") is None
    assert luhn_valid("2120000142")  # a public authority's number


def test_anonymous_employer_applies_creates_account_and_becomes_admin(ctx, client):
    event = f.event()
    response = client.post(f"/events/{event.slug}/exhibit", data={**FORM, **NEW_ACCOUNT})
    assert response.status_code == 302, response.get_data(as_text=True)
    exhibitor = db.session.scalar(select(Exhibitor))
    assert exhibitor.status == "applied"
    assert exhibitor.org_number == "556036-0793" and exhibitor.country == "SE"
    assert exhibitor.contact_phone == "+46701234567"
    assert exhibitor.contact_email == "amira@vardbolaget.example"
    assert exhibitor.job_countries == ["SE", "NO"]
    applicant = db.session.scalar(select(User).where(User.email == "amira@vardbolaget.example"))
    assert [(s.user_id, s.role) for s in exhibitor.staff] == [(applicant.id, "admin")]
    [received] = messages("application_received")
    assert received.user_id == applicant.id and received.subject_id == exhibitor.id
    # logged in as the applicant, who now sees their exhibitor page
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "Vårdbolaget Äldreomsorg AB" in page.get_data(as_text=True)


def test_logged_in_user_applies_with_foreign_organisation(ctx, client):
    event = f.event()
    person = f.user(name="Ole Nordmann")
    login(client, person, language="en")
    form = {
        **FORM,
        "name": "Norsk Helse AS",
        "org_number": "",
        "is_foreign": "y",
        "country": "NO",
        "contact_phone": "+47 412 34 567",
    }
    assert client.post(f"/events/{event.slug}/exhibit", data=form).status_code == 302
    exhibitor = db.session.scalar(select(Exhibitor))
    assert exhibitor.org_number is None and exhibitor.country == "NO" and exhibitor.is_foreign
    assert exhibitor.contact_phone == "+4741234567"
    assert exhibitor.staff[0].user_id == person.id and exhibitor.staff[0].role == "admin"


def test_bad_input_gets_form_errors_and_keeps_what_was_typed(ctx, client, english):
    event = f.event()
    bad = {
        **FORM,
        **NEW_ACCOUNT,
        "org_number": "556036-0794",
        "contact_phone": "12",
        "org_type": "pirate",
        "name": "x" * 500,
        "job_countries": ["SE", "QQ"],
    }
    response = client.post(f"/events/{event.slug}/exhibit", data=bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "not a valid Swedish organisation number" in page
    assert "valid phone number" in page
    assert "Amira Haddad" in page  # kept
    assert db.session.scalar(select(func.count(Exhibitor.id))) == 0
    assert db.session.scalar(select(func.count(User.id))) == 0

    foreign_without_country = {**FORM, **NEW_ACCOUNT, "org_number": "", "is_foreign": "y", "country": "SE"}
    page = client.post(f"/events/{event.slug}/exhibit", data=foreign_without_country).get_data(as_text=True)
    assert "Choose the country" in page
    assert db.session.scalar(select(func.count(Exhibitor.id))) == 0


def test_existing_account_must_log_in_first(ctx, client, english):
    event = f.event()
    f.user(email="amira@vardbolaget.example")
    page = client.post(f"/events/{event.slug}/exhibit", data={**FORM, **NEW_ACCOUNT}).get_data(as_text=True)
    assert "already exists" in page
    assert db.session.scalar(select(func.count(Exhibitor.id))) == 0


def test_duplicate_application_gets_a_clear_message(ctx, client):
    event = f.event()
    login(client, f.user(), language="en")
    assert client.post(f"/events/{event.slug}/exhibit", data=FORM).status_code == 302
    other = client.application.test_client()
    login(other, f.user(), language="en")
    page = other.post(f"/events/{event.slug}/exhibit", data={**FORM, "org_number": "556036-0793"})
    assert page.status_code == 200
    assert "already applied to this fair" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Exhibitor.id))) == 1
    # the same organisation may apply to another fair
    assert other.post(f"/events/{f.event().slug}/exhibit", data=FORM).status_code == 302
    assert db.session.scalar(select(func.count(Exhibitor.id))) == 2


def test_applications_only_to_published_events(ctx, client):
    login(client, f.user(), language="en")
    draft, closed = f.event(status="draft"), f.event(status="closed")
    assert client.get(f"/events/{draft.slug}/exhibit").status_code == 404
    assert client.post(f"/events/{closed.slug}/exhibit", data=FORM).status_code == 403
    assert client.get("/events/no-such-fair/exhibit").status_code == 404
    assert db.session.scalar(select(func.count(Exhibitor.id))) == 0


def test_organisers_filter_decide_and_assign_booth(ctx, client):
    org = f.organisation()
    event = f.event(org=org)
    a = f.exhibitor(event, name="Alfa Bygg", status="applied", org_type="employer", sector="Construction")
    b = f.exhibitor(event, name="Beta Bemanning", status="applied", org_type="staffing_agency")
    admin_a = f.exhibitor_staff(a, role="admin")
    interviewer_a = f.exhibitor_staff(a, role="interviewer")
    f.exhibitor(f.event(), name="Elsewhere AB", status="applied")
    organiser = f.organiser(org)
    login(client, organiser, language="en")

    page = client.get(f"/organiser/events/{event.id}/applications").get_data(as_text=True)
    assert "Alfa Bygg" in page and "Beta Bemanning" in page and "Elsewhere AB" not in page
    page = client.get(f"/organiser/events/{event.id}/applications?org_type=staffing_agency").get_data(as_text=True)
    assert "Beta Bemanning" in page and "Alfa Bygg" not in page
    page = client.get(f"/organiser/events/{event.id}/applications?q=bygg").get_data(as_text=True)
    assert "Alfa Bygg" in page and "Beta Bemanning" not in page
    assert client.get(f"/organiser/events/{event.id}/applications?status=bogus").status_code == 200

    response = client.post(
        f"/organiser/applications/{a.id}",
        data={"decision-decision": "approved", "decision-message": "Välkommen! Monter i entréhallen."},
    )
    assert response.status_code == 302
    db.session.refresh(a)
    assert a.status == "approved" and a.decided_by_id == organiser.id and a.decided_at is not None
    [approved] = messages("application_approved")
    assert approved.user_id == admin_a.id and approved.payload["message"] == "Välkommen! Monter i entréhallen."
    assert interviewer_a.id not in {m.user_id for m in messages("application_approved")}

    client.post(f"/organiser/applications/{b.id}", data={"decision-decision": "waitlisted"})
    client.post(f"/organiser/applications/{b.id}", data={"decision-decision": "rejected"})
    db.session.refresh(b)
    assert b.status == "rejected"
    assert len(messages("application_waitlisted")) == 0  # b has no staff user to tell
    page = client.get(f"/organiser/events/{event.id}/applications?status=approved").get_data(as_text=True)
    assert "Alfa Bygg" in page and "Beta Bemanning" not in page

    # the same decision twice is refused with a message, and nothing is sent again
    page = client.post(f"/organiser/applications/{a.id}", data={"decision-decision": "approved"})
    assert "already has this status" in page.get_data(as_text=True)
    assert len(messages("application_approved")) == 1
    assert client.post(f"/organiser/applications/{a.id}", data={"decision-decision": "maybe"}).status_code == 200

    assert (
        client.post(
            f"/organiser/applications/{a.id}", data={"booth-booth_number": "B12", "booth-booth_location": "Hall 2"}
        ).status_code
        == 302
    )
    db.session.refresh(a)
    assert (a.booth_number, a.booth_location) == ("B12", "Hall 2")
    page = client.post(f"/organiser/applications/{a.id}", data={"booth-booth_number": "x" * 40})
    assert page.status_code == 200
    db.session.refresh(a)
    assert a.booth_number == "B12"


def test_each_decision_tells_the_applicant(ctx, client):
    org = f.organisation()
    event = f.event(org=org)
    login(client, f.organiser(org), language="en")
    for decision in ("waitlisted", "rejected", "approved"):
        ex = f.exhibitor(event, status="applied")
        admin = f.exhibitor_staff(ex)
        client.post(f"/organiser/applications/{ex.id}", data={"decision-decision": decision})
        [msg] = messages(f"application_{decision}")
        assert msg.user_id == admin.id and msg.subject_id == ex.id


def test_application_emails_render(ctx, app):
    from bazaar.notifications.render import render

    ex = f.exhibitor(f.event(name="Jobbmässan"), name="Alfa Bygg", status="applied")
    person = f.exhibitor_staff(ex)
    from bazaar.exhibitors import services
    from bazaar.notifications.services import queue

    queue(
        "application_received",
        user=person,
        event=ex.event,
        subject=ex,
        payload={"exhibitor_name": ex.name, "event_name": ex.event.name},
    )
    db.session.commit()
    with app.test_request_context():
        services.decide_application(ex, "approved", f.organiser(), "Välkommen")
    for kind in ("application_received", "application_approved"):
        [msg] = messages(kind)
        with app.test_request_context():
            rendered = render(msg)
        assert "Alfa Bygg" in rendered.subject + rendered.text
        assert f"/exhibitor/{ex.id}" in rendered.text and rendered.html
    assert "Välkommen" in render(messages("application_approved")[0]).text


@pytest.mark.postgresql_only
def test_concurrent_duplicate_applications_make_one_exhibitor(app):
    """Twenty applications with one organisation number at once: the unique constraint lets
    exactly one in; the others get the duplicate message, none a 500."""
    from concurrent.futures import ThreadPoolExecutor

    with app.app_context():
        event = f.event()
        applicants = [f.user() for _ in range(20)]
        slug, ids = event.slug, [a.get_id() for a in applicants]

    def apply(user_id):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user_id
        return client.post(f"/events/{slug}/exhibit", data=FORM).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(apply, ids))
    assert sorted(codes) == [200] * 19 + [302]
    with app.app_context():
        assert db.session.scalar(select(func.count(Exhibitor.id))) == 1
        assert db.session.scalar(select(func.count(ExhibitorStaff.id))) == 1


def test_applications_export_to_csv_with_filters_and_no_formulas(ctx, client):
    import csv
    import io

    org = f.organisation()
    event = f.event(org=org)
    f.exhibitor(event, name='=HYPERLINK("http://evil.example")', status="applied", org_number="556036-0793")
    f.exhibitor(
        event, name="Gamma Städ", status="approved", org_type="employer", booth_number="A3", job_countries=["SE", "NO"]
    )
    f.exhibitor(f.event(), name="Other fair AB")
    login(client, f.organiser(org, preferred_language="en"), language="en")
    response = client.get(f"/organiser/events/{event.id}/applications.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff")), delimiter=";"))
    assert sorted(r["Organisation"] for r in rows) == ['\'=HYPERLINK("http://evil.example")', "Gamma Städ"]
    gamma = next(r for r in rows if r["Organisation"] == "Gamma Städ")
    assert (gamma["Status"], gamma["Booth number"], gamma["Countries where the jobs are"]) == (
        "Approved",
        "A3",
        "Sweden, Norway",
    )
    only_approved = client.get(f"/organiser/events/{event.id}/applications.csv?status=approved").get_data(as_text=True)
    assert [r["Organisation"] for r in csv.DictReader(io.StringIO(only_approved[1:]), delimiter=";")] == ["Gamma Städ"]
    assert client.get(f"/organiser/events/{event.id}/applications.csv?status=bogus").status_code == 400
    assert client.get(f"/organiser/events/{event.id}/applications.csv?q=" + "x" * 500).status_code == 400
