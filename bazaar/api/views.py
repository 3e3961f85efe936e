"""The JSON API under /api/v1: thin views over the domain services; access decided in permissions."""

import marshmallow as ma
from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from bazaar import permissions
from bazaar.api import problems
from bazaar.api.services import token_from_secret
from bazaar.booking import services as booking
from bazaar.checkin import services as checkin
from bazaar.events.models import Event
from bazaar.extensions import db, limiter
from bazaar.registrations.services import search_registrations
from bazaar.routing import PAGE_MAX, ROW_ID_MAX

bp = Blueprint(
    "api", __name__, url_prefix="/api/v1", description="Bazaar's JSON API. Send `Authorization: Bearer <token>`."
)

API_RATE_LIMIT = "120/minute"


def token_key() -> str:
    """Rate-limit key: the token's digest (never the secret), so each token has its own budget."""
    token = g.get("api_token")
    return f"api-token:{token.token_hash}" if token is not None else f"api-anon:{request.remote_addr}"


@bp.before_request
def authenticate():
    auth = request.headers.get("Authorization", "")
    token = token_from_secret(auth[7:]) if auth.startswith("Bearer ") else None
    if token is None:
        return problems.problem(
            401, "token_invalid", "Send a valid, unrevoked API token as 'Authorization: Bearer <token>'."
        )
    g.api_token = token
    return None


def _event(event_id: int, action: str, write: bool = False) -> Event:
    event = db.session.get(Event, event_id) if 0 < event_id <= ROW_ID_MAX else None
    if not permissions.token_allows(g.api_token, action, event, write=write):
        problems.abort(404, "not_found", "No such event for this token.")
    return event


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


class RegistrationSchema(ma.Schema):
    id = ma.fields.Int()
    status = ma.fields.Str()
    name = ma.fields.Function(lambda r: r.user.name if r.user else None)
    email = ma.fields.Function(lambda r: r.user.email if r.user else None)
    walk_in = ma.fields.Bool()
    created_at = ma.fields.AwareDateTime()
    checked_in_at = ma.fields.AwareDateTime(allow_none=True)


class CheckInArgs(ma.Schema):
    ticket = ma.fields.Str(load_default=None, metadata={"description": "Scanned ticket token"})
    registration_id = ma.fields.Int(load_default=None, validate=ma.validate.Range(1, ROW_ID_MAX))
    door = ma.fields.Str(load_default=None, validate=ma.validate.Length(max=50))


class CheckInSchema(ma.Schema):
    result = ma.fields.Str()
    registration_id = ma.fields.Function(lambda o: o.registration.id if o.registration else None)
    name = ma.fields.Str(allow_none=True)
    checked_in_at = ma.fields.AwareDateTime(allow_none=True)


@bp.route("/events/<int:event_id>")
class EventView(MethodView):
    decorators = [limiter.limit(API_RATE_LIMIT, key_func=token_key)]

    @bp.response(200, EventSchema)
    def get(self, event_id):
        """Read the token's event."""
        return _event(event_id, "event.view")


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
class ExhibitorList(MethodView):
    decorators = [limiter.limit(API_RATE_LIMIT, key_func=token_key)]

    @bp.response(200, ListingSchema(many=True))
    def get(self, event_id):
        """The event's approved exhibitors with their openings and free slot counts (the public directory)."""
        return booking.directory(_event(event_id, "event.view"))


@bp.route("/events/<int:event_id>/exhibitors/<int:exhibitor_id>/free-times")
class FreeTimes(MethodView):
    decorators = [limiter.limit(API_RATE_LIMIT, key_func=token_key)]

    @bp.response(200, FreeTimeSchema(many=True))
    def get(self, event_id, exhibitor_id):
        """Future start times with a free table at one approved exhibitor."""
        event = _event(event_id, "event.view")
        listing = next((li for li in booking.directory(event) if li.exhibitor.id == exhibitor_id), None)
        if listing is None:
            problems.abort(404, "not_found", "No such approved exhibitor at this event.")
        return booking.free_times(listing.exhibitor)


@bp.route("/events/<int:event_id>/registrations")
class RegistrationList(MethodView):
    decorators = [limiter.limit(API_RATE_LIMIT, key_func=token_key)]

    @bp.response(200, RegistrationSchema(many=True))
    @bp.paginate()
    def get(self, event_id, pagination_parameters):
        """Organisers: the event's registrations, newest first, paged."""
        event = _event(event_id, "registration.list")
        query = search_registrations(event)
        pagination_parameters.page = min(pagination_parameters.page, PAGE_MAX)  # a huge page overflows OFFSET
        pagination_parameters.item_count = db.session.scalar(
            db.select(db.func.count()).select_from(query.order_by(None).subquery())
        )
        return list(
            db.session.scalars(
                query.limit(pagination_parameters.page_size).offset(pagination_parameters.first_item)
            ).unique()
        )


@bp.route("/events/<int:event_id>/checkins")
class CheckIn(MethodView):
    decorators = [limiter.limit(API_RATE_LIMIT, key_func=token_key)]

    @bp.arguments(CheckInArgs)
    @bp.response(200, CheckInSchema)
    def post(self, args, event_id):
        """Door: check in by ticket token or registration id; checking in twice answers 'already_checked_in'."""
        event = _event(event_id, "checkin.door", write=True)
        if args["ticket"]:
            return checkin.check_in_ticket(event, args["ticket"], g.api_token.user, args["door"])
        if args["registration_id"]:
            return checkin.check_in_by_id(event, args["registration_id"], g.api_token.user, args["door"])
        problems.abort(422, "ticket_missing", "Send 'ticket' or 'registration_id'.")
