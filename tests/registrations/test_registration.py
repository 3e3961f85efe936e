"""Event registration: the form, capacity, the waiting list and offers, organiser lists (groups: tests/coaching)."""

import csv
import io
import threading
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from bazaar.accounts.models import User
from bazaar.accounts.services import find_user_by_email
from bazaar.clock import utcnow
from bazaar.extensions import db, limiter
from bazaar.notifications.models import OutboxMessage
from bazaar.registrations import services
from bazaar.registrations.models import Registration
from tests import factories as f
from tests.support import login

pytestmark = pytest.mark.usefixtures("english")

FORM = {
    "name": "Dawit Haile",
    "email": "dawit@example.org",
    "password": "a long password 1",
    "preferred_language": "ti",
    "phone": "+46 70 123 45 67",
    "occupations": ["driver", "warehouse"],
    "languages": ["ti", "am", "sv"],
    "swedish_level": "basic",
    "employment_status": "unemployed",
    "consent_share_profile": "y",
}


def outbox(kind):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)).all()


def statuses(event):
    rows = db.session.execute(
        select(Registration.status, func.count()).where(Registration.event_id == event.id).group_by(Registration.status)
    ).all()
    return dict(rows)


def test_anonymous_visitor_registers_and_gets_account_ticket_and_email(ctx, client):
    event = f.event(capacity=100)
    page = client.get(f"/events/{event.slug}/register")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="password"' in html and "Statistics Sweden" in html
    assert "<script>" not in html and "style=" not in html  # CSP: no inline JS or CSS

    response = client.post(f"/events/{event.slug}/register", data=FORM)
    assert response.status_code == 302 and response.headers["Location"] == "/my"
    user = find_user_by_email("dawit@example.org")
    assert user.name == "Dawit Haile" and user.preferred_language == "ti" and user.password_hash
    assert user.profile.phone == "+46701234567" and user.profile.occupations == ["driver", "warehouse"]
    assert user.profile.consent_share_profile_at is not None and user.profile.consent_followup_at is None
    [reg] = db.session.scalars(select(Registration)).all()
    assert (reg.event_id, reg.user_id, reg.status) == (event.id, user.id, "registered")
    assert len(reg.ticket_code) >= 20 and services.TICKET_LINK.load(services.ticket_token(reg)).id == reg.id

    [confirmation] = outbox("registration_confirmed")
    assert (confirmation.to_address, confirmation.subject_type, confirmation.subject_id) == (
        "dawit@example.org",
        "registration",
        reg.id,
    )
    assert confirmation.payload["status"] == "registered" and confirmation.event_id == event.id
    assert len(outbox("verify_email")) == 1

    # logged in now, and My page shows the registration
    my = client.get("/my").get_data(as_text=True)
    assert event.name in my and "Cancel my registration" in my
    if "checkin.ticket" in client.application.view_functions:  # the check-in domain's ticket page
        from flask import url_for

        with client.application.test_request_context():
            assert url_for("checkin.ticket", registration_id=reg.id) in my
    # registering again just leads to My page
    assert client.get(f"/events/{event.slug}/register").headers["Location"] == "/my"
    assert client.post(f"/events/{event.slug}/register", data=FORM).status_code == 302
    assert db.session.scalar(select(func.count(Registration.id))) == 1


def test_existing_email_is_asked_to_log_in(ctx, client):
    event = f.event()
    f.user(email="dawit@example.org")
    response = client.post(f"/events/{event.slug}/register", data=FORM)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Please log in first" in html and "/login?next=" in html
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_logged_in_visitor_registers_with_profile_prefilled(ctx, client):
    event = f.event()
    visitor = f.visitor(name="Amina Hassan")
    visitor.profile.municipality = "Lund"
    db.session.commit()
    login(client, visitor)
    html = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert "Amina Hassan" in html and "Lund" in html and 'name="password"' not in html
    data = {k: v for k, v in FORM.items() if k not in ("email", "password")}
    data.update(name="Amina Hassan", municipality="Lund", consent_share_profile="")
    assert client.post(f"/events/{event.slug}/register", data=data).status_code == 302
    reg = db.session.scalar(select(Registration))
    assert reg.user_id == visitor.id and reg.registered_by_id is None
    db.session.expire_all()
    assert visitor.profile.consent_share_profile_at is None  # unticked: withdrawn


