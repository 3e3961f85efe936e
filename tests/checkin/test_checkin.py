"""Tickets, badges, door check-in, walk-ins and live counters."""

import threading
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bazaar.accounts.models import User
from bazaar.checkin import services
from bazaar.checkin.models import Arrival, DoorScan
from bazaar.checkin.qr import ticket_qr_png, ticket_qr_svg
from bazaar.clock import utcnow
from bazaar.exhibitors.models import ExhibitorStaff
from bazaar.extensions import db
from bazaar.i18n import format_time
from bazaar.notifications.models import OutboxMessage
from bazaar.registrations import services as registration_services
from bazaar.registrations.models import Registration
from bazaar.registrations.services import TICKET_LINK, ticket_token
from bazaar.tokens import make_token, read_token
from bazaar.webhooks.models import WebhookEndpoint
from tests import factories as f
from tests.support import counted_statements, login


def door_url(event):
    return f"/organiser/events/{event.id}/door"


def scan(client, event, token, door="North"):
    return client.post(door_url(event), data={"token": token, "door": door})


def result_of(response) -> str:
    html = response.get_data(as_text=True)
    marker = 'data-result="'
    assert marker in html, html
    return html.split(marker, 1)[1].split('"', 1)[0]


def door_scans(reg=None):
    q = select(DoorScan).order_by(DoorScan.id)
    if reg is not None:
        q = q.where(DoorScan.registration_id == reg.id)
    return db.session.scalars(q).all()


@pytest.fixture
def fair(ctx):
    event = f.event(name="Rekryteringsbazaren")
    return event, f.checkin_staff(event, name="Door Keeper")


# ---- tickets -------------------------------------------------------------------------------


def test_ticket_qr_carries_the_signed_token(fair):
    event, _ = fair
    reg = f.registration(event)
    svg = ticket_qr_svg(reg)
    assert svg.startswith("<svg") and "viewBox" in svg and "style=" not in svg  # CSP: no inline styles
    png = ticket_qr_png(reg)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    token = ticket_token(reg)
    payload = read_token("ticket", token)
    assert payload == {"e": event.id, "t": reg.ticket_code}  # a signed ticket code, never the row id
    assert TICKET_LINK.load(token).id == reg.id


def test_ticket_page_only_for_its_owner(fair, client):
    event, staff = fair
    owner = f.visitor(name="Amina Yusuf")
    reg = f.registration(event, owner)
    anon = client.application.test_client()
    assert anon.get(f"/my/tickets/{reg.id}").status_code == 302

    login(client, owner, language="en")
    page = client.get(f"/my/tickets/{reg.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert (
        "ticket-qr" in html
        and "<svg" in html
        and "Amina Yusuf" in html
        and "Rekryteringsbazaren" in html
        and "Kulturhuset" in html
    )
    assert services.ticket_number(reg) in html
    badge = client.get(f"/my/tickets/{reg.id}/badge")
    assert badge.status_code == 200 and "badge-card" in badge.get_data(as_text=True)
    png = client.get(f"/my/tickets/{reg.id}/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")

    for other in (f.visitor(), staff):
        login(client, other, language="en")
        assert client.get(f"/my/tickets/{reg.id}").status_code == 404
        assert client.get(f"/my/tickets/{reg.id}/badge").status_code == 404
        assert client.get(f"/my/tickets/{reg.id}/qr.png").status_code == 404
    for junk in ("999999", "0", "99999999999999999999", "abc", "-1"):
        assert client.get(f"/my/tickets/{junk}").status_code == 404


def test_organisers_print_badges_for_their_events_only(ctx, client):
    org = f.organisation()
    event = f.event(org=org)
    reg = f.registration(event, f.visitor(name="Bilal Haddad"))
    login(client, f.organiser(org), language="en")
    assert client.get(f"/my/tickets/{reg.id}").status_code == 404  # the ticket page is the visitor's
    badge = client.get(f"/my/tickets/{reg.id}/badge")
    assert badge.status_code == 200 and "Bilal Haddad" in badge.get_data(as_text=True)
    login(client, f.organiser(), language="en")
    assert client.get(f"/my/tickets/{reg.id}/badge").status_code == 404


