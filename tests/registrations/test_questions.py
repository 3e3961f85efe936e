"""Issue 15: the organisers' own registration questions, answered in the registration form, shown in
the list and the exports, and erased with the person."""

import csv
import io
import re
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from bazaar.accounts.services import find_user_by_email
from bazaar.extensions import db
from bazaar.privacy.retention import purge_event
from bazaar.privacy.services import delete_account, export_user_data
from bazaar.registrations.models import QuestionKind, Registration, RegistrationAnswer, RegistrationQuestion
from bazaar.registrations.questions import questions_of
from tests import factories as f
from tests.support import login

pytestmark = pytest.mark.usefixtures("english")

FORM = {
    "name": "Amina Yusuf",
    "email": "amina@example.org",
    "password": "a long password 1",
    "preferred_language": "so",
}


def _question(event, kind, text, choices=(), required=False, position=1):
    question = RegistrationQuestion(
        event_id=event.id,
        kind=kind,
        text=text,
        choices=[dict(c) for c in choices],
        required=required,
        position=position,
    )
    db.session.add(question)
    db.session.commit()
    return question


@pytest.fixture
def asked(ctx):
    """An open event asking a required choice question, an optional yes/no and an optional text."""
    event = f.event(capacity=50)
    shift = _question(
        event,
        QuestionKind.CHOICE,
        {"sv": "Vilket pass?", "en": "Which shift?"},
        [{"sv": "Morgon", "en": "Morning"}, {"sv": "Kväll", "en": "Evening"}],
        required=True,
    )
    licence = _question(event, QuestionKind.YES_NO, {"en": "Do you need parking?"}, position=2)
    note = _question(event, QuestionKind.TEXT, {"en": "Anything we should know?"}, position=3)
    return event, shift, licence, note


def test_organiser_adds_edits_reorders_and_removes_questions(ctx, client):
    organiser = f.organiser()
    event = f.event(org=organiser.organisation)
    login(client, organiser)
    url = f"/organiser/events/{event.id}/questions"
    assert "asks no questions of its own yet" in client.get(url).get_data(as_text=True)

    added = client.post(
        url,
        data={
            "kind": "choice",
            "text_sv": "Vilken del av dagen passar?",
            "text_ar": "أي جزء من اليوم يناسبك؟",
            "choices_sv": "Förmiddag\nEftermiddag\n",
            "choices_ar": "الصباح\nبعد الظهر",
            "required": "y",
        },
    )
    assert added.status_code == 302
    [question] = questions_of(event)
    assert question.kind == QuestionKind.CHOICE and question.required and not question.sensitive
    assert question.text == {"sv": "Vilken del av dagen passar?", "ar": "أي جزء من اليوم يناسبك؟"}
    assert question.choices == [{"sv": "Förmiddag", "ar": "الصباح"}, {"sv": "Eftermiddag", "ar": "بعد الظهر"}]

    # refused with a clear message, and what was typed stays on the form
    refused = client.post(url, data={"kind": "choice", "text_en": "Only one choice?", "choices_en": "Yes"})
    page = refused.get_data(as_text=True)
    assert "A choice question needs at least two choices." in page and "Only one choice?" in page
    assert len(questions_of(event)) == 1
    gap = client.post(url, data={"kind": "choice", "text_en": "Gap", "choices_en": "A\n\nC"})
    assert "Choice 2 has no text in any language." in gap.get_data(as_text=True)

    client.post(url, data={"kind": "yes_no", "text_en": "Do you have a driving licence?"})
    client.post(url, data={"kind": "text", "text_en": "Which job do you dream of?"})
    first, licence, dream = questions_of(event)
    assert (licence.kind, dream.kind) == (QuestionKind.YES_NO, QuestionKind.TEXT)

    client.post(f"/organiser/questions/{dream.id}/move", data={"direction": "up"})
    assert [q.id for q in questions_of(event)] == [first.id, dream.id, licence.id]

    form = client.get(f"/organiser/questions/{first.id}/edit").get_data(as_text=True)
    assert "Förmiddag\nEftermiddag" in form and "الصباح" in form
    client.post(
        f"/organiser/questions/{first.id}/edit",
        data={"text_sv": "Vilken tid?", "choices_sv": "Förmiddag\nEftermiddag\nKväll"},
    )
    db.session.refresh(first)
    assert first.text == {"sv": "Vilken tid?"} and len(first.choices) == 3 and first.kind == QuestionKind.CHOICE
    assert not first.required  # unticked on the form

    # unanswered: deleted; answered: no longer asked, its answers kept
    client.post(f"/organiser/questions/{dream.id}/delete")
    assert db.session.get(RegistrationQuestion, dream.id) is None
    reg = f.registration(event)
    db.session.add(RegistrationAnswer(registration_id=reg.id, question_id=first.id, value="3"))
    db.session.commit()
    client.post(f"/organiser/questions/{first.id}/delete")
    db.session.refresh(first)
    assert first.asked is False and db.session.scalar(select(func.count(RegistrationAnswer.id))) == 1
    assert [q.id for q in questions_of(event, asked_only=True)] == [licence.id]
    # once answered, a choice cannot be taken away
    shrink = client.post(
        f"/organiser/questions/{first.id}/edit", data={"text_sv": "Vilken tid?", "choices_sv": "Förmiddag\nEftermiddag"}
    )
    assert "choices may be renamed or added, not removed" in shrink.get_data(as_text=True)
    db.session.refresh(first)
    assert len(first.choices) == 3
    client.post(f"/organiser/questions/{first.id}/ask")
    db.session.refresh(first)
    assert first.asked is True


