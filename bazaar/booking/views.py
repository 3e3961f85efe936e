"""Visitor pages: find exhibitors, book, cancel, reschedule, my schedule, waiting lists."""

from functools import cache

from babel import Locale
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import Integer, String, and_, bindparam, select
from sqlalchemy.orm import joinedload

from bazaar import permissions
from bazaar.accounts.models import User
from bazaar.booking import calendar, services, speeddating, waitlist
from bazaar.booking.directory import approved_exhibitors, directory, directory_choices
from bazaar.booking.errors import BookingError
from bazaar.booking.forms import BrowseForm, ConfirmForm, TimeForm
from bazaar.booking.models import Booking, CancelReason, SpeedDatingSession, WaitlistEntry, my_bookings
from bazaar.booking.notifications import MANAGE_LINK
from bazaar.booking.rules import free_times, nearest_offers, offers_for, registration_for_booking
from bazaar.clock import utcnow
from bazaar.events.models import Event
from bazaar.exhibitors.models import EMPLOYMENT_TYPE_LABELS, EMPLOYMENT_TYPES, ApplicationStatus, Exhibitor
from bazaar.extensions import db
from bazaar.i18n import country_name, current_lang, format_time
from bazaar.occupations import OCCUPATIONS
from bazaar.registrations.models import Registration, RegistrationStatus
from bazaar.tokens import InvalidToken

bp = Blueprint("booking", __name__)


def _event(slug: str, *load) -> Event:
    event = db.session.scalar(select(Event).where(Event.slug == slug[:80]).options(*load))
    if event is None:
        abort(404)
    permissions.require("event.view", event, not_found=True)
    return event


def _exhibitor(event: Event, exhibitor_id: int, *load) -> Exhibitor:
    exhibitor = db.session.get(Exhibitor, exhibitor_id, options=load)
    if exhibitor is None or exhibitor.event_id != event.id or exhibitor.status != ApplicationStatus.APPROVED:
        abort(404)
    return exhibitor


