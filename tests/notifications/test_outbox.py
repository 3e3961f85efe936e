"""The organisers' outbox page: counts, filters, resend, and who may see it."""

from sqlalchemy import select

from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from bazaar.notifications.services import queue
from tests import factories as f
from tests.support import login


def _outbox_event():
    org = f.organisation()
    ev = f.event(org=org)
    people = [f.user(email=f"person{i}@example.org") for i in range(4)]
    rows = [queue("survey_invitation", user=p, event=ev, payload={"days": 30, "token": "t"}) for p in people]
    db.session.flush()
    rows[1].status, rows[1].last_error = "failed", "550 No such user"
    rows[2].status = "sent"
    rows[3].status = "skipped"
    db.session.commit()
    return org, ev, rows


def test_organiser_sees_counts_and_filters(app, client, ctx):
    org, ev, rows = _outbox_event()
    login(client, f.organiser(org))
    page = client.get(f"/organiser/events/{ev.id}/outbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for name, count in (("due", 1), ("sent", 1), ("failed", 1), ("skipped", 1), ("cancelled", 0)):
        assert f'data-count="{name}">{count}<' in html
    failed = client.get(f"/organiser/events/{ev.id}/outbox?status=failed").get_data(as_text=True)
    assert "person1@example.org" in failed and "person2@example.org" not in failed
    assert "550 No such user" in failed
    by_address = client.get(f"/organiser/events/{ev.id}/outbox?q=PERSON3").get_data(as_text=True)
    assert "person3@example.org" in by_address and "person0@example.org" not in by_address
    manage = client.get(f"/organiser/events/{ev.id}").get_data(as_text=True)
    assert f"/organiser/events/{ev.id}/outbox" in manage


def test_junk_filters_never_break_the_page(app, client, ctx):
    org, ev, rows = _outbox_event()
    login(client, f.organiser(org))
    for query in (
        "status=nonsense",
        "kind=%00",
        "page=-5",
        "page=abc",
        "page=99999999999",
        "q=" + "x" * 5000,
        "status=failed&kind=survey_invitation&q=%25_",
    ):
        assert client.get(f"/organiser/events/{ev.id}/outbox?{query}").status_code == 200, query


def test_resend_puts_a_failed_message_back(app, client, ctx):
    org, ev, rows = _outbox_event()
    login(client, f.organiser(org))
    response = client.post(f"/organiser/events/{ev.id}/outbox/{rows[1].id}/resend")
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(OutboxMessage, rows[1].id)
    assert row.status == "pending" and row.attempts == 0
    # A sent message is not sent again, and GET changes nothing.
    client.post(f"/organiser/events/{ev.id}/outbox/{rows[2].id}/resend")
    assert client.get(f"/organiser/events/{ev.id}/outbox/{rows[2].id}/resend").status_code == 405
    db.session.expire_all()
    assert db.session.get(OutboxMessage, rows[2].id).status == "sent"


def test_others_cannot_see_or_resend(app, client, ctx):
    org, ev, rows = _outbox_event()
    other_org_event = f.event()
    stranger_row = queue("survey_invitation", user=f.user(), event=other_org_event, payload={"days": 30})
    db.session.commit()
    stranger_row.status = "failed"
    db.session.commit()
    assert client.get(f"/organiser/events/{ev.id}/outbox").status_code in (302, 401)
    for person in (f.organiser(), f.visitor(), f.exhibitor_staff(f.exhibitor(ev))):
        login(client, person)
        assert client.get(f"/organiser/events/{ev.id}/outbox").status_code == 403
        assert client.post(f"/organiser/events/{ev.id}/outbox/{rows[1].id}/resend").status_code == 403
    login(client, f.organiser(org))
    # Another event's message through this event's URL, and ids that do not exist.
    assert client.post(f"/organiser/events/{ev.id}/outbox/{stranger_row.id}/resend").status_code == 404
    assert client.post(f"/organiser/events/{ev.id}/outbox/999999/resend").status_code == 404
    assert client.get("/organiser/events/999999/outbox").status_code == 404
    db.session.expire_all()
    assert db.session.get(OutboxMessage, rows[1].id).status == "failed"
    assert db.session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == stranger_row.id)) == "failed"


def _failed_without_event():
    """A verification email the server refused for good: it belongs to no event."""
    person = f.user(email="refused@example.org")
    row = queue("verify_email", user=person, payload={"token": "t"})
    db.session.flush()
    row.status, row.last_error = "failed", "550 No such user"
    db.session.commit()
    return row


