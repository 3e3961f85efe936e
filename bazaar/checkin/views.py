"""Event-day pages: tickets and badges, the door, walk-ins, live counters and booth scans."""

import json
from datetime import datetime
from functools import cache

import marshmallow as ma
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import Integer, and_, bindparam, literal, or_, select, union_all

from bazaar import permissions, problems
from bazaar.booking import speeddating
from bazaar.booking.errors import BookingError
from bazaar.booking.models import SpeedDatingSession
from bazaar.checkin import services
from bazaar.checkin.forms import DOOR_MAX, BoothLogForm, BoothScanForm, ScanForm, WalkInForm
from bazaar.checkin.models import BoothScanKind, ScanResult
from bazaar.checkin.qr import ticket_qr_png, ticket_qr_svg
from bazaar.checkin.schemas import CheckInArgs, CheckInSchema, apply_door_scan
from bazaar.clock import utcnow
from bazaar.events.models import Event, EventOrganiser, EventStaff, EventStatus
from bazaar.exhibitors.forms import DoorSeatForm
from bazaar.exhibitors.models import ApplicationStatus, Exhibitor, ExhibitorStaff
from bazaar.exhibitors.services import visitor_card
from bazaar.extensions import db
from bazaar.i18n import format_time
from bazaar.registrations.models import Registration, RegistrationStatus

bp = Blueprint("checkin", __name__)

DOOR_COOKIE = "bazaar_door"
# Why a ticket cannot be seated (a ScanResult), for the speed-dating door.
SEAT_REFUSED = {
    ScanResult.CANCELLED: _l("This registration is cancelled."),
    ScanResult.NOT_REGISTERED: _l("This visitor is not registered yet (waiting list)."),
    ScanResult.WRONG_EVENT: _l("This ticket is for another fair."),
}
SEARCH_MAX = 200


@bp.app_template_filter("ticket_number")
def _ticket_number(registration: Registration) -> str:
    return services.ticket_number(registration)


@cache
def _staff_roles_statement():
    """The roles behind the nav's staff links (:func:`_staff_nav`), for user ``user``: event staff
    roles that run the door, and booths the user staffs, each with whether it is current. Built
    once per process, as every page a logged-in person opens runs it."""
    user_id = bindparam("user", type_=Integer())
    not_finished = Event.status != EventStatus.FINISHED
    event_roles = (
        select(
            literal(None).label("exhibitor_id"),
            literal(None).label("name"),
            EventStaff.role,
            not_finished.label("current"),
        )
        .select_from(EventStaff)
        .join(Event, Event.id == EventStaff.event_id)
        .where(EventStaff.user_id == user_id, EventStaff.role.in_(permissions.DOOR_ROLES))
    )
    booths = (
        select(
            Exhibitor.id,
            Exhibitor.name,
            literal(None).label("role"),
            and_(not_finished, Exhibitor.status == ApplicationStatus.APPROVED).label("current"),
        )
        .join(ExhibitorStaff, ExhibitorStaff.exhibitor_id == Exhibitor.id)
        .join(Event, Event.id == Exhibitor.event_id)
        .where(ExhibitorStaff.user_id == user_id)
    )
    return union_all(event_roles, booths)


@bp.app_context_processor
def _staff_nav():
    def staff_links() -> list[tuple[str, str]]:
        """Nav links of a person's roles, from one statement on every page: a co-organiser's
        "My events", an exhibitor's staff's "My booths", and on fairs not yet finished the door
        (door staff, co-organisers) and each approved booth's scanner."""
        if not current_user.is_authenticated:
            return []
        rows = db.session.execute(_staff_roles_statement(), {"user": current_user.id}).all()
        booth_rows = sorted((r for r in rows if r.exhibitor_id is not None), key=lambda r: r.exhibitor_id)
        scanners = [r for r in booth_rows if r.current]
        links = []
        if not current_user.is_organiser and any(r.role == "coorganiser" for r in rows):
            links.append((_("My events"), url_for("events.organiser_events")))
        if booth_rows:
            links.append((_("My booths"), url_for("exhibitors.mine")))
        if any(r.exhibitor_id is None and r.current for r in rows):
            links.append((_("Door check-in"), url_for("checkin.door_events")))
        for row in scanners:
            label = _("Booth scanner") if len(scanners) == 1 else _("Booth scanner: %(name)s", name=row.name)
            links.append((label, url_for("checkin.booth", exhibitor_id=row.exhibitor_id)))
        return links

    return {"staff_links": staff_links}


