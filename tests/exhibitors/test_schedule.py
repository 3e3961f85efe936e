"""Interview tables and slot generation, blocking and removal."""

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bazaar.booking.models import Slot
from bazaar.exhibitors import schedule
from bazaar.exhibitors.models import InterviewTable, Opening
from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from tests import factories as f
from tests.support import login

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _fixed_fair(**kw):
    """A published fair on a fixed summer day, 09:00-17:00 Stockholm time (07:00-15:00 UTC)."""
    ev = f.event(**kw)
    start = f.at(2031, 6, 10, 7)
    return f.set_days(ev, (start, start + timedelta(hours=8)))


def local_times(slots):
    return [s.starts_at.astimezone(STOCKHOLM).strftime("%H:%M") for s in sorted(slots, key=lambda s: s.starts_at)]


def live_slots(table):
    return list(
        db.session.scalars(
            select(Slot).where(Slot.table_id == table.id, Slot.status != "removed").order_by(Slot.starts_at)
        )
    )


def test_plan_with_gap_and_breaks_in_local_time():
    plan = schedule.SlotPlan(
        day=date(2031, 6, 10),
        start=time(9, 0),
        end=time(11, 0),
        length_minutes=20,
        gap_minutes=5,
        breaks=schedule.parse_breaks("10:00-10:15"),
    )
    times = schedule.planned_times(plan, "Europe/Stockholm")
    assert [s.astimezone(STOCKHOLM).strftime("%H:%M") for s, _e in times] == ["09:00", "09:25", "10:15", "10:40"]
    assert all(e - s == timedelta(minutes=20) for s, e in times)
    assert times[0][0].utcoffset() == timedelta(0) and times[0][0].hour == 7  # CEST is UTC+2

    winter = schedule.SlotPlan(day=date(2031, 1, 10), start=time(9, 0), end=time(9, 30), length_minutes=15)
    assert [s.hour for s, _e in schedule.planned_times(winter, "Europe/Stockholm")] == [8, 8]

    with pytest.raises(schedule.ScheduleError):
        schedule.parse_breaks("12-13:00-14:00")
    with pytest.raises(schedule.ScheduleError):
        schedule.parse_breaks("13:00-12:00")
    assert schedule.parse_breaks(" 15:00-15:15; 12:00 - 13:00 ") == ((time(12), time(13)), (time(15), time(15, 15)))


def test_admin_generates_slots_through_the_form_idempotently(ctx, client):
    ev = _fixed_fair()
    ex = f.exhibitor(ev, tables=1)
    opening = Opening(exhibitor_id=ex.id, title={"sv": "Svetsare"}, occupation="welder")
    db.session.add(opening)
    db.session.commit()
    table = ex.tables[0]
    login(client, f.exhibitor_staff(ex), language="en")
    page = client.get(f"/exhibitor/{ex.id}/tables/{table.id}/generate").get_data(as_text=True)
    assert 'id="start"' in page and page.count('type="time"') == 2  # the phone's time picker
    form = {
        "day": "2031-06-10",
        "start": "09:00:00",  # as some pickers send it
        "end": "12:00",
        "length": "15",
        "gap": "5",
        "breaks": "10:00-10:30, 11:00-11:10",
        "format": "interview",
        "opening_id": str(opening.id),
    }
    response = client.post(f"/exhibitor/{ex.id}/tables/{table.id}/generate", data=form)
    assert response.status_code == 302
    slots = live_slots(table)
    assert local_times(slots) == ["09:00", "09:20", "09:40", "10:30", "11:10", "11:30"]
    assert {(s.format, s.opening_id, s.status, s.event_id) for s in slots} == {("interview", opening.id, "open", ev.id)}

    # the same generation again creates nothing
    client.post(f"/exhibitor/{ex.id}/tables/{table.id}/generate", data=form)
    assert len(live_slots(table)) == len(slots)

    # an overlapping plan with another length fills only the free gaps
    result = schedule.generate_slots(
        table, schedule.SlotPlan(day=date(2031, 6, 10), start=time(9, 0), end=time(12, 0), length_minutes=10)
    )
    assert local_times(result.created) == ["10:00", "10:10", "10:20", "10:50", "11:00", "11:50"]
    after = live_slots(table)
    for a, b in zip(after, after[1:]):
        assert a.ends_at <= b.starts_at, "slots on one table must never overlap"
    assert result.skipped > 0

    page = client.get(f"/exhibitor/{ex.id}/tables?lang=sv").get_data(as_text=True)
    assert "09:20" in page and "Svetsare" in page


