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
from bazaar.forms import BazaarForm

bp = Blueprint("api_tokens", __name__)


class TokenForm(BazaarForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    scope = SelectField(_l("Access"), choices=[("read", _l("Read")), ("read-write", _l("Read and write"))])


@bp.route("/events/<int:event_id>/api-tokens", methods=["GET", "POST"])
@login_required
def tokens(event_id):
    event = permissions.load(Event, event_id, "api.token.create")
    form = TokenForm()
    secret = None
    if form.validate_on_submit() and form.scope.data in TOKEN_SCOPES:
        _, secret = services.create_token(current_user, event, form.name.data, form.scope.data)
    mine = [t for t in services.tokens_of(current_user) if t.event_id == event.id]
    return render_template("api/tokens.html", event=event, form=form, tokens=mine, secret=secret)


@bp.post("/api-tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id):
    token = permissions.load(ApiToken, token_id, "api.token.revoke", not_found=True)
    services.revoke_token(token)
    flash(_("The token was revoked."))
    return redirect(url_for("api_tokens.tokens", event_id=token.event_id))
