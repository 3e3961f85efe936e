"""Reconciled evidence: an exhibitor's record and the visitor's answer in every wave, combined once per person."""

from datetime import timedelta

import pytest

from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.stats import services
from bazaar.stats.compile import DEFINITIONS, EVIDENCE, compile_event
from tests import factories
from tests.support import login


@pytest.fixture
def fair(ctx):
    """One person for each kind of evidence, and one for each contradiction."""
    org = factories.organisation()
    ev = factories.event(org, starts_in=timedelta(days=-120))
    alfa = factories.exhibitor(ev, name="Alfa AB", country="SE", job_countries=["SE"])
    beta = factories.exhibitor(ev, name="Beta ApS", country="DK", job_countries=["DK"])
    came = ev.starts_at + timedelta(hours=1)
    people = {}
    for name in ("contradicted", "job_then_nothing", "other_exhibitor", "employer_only", "visitor_only"):
        visitor = factories.visitor(name=f"Visitor {name}")
        visitor.profile.foreign_background = "born_abroad"
        visitor.profile.consent_sensitive_at = utcnow()
        people[name] = factories.registration(ev, visitor, checked_in_at=came)
    people["no_show"] = factories.registration(ev, factories.visitor(name="Visitor no_show"))
    db.session.commit()
    # the exhibitor says hired, the visitor says nothing came of it
    factories.interview(people["contradicted"], alfa, outcome="hired")
    factories.survey_answer(people["contradicted"], "nothing", wave=1)
    # a job at 30 days, "nothing yet" at 90: both answers are kept and the job counts
    factories.interview(people["job_then_nothing"], alfa, outcome="hired")
    factories.survey_answer(people["job_then_nothing"], "job", exhibitor=alfa, wave=1)
    factories.survey_answer(people["job_then_nothing"], "nothing", wave=2)
    # Alfa reports the hire, the visitor names Beta: one person, one job
    factories.interview(people["other_exhibitor"], alfa, outcome="hired")
    factories.survey_answer(people["other_exhibitor"], "job", exhibitor=beta, wave=2)
    factories.interview(people["employer_only"], beta, outcome="hired")
    factories.survey_answer(people["visitor_only"], "job", exhibitor=beta, wave=1)
    # never came, yet reports a job
    factories.survey_answer(people["no_show"], "job", exhibitor=beta, wave=1)
    return {"org": org, "event": ev, "people": people, "alfa": alfa, "beta": beta}


def test_each_contradiction_is_reconciled(fair):
    figures = compile_event(fair["event"].id)
    h = figures["headline"]
    assert {category: h[f"evidence_{category}"] for category in EVIDENCE} == {
        "confirmed": 2,
        "employer_only": 1,
        "visitor_only": 1,
        "resolved_hired": 0,
        "contradicted": 1,
        "resolved_not_hired": 0,
        "no_show": 1,
    }
    # job_then_nothing, other_exhibitor (once), employer_only, visitor_only
    assert h["visitors_hired"] == 4
    # (job_then_nothing, Alfa), (other_exhibitor, Alfa) and not Beta, (employer_only, Beta), (visitor_only, Beta)
    assert h["jobs_total"] == 4
    assert h["visitors_hired"] == h["evidence_confirmed"] + h["evidence_employer_only"] + h["evidence_visitor_only"]
    assert h["jobs_visitor_reported"] == 4  # answers of "a job" in any wave, no-show included
    assert dict(figures["survey_results"])["nothing"] == 2  # contradicted, and job_then_nothing's latest wave
    groups = {g["country"]: g for g in figures["by_exhibitor_group"]}
    assert (groups["SE"]["exhibitors"], groups["SE"]["interviews_held"]) == (1, 3)
    assert (groups["DK"]["exhibitors"], groups["DK"]["interviews_held"]) == (1, 1)
    # two people at Alfa, two at Beta: fewer than five people, hidden; interviews are shown
    assert groups["SE"]["people_hired"] is None and groups["DK"]["people_hired"] is None
    for category in EVIDENCE:
        assert f"evidence_{category}" in DEFINITIONS


def test_group_totals_show_people_from_five(fair):
    ev, beta = fair["event"], fair["beta"]
    for _ in range(5):
        factories.interview(factories.registration(ev, checked_in_at=ev.starts_at), beta, outcome="hired")
    groups = {g["country"]: g for g in compile_event(ev.id)["by_exhibitor_group"]}
    # two people at Alfa: hidden, and Beta's count with it, or it would follow from the total
    assert groups["SE"]["people_hired"] is None and groups["DK"]["people_hired"] is None
    for _ in range(5):
        factories.interview(factories.registration(ev, checked_in_at=ev.starts_at), fair["alfa"], outcome="hired")
    groups = {g["country"]: g for g in compile_event(ev.id)["by_exhibitor_group"]}
    assert groups["DK"]["people_hired"] == 7  # employer_only, visitor_only and five more
    assert groups["SE"]["people_hired"] == 7  # job_then_nothing, other_exhibitor and five more


def test_organisers_see_the_cases_by_hand_without_the_background(client, fair):
    organiser = factories.organiser(fair["org"], preferred_language="en")
    outsider = factories.organiser(factories.organisation(), preferred_language="en")
    cases = services.cases_to_resolve(fair["event"].id)
    assert [(c["kind"], c["name"]) for c in cases] == [
        ("contradicted", "Visitor contradicted"),
        ("other_exhibitor", "Visitor other_exhibitor"),
        ("no_show", "Visitor no_show"),
    ]
    url = f"/organiser/events/{fair['event'].id}/stats/cases"
    login(client, outsider)
    assert client.get(url).status_code in (403, 404)
    login(client, organiser)
    page = client.get(url).get_data(as_text=True)
    assert "Visitor contradicted" in page and "Visitor other_exhibitor" in page and "Visitor no_show" in page
    assert "Visitor employer_only" not in page and "Visitor visitor_only" not in page
    assert "Beta ApS" in page and "Wave 2" in page
    assert "born_abroad" not in page and "Born abroad" not in page and "Foreign background" not in page


def test_an_organiser_resolves_a_contradiction_by_hand(client, fair):
    ev, contradicted = fair["event"], fair["people"]["contradicted"]
    organiser = factories.organiser(fair["org"], preferred_language="en")
    login(client, organiser)
    url = f"/organiser/events/{ev.id}/stats/cases/resolve"
    # only a contradicted case of this event can be resolved; bad input is refused, never a 500
    for data in (
        {"registration_id": str(fair["people"]["employer_only"].id), "decision": "hired"},
        {"registration_id": "x", "decision": "hired"},
        {"registration_id": "99999999999"},
        {"registration_id": str(contradicted.id), "decision": "maybe"},
    ):
        response = client.post(url, data=data, follow_redirects=True)
        assert response.status_code == 200 and b"cannot be resolved" in response.data
    assert compile_event(ev.id)["headline"]["evidence_contradicted"] == 1

    client.post(url, data={"registration_id": str(contradicted.id), "decision": "hired"})
    h = compile_event(ev.id)["headline"]
    assert (h["evidence_contradicted"], h["evidence_resolved_hired"], h["visitors_hired"], h["jobs_total"]) == (
        0,
        1,
        5,
        5,
    )
    client.post(url, data={"registration_id": str(contradicted.id), "decision": "not_hired"})
    h = compile_event(ev.id)["headline"]
    assert (h["evidence_resolved_hired"], h["evidence_resolved_not_hired"], h["visitors_hired"]) == (0, 1, 4)
    page = client.get(f"/organiser/events/{ev.id}/stats/cases").get_data(as_text=True)
    assert "Resolved: not hired" in page
