"""Fairs of one or more days: the organiser's form, the pages and emails that name the days, slots
per day, moving a day with its slots and bookings, reminders before each day, the door per day and
the statistics per day."""

import io
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from openpyxl import load_workbook
from sqlalchemy import select

from bazaar import create_app
from bazaar.booking import services as booking
from bazaar.booking.models import Booking, Slot, SlotStatus
from bazaar.checkin import services as checkin
from bazaar.checkin.models import ScanResult
from bazaar.clock import utcnow
from bazaar.events import services
from bazaar.events.models import Event, EventDay
from bazaar.exhibitors import schedule
from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from bazaar.reminders.services import day_before_due, schedule_event_messages
from bazaar.stats import services as stats_services
from bazaar.stats.compile import compile_event
from config import Config
from tests import factories as f
from tests.events.test_events import FORM
from tests.platform.test_migrations import _fresh_database
from tests.support import ROOT, login

pytestmark = pytest.mark.usefixtures("english")

ZONE = "Europe/Stockholm"
TWO_DAYS = {
    **FORM,
    "days-0-date": "2027-03-10",
    "days-0-opens": "10:00",
    "days-0-closes": "16:00",
    "days-1-date": "2027-03-11",
    "days-1-opens": "09:00",
    "days-1-closes": "15:00",
    "days-1-note": "Hall B",
}


def _local(moment, ev):
    return moment.astimezone(ZoneInfo(ev.timezone))


def _rows(kind):
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def _digests():
    return _rows("exhibitor_digest")


def _advance_to(clock, moment):
    clock.advance(seconds=(moment - utcnow()).total_seconds())


def test_organiser_makes_a_two_day_fair_with_the_form(ctx, client):
    login(client, f.organiser())
    page = client.get("/organiser/events/new").get_data(as_text=True)
    assert 'name="days-0-date"' in page and 'name="days-1-date"' not in page
    more = client.post("/organiser/events/new", data={**FORM, "add_day": "1"})
    assert more.status_code == 200 and 'name="days-1-date"' in more.get_data(as_text=True)
    assert db.session.scalar(select(Event)) is None  # adding a row saves nothing

    assert client.post("/organiser/events/new", data=TWO_DAYS).status_code == 302
    event = db.session.scalar(select(Event))
    assert [
        (d.date.isoformat(), _local(d.opens_at, event).hour, _local(d.closes_at, event).hour) for d in event.days
    ] == [
        ("2027-03-10", 10, 16),
        ("2027-03-11", 9, 15),
    ]
    assert event.days[1].note == "Hall B"
    assert (event.starts_at, event.ends_at) == (event.days[0].opens_at, event.days[1].closes_at)
    event.status = "published"
    db.session.commit()
    shown = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "Wednesday, March 10, 2027" in shown and "Thursday, March 11, 2027" in shown
    assert "10:00–16:00 CET" in shown and "09:00–15:00 CET" in shown and "Hall B" in shown

    edit = client.get(f"/organiser/events/{event.id}/edit").get_data(as_text=True)
    assert 'value="2027-03-11"' in edit and 'name="days-1-remove"' in edit
    removed = {**TWO_DAYS, "days-0-id": event.days[0].id, "days-1-id": event.days[1].id, "days-1-remove": "y"}
    assert client.post(f"/organiser/events/{event.id}/edit", data=removed).status_code == 302
    db.session.expire_all()
    assert [d.date.isoformat() for d in db.session.get(Event, event.id).days] == ["2027-03-10"]


def test_the_form_refuses_bad_days_with_a_message(ctx, client):
    login(client, f.organiser())
    for bad in (
        {"days-1-date": "2027-03-10"},  # the same date twice
        {"days-1-closes": "08:00"},  # closes before it opens
        {"days-1-opens": "9 o'clock"},
        {"days-0-remove": "y", "days-1-remove": "y"},  # no day left
    ):
        response = client.post("/organiser/events/new", data={**TWO_DAYS, **bad})
        assert response.status_code == 200 and "Please correct" in response.get_data(as_text=True)
    assert db.session.scalar(select(Event)) is None


