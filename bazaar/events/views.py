from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from bazaar import permissions
from bazaar.activitylog import services as activitylog
from bazaar.activitylog.forms import ActivityFilterForm
from bazaar.activitylog.models import ACTION_LABELS
from bazaar.events import services
from bazaar.events.forms import BodyForm, BodyLogoForm, EventForm
from bazaar.events.models import Event, EventOrganiser
from bazaar.exhibitors.models import ApplicationStatus, Exhibitor
from bazaar.extensions import db
from bazaar.i18n import format_datetime
from bazaar.images import read_upload
from bazaar.registrations.models import live_registration
from bazaar.routing import link_args, page_number

bp = Blueprint("events", __name__)


def get_event_or_404(slug: str) -> Event:
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        abort(404)
    return event


@bp.get("/")
def home():
    return render_template("events/home.html", events=services.upcoming_events())


@bp.get("/events/<slug>")
def event_page(slug):
    event = get_event_or_404(slug)
    permissions.require("event.view", event, not_found=True)

    exhibitors = db.session.scalars(
        select(Exhibitor)
        .where(Exhibitor.event_id == event.id, Exhibitor.status == ApplicationStatus.APPROVED)
        .order_by(Exhibitor.name)
    ).all()
    return render_template(
        "events/event.html",
        event=event,
        exhibitors=exhibitors,
        bodies=services.bodies_of(event),
        registration_open=services.registration_open(event),
        applications_open=permissions.can("exhibitor.apply", event),
        registration=live_registration(event.id, current_user.id) if current_user.is_authenticated else None,
    )


@bp.get("/organiser/events")
@login_required
def organiser_events():
    """The fairs the user runs, as organiser or co-organiser; organisers create new ones here."""
    events = services.events_run_by(current_user)
    if not events:
        permissions.require("event.create")
    return render_template("events/organiser_list.html", events=events)


@bp.route("/organiser/events/new", methods=["GET", "POST"])
@login_required
def create():
    permissions.require("event.create")
    form = EventForm()
    if _adding_day(form):
        return render_template("events/form.html", form=form, event=None)
    if form.validate_on_submit():
        event = services.create_event(current_user, form.day_specs(), **form.to_fields())
        flash(_("The event was created as a draft."), "success")
        return redirect(url_for("events.manage", event_id=event.id))
    return render_template("events/form.html", form=form, event=None)


def _adding_day(form: EventForm) -> bool:
    """The form's "Add another day" button: one more empty day row, nothing saved."""
    if request.method != "POST" or "add_day" not in request.form:
        return False
    if len(form.days) < form.days.max_entries:
        form.days.append_entry()
    return True


def _in_the_way(event: Event, bookings) -> list[str]:
    """The bookings a change of days would leave outside the fair, one line each."""
    return [
        _(
            "%(employer)s, %(table)s: an interview booked at %(when)s",
            employer=b.exhibitor.name,
            table=b.slot.table.name if b.slot is not None else "-",
            when=format_datetime(b.starts_at, event.timezone, "short"),
        )
        for b in bookings
    ]


def _managed_event(event_id: int) -> Event:
    return permissions.load(Event, event_id, "event.manage")


@bp.get("/organiser/events/<int:event_id>")
@login_required
def manage(event_id):
    event = _managed_event(event_id)
    return render_template("events/manage.html", event=event, figures=services.overview(event))


@bp.route("/organiser/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id):
    event = _managed_event(event_id)
    form = EventForm(obj=event)
    if request.method == "GET":
        form.fill_from(event)
    in_the_way = []
    if not _adding_day(form) and form.validate_on_submit():
        try:
            services.update_event(event, form.day_specs(), **form.to_fields())
        except services.SlotsInTheWay as refused:
            in_the_way = _in_the_way(event, refused.bookings)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("events.manage", event_id=event.id))
    return render_template("events/form.html", form=form, event=event, in_the_way=in_the_way)


@bp.post("/organiser/events/<int:event_id>/status")
@login_required
def change_status(event_id):
    event = _managed_event(event_id)
    status = request.form.get("status", "")
    try:
        services.set_status(event, status)
    except (ValueError, KeyError):
        flash(_("That change of status is not possible."), "error")
    else:
        flash(_("Saved."), "success")
    return redirect(url_for("events.manage", event_id=event.id))