def test_cancelled_or_waiting_ticket_shows_no_code(fair, client):
    event, _ = fair
    owner = f.visitor()
    cancelled = f.registration(event, owner, status="cancelled")
    login(client, owner, language="en")
    html = client.get(f"/my/tickets/{cancelled.id}").get_data(as_text=True)
    assert "ticket-qr" not in html and "flash-error" in html
    assert client.get(f"/my/tickets/{cancelled.id}/badge").status_code == 404


# ---- door ----------------------------------------------------------------------------------


def test_a_door_scan_is_one_statement_on_postgresql_webhook_and_page_included(fair, client, backend):
    """Everything the scan request sends is counted, from a fresh session as in production: the
    session's user, the event with the staff member's roles, the scan itself (arrival, first-arrival
    mark, scan log, tally), the webhook delivery the checked_in signal queues, and the page's navigation."""
    event, staff = fair
    db.session.add(
        WebhookEndpoint(
            event_id=event.id, url="https://hooks.example.org/bazaar", topics=["visitor.checked_in"], secret="whsec_x"
        )
    )
    reg = f.registration(event, f.visitor(name="Chen Wei"))
    token, reg_id, staff_id, url = ticket_token(reg), reg.id, staff.id, door_url(event)
    login(client, staff, language="en")
    client.get(url)
    db.session.remove()
    with counted_statements() as sent:
        response = client.post(url, data={"token": token, "door": "North"})
    assert result_of(response) == "checked_in" and "Chen Wei" in response.get_data(as_text=True)
    if backend == "postgresql":
        scans = [s for s in sent if "door_scan" in s or "arrival" in s]
        assert len(scans) == 1  # arrival, first-arrival mark, scan log and tally in one statement
        # the user, the event with the roles, the scan, the webhook endpoints, the delivery (one INSERT
        # ... ON CONFLICT DO NOTHING: notifications.queue_rows), the navigation
        assert len(sent) <= 6, "\n".join(s.strip()[:60] for s in sent)
    arrival = db.session.scalars(select(Arrival).where(Arrival.registration_id == reg_id)).one()
    assert arrival.door == "North"
    reg = db.session.get(Registration, reg_id)
    assert [s.result for s in door_scans(reg)] == ["checked_in"]
    assert reg.checked_in_at == arrival.arrived_at and reg.checked_in_by_id == staff_id
    delivery = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook")).one()
    assert delivery.payload["topic"] == "visitor.checked_in" and delivery.subject_id == reg_id


def test_a_scan_at_a_door_without_a_name_logs_no_door(fair, client):
    event, staff = fair
    reg = f.registration(event)
    login(client, staff, language="en")
    assert result_of(scan(client, event, ticket_token(reg), door="")) == "checked_in"
    assert [(s.result, s.door) for s in door_scans(reg)] == [("checked_in", None)]
    assert services.door_counters(event).per_door == [("", 1)]


def at_ten_local(clock, event) -> None:
    """Move the clock on to 10:00 at the event's place, so the scans of a test (minutes or an hour
    apart) never cross midnight, where a scan is a new day's arrival."""
    local = utcnow().astimezone(ZoneInfo(event.timezone))
    opening = local.replace(hour=10, minute=0, second=0, microsecond=0)
    clock.advance(seconds=(opening + timedelta(days=opening <= local) - local).total_seconds())