def test_slots_are_made_per_chosen_day_within_its_hours(ctx, client):
    ev = f.two_day_event()
    ex = f.exhibitor(ev, tables=1)
    table = ex.tables[0]
    login(client, f.exhibitor_staff(ex))
    first, second = ev.days
    page = client.get(f"/exhibitor/{ex.id}/tables/{table.id}/generate").get_data(as_text=True)
    assert page.count('name="day"') == 2
    opens = _local(second.opens_at, ev).strftime("%H:%M")
    plan = {"start": opens, "end": (_local(second.opens_at, ev) + timedelta(hours=1)).strftime("%H:%M"), "length": "15"}
    plan |= {"format": "jobbdating", "gap": "0", "opening_id": ""}
    both = {**plan, "day": [first.date.isoformat(), second.date.isoformat()]}
    assert client.post(f"/exhibitor/{ex.id}/tables/{table.id}/generate", data=both).status_code == 302
    slots = schedule.table_slots(table)
    assert {_local(s.starts_at, ev).date() for s, _b in slots} == {first.date, second.date}
    assert all(
        d.opens_at <= s.starts_at and s.ends_at <= d.closes_at
        for s, _b in slots
        for d in ev.days
        if d.date == _local(s.starts_at, ev).date()
    )
    # before day 1 opens is outside the fair: nothing made on either day
    early = {**both, "start": (_local(first.opens_at, ev) - timedelta(hours=1)).strftime("%H:%M")}
    before = len(slots)
    response = client.post(f"/exhibitor/{ex.id}/tables/{table.id}/generate", data=early)
    assert response.status_code == 200 and "opening hours" in response.get_data(as_text=True)
    assert len(schedule.table_slots(table)) == before


def test_moving_a_day_moves_its_slots_and_tells_the_visitors(ctx, client):
    ev = f.two_day_event()
    ex = f.exhibitor(ev, tables=1)
    second = ev.days[1]
    day2 = f.slots_for(ex, start=second.opens_at + timedelta(minutes=30), count=3)
    day1 = f.slots_for(ex, start=ev.days[0].opens_at, count=2)
    reg = f.registration(ev)
    booked = booking.book(reg, ex, day2[0].starts_at)
    offset = booked.starts_at - second.opens_at
    sequence = booked.sequence
    login(client, f.organiser(ev.organisers[0].organisation))
    form = client.get(f"/organiser/events/{ev.id}/edit").get_data(as_text=True)
    assert 'name="days-1-id"' in form
    data = {**TWO_DAYS}
    for i, day in enumerate(ev.days):
        local = _local(day.opens_at, ev)
        data |= {f"days-{i}-id": day.id, f"days-{i}-date": day.date.isoformat(), f"days-{i}-note": ""}
        data |= {
            f"days-{i}-opens": local.strftime("%H:%M"),
            f"days-{i}-closes": _local(day.closes_at, ev).strftime("%H:%M"),
        }
    later = second.date + timedelta(days=1)  # the second day moves a day on, opening an hour later
    new_open = (_local(second.opens_at, ev) + timedelta(hours=1)).time()
    data |= {"days-1-date": later.isoformat(), "days-1-opens": new_open.strftime("%H:%M"), "days-1-closes": "23:00"}
    first_times = [s.starts_at for s in day1]
    assert client.post(f"/organiser/events/{ev.id}/edit", data=data).status_code == 302

    db.session.expire_all()
    ev = db.session.get(Event, ev.id)
    moved = db.session.get(Booking, booked.id)
    assert moved.starts_at - ev.days[1].opens_at == offset  # same offset from the day's opening
    assert _local(moved.starts_at, ev).date() == later and moved.sequence == sequence + 1 and moved.is_live
    assert db.session.get(Slot, moved.slot_id).starts_at == moved.starts_at
    assert [db.session.get(Slot, s.id).starts_at for s in day1] == first_times  # day 1 untouched
    [changed] = [m for m in _rows("booking_changed") if m.subject_id == moved.id]
    assert changed.payload["starts_at"] == moved.starts_at.isoformat() and changed.payload["sequence"] == moved.sequence
    assert ev.ends_at == ev.days[1].closes_at
    reminders = [m for m in _rows("interview_reminder") if m.status == "pending" and m.subject_id == moved.id]
    assert reminders and all(m.due_at < moved.starts_at for m in reminders)


