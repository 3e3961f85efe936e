"""Taking an approved exhibitor off the fair: its coming bookings are cancelled once the organiser
agrees, each visitor is told in their language, reminders are cancelled, the waiting list closes."""

import time
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from bazaar.booking.models import Booking, CancelReason, Slot, WaitlistEntry
from bazaar.booking.services import book_slot
from bazaar.booking.waitlist import join_waitlist
from bazaar.clock import utcnow
from bazaar.exhibitors import services
from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from bazaar.reminders.notifications import REMINDER
from tests import factories as f
from tests.conftest import login, wait_for


def _fair(languages=("sv", "en", "ar")):
    """An approved exhibitor two days before the fair, one booking per visitor (each in its own
    language), and a visitor waiting for a free time held for them."""
    org = f.organisation()
    ev = f.event(org=org, starts_in=timedelta(days=2))
    ex = f.exhibitor(ev, name="Hamnbolaget", tables=2)
    admin = f.exhibitor_staff(ex, preferred_language="sv")
    slots = f.slots_for(ex, count=len(languages), minutes=15)
    bookings = []
    for lang, slot in zip(languages, slots):
        reg = f.registration(ev, f.visitor(preferred_language=lang, name=f"Visitor {lang}"))
        bookings.append(book_slot(reg, slot))
    waiting = f.registration(ev)
    free = db.session.scalars(select(Slot).where(Slot.exhibitor_id == ex.id).order_by(Slot.id)).all()[-1]
    free.held_for_registration_id, free.held_until = waiting.id, utcnow() + timedelta(minutes=20)
    db.session.commit()
    entry = join_waitlist(waiting, ex)
    return org, ev, ex, admin, bookings, entry


def _statuses(model, ids):
    rows = dict(db.session.execute(select(model.id, model.status).where(model.id.in_(ids))).all())
    db.session.rollback()
    return rows


def test_rejecting_asks_with_the_counts_then_cancels_and_tells_each_visitor(ctx):
    org, ev, ex, admin, bookings, entry = _fair()
    organiser = f.organiser(org)
    coming = [b.id for b in bookings]
    expected = services.WithdrawalImpact(bookings=len(coming), visitors=len({b.registration_id for b in bookings}))
    reminders = db.session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.kind == REMINDER, OutboxMessage.subject_id.in_(coming))
    ).all()
    assert len(reminders) == len(coming) and set(_statuses(OutboxMessage, reminders).values()) == {"pending"}

    with pytest.raises(services.BookingsAffected) as asked:
        services.decide_application(ex, "rejected", organiser)
    assert asked.value.impact == expected
    with pytest.raises(services.BookingsAffected):  # agreeing to a number that is no longer right
        services.decide_application(ex, "rejected", organiser, cancel_bookings=expected.bookings + 1)
    db.session.refresh(ex)
    assert ex.status == "approved" and set(_statuses(Booking, coming).values()) == {"confirmed"}

    services.decide_application(ex, "rejected", organiser, cancel_bookings=expected.bookings)
    assert ex.status == "rejected"
    assert set(_statuses(Booking, coming).values()) == {"cancelled"}
    assert {b.cancel_reason for b in db.session.scalars(select(Booking).where(Booking.id.in_(coming)))} == {
        CancelReason.EXHIBITOR_WITHDRAWN
    }
    assert set(_statuses(OutboxMessage, reminders).values()) == {"cancelled"}
    told = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "booking_cancelled")).all()
    assert sorted(m.user_id for m in told) == sorted(b.registration.user_id for b in bookings)
    assert {m.language for m in told} == {b.registration.user.preferred_language for b in bookings}
    assert _statuses(WaitlistEntry, [entry.id]) == {entry.id: "closed"}
    assert (
        db.session.scalar(select(Slot.id).where(Slot.exhibitor_id == ex.id, Slot.held_for_registration_id.isnot(None)))
        is None
    )
    [rejected] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "application_rejected"))
    assert rejected.user_id == admin.id
    assert services.withdrawal_impact(ex) == services.WithdrawalImpact(0, 0)


def test_interviews_already_started_stay_as_they_were(ctx):
    ev = f.event(starts_in=timedelta(hours=-1), hours=6)
    ex = f.exhibitor(ev)
    slots = f.slots_for(ex, count=2, minutes=15, gap=3 * 60)  # one at the start, one three hours later
    held = f.booked(f.registration(ev), slots[0], attendance="attended")
    later = f.booked(f.registration(ev), slots[1])
    assert services.withdrawal_impact(ex) == services.WithdrawalImpact(bookings=1, visitors=1)
    services.decide_application(ex, "rejected", f.organiser(), cancel_bookings=1)
    assert _statuses(Booking, [held.id, later.id]) == {held.id: "confirmed", later.id: "cancelled"}


def test_decisions_without_coming_bookings_need_no_confirmation(ctx):
    ev = f.event()
    ex = f.exhibitor(ev)
    services.decide_application(ex, "waitlisted", f.organiser())
    assert ex.status == "waitlisted"
    services.decide_application(ex, "approved", f.organiser())  # nothing to cancel on approval
    assert ex.status == "approved"


