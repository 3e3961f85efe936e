"""Issue 15: the event's own choice and yes/no questions as breakdowns, suppressed as the profile's are."""

import csv
import io
import random
from datetime import timedelta

from sqlalchemy import select

from bazaar.extensions import db
from bazaar.privacy.services import delete_account
from bazaar.registrations.models import QuestionKind, Registration, RegistrationAnswer, RegistrationQuestion
from bazaar.stats import services
from bazaar.stats.compile import BREAKDOWN_MEASURES, NOT_STATED, suppress
from bazaar.stats.labels import MEASURES
from bazaar.stats.models import StatsSnapshot
from tests import factories
from tests.support import login

PAST = timedelta(days=-40)  # the follow-up survey is still open
CLOSED = timedelta(days=-200)  # it has closed


def _question(ev, kind, text, choices=(), sensitive=False, position=1):
    question = RegistrationQuestion(
        event_id=ev.id, kind=kind, text=text, choices=list(choices), sensitive=sensitive, position=position
    )
    db.session.add(question)
    db.session.commit()
    return question


def _person(ev, answers: dict, checked_in=True):
    reg = factories.registration(ev, factories.visitor(), checked_in_at=ev.starts_at if checked_in else None)
    db.session.add_all(
        RegistrationAnswer(registration_id=reg.id, question_id=q.id, value=v) for q, v in answers.items() if v
    )
    db.session.commit()
    return reg


def _compiled(ev) -> dict:
    return db.session.get(StatsSnapshot, services.compile_snapshot(ev.id, "on_demand")).figures


def _expected(people, question):
    """The table the definition asks for, computed from the data the test made: count each answer
    (and not stated), then suppress each measure's column."""
    cells: dict = {}
    for answers, checked_in in people:
        value = answers.get(question) or NOT_STATED
        cell = cells.setdefault(value, dict.fromkeys(BREAKDOWN_MEASURES, 0))
        cell["registered"] += 1
        cell["checked_in"] += int(checked_in)
    shown = {m: suppress({v: c[m] for v, c in cells.items()}) for m in BREAKDOWN_MEASURES}
    return {v: {m: shown[m][v] for m in BREAKDOWN_MEASURES} for v in cells}


def _rows(table) -> dict:
    return {row["value"]: {m: row[m] for m in BREAKDOWN_MEASURES} for row in table["rows"]}


def test_choice_and_yes_no_questions_are_broken_down_and_free_text_never(ctx, client):
    ev = factories.event(starts_in=PAST)
    shift = _question(
        ev, QuestionKind.CHOICE, {"sv": "Pass", "en": "Shift"}, [{"en": "Morning"}, {"en": "Noon"}, {"en": "Evening"}]
    )
    parking = _question(ev, QuestionKind.YES_NO, {"en": "Parking?"}, position=2)
    note = _question(ev, QuestionKind.TEXT, {"en": "Note"}, position=3)
    rng = random.Random(15)
    people = []
    for i in range(31):
        answers = {
            shift: rng.choice(["1", "1", "2", "2", "3", None]),
            parking: rng.choice(["yes", "no", "no", None]),
            note: f"free text {i}",
        }
        checked_in = rng.random() < 0.7
        _person(ev, answers, checked_in)
        people.append((answers, checked_in))
    figures = _compiled(ev)
    breakdowns = figures["breakdowns"]
    assert f"question_{note.id}" not in breakdowns  # free text is never broken down
    for question in (shift, parking):
        table = breakdowns[f"question_{question.id}"]
        assert table["sensitive"] is False and table["question"]["text"] == question.text
        assert _rows(table) == _expected(people, question)
    # a small cell is hidden, with its complement, whatever the data made
    assert any(None in row.values() for row in _rows(breakdowns[f"question_{shift.id}"]).values()) == any(
        0 < n < 5 for n in (sum(1 for a, _ in people if (a[shift] or "") == v) for v in ("1", "2", "3", ""))
    )

    organiser = factories.organiser(ev.organisers[0].organisation, preferred_language="en")
    login(client, organiser)
    client.post("/language", data={"lang": "en"})
    page = client.get(f"/organiser/events/{ev.id}/stats").get_data(as_text=True)
    assert f'id="breakdown-question_{shift.id}"' in page and "Evening" in page and "Parking?" in page
    assert "free text 3" not in page
    body = client.get(f"/organiser/events/{ev.id}/stats/export.csv?sep=comma").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    expected = _expected(people, shift)
    labels = {"1": "Morning", "2": "Noon", "3": "Evening", NOT_STATED: "Not stated"}
    registered = {row[2]: row[3] for row in rows if row[0] == "Shift" and row[1] == str(MEASURES["registered"])}
    assert registered == {
        labels[v]: "hidden" if cell["registered"] is None else str(cell["registered"]) for v, cell in expected.items()
    }
    assert {row[2] for row in rows if row[0] == "Parking?"} <= {"Yes", "No", "Not stated"}
    assert not [row for row in rows if row[0] == "Note"]


def test_a_sensitive_question_is_published_once_so_differencing_reveals_nobody(ctx):
    ev = factories.event(starts_in=PAST)
    health = _question(ev, QuestionKind.YES_NO, {"en": "Do you need adaptations?"}, sensitive=True)
    for i in range(14):
        _person(ev, {health: "yes" if i % 2 else "no"})
    early = _compiled(ev)["breakdowns"][f"question_{health.id}"]
    assert early["withheld"] is True and early["rows"] == [] and early["question"]["text"] == health.text

    closed = factories.event(starts_in=CLOSED)
    health = _question(closed, QuestionKind.YES_NO, {"en": "Do you need adaptations?"}, sensitive=True)
    people = []
    for i in range(14):
        answers = {health: "yes" if i % 3 == 0 else "no"}
        _person(closed, answers)
        people.append((answers, True))
    before = _compiled(closed)
    name = f"question_{health.id}"
    assert _rows(before["breakdowns"][name]) == _expected(people, health)
    _person(closed, {health: "yes"})  # the attack: one more person, compiled again
    after = _compiled(closed)
    assert after["headline"]["visitors_registered"] == before["headline"]["visitors_registered"] + 1
    assert after["breakdowns"][name]["rows"] == before["breakdowns"][name]["rows"]
    someone = db.session.scalars(select(Registration).where(Registration.event_id == closed.id)).first()
    delete_account(someone.user)  # erasing a person's answers changes the published table neither
    db.session.commit()
    assert _compiled(closed)["breakdowns"][name]["rows"] == before["breakdowns"][name]["rows"]


def test_an_erased_answer_counts_as_not_stated(ctx):
    ev = factories.event(starts_in=PAST)
    parking = _question(ev, QuestionKind.YES_NO, {"en": "Parking?"})
    regs = [_person(ev, {parking: "yes"}) for _ in range(6)] + [_person(ev, {parking: "no"}) for _ in range(6)]
    delete_account(regs[0].user)
    db.session.commit()
    rows = _rows(_compiled(ev)["breakdowns"][f"question_{parking.id}"])
    people = [({parking: "yes"}, True)] * 5 + [({parking: "no"}, True)] * 6 + [({}, True)]
    assert rows == _expected(people, parking)
    assert rows[NOT_STATED]["registered"] is None  # one person: hidden