def test_registration_form_errors_never_500(ctx, client):
    event = f.event()
    cases = [
        {"name": ""},
        {"name": "x" * 500},
        {"email": "nope"},
        {"phone": "123"},
        {"occupations": ["x"]},
        {"preferred_language": "zz"},
        {"age_band": "<script>"},
        {"name": "A\x00B"},
        {"foreign_background": "born_abroad"},
    ]
    for bad in cases:
        limiter.reset()
        response = client.post(f"/events/{event.slug}/register", data={**FORM, **bad})
        assert response.status_code == 200, bad
        assert 'class="error"' in response.get_data(as_text=True), bad
    assert db.session.scalar(select(func.count(User.id))) == 0
    assert client.get("/events/no-such-fair/register").status_code == 404
    assert client.get("/events/" + "x" * 5000 + "/register").status_code == 404
    draft = f.event(status="draft")
    assert client.get(f"/events/{draft.slug}/register").status_code == 404


def test_closed_registration_is_refused(ctx, client):
    event = f.event(registration_closes_at=utcnow() - timedelta(hours=1))
    assert "not open" in client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    client.post(f"/events/{event.slug}/register", data=FORM)
    assert db.session.scalar(select(func.count(Registration.id))) == 0
    with pytest.raises(services.RegistrationClosed):
        services.register(event, f.visitor())


def test_full_event_waitlists_then_offers_freed_place(ctx, client):
    event = f.event(capacity=2)
    first, second = f.visitor(), f.visitor()
    assert services.register(event, first).status == "registered"
    assert services.register(event, second).status == "registered"
    # the form says it is full and offers the waiting list
    html = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert "Join the waiting list" in html
    client.post(f"/events/{event.slug}/register", data=FORM)
    waiting = db.session.scalar(select(Registration).where(Registration.status == "waitlisted"))
    assert waiting is not None and waiting.user.email == "dawit@example.org"
    assert outbox("registration_confirmed")[-1].payload["status"] == "waitlisted"
    later = services.register(event, f.visitor())
    assert later.status == "waitlisted"

    # the first visitor cancels from My page: the place goes to the first in line
    c = client.application.test_client()
    login(c, first)
    first_registration = db.session.scalar(select(Registration.id).where(Registration.user_id == first.id))
    assert c.post(f"/my/registrations/{first_registration}/cancel").status_code == 302
    db.session.expire_all()
    assert waiting.status == "offered" and later.status == "waitlisted"
    assert waiting.offer_expires_at is not None
    assert abs((waiting.offer_expires_at - utcnow()) - services.OFFER_HOLD) < timedelta(minutes=1)
    assert statuses(event) == {"cancelled": 1, "registered": 1, "offered": 1, "waitlisted": 1}
    [offer] = outbox("registration_offer")
    assert offer.to_address == "dawit@example.org" and offer.subject_id == waiting.id
    claim = urlsplit(offer.payload["claim_url"]).path

    # the link lands on a confirm page: following it changes nothing
    anon = client.application.test_client()
    page = anon.get(claim)
    assert page.status_code == 200 and 'method="post"' in page.get_data(as_text=True)
    db.session.expire_all()
    assert waiting.status == "offered"
    assert anon.post(claim, data={"answer": "accept"}).status_code == 302
    db.session.expire_all()
    assert waiting.status == "registered" and waiting.offer_expires_at is None
    confirmations = [m for m in outbox("registration_confirmed") if m.subject_id == waiting.id]
    assert [m.payload["status"] for m in confirmations] == ["waitlisted", "registered"]
    # a second claim finds nothing to claim
    assert anon.post(claim, data={"answer": "accept"}).status_code == 409
    assert anon.get("/registrations/offer/garbage").status_code == 400
    assert statuses(event) == {"cancelled": 1, "registered": 2, "waitlisted": 1}


