from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from bazaar import permissions
from bazaar.activitylog import services as activitylog
from bazaar.activitylog.forms import ActivityFilterForm
from bazaar.activitylog.models import ACTION_LABELS
from bazaar.events import services
from bazaar.events.forms import EventForm
from bazaar.events.models import Event
from bazaar.exhibitors.models import ApplicationStatus, Exhibitor
from bazaar.extensions import db
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
    if form.validate_on_submit():
        event = services.create_event(current_user, **form.to_fields())
        flash(_("The event was created as a draft."), "success")
        return redirect(url_for("events.manage", event_id=event.id))
    return render_template("events/form.html", form=form, event=None)


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
    if form.validate_on_submit():
        services.update_event(event, **form.to_fields())
        flash(_("Saved."), "success")
        return redirect(url_for("events.manage", event_id=event.id))
    return render_template("events/form.html", form=form, event=event)


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