def _own_booking(booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    permissions.require("booking.change", booking, not_found=True)
    return booking


def _language_name(code: str, lang: str) -> str:
    try:
        return Locale.parse(code).get_display_name(lang) or code
    except ValueError:
        return code


def _browse_form(event: Event, exhibitors: list) -> BrowseForm:
    lang = current_lang()
    present = directory_choices(event, exhibitors)
    form = BrowseForm(request.args)
    anything = [("", _("Any"))]
    form.occupation.choices = anything + sorted(((k, str(v)) for k, v in OCCUPATIONS.items()), key=lambda c: c[1])
    form.language.choices = anything + [(c, _language_name(c, lang)) for c in present["languages"]]
    form.country.choices = anything + [(c, country_name(c, lang)) for c in present["countries"]]
    form.employment_type.choices = anything + [(t, str(EMPLOYMENT_TYPE_LABELS.get(t, t))) for t in EMPLOYMENT_TYPES]
    return form


@bp.get("/events/<slug>/exhibitors")
def browse(slug):
    event = _event(slug)
    exhibitors = approved_exhibitors(event)  # read once for the filters' choices and the list
    form = _browse_form(event, exhibitors)
    if request.args and form.validate():
        listings = directory(
            event,
            q=form.q.data or "",
            occupation=form.occupation.data or "",
            language=form.language.data or "",
            country=form.country.data or "",
            employment_type=form.employment_type.data or "",
            free_only=bool(form.free.data),
            exhibitors=exhibitors,
        )
    else:
        listings = directory(event, exhibitors=exhibitors)
    return render_template(
        "booking/browse.html",
        event=event,
        form=form,
        listings=listings,
        registration=registration_for_booking(current_user, event),
        speed_dating=bool(speeddating.sessions_of(event)),
    )


def _exhibitor_page(
    event, exhibitor, error: BookingError | None = None, status: int = 200, wanted=None, registration=False
):
    """The employer's page; after a refused booking of ``wanted`` (``error``), with the nearest times
    this visitor can take. ``registration``: the visitor's, if the caller has read it."""
    if registration is False:
        registration = registration_for_booking(current_user, event)
    reg_id = registration.id if registration is not None else None
    mine = my_bookings(registration) if registration is not None else []
    offers = offers_for(registration, exhibitor, live=mine) if registration is not None else None
    return render_template(
        "booking/exhibitor.html",
        event=event,
        exhibitor=exhibitor,
        registration=registration,
        times=free_times(exhibitor) if registration is None else None,
        offers=offers,
        error=error,
        nearby=nearest_offers(offers, wanted) if error is not None and offers and wanted else [],
        booked_here=[b for b in mine if b.exhibitor_id == exhibitor.id],
        waitlist=waitlist.waitlist_entry(reg_id, exhibitor.id) if reg_id else None,
        form=TimeForm(),
        confirm=ConfirmForm(),
        booth_languages=[_language_name(code, current_lang()) for code in exhibitor.booth_languages or []],
    ), status


@bp.get("/events/<slug>/exhibitors/<int:exhibitor_id>")
def exhibitor(slug, exhibitor_id):
    event = _event(slug)
    return _exhibitor_page(event, _exhibitor(event, exhibitor_id, joinedload(Exhibitor.openings)))


def _registration_or_redirect(event):
    registration = registration_for_booking(current_user, event)
    if registration is None:
        flash(_("Register for the event first; then you can book interviews."), "error")
    return registration


@cache
def _booking_target_statement():
    """The statement of :func:`_booking_target`, built once per process (compiled once)."""
    user_id = bindparam("user", type_=Integer())
    return (
        select(Event, Exhibitor, Registration)
        .join(Exhibitor, and_(Exhibitor.event_id == Event.id, Exhibitor.id == bindparam("exhibitor", type_=Integer())))
        .outerjoin(
            Registration,
            and_(
                Registration.event_id == Event.id,
                Registration.user_id == user_id,
                Registration.status == RegistrationStatus.REGISTERED,
            ),
        )
        .where(Event.slug == bindparam("slug", type_=String()))
        .options(joinedload(Registration.user).joinedload(User.profile))
    )


def _booking_target(slug: str, exhibitor_id: int, user_id: int) -> tuple[Event, Exhibitor, Registration | None]:
    """What a booking POST needs, in one query: the event (404 unless the user may see it), its
    approved exhibitor (404) and the user's registration that may book (None), with the user and
    the visitor's profile that the interview reminder reads."""
    params = {"slug": slug[:80], "exhibitor": exhibitor_id, "user": user_id}
    row = db.session.execute(_booking_target_statement(), params).first()
    if row is None:
        abort(404)
    event, exhibitor, registration = row
    permissions.require("event.view", event, not_found=True)
    if exhibitor.status != ApplicationStatus.APPROVED:
        abort(404)
    return event, exhibitor, registration


@bp.post("/events/<slug>/exhibitors/<int:exhibitor_id>/book")
@login_required
def book(slug, exhibitor_id):
    user_id = current_user.id
    event, exhibitor, registration = _booking_target(slug, exhibitor_id, user_id)
    if registration is None:
        flash(_("Register for the event first; then you can book interviews."), "error")
        return redirect(url_for("events.event_page", slug=event.slug))
    permissions.require("booking.book", registration)
    form = TimeForm()
    if not form.validate():
        flash(_("That time is not valid."), "error")
        return redirect(url_for("booking.exhibitor", slug=event.slug, exhibitor_id=exhibitor.id))
    name, zone, slug = exhibitor.name, event.timezone, event.slug  # no reload after the commit
    try:
        services.book(registration, exhibitor, form.starts_at.instant, actor=current_user)
    except BookingError as exc:
        # The rollback expired what was read: read it again in one statement, not one per object.
        event, exhibitor, registration = _booking_target(slug, exhibitor_id, user_id)
        return _exhibitor_page(
            event, exhibitor, error=exc, status=409, wanted=form.starts_at.instant, registration=registration
        )
    flash(
        _("Booked: %(name)s at %(time)s.", name=name, time=format_time(form.starts_at.instant, zone, with_zone=True)),
        "success",
    )
    return redirect(url_for("booking.my_schedule", slug=slug), code=303)


def _time(moment, event) -> str:
    return format_time(moment, event.timezone, with_zone=True)


@bp.get("/events/<slug>/my-schedule")
@login_required
def my_schedule(slug):
    event = _event(slug, joinedload(Event.days))  # the page names each day
    registration = registration_for_booking(current_user, event)
    bookings = my_bookings(registration) if registration is not None else []
    waiting = []
    if registration is not None:
        waiting = db.session.scalars(
            select(WaitlistEntry)
            .where(
                WaitlistEntry.registration_id == registration.id,
                WaitlistEntry.in_line,
            )
            .order_by(WaitlistEntry.created_at)
            .options(joinedload(WaitlistEntry.exhibitor))
        ).all()
    return render_template(
        "booking/my_schedule.html",
        event=event,
        registration=registration,
        bookings=bookings,
        waiting=waiting,
        confirm=ConfirmForm(),
        speed_dating=bool(speeddating.sessions_of(event)),
    )


@bp.get("/events/<slug>/my-schedule.ics")
@login_required
def schedule_download(slug):
    event = _event(slug)
    registration = registration_for_booking(current_user, event)
    if registration is None:
        abort(404)
    return _ics(calendar.schedule_ics(registration), f"{event.slug}-schedule.ics")


@bp.get("/bookings/<int:booking_id>.ics")
@login_required
def booking_download(booking_id):
    booking = db.session.get(Booking, booking_id)
    permissions.require("booking.view", booking, not_found=True)
    return _ics(calendar.booking_ics(booking), f"interview-{booking.id}.ics")


def _ics(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ---- cancel and reschedule (from the site, logged in; or from an email link with a token) -----


def _cancel(booking: Booking, action_url: str, done_url: str):
    form = ConfirmForm()
    event = booking.registration.event
    if form.validate_on_submit():
        try:
            services.cancel_booking(booking, actor=booking.registration.user, reason=CancelReason.VISITOR)
        except BookingError as exc:
            flash(exc.message, "error")
        else:
            flash(_("Your interview with %(name)s is cancelled.", name=booking.exhibitor.name), "success")
        return redirect(done_url, code=303)
    return render_template("booking/cancel.html", booking=booking, event=event, form=form, action_url=action_url)


def _reschedule(booking: Booking, action_url: str, done_url: str):
    event = booking.registration.event
    form = TimeForm()
    error = None
    if request.method == "POST":
        if form.validate():
            try:
                services.reschedule(booking, form.starts_at.instant, actor=booking.registration.user)
            except BookingError as exc:
                error = exc
            else:
                flash(_("Your interview is moved to %(time)s.", time=_time(booking.starts_at, event)), "success")
                return redirect(done_url, code=303)
        else:
            error = BookingError(_("That time is not valid."))
    times = (
        [o.time for o in offers_for(booking.registration, booking.exhibitor, moving=booking).offers]
        if booking.is_live
        else []
    )
    return render_template(
        "booking/reschedule.html",
        booking=booking,
        event=event,
        form=form,
        times=times,
        error=error,
        action_url=action_url,
    ), (409 if error else 200)


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(booking_id):
    booking = _own_booking(booking_id)
    event = booking.registration.event
    return _cancel(
        booking, url_for("booking.cancel", booking_id=booking.id), url_for("booking.my_schedule", slug=event.slug)
    )


@bp.route("/bookings/<int:booking_id>/reschedule", methods=["GET", "POST"])
@login_required
def reschedule(booking_id):
    booking = _own_booking(booking_id)
    event = booking.registration.event
    return _reschedule(
        booking, url_for("booking.reschedule", booking_id=booking.id), url_for("booking.my_schedule", slug=event.slug)
    )


@bp.route("/bookings/link/<token>/<any(cancel, reschedule):action>", methods=["GET", "POST"])
def email_link(token, action):
    """Where the links in booking emails land. GET only shows a page; the change needs a POST,
    so a mail scanner following the link changes nothing. The token is re-checked each time."""
    try:
        booking = MANAGE_LINK.load(token)
    except InvalidToken:
        return render_template("booking/link_invalid.html"), 404
    done = url_for("booking.email_link", token=token, action=action)
    if action == "cancel":
        return _cancel(booking, done, done)
    return _reschedule(booking, done, done)


# ---- waiting list --------------------------------------------------------------------------------


@bp.post("/events/<slug>/exhibitors/<int:exhibitor_id>/waitlist")
@login_required
def join_waitlist(slug, exhibitor_id):
    event = _event(slug)
    exhibitor = _exhibitor(event, exhibitor_id)
    back = url_for("booking.exhibitor", slug=event.slug, exhibitor_id=exhibitor.id)
    registration = _registration_or_redirect(event)
    if registration is None:
        return redirect(back, code=303)
    permissions.require("booking.book", registration)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        waitlist.join_waitlist(registration, exhibitor)
    except BookingError as exc:
        flash(exc.message, "error")
    else:
        flash(_("You are on the waiting list. We email you when a time frees up."), "success")
    return redirect(back, code=303)


@bp.post("/waitlist/<int:entry_id>/leave")
@login_required
def leave_waitlist(entry_id):
    entry = db.session.get(WaitlistEntry, entry_id)
    permissions.require("waitlist.own", entry, not_found=True)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        waitlist.leave_waitlist(entry)
    except BookingError as exc:
        flash(exc.message, "error")
    else:
        flash(_("You have left the waiting list."), "success")
    return redirect(url_for("booking.my_schedule", slug=entry.registration.event.slug), code=303)


@bp.route("/waitlist/claim/<token>", methods=["GET", "POST"])
def claim(token):
    """The link in a waiting-list offer: shows the held time; booking it needs a POST."""
    try:
        entry = waitlist.CLAIM_LINK.load(token)
    except InvalidToken:
        return render_template("booking/link_invalid.html"), 404
    event = entry.registration.event
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        try:
            booking = services.claim_offer(entry, actor=entry.registration.user)
        except BookingError as exc:
            error = exc
        else:
            flash(
                _("Booked: %(name)s at %(time)s.", name=booking.exhibitor.name, time=_time(booking.starts_at, event)),
                "success",
            )
            if current_user.is_authenticated and current_user.id == entry.registration.user_id:
                return redirect(url_for("booking.my_schedule", slug=event.slug), code=303)
            return redirect(url_for("booking.claim", token=token), code=303)
    return render_template("booking/claim.html", entry=entry, event=event, form=form, error=error, now=utcnow()), (
        409 if error else 200
    )


# ---- speed dating ---------------------------------------------------------------------------


def _speed_dating_page(event, error: BookingError | None = None, status: int = 200):
    sessions = speeddating.sessions_of(event)
    return render_template(
        "booking/speed_dating.html",
        event=event,
        registration=registration_for_booking(current_user, event),
        sessions=[(s, speeddating.participants(s), speeddating.rounds_of(s)) for s in sessions],
        now=utcnow(),
        form=TimeForm(),
        error=error,
    ), status


@bp.get("/events/<slug>/speed-dating")
def speed_dating(slug):
    """The fair's speed-dating sessions and their rounds with free seats."""
    return _speed_dating_page(_event(slug))


@bp.post("/events/<slug>/speed-dating/<int:session_id>/book")
@login_required
def book_round(slug, session_id):
    event = _event(slug)
    session = db.session.get(SpeedDatingSession, session_id)
    if session is None or session.event_id != event.id:
        abort(404)
    registration = _registration_or_redirect(event)
    if registration is None:
        return redirect(url_for("events.event_page", slug=event.slug))
    permissions.require("booking.book", registration)
    form = TimeForm()
    if not form.validate():
        flash(_("That time is not valid."), "error")
        return redirect(url_for("booking.speed_dating", slug=event.slug))
    zone, slug = event.timezone, event.slug
    try:
        booking = speeddating.book_round(registration, session, form.starts_at.instant, actor=current_user)
    except BookingError as exc:
        return _speed_dating_page(event, error=exc, status=409)
    flash(
        _(
            "Booked: a talk with %(name)s at %(time)s.",
            name=booking.exhibitor.name,
            time=format_time(booking.starts_at, zone, with_zone=True),
        ),
        "success",
    )
    return redirect(url_for("booking.my_schedule", slug=slug), code=303)
