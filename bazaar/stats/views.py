from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from bazaar import i18n, permissions, spreadsheets
from bazaar.activitylog.models import Export
from bazaar.activitylog.services import log_download
from bazaar.events.models import Event
from bazaar.events.services import events_run_by
from bazaar.exhibitors.models import ApplicationStatus, Exhibitor
from bazaar.extensions import db
from bazaar.funding import services as funding
from bazaar.routing import ROW_ID_MAX
from bazaar.stats import export, labels, presentation, services
from bazaar.stats.compile import (
    BREAKDOWN_MEASURES,
    DEFINITIONS,
    EXHIBITOR_MEASURES,
    GROUP_MEASURES,
    JOB_COUNTRY_MEASURES,
)
from bazaar.stats.forms import ResolveCaseForm, SurveyForm

bp = Blueprint("stats", __name__)


@bp.app_context_processor
def _exhibitor_results():
    """The exhibitor dashboard (a floor below, in ``bazaar.exhibitors``) shows its own results with
    ``exhibitor_results(exhibitor)`` (templates/stats/_exhibitor_results.html)."""
    return {"exhibitor_results": presentation.exhibitor_results}


REFRESH_SECONDS = 3
MAX_COMPARED = 6


# ---- follow-up survey (visitors, by signed link) ------------------------------------------


@bp.route("/survey/<token>", methods=["GET", "POST"])
def survey(token):
    try:
        registration = services.registration_for_survey(token)
    except services.SurveyUnavailable:
        return render_template("stats/survey_unavailable.html"), 404
    language = registration.user.preferred_language
    if (
        request.method == "GET"
        and "lang" not in request.args
        and i18n.LANG_COOKIE not in request.cookies
        and language in i18n.supported()
    ):
        # The link in the email carries no language: open the survey in the visitor's own.
        return redirect(url_for("stats.survey", token=token, lang=language))
    event = registration.event
    exhibitors = db.session.scalars(
        select(Exhibitor)
        .where(Exhibitor.event_id == event.id, Exhibitor.status == ApplicationStatus.APPROVED)
        .order_by(Exhibitor.name)
    ).all()
    form = SurveyForm(exhibitors)
    existing = services.survey_response(registration)
    if request.method == "GET" and existing is not None:
        form.fill_from(existing)
    if form.validate_on_submit():
        services.save_survey(registration, **form.to_answers())
        return render_template("stats/survey_thanks.html", event=event)
    return render_template("stats/survey.html", form=form, event=event, existing=existing)


# ---- organiser dashboard -----------------------------------------------------------------


def _event(event_id: int, action: str = "stats.view") -> Event:
    return permissions.load(Event, event_id, action)


def _snapshot(event: Event):
    """The snapshot asked for with ``?version=``, else the latest finished one."""
    version = request.args.get("version", type=int)
    if version is None:
        return services.latest_snapshot(event.id)
    snapshot = services.snapshot_version(event.id, version) if 0 < version <= ROW_ID_MAX else None
    if snapshot is None:
        abort(404)
    return snapshot


def _report_context(event: Event, snapshot) -> dict:
    if snapshot is None:
        return {"event": event, "snapshot": None}
    figures = snapshot.figures
    return {
        "event": event,
        "snapshot": snapshot,
        "figures": figures,
        "headline": presentation.headline(figures),
        "key_figures": presentation.headline(figures, presentation.KEY_FIGURES),
        "per_day": presentation.per_day(figures, event.timezone),
        "funnel_chart": presentation.funnel_chart(figures),
        "exhibitor_charts": presentation.exhibitor_charts(figures),
        "survey_chart": presentation.survey_chart(figures),
        "breakdowns": presentation.breakdowns(figures),
        "breakdown_measures": [labels.MEASURES[m] for m in BREAKDOWN_MEASURES],
        "exhibitor_measures": EXHIBITOR_MEASURES,
        "group_measures": GROUP_MEASURES,
        "job_country_measures": JOB_COUNTRY_MEASURES,
        "labels": labels,
        "definitions": DEFINITIONS,
    }


