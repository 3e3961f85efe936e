from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from bazaar import permissions, ratelimit, spreadsheets
from bazaar.accounts import invitations
from bazaar.accounts.services import create_user, find_user_by_email
from bazaar.activitylog.models import Export
from bazaar.activitylog.services import log_download
from bazaar.booking import speeddating
from bazaar.booking.errors import BookingError
from bazaar.booking.models import Booking, Slot, SlotFormat
from bazaar.events.forms import day_choices
from bazaar.events.models import Event
from bazaar.exhibitors import schedule, services
from bazaar.exhibitors.forms import (
    LANGUAGE_NAMES,
    ApplicationFilterForm,
    ApplicationForm,
    BoothForm,
    DecisionForm,
    InviteForm,
    LogoForm,
    NewAccountForm,
    OpeningForm,
    OutcomeForm,
    ProfileForm,
    SlotPlanForm,
    SpeedDatingForm,
    TableForm,
    TalkInterviewForm,
)
from bazaar.exhibitors.models import (
    APPLICATION_STATUS_LABELS,
    ORG_TYPE_LABELS,
    ApplicationStatus,
    Exhibitor,
    ExhibitorStaff,
    InterviewTable,
    Opening,
    StaffInvitation,
)
from bazaar.exhibitors.services import BookingsAffected, DuplicateApplication, ExhibitorError
from bazaar.exhibitors.validation import country_choices
from bazaar.extensions import db, limiter
from bazaar.i18n import current_lang, format_time, localized
from bazaar.images import read_upload

bp = Blueprint("exhibitors", __name__)


@bp.app_context_processor
def _labels():
    """Language names and permission checks the exhibitor templates use (codes: the ``label`` filter)."""
    return {
        "LANGUAGE_NAMES": LANGUAGE_NAMES,
        "permissions_can": permissions.can,
    }


def _get(model, object_id: int):
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def _exhibitor(exhibitor_id: int, action: str, *load) -> Exhibitor:
    return permissions.load(Exhibitor, exhibitor_id, action, options=load)


# What the day's pages show of the exhibitor beside the interviews, read with it in one statement.
DAY_PAGE = (joinedload(Exhibitor.event).joinedload(Event.days), joinedload(Exhibitor.tables))


def _owned(model, object_id: int, exhibitor: Exhibitor):
    """A child row (opening, table, slot, booking, staff) of ``exhibitor``, else 404."""
    obj = db.session.get(model, object_id)
    if obj is None or obj.exhibitor_id != exhibitor.id:
        abort(404)
    return obj


# ---- applying -------------------------------------------------------------------------------


@bp.route("/events/<slug>/exhibit", methods=["GET", "POST"])
@limiter.limit(ratelimit.EXHIBITOR_APPLY_PER_ADDRESS, methods=["POST"])
@limiter.limit(ratelimit.EXHIBITOR_APPLY_PER_ACCOUNT, methods=["POST"], key_func=ratelimit.applicant_key)
def apply(slug):
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None or not permissions.can("event.view", event):
        abort(404)
    if not permissions.can("exhibitor.apply", event):
        return render_template("exhibitors/apply_closed.html", event=event), 403
    form = ApplicationForm()
    countries = country_choices(current_lang())
    form.country.choices = countries
    form.job_countries.choices = countries
    account = None if current_user.is_authenticated else NewAccountForm()
    if request.method == "GET" and current_user.is_authenticated:
        form.contact_name.data = current_user.name
        form.contact_email.data = current_user.email
    valid = form.validate_on_submit()
    if account is not None:
        valid = account.validate_on_submit() and valid
        if valid and find_user_by_email(account.account_email.data):
            account.account_email.errors.append(_("An account with this email already exists: please log in first."))
            valid = False
    if valid:
        fields = form.exhibitor_fields()
        if services.find_duplicate(event, fields["org_number"]):
            form.org_number.errors.append(_("This organisation has already applied to this fair."))
        else:
            applicant = (
                current_user._get_current_object()
                if account is None
                else create_user(account.account_email.data, account.account_name.data, account.password.data)
            )
            try:
                exhibitor = services.submit_application(event, applicant, fields)
            except DuplicateApplication:
                form.org_number.errors.append(_("This organisation has already applied to this fair."))
            else:
                if account is not None:
                    login_user(applicant)
                flash(_("Thank you, your application has been received. We have sent you a confirmation."), "success")
                return redirect(url_for("exhibitors.dashboard", exhibitor_id=exhibitor.id))
    return render_template("exhibitors/apply.html", event=event, form=form, account=account)


