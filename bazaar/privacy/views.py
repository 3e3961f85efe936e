"""The organiser's retention page: when the event's visitors' data goes, and running it early."""

import json

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, logout_user

from bazaar import permissions
from bazaar.accounts.auth import check_password
from bazaar.accounts.forms import DeleteAccountForm
from bazaar.events.models import Event
from bazaar.privacy import retention
from bazaar.privacy import services as privacy
from bazaar.privacy.forms import PurgeForm, RetentionForm

bp = Blueprint("privacy", __name__)

# Seconds of erasing in the organiser's request; a large event's remainder goes to a worker.
REQUEST_TIME_LIMIT = 10.0


@bp.route("/organiser/events/<int:event_id>/retention", methods=["GET", "POST"])
@login_required
def retention_page(event_id):
    event = permissions.load(Event, event_id, "privacy.retention")
    form = RetentionForm(data={"months": event.retention_months})
    if form.validate_on_submit():
        retention.set_retention_months(event, form.months.data)
        flash(_("Saved."), "success")
        return redirect(url_for("privacy.retention_page", event_id=event.id))
    return render_template(
        "privacy/retention.html", event=event, form=form, forecast=retention.forecast(event), purge_form=PurgeForm()
    )


@bp.route("/organiser/events/<int:event_id>/retention/purge", methods=["GET", "POST"])
@login_required
def purge(event_id):
    """A confirmation step, then the purge, as if the event's purge date were today."""
    event = permissions.load(Event, event_id, "privacy.retention")
    form = PurgeForm()
    if form.validate_on_submit():
        erased = retention.purge_event(event, early=True, by=current_user, time_limit=REQUEST_TIME_LIMIT)
        flash(ngettext("%(num)d person's data was erased.", "%(num)d people's data was erased.", erased), "success")
        if retention.pending(event):
            current_app.extensions["celery"].send_task("worker.tasks.purge_retention", args=(event.id, current_user.id))
            flash(_("The rest are erased in the background; this page shows how many are left."), "success")
        return redirect(url_for("privacy.retention_page", event_id=event.id))
    return render_template("privacy/purge.html", event=event, form=form, forecast=retention.forecast(event))


# ---- a person's own data: the right of access and the right to erasure ----


@bp.get("/my/data.json")
@login_required
def export_data():
    body = json.dumps(privacy.export_user_data(current_user), ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-bazaar-data.json"', "Cache-Control": "no-store"},
    )


@bp.route("/my/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if current_user.password_hash and not check_password(current_user, form.password.data or ""):
            form.password.errors.append(_("Wrong password."))
        else:
            user = current_user._get_current_object()
            logout_user()
            privacy.delete_account(user)
            return render_template(
                "accounts/message.html",
                title=_("Your account is deleted"),
                message=_("Your personal data has been erased. Only anonymous figures remain."),
            )
    return render_template("accounts/delete.html", form=form)