def test_scanning_twice_records_one_arrival_and_two_scans(fair, client, clock):
    event, staff = fair
    at_ten_local(clock, event)
    reg = f.registration(event, f.visitor(name="Chen Wei"))
    login(client, staff, language="en")

    first = scan(client, event, ticket_token(reg), door="North")
    assert first.status_code == 200 and result_of(first) == "checked_in"
    assert "Chen Wei" in first.get_data(as_text=True)
    assert "bazaar_door=North" in first.headers.get("Set-Cookie", "")
    db.session.refresh(reg)
    arrived = reg.checked_in_at
    assert arrived is not None and reg.checked_in_by_id == staff.id

    clock.advance(minutes=20)
    second = scan(client, event, ticket_token(reg), door="South")
    assert result_of(second) == "already_checked_in"
    html = second.get_data(as_text=True)
    assert "North" in html  # the door that recorded the arrival
    assert format_time(arrived, event.timezone, lang="en", with_zone=True) in html
    db.session.refresh(reg)
    assert reg.checked_in_at == arrived
    scans = door_scans(reg)
    assert [(s.result, s.door, s.scanned_by_id) for s in scans] == [
        ("checked_in", "North", staff.id),
        ("already_checked_in", "South", staff.id),
    ]

    # the door name is remembered on this device
    assert 'value="South"' in client.get(door_url(event)).get_data(as_text=True)


def test_forged_foreign_cancelled_waiting_and_unknown_tickets(fair, client):
    event, staff = fair
    other_event = f.event(name="Another fair")
    login(client, staff, language="en")
    reg = f.registration(event)
    good = ticket_token(reg)

    tampered = good[:-3] + ("aaa" if not good.endswith("aaa") else "bbb")
    assert result_of(scan(client, event, tampered)) == "forged"
    assert (
        result_of(scan(client, event, make_token("password_reset", {"e": event.id, "t": reg.ticket_code}))) == "forged"
    )
    foreign = f.registration(other_event)
    assert result_of(scan(client, event, ticket_token(foreign))) == "wrong_event"
    assert result_of(scan(client, event, ticket_token(f.registration(event, status="cancelled")))) == "cancelled"
    assert result_of(scan(client, event, ticket_token(f.registration(event, status="waitlisted")))) == "not_registered"
    gone = f.registration(event)
    gone_token = ticket_token(gone)
    db.session.delete(gone)
    db.session.commit()
    assert result_of(scan(client, event, gone_token)) == "unknown"
    assert result_of(scan(client, event, make_token("ticket", {"e": event.id, "t": ["not", "a", "code"]}))) == "forged"

    db.session.refresh(foreign)
    assert foreign.checked_in_at is None
    results = [s.result for s in door_scans()]
    assert results == ["forged", "forged", "wrong_event", "cancelled", "not_registered", "unknown", "forged"]
    assert db.session.scalar(select(func.count()).where(Registration.checked_in_at.is_not(None))) == 0


@pytest.mark.parametrize(
    "junk",
    [
        "",
        " ",
        "x" * 1999,
        "x" * 5000,
        "\x00\x01",
        "' OR 1=1 --",
        "😀" * 300,
        "a.b.c",
        "%",
        "\ufeff",
    ],
)
def test_junk_scans_never_fail(fair, client, junk):
    event, staff = fair
    login(client, staff, language="en")
    response = client.post(door_url(event), data={"token": junk, "door": "N" * 49})
    assert response.status_code == 200
    response = client.post(door_url(event), data={"token": "abc", "door": junk})
    assert response.status_code == 200
    for data in ({"registration_id": junk}, {"registration_id": "99999999999"}, {"registration_id": "-4"}):
        assert client.post(door_url(event), data=data).status_code == 200
    assert client.get(door_url(event), query_string={"q": junk}).status_code == 200