@bp.get("/exhibitor")
@login_required
def mine():
    return render_template("exhibitors/mine.html", exhibitors=services.exhibitors_of(current_user))


@bp.get("/exhibitor/<int:exhibitor_id>")
@login_required
def dashboard(exhibitor_id):
    exhibitor = _exhibitor(exhibitor_id, "exhibitor.view")
    return render_template(
        "exhibitors/dashboard.html",
        exhibitor=exhibitor,
        interviews=services.day_interviews(exhibitor),
        missing=services.missing_outcomes(exhibitor),
    )


# ---- organisers: applications and booths ----------------------------------------------------


def _application_filters(event_id: int) -> tuple[Event, ApplicationFilterForm, dict | None]:
    """The event, the filter form, and the filters to apply (None if the form is invalid)."""
    event = _get(Event, event_id)
    permissions.require("application.list", event)
    filters = ApplicationFilterForm(request.args)
    filters.status.choices = [("", _("All"))] + [(s, APPLICATION_STATUS_LABELS[s]) for s in ApplicationStatus]
    filters.org_type.choices = [("", _("All"))] + list(ORG_TYPE_LABELS.items())
    if not filters.validate():
        return event, filters, None
    return (
        event,
        filters,
        {"status": filters.status.data or None, "org_type": filters.org_type.data or None, "query": filters.q.data},
    )


@bp.get("/organiser/events/<int:event_id>/applications")
@login_required
def applications(event_id):
    event, filters, chosen = _application_filters(event_id)
    rows = services.list_applications(event, **chosen) if chosen is not None else []
    return render_template("exhibitors/applications.html", event=event, filters=filters, applications=rows)


@bp.get("/organiser/events/<int:event_id>/applications.csv")
@login_required
def applications_csv(event_id):
    event, _filters, chosen = _application_filters(event_id)
    if chosen is None:
        abort(400)
    header, rows = services.application_table(event, **chosen)
    body = spreadsheets.to_csv(header, rows, spreadsheets.separator(request.args.get("sep")))
    log_download(event, Export.APPLICATIONS, "csv")
    return spreadsheets.download(body, f"applications-{event.slug}.csv")


@bp.get("/organiser/events/<int:event_id>/applications.xlsx")
@login_required
def applications_xlsx(event_id):
    event, _filters, chosen = _application_filters(event_id)
    if chosen is None:
        abort(400)
    header, rows = services.application_table(event, **chosen)
    log_download(event, Export.APPLICATIONS, "xlsx")
    return spreadsheets.download(
        spreadsheets.to_xlsx([(_("Exhibitor applications"), header, rows)]), f"applications-{event.slug}.xlsx"
    )


