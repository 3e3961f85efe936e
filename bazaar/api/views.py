"""The JSON API under /api/v1: thin views over the domain services; access decided in permissions."""

import marshmallow as ma
from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from bazaar import permissions, problems
from bazaar.api.services import token_from_secret
from bazaar.booking.directory import directory
from bazaar.booking.models import Attendance, Booking, Outcome
from bazaar.booking.rules import free_times
from bazaar.checkin import services as checkin
from bazaar.checkin.schemas import CheckInArgs, CheckInSchema, apply_door_scan
from bazaar.events.models import Event
from bazaar.exhibitors import services as exhibitor_services
from bazaar.exhibitors.models import Exhibitor
from bazaar.exhibitors.services import EMPLOYMENT_TYPES
from bazaar.extensions import db, limiter
from bazaar.registrations.models import Registration
from bazaar.registrations.services import search_registrations
from bazaar.routing import PAGE_MAX, ROW_ID_MAX
from bazaar.stats.models import StatsSnapshot

bp = Blueprint(
    "api", __name__, url_prefix="/api/v1", description="Bazaar's JSON API. Send `Authorization: Bearer <token>`."
)

API_RATE_LIMIT = "120/minute"


def token_key() -> str:
    """Rate-limit key: the token's id, so each token has its own budget."""
    token = g.get("api_token")
    return f"api-token:{token.id}" if token is not None else f"api-anon:{request.remote_addr}"


class ApiView(MethodView):
    """An endpoint: ``action`` is asked of the permission module on the object ``load`` returns
    (the event by default) before any input is read; POSTs need a read-write token."""

    decorators = [limiter.limit(API_RATE_LIMIT, key_func=token_key)]
    action = "event.view"

    @staticmethod
    def load(event: Event, **view_args):
        return event


def _row(model, row_id: int, event: Event):
    """The ``model`` row with ``row_id`` if it belongs to ``event``."""
    row = db.session.get(model, row_id) if 0 < row_id <= ROW_ID_MAX else None
    return row if row is not None and row.event_id == event.id else None


@bp.before_request
def authenticate():
    auth = request.headers.get("Authorization", "")
    token = token_from_secret(auth[7:]) if auth.startswith("Bearer ") else None
    if token is None:
        return problems.problem(
            401, "token_invalid", "Send a valid, unrevoked API token as 'Authorization: Bearer <token>'."
        )
    g.api_token = token
    view = getattr(current_app.view_functions.get(request.endpoint), "view_class", None)
    if view is None or not issubclass(view, ApiView):
        return None
    args = dict(request.view_args or {})
    event_id = args.pop("event_id")
    event = db.session.get(Event, event_id) if 0 < event_id <= ROW_ID_MAX else None
    target = view.load(event, **args) if event is not None else None
    if target is None or not permissions.token_allows(token, view.action, event, target, write=request.method != "GET"):
        return problems.problem(404, "not_found", "Nothing here for this token.")
    g.api_event, g.api_target = event, target
    return None


class EventDaySchema(ma.Schema):
    date = ma.fields.Date(metadata={"description": "The day's date where the fair is"})
    opens_at = ma.fields.AwareDateTime()
    closes_at = ma.fields.AwareDateTime()
    note = ma.fields.Str(metadata={"description": "Where that day is, if not the usual hall"})


class EventSchema(ma.Schema):
    id = ma.fields.Int()
    slug = ma.fields.Str()
    name = ma.fields.Str()
    venue_name = ma.fields.Str()
    venue_address = ma.fields.Str()
    timezone = ma.fields.Str()
    starts_at = ma.fields.AwareDateTime()
    ends_at = ma.fields.AwareDateTime()
    status = ma.fields.Str()
    capacity = ma.fields.Int(allow_none=True)
    days = ma.fields.List(ma.fields.Nested(EventDaySchema), metadata={"description": "The fair's days, in order"})


@bp.route("/events/<int:event_id>")
class EventView(ApiView):
    @bp.response(200, EventSchema)
    def get(self, event_id):
        """Read the token's event."""
        return g.api_event


class OpeningSchema(ma.Schema):
    id = ma.fields.Int()
    title = ma.fields.Dict(keys=ma.fields.Str(), values=ma.fields.Str())
    occupation = ma.fields.Str(allow_none=True)
    positions = ma.fields.Int()
    location = ma.fields.Str(allow_none=True)
    country = ma.fields.Str()
    employment_type = ma.fields.Str()