def _registration_or_404(registration_id: int, action: str) -> Registration:
    reg = db.session.get(Registration, registration_id)
    if reg is None:
        abort(404)
    permissions.require(action, reg, not_found=True)
    return reg


def _event_or_404(event_id: int, action: str) -> Event:
    return permissions.load(Event, event_id, action)


def _exhibitor_or_404(exhibitor_id: int) -> Exhibitor:
    return permissions.load(Exhibitor, exhibitor_id, "checkin.booth")


# ---- tickets and badges --------------------------------------------------------------------


@bp.get("/my/tickets/<int:registration_id>")
@login_required
def ticket(registration_id):
    reg = _registration_or_404(registration_id, "checkin.ticket")
    return render_template(
        "checkin/ticket.html",
        reg=reg,
        event=reg.event,
        number=services.ticket_number(reg),
        qr_svg=ticket_qr_svg(reg) if reg.status == RegistrationStatus.REGISTERED else None,
    )


@bp.get("/my/tickets/<int:registration_id>/badge")
@login_required
def badge(registration_id):
    reg = _registration_or_404(registration_id, "checkin.badge")
    if reg.status != RegistrationStatus.REGISTERED:
        abort(404)
    return render_template(
        "checkin/badge.html", reg=reg, event=reg.event, number=services.ticket_number(reg), qr_svg=ticket_qr_svg(reg)
    )


@bp.get("/my/tickets/<int:registration_id>/qr.png")
@login_required
def ticket_png(registration_id):
    reg = _registration_or_404(registration_id, "checkin.badge")
    if reg.status != RegistrationStatus.REGISTERED:
        abort(404)
    return Response(
        ticket_qr_png(reg),
        mimetype="image/png",
        headers={
            "Content-Disposition": f'inline; filename="ticket-{services.ticket_number(reg)}.png"',
            "Cache-Control": "private, no-store",
        },
    )


# ---- door ----------------------------------------------------------------------------------


@bp.get("/door")
@login_required
def door_events():
    """The events the user may run the door for."""
    staffed = select(EventStaff.event_id).where(
        EventStaff.user_id == current_user.id, EventStaff.role.in_(permissions.DOOR_ROLES)
    )
    conditions = [Event.id.in_(staffed)]
    if current_user.organisation_id is not None:
        conditions.append(
            Event.id.in_(
                select(EventOrganiser.event_id).where(EventOrganiser.organisation_id == current_user.organisation_id)
            )
        )
    events = db.session.scalars(
        select(Event).where(or_(*conditions), Event.status != EventStatus.FINISHED).order_by(Event.starts_at)
    ).all()
    return render_template("checkin/door_events.html", events=events)


def _remembered_door() -> str:
    return (request.cookies.get(DOOR_COOKIE) or "")[:DOOR_MAX]


def _remember_door(response, door: str | None):
    if door:
        response.set_cookie(
            DOOR_COOKIE, door, max_age=365 * 24 * 3600, httponly=True, samesite="Lax", secure=request.is_secure
        )
    return response


def _search_query() -> str:
    query = request.args.get("q", "")[:SEARCH_MAX]
    return "".join(c for c in query if ord(c) >= 32).strip()


@bp.route("/organiser/events/<int:event_id>/door", methods=["GET", "POST"])
@login_required
def door(event_id):
    event = _event_or_404(event_id, "checkin.door")
    # Read before the scan commits, so that nothing after the commit needs the database.
    organiser = permissions.can("checkin.counters", event)
    form = ScanForm()
    outcome = None
    if request.method == "POST" and form.validate_on_submit():
        outcome, tally = services.scan_at_door(
            event,
            current_user,
            form.door.data,
            token=form.token.data or None,
            registration_id=form.registration_id.data,
        )
        form.token.data = ""
    else:
        if request.method == "GET":
            form.door.data = _remembered_door()
        tally = services.door_tally(event)
    query = _search_query()
    results = services.search_registrations(event, query, current_user) if query else []
    response = Response(
        render_template(
            "checkin/door.html",
            event=event,
            form=form,
            outcome=outcome,
            query=query,
            results=results,
            search_min=services.SEARCH_MIN,
            arrivals=services.arrivals_on(event, results),
            organiser=organiser,
            tally=tally,
        )
    )
    return _remember_door(response, form.door.data if outcome else None)


