"""Visitor pages: directory, exhibitor page, book, my schedule, cancel/reschedule, email links,
permissions across visitors and junk input."""

import re
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from bazaar.booking import services
from bazaar.booking.models import Booking, SlotFormat, WaitlistEntry
from bazaar.booking.notifications import MANAGE_LINK, manage_url
from bazaar.exhibitors.models import Opening
from bazaar.extensions import db
from tests import factories as f
from tests.support import counted_statements, limiter_on_redis, login, page_statements

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def fair(ctx):
    event = f.event(name="Jobbdating Test")
    builder = f.exhibitor(
        event,
        name="Byggbolaget AB",
        tables=2,
        booth_number="S01",
        booth_languages=["sv", "ar"],
        job_countries=["SE"],
        description={"sv": "Vi bygger hus.", "en": "We build houses."},
    )
    builder.openings.append(
        Opening(
            title={"sv": "Snickare", "en": "Carpenter"},
            occupation="construction",
            country="SE",
            employment_type="permanent",
            location="Helsingborg",
        )
    )
    nurse = f.exhibitor(event, name="Vården Nord", tables=1, booth_number="S02", booth_languages=["sv", "so"])
    nurse.openings.append(
        Opening(title={"sv": "Undersköterska"}, occupation="assistant_nurse", country="NO", employment_type="temporary")
    )
    danish = f.exhibitor(
        event,
        name="Dansk Byg ApS",
        tables=1,
        booth_number="D01",
        country="DK",
        booth_languages=["da", "en"],
        job_countries=["DK"],
    )
    db.session.commit()
    f.slots_for(builder, count=4)
    f.slots_for(nurse, count=1)
    return event, builder, nurse, danish


def _visitor(client, event, name="Amina Warsame"):
    reg = f.registration(event, f.visitor(name=name))
    login(client, reg.user)
    return reg


def _names(html):
    return {n for n in ("Byggbolaget AB", "Vården Nord", "Dansk Byg ApS") if n in html}


def test_directory_filters_and_search(fair, client):
    event, builder, nurse, danish = fair
    url = f"/events/{event.slug}/exhibitors"
    assert _names(client.get(url).get_data(as_text=True)) == {"Byggbolaget AB", "Vården Nord", "Dansk Byg ApS"}
    assert _names(client.get(url, query_string={"occupation": "construction"}).get_data(as_text=True)) == {
        "Byggbolaget AB"
    }
    assert _names(client.get(url, query_string={"language": "so"}).get_data(as_text=True)) == {"Vården Nord"}
    assert _names(client.get(url, query_string={"country": "DK"}).get_data(as_text=True)) == {"Dansk Byg ApS"}
    assert _names(client.get(url, query_string={"country": "NO"}).get_data(as_text=True)) == {"Vården Nord"}
    assert _names(client.get(url, query_string={"employment_type": "temporary"}).get_data(as_text=True)) == {
        "Vården Nord"
    }
    assert _names(client.get(url, query_string={"free": "y"}).get_data(as_text=True)) == {
        "Byggbolaget AB",
        "Vården Nord",
    }
    assert _names(client.get(url, query_string={"q": "carpenter"}).get_data(as_text=True)) == {"Byggbolaget AB"}
    assert _names(client.get(url, query_string={"q": "HUS"}).get_data(as_text=True)) == {"Byggbolaget AB"}
    # the one free slot at Vården Nord booked: it drops out of "has free times"
    services.book(f.registration(event), nurse, event.starts_at)
    assert _names(client.get(url, query_string={"free": "y"}).get_data(as_text=True)) == {"Byggbolaget AB"}
    # junk filters get a form error, never a 500
    for junk in ({"occupation": "x" * 500}, {"country": "<script>"}, {"q": "x" * 5000}, {"free": "\x00"}):
        response = client.get(url, query_string=junk)
        assert response.status_code == 200
    assert client.get("/events/no-such-fair/exhibitors").status_code == 404


def test_exhibitor_page_groups_free_times_per_start(fair, client):
    event, builder, _, _ = fair
    services.book(f.registration(event), builder, event.starts_at)
    _visitor(client, event)
    html = client.get(f"/events/{event.slug}/exhibitors/{builder.id}").get_data(as_text=True)
    # 4 times on 2 tables: one button per time, not per table
    assert html.count('name="starts_at"') == 4
    assert "Carpenter" in html or "Snickare" in html
    assert client.get(f"/events/{event.slug}/exhibitors/999999").status_code == 404
    other_event = f.event()
    assert client.get(f"/events/{other_event.slug}/exhibitors/{builder.id}").status_code == 404