def test_a_door_volunteer_cannot_change_the_questions(ctx, client, asked):
    event, shift, *_ = asked
    login(client, f.checkin_staff(event))
    assert client.get(f"/organiser/events/{event.id}/questions").status_code == 403
    assert client.post(f"/organiser/questions/{shift.id}/delete").status_code == 403
    co = f.event_staff(event, "coorganiser")
    login(client, co)
    assert client.post(f"/organiser/questions/{shift.id}/move", data={"direction": "down"}).status_code == 302


def test_visitor_must_answer_required_questions_and_loses_nothing(client, asked):
    event, shift, licence, note = asked
    page = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert "Which shift?" in page and "Morning" in page and "Do you need parking?" in page
    assert "Questions from the organisers" in page

    missing = client.post(
        f"/events/{event.slug}/register",
        data=FORM | {f"question_{licence.id}": "yes", f"question_{note.id}": "I use a wheelchair"},
    )
    html = missing.get_data(as_text=True)
    assert missing.status_code == 200 and "Please answer this question." in html
    assert "Amina Yusuf" in html and "I use a wheelchair" in html
    assert re.search(rf'<input checked id="question_{licence.id}-0"[^>]*value="yes"', html)  # still ticked
    assert db.session.scalar(select(func.count(Registration.id))) == 0

    hostile = client.post(f"/events/{event.slug}/register", data=FORM | {f"question_{shift.id}": "99"})
    assert hostile.status_code == 200 and "Not a valid choice" in hostile.get_data(as_text=True)

    done = client.post(
        f"/events/{event.slug}/register",
        data=FORM | {f"question_{shift.id}": "2", f"question_{licence.id}": "no", f"question_{note.id}": "  "},
    )
    assert done.status_code == 302
    reg = db.session.scalar(select(Registration))
    answers = dict(
        db.session.execute(
            select(RegistrationAnswer.question_id, RegistrationAnswer.value).where(
                RegistrationAnswer.registration_id == reg.id
            )
        ).all()
    )
    assert answers == {shift.id: "2", licence.id: "no"}  # the blank text is no answer


