"""The fair's budget and funding, and what it costs per outcome beside earlier editions."""

from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from bazaar.extensions import db
from bazaar.funding import services
from bazaar.funding.models import FairBudget, Funding
from bazaar.i18n import format_number
from bazaar.stats.services import compile_snapshot
from tests import factories as f
from tests.support import login


def _kronor_per(cost: int, count: int) -> int:
    """cost / count rounded half up, in integers only."""
    return (2 * cost + count) // (2 * count)


def _edition(org, name, years_ago, checked_in, held, hired, cost=None, co_organiser=None):
    """A finished edition: ``checked_in`` visitors came, ``held`` interviews were held, of which the
    first ``hired`` each hired a different visitor. Compiled; with a budget when ``cost`` is given."""
    ev = f.event(org=org, name=name, status="finished", starts_in=timedelta(days=-365 * years_ago - 30))
    if co_organiser is not None:
        from bazaar.events.models import EventOrganiser

        ev.organisers.append(EventOrganiser(organisation=co_organiser))
        db.session.commit()
    ex = f.exhibitor(ev)
    came = ev.starts_at + timedelta(hours=1)
    visitors = [f.registration(ev, checked_in_at=came) for _ in range(checked_in)]
    for i in range(held):
        f.interview(visitors[i % checked_in], ex, outcome="hired" if i < hired else "none")
    if cost is not None:
        services.set_budget(ev, cost, f.organiser(org))
    compile_snapshot(ev.id)
    return ev


def test_money_is_divided_in_whole_kronor_half_up():
    assert services.per_outcome(10, 4) == 3  # 2.5 rounds up
    assert services.per_outcome(2_000_001, 3) == _kronor_per(2_000_001, 3)
    assert services.per_outcome(10**12, 7) == int((Decimal(10**12) / 7).to_integral_value(rounding="ROUND_HALF_UP"))
    assert services.per_outcome(None, 5) is None and services.per_outcome(1000, 0) is None
    assert services.per_outcome(1000, None) is None


def test_amounts_are_checked(ctx):
    ev = f.event()
    for bad in (-1, services.MAX_KRONOR + 1, True, 1.5):
        with pytest.raises(services.FundingError):
            services.set_budget(ev, bad, f.organiser())
    with pytest.raises(services.FundingError):
        services.add_funding(ev, "Region Skåne", 0)
    with pytest.raises(services.FundingError):
        services.add_funding(ev, "   ", 1000)
    assert db.session.scalar(select(FairBudget)) is None and db.session.scalar(select(Funding)) is None


