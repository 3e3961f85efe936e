"""Pages for needs (exhibitor admins and organisers), candidates and invitations (organisers),
the invitation link (candidates) and stopping matching (visitors)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bazaar import permissions
from bazaar.accounts.choices import EDUCATION_LEVELS
from bazaar.booking.errors import BookingError
from bazaar.booking.forms import ConfirmForm
from bazaar.clock import utcnow
from bazaar.events.models import Event
from bazaar.exhibitors.forms import LANGUAGE_NAMES
from bazaar.exhibitors.models import ApplicationStatus, Exhibitor
from bazaar.extensions import db
from bazaar.matching import services
from bazaar.matching.forms import InviteForm, NeedForm
from bazaar.matching.models import Need
from bazaar.occupations import OCCUPATIONS
from bazaar.tokens import InvalidToken

bp = Blueprint("matching", __name__)


def _recommendations(event) -> list:
    """For templates: what fits the logged-in visitor at ``event`` (nothing without the consent)."""
    if not current_user.is_authenticated or event is None or event.ends_at <= utcnow():
        return []
    return services.recommendations(current_user, event)


@bp.app_context_processor
def _labels():
    return {
        "MATCH_OCCUPATIONS": OCCUPATIONS,
        "MATCH_LANGUAGES": LANGUAGE_NAMES,
        "MATCH_EDUCATION": dict(EDUCATION_LEVELS),
        "matching_recommendations": _recommendations,
    }


@bp.app_template_filter("occupation_label")
def _occupation_label(code: str) -> str:
    return str(OCCUPATIONS.get(code, code))


@bp.app_template_filter("language_label")
def _language_label(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


# ---- needs ------------------------------------------------------------------------------------


@bp.get("/exhibitor/<int:exhibitor_id>/needs")
@login_required
def needs(exhibitor_id):
    exhibitor = permissions.load(Exhibitor, exhibitor_id, "matching.need.manage")
    rows = db.session.scalars(db.select(Need).where(Need.exhibitor_id == exhibitor.id).order_by(Need.id)).all()
    return render_template("matching/needs.html", exhibitor=exhibitor, needs=rows)


@bp.route("/exhibitor/<int:exhibitor_id>/needs/new", methods=["GET", "POST"])
@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
@login_required
def need_form(exhibitor_id=None, need_id=None):
    need = permissions.load(Need, need_id, "matching.need.view") if need_id is not None else None
    exhibitor = need.exhibitor if need else permissions.load(Exhibitor, exhibitor_id, "matching.need.manage")
    form = NeedForm(exhibitor)
    if request.method == "GET" and need is not None:
        form.fill_from(need)
    if form.validate_on_submit():
        try:
            need = services.save_need(exhibitor, form.need_fields(), current_user, need)
        except services.MatchingError as exc:
            flash(exc.message, "error")
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("matching.need", need_id=need.id), code=303)
    return render_template("matching/need_form.html", exhibitor=exhibitor, need=need, form=form)


@bp.get("/needs/<int:need_id>")
@login_required
def need(need_id):
    need = permissions.load(Need, need_id, "matching.need.view")
    return render_template(
        "matching/need.html",
        need=need,
        exhibitor=need.exhibitor,
        shared=services.shared_profile,
        may_invite=permissions.can("matching.candidates", need),
        form=ConfirmForm(),
    )


@bp.post("/needs/<int:need_id>/close")
@login_required
def close_need(need_id):
    need = permissions.load(Need, need_id, "matching.need.view")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.close_need(need)
    flash(_("The need is closed; open invitations were withdrawn."), "success")
    return redirect(url_for("matching.need", need_id=need.id), code=303)


@bp.get("/organiser/events/<int:event_id>/needs")
@login_required
def event_needs(event_id):
    event = permissions.load(Event, event_id, "matching.list")
    rows = db.session.scalars(
        db.select(Need).join(Exhibitor).where(Exhibitor.event_id == event.id).order_by(Exhibitor.name, Need.id)
    ).all()
    exhibitors = db.session.scalars(
        db.select(Exhibitor)
        .where(Exhibitor.event_id == event.id, Exhibitor.status == ApplicationStatus.APPROVED)
        .order_by(Exhibitor.name)
    ).all()
    return render_template("matching/event_needs.html", event=event, needs=rows, exhibitors=exhibitors)


# ---- candidates and invitations (organisers) ---------------------------------------------------


@bp.route("/needs/<int:need_id>/candidates", methods=["GET", "POST"])
@login_required
def candidates(need_id):
    need = permissions.load(Need, need_id, "matching.candidates")
    form = InviteForm()
    if form.validate_on_submit():
        try:
            made = services.invite(need, form.chosen.data or [], current_user)
        except services.MatchingError as exc:
            flash(exc.message, "error")
        else:
            flash(_("%(n)d invited.", n=len(made)), "success" if made else "error")
        return redirect(url_for("matching.need", need_id=need.id), code=303)
    invited = {i.registration_id: i for i in need.invitations}
    page = services.candidates(need, page=request.args.get("page", 1, type=int))
    return render_template(
        "matching/candidates.html",
        need=need,
        exhibitor=need.exhibitor,
        page=page,
        matches=page.matches,
        invited=invited,
        free=len(services.free_slots(need)),
        form=form,
        weights=services.WEIGHTS,
    )


# ---- the candidate's link ---------------------------------------------------------------------


@bp.route("/matching/invitations/<token>", methods=["GET", "POST"])
def invitation(token):
    """Where the invitation's link lands: shows the need and the held time; accepting or
    declining needs a POST, so a mail scanner following the link changes nothing."""
    try:
        invitation = services.invitation_from_token(token)
    except InvalidToken:
        return render_template("booking/link_invalid.html"), 404
    event = invitation.registration.event
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        action = request.form.get("action")
        try:
            if action == "accept":
                services.accept(invitation, actor=invitation.registration.user)
                flash(_("Booked. You find the interview in your schedule."), "success")
            elif action == "decline":
                services.decline(invitation)
                flash(_("You said no thanks. The time is passed on."), "success")
            else:
                abort(400)
        except (services.MatchingError, BookingError) as exc:
            error = exc
        else:
            return redirect(url_for("matching.invitation", token=token), code=303)
    return render_template(
        "matching/invitation.html", invitation=invitation, event=event, form=form, error=error, now=utcnow()
    ), (409 if error else 200)


@bp.post("/my/matching/withdraw")
@login_required
def withdraw_consent():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.withdraw_consent(current_user)
    flash(_("We no longer suggest you to employers."), "success")
    return redirect(url_for("accounts.my_page"), code=303)