def test_expired_offers_pass_on_and_declines_too(ctx, clock):
    event = f.event(capacity=1)
    holder, a, b, c = f.visitor(), f.visitor(), f.visitor(), f.visitor()
    reg = services.register(event, holder)
    ra, rb, rc = (services.register(event, v) for v in (a, b, c))
    services.cancel_registration(reg)
    db.session.expire_all()
    assert (ra.status, rb.status) == ("offered", "waitlisted")

    assert services.expire_offers() == 0  # not yet
    clock.advance(hours=49)
    assert services.expire_offers() == 1
    db.session.expire_all()
    assert (ra.status, rb.status, rc.status) == ("cancelled", "offered", "waitlisted")
    # a lapsed offer cannot be claimed any more
    with pytest.raises(services.OfferGone):
        services.claim_offer(ra)

    services.decline_offer(rb)
    db.session.expire_all()
    assert (rb.status, rc.status) == ("cancelled", "offered")
    assert [m.subject_id for m in outbox("registration_offer")] == [ra.id, rb.id, rc.id]
    assert statuses(event) == {"cancelled": 3, "offered": 1}


def test_beat_runs_expire_offers(app):
    from worker import BEAT_SCHEDULE
    from worker.tasks import expire_registration_offers

    entry = [e for e in BEAT_SCHEDULE.values() if e["task"] == expire_registration_offers.name]
    assert entry and entry[0]["schedule"] <= timedelta(minutes=5)


def test_raised_capacity_offers_places_to_those_waiting(ctx):
    event = f.event(capacity=1)
    services.register(event, f.visitor())
    waiting = services.register(event, f.visitor())
    assert waiting.status == "waitlisted"
    event.capacity = 2
    db.session.commit()
    services.expire_offers()
    db.session.expire_all()
    assert waiting.status == "offered"


def _register_in_thread(app, event_id, user_id, results):
    with app.app_context():
        from bazaar.events.models import Event

        try:
            reg = services.register(db.session.get(Event, event_id), db.session.get(User, user_id))
            results.append(reg.status)
        except Exception as exc:  # recorded and asserted on below
            results.append(repr(exc))
        finally:
            db.session.remove()


@pytest.mark.postgresql_only
def test_concurrent_registrations_never_exceed_capacity(app, ctx):
    capacity, people = 25, 80
    event = f.event(capacity=capacity)
    users = [f.user(email=f"race{i}@example.org") for i in range(people)]
    event_id, user_ids = event.id, [u.id for u in users]
    db.session.remove()
    results = []
    barrier = threading.Barrier(people)

    def run(uid):
        barrier.wait()
        _register_in_thread(app, event_id, uid, results)

    threads = [threading.Thread(target=run, args=(uid,)) for uid in user_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(set(results)) == ["registered", "waitlisted"], results
    assert results.count("registered") == capacity
    from bazaar.events.models import Event

    counts = statuses(db.session.get(Event, event_id))
    assert counts == {"registered": capacity, "waitlisted": people - capacity}
    assert len(outbox("registration_confirmed")) == people


@pytest.mark.postgresql_only
def test_concurrent_cancellations_and_registrations_keep_capacity(app, ctx):
    """Cancels (freeing places, offering them) racing new sign-ups: places held never exceed capacity."""
    capacity = 10
    event = f.event(capacity=capacity)
    holders = [services.register(event, f.visitor()) for _ in range(capacity)]
    newcomers = [f.user(email=f"new{i}@example.org") for i in range(30)]
    event_id = event.id
    holder_ids, newcomer_ids = [r.id for r in holders], [u.id for u in newcomers]
    db.session.remove()
    results = []

    def cancel(reg_id):
        with app.app_context():
            services.cancel_registration(db.session.get(Registration, reg_id))
            db.session.remove()

    threads = [threading.Thread(target=cancel, args=(rid,)) for rid in holder_ids[:5]]
    threads += [
        threading.Thread(target=_register_in_thread, args=(app, event_id, uid, results)) for uid in newcomer_ids
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    held = db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == event_id, Registration.status.in_(("registered", "offered"))
        )
    )
    assert held == capacity