@bp.get("/organiser/events/<int:event_id>/stats")
@login_required
def dashboard(event_id):
    event = _event(event_id)
    running = services.running_snapshot(event.id)
    context = _report_context(event, _snapshot(event))
    response = make_response(
        render_template("stats/dashboard.html", running=running, history=services.snapshot_history(event.id), **context)
    )
    if running is not None:
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


@bp.post("/organiser/events/<int:event_id>/stats/compile")
@login_required
def compile_now(event_id):
    event = _event(event_id, "stats.compile")
    snapshot = services.request_snapshot(event.id, "on_demand")
    if snapshot is None:
        flash(_("The figures are already being compiled."), "error")
    else:
        # By name: the worker's tasks sit above every domain (docs/architecture.md).
        current_app.extensions["celery"].send_task(
            "worker.tasks.compile_stats", (event.id, "on_demand"), {"snapshot_id": snapshot.id}, ignore_result=True
        )
        flash(_("Compiling the figures. This page shows the progress."), "success")
    return redirect(url_for("stats.dashboard", event_id=event.id))


@bp.get("/organiser/events/<int:event_id>/stats/cases")
@login_required
def cases(event_id):
    event = _event(event_id, "stats.cases")
    return render_template(
        "stats/cases.html",
        event=event,
        cases=services.cases_to_resolve(event.id),
        resolvable=services.RESOLVABLE,
        labels=labels,
        definitions=DEFINITIONS,
    )


@bp.post("/organiser/events/<int:event_id>/stats/cases/resolve")
@login_required
def resolve_case(event_id):
    event = _event(event_id, "stats.cases")
    form = ResolveCaseForm()
    try:
        if not form.validate_on_submit():
            raise services.NotResolvable("invalid form")
        services.resolve_case(event.id, form.registration_id.data, form.decision.data, current_user)
    except services.NotResolvable:
        flash(_("That case cannot be resolved."), "error")
    else:
        flash(_("Resolved. The figures follow at the next compilation."), "success")
    return redirect(url_for("stats.cases", event_id=event.id))


@bp.get("/organiser/events/<int:event_id>/stats/report")
@login_required
def report(event_id):
    event = _event(event_id)
    snapshot = _snapshot(event)
    if snapshot is None:
        abort(404)
    return render_template(
        "stats/report.html",
        costs=funding.cost_report(event, snapshot, current_user),
        **_report_context(event, snapshot),
    )


def _export_name(event: Event, snapshot, extension: str) -> str:
    return f"bazaar-stats-{event.slug}-v{snapshot.version}.{extension}"


@bp.get("/organiser/events/<int:event_id>/stats/export.csv")
@login_required
def export_csv(event_id):
    event = _event(event_id)
    snapshot = _snapshot(event)
    if snapshot is None:
        abort(404)
    body = export.to_csv(snapshot.figures, spreadsheets.separator(request.args.get("sep")))
    log_download(event, Export.STATISTICS, "csv", data={"version": snapshot.version})
    return spreadsheets.download(body, _export_name(event, snapshot, "csv"))


@bp.get("/organiser/events/<int:event_id>/stats/export.xlsx")
@login_required
def export_xlsx(event_id):
    event = _event(event_id)
    snapshot = _snapshot(event)
    if snapshot is None:
        abort(404)
    log_download(event, Export.STATISTICS, "xlsx", data={"version": snapshot.version})
    return spreadsheets.download(export.to_xlsx(snapshot.figures), _export_name(event, snapshot, "xlsx"))


@bp.get("/organiser/stats/compare")
@login_required
def compare():
    permissions.require("stats.compare")
    chosen = []
    for event_id in list(dict.fromkeys(request.args.getlist("event", type=int)))[:MAX_COMPARED]:
        chosen.append(_event(event_id))
    pairs = services.comparison(chosen)
    return render_template(
        "stats/compare.html",
        events=events_run_by(current_user),
        chosen={e.id for e in chosen},
        pairs=pairs,
        max_compared=MAX_COMPARED,
        comparison=presentation.comparison(pairs),
    )