def test_scans_need_the_csrf_token_of_the_door_page(fair, client, app):
    event, staff = fair
    reg = f.registration(event)
    login(client, staff, language="en")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(door_url(event), data={"token": ticket_token(reg)}).status_code == 400
        assert door_scans() == []
        page = client.get(door_url(event)).get_data(as_text=True)
        csrf = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
        response = client.post(door_url(event), data={"token": ticket_token(reg), "csrf_token": csrf})
        assert result_of(response) == "checked_in"
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_search_by_name_or_email_and_check_in_from_the_list(fair, client):
    event, staff = fair
    amal = f.registration(event, f.visitor(name="Amal Hussein", email="amal@example.org"))
    f.registration(event, f.visitor(name="Bo Svensson"))
    outsider = f.registration(f.event(), f.visitor(name="Amal Other"))
    login(client, staff, language="en")

    html = client.get(door_url(event), query_string={"q": "amal"}).get_data(as_text=True)
    assert "Amal Hussein" in html and "Bo Svensson" not in html and "Amal Other" not in html
    assert "Amal Hussein" in client.get(door_url(event), query_string={"q": "AMAL@EXAMPLE.ORG"}).get_data(as_text=True)
    assert "Nobody registered" in client.get(door_url(event), query_string={"q": "%_%_"}).get_data(as_text=True)

    response = client.post(door_url(event), data={"registration_id": amal.id, "door": "West"})
    assert result_of(response) == "checked_in"
    assert result_of(client.post(door_url(event), data={"registration_id": amal.id})) == "already_checked_in"
    # a registration of another event, picked by id, is "unknown" and untouched
    assert result_of(client.post(door_url(event), data={"registration_id": outsider.id})) == "unknown"
    db.session.refresh(outsider)
    assert outsider.checked_in_at is None


def test_door_search_needs_a_longer_query_shows_no_email_and_is_logged(fair, client, caplog):
    event, staff = fair
    f.registration(event, f.visitor(name="Amal Hussein", email="amal.hussein@example.org"))
    login(client, staff, language="en")
    for short in ("am", "ama", "@e", "ex"):
        html = client.get(door_url(event), query_string={"q": short}).get_data(as_text=True)
        assert "Amal Hussein" not in html and "Type at least 4 letters" in html, short
    # part of an email finds nobody (no enumeration by domain); the whole address does
    assert "Amal Hussein" not in client.get(door_url(event), query_string={"q": "example.org"}).get_data(as_text=True)
    caplog.clear()
    html = client.get(door_url(event), query_string={"q": "Hussein"}).get_data(as_text=True)
    assert "Amal Hussein" in html and "amal.hussein@example.org" not in html
    logged = [r for r in caplog.records if r.name == "bazaar.checkin.door_search"]
    assert [(r.event, r.user_id, r.matches) for r in logged] == [(event.id, staff.id, 1)]


def test_door_permissions(ctx, client):
    org = f.organisation()
    event = f.event(org=org)
    other = f.event()
    reg = f.registration(event)
    anon = client.application.test_client()
    assert anon.get(door_url(event)).status_code == 302
    assert anon.post(door_url(event), data={"token": ticket_token(reg)}).status_code == 302

    for intruder in (f.visitor(), f.checkin_staff(other), f.organiser(), f.exhibitor_staff(f.exhibitor(event))):
        login(client, intruder, language="en")
        assert client.get(door_url(event)).status_code == 403
        assert client.post(door_url(event), data={"token": ticket_token(reg)}).status_code == 403
        assert client.post(f"{door_url(event)}/walk-in", data={"name": "X", "language": "sv"}).status_code == 403
        assert client.get(f"/organiser/events/{event.id}/counters").status_code == 403
    db.session.refresh(reg)
    assert reg.checked_in_at is None and door_scans() == []

    login(client, f.checkin_staff(event), language="en")
    assert client.get(door_url(event)).status_code == 200
    assert client.get(f"/organiser/events/{event.id}/counters").status_code == 403  # counters: organisers
    assert client.get("/organiser/events/999999/door").status_code == 404
    login(client, f.organiser(org), language="en")  # a co-organiser runs the door too
    assert client.get(door_url(event)).status_code == 200
    assert client.get(f"/organiser/events/{event.id}/counters").status_code == 200
    manage = client.get(f"/organiser/events/{event.id}").get_data(as_text=True)
    assert door_url(event) in manage and f"/organiser/events/{event.id}/counters" in manage


