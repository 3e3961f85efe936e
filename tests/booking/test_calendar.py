"""The .ics files, parsed back with the icalendar library."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bazaar.booking import calendar, services
from tests import factories as f

pytestmark = pytest.mark.usefixtures("english")


def _fair(ctx_start):
    event = f.event(starts_in=ctx_start)
    exhibitor = f.exhibitor(event, name="Hamnens Lager AB", booth_number="S12", booth_location="Hall B", tables=2)
    f.slots_for(exhibitor, count=4)
    return event, exhibitor


def _vevent(data: bytes):
    cal = Calendar.from_ical(data)
    [vevent] = cal.walk("VEVENT")
    return cal, vevent


def test_booking_invitation_has_stable_uid_rising_sequence_and_the_event_zone(ctx):
    event, exhibitor = _fair(timedelta(days=10))
    reg = f.registration(event, f.visitor(name="Oksana Kovalenko", email="oksana@example.org"))
    booking = services.book(reg, exhibitor, event.starts_at)

    cal, first = _vevent(calendar.booking_ics(booking))
    assert cal["METHOD"] == "REQUEST" and cal["VERSION"] == "2.0" and cal["PRODID"]
    assert first["SEQUENCE"] == 0 and first["STATUS"] == "CONFIRMED"
    uid = str(first["UID"])
    assert uid == f"booking-{booking.id}@127.0.0.1"
    start = first.decoded("DTSTART")
    assert start == event.starts_at and str(start.tzinfo) == "Europe/Stockholm"
    assert first["DTSTART"].params["TZID"] == "Europe/Stockholm"
    assert first.decoded("DTEND") - start == timedelta(minutes=10)
    [vtimezone] = cal.walk("VTIMEZONE")
    assert vtimezone["TZID"] == "Europe/Stockholm"
    assert {c.name for c in vtimezone.subcomponents} >= {"STANDARD", "DAYLIGHT"}
    location = str(first["LOCATION"])
    assert "S12" in location and "Hall B" in location and event.venue_name in location
    assert "Hamnens Lager AB" in str(first["SUMMARY"])
    assert str(first["ATTENDEE"]) == "mailto:oksana@example.org"
    assert first.walk("VALARM")

    services.reschedule(booking, event.starts_at + timedelta(minutes=20))
    cal, moved = _vevent(calendar.booking_ics(booking))
    assert str(moved["UID"]) == uid and moved["SEQUENCE"] == 1 and cal["METHOD"] == "REQUEST"
    assert moved.decoded("DTSTART") == event.starts_at + timedelta(minutes=20)

    services.cancel_booking(booking, reg.user)
    cal, cancelled = _vevent(calendar.booking_ics(booking))
    assert cal["METHOD"] == "CANCEL" and cancelled["STATUS"] == "CANCELLED"
    assert str(cancelled["UID"]) == uid and cancelled["SEQUENCE"] == 2
    assert not cancelled.walk("VALARM")


def test_local_times_are_right_across_daylight_saving(ctx):
    """A fair on the last Sunday of March: 10:00 in Stockholm is 08:00 UTC (CEST), not 09:00."""
    event = f.event()
    zone = ZoneInfo("Europe/Stockholm")
    opens = datetime(2031, 3, 30, 10, 0, tzinfo=zone).astimezone(ZoneInfo("UTC"))
    f.set_days(event, (opens, opens + timedelta(hours=6)))
    exhibitor = f.exhibitor(event)
    f.slots_for(exhibitor, count=1)
    booking = services.book(f.registration(event), exhibitor, event.starts_at)
    _, vevent = _vevent(calendar.booking_ics(booking))
    assert vevent["DTSTART"].to_ical() == b"20310330T100000"
    assert vevent.decoded("DTSTART").utcoffset() == timedelta(hours=2)
    assert booking.starts_at.hour == 8


def test_schedule_file_holds_all_live_bookings_in_time_order(ctx):
    event, exhibitor = _fair(timedelta(days=10))
    other = f.exhibitor(event, name="Region Skåne", booth_number="S03")
    f.slots_for(other, start=event.starts_at + timedelta(minutes=30), count=2)
    third = f.exhibitor(event, name="Städkraft AB")
    f.slots_for(third, start=event.starts_at + timedelta(minutes=60), count=1)
    reg = f.registration(event)
    late = services.book(reg, other, event.starts_at + timedelta(minutes=30))
    early = services.book(reg, exhibitor, event.starts_at)
    gone = services.book(reg, third, event.starts_at + timedelta(minutes=60))
    services.cancel_booking(gone, reg.user)

    cal = Calendar.from_ical(calendar.schedule_ics(reg))
    assert cal["METHOD"] == "PUBLISH"
    events = cal.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [calendar.booking_uid(early), calendar.booking_uid(late)]
    assert len(cal.walk("VTIMEZONE")) == 1
    empty = Calendar.from_ical(calendar.schedule_ics(f.registration(event)))
    assert empty.walk("VEVENT") == []
