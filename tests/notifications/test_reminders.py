"""Scheduled messages: day-before reminder, exhibitor digest, outcome nudge, survey invitations."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bazaar.booking.models import BookingChange, BookingStatus
from bazaar.booking.notifications import booking_changed
from bazaar.clock import utcnow
from bazaar.events.services import update_event
from bazaar.extensions import db
from bazaar.notifications import services
from bazaar.notifications.models import OutboxMessage
from bazaar.notifications.render import render
from bazaar.reminders.services import (
    day_before_due,
    morning_after_due,
    schedule_event_messages,
    survey_waves,
)
from bazaar.tokens import read_token
from tests import factories as f
from tests.support import counted_statements


def _rows(kind):
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)).all()


def _fair():
    """An event in three days with two visitors, one interview booked, one interviewer."""
    ev = f.event(
        starts_in=timedelta(days=3), local_hour=9, directions={"en": "Metro to T-Centralen, exit Sergels torg"}
    )
    ex = f.exhibitor(ev, name="Vård AB", booth_number="A7", tables=2)
    interviewer = f.exhibitor_staff(ex, role="interviewer", preferred_language="en")
    ex.tables[0].interviewer_id = interviewer.id
    admin = f.exhibitor_staff(ex, role="admin", preferred_language="en")
    db.session.commit()
    slots = f.slots_for(ex, count=2, minutes=15)
    first = f.registration(ev, f.visitor(name="Sara Booked", preferred_language="en"))
    second = f.registration(ev, f.visitor(name="Omar Free", preferred_language="sv"))
    f.registration(ev, f.visitor(), status="cancelled")
    booking = f.booked(first, slots[0])
    return ev, ex, interviewer, admin, first, second, booking


def _advance_to(clock, moment):
    clock.advance(seconds=(moment - utcnow()).total_seconds())


def test_day_before_reminder_and_digests_once_their_time_is_near(ctx, clock, smtp):
    ev, ex, interviewer, admin, first, second, booking = _fair()
    due = day_before_due(ev)
    local_due = due.astimezone(ZoneInfo(ev.timezone))
    assert local_due.hour == 10 and local_due.date() == ev.starts_at.astimezone(
        ZoneInfo(ev.timezone)
    ).date() - timedelta(days=1)
    assert schedule_event_messages() == 0
    _advance_to(clock, due - timedelta(minutes=5))
    written = schedule_event_messages()
    visitors, digests = _rows("event_day_before"), _rows("exhibitor_digest")
    assert written == len(visitors) + len(digests)
    assert sorted(r.user_id for r in visitors) == sorted([first.user_id, second.user_id])  # not the cancelled one
    assert {r.to_address for r in digests} == {interviewer.email, ex.contact_email}  # one per table
    assert schedule_event_messages() == 0  # idempotent
    assert services.dispatch_due_messages() == 0  # not due yet
    clock.advance(minutes=6)
    assert services.dispatch_due_messages() == 4
    mail = smtp.received(To=first.user.email)[0]
    text = mail.get_body(("plain",)).get_content()
    for expected in ("Vård AB", "A7", "Table 1", "Kulturhuset", "T-Centralen", "CV", "ID document"):
        assert expected in text
    assert ev.starts_at.astimezone(ZoneInfo(ev.timezone)).tzname() in text
    other = smtp.received(To=second.user.email)[0].get_body(("plain",)).get_content()
    assert "Vård AB" not in other  # Omar has no interviews; Swedish
    digest = smtp.received(To=interviewer.email)[0].get_body(("plain",)).get_content()
    assert "Sara Booked" in digest  # she consented to share her profile
    assert schedule_event_messages() == 0 and services.dispatch_due_messages() == 0


def test_digest_hides_names_of_visitors_who_did_not_consent(ctx, clock):
    ev, ex, interviewer, admin, first, second, booking = _fair()
    first.user.profile.consent_share_profile_at = None
    db.session.commit()
    _advance_to(clock, day_before_due(ev))
    schedule_event_messages()
    digest = next(r for r in _rows("exhibitor_digest") if r.to_address == interviewer.email)
    assert digest.payload["interviews"][0]["visitor"] == ""
    from bazaar.notifications.render import render

    assert "Sara" not in render(digest).text


def test_outcome_nudge_goes_to_admins_of_exhibitors_with_missing_outcomes(ctx, clock, smtp):
    ev, ex, interviewer, admin, first, second, booking = _fair()
    quiet = f.exhibitor(ev, name="Done AB")
    done_slot = f.slots_for(quiet, count=1, start=ev.starts_at + timedelta(hours=1))[0]
    f.booked(second, done_slot, outcome="hired", outcome_recorded_at=utcnow())
    due = morning_after_due(ev)
    assert due.astimezone(ZoneInfo(ev.timezone)).hour == 9
    _advance_to(clock, due)
    schedule_event_messages()
    [nudge] = _rows("outcome_nudge")
    assert nudge.to_address == admin.email and nudge.payload["missing"] == 1
    services.dispatch_due_messages()
    assert "1 interview" in smtp.received(To=admin.email)[0]["Subject"]
    booking.outcome, booking.outcome_recorded_at = "offer", utcnow()
    db.session.commit()
    assert schedule_event_messages() == 0


def test_survey_invitations_only_to_those_who_consented_and_came(ctx, clock, smtp):
    ev, ex, interviewer, admin, first, second, booking = _fair()
    first.user.profile.consent_followup_at = utcnow()
    first.checked_in_at = ev.starts_at
    second.user.profile.consent_followup_at = utcnow()  # consented, but a no-show: not invited
    db.session.commit()
    assert ev.followup_days == [30, 90]
    _advance_to(clock, dict(survey_waves(ev))[30])
    schedule_event_messages()
    [invite] = _rows("survey_invitation")
    assert invite.user_id == first.user_id and invite.payload["days"] == 30
    assert read_token("survey", invite.payload["token"]) == {"r": first.id}
    services.dispatch_due_messages()
    text = smtp.received(To=first.user.email)[0].get_body(("plain",)).get_content()
    assert "30 days" in text
    from flask import url_for

    try:
        url_for("stats.survey", token="x")
        has_survey_page = True
    except Exception:
        has_survey_page = False
    if has_survey_page:
        assert invite.payload["token"] in text
    _advance_to(clock, dict(survey_waves(ev))[90])
    schedule_event_messages()
    assert [r.payload["days"] for r in _rows("survey_invitation")] == [30, 90]
    assert schedule_event_messages() == 0


def test_changing_the_event_recomputes_reminders(ctx, clock):
    ev, ex, interviewer, admin, first, second, booking = _fair()
    booking_changed(booking, "created")
    db.session.commit()
    update_event(ev, reminder_minutes_before=30)
    reminders = _rows("interview_reminder")
    live = [r for r in reminders if r.status == "pending"]
    assert len(live) == 1 and live[0].due_at == booking.starts_at - timedelta(minutes=30)
    update_event(ev, reminder_minutes_before=60)
    live = [r for r in _rows("interview_reminder") if r.status == "pending"]
    assert len(live) == 1 and live[0].due_at == booking.starts_at - timedelta(minutes=60)
    assert len(_rows("interview_reminder")) == 2  # the first row came back rather than a third

    _advance_to(clock, day_before_due(ev))
    schedule_event_messages()
    before = _rows("event_day_before")
    assert {r.status for r in before} == {"pending"}
    update_event(ev, days=f.day_specs(ev, shift=timedelta(days=1)))
    after = _rows("event_day_before")
    assert len(after) == len(before) and {r.status for r in after} == {"cancelled"}  # new day not near yet
    _advance_to(clock, day_before_due(ev))
    schedule_event_messages()
    pending = [r for r in _rows("event_day_before") if r.status == "pending"]
    assert len(pending) == 2 and all(r.due_at == day_before_due(ev) for r in pending)


def test_the_interview_reminder_links_to_cancel_or_change_the_interview(ctx, app):
    """Written per booking or in SQL (the event's reminder time changed), the reminder email
    carries the booking's signed cancel and change links, made as it is rendered; they work."""
    ev, ex, interviewer, admin, first, second, booking = _fair()
    booking_changed(booking, BookingChange.CREATED)
    db.session.commit()
    per_booking = _rows("interview_reminder")
    update_event(ev, reminder_minutes_before=30)
    in_sql = [r for r in _rows("interview_reminder") if r.id not in {m.id for m in per_booking}]
    assert len(per_booking) == len(in_sql) == 1
    base = app.config["BASE_URL"]
    links = {}
    for row in per_booking + in_sql:
        assert "cancel_url" not in row.payload  # signed when rendered, never stored
        rendered = render(row)
        found = dict(
            (action, url)
            for url, action in re.findall(
                rf"({re.escape(base)}/bookings/link/[^\s/]+/(cancel|reschedule))", rendered.text
            )
        )
        assert set(found) == {"cancel", "reschedule"}
        assert all(f'href="{url}"' in rendered.html for url in found.values())
        links = found
    visitor = app.test_client()
    page = visitor.get(links["reschedule"][len(base) :])
    assert page.status_code == 200 and ex.name in page.get_data(as_text=True)
    assert visitor.post(links["cancel"][len(base) :]).status_code == 303
    db.session.refresh(booking)
    assert booking.status == BookingStatus.CANCELLED
    [row] = in_sql
    assert "/bookings/link/" not in render(row).text  # a cancelled interview has nothing to manage


def _busy_fair(bookings: int):
    """A fair with ``bookings`` upcoming bookings: half with their messages queued as the booking
    service does, half written in bulk without any (as the demo loader does); some visitors gave a
    phone number. Plus a walk-in, a cancelled and a past booking, which get no reminder."""

    ev = f.event(starts_in=timedelta(days=3), reminder_minutes_before=60)
    ex = f.exhibitor(ev, name="Hamn & Co", booth_number="B2", booth_location="Hall 1")
    slots = f.slots_for(ex, count=bookings + 3, minutes=10)
    made = []
    for i, slot in enumerate(slots):
        booking = f.booked(f.registration(ev), slot, walk_in=i == bookings)
        if i == bookings + 1:
            booking.status = "cancelled"
        if i == bookings + 2:
            booking.starts_at = utcnow() - timedelta(minutes=5)
        if i % 3 == 0:
            booking.registration.user.profile.phone = f"+4670{i:07d}"
        if i % 2 == 0:
            booking_changed(booking, "created")
        db.session.commit()
        made.append(booking)
    return ev, made[:bookings]


def _count_statements(action) -> int:
    with counted_statements() as sent:
        action()
    return len(sent)


def _reminder_state():
    db.session.expire_all()
    return sorted(
        (r.dedup_key, r.status, r.due_at, r.to_address, r.channel, r.language, r.expires_at)
        for r in _rows("interview_reminder")
    )


def test_changing_reminder_minutes_on_a_busy_event_is_set_based(ctx):
    """Issue 11.5: the statements issued do not grow with the bookings, and the outcome is the one
    the per-booking rule (``sync_interview_reminder``) gives."""
    from bazaar.booking.models import Booking
    from bazaar.booking.notifications import booking_payload
    from bazaar.reminders.services import sync_interview_reminder

    small, _ = _busy_fair(2)
    busy, bookings = _busy_fair(30)
    few = _count_statements(lambda: update_event(small, reminder_minutes_before=30))
    many = _count_statements(lambda: update_event(busy, reminder_minutes_before=30))
    assert many == few

    state = _reminder_state()
    pending = [r for r in _rows("interview_reminder") if r.status == "pending" and r.event_id == busy.id]
    phones = sum(1 for b in bookings if b.registration.user.profile.phone)
    assert len(pending) == len(bookings) + phones
    for row in pending:
        booking = db.session.get(Booking, row.subject_id)
        assert row.due_at == booking.starts_at - timedelta(minutes=30)
        assert row.payload == booking_payload(booking)
    for booking in db.session.scalars(select(Booking)):  # the per-booking rule finds nothing to change
        sync_interview_reminder(booking, db.session.get(type(busy), booking.event_id))
    db.session.commit()
    assert _reminder_state() == state

    update_event(busy, reminder_minutes_before=60)  # and back: the first rows come back
    again = [r for r in _rows("interview_reminder") if r.status == "pending" and r.event_id == busy.id]
    assert len(again) == len(pending)
    assert all(r.due_at == db.session.get(Booking, r.subject_id).starts_at - timedelta(minutes=60) for r in again)


def test_the_day_before_reminder_lists_an_interview_after_midnight_on_an_evening_fair(ctx, clock):
    ev = f.event(starts_in=timedelta(days=3), local_hour=18, hours=8)
    ex = f.exhibitor(ev, name="Night shift AB", tables=1)
    late = f.slots_for(ex, start=ev.starts_at + timedelta(hours=7), count=1, minutes=15)[0]
    assert late.starts_at.astimezone(ZoneInfo(ev.timezone)).hour == 1
    visitor = f.registration(ev, f.visitor(preferred_language="en"))
    booking = f.booked(visitor, late)
    _advance_to(clock, day_before_due(ev))
    schedule_event_messages()
    (reminder,) = _rows("event_day_before")
    assert [item["booking_id"] for item in reminder.payload["schedule"]] == [booking.id]