def test_site_operator_sees_and_resends_failed_mail_of_no_event(app, client, ctx):
    row = _failed_without_event()
    _, ev, event_rows = _outbox_event()
    operator = f.user(email="operator@example.org")
    result = app.test_cli_runner().invoke(args=["bazaar", "site-operator", "OPERATOR@example.org"])
    assert result.exit_code == 0, result.output
    login(client, operator)
    assert "/operator/failed-messages" in client.get("/").get_data(as_text=True)  # in the menu
    html = client.get("/operator/failed-messages").get_data(as_text=True)
    assert "refused@example.org" in html and "550 No such user" in html
    assert "person1@example.org" in html and ev.name in html  # an event's failed message too
    assert "person2@example.org" not in html  # sent, not failed
    response = client.post(f"/operator/failed-messages/{row.id}/resend")
    assert response.status_code == 302
    db.session.expire_all()
    assert (row.status, row.attempts) == ("pending", 0)
    assert client.post(f"/operator/failed-messages/{row.id}/resend").status_code == 302  # no longer failed
    assert db.session.get(OutboxMessage, row.id).status == "pending"
    assert client.post("/operator/failed-messages/2147483648/resend").status_code == 404


def test_only_site_operators_see_every_failed_message(app, client, ctx):
    row = _failed_without_event()
    org, _, _ = _outbox_event()
    former = f.user(email="former@example.org", is_site_operator=True)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["bazaar", "site-operator", "--revoke", former.email]).exit_code == 0
    assert runner.invoke(args=["bazaar", "site-operator", "nobody@example.org"]).exit_code != 0
    db.session.expire_all()
    for person in (f.organiser(org), former):
        login(client, person)
        assert client.get("/operator/failed-messages").status_code == 403
        assert "/operator/failed-messages" not in client.get("/").get_data(as_text=True)
        assert client.post(f"/operator/failed-messages/{row.id}/resend").status_code == 403
    assert db.session.get(OutboxMessage, row.id).status == "failed"


def test_pager_links_keep_the_filters_and_the_event(app, client, ctx):
    from bazaar.outbox.views import PAGE_SIZE

    org, ev, _ = _outbox_event()
    for i in range(PAGE_SIZE + 1):
        queue(
            "survey_invitation", user=f.user(email=f"many{i}@example.org"), event=ev, payload={"days": 30, "token": "t"}
        )
    db.session.commit()
    login(client, f.organiser(org, preferred_language="en"))
    first = client.get(f"/organiser/events/{ev.id}/outbox?kind=survey_invitation&bogus=1").get_data(as_text=True)
    assert "Page 1 of 2" in first
    assert f'href="/organiser/events/{ev.id}/outbox?page=2&amp;kind=survey_invitation"' in first
    assert "Previous" not in first
    second = client.get(f"/organiser/events/{ev.id}/outbox?kind=survey_invitation&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second and "Next" not in second
    assert f'href="/organiser/events/{ev.id}/outbox?page=1&amp;kind=survey_invitation"' in second


def test_organiser_reads_a_message_as_sent_without_the_recipients_links(app, client, ctx):
    from bazaar.booking.notifications import manage_url
    from bazaar.booking.services import book_slot

    org = f.organisation()
    ev = f.event(org=org)
    ex = f.exhibitor(ev, name="Hamnbolaget", booth_number="C3")
    reg = f.registration(ev, f.visitor(preferred_language="en", name="Lina"))
    booking = book_slot(reg, f.slots_for(ex, count=1)[0])
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "booking_confirmed"))
    cancel_link = manage_url(booking, "cancel")
    token = cancel_link.rsplit("/", 2)[-2]
    login(client, f.organiser(org, preferred_language="en"))
    outbox = client.get(f"/organiser/events/{ev.id}/outbox").text
    assert f"/organiser/events/{ev.id}/outbox/{message.id}" in outbox
    page = client.get(f"/organiser/events/{ev.id}/outbox/{message.id}")
    assert page.status_code == 200
    assert "Hamnbolaget" in page.text and "C3" in page.text and "Lina" in page.text
    assert token not in page.text, "the visitor's cancel link must not reach staff"
    assert "[personal link removed]" in page.text
    assert "srcdoc=" in page.text and 'sandbox=""' in page.text
    assert "booking.ics" in page.text or ".ics" in page.text

    outsider = app.test_client()
    login(outsider, f.organiser(f.organisation()))
    assert outsider.get(f"/organiser/events/{ev.id}/outbox/{message.id}").status_code in (403, 404)
    other_event = f.event(org=org)
    assert client.get(f"/organiser/events/{other_event.id}/outbox/{message.id}").status_code == 404


def test_a_webhook_delivery_shows_its_body_and_a_broken_message_says_why(client, ctx):
    org = f.organisation()
    ev = f.event(org=org)
    hook = queue(
        "webhook",
        to_address="https://hooks.example.org/x",
        event=ev,
        channel="webhook",
        payload={"endpoint_id": 1, "topic": "ping", "delivery": "d1", "body": {"topic": "ping", "data": {"n": 7}}},
    )
    broken = queue("no_such_kind", user=f.user(), event=ev)  # no template: cannot render
    db.session.commit()
    login(client, f.organiser(org))
    page = client.get(f"/organiser/events/{ev.id}/outbox/{hook.id}").text
    assert "&#34;topic&#34;: &#34;ping&#34;" in page or "&quot;topic&quot;: &quot;ping&quot;" in page
    answer = client.get(f"/organiser/events/{ev.id}/outbox/{broken.id}")
    assert answer.status_code == 200 and "data-render-error" in answer.text and "no_such_kind" in answer.text
