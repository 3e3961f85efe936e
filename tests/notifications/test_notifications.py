"""The outbox in one process: claiming, sending over real SMTP, retries, expiry, rendering."""

from datetime import timedelta
from email import policy
from email.parser import BytesParser
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from bazaar.booking.notifications import booking_changed
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.notifications import services
from bazaar.notifications.models import OutboxMessage
from tests import factories as f
from tests.support import counted_statements


def _rows(**filters):
    db.session.expire_all()
    q = select(OutboxMessage).order_by(OutboxMessage.id)
    for key, value in filters.items():
        q = q.where(getattr(OutboxMessage, key) == value)
    return db.session.scalars(q).all()


def _simple(person, **kw):
    """Queue a self-contained message (a survey invitation) to ``person``."""
    ev = kw.pop("event", None) or f.event(status="finished", starts_in=timedelta(days=-40))
    return services.queue(
        "survey_invitation", user=person, event=ev, payload={"days": 30, "token": "t", "registration_id": 0}, **kw
    )


def _booking(ev=None, lang="en", starts_in=timedelta(days=2), **visitor_kw):
    ev = ev or f.event(starts_in=starts_in, timezone="Europe/Stockholm")
    ex = f.exhibitor(ev, name="Acme Bygg AB", booth_number="B12")
    slot = f.slots_for(ex, count=1, minutes=15)[0]
    reg = f.registration(ev, f.visitor(preferred_language=lang, name="Amina Visitor", **visitor_kw))
    booking = f.booked(reg, slot)
    return ev, booking


def test_queued_message_is_sent_once_over_smtp(ctx, smtp):
    person = f.user(name="Amina", preferred_language="en")
    ev, booking = _booking()
    booking_changed(booking, "created")
    db.session.commit()
    assert services.dispatch_due_messages() == 1
    assert services.dispatch_due_messages() == 0
    [mail] = smtp.received()
    assert mail["To"] == booking.registration.user.email
    assert "Acme Bygg AB" in mail["Subject"]
    row = _rows(kind="booking_confirmed")[0]
    assert row.status == "sent" and row.sent_at is not None and row.attempts == 1
    assert mail["X-Bazaar-Message-Id"] == str(row.id)
    assert smtp.received(To=person.email) == []  # an unrelated user gets nothing


def test_confirmation_has_times_in_the_event_zone_html_and_ics(ctx, smtp):
    ev, booking = _booking()
    booking_changed(booking, "created")
    db.session.commit()
    services.dispatch_due_messages()
    [mail] = smtp.received()
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    local = booking.starts_at.astimezone(ZoneInfo("Europe/Stockholm"))
    zone = local.tzname()
    assert f"{local:%H:%M}" in text and zone in text  # English too: the 24-hour clock, the zone named
    assert "B12" in text and "Kulturhuset" in text and "Amina Visitor" in text
    assert "Acme Bygg AB" in html and "<html" in html
    [ics] = [part for part in mail.iter_attachments() if part.get_content_type() == "text/calendar"]
    cal = Calendar.from_ical(ics.get_content())
    vevent = next(iter(cal.walk("VEVENT")))
    assert vevent.decoded("DTSTART").astimezone(booking.starts_at.tzinfo) == booking.starts_at
    assert str(cal["METHOD"]) == "REQUEST"


def test_reminder_follows_the_booking(ctx, clock):
    ev, booking = _booking()
    booking_changed(booking, "created")
    db.session.commit()
    [reminder] = _rows(kind="interview_reminder")
    assert reminder.status == "pending"
    assert reminder.due_at == booking.starts_at - timedelta(minutes=ev.reminder_minutes_before)
    assert reminder.expires_at == booking.starts_at

    later = f.slots_for(booking.exhibitor, start=booking.starts_at + timedelta(hours=1), count=1)[0]
    booking.slot_id, booking.starts_at, booking.ends_at = later.id, later.starts_at, later.ends_at
    booking.sequence += 1
    booking_changed(booking, "rescheduled")
    db.session.commit()
    old, new = _rows(kind="interview_reminder")
    assert old.status == "cancelled"
    assert new.status == "pending" and new.due_at == later.starts_at - timedelta(minutes=60)
    assert [r.kind for r in _rows(kind="booking_changed")] == ["booking_changed"]

    booking.status, booking.sequence = "cancelled", booking.sequence + 1
    booking_changed(booking, "cancelled")
    db.session.commit()
    assert {r.status for r in _rows(kind="interview_reminder")} == {"cancelled"}
    assert len(_rows(kind="booking_cancelled")) == 1


def test_same_change_twice_writes_one_row(ctx):
    ev, booking = _booking()
    booking_changed(booking, "created")
    booking_changed(booking, "created")
    db.session.commit()
    assert len(_rows(kind="booking_confirmed")) == 1
    assert len(_rows(kind="interview_reminder")) == 1


