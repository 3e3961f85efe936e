"""The job coach's pages (staff: Swedish and English): their groups at an event, registering a
group, a group's page with its members' interviews, booking and cancelling for a member, the
printable group schedule and each member's printable sheet."""

from datetime import datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from bazaar import permissions, ratelimit
from bazaar.booking.errors import BookingError
from bazaar.booking.models import Booking, my_bookings
from bazaar.booking.rules import offers_for
from bazaar.checkin.qr import ticket_qr_svg
from bazaar.checkin.services import ticket_number
from bazaar.coaching import services
from bazaar.coaching.forms import BookForMemberForm, CancelForMemberForm, GroupRegistrationForm
from bazaar.coaching.models import CoachGroup, GroupMember
from bazaar.events.models import Event
from bazaar.events.services import registration_open
from bazaar.exhibitors.models import ApplicationStatus, Exhibitor
from bazaar.extensions import db, limiter
from bazaar.i18n import format_time
from bazaar.registrations import services as registration_services
from bazaar.registrations.models import RegistrationStatus
from bazaar.routing import ROW_ID_MAX

bp = Blueprint("coaching", __name__)


def _group(group_id: int) -> CoachGroup:
    return permissions.load(CoachGroup, group_id, "coaching.group", not_found=True)


def _member(member_id: int) -> GroupMember:
    return permissions.load(GroupMember, member_id, "coaching.member", not_found=True)


@bp.get("/coach/events/<int:event_id>/groups")
@login_required
def groups(event_id):
    event = permissions.load(Event, event_id, "coaching.groups", not_found=True)
    return render_template(
        "coaching/groups.html",
        event=event,
        groups=services.groups_of(current_user, event),
        can_register=permissions.can("coaching.register", event) and registration_open(event),
    )


@bp.route("/coach/events/<int:event_id>/groups/new", methods=["GET", "POST"])
@login_required
@limiter.limit(ratelimit.GROUP_PER_ACCOUNT, methods=["POST"], key_func=ratelimit.current_user_key)
def register(event_id):
    event = permissions.load(Event, event_id, "coaching.register", not_found=True)
    if not registration_open(event):
        flash(_("Registration for this event is closed."), "error")
        return redirect(url_for("coaching.groups", event_id=event.id))
    form = GroupRegistrationForm()
    if form.validate_on_submit():
        try:
            group = services.register_group(event, current_user, form.name.data, form.participants_data())
        except registration_services.RegistrationError as exc:
            flash(str(exc), "error")
        else:
            flash(
                _(
                    "The group is registered. People whose email already had an account were sent an "
                    "invitation to register themselves; they are not in the group."
                ),
                "success",
            )
            return redirect(url_for("coaching.group", group_id=group.id), code=303)
    return render_template(
        "coaching/register.html",
        event=event,
        form=form,
        free=registration_services.free_places(event),
        group_min=registration_services.GROUP_MIN,
        group_max=registration_services.GROUP_MAX,
    )


@bp.get("/coach/groups/<int:group_id>")
@login_required
def group(group_id):
    group = _group(group_id)
    return render_template(
        "coaching/group.html",
        group=group,
        event=group.event,
        bookings=services.bookings_of(group),
        cancel_form=CancelForMemberForm(),
        RegistrationStatus=RegistrationStatus,
    )


@bp.get("/coach/groups/<int:group_id>/print")
@login_required
def group_print(group_id):
    group = _group(group_id)
    return render_template(
        "coaching/group_print.html", group=group, event=group.event, bookings=services.bookings_of(group)
    )


@bp.get("/coach/members/<int:member_id>/sheet")
@login_required
def sheet(member_id):
    """The member's printable sheet, in their language (``?lang=`` prints it in another)."""
    member = _member(member_id)
    registration = member.registration
    holds = registration.status == RegistrationStatus.REGISTERED
    shown = {
        "member": member,
        "user": registration.user,
        "event": registration.event,
        "registration": registration,
        "number": ticket_number(registration),
        "qr_svg": ticket_qr_svg(registration) if holds else None,
        "bookings": my_bookings(registration),
        "code": services.shown_code(member.code),
        "code_url": services.code_url(),
    }
    wanted = request.args.get("lang")
    with force_locale(wanted if wanted in current_app.config["LANGUAGES"] else registration.user.preferred_language):
        return render_template("coaching/member_sheet.html", **shown)


