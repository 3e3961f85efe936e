from datetime import timedelta

from sqlalchemy import select

from bazaar.clock import utcnow
from bazaar.events import services
from bazaar.events.models import Event
from bazaar.extensions import db
from tests import factories as f
from tests.support import login

FORM = {
    "name": "Rekryteringsbazaren 2027",
    "description_sv": "Träffa arbetsgivare på Kulturhuset.",
    "description_en": "Meet employers at Kulturhuset.",
    "venue_name": "Kulturhuset",
    "venue_address": "Sergels torg 3, Stockholm",
    "directions_sv": "T-Centralen, uppgång Sergels torg.",
    "days-0-date": "2027-03-10",
    "days-0-opens": "10:00",
    "days-0-closes": "16:00",
    "capacity": "10000",
    "max_bookings_per_visitor": "3",
    "reminder_minutes_before": "60",
    "default_language": "sv",
}


def test_organiser_creates_edits_and_publishes_event(ctx, client):
    org = f.organisation("Länsstyrelsen Stockholm")
    organiser = f.organiser(org)
    login(client, organiser)

    response = client.post("/organiser/events/new", data=FORM)
    assert response.status_code == 302
    event = db.session.scalar(select(Event))
    assert event.slug == "rekryteringsbazaren-2027" and event.status == "draft"
    assert event.description == {"sv": "Träffa arbetsgivare på Kulturhuset.", "en": "Meet employers at Kulturhuset."}
    # typed in Stockholm local time (CET in March), stored in UTC
    assert event.starts_at.isoformat() == "2027-03-10T09:00:00+00:00"
    assert [o.organisation_id for o in event.organisers] == [org.id]

    # a draft is invisible to the public
    anon = client.application.test_client()
    assert anon.get(f"/events/{event.slug}").status_code == 404
    assert "Rekryteringsbazaren" not in anon.get("/").get_data(as_text=True)

    response = client.post(
        f"/organiser/events/{event.id}/edit", data={**FORM, "venue_name": "Kulturhuset Stadsteatern"}
    )
    assert response.status_code == 302
    db.session.refresh(event)
    assert event.venue_name == "Kulturhuset Stadsteatern"

    assert client.post(f"/organiser/events/{event.id}/status", data={"status": "published"}).status_code == 302
    db.session.refresh(event)
    assert event.status == "published"
    page = anon.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "Kulturhuset Stadsteatern" in page and "T-Centralen" in page
    assert "10:00" in page and "CET" in page  # shown in the event's zone, named
    assert "Rekryteringsbazaren 2027" in anon.get("/").get_data(as_text=True)


def test_event_form_errors_are_shown_and_nothing_is_saved(ctx, client):
    login(client, f.organiser())
    bad = {**FORM, "days-0-closes": "09:00", "capacity": "-5", "name": "x" * 300, "days-0-date": "not a date"}
    response = client.post("/organiser/events/new?lang=en", data=bad)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Please correct the fields marked below" in html
    assert 'aria-invalid="true"' in html
    assert db.session.scalar(select(Event)) is None


def test_out_of_range_years_get_a_message_not_an_overflow(ctx, client):
    login(client, f.organiser())
    for day in ("0001-01-01", "9999-12-31"):
        response = client.post("/organiser/events/new?lang=en", data={**FORM, "days-0-date": day})
        assert response.status_code == 200 and "Please enter a year from 2000 to 2100" in response.get_data(
            as_text=True
        )
    assert db.session.scalar(select(Event)) is None


