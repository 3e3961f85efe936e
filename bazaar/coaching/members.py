"""A group member's own page, reached by the signed link (text message, email) or the code on their
printed sheet: first use (language, privacy terms, consents, all chosen by the member), then their
ticket and interview times. Visitor-facing: every language."""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from bazaar import ratelimit
from bazaar.booking.models import my_bookings
from bazaar.checkin.qr import ticket_qr_svg
from bazaar.checkin.services import ticket_number
from bazaar.coaching import services
from bazaar.coaching.member_forms import FirstUseForm, MemberCodeForm
from bazaar.extensions import limiter
from bazaar.registrations.models import RegistrationStatus
from bazaar.tokens import InvalidToken

bp = Blueprint("members", __name__)


@bp.route("/m", methods=["GET", "POST"])
@limiter.limit(ratelimit.MEMBER_CODE_PER_ADDRESS, methods=["POST"])
def code():
    form = MemberCodeForm()
    if form.validate_on_submit():
        member = services.member_by_code(form.code.data)
        if member is not None and member.registration.user_id is not None:
            return redirect(url_for("members.page", token=services.MEMBER_LINK.token(member)), code=303)
        form.code.errors.append(_("We do not know this code. Check it on your sheet, or ask your job coach."))
    return render_template("coaching/member_code.html", form=form)


def _in_their_language(user, template: str, **shown):
    """The member's pages speak the member's language (``?lang=`` shows another)."""
    wanted = request.args.get("lang")
    with force_locale(wanted if wanted in current_app.config["LANGUAGES"] else user.preferred_language):
        return render_template(template, user=user, **shown)


@bp.route("/members/<token>", methods=["GET", "POST"])
def page(token):
    try:
        member = services.member_from_token(token)
    except InvalidToken:
        return render_template("coaching/member_invalid.html"), 404
    registration = member.registration
    user, event = registration.user, registration.event
    choosing = member.first_used_at is None or request.args.get("choices") == "1"
    if choosing:
        form = FirstUseForm()
        if request.method == "GET":
            form.fill_from(user)
        if form.validate_on_submit():
            services.first_use(member, form.preferred_language.data, form.consents())
            return redirect(url_for("members.page", token=token, lang=form.preferred_language.data), code=303)
        return _in_their_language(user, "coaching/member_first_use.html", member=member, event=event, form=form)
    holds = registration.status == RegistrationStatus.REGISTERED
    return _in_their_language(
        user,
        "coaching/member_page.html",
        member=member,
        event=event,
        registration=registration,
        number=ticket_number(registration),
        qr_svg=ticket_qr_svg(registration) if holds else None,
        bookings=my_bookings(registration),
        token=token,
    )
