"""An exhibitor, in Swedish on a phone: creates interview slots for a table, and after the interviews
records what came of them (one held with a job offer, one no-show)."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale, gettext

from bazaar.booking.models import Booking, Slot
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.registrations.models import Registration
from tests import factories as f
from tests.support import release_database

pytestmark = pytest.mark.browser


def sv(msgid: str, **values) -> str:
    with force_locale("sv"):
        return gettext(msgid, **values)


def fair_day(days_ahead: int = 10, tz: str = "Europe/Stockholm") -> tuple[datetime, datetime]:
    """09:00–17:00 local time, ``days_ahead`` days from now, as UTC."""
    zone = ZoneInfo(tz)
    day = (utcnow() + timedelta(days=days_ahead)).astimezone(zone).date()
    return (
        datetime.combine(day, time(9), zone).astimezone(ZoneInfo("UTC")),
        datetime.combine(day, time(17), zone).astimezone(ZoneInfo("UTC")),
    )


def test_exhibitor_creates_slots_and_records_outcomes(fair, page, clock):
    starts, ends = fair_day()
    ev = f.event(name="Jobbdating Helsingborg")
    f.set_days(ev, (starts, ends))
    booth = f.exhibitor(ev, name="Byggkompaniet AB", booth_number="12")
    table_id = booth.tables[0].id
    admin = f.exhibitor_staff(booth, role="admin", name="Karin Berg")
    visitor_ids = [f.registration(ev, f.visitor(name=name)).id for name in ("Amal Haddad", "Yonas Tesfay")]
    admin_email, booth_id = admin.email, booth.id
    release_database()

    fair.login(page, admin_email)
    page.get_by_role("link", name=sv("My booths")).click()
    page.get_by_role("link", name="Byggkompaniet AB").click()
    fair.shot(page, "dashboard")
    page.get_by_role("link", name=sv("Tables and slots")).click()
    page.get_by_role("link", name=sv("Create slots")).first.click()
    page.fill("#start", "10:00")
    page.fill("#end", "12:00")
    page.select_option("#length", "15")
    page.fill("#gap", "0")
    page.fill("#breaks", "11:00-11:15")
    fair.shot(page, "slot-plan")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    # 10:00–12:00 in 15-minute slots is eight; the break takes one.
    assert (
        sv("%(created)d slots created, %(skipped)d left out because they overlap existing slots.", created=7, skipped=0)
        in page.content()
    )
    fair.shot(page, "slots-created")
    slots = db.session.scalars(db.select(Slot).where(Slot.table_id == table_id).order_by(Slot.starts_at)).all()
    local = [s.starts_at.astimezone(ZoneInfo("Europe/Stockholm")).strftime("%H:%M") for s in slots]
    assert local == ["10:00", "10:15", "10:30", "10:45", "11:15", "11:30", "11:45"]
    slot_ids, third_start = [s.id for s in slots], slots[2].starts_at
    release_database()

    # Running the plan again adds nothing: overlapping slots are left out.
    page.get_by_role("link", name=sv("Create slots")).first.click()
    page.fill("#start", "10:00")
    page.fill("#end", "12:00")
    page.select_option("#length", "15")
    page.fill("#breaks", "11:00-11:15")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert (
        sv("%(created)d slots created, %(skipped)d left out because they overlap existing slots.", created=0, skipped=7)
        in page.content()
    )

    held, missed = (
        f.booked(db.session.get(Registration, reg_id), db.session.get(Slot, slot_id))
        for reg_id, slot_id in zip(visitor_ids, slot_ids[:2])
    )
    held_id, missed_id = held.id, missed.id
    release_database()
    clock.advance(seconds=(third_start - utcnow()).total_seconds())

    page.get_by_role("link", name=sv("Missing outcomes")).click()
    fair.shot(page, "missing-outcomes")
    rows = page.locator("li.interview")
    assert rows.count() == 2
    first = page.locator(f"#interview-{held_id}")
    first.locator("select[name$='outcome']").select_option("offer")
    first.get_by_role("button", name=sv("Held: save")).click()
    page.wait_for_load_state()
    page.locator(f"#interview-{held_id} .saved").wait_for(state="visible")  # saved in place, no reload
    page.locator(f"#interview-{missed_id}").get_by_role("button", name=sv("No-show")).click()
    page.locator(f"#interview-{missed_id} .saved").wait_for(state="visible")
    fair.shot(page, "outcomes-recorded")
    page.reload()
    assert page.locator("li.interview").count() == 0  # nothing is missing any more
    assert sv("No interviews here.") in page.content()

    page.get_by_role("link", name=sv("Interviews")).click()
    fair.shot(page, "day-view")
    db.session.expire_all()
    held, missed = db.session.get(Booking, held_id), db.session.get(Booking, missed_id)
    assert (held.attendance, held.outcome) == ("attended", "offer")
    assert (missed.attendance, missed.outcome) == ("no_show", None)
    assert held.outcome_recorded_by_id == missed.attendance_marked_by_id
    assert booth_id == held.exhibitor_id
    release_database()