def test_visitor_cannot_cancel_someone_elses_registration(ctx, client):
    event = f.event()
    mine, theirs = services.register(event, f.visitor()), services.register(event, f.visitor())
    login(client, mine.user)
    assert client.post(f"/my/registrations/{theirs.id}/cancel").status_code == 404
    assert client.post("/my/registrations/999999/cancel").status_code == 404
    assert client.post("/my/registrations/abc/cancel").status_code == 404
    assert client.get(f"/my/registrations/{mine.id}/cancel").status_code == 405
    db.session.expire_all()
    assert theirs.status == "registered"

    # once inside (or after the fair) a registration stays: it counts as attendance
    mine.checked_in_at = utcnow()
    db.session.commit()
    assert "no longer be cancelled" in client.post(
        f"/my/registrations/{mine.id}/cancel", follow_redirects=True
    ).get_data(as_text=True)
    db.session.expire_all()
    assert mine.status == "registered"
    past = f.event(starts_in=-timedelta(days=3))
    old = f.registration(past, mine.user)
    with pytest.raises(services.RegistrationError):
        services.cancel_registration(old)


# ---- organisers ----------------------------------------------------------------------------


def test_organiser_lists_searches_filters_and_exports(ctx, client):
    org = f.organisation()
    event = f.event(org=org, capacity=3)
    names = ["Fatima Ali", "Олена Коваленко", '=HYPERLINK("http://evil")', "Erik Nilsson"]
    regs = []
    for i, name in enumerate(names):
        visitor = f.visitor(name=name, email=f"v{i}@example.org")
        visitor.profile.foreign_background = "born_abroad"
        visitor.profile.foreign_background_definition = "scb_mis_2002_3"
        visitor.profile.consent_sensitive_at = utcnow()
        visitor.profile.phone = "+46701234567" if i else "-1+1"
        regs.append(services.register(event, visitor))
    regs[1].checked_in_at = utcnow()
    db.session.commit()
    login(client, f.organiser(org, preferred_language="en"))
    url = f"/organiser/events/{event.id}/registrations"

    html = client.get(url).get_data(as_text=True)
    assert all(name in html.replace("&#34;", '"') for name in names[:2] + names[3:])
    assert "Waiting list: 1" in html and "Places taken: 3" in html
    assert "born_abroad" not in html and "born outside" not in html

    html = client.get(url, query_string={"q": "Коваленко"}).get_data(as_text=True)
    assert "Олена Коваленко" in html and "Fatima Ali" not in html
    html = client.get(url, query_string={"q": "v0@EXAMPLE"}).get_data(as_text=True)
    assert "Fatima Ali" in html and "Erik Nilsson" not in html
    html = client.get(url, query_string={"status": "waitlisted"}).get_data(as_text=True)
    assert "Erik Nilsson" in html and "Fatima Ali" not in html
    html = client.get(url, query_string={"checked_in": "yes"}).get_data(as_text=True)
    assert "Коваленко" in html and "Fatima Ali" not in html
    # junk filters and pages never 500
    for junk in (
        {"status": "bogus"},
        {"page": "abc"},
        {"page": "99999"},
        {"q": "x" * 5000},
        {"q": "%_\\"},
        {"q": "a\x00b"},
    ):
        assert client.get(url, query_string=junk).status_code == 200, junk

    response = client.get(url + ".csv", query_string={"sep": "comma"})
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))
    assert rows[0][:2] == ["Name", "Email"]
    assert len(rows) == 5
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://evil")' in cells and "'-1+1" in cells
    assert not any(cell[:1] in "=+-@" for cell in cells if cell)
    assert "born_abroad" not in response.get_data(as_text=True)
    assert "Олена Коваленко" in cells  # unchanged
    filtered = list(
        csv.reader(
            io.StringIO(client.get(url + ".csv", query_string={"status": "waitlisted"}).get_data(as_text=True)),
            delimiter=";",
        )
    )
    assert [r[0] for r in filtered[1:]] == ["Erik Nilsson"]


def test_only_co_organisers_see_registrations(ctx, client):
    org = f.organisation()
    event = f.event(org=org)
    services.register(event, f.visitor(name="Secret Person"))
    url = f"/organiser/events/{event.id}/registrations"
    assert client.get(url).status_code == 302  # anonymous: to login
    for person in (f.organiser(), f.visitor(), f.exhibitor_staff(f.exhibitor(event)), f.checkin_staff(event)):
        c = client.application.test_client()
        login(c, person)
        assert c.get(url).status_code == 403
        assert c.get(url + ".csv").status_code == 403
    c = client.application.test_client()
    login(c, f.organiser(org))
    assert c.get("/organiser/events/999999/registrations").status_code == 404
    assert "Secret Person" in c.get(url).get_data(as_text=True)