class ListingSchema(ma.Schema):
    id = ma.fields.Function(lambda listing: listing.exhibitor.id)
    name = ma.fields.Function(lambda listing: listing.exhibitor.name)
    free_slots = ma.fields.Int()
    openings = ma.fields.List(ma.fields.Nested(OpeningSchema))


class FreeTimeSchema(ma.Schema):
    starts_at = ma.fields.AwareDateTime()
    ends_at = ma.fields.AwareDateTime()
    free_tables = ma.fields.Int()


@bp.route("/events/<int:event_id>/exhibitors")
class ExhibitorList(ApiView):
    @bp.response(200, ListingSchema(many=True))
    def get(self, event_id):
        """The event's approved exhibitors with their openings and free slot counts (the public directory)."""
        return directory(g.api_event)


@bp.route("/events/<int:event_id>/exhibitors/<int:exhibitor_id>/free-times")
class FreeTimes(ApiView):
    @bp.response(200, FreeTimeSchema(many=True))
    def get(self, event_id, exhibitor_id):
        """Future start times with a free table at one approved exhibitor."""
        listing = next((li for li in directory(g.api_event) if li.exhibitor.id == exhibitor_id), None)
        if listing is None:
            problems.abort(404, "not_found", "No such approved exhibitor at this event.")
        return free_times(listing.exhibitor)


class RegistrationQuery(ma.Schema):
    updated_since = ma.fields.AwareDateTime(
        load_default=None,
        metadata={
            "description": "ISO 8601 with offset: only registrations changed at or after it, oldest change "
            "first (ordered by updated_at, then id, so paging is stable)"
        },
    )


class RegistrationSchema(ma.Schema):
    id = ma.fields.Int()
    status = ma.fields.Str()
    name = ma.fields.Function(lambda r: r.user.name if r.user else None)
    email = ma.fields.Function(lambda r: r.user.email if r.user else None)
    walk_in = ma.fields.Bool()
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    checked_in_at = ma.fields.AwareDateTime(allow_none=True)


@bp.route("/events/<int:event_id>/registrations")
class RegistrationList(ApiView):
    action = "registration.list"

    @bp.arguments(RegistrationQuery, location="query")
    @bp.response(200, RegistrationSchema(many=True))
    @bp.paginate()
    def get(self, args, event_id, pagination_parameters):
        """Organisers: the event's registrations, newest first, paged; or those changed since a time."""
        query = search_registrations(g.api_event)
        if args["updated_since"] is not None:
            query = query.where(Registration.updated_at >= args["updated_since"])
            query = query.order_by(None).order_by(Registration.updated_at, Registration.id)
        pagination_parameters.page = min(pagination_parameters.page, PAGE_MAX)  # a huge page overflows OFFSET
        pagination_parameters.item_count = db.session.scalar(
            db.select(db.func.count()).select_from(query.order_by(None).subquery())
        )
        return list(
            db.session.scalars(
                query.limit(pagination_parameters.page_size).offset(pagination_parameters.first_item)
            ).unique()
        )


@bp.route("/events/<int:event_id>/registrations/<int:registration_id>")
class RegistrationRead(ApiView):
    action = "registration.view"

    @staticmethod
    def load(event, registration_id):
        return _row(Registration, registration_id, event)

    @bp.response(200, RegistrationSchema)
    def get(self, event_id, registration_id):
        """Organisers: one registration of the event."""
        return g.api_target


class TicketQuery(ma.Schema):
    ticket = ma.fields.Str(required=True, validate=ma.validate.Length(1, 2000), metadata={"description": "Scanned"})


@bp.route("/events/<int:event_id>/tickets")
class TicketLookup(ApiView):
    action = "checkin.door"

    @bp.arguments(TicketQuery, location="query")
    @bp.response(200, CheckInSchema)
    def get(self, args, event_id):
        """Door: whom a scanned ticket names and whether they are in, checking nobody in."""
        return checkin.describe(checkin.ticket_lookup(event_id, args["ticket"]))


@bp.route("/events/<int:event_id>/checkins")
class CheckIn(ApiView):
    action = "checkin.door"

    @bp.arguments(CheckInArgs)
    @bp.response(200, CheckInSchema)
    def post(self, args, event_id):
        """Door: check in by ticket or registration id. Idempotent: the same scan_id answers the same;
        a ticket scanned twice counts once, at the earliest scanned_at."""
        if not args["ticket"] and not args["registration_id"]:
            problems.abort(422, "ticket_missing", "Send 'ticket' or 'registration_id'.")
        return apply_door_scan(g.api_event, g.api_token.user, args)