def test_the_report_shows_costs_per_outcome_beside_earlier_editions(ctx, client):
    org, partner, stranger = f.organisation(), f.organisation(), f.organisation()
    oldest = _edition(org, "Fair 2024", 2, checked_in=8, held=6, hired=3, cost=1_250_000)
    unbudgeted = _edition(org, "Fair 2025", 1, checked_in=5, held=5, hired=0)
    theirs = _edition(stranger, "Someone else's fair", 1, checked_in=5, held=5, hired=5, cost=10)
    partners_only = _edition(partner, "Partner's own fair", 1, checked_in=5, held=5, hired=5, cost=20)
    current = _edition(org, "Fair 2026", 0, checked_in=7, held=9, hired=4, cost=2_000_001, co_organiser=partner)
    current_events = {"Fair 2024": (1_250_000, 8, 6, 3), "Fair 2026": (2_000_001, 7, 9, 4)}
    services.add_funding(current, "Arbetsförmedlingen", 1_500_000)
    services.add_funding(current, "Region Skåne", 500_001)
    viewer = f.organiser(org)

    report = services.cost_report(current, _latest(current), viewer)
    assert [e.event.id for e in report["editions"]] == [oldest.id, unbudgeted.id, current.id]
    for edition in report["editions"]:
        if edition.event.name not in current_events:
            assert edition.cost_kronor is None and set(edition.per.values()) == {None}
            continue
        cost, came, held, people = current_events[edition.event.name]
        assert edition.cost_kronor == cost
        assert edition.per == {
            "cost_per_visitor": _kronor_per(cost, came),
            "cost_per_interview": _kronor_per(cost, held),
            "cost_per_person_hired": _kronor_per(cost, people),
        }
    assert report["funded_kronor"] == 2_000_001
    assert [(line.funder, line.share) for line in report["funding"]] == [
        ("Arbetsförmedlingen", (Decimal(1_500_000) / 2_000_001).quantize(Decimal("0.001"))),
        ("Region Skåne", (Decimal(500_001) / 2_000_001).quantize(Decimal("0.001"))),
    ]
    # A co-organiser sees its own earlier edition too; nobody sees editions of bodies they are not in.
    partner_view = services.cost_report(current, _latest(current), f.organiser(partner))
    assert [e.event.id for e in partner_view["editions"]] == [partners_only.id, current.id]
    assert theirs.id not in {e.event.id for e in partner_view["editions"]}

    login(client, viewer)
    client.post("/language", data={"lang": "en"})
    page = client.get(f"/organiser/events/{current.id}/stats/report").get_data(as_text=True)
    assert 'id="cost-per-outcome"' in page and "Fair 2024" in page and "Fair 2025" in page
    assert "Partner" not in page and "Someone else" not in page
    with force_locale("en"):
        for cost, came, held, people in current_events.values():
            for value in (cost, _kronor_per(cost, came), _kronor_per(cost, held), _kronor_per(cost, people)):
                assert f"{format_number(value, 'en')} kr" in page
    assert "Arbetsförmedlingen" in page and str(services.DEFINITIONS["cost_per_person_hired"]) in page


def _latest(event):
    from bazaar.stats.services import latest_snapshot

    return latest_snapshot(event.id)


def test_organisers_enter_the_budget_and_funding(ctx, client):
    org = f.organisation()
    ev = f.event(org=org)
    other = f.event()
    foreign_funding = services.add_funding(other, "Elsewhere", 1000)
    login(client, f.organiser(org))
    client.post("/language", data={"lang": "en"})
    url = f"/organiser/events/{ev.id}/budget"
    assert client.get(url).status_code == 200

    assert client.post(url, data={"budget-cost_kronor": "2 000 000 kr"}).status_code == 302
    assert services.budget_of(ev).cost_kronor == 2_000_000
    for bad in ("abc", "-5", "1.5", str(services.MAX_KRONOR + 1), "", "\x00"):
        assert client.post(url, data={"budget-cost_kronor": bad}).status_code == 200, bad
    db.session.expire_all()
    assert services.budget_of(ev).cost_kronor == 2_000_000
    assert client.post(url, data={"budget-cost_kronor": "1\u00a0800\u00a0000"}).status_code == 302
    db.session.expire_all()
    assert services.budget_of(ev).cost_kronor == 1_800_000

    assert (
        client.post(url, data={"funding-funder": "Region Skåne", "funding-amount_kronor": "750000"}).status_code == 302
    )
    for bad in (
        {"funding-funder": "", "funding-amount_kronor": "5"},
        {"funding-funder": "X", "funding-amount_kronor": "0"},
        {"funding-funder": "x" * 201, "funding-amount_kronor": "5"},
    ):
        assert client.post(url, data=bad).status_code == 200
    [funding] = services.fundings_of(ev)
    assert (funding.funder, funding.amount_kronor) == ("Region Skåne", 750_000)
    page = client.get(url).get_data(as_text=True)
    assert "Region Skåne" in page and f"{format_number(750_000, 'en')} kr" in page

    assert client.post(f"{url}/funding/{foreign_funding.id}/delete").status_code == 404
    assert client.post(f"{url}/funding/{funding.id}/delete").status_code == 302
    assert services.fundings_of(ev) == [] and services.fundings_of(other) == [foreign_funding]
