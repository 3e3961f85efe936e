"""The organisers' announcements: write, preview with the count, send; past ones; the news list."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from bazaar import permissions, spreadsheets
from bazaar.activitylog.models import Export
from bazaar.activitylog.services import log_download
from bazaar.announcements import services
from bazaar.announcements.forms import AnnouncementForm, new_submission
from bazaar.announcements.models import Announcement, Audience
from bazaar.events.forms import day_choices
from bazaar.events.models import Event
from bazaar.exhibitors.models import ApplicationStatus, Exhibitor
from bazaar.extensions import db
from bazaar.forms import TEXT_LANGUAGES

bp = Blueprint("announcements", __name__)


def _event(event_id: int) -> Event:
    return permissions.load(Event, event_id, "announcement.send")


def _exhibitors(event: Event) -> list[Exhibitor]:
    return db.session.scalars(
        select(Exhibitor)
        .where(Exhibitor.event_id == event.id, Exhibitor.status == ApplicationStatus.APPROVED)
        .order_by(Exhibitor.name)
    ).all()


@bp.get("/organiser/events/<int:event_id>/announcements")
@login_required
def index(event_id):
    event = _event(event_id)
    return render_template(
        "announcements/index.html",
        event=event,
        announcements=services.announcements_of(event),
        news_count=services.news_count(event),
    )


@bp.route("/organiser/events/<int:event_id>/announcements/new", methods=["GET", "POST"])
@login_required
def new(event_id):
    """A POST with ``action=preview`` shows the message and its count; ``action=send`` sends it if
    the count is the one the organiser saw, else shows the preview again with the new count."""
    event = _event(event_id)
    exhibitors = _exhibitors(event)
    form = AnnouncementForm(exhibitors, day_choices(event))
    if request.method == "GET":
        form.submission.data = new_submission()
        form.preview_language.data = event.default_language
        return render_template("announcements/new.html", event=event, form=form)
    if not form.validate():
        return render_template("announcements/new.html", event=event, form=form)
    texts = form.draft_texts()
    draft = services.Draft(
        audience=form.audience.data,
        exhibitor=next((e for e in exhibitors if e.id == form.exhibitor.data), None),
        day=form.chosen_day(),
        **texts,
    )
    counts = services.count(event, draft)
    if request.form.get("action") == "send" and not counts.people:
        flash(_("Nobody is in this audience yet: nothing was sent."), "error")
    elif request.form.get("action") == "send" and form.confirmed_people.data == counts.people:
        try:
            announcement, sent = services.send(event, draft, current_user, form.submission.data)
        except services.AnnouncementError:
            abort(404)  # a form's token reused for another event
        if sent:
            flash(_("The announcement is on its way to %(count)d people.", count=announcement.email_count), "success")
        else:
            flash(
                _("This form was sent already, so nothing more was sent. Write a new announcement to send another."),
                "error",
            )
        return redirect(url_for("announcements.view", event_id=event.id, announcement_id=announcement.id))
    elif request.form.get("action") == "send":
        flash(_("The number of recipients changed since the preview. Check it and send again."), "error")
    return render_template(
        "announcements/new.html",
        event=event,
        form=form,
        counts=counts,
        preview=services.preview(event, draft, form.preview_language.data),
        sms_possible=draft.audience in services.SMS_AUDIENCES,
    )


@bp.get("/organiser/events/<int:event_id>/announcements/<int:announcement_id>")
@login_required
def view(event_id, announcement_id):
    announcement = permissions.load(Announcement, announcement_id, "announcement.view")
    if announcement.event_id != event_id:
        abort(404)
    return render_template(
        "announcements/view.html",
        event=announcement.event,
        announcement=announcement,
        delivery=services.delivery(announcement),
        written=[lang for lang in TEXT_LANGUAGES if lang in announcement.body or lang in announcement.sms],
        exhibitor_audience=Audience.EXHIBITOR_BOOKINGS,
    )


def _news_table(event: Event):
    return services.news_table(event, [_("Name"), _("Email"), _("Language"), _("Asked on")])


@bp.get("/organiser/events/<int:event_id>/news-list.csv")
@login_required
def news_csv(event_id):
    """``?sep=comma`` for commas; semicolons otherwise (what Excel in Swedish splits on)."""
    event = permissions.load(Event, event_id, "announcement.news_list")
    header, rows = _news_table(event)
    body = spreadsheets.to_csv(header, rows, spreadsheets.separator(request.args.get("sep")))
    log_download(event, Export.NEWS_LIST, "csv")
    return spreadsheets.download(body, f"news-list-{event.slug}.csv")


@bp.get("/organiser/events/<int:event_id>/news-list.xlsx")
@login_required
def news_xlsx(event_id):
    event = permissions.load(Event, event_id, "announcement.news_list")
    header, rows = _news_table(event)
    log_download(event, Export.NEWS_LIST, "xlsx")
    return spreadsheets.download(spreadsheets.to_xlsx([(_("News list"), header, rows)]), f"news-list-{event.slug}.xlsx")
