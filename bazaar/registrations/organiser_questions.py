"""The organisers' page of an event's own registration questions (staff only: Swedish and English)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import BooleanField, SelectField, StringField

from bazaar import permissions
from bazaar.events.models import Event
from bazaar.extensions import db
from bazaar.forms import TEXT_LANGUAGES, BazaarForm, TranslatedTexts, translated
from bazaar.registrations import questions
from bazaar.registrations.models import QuestionKind, RegistrationQuestion

bp = Blueprint("questions", __name__)

KIND_LABELS = {
    QuestionKind.TEXT: _l("Text"),
    QuestionKind.CHOICE: _l("Choice"),
    QuestionKind.YES_NO: _l("Yes or no"),
}
# Why :mod:`bazaar.registrations.questions` refused a change (its QuestionError codes).
REFUSALS = {
    "no text": _l("Write the question in at least one language."),
    "few choices": _l("A choice question needs at least two choices."),
    "too many": _l("An event asks at most %(n)d questions of its own.", n=questions.QUESTIONS_MAX),
    "choices answered": _l("Visitors have answered this question: choices may be renamed or added, not removed."),
}


@translated("text", _l("Question (%(language)s)"), max_length=500, field=StringField)
@translated("choices", _l("Choices, one a line (%(language)s)"), max_length=2000)
class QuestionForm(TranslatedTexts, BazaarForm):
    """An organiser's question. Choices are written one a line in each language; line 1 in Arabic
    is choice 1 in Swedish."""

    kind = SelectField(_l("Kind of answer"), choices=list(KIND_LABELS.items()))
    required = BooleanField(_l("An answer is required"))
    sensitive = BooleanField(
        _l(
            "Sensitive: never shown beside a person's name (not in the list, not in the exports); its breakdown "
            "is published only once, after the follow-up survey has closed"
        ),
    )

    def choice_texts(self) -> list[dict]:
        """The choices as dicts of language code to text, matched across languages by line."""
        lines = {}
        for lang in TEXT_LANGUAGES:
            written = [line.strip() for line in (getattr(self, f"choices_{lang}").data or "").splitlines()]
            while written and not written[-1]:
                written.pop()
            lines[lang] = written
        count = max(len(written) for written in lines.values())
        return [{lang: w[i] for lang, w in lines.items() if i < len(w) and w[i]} for i in range(count)]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.kind.data == QuestionKind.CHOICE:
            for number, texts in enumerate(self.choice_texts(), start=1):
                if not texts:
                    self.choices_sv.errors = [
                        *self.choices_sv.errors,
                        _l("Choice %(n)d has no text in any language.", n=number),
                    ]
                    return False
        return valid

    def fill_from(self, question) -> None:
        for lang in TEXT_LANGUAGES:
            getattr(self, f"text_{lang}").data = question.text.get(lang, "")
            getattr(self, f"choices_{lang}").data = "\n".join(c.get(lang, "") for c in question.choices).rstrip("\n")
        self.kind.data = question.kind
        self.required.data = question.required
        self.sensitive.data = question.sensitive

    def fields(self) -> dict:
        return {
            "required": bool(self.required.data),
            "sensitive": bool(self.sensitive.data),
            "text": self.texts("text"),
            "choices": self.choice_texts(),
        }


# ---- the event's own questions ----------------------------------------------------------------


def _questions_page(event: Event, form: QuestionForm):
    return render_template(
        "registrations/organiser_questions.html",
        event=event,
        questions=questions.questions_of(event),
        counts=questions.answer_counts(event),
        kind_labels=KIND_LABELS,
        form=form,
    )


@bp.route("/organiser/events/<int:event_id>/questions", methods=["GET", "POST"])
@login_required
def question_list(event_id):
    event = permissions.load(Event, event_id, "registration.questions")
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            questions.add_question(event, kind=form.kind.data, **form.fields())
        except questions.QuestionError as exc:
            form.kind.errors.append(REFUSALS[str(exc)])
        else:
            flash(_("The question was added."), "success")
            return redirect(url_for("questions.question_list", event_id=event.id))
    return _questions_page(event, form)


def _question(question_id: int) -> RegistrationQuestion:
    return permissions.load(RegistrationQuestion, question_id, "registration.question")


@bp.route("/organiser/questions/<int:question_id>/edit", methods=["GET", "POST"])
@login_required
def question_edit(question_id):
    question = _question(question_id)
    form = QuestionForm(obj=question)
    if request.method == "GET":
        form.fill_from(question)
    if form.validate_on_submit():
        try:
            questions.update_question(question, **form.fields())
        except questions.QuestionError as exc:
            form.choices_sv.errors.append(REFUSALS[str(exc)])
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("questions.question_list", event_id=question.event_id))
    return render_template(
        "registrations/organiser_question_edit.html",
        event=db.session.get(Event, question.event_id),
        question=question,
        form=form,
    )


@bp.post("/organiser/questions/<int:question_id>/move")
@login_required
def question_move(question_id):
    question = _question(question_id)
    questions.move_question(question, -1 if request.form.get("direction") == "up" else 1)
    return redirect(url_for("questions.question_list", event_id=question.event_id))


@bp.post("/organiser/questions/<int:question_id>/delete")
@login_required
def question_delete(question_id):
    question = _question(question_id)
    event_id = question.event_id
    if questions.remove_question(question):
        flash(_("The question was removed."), "success")
    else:
        flash(_("Visitors have answered this question, so it is no longer asked but its answers are kept."), "success")
    return redirect(url_for("questions.question_list", event_id=event_id))


@bp.post("/organiser/questions/<int:question_id>/ask")
@login_required
def question_ask(question_id):
    question = _question(question_id)
    questions.ask_again(question)
    flash(_("The question is asked again."), "success")
    return redirect(url_for("questions.question_list", event_id=question.event_id))
