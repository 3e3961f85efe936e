from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from bazaar import permissions
from bazaar.events import services
from bazaar.events.forms import EventForm
from bazaar.events.models import Event
from bazaar.exhibitors.models import ApplicationStatus, Exhibitor
from bazaar.extensions import db
from bazaar.i18n import format_datetime
from bazaar.registrations.models import live_registration

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
        registration_open=services.registration_open(event),
        applications_open=permissions.can("exhibitor.apply", event),
        registration=live_registration(event.id, current_user.id) if current_user.is_authenticated else None,
    )


@bp.get("/organiser/events")
@login_required
def organiser_events():
    permissions.require("event.create")
    return render_template("events/organiser_list.html", events=services.events_for_organiser(current_user))


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
