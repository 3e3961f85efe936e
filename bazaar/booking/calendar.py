"""Calendar files (.ics) for bookings.

One VEVENT per booking with a UID that never changes and SEQUENCE = ``Booking.sequence``, so a
calendar updates (reschedule) or removes (METHOD:CANCEL) the entry it already has instead of
adding a duplicate. Times carry the event's zone with a VTIMEZONE, never floating times.
"""

from datetime import timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event, vCalAddress, vText

from bazaar.booking.models import my_bookings
from bazaar.clock import utcnow

PRODID = "-//Bazaar//Recruitment fair bookings//EN"


def booking_uid(booking) -> str:
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "bazaar"
    return f"booking-{booking.id}@{host}"


def _location(booking) -> str:
    event = booking.registration.event
    exhibitor = booking.exhibitor
    parts = [event.venue_name]
    if exhibitor.booth_number:
        parts.append(_("booth %(number)s", number=exhibitor.booth_number))
    if exhibitor.booth_location:
        parts.append(exhibitor.booth_location)
    parts.append(event.venue_address)
    return ", ".join(p for p in parts if p)


def _vevent(booking, now) -> Event:
    event = booking.registration.event
    zone = ZoneInfo(event.timezone)
    exhibitor = booking.exhibitor
    vevent = Event()
    vevent.add("uid", booking_uid(booking))
    vevent.add("sequence", booking.sequence)
    vevent.add("dtstamp", now)
    vevent.add("created", booking.created_at)
    vevent.add("dtstart", booking.starts_at.astimezone(zone))
    vevent.add("dtend", booking.ends_at.astimezone(zone))
    vevent.add("summary", _("Interview: %(name)s", name=exhibitor.name))
    vevent.add("location", _location(booking))
    table = booking.slot.table.name if booking.slot is not None and booking.slot.table else ""
    lines = [event.name, _("Booth %(number)s", number=exhibitor.booth_number or "-")]
    if table:
        lines.append(table)
    lines.append(_("Bring your CV and an ID document."))
    vevent.add("description", "\n".join(lines))
    vevent.add("status", "CONFIRMED" if booking.is_live else "CANCELLED")
    vevent.add("transp", "OPAQUE")
    sender = parseaddr(current_app.config.get("MAIL_FROM", ""))[1] or "no-reply@bazaar.local"
    organizer = vCalAddress(f"mailto:{sender}")
    organizer.params["cn"] = vText(event.name)
    vevent.add("organizer", organizer)
    user = booking.registration.user
    if user is not None and user.email:
        attendee = vCalAddress(f"mailto:{user.email}")
        attendee.params["cn"] = vText(user.name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("ACCEPTED")
        vevent.add("attendee", attendee)
    if booking.is_live:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", vevent["summary"])
        alarm.add("trigger", -timedelta(minutes=event.reminder_minutes_before))
        vevent.add_component(alarm)
    return vevent


def _calendar(method: str, bookings) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    now = utcnow()
    for booking in bookings:
        cal.add_component(_vevent(booking, now))
    cal.add_missing_timezones()
    return cal.to_ical()


def booking_ics(booking) -> bytes:
    """The booking as a calendar invitation: REQUEST while live, CANCEL once cancelled."""
    return _calendar("REQUEST" if booking.is_live else "CANCEL", [booking])


def schedule_ics(registration) -> bytes:
    """All the visitor's live bookings for the event, in one file (same UIDs as the invitations)."""
    return _calendar("PUBLISH", my_bookings(registration))