def test_reminder_arrives_once_when_its_time_comes_and_is_skipped_when_late(ctx, smtp, clock):
    ev, booking = _booking(starts_in=timedelta(days=1))
    booking_changed(booking, "created")
    db.session.commit()
    services.dispatch_due_messages()
    assert [m["X-Bazaar-Message-Id"] for m in smtp.received()] == [str(_rows(kind="booking_confirmed")[0].id)]
    until_due = booking.starts_at - timedelta(minutes=60) - utcnow()
    clock.advance(seconds=until_due.total_seconds() - 60)
    assert services.dispatch_due_messages() == 0
    clock.advance(seconds=120)
    assert services.dispatch_due_messages() == 1
    assert services.dispatch_due_messages() == 0
    [reminder] = [m for m in smtp.received() if "Reminder" in m["Subject"]]
    assert "Bring your CV" in reminder.get_body(("plain",)).get_content()

    # A second booking whose reminder was never sent in time (the worker was down) is skipped.
    ev2, late = _booking(starts_in=timedelta(hours=3))
    booking_changed(late, "created")
    db.session.commit()
    clock.advance(hours=4)
    services.dispatch_due_messages()
    late_reminder = _rows(kind="interview_reminder", subject_id=late.id)[0]
    assert late_reminder.status == "skipped" and "expired" in late_reminder.last_error
    assert len([m for m in smtp.received() if "Reminder" in m["Subject"]]) == 1


def test_temporary_smtp_error_retries_with_backoff(ctx, smtp, clock):
    person = f.user(email="slow@example.org")
    _simple(person)
    db.session.commit()
    smtp.replies["slow@"] = "451 Try again later"
    services.dispatch_due_messages()
    [row] = _rows()
    assert row.status == "pending" and row.attempts == 1 and "451" in row.last_error
    assert row.due_at > utcnow() + timedelta(seconds=25)
    services.dispatch_due_messages()
    assert _rows()[0].attempts == 1  # not due again yet
    clock.advance(seconds=31)
    services.dispatch_due_messages()
    row = _rows()[0]
    assert row.attempts == 2 and row.due_at > utcnow() + timedelta(seconds=110)
    del smtp.replies["slow@"]
    clock.advance(minutes=3)
    services.dispatch_due_messages()
    assert _rows()[0].status == "sent"
    assert len(smtp.received(To="slow@example.org")) == 1


def test_permanent_smtp_error_fails_with_reason(ctx, smtp):
    person = f.user(email="nobody@example.org")
    _simple(person)
    db.session.commit()
    smtp.replies["nobody@"] = "550 No such user here"
    services.dispatch_due_messages()
    [row] = _rows()
    assert row.status == "failed" and "550" in row.last_error and "No such user" in row.last_error
    assert services.resend(row)
    assert _rows()[0].status == "pending"
    assert not services.resend(_rows()[0])  # only failed messages


def test_smtp_refusing_connections_then_accepting(ctx, smtp, clock):
    people = [f.user() for _ in range(3)]
    smtp.stop()
    for p in people:
        _simple(p)
    db.session.commit()
    services.dispatch_due_messages()
    rows = _rows()
    assert {r.status for r in rows} == {"pending"} and all("Connection" in r.last_error for r in rows)
    smtp.start()
    clock.advance(seconds=31)
    assert services.dispatch_due_messages() == 3
    assert sorted(smtp.ids()) == [r.id for r in rows]


def test_abandoned_claim_is_sent_after_the_lease(ctx, smtp, clock):
    people = [f.user() for _ in range(4)]
    for p in people:
        _simple(p)
    db.session.commit()
    token, ids = services.claim_due(limit=2)  # a worker claims two rows, then dies
    assert len(ids) == 2
    services.dispatch_due_messages()
    assert len(smtp.ids()) == 2 and not set(smtp.ids()) & set(ids)
    clock.advance(minutes=4)
    assert services.dispatch_due_messages() == 0
    clock.advance(minutes=2)
    assert services.dispatch_due_messages() == 2
    assert sorted(smtp.ids()) == [r.id for r in _rows()]
    assert {r.status for r in _rows()} == {"sent"}


def test_claimed_row_cannot_be_claimed_again(ctx):
    _simple(f.user())
    db.session.commit()
    row = _rows()[0]
    assert services.claim_one(row.id) is not None
    assert services.claim_one(row.id) is None
    assert services.claim_due()[1] == []


def test_future_message_is_not_claimed(ctx):
    _simple(f.user(), due_at=utcnow() + timedelta(minutes=5))
    db.session.commit()
    assert services.claim_one(_rows()[0].id) is None
    assert services.claim_due()[1] == []


class FakeGateway:
    """Stands in for an SMS gateway (the one thing that cannot run here)."""

    def __init__(self):
        self.sent = []

    def send(self, to, text):
        self.sent.append((to, text))