@bp.post("/coach/members/<int:member_id>/send-link")
@login_required
def send_link(member_id):
    member = _member(member_id)
    channels = services.send_link(member)
    if channels:
        flash(_("The link to their page is on its way."), "success")
    else:
        flash(_("This member has neither an email address nor a phone number. Print their sheet instead."), "error")
    return redirect(url_for("coaching.group", group_id=member.group_id))


@bp.post("/coach/members/<int:member_id>/new-code")
@login_required
def new_code(member_id):
    member = _member(member_id)
    services.new_member_code(member)
    flash(_("The member has a new code: print a new sheet. The old sheet and link no longer work."), "success")
    return redirect(url_for("coaching.group", group_id=member.group_id))


def _exhibitor(event_id: int, exhibitor_id: int) -> Exhibitor:
    exhibitor = db.session.get(Exhibitor, exhibitor_id) if 0 < exhibitor_id <= ROW_ID_MAX else None
    if exhibitor is None or exhibitor.event_id != event_id or exhibitor.status != ApplicationStatus.APPROVED:
        abort(404)
    return exhibitor


@bp.get("/coach/members/<int:member_id>/book")
@login_required
def book_choose(member_id):
    member = _member(member_id)
    event = member.group.event
    exhibitors = db.session.scalars(
        select(Exhibitor)
        .where(Exhibitor.event_id == event.id, Exhibitor.status == ApplicationStatus.APPROVED)
        .order_by(Exhibitor.name)
    ).all()
    return render_template("coaching/book_choose.html", member=member, event=event, exhibitors=exhibitors)


@bp.route("/coach/members/<int:member_id>/book/<int:exhibitor_id>", methods=["GET", "POST"])
@login_required
def book(member_id, exhibitor_id):
    member = _member(member_id)
    event = member.group.event
    exhibitor = _exhibitor(event.id, exhibitor_id)
    offers = offers_for(member.registration, exhibitor)
    form = BookForMemberForm()
    form.starts_at.choices = [
        (o.time.starts_at.isoformat(), format_time(o.time.starts_at, event.timezone))
        for o in offers.offers
        if o.moving is None
    ]
    error = None
    if form.validate_on_submit():
        wanted = datetime.fromisoformat(form.starts_at.data)
        group_id, name, zone = member.group_id, exhibitor.name, event.timezone
        try:
            services.book_for(member, exhibitor, wanted, current_user)
        except BookingError as exc:
            error = exc
        else:
            flash(
                _("Booked: %(name)s at %(time)s.", name=name, time=format_time(wanted, zone, with_zone=True)), "success"
            )
            return redirect(url_for("coaching.group", group_id=group_id), code=303)
    return render_template(
        "coaching/book.html", member=member, event=event, exhibitor=exhibitor, offers=offers, form=form, error=error
    ), (409 if error else 200)


@bp.post("/coach/members/<int:member_id>/bookings/<int:booking_id>/cancel")
@login_required
def cancel(member_id, booking_id):
    member = _member(member_id)
    booking = db.session.get(Booking, booking_id) if 0 < booking_id <= ROW_ID_MAX else None
    if booking is None or booking.registration_id != member.registration_id:
        abort(404)
    group_id = member.group_id
    form = CancelForMemberForm()
    if not form.validate_on_submit():
        flash(_("Tick the box to confirm that the member asked you to cancel."), "error")
        return redirect(url_for("coaching.group", group_id=group_id))
    try:
        services.cancel_for(member, booking, current_user)
    except BookingError as exc:
        flash(str(exc), "error")
    else:
        flash(_("The interview is cancelled. The member is told."), "success")
    return redirect(url_for("coaching.group", group_id=group_id), code=303)
