"""Pages for follow-on activities: offering and hosting them (an employer's admins, the organisers),
the invitation's link and "My activities" (visitors)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from bazaar import permissions
from bazaar.activities import services
from bazaar.activities.forms import (
    ATTENDANCE_LABELS,
    AUDIENCE_LABELS,
    OUTCOME_LABELS,
    ActivityForm,
    CallOffForm,
    RecordForm,
)
from bazaar.activities.labels import KIND_LABELS
from bazaar.activities.models import Activity, Participant
from bazaar.booking.forms import ConfirmForm
from bazaar.clock import utcnow
from bazaar.events.models import Event
from bazaar.exhibitors.forms import LANGUAGE_NAMES
from bazaar.exhibitors.models import ApplicationStatus, Exhibitor
from bazaar.extensions import db
from bazaar.tokens import InvalidToken

bp = Blueprint("activities", __name__)


@bp.app_context_processor
def _labels():
    return {
        "ACTIVITY_KINDS": KIND_LABELS,
        "ACTIVITY_AUDIENCES": AUDIENCE_LABELS,
        "ACTIVITY_OUTCOMES": OUTCOME_LABELS,
        "ACTIVITY_ATTENDANCE": ATTENDANCE_LABELS,
        "ACTIVITY_LANGUAGES": LANGUAGE_NAMES,
        "activity_places_left": services.places_left,
    }


# ---- the hosts' pages --------------------------------------------------------------------------


def _approved(event: Event) -> list[Exhibitor]:
    return list(
        db.session.scalars(
            select(Exhibitor)
            .where(Exhibitor.event_id == event.id, Exhibitor.status == ApplicationStatus.APPROVED)
            .order_by(Exhibitor.name)
        )
    )


@bp.get("/exhibitor/<int:exhibitor_id>/activities")
@login_required
def exhibitor_activities(exhibitor_id):
    exhibitor = permissions.load(Exhibitor, exhibitor_id, "activities.offer")
    rows = db.session.scalars(
        select(Activity).where(Activity.exhibitor_id == exhibitor.id).order_by(Activity.starts_at)
    ).all()
    return render_template(
        "activities/staff/list.html",
        activities=rows,
        exhibitor=exhibitor,
        event=exhibitor.event,
        new_url=url_for("activities.new_for_exhibitor", exhibitor_id=exhibitor.id),
    )


@bp.get("/organiser/events/<int:event_id>/activities")
@login_required
def event_activities(event_id):
    event = permissions.load(Event, event_id, "activities.organise")
    rows = db.session.scalars(select(Activity).where(Activity.event_id == event.id).order_by(Activity.starts_at)).all()
    return render_template(
        "activities/staff/list.html",
        activities=rows,
        exhibitor=None,
        event=event,
        new_url=url_for("activities.new_for_event", event_id=event.id),
    )


def _save(form, event, exhibitor, activity=None):
    try:
        activity = services.save_activity(event, exhibitor, form.activity_fields(), current_user, activity)
    except services.ActivityError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return None
    flash(_("Saved."), "success")
    return redirect(url_for("activities.activity", activity_id=activity.id), code=303)


@bp.route("/exhibitor/<int:exhibitor_id>/activities/new", methods=["GET", "POST"])
@login_required
def new_for_exhibitor(exhibitor_id):
    exhibitor = permissions.load(Exhibitor, exhibitor_id, "activities.offer")
    form = ActivityForm(exhibitor.event, exhibitor)
    if form.validate_on_submit() and (done := _save(form, exhibitor.event, exhibitor)):
        return done
    return render_template("activities/staff/form.html", form=form, event=exhibitor.event, exhibitor=exhibitor)


@bp.route("/organiser/events/<int:event_id>/activities/new", methods=["GET", "POST"])
@login_required
def new_for_event(event_id):
    event = permissions.load(Event, event_id, "activities.organise")
    exhibitors = _approved(event)
    form = ActivityForm(event, exhibitors=exhibitors)
    if form.validate_on_submit():
        exhibitor = next((e for e in exhibitors if e.id == form.exhibitor_id.data), None)
        if done := _save(form, event, exhibitor):
            return done
    return render_template("activities/staff/form.html", form=form, event=event, exhibitor=None)


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@login_required
def edit(activity_id):
    activity = permissions.load(Activity, activity_id, "activities.host")
    form = ActivityForm(activity.event, activity.exhibitor, exhibitors=None)
    if request.method == "GET":
        form.fill_from(activity)
    if form.validate_on_submit() and (done := _save(form, activity.event, activity.exhibitor, activity)):
        return done
    return render_template(
        "activities/staff/form.html", form=form, event=activity.event, exhibitor=activity.exhibitor, activity=activity
    )


@bp.get("/activities/<int:activity_id>")
@login_required
def activity(activity_id):
    activity = permissions.load(Activity, activity_id, "activities.host")
    forms = {}
    for participant in services.signed_up(activity):
        form = RecordForm(prefix=f"p{participant.id}", formdata=None)
        form.attendance.data = participant.attendance
        form.outcome.data = participant.outcome or ""
        form.note.data = participant.outcome_note or ""
        forms[participant.id] = form
    return render_template(
        "activities/staff/activity.html",
        activity=activity,
        event=activity.event,
        exhibitor=activity.exhibitor,
        forms=forms,
        confirm=ConfirmForm(),
        call_off_form=CallOffForm(formdata=None),
        now=utcnow(),
        may_invite=services.is_open(activity) and activity.exhibitor_id is not None,
    )


@bp.post("/activities/<int:activity_id>/call-off")
@login_required
def call_off(activity_id):
    activity = permissions.load(Activity, activity_id, "activities.host")
    form = CallOffForm()
    if not form.validate_on_submit():
        flash(_("Tick the box to call the activity off."), "error")
    else:
        try:
            told = services.call_off(activity, current_user, form.message.data)
        except services.ActivityError as exc:
            flash(exc.message, "error")
        else:
            flash(_("The activity is called off; %(n)d told by email.", n=told), "success")
    return redirect(url_for("activities.activity", activity_id=activity.id), code=303)


@bp.post("/activities/<int:activity_id>/invite")
@login_required
def invite(activity_id):
    activity = permissions.load(Activity, activity_id, "activities.host")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        made = services.invite_met(activity)
    except services.ActivityError as exc:
        flash(exc.message, "error")
    else:
        flash(_("%(n)d invited.", n=len(made)), "success")
    return redirect(url_for("activities.activity", activity_id=activity.id), code=303)


@bp.post("/activities/<int:activity_id>/participants/<int:participant_id>")
@login_required
def record(activity_id, participant_id):
    activity = permissions.load(Activity, activity_id, "activities.host")
    participant = db.session.get(Participant, participant_id)
    if participant is None or participant.activity_id != activity.id:
        abort(404)
    form = RecordForm(prefix=f"p{participant.id}")
    if not form.validate_on_submit():
        flash(_("Check the attendance and the outcome."), "error")
    else:
        try:
            services.record(participant, form.attendance.data, form.outcome.data or None, form.note.data, current_user)
        except services.ActivityError as exc:
            flash(exc.message, "error")
        else:
            flash(_("Saved."), "success")
    return redirect(url_for("activities.activity", activity_id=activity.id) + f"#participant-{participant.id}", 303)


# ---- the visitor's pages ----------------------------------------------------------------------


@bp.get("/my/activities")
@login_required
def mine():
    return render_template(
        "activities/mine.html", rows=services.for_visitor(current_user), form=ConfirmForm(), now=utcnow()
    )


@bp.post("/activities/<int:activity_id>/join")
@login_required
def join(activity_id):
    activity = permissions.load(Activity, activity_id, "activities.join", not_found=True)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.sign_up(activity, services.visitor_registration(activity, current_user))
    except services.ActivityError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("You have a place. Welcome!"), "success")
    return redirect(url_for("activities.mine"), code=303)


@bp.post("/activities/places/<int:participant_id>/cancel")
@login_required
def cancel(participant_id):
    participant = permissions.load(Participant, participant_id, "activities.participant.own", not_found=True)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.cancel(participant)
    except services.ActivityError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(_("Your place is cancelled."), "success")
    return redirect(url_for("activities.mine"), code=303)


@bp.route("/activities/invitations/<token>", methods=["GET", "POST"])
def invitation(token):
    """Where the invitation's link lands: shows the activity; signing up or cancelling needs a
    POST, so a mail scanner following the link changes nothing."""
    try:
        participant = services.participant_from_token(token)
    except InvalidToken:
        return render_template("booking/link_invalid.html"), 404
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        action = request.form.get("action")
        try:
            if action == "join":
                services.sign_up(participant.activity, participant.registration)
                flash(_("You have a place. Welcome!"), "success")
            elif action == "cancel":
                services.cancel(participant)
                flash(_("Your place is cancelled."), "success")
            else:
                abort(400)
        except services.ActivityError as exc:
            db.session.rollback()
            error = exc
        else:
            return redirect(url_for("activities.invitation", token=token), code=303)
    return render_template(
        "activities/invitation.html",
        participant=participant,
        activity=participant.activity,
        form=form,
        error=error,
        now=utcnow(),
    ), (409 if error else 200)