class VisitorSchema(ma.Schema):
    reference = ma.fields.Str()
    shared = ma.fields.Bool(metadata={"description": "The visitor shares their profile with exhibitors"})
    name = ma.fields.Str(allow_none=True)


class BookingSchema(ma.Schema):
    id = ma.fields.Function(lambda row: row.booking.id)
    starts_at = ma.fields.Function(lambda row: row.booking.starts_at.isoformat())
    ends_at = ma.fields.Function(lambda row: row.booking.ends_at.isoformat())
    table = ma.fields.Function(lambda row: row.table.name if row.table else None)
    walk_in = ma.fields.Function(lambda row: row.booking.walk_in)
    attendance = ma.fields.Function(lambda row: row.booking.attendance)
    outcome = ma.fields.Function(lambda row: row.booking.outcome)
    visitor = ma.fields.Nested(VisitorSchema)


@bp.route("/events/<int:event_id>/exhibitors/<int:exhibitor_id>/bookings")
class BookingList(ApiView):
    action = "exhibitor.view"

    @staticmethod
    def load(event, exhibitor_id):
        return _row(Exhibitor, exhibitor_id, event)

    @bp.response(200, BookingSchema(many=True))
    def get(self, event_id, exhibitor_id):
        """Exhibitor staff: their live interviews in time order (a visitor's name only with consent)."""
        return exhibitor_services.day_interviews(g.api_target)


class OutcomeArgs(ma.Schema):
    attendance = ma.fields.Str(
        required=True, validate=ma.validate.OneOf([a for a in Attendance if a != Attendance.UNKNOWN])
    )
    outcome = ma.fields.Str(load_default=None, validate=ma.validate.OneOf(list(Outcome)))
    employment_type = ma.fields.Str(load_default=None, validate=ma.validate.OneOf(EMPLOYMENT_TYPES))
    note = ma.fields.Str(load_default=None, validate=ma.validate.Length(max=2000))


class OutcomeSchema(ma.Schema):
    id = ma.fields.Int()
    attendance = ma.fields.Str()
    outcome = ma.fields.Str(allow_none=True)
    outcome_employment_type = ma.fields.Str(allow_none=True)
    outcome_recorded_at = ma.fields.AwareDateTime(allow_none=True)


@bp.route("/events/<int:event_id>/exhibitors/<int:exhibitor_id>/bookings/<int:booking_id>/outcome")
class Outcome(ApiView):
    action = "booking.outcome"

    @staticmethod
    def load(event, exhibitor_id, booking_id):
        booking = _row(Booking, booking_id, event)
        return booking if booking is not None and booking.exhibitor_id == exhibitor_id else None

    @bp.arguments(OutcomeArgs)
    @bp.response(200, OutcomeSchema)
    def post(self, args, event_id, exhibitor_id, booking_id):
        """Exhibitor staff: mark an interview held or a no-show and, if held, its outcome."""
        try:
            return exhibitor_services.record_interview(g.api_target, g.api_token.user, **args)
        except exhibitor_services.ExhibitorError as error:
            problems.abort(422, "outcome_invalid", f"Not a valid outcome: {error}.")


class SnapshotSchema(ma.Schema):
    id = ma.fields.Int()
    version = ma.fields.Int()
    status = ma.fields.Str()
    reason = ma.fields.Str(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    finished_at = ma.fields.AwareDateTime(allow_none=True)


class SnapshotFiguresSchema(SnapshotSchema):
    figures = ma.fields.Dict(metadata={"description": "The compiled figures, as stored"})


@bp.route("/events/<int:event_id>/stats/snapshots")
class SnapshotList(ApiView):
    action = "stats.view"

    @bp.response(200, SnapshotSchema(many=True))
    def get(self, event_id):
        """Organisers: the event's statistics snapshots, newest version first."""
        return db.session.scalars(
            db.select(StatsSnapshot).where(StatsSnapshot.event_id == event_id).order_by(StatsSnapshot.version.desc())
        ).all()


@bp.route("/events/<int:event_id>/stats/snapshots/<int:snapshot_id>")
class SnapshotRead(ApiView):
    action = "stats.snapshot"

    @staticmethod
    def load(event, snapshot_id):
        return _row(StatsSnapshot, snapshot_id, event)

    @bp.response(200, SnapshotFiguresSchema)
    def get(self, event_id, snapshot_id):
        """Organisers: the figures of one stored snapshot."""
        return g.api_target
