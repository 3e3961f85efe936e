"""A fair with many speed-dating talks and a few interviews: interviews held counts the interviews
only; talks, the talks that led to an interview and the hires after them are counted by the link
from the interview to its talk. Expected figures are worked out from the rows the test made."""

import random
from datetime import timedelta

from sqlalchemy import select

from bazaar.booking import errors, speeddating
from bazaar.booking.models import Attendance, Booking, Outcome, Slot, SlotFormat
from bazaar.exhibitors import services as exhibitor_services
from bazaar.extensions import db
from bazaar.stats.compile import compile_event
from tests import factories as f


def test_many_talks_and_a_few_interviews(ctx):
    rng = random.Random(14)
    event = f.event(max_bookings_per_visitor=6, hours=8)
    employers = [f.exhibitor(event, name=f"Employer {n}", tables=1) for n in range(3)]
    staff = {e.id: f.exhibitor_staff(e) for e in employers}
    for e in employers:
        f.slots_for(e, start=event.starts_at + timedelta(hours=4), count=6, minutes=15, format=SlotFormat.INTERVIEW)
    organiser = f.organiser(event.organisers[0].organisation)
    plan = speeddating.SessionPlan(event.starts_at + timedelta(hours=1), 5, 6, 4, "Rotation")
    session = speeddating.create_session(event, plan, employers, organiser, shared=True)
    people = [f.registration(event) for _ in range(16)]
    rounds = speeddating.rounds_of(session)
    talks = []
    for person in people:
        for r in rng.sample(rounds, 2):
            try:
                talks.append(speeddating.book_round(person, session, r.starts_at, actor=person.user))
            except errors.BookingError:  # a full round or an employer already met: the visitor skips it
                continue
    for talk in talks:
        exhibitor_services.record_interview(
            talk, staff[talk.exhibitor_id], rng.choice([Attendance.ATTENDED, Attendance.ATTENDED, Attendance.NO_SHOW])
        )
    held_talks = [t for t in talks if t.attendance == Attendance.ATTENDED]
    # a few talks are turned into interviews; some are held, one of them a hire
    followed = []
    one_each = list({t.registration_id: t for t in held_talks}.values())
    for talk in one_each[:5]:
        slot = speeddating.interview_times(talk)[0]
        followed.append(speeddating.book_interview_after_talk(talk, slot, staff[talk.exhibitor_id]))
    outcomes = [(Attendance.ATTENDED, Outcome.HIRED), (Attendance.ATTENDED, Outcome.NONE), (Attendance.NO_SHOW, None)]
    for interview, (attendance, outcome) in zip(followed, outcomes + outcomes):
        exhibitor_services.record_interview(
            interview, staff[interview.exhibitor_id], attendance, outcome, "permanent" if outcome else None
        )
    # and one interview booked by a visitor who had no talk
    walk_up = f.registration(event)
    f.interview(walk_up, employers[0])

    everything = db.session.scalars(select(Booking).where(Booking.event_id == event.id)).all()
    formats = dict(db.session.execute(select(Slot.id, Slot.format)).all())
    is_talk = [b for b in everything if b.slot_id and formats[b.slot_id] == SlotFormat.TALK]
    interviews_held = [b for b in everything if b not in is_talk and b.attendance == Attendance.ATTENDED]
    held_pairs = {(b.registration_id, b.exhibitor_id) for b in is_talk if b.attendance == Attendance.ATTENDED}
    talk_pair = {b.id: (b.registration_id, b.exhibitor_id) for b in is_talk}
    led = {talk_pair[b.from_talk_id] for b in interviews_held if b.from_talk_id}
    hired = {talk_pair[b.from_talk_id] for b in interviews_held if b.from_talk_id and b.outcome == Outcome.HIRED}

    h = compile_event(event.id)["headline"]
    assert len(is_talk) > 4 * len(interviews_held)  # many talks, a few interviews
    assert h["interviews_held"] == len(interviews_held)
    assert h["bookings_made"] == len(everything) - len(is_talk)
    assert h["talks_held"] == len(held_pairs)
    assert h["talks_to_interview"] == len(led) and 0 < len(led) < len(held_pairs)
    assert h["jobs_after_talks"] == len(hired) > 0