def test_door_staff_find_their_door(fair, client):
    event, staff = fair
    f.event(name="Not mine")
    login(client, staff, language="en")
    home = client.get("/").get_data(as_text=True)
    assert "/door" in home
    listing = client.get("/door").get_data(as_text=True)
    assert door_url(event) in listing and "Not mine" not in listing


def _scan_in_threads(app, event, staff, token, threads):
    """``threads`` doors scan ``token`` at the same moment, each with its own session."""
    url, staff_id = door_url(event), staff.get_id()
    db.session.commit()  # end this thread's transaction: on SQLite it would hold the write lock
    barrier = threading.Barrier(threads)
    results, errors = [], []

    def door(i):
        try:
            with app.app_context():
                c = app.test_client()
                with c.session_transaction() as session:
                    session["_user_id"] = staff_id
                barrier.wait(timeout=30)
                results.append(result_of(c.post(url, data={"token": token, "door": f"Door {i}"})))
        except Exception as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=door, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert not errors, errors
    return results


def test_concurrent_scans_of_one_ticket_record_one_arrival(fair, app):
    event, staff = fair
    reg = f.registration(event)
    results = _scan_in_threads(app, event, staff, ticket_token(reg), threads=4)
    assert sorted(results) == ["already_checked_in"] * 3 + ["checked_in"]
    db.session.expire_all()
    assert db.session.get(Registration, reg.id).checked_in_at is not None
    assert len(door_scans(reg)) == 4


@pytest.mark.postgresql_only
def test_many_doors_scanning_one_ticket_at_once_on_postgresql(fair, app):
    event, staff = fair
    reg = f.registration(event)
    results = _scan_in_threads(app, event, staff, ticket_token(reg), threads=16)
    assert results.count("checked_in") == 1 and results.count("already_checked_in") == 15
    scans = door_scans(reg)
    assert len(scans) == 16
    [arrival] = [s for s in scans if s.result == "checked_in"]
    db.session.expire_all()
    reg = db.session.get(Registration, reg.id)
    assert arrival.door == services.arrival_on(reg, event.fair_date(reg.checked_in_at)).door


def test_an_evening_fair_past_midnight_counts_one_arrival_that_day(ctx, client, clock):
    """A fair day from 18:00 to 02:00 is one day at the door: a scan after midnight is a repeat, the
    ticket list and the tally still count the visitor in, and an offline scan from before midnight
    uploaded later takes the arrival over."""
    event = f.event(starts_in=timedelta(days=1), hours=8, local_hour=18)
    staff = f.checkin_staff(event)
    reg, other = f.registration(event), f.registration(event)
    login(client, staff, language="en")
    clock.move_to(event.starts_at + timedelta(hours=5, minutes=40))  # 23:40
    assert result_of(scan(client, event, ticket_token(reg))) == "checked_in"
    clock.advance(minutes=40)  # 00:20, the next calendar date
    assert result_of(scan(client, event, ticket_token(reg))) == "already_checked_in"
    assert result_of(scan(client, event, ticket_token(other))) == "checked_in"
    before_midnight = (event.starts_at + timedelta(hours=5, minutes=50)).isoformat()
    upload = {
        "scan_id": str(uuid.uuid4()),
        "ticket": ticket_token(other),
        "door": "South",
        "scanned_at": before_midnight,
    }
    assert client.post(f"{door_url(event)}/scans", json=upload).get_json()["result"] == "checked_in"

    assert db.session.scalars(select(Arrival.day).where(Arrival.event_id == event.id)).all() == [event.days[0].date] * 2
    assert services.door_tally(event).checked_in_today == 2
    tickets = client.get(f"{door_url(event)}/tickets").get_json()["tickets"]
    assert [t["checked_in"] for t in tickets] == [True, True]
    assert [(s.registration_id, s.result) for s in door_scans()] == [
        (reg.id, "checked_in"),
        (reg.id, "already_checked_in"),
        (other.id, "already_checked_in"),
        (other.id, "checked_in"),
    ]
    db.session.expire_all()
    assert db.session.get(Registration, other.id).checked_in_at.isoformat() == before_midnight