@bp.route("/organiser/applications/<int:exhibitor_id>", methods=["GET", "POST"])
@login_required
def application(exhibitor_id):
    exhibitor = _exhibitor(exhibitor_id, "application.review")
    impact = None  # set when the decision waits for the organiser to agree to cancel bookings
    decision = DecisionForm(prefix="decision")
    booth = BoothForm(prefix="booth", obj=exhibitor if request.method == "GET" else None)
    if request.method == "POST":
        if "decision-decision" in request.form:
            if decision.validate():
                try:
                    services.decide_application(
                        exhibitor,
                        decision.decision.data,
                        current_user,
                        decision.message.data or "",
                        decision.cancel_bookings.data,
                    )
                except BookingsAffected as affected:
                    impact = affected.impact
                except ExhibitorError:
                    decision.decision.errors.append(_("The application already has this status."))
                else:
                    flash(_("Saved. The applicant has been told."), "success")
                    return redirect(url_for("exhibitors.application", exhibitor_id=exhibitor.id))
        elif booth.validate():
            services.assign_booth(exhibitor, booth.booth_number.data or "", booth.booth_location.data or "")
            flash(_("Saved."), "success")
            return redirect(url_for("exhibitors.application", exhibitor_id=exhibitor.id))
    return render_template(
        "exhibitors/application.html",
        exhibitor=exhibitor,
        decision=decision,
        booth=booth,
        impact=impact,
        coming=services.withdrawal_impact(exhibitor),
    )


# ---- booth profile and logo -----------------------------------------------------------------


@bp.route("/exhibitor/<int:exhibitor_id>/profile", methods=["GET", "POST"])
@login_required
def profile(exhibitor_id):
    exhibitor = _exhibitor(exhibitor_id, "exhibitor.manage")
    form = ProfileForm(obj=exhibitor)
    if request.method == "GET":
        form.fill_from(exhibitor)
    if form.validate_on_submit():
        services.update_profile(exhibitor, **form.profile_fields())
        flash(_("Saved."), "success")
        return redirect(url_for("exhibitors.profile", exhibitor_id=exhibitor.id))
    return render_template("exhibitors/profile.html", exhibitor=exhibitor, form=form, logo_form=LogoForm())


@bp.post("/exhibitor/<int:exhibitor_id>/logo")
@login_required
def upload_logo(exhibitor_id):
    exhibitor = _exhibitor(exhibitor_id, "exhibitor.manage")
    logo_form = LogoForm()
    upload = request.files.get("logo")
    data = read_upload(upload)
    if logo_form.validate_on_submit() and data:
        try:
            services.set_logo(exhibitor, data)
        except ExhibitorError as exc:
            logo_form.logo.errors.append(
                _("The logo may be at most 1 MB.")
                if str(exc) == "too large"
                else _("That file is not a PNG, JPEG or WebP image.")
            )
        else:
            flash(_("The logo was saved."), "success")
            return redirect(url_for("exhibitors.profile", exhibitor_id=exhibitor.id))
    elif not data:
        logo_form.logo.errors.append(_("Choose an image file."))
    form = ProfileForm(formdata=None, obj=exhibitor)
    form.fill_from(exhibitor)
    return render_template("exhibitors/profile.html", exhibitor=exhibitor, form=form, logo_form=logo_form), 400


@bp.post("/exhibitor/<int:exhibitor_id>/logo/delete")
@login_required
def delete_logo(exhibitor_id):
    exhibitor = _exhibitor(exhibitor_id, "exhibitor.manage")
    services.remove_logo(exhibitor)
    flash(_("The logo was removed."), "success")
    return redirect(url_for("exhibitors.profile", exhibitor_id=exhibitor.id))


@bp.get("/exhibitors/<int:exhibitor_id>/logo")
def logo(exhibitor_id):
    exhibitor = _get(Exhibitor, exhibitor_id)
    if not permissions.can("exhibitor.logo", exhibitor) or exhibitor.logo is None:
        abort(404)
    response = Response(exhibitor.logo, mimetype=exhibitor.logo_mimetype)
    response.headers["X-Content-Type-Options"] = "nosniff"
    public = exhibitor.status == ApplicationStatus.APPROVED and exhibitor.event.is_public
    response.headers["Cache-Control"] = "public, max-age=300" if public else "private, no-store"
    return response


# ---- openings -------------------------------------------------------------------------------


def _opening_form(exhibitor, opening=None) -> OpeningForm:
    form = OpeningForm(obj=opening if request.method == "GET" else None)
    form.country.choices = country_choices(current_lang())
    if request.method == "GET" and opening is not None:
        form.fill_from(opening)
    return form