def test_book_through_the_page_and_see_it_in_my_schedule(fair, client):
    event, builder, _, _ = fair
    reg = _visitor(client, event)
    start = event.starts_at + timedelta(minutes=10)
    response = client.post(f"/events/{event.slug}/exhibitors/{builder.id}/book", data={"starts_at": start.isoformat()})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/events/{event.slug}/my-schedule")
    booking = db.session.scalar(select(Booking).where(Booking.registration_id == reg.id))
    assert booking.starts_at == start
    html = client.get(f"/events/{event.slug}/my-schedule").get_data(as_text=True)
    from bazaar.i18n import format_time

    assert "Byggbolaget AB" in html and "S01" in html
    assert format_time(start, event.timezone, lang="en") in html  # the event's zone, the one formatter
    assert f"/bookings/{booking.id}/cancel" in html and f"/bookings/{booking.id}/reschedule" in html
    assert f"/events/{event.slug}/my-schedule.ics" in html


def _alert(html: str) -> str:
    return html.split('role="alert">', 1)[1].split("</div>", 1)[0]


def test_the_loser_sees_just_taken_and_the_nearest_times_they_can_take(fair, client):
    event, builder, nurse, _ = fair
    f.slots_for(nurse, start=event.starts_at + timedelta(minutes=10), count=4)
    services.book(f.registration(event), nurse, event.starts_at)
    reg = _visitor(client, event)
    soon, later = event.starts_at + timedelta(minutes=10), event.starts_at + timedelta(minutes=20)
    services.book(reg, builder, soon)  # the nearest free time at the nurse's clashes with this
    response = client.post(
        f"/events/{event.slug}/exhibitors/{nurse.id}/book", data={"starts_at": event.starts_at.isoformat()}
    )
    assert response.status_code == 409
    alert = _alert(response.get_data(as_text=True))
    assert "just taken" in alert and "Free times nearby" in alert
    offered = re.findall(r'name="starts_at" value="([^"]+)"', alert)
    assert later.isoformat() in offered and soon.isoformat() not in offered
    assert event.starts_at.isoformat() not in offered and len(offered) == 3


def test_rule_errors_are_shown_not_crashed(fair, client):
    event, builder, nurse, _ = fair
    event.max_bookings_per_visitor = 1
    db.session.commit()
    _visitor(client, event)
    later = (event.starts_at + timedelta(minutes=20)).isoformat()
    ok = client.post(f"/events/{event.slug}/exhibitors/{builder.id}/book", data={"starts_at": later})
    assert ok.status_code == 303
    capped = client.post(
        f"/events/{event.slug}/exhibitors/{nurse.id}/book", data={"starts_at": event.starts_at.isoformat()}
    )
    assert capped.status_code == 409 and "most interviews allowed" in capped.get_data(as_text=True)
    for junk in (
        "",
        "yesterday",
        "2027-01-01T10:00",
        "x" * 100,
        "9999-99-99T99:99+00:00",
        "0001-01-01T00:00:00+05:00",
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T23:59:59-05:00",
    ):
        response = client.post(f"/events/{event.slug}/exhibitors/{builder.id}/book", data={"starts_at": junk})
        assert response.status_code in (302, 303, 409)
    assert (
        client.post(f"/events/{event.slug}/exhibitors/{builder.id}/book", data={"starts_at": [1, 2]}).status_code < 500
    )


def test_visitors_without_registration_or_login_cannot_book(fair, client):
    event, builder, _, _ = fair
    url = f"/events/{event.slug}/exhibitors/{builder.id}/book"
    anon = client.application.test_client()
    assert anon.post(url, data={"starts_at": event.starts_at.isoformat()}).status_code == 302  # to login
    login(client, f.visitor())
    response = client.post(url, data={"starts_at": event.starts_at.isoformat()})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Booking.id))) == 0


def test_cancel_needs_a_post_and_other_visitors_get_404(fair, client):
    event, builder, _, _ = fair
    reg = _visitor(client, event)
    booking = services.book(reg, builder, event.starts_at)
    page = client.get(f"/bookings/{booking.id}/cancel")
    assert page.status_code == 200 and "Yes, cancel it" in page.get_data(as_text=True)
    db.session.refresh(booking)
    assert booking.status == "confirmed"  # GET changed nothing

    intruder = client.application.test_client()
    _visitor(intruder, event, name="Someone Else")
    for path in (f"/bookings/{booking.id}/cancel", f"/bookings/{booking.id}/reschedule", f"/bookings/{booking.id}.ics"):
        assert intruder.get(path).status_code == 404
    assert intruder.post(f"/bookings/{booking.id}/cancel").status_code == 404
    assert (
        intruder.post(
            f"/bookings/{booking.id}/reschedule",
            data={"starts_at": (event.starts_at + timedelta(minutes=10)).isoformat()},
        ).status_code
        == 404
    )
    staff = client.application.test_client()
    login(staff, f.exhibitor_staff(builder))
    assert staff.post(f"/bookings/{booking.id}/cancel").status_code == 404
    assert client.get("/bookings/99999999/cancel").status_code == 404
    db.session.refresh(booking)
    assert booking.status == "confirmed"

    response = client.post(f"/bookings/{booking.id}/cancel")
    assert response.status_code == 303
    db.session.refresh(booking)
    assert booking.status == "cancelled" and booking.sequence == 1