def test_a_change_that_would_strand_a_booking_is_refused_naming_it(ctx, client):
    ev = f.two_day_event()
    ex = f.exhibitor(ev, name="Byggkompaniet AB", tables=1)
    second = ev.days[1]
    late = f.slots_for(ex, start=second.closes_at - timedelta(minutes=20), count=2)
    free = f.slots_for(ex, start=second.opens_at, count=1)
    reg = f.registration(ev)
    booked = booking.book(reg, ex, late[0].starts_at)
    shorter = f.day_specs(ev)
    shorter[1] = services.DaySpec(second.date, _local(second.opens_at, ev).time(), time(12, 0), id=second.id)
    with pytest.raises(services.SlotsInTheWay) as refused:
        services.update_event(ev, days=shorter)
    assert [b.id for b in refused.value.bookings] == [booked.id]
    db.session.expire_all()
    ev = db.session.get(Event, ev.id)
    assert ev.days[1].closes_at == second.closes_at  # nothing changed

    login(client, f.organiser(ev.organisers[0].organisation))
    data = {**TWO_DAYS, "days-0-id": ev.days[0].id, "days-1-id": ev.days[1].id, "days-1-remove": "y"}
    data |= {"days-0-date": ev.days[0].date.isoformat()}
    response = client.post(f"/organiser/events/{ev.id}/edit", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Nothing was saved" in html and "Byggkompaniet AB" in html
    db.session.expire_all()
    assert len(db.session.get(Event, ev.id).days) == 2

    booking.cancel_booking(db.session.get(Booking, booked.id))
    services.update_event(db.session.get(Event, ev.id), days=f.day_specs(db.session.get(Event, ev.id))[:1])
    db.session.expire_all()
    gone = [db.session.get(Slot, s.id).status for s in late + free]
    assert gone == [SlotStatus.REMOVED] * 3  # the day went: its free slots with it


def test_a_day_before_reminder_before_each_day_the_visitor_has_something_on(ctx, clock):
    ev = f.two_day_event(starts_in=timedelta(days=3))
    ex, other = f.exhibitor(ev), f.exhibitor(ev)
    first, second = ev.days
    s1 = f.slots_for(ex, start=first.opens_at, count=2)
    s2 = f.slots_for(ex, start=second.opens_at, count=2)
    f.slots_for(other, start=second.opens_at, count=1)
    both, only_second, none = (f.registration(ev) for _ in range(3))
    booking.book(both, ex, s1[0].starts_at)
    booking.book(both, other, s2[0].starts_at)
    booking.book(only_second, ex, s2[1].starts_at)

    _advance_to(clock, day_before_due(ev, first))
    schedule_event_messages()
    day1 = {m.subject_id: m for m in _rows("event_day_before")}
    assert set(day1) == {both.id, none.id}
    assert day1[both.id].payload["day"] == first.date.isoformat() and len(day1[both.id].payload["schedule"]) == 1
    assert day1[both.id].expires_at == first.opens_at
    digests = {
        (m.payload["exhibitor_id"], m.payload["day"]): len(m.payload["interviews"]) for m in _rows("exhibitor_digest")
    }
    assert digests == {(ex.id, first.date.isoformat()): 1, (other.id, first.date.isoformat()): 0}

    _advance_to(clock, day_before_due(ev, second))
    schedule_event_messages()
    day2 = [m for m in _rows("event_day_before") if m.payload["day"] == second.date.isoformat()]
    assert {m.subject_id for m in day2} == {both.id, only_second.id}
    assert all(m.due_at == day_before_due(ev, second) for m in day2)
    digests = {
        (m.payload["exhibitor_id"], m.payload["day"]): len(m.payload["interviews"]) for m in _rows("exhibitor_digest")
    }
    assert digests[(ex.id, second.date.isoformat())] == digests[(other.id, second.date.isoformat())] == 1
    assert schedule_event_messages() == 0  # each written once


def test_the_door_checks_in_once_a_day_and_the_figures_count_each_day(ctx, clock):
    ev = f.two_day_event(starts_in=timedelta(hours=1))
    staff = f.checkin_staff(ev)
    ex = f.exhibitor(ev)
    first, second = ev.days
    regular, once, second_only = (f.registration(ev) for _ in range(3))
    interviews = [(regular, first), (regular, second), (second_only, second)]
    _advance_to(clock, first.opens_at + timedelta(minutes=5))
    for reg in (regular, once):
        assert checkin.check_in(ev, reg, staff, "A").result == ScanResult.CHECKED_IN
    assert checkin.check_in(ev, regular, staff, "B").result == ScanResult.ALREADY
    assert checkin.door_tally(ev).checked_in_today == 2
    first_in = db.session.get(type(regular), regular.id).checked_in_at

    _advance_to(clock, second.opens_at + timedelta(minutes=5))
    assert checkin.door_tally(ev).checked_in_today == 0  # a new day: nobody is in yet
    listed = {t["code"]: t["checked_in"] for t in checkin.door_ticket_list(ev)}
    assert listed[regular.ticket_code] is False
    assert checkin.ticket_lookup(ev.id, checkin.TICKET_LINK.token(regular)).result == ScanResult.NOT_CHECKED_IN
    for reg in (regular, second_only):
        assert checkin.check_in(ev, reg, staff, "A").result == ScanResult.CHECKED_IN
    assert checkin.door_tally(ev).checked_in_today == 2
    assert db.session.get(type(regular), regular.id).checked_in_at == first_in  # the first arrival stays
    counters = checkin.door_counters(ev)
    assert counters.checked_in == 3 and dict(counters.per_day) == {first.date: 2, second.date: 2}

    for reg, day in interviews:
        f.interview(
            reg, ex, starts_at=day.opens_at + timedelta(minutes=10), ends_at=day.opens_at + timedelta(minutes=20)
        )
    figures = compile_event(ev.id)
    per_day = {row["day"]: row for row in figures["per_day"]}
    arrived = {first.date: {regular.id, once.id}, second.date: {regular.id, second_only.id}}
    for day in ev.days:
        held = [r for r, d in interviews if d is day]
        assert per_day[day.date.isoformat()] == {
            "day": day.date.isoformat(),
            "visitors": len(arrived[day.date]),
            "interviews_held": len(held),
            "visitors_interviewed": len({r.id for r in held}),
        }
    assert figures["headline"]["visits"] == sum(len(v) for v in arrived.values())
    assert figures["headline"]["visitors_checked_in"] == len(set().union(*arrived.values()))


def test_one_day_events_made_before_days_existed_have_their_one_day(ctx):
    ev = f.event()
    [day] = ev.days
    assert isinstance(day, EventDay) and (day.opens_at, day.closes_at) == (ev.starts_at, ev.ends_at)
    assert ev.day_on(_local(ev.starts_at, ev).date()) is day and ev.day_on(day.date + timedelta(days=1)) is None


def _row(table, **values):
    """``values`` and a plain value for every other required column of ``table`` (a row as an older
    version of the code wrote it)."""
    filler = {sa.Integer: 0, sa.String: "x", sa.Boolean: False, sa.JSON: {}, sa.DateTime: utcnow().replace(tzinfo=None)}
    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        values[column.name] = next(v for kind, v in filler.items() if isinstance(column.type, kind))
    return values


def test_the_migration_gives_every_event_its_day_and_every_arrival_its_row(backend, tmp_path, test_env):
    url, drop = _fresh_database(backend, tmp_path)
    try:
        app = create_app(Config(TESTING=True, SQLALCHEMY_DATABASE_URI=url))
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"), revision="e5c7a9b1d3f2")
            meta = sa.MetaData()
            meta.reflect(db.engine)
            # 23:30 UTC on 11 March is already 12 March in Stockholm: the day is the local date.
            opens, closes = datetime(2027, 3, 11, 23, 30), datetime(2027, 3, 12, 5, 0)
            with db.engine.begin() as conn:
                conn.execute(
                    meta.tables["event"].insert(),
                    _row(
                        meta.tables["event"],
                        id=1,
                        slug="f",
                        starts_at=opens,
                        ends_at=closes,
                        timezone="Europe/Stockholm",
                    ),
                )
                conn.execute(
                    meta.tables["registration"].insert(),
                    [
                        _row(meta.tables["registration"], id=1, event_id=1, ticket_code="a", checked_in_at=opens),
                        _row(meta.tables["registration"], id=2, event_id=1, ticket_code="b", checked_in_at=None),
                    ],
                )
                conn.execute(
                    meta.tables["door_scan"].insert(),
                    _row(
                        meta.tables["door_scan"],
                        event_id=1,
                        registration_id=1,
                        door="North",
                        result="checked_in",
                        scanned_at=opens,
                    ),
                )
            upgrade(directory=str(ROOT / "migrations"))
            with db.engine.connect() as conn:
                days = conn.execute(sa.text("SELECT event_id, date, opens_at, closes_at FROM event_day")).all()
                arrivals = conn.execute(sa.text("SELECT registration_id, day, door FROM arrival")).all()
            assert [(d[0], str(d[1])[:10]) for d in days] == [(1, "2027-03-12")]
            assert [(a[0], str(a[1])[:10], a[2]) for a in arrivals] == [(1, "2027-03-12", "North")]
            db.engine.dispose()
    finally:
        if drop:
            drop()


def test_the_printable_report_and_the_exports_give_each_day(ctx, client):
    ev = f.two_day_event(starts_in=timedelta(days=-3))
    ex = f.exhibitor(ev)
    first, second = ev.days
    came = {first: [f.registration(ev, checked_in_at=first.opens_at) for _ in range(2)], second: []}
    came[second].append(f.registration(ev))
    db.session.add(f.arrival(came[first][0], second.opens_at))  # back on day 2
    db.session.add(f.arrival(came[second][0], second.opens_at))
    came[second].insert(0, came[first][0])
    db.session.commit()
    f.interview(came[second][1], ex, starts_at=second.opens_at, ends_at=second.opens_at + timedelta(minutes=10))
    stats_services.compile_snapshot(ev.id)
    login(client, f.organiser(ev.organisers[0].organisation))
    report = client.get(f"/organiser/events/{ev.id}/stats/report").get_data(as_text=True)
    for day, people in came.items():
        row = report.split(f'id="day-{day.date.isoformat()}"')[1].split("</tr>")[0]
        assert f'<td class="num">{len(people)}</td>' in row
    assert "Per day of the fair" in report and _local(second.opens_at, ev).strftime("%-d") in report
    csv = client.get(f"/organiser/events/{ev.id}/stats/export.csv").get_data(as_text=True)
    assert f"Per day of the fair;Visitors checked in;{second.date.isoformat()};{len(came[second])}" in csv
    workbook = load_workbook(io.BytesIO(client.get(f"/organiser/events/{ev.id}/stats/export.xlsx").data))
    rows = list(workbook["Per day of the fair"].iter_rows(values_only=True))
    assert rows[1:] == [
        (first.date.isoformat(), len(came[first]), 0, 0),
        (second.date.isoformat(), len(came[second]), 1, 1),
    ]
