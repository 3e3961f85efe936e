"""A door scan as JSON, for the API and the offline door alike: what a client sends, what it gets back,
and applying it."""

import marshmallow as ma

from bazaar import problems
from bazaar.checkin import services as checkin
from bazaar.checkin.forms import DOOR_MAX
from bazaar.events.models import Event
from bazaar.routing import ROW_ID_MAX


class CheckInArgs(ma.Schema):
    scan_id = ma.fields.UUID(
        required=True, metadata={"description": "The client's id for this scan: sent again, the same answer"}
    )
    ticket = ma.fields.Str(load_default=None, validate=ma.validate.Length(1, 2000), metadata={"description": "Scanned"})
    registration_id = ma.fields.Int(load_default=None, validate=ma.validate.Range(1, ROW_ID_MAX))
    door = ma.fields.Str(load_default=None, validate=ma.validate.Length(max=DOOR_MAX))
    scanned_at = ma.fields.AwareDateTime(
        load_default=None,
        metadata={"description": "When the door scanned (offline doors): within the event's day(s), not ahead"},
    )


class CheckInSchema(ma.Schema):
    result = ma.fields.Str()
    registration_id = ma.fields.Function(lambda o: o.registration.id if o.registration else None)
    name = ma.fields.Str(allow_none=True)
    number = ma.fields.Str(allow_none=True)
    checked_in_at = ma.fields.AwareDateTime(allow_none=True)


def apply_door_scan(event: Event, staff, args: dict):
    """Apply one API or offline-door scan; a scan time out of bounds is a 422 problem."""
    try:
        return checkin.check_in_scan(
            event,
            staff,
            str(args["scan_id"]),
            args["door"],
            token=args["ticket"],
            registration_id=None if args["ticket"] else args["registration_id"],
            scanned_at=args["scanned_at"],
        )
    except checkin.ScanTimeRefused:
        problems.abort(422, "scanned_at_out_of_range", "scanned_at must fall on the event's day(s), not ahead.")