def test_reschedule_through_the_page(fair, client):
    event, builder, _, _ = fair
    reg = _visitor(client, event)
    booking = services.book(reg, builder, event.starts_at)
    page = client.get(f"/bookings/{booking.id}/reschedule").get_data(as_text=True)
    assert page.count('name="starts_at"') == 3  # the other three times
    new = event.starts_at + timedelta(minutes=30)
    response = client.post(f"/bookings/{booking.id}/reschedule", data={"starts_at": new.isoformat()})
    assert response.status_code == 303
    db.session.refresh(booking)
    assert booking.starts_at == new and booking.sequence == 1
    bad = client.post(f"/bookings/{booking.id}/reschedule", data={"starts_at": "junk"})
    assert bad.status_code == 409
    nowhere = client.post(
        f"/bookings/{booking.id}/reschedule", data={"starts_at": (event.starts_at + timedelta(minutes=3)).isoformat()}
    )
    assert nowhere.status_code == 409 and "no interview at that time" in nowhere.get_data(as_text=True)
    db.session.refresh(booking)
    assert booking.starts_at == new


def test_email_links_confirm_with_a_post_and_are_rechecked(fair, client, app):
    event, builder, _, _ = fair
    reg = f.registration(event)
    booking = services.book(reg, builder, event.starts_at)
    with app.test_request_context():
        cancel_url = manage_url(booking, "cancel")
        reschedule_url = manage_url(booking, "reschedule")
    assert cancel_url.startswith(app.config["BASE_URL"] + "/bookings/link/")
    anon = client.application.test_client()
    cancel_path = cancel_url[len(app.config["BASE_URL"]) :]
    # a mail scanner following the link changes nothing
    assert anon.get(cancel_path).status_code == 200
    db.session.refresh(booking)
    assert booking.status == "confirmed"
    # reschedule by link, without logging in
    new = event.starts_at + timedelta(minutes=20)
    response = anon.post(reschedule_url[len(app.config["BASE_URL"]) :], data={"starts_at": new.isoformat()})
    assert response.status_code == 303
    db.session.refresh(booking)
    assert booking.starts_at == new
    assert anon.post(cancel_path).status_code == 303
    db.session.refresh(booking)
    assert booking.status == "cancelled"
    # re-checked on use: a second cancel says so, a forged or foreign token is refused
    again = anon.post(cancel_path, follow_redirects=True)
    assert "already cancelled" in again.get_data(as_text=True)
    for token in ("nonsense", "x" * 3000, cancel_path.split("/")[3][:-2] + "AA"):
        assert anon.get(f"/bookings/link/{token}/cancel").status_code == 404
    from bazaar.tokens import make_token

    forged = make_token(MANAGE_LINK.purpose, {"b": booking.id, "r": booking.registration_id + 1})
    assert anon.get(f"/bookings/link/{forged}/cancel").status_code == 404
    other_purpose = make_token("ticket", {"b": booking.id, "r": booking.registration_id})
    assert anon.get(f"/bookings/link/{other_purpose}/cancel").status_code == 404
    assert anon.get(f"{cancel_path[:-6]}delete").status_code == 404


def test_booking_emails_carry_working_cancel_and_change_links(fair, client, app):
    from bazaar.notifications.models import OutboxMessage
    from bazaar.notifications.render import render

    event, builder, _, _ = fair
    reg = f.registration(event)
    booking = services.book(reg, builder, event.starts_at)
    services.reschedule(booking, event.starts_at + timedelta(minutes=20))
    services.cancel_booking(booking, reg.user)
    rows = {
        m.kind: m
        for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject_id == booking.id))
        if m.kind.startswith("booking_")
    }
    assert set(rows) == {"booking_confirmed", "booking_changed", "booking_cancelled"}
    for kind in ("booking_confirmed", "booking_changed"):
        payload = rows[kind].payload
        rendered = render(rows[kind])
        for url in (payload["cancel_url"], payload["reschedule_url"]):
            assert url.startswith(app.config["BASE_URL"] + "/bookings/link/")
            assert url in rendered.text and f'href="{url}"' in rendered.html
        assert "utan inloggning" in rendered.text  # in the visitor's language (Swedish here)
    cancelled = rows["booking_cancelled"]
    assert "cancel_url" not in cancelled.payload and "/bookings/link/" not in render(cancelled).text
    # the link in the first email still names the booking, now cancelled: it says so, changes nothing
    page = client.get(rows["booking_confirmed"].payload["cancel_url"][len(app.config["BASE_URL"]) :])
    assert page.status_code == 200 and "This interview is cancelled." in page.get_data(as_text=True)