@bp.get("/exhibitor/<int:exhibitor_id>/openings")
@login_required
def openings(exhibitor_id):
    exhibitor = _exhibitor(exhibitor_id, "exhibitor.view")
    return render_template(
        "exhibitors/openings.html", exhibitor=exhibitor, is_admin=permissions.can("exhibitor.manage", exhibitor)
    )


@bp.route("/exhibitor/<int:exhibitor_id>/openings/new", methods=["GET", "POST"])
@bp.route("/exhibitor/<int:exhibitor_id>/openings/<int:opening_id>/edit", methods=["GET", "POST"])
@login_required
def opening_form(exhibitor_id, opening_id=None):
    exhibitor = _exhibitor(exhibitor_id, "exhibitor.manage")
    opening = _owned(Opening, opening_id, exhibitor) if opening_id is not None else None
    form = _opening_form(exhibitor, opening)
    if form.validate_on_submit():
        services.save_opening(exhibitor, opening, **form.opening_fields())
        flash(_("Saved."), "success")
        return redirect(url_for("exhibitors.openings", exhibitor_id=exhibitor.id))
    return render_template("exhibitors/opening_form.html", exhibitor=exhibitor, opening=opening, form=form)


@bp.post("/exhibitor/<int:exhibitor_id>/openings/<int:opening_id>/delete")
@login_required
def delete_opening(exhibitor_id, opening_id):
    exhibitor = _exhibitor(exhibitor_id, "exhibitor.manage")
    services.delete_opening(_owned(Opening, opening_id, exhibitor))
    flash(_("The opening was deleted."), "success")
    return redirect(url_for("exhibitors.openings", exhibitor_id=exhibitor.id))


# ---- staff ----------------------------------------------------------------------------------


@bp.route("/exhibitor/<int:exhibitor_id>/staff", methods=["GET", "POST"])
@login_required
def staff(exhibitor_id):
    exhibitor = _exhibitor(exhibitor_id, "exhibitor.manage")
    form = InviteForm()
    if form.validate_on_submit():
        try:
            services.invite_staff(exhibitor, form.email.data, form.role.data, current_user)
        except ExhibitorError:
            form.email.errors.append(_("This person already works for you here."))
        else:
            flash(_("The invitation has been sent."), "success")
            return redirect(url_for("exhibitors.staff", exhibitor_id=exhibitor.id))
    return render_template(
        "exhibitors/staff.html", exhibitor=exhibitor, form=form, invitations=services.pending_invitations(exhibitor)
    )


@bp.post("/exhibitor/<int:exhibitor_id>/staff/<int:staff_id>/remove")
@login_required
def remove_staff(exhibitor_id, staff_id):
    exhibitor = _exhibitor(exhibitor_id, "exhibitor.manage")
    member = _owned(ExhibitorStaff, staff_id, exhibitor)
    try:
        services.remove_staff(exhibitor, member)
    except ExhibitorError:
        flash(_("The last admin cannot be removed. Make someone else admin first."), "error")
    else:
        flash(_("Removed."), "success")
    return redirect(url_for("exhibitors.staff", exhibitor_id=exhibitor.id))


@bp.post("/exhibitor/<int:exhibitor_id>/invitations/<int:invitation_id>/withdraw")
@login_required
def withdraw_invitation(exhibitor_id, invitation_id):
    exhibitor = _exhibitor(exhibitor_id, "exhibitor.manage")
    services.withdraw_invitation(_owned(StaffInvitation, invitation_id, exhibitor))
    flash(_("The invitation was withdrawn."), "success")
    return redirect(url_for("exhibitors.staff", exhibitor_id=exhibitor.id))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token):
    """Landing page of an invitation link; joining happens only on POST (mail scanners GET)."""
    return invitations.confirm_page(
        services.INVITATION_LINK,
        token,
        services.accept_invitation,
        lambda invite: _("Join %(name)s at %(event)s", name=invite.exhibitor.name, event=invite.exhibitor.event.name),
        lambda invite: url_for("exhibitors.dashboard", exhibitor_id=invite.exhibitor_id),
    )


