from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bazaar import permissions
from bazaar.events.models import Event
from bazaar.extensions import db
from bazaar.funding import services
from bazaar.funding.forms import BudgetForm, FundingForm
from bazaar.funding.models import Funding
from bazaar.routing import ROW_ID_MAX

bp = Blueprint("funding", __name__)


@bp.route("/organiser/events/<int:event_id>/budget", methods=["GET", "POST"])
@login_required
def budget(event_id):
    event = permissions.load(Event, event_id, "budget.manage")
    current = services.budget_of(event)
    budget_form = BudgetForm(prefix="budget", data={"cost_kronor": current.cost_kronor} if current else None)
    funding_form = FundingForm(prefix="funding")
    if request.method == "POST":
        if "budget-cost_kronor" in request.form:
            if budget_form.validate():
                services.set_budget(event, budget_form.cost_kronor.data, current_user)
                flash(_("Saved."), "success")
                return redirect(url_for("funding.budget", event_id=event.id))
        elif funding_form.validate():
            services.add_funding(event, funding_form.funder.data, funding_form.amount_kronor.data)
            flash(_("Saved."), "success")
            return redirect(url_for("funding.budget", event_id=event.id))
    lines, funded = services.funding_lines(event)
    return render_template(
        "funding/budget.html",
        event=event,
        budget=current,
        budget_form=budget_form,
        funding_form=funding_form,
        lines=lines,
        funded=funded,
        definitions=services.DEFINITIONS,
    )


@bp.post("/organiser/events/<int:event_id>/budget/funding/<int:funding_id>/delete")
@login_required
def delete_funding(event_id, funding_id):
    event = permissions.load(Event, event_id, "budget.manage")
    funding = db.session.get(Funding, funding_id) if 0 < funding_id <= ROW_ID_MAX else None
    if funding is None or funding.event_id != event.id:
        abort(404)
    services.remove_funding(funding)
    flash(_("Removed."), "success")
    return redirect(url_for("funding.budget", event_id=event.id))