def test_the_page_shows_the_counts_and_the_organiser_confirms(ctx, client):
    org, ev, ex, admin, bookings, entry = _fair(languages=("sv", "en"))
    login(client, f.organiser(org))
    client.post("/language", data={"lang": "en"})
    url = f"/organiser/applications/{ex.id}"
    assert "2 coming interviews with 2 visitors" in client.get(url).get_data(as_text=True)

    page = client.post(url, data={"decision-decision": "rejected", "decision-message": "Sorry"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="confirm-cancellations"' in text and "cancels 2 coming interviews with 2 visitors" in text
    assert 'name="decision-cancel_bookings" type="hidden" value="2"' in text
    db.session.refresh(ex)
    assert ex.status == "approved"
    for bogus in ("abc", "-1", "99999999999"):
        assert (
            client.post(url, data={"decision-decision": "rejected", "decision-cancel_bookings": bogus}).status_code
            == 200
        )
    db.session.refresh(ex)
    assert ex.status == "approved"

    response = client.post(
        url, data={"decision-decision": "rejected", "decision-message": "Sorry", "decision-cancel_bookings": "2"}
    )
    assert response.status_code == 302
    db.session.refresh(ex)
    assert ex.status == "rejected"
    assert set(_statuses(Booking, [b.id for b in bookings]).values()) == {"cancelled"}


def _subject_start(lang: str) -> str:
    """The translated subject of a cancellation up to the employer's name."""
    with force_locale(lang):
        return gettext("Interview cancelled: %(employer)s, %(when)s", employer="\0", when="").split("\0")[0]


def test_each_visitor_gets_one_cancellation_through_a_real_worker_and_no_reminder(
    app, ctx, smtp, processes, tmp_path, clock
):
    from worker.tasks import dispatch_due

    org, ev, ex, admin, bookings, entry = _fair()
    visitors = {b.registration.user.email: b.registration.user.preferred_language for b in bookings}
    starts_at = min(b.starts_at for b in bookings)
    impact = services.withdrawal_impact(ex)
    services.decide_application(ex, "rejected", f.organiser(org), cancel_bookings=impact.bookings)
    db.session.rollback()  # hold no transaction while the worker writes (SQLite)
    processes.start_worker(tmp_path / "worker.log")

    with app.test_request_context():
        for address, lang in visitors.items():
            mail = smtp.wait_for(address, subject=_subject_start(lang))
            assert "Hamnbolaget" in str(mail["Subject"])
            with force_locale(lang):
                assert gettext("The employer no longer takes part in the fair.") in smtp.text(mail)
    clock.advance(seconds=(starts_at - timedelta(minutes=30) - utcnow()).total_seconds())
    dispatch_due.delay()
    wait_for(
        lambda: (
            set(_statuses(OutboxMessage, db.session.scalars(select(OutboxMessage.id)).all()).values())
            <= {"sent", "cancelled"}
        ),
        timeout=60,
        message="every due message handled",
    )
    time.sleep(2)
    for address in visitors:
        cancellations = [m for m in smtp.to(address) if str(m["Subject"]).startswith(_subject_start(visitors[address]))]
        assert len(cancellations) == 1
    reminder_ids = db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.kind == REMINDER)).all()
    db.session.rollback()
    assert reminder_ids and not set(reminder_ids) & set(smtp.ids())


@pytest.mark.postgresql_only
def test_a_booking_racing_the_decision_waits_for_it_and_is_refused(app, ctx):
    """The decision holds the exhibitor row locked until commit; a booking reads the status with a
    share lock, so it waits and then sees the exhibitor is gone instead of booking a stale approval."""
    import threading

    from sqlalchemy import text

    from bazaar.booking.errors import BookingError
    from bazaar.booking.services import book
    from bazaar.exhibitors.models import Exhibitor
    from bazaar.registrations.models import Registration

    ev = f.event(starts_in=timedelta(days=2))
    ex = f.exhibitor(ev)
    slot = f.slots_for(ex, count=1)[0]
    reg = f.registration(ev)
    ids = (reg.id, ex.id, slot.starts_at)
    db.session.rollback()
    outcome = []

    def visitor_books():
        with app.app_context():
            try:
                registration = db.session.get(Registration, ids[0])
                exhibitor = db.session.get(Exhibitor, ids[1])
                outcome.append(book(registration, exhibitor, ids[2]).id)
            except BookingError as exc:
                outcome.append(type(exc).__name__)
            finally:
                db.session.remove()

    with db.engine.connect() as decision:
        tx = decision.begin()
        decision.execute(text("SELECT id FROM exhibitor WHERE id = :id FOR UPDATE"), {"id": ex.id})
        booker = threading.Thread(target=visitor_books)
        booker.start()
        booker.join(timeout=1.5)
        assert booker.is_alive(), f"the booking did not wait for the decision: {outcome}"
        decision.execute(text("UPDATE exhibitor SET status = 'rejected' WHERE id = :id"), {"id": ex.id})
        tx.commit()
    booker.join(timeout=15)
    assert outcome == ["SlotUnavailable"]
    assert db.session.scalar(select(Booking.id).where(Booking.exhibitor_id == ex.id)) is None