# ---- interview tables and slots -------------------------------------------------------------


def _table_form(exhibitor, table=None) -> TableForm:
    form = TableForm(obj=table if request.method == "GET" else None)
    form.interviewer_id.choices = [(0, _("Nobody yet"))] + [(s.user_id, s.user.name) for s in exhibitor.staff]
    if request.method == "GET" and table is not None:
        form.interviewer_id.data = table.interviewer_id or 0
    return form


@bp.get("/exhibitor/<int:exhibitor_id>/tables")
@login_required
def tables(exhibitor_id):
    exhibitor = _exhibitor(exhibitor_id, "exhibitor.grid.view")
    return render_template(
        "exhibitors/tables.html",
        exhibitor=exhibitor,
        is_admin=permissions.can("exhibitor.grid", exhibitor),
        slots={t.id: schedule.table_slots(t) for t in exhibitor.tables},
    )


@bp.route("/exhibitor/<int:exhibitor_id>/tables/new", methods=["GET", "POST"])
@bp.route("/exhibitor/<int:exhibitor_id>/tables/<int:table_id>/edit", methods=["GET", "POST"])
@login_required
def table_form(exhibitor_id, table_id=None):
    exhibitor = _exhibitor(exhibitor_id, "exhibitor.grid")
    table = _owned(InterviewTable, table_id, exhibitor) if table_id is not None else None
    form = _table_form(exhibitor, table)
    if form.validate_on_submit():
        services.save_table(exhibitor, table, form.name.data, form.interviewer_id.data or None)
        flash(_("Saved."), "success")
        return redirect(url_for("exhibitors.tables", exhibitor_id=exhibitor.id))
    return render_template("exhibitors/table_form.html", exhibitor=exhibitor, table=table, form=form)


@bp.post("/exhibitor/<int:exhibitor_id>/tables/<int:table_id>/delete")
@login_required
def delete_table(exhibitor_id, table_id):
    exhibitor = _exhibitor(exhibitor_id, "exhibitor.grid")
    try:
        services.delete_table(_owned(InterviewTable, table_id, exhibitor))
    except ExhibitorError:
        flash(_("This table has booked interviews. Remove its slots first (the visitors are told)."), "error")
    else:
        flash(_("The table was deleted."), "success")
    return redirect(url_for("exhibitors.tables", exhibitor_id=exhibitor.id))


@bp.route("/exhibitor/<int:exhibitor_id>/tables/<int:table_id>/generate", methods=["GET", "POST"])
@login_required
def generate(exhibitor_id, table_id):
    exhibitor = _exhibitor(exhibitor_id, "exhibitor.grid")
    table = _owned(InterviewTable, table_id, exhibitor)
    form = SlotPlanForm()
    form.day.choices = day_choices(exhibitor.event)
    form.opening_id.choices = [("", _("Any opening"))] + [(str(o.id), localized(o.title)) for o in exhibitor.openings]
    if form.validate_on_submit():
        days = tuple(sorted(date.fromisoformat(d) for d in form.day.data))
        plan = schedule.SlotPlan(
            day=days[0],
            start=time.fromisoformat(form.start.data.strip()),
            end=time.fromisoformat(form.end.data.strip()),
            length_minutes=form.length.data,
            gap_minutes=form.gap.data or 0,
            breaks=schedule.parse_breaks(form.breaks.data),
            format=form.format.data,
            opening_id=int(form.opening_id.data) if form.opening_id.data else None,
        )
        try:
            result = schedule.generate_slots(table, plan, days)
        except schedule.ScheduleError as exc:
            message = {
                "outside event": _("The slots must lie within the fair's opening hours."),
                "empty": _("No slot fits between these times."),
            }.get(str(exc), _("The end must be after the start."))
            form.end.errors.append(message)
        else:
            flash(
                _(
                    "%(created)d slots created, %(skipped)d left out because they overlap existing slots.",
                    created=len(result.created),
                    skipped=result.skipped,
                ),
                "success",
            )
            return redirect(url_for("exhibitors.tables", exhibitor_id=exhibitor.id))
    return render_template("exhibitors/generate.html", exhibitor=exhibitor, table=table, form=form)


