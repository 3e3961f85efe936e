from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from bazaar import i18n, ratelimit
from bazaar.accounts import services
from bazaar.accounts.auth import check_password
from bazaar.accounts.forms import (
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    SignupForm,
)
from bazaar.accounts.services import find_user_by_email
from bazaar.booking.models import Booking
from bazaar.clock import utcnow
from bazaar.events.models import Event
from bazaar.extensions import db, limiter
from bazaar.registrations.models import Registration
from bazaar.tokens import InvalidToken

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths, so ?next= cannot send people elsewhere."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ord(c) < 32 for c in target)
    ):
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(ratelimit.LOGIN_PER_ADDRESS, methods=["POST"])
@limiter.limit(ratelimit.LOGIN_PER_ACCOUNT, methods=["POST"], key_func=ratelimit.typed_email_key)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("events.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        if check_password(user, form.password.data) and user.is_active:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("events.home"))
        form.password.errors.append(_("Wrong email or password."))
    return render_template("accounts/login.html", form=form, next=safe_next(request.args.get("next")))


@bp.post("/language")
def set_language():
    """The language switcher for a logged-in user: a CSRF-checked POST stores the preference."""

    lang = request.form.get("lang", "")
    response = redirect(safe_next(request.form.get("next")) or url_for("events.home"))
    if lang in i18n.supported():
        i18n.remember_on_device(response, lang)
        if current_user.is_authenticated and i18n.store_preferred_language(current_user, lang):
            db.session.commit()
    return response


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("events.home"))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(ratelimit.SIGNUP_PER_ADDRESS, methods=["POST"])
@limiter.limit(ratelimit.SIGNUP_PER_ACCOUNT, methods=["POST"], key_func=ratelimit.typed_email_key)
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.my_page"))
    form = SignupForm()
    next_url = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        try:
            user = services.sign_up(form.email.data, form.name.data, form.password.data, form.preferred_language.data)
        except services.EmailTaken:
            form.email.errors.append(_("There is already an account with this email. Please log in."))
        else:
            login_user(user)
            # The language picked in the form wins over the one remembered on the device at login.
            user.preferred_language = form.preferred_language.data
            db.session.commit()
            refresh()  # speak the new account's language from this message on
            flash(_("Welcome! We have sent you an email: open the link in it to confirm your address."), "success")
            return redirect(next_url or url_for("accounts.my_page"))
    return render_template("accounts/signup.html", form=form, next=next_url)


@bp.get("/verify-email/<token>")
def verify_email(token):
    try:
        services.verify_email(token)
    except InvalidToken:
        return render_template(
            "accounts/message.html",
            title=_("This link does not work"),
            message=_("The link is old or damaged. Log in and ask for a new one on My page."),
        ), 400
    flash(_("Thank you, your email address is confirmed."), "success")
    return redirect(url_for("accounts.my_page") if current_user.is_authenticated else url_for("accounts.login"))


@bp.post("/verify-email/again")
@login_required
@limiter.limit(ratelimit.SIGNUP_PER_ACCOUNT, key_func=ratelimit.current_user_key)
def resend_verification():
    if current_user.email_verified_at is None:
        services.send_verification(current_user)
        db.session.commit()
        flash(_("We have sent you a new link."), "success")
    return redirect(url_for("accounts.my_page"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(ratelimit.RESET_PER_ADDRESS, methods=["POST"])
@limiter.limit(ratelimit.RESET_PER_ACCOUNT, methods=["POST"], key_func=ratelimit.typed_email_key)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        return render_template(
            "accounts/message.html",
            title=_("Check your email"),
            message=_(
                "If there is an account with that address, we have sent it a link to choose a new password. "
                "The link works for a few hours."
            ),
        )
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(ratelimit.RESET_PER_ADDRESS, methods=["POST"])
def reset_password(token):
    try:
        services.user_from_reset_token(token)
    except InvalidToken:
        return render_template(
            "accounts/message.html",
            title=_("This link does not work"),
            message=_("The link is old, already used or damaged. Ask for a new one."),
            link=url_for("accounts.forgot_password"),
        ), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user = services.reset_password(token, form.password.data)
        login_user(user)
        flash(_("Your new password is saved."), "success")
        return redirect(url_for("accounts.my_page"))
    return render_template("accounts/reset_password.html", form=form)


# ---- My page -------------------------------------------------------------------------------


def _my_bookings(registrations):
    ids = [r.id for r in registrations]
    if not ids:
        return []
    return db.session.scalars(
        select(Booking).where(Booking.registration_id.in_(ids), Booking.is_live).order_by(Booking.starts_at)
    ).all()


@bp.get("/my")
@login_required
def my_page():
    registrations = db.session.scalars(
        select(Registration)
        .join(Event)
        .where(Registration.user_id == current_user.id)
        .order_by(Event.starts_at.desc(), Registration.id.desc())
    ).all()
    functions = current_app.view_functions
    return render_template(
        "accounts/my_page.html",
        registrations=registrations,
        bookings=_my_bookings(registrations),
        has_ticket_page="checkin.ticket" in functions,
        has_schedule_page="booking.my_schedule" in functions,
        now_utc=utcnow(),
    )


@bp.route("/my/profile", methods=["GET", "POST"])
@login_required
def edit_profile():
    form = ProfileForm()
    if request.method == "GET":
        form.name.data = current_user.name
        form.preferred_language.data = current_user.preferred_language
        form.fill_from_profile(current_user.profile)
    if form.validate_on_submit():
        current_user.name = form.name.data
        current_user.preferred_language = form.preferred_language.data
        services.save_profile(current_user, form.profile_data())
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("accounts.my_page"))
    return render_template("accounts/profile.html", form=form)