def test_sms_reminder_goes_through_the_gateway(app, ctx, smtp, clock):
    ev, booking = _booking(starts_in=timedelta(hours=2))
    booking.registration.user.profile.phone = "+46701234567"
    db.session.commit()
    booking_changed(booking, "created")
    db.session.commit()
    # Just past the reminders' due time, before the interview starts (a fixed step fails when the test
    # starts in the hour's last minute: the event starts on the hour and the reminder would have expired).
    due = max(r.due_at for r in _rows(kind="interview_reminder"))
    assert due < booking.slot.starts_at - timedelta(minutes=2)
    gateway = FakeGateway()
    app.extensions["sms_gateway"] = gateway
    try:
        clock.advance(seconds=(due - utcnow()).total_seconds() + 60)
        services.dispatch_due_messages()
    finally:
        del app.extensions["sms_gateway"]
    [(to, text)] = gateway.sent
    assert to == "+46701234567" and "Acme Bygg AB" in text and "B12" in text
    assert {r.channel: r.status for r in _rows(kind="interview_reminder")} == {"sms": "sent", "email": "sent"}


@pytest.mark.parametrize("lang", ["sv", "en", "ar", "fa", "so", "ti", "uk", "tr", "da"])
def test_every_booking_message_renders_in_every_language(ctx, lang):
    from bazaar.notifications.render import build_email, render

    ev, booking = _booking(lang=lang)
    booking_changed(booking, "created")
    booking.sequence += 1
    booking_changed(booking, "rescheduled")
    booking.status, booking.sequence = "cancelled", booking.sequence + 1
    booking_changed(booking, "cancelled")
    db.session.commit()
    for row in _rows():
        rendered = render(row)
        assert rendered.subject and "\n" not in rendered.subject
        if row.channel == "email":
            parsed = BytesParser(policy=policy.default).parsebytes(build_email(row, rendered).as_bytes())
            assert parsed["Subject"] == rendered.subject


def test_rows_not_reached_within_half_the_lease_are_released(ctx, smtp, monkeypatch):
    for _ in range(3):
        _simple(f.user())
    db.session.commit()
    monkeypatch.setattr(services, "CLAIM_LEASE", timedelta(0))  # as if SMTP were too slow for any row
    assert services.dispatch_due_messages(max_seconds=0.5) == 0
    rows = _rows()
    assert [r.status for r in rows] == ["pending"] * 3
    assert [r.attempts for r in rows] == [0, 0, 0] and {r.claim_token for r in rows} == {None}
    assert smtp.ids() == []
    monkeypatch.undo()
    assert services.dispatch_due_messages() == 3


def test_registration_confirmation_carries_the_qr_ticket(ctx, smtp):
    ev = f.event()
    reg = f.registration(ev, f.visitor(preferred_language="en"))
    waiting = f.registration(ev, f.visitor(preferred_language="en"), status="waitlisted")
    for r in (reg, waiting):
        services.queue(
            "registration_confirmed",
            user=r.user,
            event=ev,
            subject=r,
            payload={"status": r.status, "my_url": "http://127.0.0.1:5000/me"},
        )
    db.session.commit()
    assert services.dispatch_due_messages() == 2
    [ticket] = [
        p for p in smtp.received(To=reg.user.email)[0].iter_attachments() if p.get_content_type() == "image/png"
    ]
    assert ticket.get_content().startswith(b"\x89PNG")
    assert [p for p in smtp.received(To=waiting.user.email)[0].iter_attachments()] == []


def test_a_batch_of_reminders_costs_one_statement_per_message(ctx, smtp, clock):
    """Rows are claimed and loaded for the whole batch, the bookings their manage links read in
    one query; what each message costs is its own sent mark (kept per row: see the module docstring)."""
    ev = f.event(starts_in=timedelta(hours=2), hours=8)
    ex = f.exhibitor(ev)
    few, many = 3, 13
    batches = ((ev.starts_at, few), (ev.starts_at + timedelta(hours=3), many))
    for start, count in batches:
        for slot in f.slots_for(ex, start=start, count=count, minutes=2):
            booking_changed(f.booked(f.registration(ev), slot), "created")
    db.session.commit()
    assert services.dispatch_due_messages() == few + many  # the confirmations
    statements = []
    for start, count in batches:
        due = start + timedelta(minutes=2 * (count - 1) - ev.reminder_minutes_before)  # the batch's last one
        clock.advance(seconds=(due - utcnow()).total_seconds() + 60)
        with counted_statements() as sent:
            assert services.dispatch_due_messages() == count
        statements.append(len([s for s in sent if not s.startswith("BEGIN")]))  # SQLite's BEGIN IMMEDIATE
    ids = {str(row.id) for row in _rows(kind="interview_reminder", status="sent")}
    reminders = [m for m in smtp.received() if m["X-Bazaar-Message-Id"] in ids]
    assert len(ids) == len(reminders) == few + many
    assert all("/bookings/link/" in m.get_body(("plain",)).get_content() for m in reminders)
    assert statements[1] - statements[0] <= many - few  # one UPDATE (the sent mark) per row, nothing more