# ---- the offline door: an installable web app that keeps scanning when the network drops ----


@bp.get("/organiser/events/door-sw.js")
def door_service_worker():
    """The door's service worker, served from a path whose scope covers every event's door page."""
    response = send_from_directory(current_app.static_folder, "door-sw.js", mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/organiser/events/<int:event_id>/door.webmanifest")
def door_manifest(event_id):
    """The install manifest of one event's door page (fetched without cookies: names no event data)."""
    door_url = url_for("checkin.door", event_id=event_id)
    manifest = {
        "name": "Bazaar door check-in",
        "short_name": "Bazaar door",
        "id": door_url,
        "start_url": door_url,
        "scope": door_url,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f4e79",
        "icons": [{"src": url_for("static", filename="door-icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
    return Response(json.dumps(manifest), mimetype="application/manifest+json")


@bp.get("/organiser/events/<int:event_id>/door/tickets")
@login_required
def door_tickets(event_id):
    """The ticket list an offline door checks scans against, and a fresh CSRF token for sending them."""
    event = _event_or_404(event_id, "checkin.door")
    first, last = services.event_days(event)
    response = jsonify(
        event_id=event.id,
        valid_from=first.isoformat(),
        valid_until=last.isoformat(),
        csrf_token=generate_csrf(),
        tickets=services.door_ticket_list(event),
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/organiser/events/<int:event_id>/door/scans")
@login_required
def door_scan_sync(event_id):
    """A scan the door stored while offline (JSON, CSRF header), applied idempotently by its scan id."""
    event = _event_or_404(event_id, "checkin.door")
    try:
        args = CheckInArgs().load(request.get_json(silent=True) or {})
    except ma.ValidationError as error:
        return problems.problem(422, "invalid_scan", "The scan is not valid.", errors=error.messages)
    if not args["ticket"]:
        return problems.problem(422, "ticket_missing", "Send 'ticket'.")
    return jsonify(CheckInSchema().dump(apply_door_scan(event, current_user, args)))


@bp.route("/organiser/events/<int:event_id>/door/walk-in", methods=["GET", "POST"])
@login_required
def walk_in(event_id):
    event = _event_or_404(event_id, "checkin.door")
    form = WalkInForm()
    if request.method == "GET":
        form.door.data = _remembered_door()
        form.language.data = event.default_language
    outcome = None
    if form.validate_on_submit():
        try:
            outcome = services.register_walk_in(
                event,
                current_user,
                form.door.data,
                form.name.data,
                form.email.data or None,
                form.language.data,
                form.wants_messages.data,
            )
        except services.EventFull:
            form.name.errors.append(_("The event is full: no place is free for a walk-in."))
    if outcome is not None:
        return _remember_door(
            Response(
                render_template(
                    "checkin/door.html",
                    event=event,
                    form=ScanForm(formdata=None, door=form.door.data),
                    outcome=outcome,
                    query="",
                    results=[],
                    arrivals={},
                    organiser=permissions.can("checkin.counters", event),
                    tally=services.door_tally(event),  # the walk-in is committed: counted as arrived and expected
                )
            ),
            form.door.data,
        )
    return render_template("checkin/walk_in.html", event=event, form=form, sessions=speeddating.sessions_of(event))


@bp.get("/organiser/events/<int:event_id>/counters")
@login_required
def counters(event_id):
    event = _event_or_404(event_id, "checkin.counters")
    return render_template("checkin/counters.html", event=event, counts=services.door_counters(event))


# ---- booths --------------------------------------------------------------------------------


def _booth_page(exhibitor, scan_form=None, outcome=None, visitor=None, token=""):
    scans = [
        (scan, visitor_card(scan.registration) if scan.registration else None)
        for scan in services.recent_booth_scans(exhibitor)
    ]
    return render_template(
        "checkin/booth.html",
        exhibitor=exhibitor,
        event=exhibitor.event,
        form=scan_form or BoothScanForm(),
        outcome=outcome,
        visitor=visitor,
        log_form=BoothLogForm(formdata=None, token=token),
        scans=scans,
    )


@bp.get("/booth/<int:exhibitor_id>")
@login_required
def booth(exhibitor_id):
    return _booth_page(_exhibitor_or_404(exhibitor_id))


@bp.post("/booth/<int:exhibitor_id>/scan")
@login_required
def booth_scan(exhibitor_id):
    """Show whom a scanned badge names and offer to log a conversation or an interview."""
    exhibitor = _exhibitor_or_404(exhibitor_id)
    form = BoothScanForm()
    if not form.validate_on_submit():
        return _booth_page(exhibitor, form)
    token = form.token.data
    outcome = services.booth_lookup(exhibitor, token)
    visitor = visitor_card(outcome.registration) if outcome.registration else None
    form.token.data = ""
    return _booth_page(exhibitor, form, outcome, visitor, token)


@bp.post("/booth/<int:exhibitor_id>/log")
@login_required
def booth_log(exhibitor_id):
    exhibitor = _exhibitor_or_404(exhibitor_id)
    form = BoothLogForm()
    if not form.validate_on_submit():
        flash(_("Scan the badge again."), "error")
        return redirect(url_for("checkin.booth", exhibitor_id=exhibitor.id))
    try:
        scan = services.log_booth_scan(exhibitor, form.token.data, current_user, form.kind.data)
    except services.BoothScanRefused as refused:
        messages = {
            "conflict": _("This visitor already has an interview starting at this moment."),
            ScanResult.CANCELLED: _("This registration is cancelled."),
            ScanResult.NOT_REGISTERED: _("This person has no place at the fair."),
            ScanResult.WRONG_EVENT: _("This badge is for another event."),
        }
        flash(messages.get(refused.result, _("This badge is not valid.")), "error")
    else:
        card = visitor_card(scan.registration)
        label = card.name if card.shared else card.reference
        if scan.kind == BoothScanKind.INTERVIEW:
            flash(_("Walk-in interview with %(who)s logged. It is in your schedule.", who=label), "success")
        else:
            flash(_("Conversation with %(who)s logged.", who=label), "success")
    return redirect(url_for("checkin.booth", exhibitor_id=exhibitor.id))


# ---- speed dating at the door ----------------------------------------------------------------


@bp.route("/events/<int:event_id>/speed-dating/<int:session_id>/door", methods=["GET", "POST"])
@login_required
def speed_dating_door(event_id, session_id):
    """Seat a walk-in visitor in a coming round with free seats, by the ticket's QR code."""
    session = db.session.get(SpeedDatingSession, session_id)
    if session is None or session.event_id != event_id:
        abort(404)
    permissions.require("speeddating.door", session, not_found=True)
    rounds = [r for r in speeddating.rounds_of(session) if r.starts_at > utcnow()]
    form = DoorSeatForm()
    zone = session.event.timezone
    form.round.choices = [
        (r.starts_at.isoformat(), _("Round %(n)d at %(time)s", n=r.number, time=format_time(r.starts_at, zone)))
        for r in rounds
        if r.free
    ]
    status = 200
    if form.validate_on_submit():
        starts_at = datetime.fromisoformat(form.round.data)
        try:
            booking = services.seat_at_door(session, starts_at, form.ticket.data.strip(), current_user)
        except services.BoothScanRefused as exc:
            form.ticket.errors.append(str(SEAT_REFUSED.get(exc.result, _l("This ticket is not valid for this fair."))))
            status = 422
        except BookingError as exc:
            form.ticket.errors.append(exc.message)
            status = 409
        else:
            flash(
                _(
                    "Seated: ticket %(number)s with %(name)s at %(time)s.",
                    number=services.ticket_number(booking.registration),
                    name=booking.exhibitor.name,
                    time=format_time(booking.starts_at, session.event.timezone),
                ),
                "success",
            )
            return redirect(url_for("checkin.speed_dating_door", event_id=event_id, session_id=session_id), code=303)
    elif request.method == "POST":
        status = 422
    return render_template(
        "checkin/speed_dating_door.html", session=session, rounds=rounds, form=form, event=session.event
    ), status