# ---- walk-ins ------------------------------------------------------------------------------


def walk_in(client, event, **data):
    return client.post(f"{door_url(event)}/walk-in", data={"language": "en", "door": "Main", **data})


def test_walk_in_without_email_is_registered_and_checked_in(fair, client):
    event, staff = fair
    login(client, staff, language="en")
    assert client.get(f"{door_url(event)}/walk-in").status_code == 200
    response = walk_in(client, event, name="Dawit Tesfaye", language="ti")
    assert result_of(response) == "checked_in" and "Dawit Tesfaye" in response.get_data(as_text=True)
    reg = db.session.scalar(select(Registration).where(Registration.walk_in.is_(True)))
    assert reg.status == "registered" and reg.checked_in_at and reg.registered_by_id == staff.id
    assert reg.user.name == "Dawit Tesfaye" and reg.user.preferred_language == "ti"
    assert reg.user.email.endswith("@" + services.WALK_IN_EMAIL_DOMAIN) and reg.user.password_hash is None
    assert [s.result for s in door_scans(reg)] == ["checked_in"]


def test_walk_in_wanting_messages_needs_an_email(fair, client):
    event, staff = fair
    login(client, staff, language="en")
    response = walk_in(client, event, name="Elif", wants_messages="y")
    assert response.status_code == 200 and "An email address is needed" in response.get_data(as_text=True)
    assert walk_in(client, event, name="Elif", email="not-an-email").status_code == 200
    assert walk_in(client, event, name="", email="").status_code == 200
    assert walk_in(client, event, name="x" * 500).status_code == 200
    assert walk_in(client, event, name="Nul\x00Byte").status_code == 200
    assert walk_in(client, event, name="Elif", language="xx").status_code == 200
    assert db.session.scalar(select(func.count(Registration.id))) == 0

    response = walk_in(client, event, name="Elif Kaya", email="Elif@Example.org", wants_messages="y")
    assert result_of(response) == "checked_in"
    user = db.session.scalar(select(User).where(User.email == "elif@example.org"))
    assert user.profile.consent_followup_at is not None
    from bazaar.notifications.models import OutboxMessage

    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.user_id == user.id)) == 1


def test_walk_in_never_uses_shows_or_changes_an_existing_account(fair, client):
    """The email of an existing account neither registers it, sets its consent, nor shows its stored
    name: the door answers exactly as for an unknown address (no oracle)."""
    event, staff = fair
    person = f.visitor(name="Stored Secret Name", email="farah@example.org")
    login(client, staff, language="en")
    existing = walk_in(client, event, name="Farah", email="farah@example.org", wants_messages="y")
    assert result_of(existing) == "checked_in"
    html = existing.get_data(as_text=True)
    assert "Stored Secret Name" not in html and "Farah" in html
    assert registration_services.live_registration(event.id, person.id) is None
    db.session.refresh(person)
    assert person.profile is None or person.profile.consent_followup_at is None
    from bazaar.notifications.models import OutboxMessage

    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.user_id == person.id)) == 0

    unknown = walk_in(client, event, name="Farah", email="farah2@example.org", wants_messages="y")
    assert result_of(unknown) == result_of(existing)
    assert feedback(unknown) == feedback(existing)


def feedback(response):
    """The door's answer without the per-ticket number and the running count (one more each walk-in)."""
    import re

    html = re.sub(r'<p class="door-tally"[^<]*</p>', "", response.get_data(as_text=True))
    return re.sub(r"[A-Z0-9_-]{6}</", "</", html)


