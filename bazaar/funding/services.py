"""A fair's budget and funding, and what it costs per outcome beside earlier editions.

Money is whole kronor in integers; a cost per outcome is divided with Decimal and rounded to whole
kronor (half up), never through floats. The outcome figures come from the statistics snapshot the
report shows (this edition) and from the latest snapshot of each earlier edition.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from bazaar import permissions
from bazaar.accounts.models import User
from bazaar.events.models import Event, EventOrganiser
from bazaar.events.services import bodies_of
from bazaar.extensions import db
from bazaar.funding.models import FairBudget, Funding
from bazaar.stats.models import StatsSnapshot
from bazaar.stats.services import comparison

MAX_KRONOR = 10**12  # a thousand billion kronor: anything above is a typing error
EARLIER_EDITIONS = 5

DEFINITIONS = {
    "cost": _l("Cost of the fair: the total budget the organisers entered for the edition, in kronor."),
    "funding": _l(
        "Funding: what each funding body contributed to the edition as the organisers entered it, in kronor, "
        "and its share of all funding entered."
    ),
    "cost_per_visitor": _l("Kronor per visitor: the cost of the fair divided by the visitors checked in."),
    "cost_per_interview": _l("Kronor per interview held: the cost of the fair divided by the interviews held."),
    "cost_per_person_hired": _l(
        "Kronor per person hired: the cost of the fair divided by the different visitors who obtained a job."
    ),
    "rounding": _l(
        "Costs per outcome are rounded to whole kronor and use the figures of the snapshot shown for this "
        "edition and the latest compiled figures of each earlier edition (earlier events with an organising "
        "body in common). A dash means no budget was entered or there was nothing to divide by."
    ),
}
LABELS = {
    "cost": _l("Cost of the fair"),
    "cost_per_visitor": _l("Kronor per visitor"),
    "cost_per_interview": _l("Kronor per interview held"),
    "cost_per_person_hired": _l("Kronor per person hired"),
}


class FundingError(Exception):
    """A rule refused the change."""


def people_hired(headline: dict) -> int | None:
    """People who got a job (the headline's "visitors_hired", reconciled evidence): what the cost per
    person hired divides by."""
    return headline.get("visitors_hired")


# What each cost per outcome divides by, read from a snapshot's headline figures.
DIVISORS = {
    "cost_per_visitor": lambda headline: headline.get("visitors_checked_in"),
    "cost_per_interview": lambda headline: headline.get("interviews_held"),
    "cost_per_person_hired": people_hired,
}


# ---- entering the budget ---------------------------------------------------------------------


def _check_amount(kronor: int, minimum: int) -> int:
    if isinstance(kronor, bool) or not isinstance(kronor, int) or not minimum <= kronor <= MAX_KRONOR:
        raise FundingError("amount")
    return kronor


def budget_of(event: Event) -> FairBudget | None:
    return db.session.get(FairBudget, event.id)


def set_budget(event: Event, cost_kronor: int, actor: User) -> FairBudget:
    """Enter or change the fair's total cost."""
    budget = budget_of(event) or FairBudget(event_id=event.id)
    budget.cost_kronor = _check_amount(cost_kronor, 0)
    budget.updated_by_id = actor.id
    db.session.add(budget)
    db.session.commit()
    return budget


def fundings_of(event: Event) -> list[Funding]:
    return list(
        db.session.scalars(
            select(Funding).where(Funding.event_id == event.id).order_by(Funding.amount_kronor.desc(), Funding.id)
        )
    )


def add_funding(event: Event, funder: str, amount_kronor: int) -> Funding:
    funder = (funder or "").strip()
    if not funder:
        raise FundingError("funder")
    funding = Funding(event_id=event.id, funder=funder[:200], amount_kronor=_check_amount(amount_kronor, 1))
    db.session.add(funding)
    db.session.commit()
    return funding


def remove_funding(funding: Funding) -> None:
    db.session.delete(funding)
    db.session.commit()


# ---- the funder report -----------------------------------------------------------------------


def per_outcome(cost_kronor: int | None, count: int | None) -> int | None:
    """Kronor per outcome, rounded to whole kronor (half up); None without a cost or outcomes."""
    if cost_kronor is None or not count:
        return None
    return int((Decimal(cost_kronor) / Decimal(count)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class EditionCosts:
    """One edition's cost and its cost per outcome (None where it cannot be worked out)."""

    event: Event
    snapshot: StatsSnapshot | None
    cost_kronor: int | None
    per: dict = field(default_factory=dict)  # key of DIVISORS -> kronor or None


def edition_costs(event: Event, snapshot: StatsSnapshot | None) -> EditionCosts:
    budget = budget_of(event)
    cost = budget.cost_kronor if budget is not None else None
    headline = snapshot.figures.get("headline", {}) if snapshot is not None else {}
    return EditionCosts(
        event=event,
        snapshot=snapshot,
        cost_kronor=cost,
        per={key: per_outcome(cost, divisor(headline)) for key, divisor in DIVISORS.items()},
    )


def earlier_editions(event: Event, user: User, limit: int = EARLIER_EDITIONS) -> list[Event]:
    """Up to ``limit`` events that started before ``event``, share an organising body with it and
    whose figures ``user`` may see: the most recent ones, oldest first."""
    bodies = select(EventOrganiser.organisation_id).where(EventOrganiser.event_id == event.id)
    related = select(EventOrganiser.event_id).where(EventOrganiser.organisation_id.in_(bodies))
    candidates = db.session.scalars(
        select(Event)
        .where(Event.id.in_(related), Event.id != event.id, Event.starts_at < event.starts_at)
        .order_by(Event.starts_at.desc())
    ).all()
    visible = [e for e in candidates if permissions.can("stats.view", e, user=user)][:limit]
    return list(reversed(visible))


@dataclass
class FundingLine:
    id: int
    funder: str
    amount_kronor: int
    share: Decimal | None  # of all funding entered


def funding_lines(event: Event) -> tuple[list[FundingLine], int]:
    """Who financed what, with each share of the total, and the total."""
    fundings = fundings_of(event)
    total = sum(f.amount_kronor for f in fundings)
    lines = [
        FundingLine(
            f.id,
            f.funder,
            f.amount_kronor,
            (Decimal(f.amount_kronor) / Decimal(total)).quantize(Decimal("0.001"), ROUND_HALF_UP) if total else None,
        )
        for f in fundings
    ]
    return lines, total


def cost_report(event: Event, snapshot: StatsSnapshot | None, user: User) -> dict:
    """What the printable report shows about money: funding, and costs per outcome of this
    edition after those of earlier editions."""
    lines, funded = funding_lines(event)
    earlier = [edition_costs(e, s) for e, s in comparison(earlier_editions(event, user))]
    return {
        "organisers": [body.organisation.name for body in bodies_of(event)],
        "funding": lines,
        "funded_kronor": funded,
        "editions": [*earlier, edition_costs(event, snapshot)],
        "measures": list(DIVISORS),
        "labels": LABELS,
        "definitions": DEFINITIONS,
    }