@bp.post("/exhibitor/<int:exhibitor_id>/slots/<int:slot_id>/<any(block, unblock, remove):action>")
@login_required
def slot_action(exhibitor_id, slot_id, action):
    exhibitor = _exhibitor(exhibitor_id, "exhibitor.grid")
    slot = _owned(Slot, slot_id, exhibitor)
    try:
        if action == "remove":
            cancelled = schedule.remove_slot(slot, current_user._get_current_object())
            flash(
                _("The slot was removed and the visitor told.") if cancelled else _("The slot was removed."), "success"
            )
        else:
            schedule.set_blocked(slot, action == "block")
            flash(_("Saved."), "success")
    except schedule.ScheduleError:
        flash(_("This slot has been removed."), "error")
    return redirect(url_for("exhibitors.tables", exhibitor_id=exhibitor.id) + f"#table-{slot.table_id}")


@bp.get("/exhibitor/<int:exhibitor_id>/bookings.csv")
@login_required
def bookings_csv(exhibitor_id):
    exhibitor = _exhibitor(exhibitor_id, "exhibitor.bookings.export")
    header, rows = services.booking_table(exhibitor)
    body = spreadsheets.to_csv(header, rows, spreadsheets.separator(request.args.get("sep")))
    log_download(exhibitor.event, Export.BOOKINGS, "csv", exhibitor, data={"exhibitor": exhibitor.name})
    return spreadsheets.download(body, f"bookings-{exhibitor.event.slug}-{exhibitor.id}.csv")


@bp.get("/exhibitor/<int:exhibitor_id>/bookings.xlsx")
@login_required
def bookings_xlsx(exhibitor_id):
    exhibitor = _exhibitor(exhibitor_id, "exhibitor.bookings.export")
    header, rows = services.booking_table(exhibitor)
    log_download(exhibitor.event, Export.BOOKINGS, "xlsx", exhibitor, data={"exhibitor": exhibitor.name})
    return spreadsheets.download(
        spreadsheets.to_xlsx([(_("Bookings"), header, rows)]), f"bookings-{exhibitor.event.slug}-{exhibitor.id}.xlsx"
    )


# ---- the day --------------------------------------------------------------------------------


def _outcome_choices() -> dict:
    """The outcome form's selects, rendered once per page rather than once per interview: for each
    select, the value selected -> its options (``macros/forms.html`` ``options``)."""
    form = OutcomeForm(formdata=None, meta={"csrf": False})
    options = get_template_attribute("macros/forms.html", "options")
    rendered = {}
    for name in ("outcome", "employment_type"):
        choices = [(value, str(label)) for value, label in getattr(form, name).choices]  # translated once
        rendered[name] = {value: options(choices, value) for value, _label in choices}
    return rendered


def _day_page(exhibitor, rows, title, missing=False):
    query = (request.args.get("q") or "").strip()[:100]
    if query:
        rows = [r for r in rows if query.lower() in f"{r.visitor.name or ''} {r.visitor.reference}".lower()]
    plan = services.DayPlan(now=rows, later=[], done=[]) if missing else services.day_plan(rows)
    return render_template(
        "exhibitors/day.html",
        exhibitor=exhibitor,
        plan=plan,
        choices=_outcome_choices(),
        title=title,
        missing=missing,
        query=query,
    )