def test_walk_ins_follow_the_registration_capacity_rules(ctx, client):
    event = f.event(capacity=3)
    staff = f.checkin_staff(event)
    f.registration(event)
    f.registration(event, f.visitor(email="wait@example.org"), status="waitlisted")
    login(client, staff, language="en")

    def full(response):
        return response.status_code == 200 and "The event is full" in response.get_data(as_text=True)

    assert full(walk_in(client, event, name="Gül"))  # people on the waiting list come first
    event.capacity = None
    db.session.commit()
    assert result_of(walk_in(client, event, name="Hassan")) == "checked_in"
    event.capacity = 4
    db.session.commit()
    assert full(walk_in(client, event, name="Ivan"))
    walk_ins = db.session.scalars(select(Registration).where(Registration.walk_in.is_(True))).all()
    assert [r.user.name for r in walk_ins] == ["Hassan"]
    assert db.session.scalar(select(func.count(User.id)).where(User.name.in_(["Gül", "Ivan"]))) == 0


# ---- counters ------------------------------------------------------------------------------


def test_live_counters_count_from_the_data(ctx, client, clock):
    org = f.organisation()
    event = f.event(org=org, timezone="Europe/Stockholm")
    staff = f.checkin_staff(event)
    regs = [f.registration(event) for _ in range(5)]
    at_ten_local(clock, event)
    f.registration(event, status="waitlisted")
    f.registration(event, status="cancelled")
    login(client, staff, language="en")
    for reg in regs[:3]:
        scan(client, event, ticket_token(reg), door="North")
    clock.advance(hours=1)
    scan(client, event, ticket_token(regs[3]), door="South")
    scan(client, event, ticket_token(regs[0]), door="South")
    scan(client, event, "forged", door="South")
    walk_in(client, event, name="Walk In")

    counts = services.door_counters(event)
    assert (counts.registered, counts.checked_in, counts.walk_ins, counts.waitlisted, counts.refused_scans) == (
        6,
        5,
        1,
        1,
        1,
    )
    assert sum(n for _, n in counts.per_hour) == 5
    assert dict(counts.per_door) == {"North": 3, "South": 1, "Main": 1}

    login(client, f.organiser(org), language="en")
    html = client.get(f"/organiser/events/{event.id}/counters").get_data(as_text=True)
    assert 'data-auto-refresh="15"' in html and "checkin.js" in html
    assert (
        'id="count-checked-in">5<' in html and 'id="count-walk-ins">1<' in html and 'id="count-registered">6<' in html
    )


def test_the_menu_names_each_role_from_one_statement(ctx, client):
    """My events (a co-organiser), My booths (any exhibitor's staff), the door and each approved
    booth's scanner at fairs not yet finished: read in one statement on every page."""
    from bazaar.events.models import EventStaff

    person = f.user(preferred_language="en")
    coming, finished = f.event(), f.event(status="finished", starts_in=-timedelta(days=30))
    for exhibitor in (f.exhibitor(coming, name="Vård AB"), f.exhibitor(coming, name="Bygg AB")):
        db.session.add(ExhibitorStaff(exhibitor_id=exhibitor.id, user_id=person.id, role="interviewer"))
    pending = f.exhibitor(coming, name="Applied AB", status="applied")
    db.session.add(ExhibitorStaff(exhibitor_id=pending.id, user_id=person.id, role="admin"))
    db.session.add(EventStaff(event_id=finished.id, user_id=person.id, role="coorganiser"))
    db.session.commit()
    login(client, person)
    client.get("/my")
    with counted_statements() as sent:
        page = client.get("/my").get_data(as_text=True)
    menu = page[page.index('aria-label="Main menu"') : page.index("</nav>")]
    assert "My events" in menu and "My booths" in menu
    assert "Booth scanner: Vård AB" in menu and "Booth scanner: Bygg AB" in menu and "Applied AB" not in menu
    assert "Door check-in" not in menu  # the fair they co-organised is over
    assert sum("exhibitor_staff" in s and "event_staff" in s for s in sent) == 1

    db.session.add(EventStaff(event_id=coming.id, user_id=person.id, role="checkin"))
    db.session.commit()
    assert "Door check-in" in client.get("/my").get_data(as_text=True)
    stranger = f.user()
    login(client, stranger)
    menu = client.get("/my").get_data(as_text=True)
    assert not any(word in menu for word in ("My booths", "Booth scanner", "Door check-in", "/organiser/events"))
