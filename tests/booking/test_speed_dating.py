"""Speed-dating sessions: an exhibitor's own and the organiser's shared one, rounds booked on the web
and at the door under the booking rules, talks logged with one tap and turned into booked interviews."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bazaar.booking import errors, services, speeddating
from bazaar.booking.models import Attendance, Booking, Slot, SlotFormat, SpeedDatingSession
from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from bazaar.registrations.services import ticket_token
from tests import factories as f
from tests.support import login

ROUNDS, SEATS, MINUTES = 4, 2, 5


@pytest.fixture
def fair(ctx):
    event = f.event(max_bookings_per_visitor=3, local_hour=10)  # its hours never cross midnight
    employer = f.exhibitor(event, name="Rounds AB", tables=1)
    admin = f.exhibitor_staff(employer, preferred_language="en")
    interviews = f.slots_for(employer, start=event.starts_at + timedelta(hours=2), count=4, minutes=15)
    return event, employer, admin, interviews


def _plan(event, **kw):
    values = {
        "starts_at": event.starts_at + timedelta(hours=1),
        "round_minutes": MINUTES,
        "rounds": ROUNDS,
        "seats": SEATS,
        "area": "Speed-dating corner",
    }
    values.update(kw)
    return speeddating.SessionPlan(**values)


def test_a_session_makes_rounds_of_talk_seats(fair):
    event, employer, admin, _ = fair
    session = speeddating.create_session(event, _plan(event), [employer], admin, shared=False)
    rounds = speeddating.rounds_of(session)
    assert [r.number for r in rounds] == list(range(1, ROUNDS + 1))
    assert all(r.seats == SEATS and r.free == SEATS for r in rounds)
    assert rounds[1].starts_at - rounds[0].starts_at == timedelta(minutes=MINUTES)
    seats = db.session.scalars(select(Slot).where(Slot.session_id == session.id)).all()
    assert len(seats) == ROUNDS * SEATS and {s.format for s in seats} == {SlotFormat.TALK}
    assert {s.table.name for s in seats} == {"Speed-dating corner"}
    # the same area at overlapping times is refused; outside the fair's hours too
    with pytest.raises(speeddating.SessionError, match="busy"):
        speeddating.create_session(event, _plan(event), [employer], admin, shared=False)
    with pytest.raises(speeddating.SessionError, match="outside event"):
        speeddating.create_session(event, _plan(event, starts_at=event.ends_at), [employer], admin, shared=False)


def test_a_round_holds_no_more_visitors_than_seats_and_the_rules_apply(fair):
    event, employer, admin, interviews = fair
    session = speeddating.create_session(event, _plan(event), [employer], admin, shared=False)
    first = speeddating.rounds_of(session)[0]
    people = [f.registration(event) for _ in range(SEATS + 1)]
    booked = [speeddating.book_round(p, session, first.starts_at, actor=p.user) for p in people[:SEATS]]
    assert len({b.slot_id for b in booked}) == SEATS and all(b.is_talk for b in booked)
    with pytest.raises(errors.SlotTaken):
        speeddating.book_round(people[-1], session, first.starts_at, actor=people[-1].user)
    assert speeddating.rounds_of(session)[0].free == 0
    # each talk is a booking like any other: confirmed in the outbox, counted in the cap
    kinds = db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.subject_id == booked[0].id)).all()
    assert "booking_confirmed" in kinds
    visitor = people[0]
    second = speeddating.rounds_of(session)[1]
    with pytest.raises(errors.AlreadyBookedExhibitor):  # one talk per employer when the fair says one of each
        speeddating.book_round(visitor, session, second.starts_at, actor=visitor.user)
    # an interview with the same employer is not a second talk; overlapping a talk it is refused
    overlap = Slot(
        event_id=event.id,
        exhibitor_id=employer.id,
        table_id=employer.tables[0].id,
        starts_at=first.starts_at,
        ends_at=first.ends_at,
        format=SlotFormat.INTERVIEW,
    )
    db.session.add(overlap)
    db.session.commit()
    with pytest.raises(errors.Overlap):
        speeddating.book_interview_after_talk(booked[0], overlap, admin)


def test_a_shared_session_seats_visitors_with_employers_they_have_not_met(fair):
    event, employer, admin, _ = fair
    other = f.exhibitor(event, name="Other AB", tables=0)
    organiser = f.organiser(event.organisers[0].organisation)
    session = speeddating.create_session(event, _plan(event, seats=1), [employer, other], organiser, shared=True)
    assert session.exhibitor_id is None
    assert [e.name for e in speeddating.participants(session)] == ["Other AB", "Rounds AB"]
    rounds = speeddating.rounds_of(session)
    assert rounds[0].seats == 2  # one seat per employer
    visitor = f.registration(event)
    met = [speeddating.book_round(visitor, session, r.starts_at, actor=visitor.user).exhibitor_id for r in rounds[:2]]
    assert sorted(met) == sorted([employer.id, other.id])  # the employers rotate past the visitor
    # a third round: both met, the fair allows one talk per employer
    with pytest.raises(errors.AlreadyBookedExhibitor):
        speeddating.book_round(visitor, session, rounds[2].starts_at, actor=visitor.user)


def test_a_talk_turned_into_an_interview_is_linked_and_confirmed(fair):
    event, employer, admin, interviews = fair
    session = speeddating.create_session(event, _plan(event), [employer], admin, shared=False)
    visitor = f.registration(event)
    talk = speeddating.book_round(visitor, session, speeddating.rounds_of(session)[0].starts_at, actor=visitor.user)
    times = speeddating.interview_times(talk)
    assert [s.starts_at for s in times] == [s.starts_at for s in interviews]  # no talk seats among them
    interview = speeddating.book_interview_after_talk(talk, times[0], admin)
    assert interview.from_talk_id == talk.id and not interview.is_talk
    db.session.refresh(talk)
    assert talk.attendance == Attendance.ATTENDED  # marked held by turning it into an interview
    kinds = db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.subject_id == interview.id)).all()
    assert "booking_confirmed" in kinds
    with pytest.raises(errors.NotChangeable):  # one interview per talk
        speeddating.book_interview_after_talk(talk, times[1], admin)
    missed = f.registration(event)
    no_show = speeddating.book_round(missed, session, speeddating.rounds_of(session)[1].starts_at, actor=missed.user)
    no_show.attendance = Attendance.NO_SHOW
    db.session.commit()
    with pytest.raises(errors.NotChangeable):
        speeddating.book_interview_after_talk(no_show, times[1], admin)


def test_exhibitor_creates_a_session_and_the_visitor_books_a_round_on_the_web(fair, client):
    event, employer, admin, _ = fair
    login(client, admin)
    client.post("/language", data={"lang": "en"})
    day = event.starts_at.date().isoformat()
    answer = client.post(
        f"/exhibitor/{employer.id}/speed-dating",
        data={"day": day, "start": "junk", "round_minutes": "5", "rounds": "3", "seats": "2", "area": "Corner"},
    )
    assert answer.status_code == 200 and "HH:MM" in answer.get_data(as_text=True)
    start = (event.starts_at + timedelta(hours=1)).astimezone(ZoneInfo(event.timezone))
    answer = client.post(
        f"/exhibitor/{employer.id}/speed-dating",
        data={
            "day": start.date().isoformat(),
            "start": start.strftime("%H:%M"),
            "round_minutes": "5",
            "rounds": "3",
            "seats": "2",
            "area": "Corner",
        },
    )
    assert answer.status_code == 303
    session = db.session.scalar(select(SpeedDatingSession).where(SpeedDatingSession.exhibitor_id == employer.id))
    assert session.rounds == 3 and session.seats == 2
    visitor = f.registration(event)
    login(client, visitor.user)
    page = client.get(f"/events/{event.slug}/speed-dating").get_data(as_text=True)
    assert f"/events/{event.slug}/speed-dating/{session.id}/book" in page
    first = speeddating.rounds_of(session)[0]
    booked = client.post(
        f"/events/{event.slug}/speed-dating/{session.id}/book", data={"starts_at": first.starts_at.isoformat()}
    )
    assert booked.status_code == 303
    assert db.session.scalar(select(func.count(Booking.id)).where(Booking.registration_id == visitor.id)) == 1
    again = client.post(
        f"/events/{event.slug}/speed-dating/{session.id}/book",
        data={"starts_at": speeddating.rounds_of(session)[1].starts_at.isoformat()},
    )
    assert again.status_code == 409 and 'role="alert"' in again.get_data(as_text=True)  # a second talk here
    junk = client.post(f"/events/{event.slug}/speed-dating/{session.id}/book", data={"starts_at": "yesterday"})
    assert junk.status_code == 302
    none = client.post(f"/events/{event.slug}/speed-dating/{session.id + 999}/book", data={"starts_at": "x"})
    assert none.status_code == 404


def test_door_staff_seat_a_walk_in_by_the_ticket_and_outsiders_cannot(fair, client):
    event, employer, admin, _ = fair
    session = speeddating.create_session(event, _plan(event, seats=1), [employer], admin, shared=False)
    door = f.checkin_staff(event, preferred_language="en")
    walk_in = f.registration(event, walk_in=True)
    url = f"/events/{event.id}/speed-dating/{session.id}/door"
    outsider = f.exhibitor_staff(f.exhibitor(event), preferred_language="en")
    login(client, outsider)
    assert client.get(url).status_code == 404
    login(client, door)
    assert url in client.get(f"/organiser/events/{event.id}/door/walk-in").get_data(as_text=True)
    first = speeddating.rounds_of(session)[0]
    assert client.post(url, data={"round": first.starts_at.isoformat(), "ticket": "forged"}).status_code == 422
    seated = client.post(url, data={"round": first.starts_at.isoformat(), "ticket": ticket_token(walk_in)})
    assert seated.status_code == 303
    talk = db.session.scalar(select(Booking).where(Booking.registration_id == walk_in.id))
    assert talk.is_talk and talk.booked_by_id == door.id
    # the round is full now: it is no longer offered, and a forced post is refused
    login(client, admin)  # the employer may seat walk-ins too
    assert client.get(url).status_code == 200
    late = f.registration(event)
    full = client.post(url, data={"round": first.starts_at.isoformat(), "ticket": ticket_token(late)})
    assert full.status_code == 422


def test_the_day_page_turns_a_talk_into_an_interview(fair, client):
    event, employer, admin, interviews = fair
    session = speeddating.create_session(event, _plan(event), [employer], admin, shared=False)
    visitor = f.registration(event)
    talk = speeddating.book_round(visitor, session, speeddating.rounds_of(session)[0].starts_at, actor=visitor.user)
    interviewer = f.exhibitor_staff(employer, role="interviewer", preferred_language="en")
    login(client, interviewer)
    day = client.get(f"/exhibitor/{employer.id}/day").get_data(as_text=True)
    url = f"/exhibitor/{employer.id}/talks/{talk.id}/interview"
    assert url in day
    assert "Next free time" in client.get(url).get_data(as_text=True)
    assert client.post(url, data={"slot_id": "junk"}).status_code == 409
    assert client.post(url, data={"slot_id": str(interviews[0].id)}).status_code == 303
    interview = db.session.scalar(select(Booking).where(Booking.from_talk_id == talk.id))
    assert interview.slot_id == interviews[0].id and interview.booked_by_id == interviewer.id
    # another employer's staff cannot reach the talk; a booked interview is not a talk
    stranger = f.exhibitor_staff(f.exhibitor(event), preferred_language="en")
    login(client, stranger)
    assert client.get(url).status_code in (403, 404)
    login(client, interviewer)
    assert client.get(f"/exhibitor/{employer.id}/talks/{interview.id}/interview").status_code == 404


def test_the_organiser_creates_a_shared_session_with_employers_taking_part(fair, client):
    event, employer, _, _ = fair
    other = f.exhibitor(event, name="Other AB", tables=0)
    pending = f.exhibitor(event, name="Pending AB", status="applied")
    login(client, f.organiser(event.organisers[0].organisation, preferred_language="en"))
    url = f"/organiser/events/{event.id}/speed-dating"
    start = (event.starts_at + timedelta(hours=1)).astimezone(ZoneInfo(event.timezone))
    data = {
        "day": start.date().isoformat(),
        "start": start.strftime("%H:%M"),
        "round_minutes": "5",
        "rounds": "3",
        "seats": "1",
        "area": "Hall B",
    }
    page = client.get(url).get_data(as_text=True)
    assert "Other AB" in page and "Pending AB" not in page  # only approved employers take part
    nobody = client.post(url, data=data)
    assert nobody.status_code == 200 and "Choose at least one approved employer" in nobody.get_data(as_text=True)
    junk = client.post(url, data={**data, "participants": ["x", str(pending.id)]})
    assert junk.status_code == 200
    made = client.post(url, data={**data, "participants": [str(employer.id), str(other.id)]})
    assert made.status_code == 303
    session = db.session.scalar(select(SpeedDatingSession).where(SpeedDatingSession.event_id == event.id))
    assert session.exhibitor_id is None
    assert {e.id for e in speeddating.participants(session)} == {employer.id, other.id}
    assert speeddating.rounds_of(session)[0].seats == 2
    # the employers see it among their sessions
    login(client, f.exhibitor_staff(other, preferred_language="en"))
    assert f'id="session-{session.id}"' in client.get(f"/exhibitor/{other.id}/speed-dating").get_data(as_text=True)


def test_an_interview_and_a_talk_with_one_employer_are_not_two_of_a_kind(fair):
    event, employer, admin, interviews = fair
    session = speeddating.create_session(event, _plan(event), [employer], admin, shared=False)
    visitor = f.registration(event)
    interview = services.book(visitor, employer, interviews[0].starts_at, actor=visitor.user)
    talk = speeddating.book_round(visitor, session, speeddating.rounds_of(session)[0].starts_at, actor=visitor.user)
    assert not interview.is_talk and talk.is_talk
    with pytest.raises(errors.AlreadyBookedExhibitor):  # a second interview is still refused
        services.book(visitor, employer, interviews[1].starts_at, actor=visitor.user)


def test_an_evening_fair_past_midnight_holds_talks_and_interviews_after_midnight(ctx):
    """A day from 18:00 to 01:30 local: a session at 00:10 is on that day, and so are the
    interview times after it, up to the day's close."""
    event = f.event(local_hour=18, hours=7, timezone="Europe/Stockholm")
    f.set_days(event, (event.starts_at, event.starts_at + timedelta(hours=7, minutes=30)))
    employer = f.exhibitor(event, name="Night shift AB", tables=1)
    admin = f.exhibitor_staff(employer, preferred_language="en")
    midnight = event.starts_at + timedelta(hours=6)  # 00:00 local the next date
    zone = ZoneInfo(event.timezone)
    assert midnight.astimezone(zone).hour == 0
    interviews = f.slots_for(employer, start=midnight + timedelta(minutes=40), count=2, minutes=15)
    plan = _plan(event, starts_at=midnight + timedelta(minutes=10), rounds=2)
    session = speeddating.create_session(event, plan, [employer], admin, shared=False)
    visitor = f.registration(event)
    talk = speeddating.book_round(visitor, session, session.starts_at, actor=visitor.user)
    assert [s.id for s in speeddating.interview_times(talk)] == [s.id for s in interviews]
    with pytest.raises(speeddating.SessionError, match="outside event"):  # past the day's close
        speeddating.create_session(
            event,
            _plan(event, starts_at=midnight + timedelta(minutes=85), area="Late"),
            [employer],
            admin,
            shared=False,
        )
