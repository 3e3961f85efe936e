"""Webhooks: what the organiser's system hears, signed, through the outbox, against a real HTTP
receiver on loopback (and a real Celery worker for the kick after commit)."""

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from bazaar.checkin import signals
from bazaar.checkin.services import check_in
from bazaar.exhibitors.services import record_interview
from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from bazaar.notifications.services import dispatch_due_messages
from bazaar.notifications.webhook import SIGNATURE_HEADER, verify
from bazaar.registrations.services import cancel_registration, register
from bazaar.webhooks import services as webhooks
from bazaar.webhooks.models import WebhookEndpoint
from tests import factories as f
from tests.support import login, wait_for


class Receiver:
    """An HTTP server that keeps every POST and answers with the next status in ``answers`` (then 200)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/bazaar"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def bodies(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def private_ok(app):
    """The receiver runs on loopback, which production refuses (tested below)."""
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    yield
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False


def _endpoint(event, url, topics=tuple(webhooks.TOPICS)) -> WebhookEndpoint:
    return webhooks.create_endpoint(event, url, list(topics), "Kommunens system", f.organiser())


def _deliveries() -> list[OutboxMessage]:
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.channel == "webhook").order_by(OutboxMessage.id)
    ).all()
    db.session.rollback()
    return rows


def _statuses() -> list[str]:
    """Read in a transaction that ends at once (on SQLite a held read blocks the worker's writes)."""
    try:
        return db.session.scalars(select(OutboxMessage.status).where(OutboxMessage.channel == "webhook")).all()
    finally:
        db.session.rollback()


def test_registration_arrival_and_outcome_reach_the_receiver_signed_and_without_personal_data(
    ctx, receiver, private_ok
):
    event = f.event(starts_in=timedelta(hours=-1))
    endpoint = _endpoint(event, receiver.url)
    visitor = f.visitor(name="Amina Yusuf", email="amina@example.org")
    reg = register(event, visitor)
    check_in(event, reg, f.checkin_staff(event), door="North")
    exhibitor = f.exhibitor(event)
    booking = f.interview(reg, exhibitor, attendance="unknown")
    record_interview(booking, f.exhibitor_staff(exhibitor), "attended", "hired", "permanent")

    dispatch_due_messages()
    topics = [r["headers"]["Bazaar-Event"] for r in receiver.requests]
    assert topics == ["registration.created", "visitor.checked_in", "interview.recorded"]
    for request in receiver.requests:
        assert verify(endpoint.secret, request["headers"][SIGNATURE_HEADER], request["body"])
        assert not verify("whsec_someone-else", request["headers"][SIGNATURE_HEADER], request["body"])
        assert request["headers"]["Content-Type"] == "application/json"
        assert request["path"] == "/hooks/bazaar"
        text = request["body"].decode()
        assert "Amina" not in text and "amina@example.org" not in text
    created, arrived, recorded = receiver.bodies()
    assert created["data"] == {"registration_id": reg.id, "change": "created", "status": "registered", "walk_in": False}
    assert created["event"] == {"id": event.id, "slug": event.slug}
    assert created["links"]["api"].endswith(f"/api/v1/events/{event.id}/registrations/{reg.id}")
    assert arrived["data"]["registration_id"] == reg.id and arrived["data"]["door"] == "North"
    assert recorded["data"]["outcome"] == "hired" and recorded["data"]["booking_id"] == booking.id
    assert [b["id"] for b in receiver.bodies()] == [r["headers"]["Bazaar-Delivery"] for r in receiver.requests]
    assert {d.status for d in _deliveries()} == {"sent"}


def test_a_second_scan_and_a_rolled_back_change_send_nothing_more(ctx, receiver, private_ok):
    event = f.event(starts_in=timedelta(hours=-1))
    _endpoint(event, receiver.url, ["visitor.checked_in"])
    reg = f.registration(event)
    staff = f.checkin_staff(event)
    check_in(event, reg, staff, door=None)
    check_in(event, reg, staff, door=None)  # already in: no new arrival
    other = f.registration(event)
    signals.checked_in.send(other, event=event, at=event.starts_at, door=None)
    db.session.rollback()  # the change that would have told it never happened
    assert len(_deliveries()) == 1


def test_only_the_chosen_topics_of_active_endpoints_of_that_event(ctx, receiver, private_ok):
    event, other_event = f.event(), f.event()
    _endpoint(event, receiver.url, ["registration.updated"])
    off = _endpoint(event, receiver.url + "/off")
    webhooks.update_endpoint(off, off.url, off.topics, "", active=False)
    _endpoint(other_event, receiver.url + "/other")
    reg = register(event, f.visitor())  # created: nobody active listens
    cancel_registration(reg)  # updated: the first endpoint does
    [delivery] = _deliveries()
    assert delivery.payload["topic"] == "registration.updated"
    assert delivery.payload["body"]["data"]["change"] == "cancelled"
    assert delivery.to_address == receiver.url


def test_a_receiver_that_fails_for_a_while_gets_the_same_delivery_again_freshly_signed(
    ctx, receiver, private_ok, clock
):
    event = f.event()
    endpoint = _endpoint(event, receiver.url)
    receiver.answers = [503, 429]
    register(event, f.visitor())
    dispatch_due_messages()
    [row] = _deliveries()
    assert row.status == "pending" and "503" in row.last_error and row.attempts == 1
    clock.advance(minutes=1)
    time.sleep(1.1)  # a new second for the signature's timestamp
    dispatch_due_messages()
    [row] = _deliveries()
    assert row.status == "pending" and "429" in row.last_error and row.attempts == 2
    clock.advance(minutes=3)
    dispatch_due_messages()
    assert len(receiver.requests) == 3
    deliveries = {r["headers"]["Bazaar-Delivery"] for r in receiver.requests}
    assert len(deliveries) == 1, "one delivery, tried three times"
    stamps = {r["headers"][SIGNATURE_HEADER].split(",")[0] for r in receiver.requests}
    assert len(stamps) >= 2, "each try is signed when it is sent"
    assert verify(endpoint.secret, receiver.requests[-1]["headers"][SIGNATURE_HEADER], receiver.requests[-1]["body"])
    [row] = _deliveries()
    assert row.status == "sent" and row.attempts == 3


def test_a_refusing_receiver_fails_the_delivery_and_the_organiser_sends_it_again(app, ctx, receiver, private_ok):
    event = f.event()
    endpoint = _endpoint(event, receiver.url)
    receiver.answers = [400]
    register(event, f.visitor())
    dispatch_due_messages()
    [row] = _deliveries()
    assert row.status == "failed" and row.last_error == "webhook: HTTP 400"

    client = app.test_client()
    login(client, _organiser_of(event))
    page = client.get(f"/organiser/events/{event.id}/webhooks/{endpoint.id}")
    assert page.status_code == 200 and b"webhook: HTTP 400" in page.data
    answer = client.post(f"/organiser/events/{event.id}/webhooks/{endpoint.id}/deliveries/{row.id}/resend")
    assert answer.status_code == 302
    dispatch_due_messages()
    assert _deliveries()[0].status == "sent"
    assert len(receiver.requests) == 2


def _organiser_of(event):
    return f.organiser(event.organisers[0].organisation)


def test_private_addresses_are_refused_unless_allowed(app, ctx, receiver):
    event = f.event()
    client = app.test_client()
    login(client, _organiser_of(event))
    answer = client.post(
        f"/organiser/events/{event.id}/webhooks", data={"url": receiver.url, "topics": ["registration.created"]}
    )
    assert answer.status_code == 200 and b"private address" in answer.data
    assert db.session.scalar(select(WebhookEndpoint.id)) is None
    # An endpoint whose name later points inside (or one saved while allowed) is refused when sent.
    _endpoint(event, receiver.url)
    register(event, f.visitor())
    dispatch_due_messages()
    [row] = _deliveries()
    assert row.status == "failed" and "private address" in row.last_error
    assert receiver.requests == []


def test_a_removed_or_switched_off_endpoint_skips_what_waits(ctx, receiver, private_ok):
    event = f.event()
    gone, off = _endpoint(event, receiver.url + "/gone"), _endpoint(event, receiver.url + "/off")
    register(event, f.visitor())
    webhooks.delete_endpoint(gone)
    webhooks.update_endpoint(off, off.url, off.topics, "", active=False)
    dispatch_due_messages()
    assert {d.status for d in _deliveries()} == {"skipped"}
    assert receiver.requests == []


def test_organiser_adds_a_webhook_pings_it_and_reads_the_log(app, ctx, receiver, private_ok):
    event = f.event()
    client = app.test_client()
    login(client, _organiser_of(event))
    answer = client.post(
        f"/organiser/events/{event.id}/webhooks",
        data={"url": receiver.url, "description": "Kommunens system", "topics": ["visitor.checked_in"]},
    )
    endpoint = db.session.scalar(select(WebhookEndpoint))
    assert answer.status_code == 302 and answer.location.endswith(f"/webhooks/{endpoint.id}")
    assert endpoint.topics == ["visitor.checked_in"] and endpoint.secret.startswith("whsec_")
    page = client.get(answer.location)
    assert endpoint.secret.encode() in page.data
    client.post(f"/organiser/events/{event.id}/webhooks/{endpoint.id}/ping")
    dispatch_due_messages()
    [ping] = receiver.requests
    assert ping["headers"]["Bazaar-Event"] == "ping"
    assert verify(endpoint.secret, ping["headers"][SIGNATURE_HEADER], ping["body"])
    page = client.get(f"/organiser/events/{event.id}/webhooks/{endpoint.id}")
    assert b"<code>ping</code>" in page.data and ping["headers"]["Bazaar-Delivery"].encode() in page.data

    old = endpoint.secret
    client.post(f"/organiser/events/{event.id}/webhooks/{endpoint.id}/secret")
    db.session.refresh(endpoint)
    assert endpoint.secret != old
    answer = client.post(f"/organiser/events/{event.id}/webhooks", data={"url": "ftp://x.example", "topics": []})
    assert answer.status_code == 200 and db.session.scalar(select(db.func.count(WebhookEndpoint.id))) == 1


def test_another_events_organiser_cannot_reach_an_endpoint(app, ctx):
    event, other = f.event(), f.event()
    endpoint = _endpoint(event, "https://hooks.example.org/bazaar")
    client = app.test_client()
    login(client, _organiser_of(other))
    for url in (
        f"/organiser/events/{event.id}/webhooks",
        f"/organiser/events/{event.id}/webhooks/{endpoint.id}",
        f"/organiser/events/{other.id}/webhooks/{endpoint.id}",
    ):
        assert client.get(url).status_code in (403, 404), url
    assert client.post(f"/organiser/events/{other.id}/webhooks/{endpoint.id}/delete").status_code == 404
    assert db.session.get(WebhookEndpoint, endpoint.id) is not None


def test_a_registration_reaches_the_receiver_through_a_real_worker(app, ctx, receiver, processes, tmp_path):
    processes.env["BAZAAR_WEBHOOK_ALLOW_PRIVATE"] = "1"
    processes.start_worker(tmp_path / "worker.log")
    event = f.event()
    _endpoint(event, receiver.url, ["registration.created"])
    reg = register(event, f.visitor())  # commits: the kick hands the delivery to the worker
    reg_id = reg.id
    db.session.rollback()
    wait_for(lambda: receiver.requests, timeout=60, message="the worker's delivery")
    assert receiver.bodies()[0]["data"]["registration_id"] == reg_id
    wait_for(lambda: _statuses() == ["sent"], timeout=30, message="the sent mark")
    assert len(receiver.requests) == 1