ACTIVITY_PAGE_SIZE = 50


@bp.get("/organiser/events/<int:event_id>/activity")
@login_required
def activity(event_id):
    """The event's activity log, newest first, narrowed by action, actor and dates (the fair's days)."""
    event = permissions.load(Event, event_id, "event.activity")
    form = ActivityFilterForm(request.args)
    form.action.choices = [("", _("All"))] + [
        (a, str(ACTION_LABELS.get(a, a))) for a in activitylog.actions_logged(event)
    ]
    form.actor.choices = [("", _("Everyone"))] + [
        (str(user_id), name or _("Erased person")) for user_id, name in activitylog.actors(event)
    ]
    filters = form.filters(event.timezone) if form.validate() else {}
    page = page_number(request.args)
    total, entries = activitylog.page_of(activitylog.entries(event, **filters), page, ACTIVITY_PAGE_SIZE)
    return render_template(
        "events/activity.html",
        event=event,
        form=form,
        entries=entries,
        people=activitylog.people_named(entries),
        total=total,
        page=page,
        pages=max(1, -(-total // ACTIVITY_PAGE_SIZE)),
        args=link_args(request.args, form),
    )


# ---- organising bodies ---------------------------------------------------------------------

REFUSALS = {
    "already": _l("That body organises this event already."),
    "last": _l("An event needs at least one organising body."),
    "own": _l("You cannot remove your own organising body: ask a member of another body to do it."),
    "too large": _l("The logo may be at most 1 MB."),
    "not an image": _l("That file is not a PNG, JPEG or WebP image."),
}


def _bodies_page(event: Event, form: BodyForm):
    return render_template(
        "events/bodies.html", event=event, bodies=services.bodies_of(event), form=form, logo_form=BodyLogoForm()
    )


def _body(event: Event, organisation_id: int) -> EventOrganiser:
    body = next((b for b in event.organisers if b.organisation_id == organisation_id), None)
    if body is None:
        abort(404)
    return body


@bp.route("/organiser/events/<int:event_id>/bodies", methods=["GET", "POST"])
@login_required
def bodies(event_id):
    event = permissions.load(Event, event_id, "event.bodies")
    form = BodyForm()
    if form.validate_on_submit():
        try:
            services.add_body(event, form.name.data, form.website.data, read_upload(request.files.get("logo")))
        except services.BodyRefused as exc:
            (form.name if str(exc) == "already" else form.logo).errors.append(REFUSALS[str(exc)])
        else:
            flash(_("The organising body was added."), "success")
            return redirect(url_for("events.bodies", event_id=event.id))
    return _bodies_page(event, form)


@bp.post("/organiser/events/<int:event_id>/bodies/<int:organisation_id>/logo")
@login_required
def body_logo_upload(event_id, organisation_id):
    event = permissions.load(Event, event_id, "event.bodies")
    body = _body(event, organisation_id)
    logo_form = BodyLogoForm()
    data = read_upload(request.files.get("logo"))
    if logo_form.validate_on_submit() and data:
        try:
            services.set_body_logo(body, data)
        except services.BodyRefused as exc:
            flash(REFUSALS[str(exc)], "error")
        else:
            flash(_("The logo was saved."), "success")
    elif not data:
        flash(_("Choose an image file."), "error")
    return redirect(url_for("events.bodies", event_id=event.id))


@bp.post("/organiser/events/<int:event_id>/bodies/<int:organisation_id>/delete")
@login_required
def body_remove(event_id, organisation_id):
    event = permissions.load(Event, event_id, "event.bodies")
    try:
        services.remove_body(event, _body(event, organisation_id), current_user)
    except services.BodyRefused as exc:
        flash(REFUSALS[str(exc)], "error")
    else:
        flash(_("The organising body was removed."), "success")
    return redirect(url_for("events.bodies", event_id=event.id))


@bp.get("/events/<slug>/bodies/<int:organisation_id>/logo")
def body_logo(slug, organisation_id):
    event = get_event_or_404(slug)
    permissions.require("event.view", event, not_found=True)
    body = _body(event, organisation_id)
    if body.logo is None:
        abort(404)
    response = Response(body.logo, mimetype=body.logo_mimetype)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "public, max-age=300" if event.is_public else "private, no-store"
    return response