def test_generation_refuses_bad_plans(ctx, client):
    ev = _fixed_fair()
    ex = f.exhibitor(ev)
    other_opening = Opening(exhibitor_id=f.exhibitor(ev).id, title={"en": "X"})
    db.session.add(other_opening)
    db.session.commit()
    table = ex.tables[0]
    login(client, f.exhibitor_staff(ex), language="en")
    url = f"/exhibitor/{ex.id}/tables/{table.id}/generate"
    base = {"day": "2031-06-10", "start": "09:00", "end": "10:00", "length": "15", "gap": "0", "format": "jobbdating"}
    bad_inputs = [
        {"start": "9 o'clock"},
        {"end": "25:00"},
        {"start": "10:00", "end": "09:00"},
        {"start": "06:00", "end": "07:00"},  # before the fair opens
        {"end": "18:00"},  # after it closes
        {"start": "09:00", "end": "09:10"},  # no 15-minute slot fits
        {"length": "7"},
        {"gap": "-5"},
        {"gap": "many"},
        {"format": "speed"},
        {"breaks": "lunch"},
        {"day": "2031-06-11"},
        {"opening_id": str(other_opening.id)},
        {"opening_id": "abc"},
        {"start": "0" * 500},
    ]
    for bad in bad_inputs:
        response = client.post(url, data={**base, **bad})
        assert response.status_code == 200, bad
    assert db.session.scalar(select(func.count(Slot.id))) == 0
    assert "within the fair" in client.post(url, data={**base, "end": "18:00"}).get_data(as_text=True)


def test_block_unblock_and_remove_free_slot(ctx, client):
    ev = _fixed_fair()
    ex = f.exhibitor(ev)
    login(client, f.exhibitor_staff(ex), language="en")
    slot = f.slots_for(ex, count=2)[0]
    assert client.post(f"/exhibitor/{ex.id}/slots/{slot.id}/block").status_code == 302
    db.session.refresh(slot)
    assert slot.status == "blocked"
    client.post(f"/exhibitor/{ex.id}/slots/{slot.id}/unblock")
    db.session.refresh(slot)
    assert slot.status == "open"
    client.post(f"/exhibitor/{ex.id}/slots/{slot.id}/remove")
    db.session.refresh(slot)
    assert slot.status == "removed"
    client.post(f"/exhibitor/{ex.id}/slots/{slot.id}/block")
    db.session.refresh(slot)
    assert slot.status == "removed"
    assert client.post(f"/exhibitor/{ex.id}/slots/{slot.id}/delete").status_code == 404

    # generating again at the removed time reopens that slot instead of failing the unique index
    local = slot.starts_at.astimezone(STOCKHOLM)
    result = schedule.generate_slots(
        ex.tables[0],
        schedule.SlotPlan(
            day=local.date(), start=local.time(), end=(local + timedelta(minutes=10)).time(), length_minutes=10
        ),
    )
    assert [s.id for s in result.created] == [slot.id] and slot.status == "open"


