"""An event's own registration questions: the organisers' list of them, and the visitors' answers.

A question removed once it has answers is not deleted: it stops being asked and its answers stay in
the list, the export and the figures (until the registrations shredder erases them with the person)."""

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from bazaar.activitylog.models import Action
from bazaar.activitylog.services import log_action
from bazaar.events.models import Event
from bazaar.extensions import db
from bazaar.i18n import localized
from bazaar.registrations.models import (
    NO,
    YES,
    QuestionKind,
    RegistrationAnswer,
    RegistrationQuestion,
)

QUESTIONS_MAX = 20


class QuestionError(Exception):
    """A change to the questions that is refused; ``str(exc)`` says why: "no text", "few choices",
    "too many" or "choices answered"."""


def questions_of(event: Event, asked_only: bool = False) -> list[RegistrationQuestion]:
    """The event's questions in their order (with ``asked_only``, those the form still asks)."""
    query = select(RegistrationQuestion).where(RegistrationQuestion.event_id == event.id)
    if asked_only:
        query = query.where(RegistrationQuestion.asked.is_(True))
    return list(db.session.scalars(query.order_by(RegistrationQuestion.position, RegistrationQuestion.id)))


def shown_per_person(event: Event) -> list[RegistrationQuestion]:
    """The questions whose answers the registration list and its exports show beside each name: all
    but the sensitive ones, which are only ever counted, in the statistics' breakdowns."""
    return [q for q in questions_of(event) if not q.sensitive]


def answer_counts(event: Event) -> dict[int, int]:
    """How many answers each of the event's questions has."""
    return dict(
        db.session.execute(
            select(RegistrationAnswer.question_id, func.count())
            .join(RegistrationQuestion, RegistrationQuestion.id == RegistrationAnswer.question_id)
            .where(RegistrationQuestion.event_id == event.id)
            .group_by(RegistrationAnswer.question_id)
        ).all()
    )


def _check(kind: str, text: dict, choices: list[dict]) -> None:
    if not text:
        raise QuestionError("no text")
    if kind == QuestionKind.CHOICE and len(choices) < 2:
        raise QuestionError("few choices")


def add_question(event: Event, *, kind: str, required: bool, sensitive: bool, text: dict, choices: list[dict]):
    """Add a question at the end of the event's list. Commits."""
    _check(kind, text, choices)
    existing = questions_of(event)
    if len([q for q in existing if q.asked]) >= QUESTIONS_MAX:
        raise QuestionError("too many")
    question = RegistrationQuestion(
        event_id=event.id,
        position=max((q.position for q in existing), default=0) + 1,
        kind=kind,
        required=required,
        sensitive=sensitive,
        text=text,
        choices=choices if kind == QuestionKind.CHOICE else [],
    )
    db.session.add(question)
    db.session.flush()
    _log(question, Action.QUESTION_ADDED, event)
    db.session.commit()
    return question


def _log(question: RegistrationQuestion, action: Action, event: Event | None = None) -> None:
    """The question in the activity log, named in the fair's language."""
    event = event or db.session.get(Event, question.event_id)
    log_action(event, action, obj=question, data={"question": localized(question.text, event.default_language)})


def update_question(question: RegistrationQuestion, *, required: bool, sensitive: bool, text: dict, choices: list):
    """Change a question's texts and whether it is required. Its kind stays; once it has answers,
    choices may be renamed and added but not taken away (an answer names its choice by number). Commits."""
    _check(question.kind, text, choices)
    if question.kind == QuestionKind.CHOICE and len(choices) < len(question.choices) and _answered(question):
        raise QuestionError("choices answered")
    question.required = required
    question.sensitive = sensitive
    question.text = text
    question.choices = choices if question.kind == QuestionKind.CHOICE else []
    _log(question, Action.QUESTION_CHANGED)
    db.session.commit()
    return question


def _answered(question: RegistrationQuestion) -> bool:
    return (
        db.session.scalar(select(RegistrationAnswer.id).where(RegistrationAnswer.question_id == question.id).limit(1))
        is not None
    )


def move_question(question: RegistrationQuestion, step: int) -> None:
    """Move the question one place up (``step`` -1) or down (+1) among the event's questions. Commits."""
    event = db.session.get(Event, question.event_id)
    ordered = questions_of(event)
    index = ordered.index(question)
    other = index + (1 if step > 0 else -1)
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, q in enumerate(ordered, start=1):
        q.position = position
    db.session.commit()


def remove_question(question: RegistrationQuestion) -> bool:
    """Delete a question nobody has answered; one with answers stops being asked and keeps them.
    Returns True if it was deleted. Commits."""
    _log(question, Action.QUESTION_REMOVED)
    if _answered(question):
        question.asked = False
        db.session.commit()
        return False
    db.session.delete(question)
    db.session.commit()
    return True


def ask_again(question: RegistrationQuestion) -> None:
    """Ask a question that was removed after it was answered again. Commits."""
    question.asked = True
    db.session.commit()


def choice_options(question: RegistrationQuestion) -> list[tuple[str, str]]:
    """(value stored, text in the reader's language) for each answer a choice or yes/no question takes."""
    if question.kind == QuestionKind.YES_NO:
        return [(YES, _("Yes")), (NO, _("No"))]
    return [(str(number), localized(texts)) for number, texts in enumerate(question.choices, start=1)]


def answer_text(question: RegistrationQuestion, value: str | None) -> str:
    """An answer as the organisers read it (a choice's text, "Yes"/"No", or the text written)."""
    if value is None:
        return ""
    if question.kind == QuestionKind.TEXT:
        return value
    return dict(choice_options(question)).get(value, value)


def save_answers(registration_id: int, answers: dict[int, str]) -> None:
    """Store a registration's answers (the caller commits with the registration)."""
    db.session.add_all(
        RegistrationAnswer(registration_id=registration_id, question_id=qid, value=value)
        for qid, value in answers.items()
        if value
    )


def answers_of(registration_ids) -> dict[int, dict[int, str]]:
    """Registration id -> question id -> stored answer, in one statement."""
    out: dict[int, dict[int, str]] = {}
    for reg_id, qid, value in db.session.execute(
        select(RegistrationAnswer.registration_id, RegistrationAnswer.question_id, RegistrationAnswer.value).where(
            RegistrationAnswer.registration_id.in_(registration_ids)
        )
    ):
        out.setdefault(reg_id, {})[qid] = value
    return out


def erase_answers(registration_ids) -> None:
    """Every answer of these registrations goes (a subquery or list of ids)."""
    db.session.execute(delete(RegistrationAnswer).where(RegistrationAnswer.registration_id.in_(registration_ids)))