def test_answers_are_in_the_list_and_both_exports(client, asked):
    event, shift, licence, note = asked
    people = [("Hodan", "1", "yes", "Vegetarian"), ("Yonas", "2", None, None)]
    for name, chosen, parking, text in people:
        reg = f.registration(event, f.visitor(name=name))
        given = {shift.id: chosen, licence.id: parking, note.id: text}
        db.session.add_all(
            RegistrationAnswer(registration_id=reg.id, question_id=qid, value=value)
            for qid, value in given.items()
            if value
        )
    db.session.commit()
    organiser = f.organiser(event.organisers[0].organisation)
    login(client, organiser)
    page = client.get(f"/organiser/events/{event.id}/registrations").get_data(as_text=True)
    assert "Which shift?" in page and "Morning" in page and "Evening" in page and "Vegetarian" in page

    body = client.get(f"/organiser/events/{event.id}/registrations.csv?sep=comma").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    header = rows[0]
    assert header[-3:] == ["Which shift?", "Do you need parking?", "Anything we should know?"]
    by_name = {row[0]: row[-3:] for row in rows[1:]}
    assert by_name == {"Hodan": ["Morning", "Yes", "Vegetarian"], "Yonas": ["Evening", "", ""]}

    xlsx = client.get(f"/organiser/events/{event.id}/registrations.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][-3:] == header[-3:]
    assert {row[0]: [v or "" for v in row[-3:]] for row in values[1:]} == by_name


def test_a_sensitive_questions_answers_are_never_shown_beside_a_name(client, asked):
    event, shift, licence, note = asked
    origin = _question(event, QuestionKind.YES_NO, {"en": "Were you born abroad?"}, position=4)
    origin.sensitive = True
    reg = f.registration(event, f.visitor(name="Hodan"))
    db.session.add_all(
        [
            RegistrationAnswer(registration_id=reg.id, question_id=shift.id, value="1"),
            RegistrationAnswer(registration_id=reg.id, question_id=origin.id, value="yes"),
        ]
    )
    db.session.commit()
    login(client, f.organiser(event.organisers[0].organisation))
    page = client.get(f"/organiser/events/{event.id}/registrations").get_data(as_text=True)
    assert "Which shift?" in page and "Were you born abroad?" not in page
    assert f'data-answer="{origin.id}"' not in page
    body = client.get(f"/organiser/events/{event.id}/registrations.csv?sep=comma").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert "Were you born abroad?" not in rows[0] and rows[1][-3:] == ["Morning", "", ""]
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/organiser/events/{event.id}/registrations.xlsx").data)
    ).active
    assert "Were you born abroad?" not in [cell.value for cell in sheet[1]]
    [own] = export_user_data(reg.user)["registrations"]  # the person's own export holds it: it is theirs
    assert {"question": "Were you born abroad?", "answer": "Yes"} in own["answers"]


def test_answers_are_exported_and_erased_with_the_person(client, asked):
    event, shift, licence, note = asked
    client.post(
        f"/events/{event.slug}/register",
        data=FORM | {f"question_{shift.id}": "1", f"question_{note.id}": "I arrive late"},
    )
    person = find_user_by_email("amina@example.org")
    [registration] = export_user_data(person)["registrations"]
    assert registration["answers"] == [
        {"question": "Which shift?", "answer": "Morning"},
        {"question": "Anything we should know?", "answer": "I arrive late"},
    ]
    keeper = f.registration(event, f.visitor())
    db.session.add(RegistrationAnswer(registration_id=keeper.id, question_id=shift.id, value="2"))
    db.session.commit()

    delete_account(person)
    db.session.commit()
    remaining = db.session.scalars(select(RegistrationAnswer)).all()
    assert [(a.registration_id, a.value) for a in remaining] == [(keeper.id, "2")]


def test_retention_erases_the_answers(ctx):
    event = f.event(starts_in=timedelta(days=-400))
    question = _question(event, QuestionKind.YES_NO, {"en": "Parking?"})
    regs = [f.registration(event, f.visitor(created_at=event.starts_at - timedelta(days=30))) for _ in range(3)]
    db.session.add_all(RegistrationAnswer(registration_id=r.id, question_id=question.id, value="yes") for r in regs)
    db.session.commit()
    assert purge_event(event, early=True) == 3
    assert db.session.scalar(select(func.count(RegistrationAnswer.id))) == 0
    assert db.session.scalar(select(func.count(Registration.id))) == 3  # the places stay, anonymous