def test_only_co_organisers_may_manage(ctx, client):
    mine, theirs = f.organisation(), f.organisation()
    event = f.event(org=mine, status="draft")
    outsider = f.organiser(theirs)
    visitor = f.visitor()

    anon = client.application.test_client()
    assert anon.get(f"/organiser/events/{event.id}/edit").status_code == 302  # to login
    assert anon.get("/organiser/events/new").status_code == 302

    for person in (outsider, visitor):
        c = client.application.test_client()
        login(c, person)
        assert c.get(f"/organiser/events/{event.id}").status_code == 403
        assert c.post(f"/organiser/events/{event.id}/edit", data=FORM).status_code == 403
        assert c.post(f"/organiser/events/{event.id}/status", data={"status": "published"}).status_code == 403
        assert c.get(f"/events/{event.slug}").status_code == 404  # draft stays hidden
    c = client.application.test_client()
    login(c, visitor)
    assert c.get("/organiser/events/new").status_code == 403
    db.session.refresh(event)
    assert event.status == "draft" and event.name == "Test fair"

    # a second body in the consortium may manage it too
    from bazaar.events.models import EventOrganiser

    event.organisers.append(EventOrganiser(organisation_id=theirs.id))
    db.session.commit()
    c = client.application.test_client()
    login(c, outsider)
    assert c.get(f"/organiser/events/{event.id}").status_code == 200


def test_status_changes_follow_the_lifecycle(ctx, client):
    org = f.organisation()
    event = f.event(org=org, status="draft")
    login(client, f.organiser(org))
    client.post(f"/organiser/events/{event.id}/status", data={"status": "finished"})
    db.session.refresh(event)
    assert event.status == "draft"
    response = client.post(f"/organiser/events/{event.id}/status", data={"status": "bogus"}, follow_redirects=True)
    assert "Det går inte att byta till den statusen." in response.get_data(as_text=True)


def test_home_lists_only_upcoming_public_events(ctx, client):
    f.event(name="Past fair", starts_in=-timedelta(days=30))
    f.event(name="Draft fair", status="draft")
    f.event(name="Next fair", starts_in=timedelta(days=3))
    html = client.get("/").get_data(as_text=True)
    assert "Next fair" in html and "Past fair" not in html and "Draft fair" not in html


def test_event_page_lists_approved_exhibitors_only(ctx, client):
    event = f.event()
    f.exhibitor(event, name="Approved Employer AB")
    f.exhibitor(event, name="Pending Employer AB", status="applied")
    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "Approved Employer AB" in html and "Pending Employer AB" not in html


def test_the_organisers_event_page_shows_the_figures_counted_from_the_rows(ctx, client):
    from bazaar.booking.services import book_slot
    from bazaar.notifications.services import queue
    from tests.support import counted_statements

    org = f.organisation()
    ev = f.event(org=org, starts_in=timedelta(hours=-1))
    f.event(org=org)  # another fair's rows count nowhere here
    ex = f.exhibitor(ev)
    f.exhibitor(ev, status="applied")
    f.exhibitor(ev, status="rejected")
    slots = f.slots_for(ex, start=ev.starts_at + timedelta(hours=2), count=5)
    regs = [f.registration(ev) for _ in range(3)]
    f.registration(ev, status="waitlisted")
    f.registration(ev, status="cancelled")
    book_slot(regs[0], slots[0])
    book_slot(regs[1], slots[1])
    regs[2].checked_in_at = utcnow()
    db.session.add(f.arrival(regs[2], regs[2].checked_in_at))  # the door records the day's arrival too
    failed = queue("survey_invitation", user=regs[0].user, event=ev, payload={"days": 30, "token": "t"})
    db.session.flush()
    failed.status = "failed"
    from bazaar.events.models import StaffRequest

    db.session.add(StaffRequest(event_id=ev.id, user_id=f.user().id, organisation="SFI Malmö"))
    db.session.add(StaffRequest(event_id=ev.id, user_id=f.user().id, organisation="Jobbtorg", status="declined"))
    db.session.commit()
    expected = {
        "registered": 3,
        "waitlisted": 1,
        "checked_in_today": 1,
        "exhibitors_approved": 1,
        "exhibitors_pending": 1,
        "slots_booked": 2,
        "messages_failed": 1,
        "staff_requests": 1,
    }
    assert ev.timezone and ev.days is not None  # the event and its days are loaded (the page reads them
    # with the organiser's roles): only the figures are counted below
    with counted_statements() as sent:
        figures = services.overview(ev)
    assert len(sent) == 1, "one statement, however many rows"
    assert {k: getattr(figures, k) for k in expected} == expected and figures.slots_offered == 5
    login(client, f.organiser(org))
    page = client.get(f"/organiser/events/{ev.id}").text
    for name, value in expected.items():
        assert f'data-figure="{name}">{value}<' in page, name