@bp.get("/exhibitor/<int:exhibitor_id>/day")
@login_required
def day(exhibitor_id):
    exhibitor = _exhibitor(exhibitor_id, "exhibitor.run_day", *DAY_PAGE)
    table_id = request.args.get("table", type=int)
    if table_id not in {t.id for t in exhibitor.tables}:
        table_id = None  # a junk or foreign table id shows the whole list
    rows = services.day_interviews(exhibitor, table_id=table_id)
    return _day_page(exhibitor, rows, _("Interviews"))


@bp.get("/exhibitor/<int:exhibitor_id>/missing-outcomes")
@login_required
def missing_outcomes(exhibitor_id):
    exhibitor = _exhibitor(exhibitor_id, "exhibitor.run_day", *DAY_PAGE)
    return _day_page(
        exhibitor, services.missing_outcomes(exhibitor), _("Interviews still missing an outcome"), missing=True
    )


@bp.post("/exhibitor/<int:exhibitor_id>/interviews/<int:booking_id>")
@login_required
def record_interview(exhibitor_id, booking_id):
    exhibitor = _exhibitor(exhibitor_id, "exhibitor.run_day")
    booking = _owned(Booking, booking_id, exhibitor)
    if not booking.is_live:
        abort(404)
    form = OutcomeForm(prefix=f"b{booking.id}")
    back = request.form.get("back") == "missing"
    target = url_for("exhibitors.missing_outcomes" if back else "exhibitors.day", exhibitor_id=exhibitor.id)
    inline = request.headers.get("X-Inline-Save") == "1"  # day.js saves without reloading the page
    if form.validate_on_submit():
        try:
            services.record_interview(
                booking,
                current_user,
                form.attendance.data,
                form.outcome.data or None,
                form.employment_type.data or None,
                form.note.data,
            )
        except services.TalkTakesNoOutcome:
            errors = [_("A speed-dating talk has no outcome. Log an interview with this visitor to record one.")]
        else:
            if inline:
                return _interview_fragment(exhibitor, booking, request.form.get("back"))
            flash(_("Saved."), "success")
            return redirect(f"{target}#interview-{booking.id}")
    else:
        errors = [str(error) for field_errors in form.errors.values() for error in field_errors]
    if inline:
        return {"errors": errors}, 400
    for error in errors:
        flash(error, "error")
    return redirect(f"{target}#interview-{booking.id}")


def _interview_fragment(exhibitor, booking, back):
    """The saved interview's row alone, for day.js to put in place of the old one."""
    row = services.InterviewRow(
        booking=booking,
        table=booking.slot.table if booking.slot else None,
        visitor=services.visitor_card(booking.registration),
        talk=booking.slot is not None and booking.slot.format == SlotFormat.TALK,
    )
    return render_template(
        "exhibitors/interview_saved.html", exhibitor=exhibitor, row=row, choices=_outcome_choices(), back=back
    )


# ---- speed dating ---------------------------------------------------------------------------

SESSION_ERRORS = {
    "outside event": _l("The rounds must lie within the fair's opening hours."),
    "busy": _l("The table or area already has slots at these times."),
    "exhibitors": _l("Choose at least one approved employer of this fair."),
}


def _session_form(event: Event, shared: bool) -> SpeedDatingForm:
    form = SpeedDatingForm()
    form.day.choices = day_choices(event)
    approved = db.session.scalars(
        select(Exhibitor)
        .where(Exhibitor.event_id == event.id, Exhibitor.status == ApplicationStatus.APPROVED)
        .order_by(Exhibitor.name)
    )
    form.participants.choices = [(e.id, e.name) for e in approved] if shared else []
    return form


def _create_session(event: Event, form: SpeedDatingForm, exhibitors: list[Exhibitor], shared: bool):
    """The form's session, made; None (with the reason on the form) when it cannot be."""
    zone = ZoneInfo(event.timezone)
    local = datetime.combine(date.fromisoformat(form.day.data), time.fromisoformat(form.start.data.strip()), zone)
    plan = speeddating.SessionPlan(
        starts_at=local.astimezone(UTC),
        round_minutes=form.round_minutes.data,
        rounds=form.rounds.data,
        seats=form.seats.data,
        area=form.area.data,
    )
    try:
        return speeddating.create_session(event, plan, exhibitors, current_user, shared=shared)
    except speeddating.SessionError as exc:
        form.start.errors.append(str(SESSION_ERRORS.get(str(exc), _l("Check the round length, rounds and seats."))))
        return None


