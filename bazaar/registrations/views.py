from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user
from sqlalchemy import select

from bazaar import permissions, ratelimit, spreadsheets
from bazaar.accounts.services import EmailTaken, save_profile, sign_up
from bazaar.activitylog.models import Export
from bazaar.activitylog.services import log_download
from bazaar.events.models import Event
from bazaar.events.services import registration_open
from bazaar.extensions import db, limiter
from bazaar.registrations import questions, services
from bazaar.registrations.forms import RegistrationSearchForm, answers, registration_form
from bazaar.registrations.models import Registration, RegistrationStatus
from bazaar.routing import page_number
from bazaar.tokens import InvalidToken

bp = Blueprint("registrations", __name__)

PER_PAGE = 50


def _public_event(slug: str) -> Event:
    event = db.session.scalar(select(Event).where(Event.slug == slug[:80]))
    if event is None:
        abort(404)
    permissions.require("event.view", event, not_found=True)
    return event


@bp.route("/events/<slug>/register", methods=["GET", "POST"])
@limiter.limit(ratelimit.REGISTER_PER_ADDRESS, methods=["POST"])
def register(slug):
    event = _public_event(slug)
    if not registration_open(event):
        return render_template("registrations/closed.html", event=event)
    logged_in = current_user.is_authenticated
    if logged_in:
        existing = services.live_registration(event.id, current_user.id)
        if existing is not None:
            flash(_("You are already registered for this event."), "success")
            return redirect(url_for("accounts.my_page"))
    form = registration_form(questions.questions_of(event, asked_only=True), logged_in=logged_in)
    if request.method == "GET" and logged_in:
        form.name.data = current_user.name
        form.preferred_language.data = current_user.preferred_language
        form.fill_from_profile(current_user.profile)
    if form.validate_on_submit():
        if logged_in:
            user = current_user._get_current_object()
            user.name = form.name.data
            user.preferred_language = form.preferred_language.data
        else:
            try:
                user = sign_up(form.email.data, form.name.data, form.password.data, form.preferred_language.data)
            except EmailTaken:
                form.email.errors.append(_("There is already an account with this email. Please log in first."))
                return render_template(
                    "registrations/register.html",
                    event=event,
                    form=form,
                    full=services.free_places(event) == 0,
                    email_taken=True,
                )
        save_profile(user, form.profile_data())
        try:
            reg = services.register(event, user, answers=answers(form))
        except services.AlreadyRegistered:
            flash(_("You are already registered for this event."), "success")
            return redirect(url_for("accounts.my_page"))
        except services.RegistrationError as exc:
            flash(str(exc), "error")
            return redirect(url_for("events.event_page", slug=event.slug))
        if not logged_in:
            login_user(user)
            # The language picked in the form wins over the one remembered on the device at login.
            user.preferred_language = form.preferred_language.data
            db.session.commit()
            refresh()  # speak the new account's language from this message on
        if reg.status == RegistrationStatus.WAITLISTED:
            flash(
                _("The event is full, so you are on the waiting list. We will email you if a place frees up."),
                "success",
            )
        else:
            flash(_("You are registered! We have emailed you a confirmation and your ticket."), "success")
        return redirect(url_for("accounts.my_page"))
    return render_template(
        "registrations/register.html", event=event, form=form, full=services.free_places(event) == 0, email_taken=False
    )


@bp.post("/my/registrations/<int:registration_id>/cancel")
@login_required
def cancel(registration_id):
    reg = db.session.get(Registration, registration_id)
    permissions.require("registration.own", reg, not_found=True)
    try:
        if services.cancel_registration(reg):
            flash(_("Your registration is cancelled."), "success")
    except services.RegistrationError as exc:
        flash(str(exc), "error")
    return redirect(url_for("accounts.my_page"))


@bp.route("/registrations/offer/<token>", methods=["GET", "POST"])
def offer(token):
    try:
        reg = services.OFFER_LINK.load(token)
    except InvalidToken:
        return render_template("registrations/offer_gone.html"), 400
    if request.method == "POST":
        try:
            if request.form.get("answer") == "decline":
                services.decline_offer(reg)
                flash(_("Thank you for letting us know. The place goes to the next person waiting."), "success")
            else:
                services.claim_offer(reg)
                flash(_("The place is yours! We have emailed you a confirmation and your ticket."), "success")
        except services.OfferGone:
            return render_template("registrations/offer_gone.html"), 409
        return redirect(url_for("accounts.my_page") if current_user.is_authenticated else url_for("events.home"))
    if reg.status != RegistrationStatus.OFFERED:
        return render_template("registrations/offer_gone.html", registration=reg), 409
    return render_template("registrations/offer.html", registration=reg, event=reg.event, token=token)


# ---- organisers ----------------------------------------------------------------------------


def _listed_event(event_id: int) -> Event:
    return permissions.load(Event, event_id, "registration.list")


@bp.get("/organiser/events/<int:event_id>/registrations")
@login_required
def organiser_list(event_id):
    event = _listed_event(event_id)
    form = RegistrationSearchForm(request.args)
    filters = form.filters()
    pagination = db.paginate(
        services.search_registrations(event, **filters),
        page=page_number(request.args),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "registrations/organiser_list.html",
        event=event,
        questions=questions.shown_per_person(event),
        answers=questions.answers_of([reg.id for reg in pagination.items]),
        answer_text=questions.answer_text,
        form=form,
        filters=filters,
        pagination=pagination,
        taken=services.places_taken(event.id),
        waiting=services.waiting_count(event.id),
    )


@bp.get("/organiser/events/<int:event_id>/registrations.csv")
@login_required
def organiser_csv(event_id):
    """``?sep=comma`` for commas; semicolons otherwise (what Excel in Swedish splits on)."""
    event = _listed_event(event_id)
    header, rows = services.registration_table(event, **RegistrationSearchForm(request.args).filters())
    body = spreadsheets.to_csv(header, rows, spreadsheets.separator(request.args.get("sep")))
    log_download(event, Export.REGISTRATIONS, "csv")
    return spreadsheets.download(body, f"registrations-{event.slug}.csv")


@bp.get("/organiser/events/<int:event_id>/registrations.xlsx")
@login_required
def organiser_xlsx(event_id):
    event = _listed_event(event_id)
    header, rows = services.registration_table(event, **RegistrationSearchForm(request.args).filters())
    body = spreadsheets.to_xlsx([(_("Registrations"), header, rows)])
    log_download(event, Export.REGISTRATIONS, "xlsx")
    return spreadsheets.download(body, f"registrations-{event.slug}.xlsx")