def test_calendar_downloads(fair, client):
    event, builder, nurse, _ = fair
    reg = _visitor(client, event)
    first = services.book(reg, builder, event.starts_at + timedelta(minutes=10))
    services.book(reg, nurse, event.starts_at)
    one = client.get(f"/bookings/{first.id}.ics")
    assert one.status_code == 200 and one.mimetype == "text/calendar"
    assert Calendar.from_ical(one.data)["METHOD"] == "REQUEST"
    whole = client.get(f"/events/{event.slug}/my-schedule.ics")
    events = Calendar.from_ical(whole.data).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["Interview: Vården Nord", "Interview: Byggbolaget AB"]
    anon = client.application.test_client()
    assert anon.get(f"/events/{event.slug}/my-schedule.ics").status_code == 302


def test_csrf_is_required_on_booking_forms(fair, test_env):
    """With CSRF on (as in production), a POST without the token is refused and changes nothing."""
    from bazaar import create_app
    from config import Config

    event, builder, _, _ = fair
    strict = create_app(Config(TESTING=True, WTF_CSRF_ENABLED=True, **limiter_on_redis()))
    reg = f.registration(event)
    user_id, start = reg.user.get_id(), event.starts_at.isoformat()
    page_url = f"/events/{event.slug}/exhibitors/{builder.id}"
    db.session.commit()  # end this session's transaction: SQLite lets one writer at a time
    c = strict.test_client()
    with c.session_transaction() as session:
        session["_user_id"] = user_id
    assert c.post(page_url + "/book", data={"starts_at": start}).status_code == 400
    page = c.get(page_url).get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    ok = c.post(page_url + "/book", data={"starts_at": start, "csrf_token": token})
    assert ok.status_code == 303
    assert db.session.scalar(select(func.count(Booking.id))) == 1
    with strict.app_context():
        db.engine.dispose()


def test_my_schedule_statements_do_not_grow_with_the_interviews(ctx, client):
    event = f.event(max_bookings_per_visitor=8)
    reg = f.registration(event)
    login(client, reg.user)
    sent, booked = {}, 0
    for count in (1, 5):
        for n in range(booked, count):
            ex = f.exhibitor(event, name=f"Employer {n}", booth_number=f"B{n}")
            [slot] = f.slots_for(ex, start=event.starts_at + timedelta(minutes=30 * n), count=1)
            f.booked(reg, slot)
        booked = count
        db.session.expire_all()
        with counted_statements() as statements:
            page = client.get(f"/events/{event.slug}/my-schedule").text
        assert all(f"Employer {n}" in page for n in range(count))
        sent[count] = len([s for s in statements if not s.startswith("BEGIN")])  # SQLite's, when a transaction opens
    assert sent[1] == sent[5], sent


def test_my_schedule_statements_do_not_grow_with_talks_and_waiting_lists(ctx, client):
    """Talks (a badge read from their slot) and waiting lists (the employer's name) beside the
    interviews: as many statements for one of each as for four."""
    event = f.event(max_bookings_per_visitor=8)
    reg = f.registration(event)
    login(client, reg.user)
    sent = {}
    for count in (1, 4):
        for n in range(max(sent, default=0), count):  # the ones the last round lacked
            talks = f.exhibitor(event, name=f"Talks {n}")
            [slot] = f.slots_for(
                talks, start=event.starts_at + timedelta(minutes=20 * n), count=1, format=SlotFormat.TALK
            )
            f.booked(reg, slot)
            waiting = f.exhibitor(event, name=f"Waiting {n}")
            db.session.add(WaitlistEntry(exhibitor_id=waiting.id, registration_id=reg.id))
        db.session.commit()
        page, statements = page_statements(client, f"/events/{event.slug}/my-schedule")
        assert page.count(">Talk</span>") == count and all(f"Waiting {n}" in page for n in range(count))
        sent[count] = len(statements)
    assert sent[1] == sent[4], sent