def test_removing_a_booked_slot_cancels_the_booking_and_tells_the_visitor(ctx, client):
    ev = _fixed_fair()
    ex = f.exhibitor(ev)
    admin = f.exhibitor_staff(ex)
    slot = f.slots_for(ex, count=1)[0]
    visitor = f.visitor(name="Hamid")
    booking = f.booked(f.registration(ev, visitor), slot)
    login(client, admin, language="en")
    page = client.get(f"/exhibitor/{ex.id}/tables").get_data(as_text=True)
    remove = page[page.index('<details class="remove">') :]
    assert "Remove and tell the visitor" in remove[: remove.index("</details>")]  # behind one more tap, explained
    assert "is told by email" in remove[: remove.index("</details>")]
    assert client.post(f"/exhibitor/{ex.id}/slots/{slot.id}/remove").status_code == 302
    db.session.expire_all()
    assert slot.status == "removed"
    assert booking.status == "cancelled" and booking.cancel_reason == "slot_removed"
    told = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "booking_cancelled"))
    assert told is not None and told.user_id == visitor.id and told.subject_id == booking.id


def test_table_crud_and_delete_refused_while_booked(ctx, client):
    ev = _fixed_fair()
    ex = f.exhibitor(ev, tables=1)
    admin = f.exhibitor_staff(ex)
    interviewer = f.exhibitor_staff(ex, role="interviewer", name="Table Person")
    outsider = f.user()
    login(client, admin, language="en")
    assert (
        client.post(
            f"/exhibitor/{ex.id}/tables/new", data={"name": "Bord 2", "interviewer_id": str(interviewer.id)}
        ).status_code
        == 302
    )
    table = db.session.scalar(select(InterviewTable).where(InterviewTable.name == "Bord 2"))
    assert table.interviewer_id == interviewer.id
    assert (
        client.post(
            f"/exhibitor/{ex.id}/tables/{table.id}/edit", data={"name": "Bord B", "interviewer_id": "0"}
        ).status_code
        == 302
    )
    db.session.refresh(table)
    assert (table.name, table.interviewer_id) == ("Bord B", None)
    for bad in (
        {"name": ""},
        {"name": "n" * 200},
        {"name": "X", "interviewer_id": str(outsider.id)},
        {"name": "X", "interviewer_id": "abc"},
    ):
        assert client.post(f"/exhibitor/{ex.id}/tables/{table.id}/edit", data=bad).status_code == 200
    db.session.refresh(table)
    assert table.name == "Bord B"

    first = ex.tables[0]
    slots = f.slots_for(ex, count=1)  # one slot on each table
    f.booked(f.registration(ev), next(s for s in slots if s.table_id == first.id))
    page = client.post(f"/exhibitor/{ex.id}/tables/{first.id}/delete", follow_redirects=True)
    assert "has booked interviews" in page.get_data(as_text=True)
    assert db.session.get(InterviewTable, first.id) is not None
    assert client.post(f"/exhibitor/{ex.id}/tables/{table.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(InterviewTable, table.id) is None
    assert {s.table_id for s in db.session.scalars(select(Slot))} == {first.id}


@pytest.mark.postgresql_only
def test_concurrent_generations_never_overlap(app, test_env):
    """Two generations with different slot lengths race on one table; the advisory lock keeps
    them from interleaving, so no two slots overlap."""
    from concurrent.futures import ThreadPoolExecutor

    with app.app_context():
        ev = _fixed_fair()
        ex = f.exhibitor(ev)
        table_id = ex.tables[0].id

    def run(length):
        with app.app_context():
            table = db.session.get(InterviewTable, table_id)
            plan = schedule.SlotPlan(day=date(2031, 6, 10), start=time(9, 0), end=time(16, 0), length_minutes=length)
            return len(schedule.generate_slots(table, plan).created)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(run, [10, 15, 20, 10, 15, 20]))
    with app.app_context():
        slots = list(db.session.scalars(select(Slot).where(Slot.table_id == table_id).order_by(Slot.starts_at)))
        assert slots
        for a, b in zip(slots, slots[1:]):
            assert a.ends_at <= b.starts_at
