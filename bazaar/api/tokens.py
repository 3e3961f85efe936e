"""Pages where organisers and exhibitor admins make, see and revoke their API tokens."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from bazaar import permissions
from bazaar.api import services
from bazaar.api.models import TOKEN_SCOPES, ApiToken
from bazaar.events.models import Event
from bazaar.exhibitors.models import Exhibitor
from bazaar.exhibitors.services import exhibitors_of
from bazaar.forms import BazaarForm

bp = Blueprint("api_tokens", __name__)


class TokenForm(BazaarForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    scope = SelectField(_l("Access"), choices=[("read", _l("Read")), ("read-write", _l("Read and write"))])
    acts_for = SelectField(_l("Acts for"), validate_choice=False)


def _acts_for_choices(event) -> dict[str, Exhibitor | None]:
    """Whom a new token may act for: the whole event, or one exhibitor its admin runs."""
    choices: dict[str, Exhibitor | None] = {"event": None} if permissions.can("api.token.event", event) else {}
    for exhibitor in exhibitors_of(current_user):
        if exhibitor.event_id == event.id and permissions.can("api.token.exhibitor", exhibitor):
            choices[str(exhibitor.id)] = exhibitor
    return choices


@bp.route("/events/<int:event_id>/api-tokens", methods=["GET", "POST"])
@login_required
def tokens(event_id):
    event = permissions.load(Event, event_id, "api.token.create")
    form = TokenForm()
    choices = _acts_for_choices(event)
    form.acts_for.choices = [(key, ex.name if ex else _("The whole event")) for key, ex in choices.items()]
    secret = None
    acts_for = form.acts_for.data or next(iter(choices), None)  # the select shows the first one chosen
    if form.validate_on_submit() and form.scope.data in TOKEN_SCOPES and acts_for in choices:
        exhibitor = choices[acts_for]
        secret = services.create_token(current_user, event, form.name.data, form.scope.data, exhibitor)[1]
    mine = [t for t in services.tokens_of(current_user) if t.event_id == event.id]
    return render_template("api/tokens.html", event=event, form=form, tokens=mine, secret=secret)


@bp.post("/api-tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id):
    token = permissions.load(ApiToken, token_id, "api.token.revoke", not_found=True)
    services.revoke_token(token)
    flash(_("The token was revoked."))
    return redirect(url_for("api_tokens.tokens", event_id=token.event_id))
