from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from bazaar import permissions
from bazaar.accounts import invitations
from bazaar.events.models import STAFF_ROLE_LABELS, Event, EventStaff, EventStaffInvitation, StaffRequest
from bazaar.eventstaff import services
from bazaar.eventstaff.forms import CoachRequestForm, EventStaffGrantForm, EventStaffInviteForm
from bazaar.eventstaff.services import EventStaffError
from bazaar.extensions import db

bp = Blueprint("eventstaff", __name__)


def _event(event_id: int) -> Event:
    return permissions.load(Event, event_id, "event.staff")


def _of_event(model, object_id: int, event: Event):
    """A staff row or invitation of ``event``, else 404."""
    obj = db.session.get(model, object_id)
    if obj is None or obj.event_id != event.id:
        abort(404)
    return obj


@bp.route("/organiser/events/<int:event_id>/staff", methods=["GET", "POST"])
@login_required
def staff(event_id):
    event = _event(event_id)
    form = EventStaffInviteForm()
    if form.validate_on_submit():
        try:
            services.invite(event, form.email.data, form.role.data, current_user)
        except EventStaffError:
            form.email.errors.append(_("This person already has this role at the event."))
        else:
            flash(_("The invitation has been sent."), "success")
            return redirect(url_for("eventstaff.staff", event_id=event.id))
    return _staff_page(event, form, EventStaffGrantForm(prefix="grant"))


def _staff_page(event: Event, form, grant_form):
    return render_template(
        "eventstaff/staff.html",
        event=event,
        form=form,
        grant_form=grant_form,
        staff=services.staff_of(event),
        invitations=services.pending_invitations(event),
        requests=services.pending_requests(event),
        role_labels=STAFF_ROLE_LABELS,
    )


@bp.post("/organiser/events/<int:event_id>/staff/grant")
@login_required
def grant(event_id):
    event = _event(event_id)
    form = EventStaffGrantForm(prefix="grant")
    if form.validate_on_submit():
        try:
            services.grant(event, form.email.data, form.role.data)
        except EventStaffError:
            form.email.errors.append(_("No account has this email. Send an invitation instead."))
        else:
            flash(_("The role is given."), "success")
            return redirect(url_for("eventstaff.staff", event_id=event.id))
    return _staff_page(event, EventStaffInviteForm(formdata=None), form)


@bp.post("/organiser/events/<int:event_id>/staff/requests/<int:staff_request_id>/<any(approve, decline):decision>")
@login_required
def decide_request(event_id, staff_request_id, decision):
    event = _event(event_id)
    staff_request = _of_event(StaffRequest, staff_request_id, event)
    try:
        services.decide_request(staff_request, decision == "approve", current_user)
    except EventStaffError:
        flash(_("This request has already been decided."), "error")
    else:
        flash(
            _("Approved: the person is now a job coach at the event.") if decision == "approve" else _("Declined."),
            "success",
        )
    return redirect(url_for("eventstaff.staff", event_id=event.id))


@bp.route("/events/<slug>/job-coach", methods=["GET", "POST"])
@login_required
def request_role(slug):
    """A job coach asks the organisers for the role (needed to register groups)."""
    event = db.session.scalar(select(Event).where(Event.slug == slug[:80]))
    if event is None:
        abort(404)
    permissions.require("event.view", event, not_found=True)
    if permissions.can("coaching.groups", event):
        return redirect(url_for("coaching.groups", event_id=event.id))
    permissions.require("coaching.request", event)
    form = CoachRequestForm()
    if form.validate_on_submit():
        services.request_role(event, current_user, "coach", form.organisation.data)
        flash(_("Thank you. The organisers will decide; you can register groups once they approve."), "success")
        return redirect(url_for("eventstaff.request_role", slug=event.slug), code=303)
    return render_template(
        "eventstaff/request.html", event=event, form=form, existing=services.own_request(event, current_user, "coach")
    )


@bp.post("/organiser/events/<int:event_id>/staff/<int:event_staff_id>/revoke")
@login_required
def revoke(event_id, event_staff_id):
    event = _event(event_id)
    services.revoke(_of_event(EventStaff, event_staff_id, event))
    flash(_("Removed."), "success")
    return redirect(url_for("eventstaff.staff", event_id=event.id))


@bp.post("/organiser/events/<int:event_id>/staff/invitations/<int:event_invitation_id>/withdraw")
@login_required
def withdraw_invitation(event_id, event_invitation_id):
    event = _event(event_id)
    services.withdraw_invitation(_of_event(EventStaffInvitation, event_invitation_id, event))
    flash(_("The invitation was withdrawn."), "success")
    return redirect(url_for("eventstaff.staff", event_id=event.id))


@bp.route("/event-invitations/<token>", methods=["GET", "POST"])
def invitation(token):
    """Landing page of an event staff invitation; the role is given only on POST (mail scanners GET)."""
    return invitations.confirm_page(
        services.INVITATION_LINK,
        token,
        services.accept,
        lambda invite: _("%(role)s at %(event)s", role=STAFF_ROLE_LABELS[invite.role], event=invite.event.name),
        _landing,
    )


def _landing(invite: EventStaffInvitation) -> str:
    if invite.role == "checkin":
        return url_for("checkin.door", event_id=invite.event_id)
    if invite.role == "coach":
        return url_for("coaching.groups", event_id=invite.event_id)
    return url_for("events.manage", event_id=invite.event_id)