def _sessions_page(event, exhibitor, form, can_create: bool):
    sessions = speeddating.sessions_of(event, exhibitor)
    return render_template(
        "exhibitors/speed_dating.html",
        event=event,
        exhibitor=exhibitor,
        form=form,
        can_create=can_create,
        sessions=[(s, speeddating.participants(s), speeddating.rounds_of(s)) for s in sessions],
    )


@bp.route("/exhibitor/<int:exhibitor_id>/speed-dating", methods=["GET", "POST"])
@login_required
def speed_dating(exhibitor_id):
    """The exhibitor's speed-dating sessions (its own and the shared ones it is in); admins create one."""
    exhibitor = _exhibitor(exhibitor_id, "exhibitor.grid.view")
    can_create = permissions.can("exhibitor.grid", exhibitor)
    form = _session_form(exhibitor.event, shared=False)
    if request.method == "POST":
        permissions.require("exhibitor.grid", exhibitor)
        if form.validate_on_submit() and _create_session(exhibitor.event, form, [exhibitor], shared=False):
            flash(_("Speed-dating session created."), "success")
            return redirect(url_for("exhibitors.speed_dating", exhibitor_id=exhibitor.id), code=303)
    return _sessions_page(exhibitor.event, exhibitor, form, can_create)


@bp.route("/organiser/events/<int:event_id>/speed-dating", methods=["GET", "POST"])
@login_required
def shared_speed_dating(event_id):
    """The event's speed-dating sessions; those who run it create a shared one where employers rotate."""
    event = permissions.load(Event, event_id, "event.manage")
    form = _session_form(event, shared=True)
    if form.validate_on_submit():
        chosen = [db.session.get(Exhibitor, i) for i in form.participants.data]
        if _create_session(event, form, [e for e in chosen if e is not None], shared=True):
            flash(_("Speed-dating session created."), "success")
            return redirect(url_for("exhibitors.shared_speed_dating", event_id=event.id), code=303)
    return _sessions_page(event, None, form, can_create=True)


@bp.route("/exhibitor/<int:exhibitor_id>/talks/<int:booking_id>/interview", methods=["GET", "POST"])
@login_required
def interview_after_talk(exhibitor_id, booking_id):
    """Turn a talk into a booked interview: the next free time, or a later one the same day."""
    exhibitor = _exhibitor(exhibitor_id, "exhibitor.run_day")
    talk = _owned(Booking, booking_id, exhibitor)
    permissions.require("booking.outcome", talk, not_found=True)
    if not talk.is_talk:
        abort(404)
    form = TalkInterviewForm()
    times = speeddating.interview_times(talk)
    form.slot_id.choices = [(str(s.id), str(s.id)) for s in times]
    error = None
    if form.validate_on_submit():
        slot = next(s for s in times if str(s.id) == form.slot_id.data)
        try:
            interview = speeddating.book_interview_after_talk(talk, slot, current_user)
        except BookingError as exc:
            error = exc.message
            times = speeddating.interview_times(talk)
        else:
            flash(
                _("Interview booked at %(time)s.", time=format_time(interview.starts_at, exhibitor.event.timezone)),
                "success",
            )
            return redirect(url_for("exhibitors.day", exhibitor_id=exhibitor.id) + f"#interview-{talk.id}", code=303)
    elif request.method == "POST":
        error = _("That time is no longer free. Pick another.")
    return render_template(
        "exhibitors/talk_interview.html",
        exhibitor=exhibitor,
        talk=talk,
        visitor=services.visitor_card(talk.registration),
        booked=speeddating.interview_from(talk),
        times=times,
        form=form,
        error=error,
    ), 409 if error else 200
