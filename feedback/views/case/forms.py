"""The case page's forms (one per transition, the note, the contact reveal, the answer
editor) and how each is filled in before it is shown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.models import Unit
from feedback import answers as answer_services
from feedback import evidence
from feedback.models import (
    AnswerTemplate,
    Classification,
    FeedbackAnswer,
    FeedbackCase,
    LegalDocument,
)
from feedback.queues import CLASSIFICATION_LABELS
from feedback.reasons import CLOSURE_REASONS, DOCUMENT_KINDS
from feedback.workflow import (
    MAX_EXTENSION_DAYS,
    Transition,
    available_transitions,
    current_answer,
)

# The inputs each action's form shows (besides the reason, shown when the action needs one).
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "assign": ("classification", "handling_unit"),
    "reassign": ("handling_unit",),
    "transfer": ("transferred_to",),
    "merge": ("master",),
    "extend": ("extension_days",),
    "approve": ("letter_number", "signer_title", "legal_document", "legal_article"),
    "close": ("closure_reason",),
}


class ActForm(BaseForm):
    expected_state = HiddenField()
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    classification = SelectField(_l("Classification"), validators=[Optional()])
    handling_unit = SelectField(_l("Handling unit"), validators=[Optional()])
    transferred_to = StringField(_l("Competent agency it is transferred to"),
                                 validators=[Optional(), Length(max=300)])
    master = StringField(_l("Master case (tracking code)"),
                         validators=[Optional(), Length(max=20)])
    extension_days = IntegerField(_l("Extension (working days)"), validators=[
        Optional(), NumberRange(min=1, max=MAX_EXTENSION_DAYS)])
    letter_number = StringField(_l("Letter number"), validators=[Optional(), Length(max=60)])
    signer_title = StringField(_l("Signer's title"), validators=[Optional(), Length(max=120)])
    legal_document = SelectField(_l("Legal basis: document"), validators=[Optional()])
    legal_article = StringField(_l("Article"), validators=[Optional(), Length(max=60)])
    closure_reason = SelectField(_l("Reason for closing without an answer"),
                                 validators=[Optional()])


class NoteForm(BaseForm):
    note = TextAreaField(_l("Internal note (not shown to the sender)"),
                         validators=[InputRequired(), Length(max=4000)])


class RevealForm(BaseForm):
    reason = StringField(_l("Why do you need the contact details?"),
                         validators=[InputRequired(), Length(max=300)])


class AnswerForm(BaseForm):
    # Sized for a letter: about a page of text visible while writing.
    body = TextAreaField(_l("Answer"), validators=[InputRequired(),
                                                   Length(max=answer_services.MAX_ANSWER)],
                         render_kw={"rows": 12})
    letter_number = StringField(_l("Letter number"), validators=[Optional(), Length(max=60)])
    signer_title = StringField(_l("Signer's title"), validators=[Optional(), Length(max=120)])
    legal_document = SelectField(_l("Legal basis: document"), validators=[Optional()])
    legal_article = StringField(_l("Article"), validators=[Optional(), Length(max=60)],
                                render_kw={"placeholder": "Điều 12"})
    evidence_file = FileField(_l("Evidence: a photo, or a PDF document"))
    evidence_number = StringField(_l("Number of the evidence document"),
                                  validators=[Optional(), Length(max=60)])


def document_choices() -> list[tuple[str, str]]:
    """The pick-list of the growing list of legal documents (feedback.evidence)."""
    return [SelectChoice("", _("None"))] + [
        SelectChoice(str(d.id), f"{DOCUMENT_KINDS.get(d.kind, d.kind)} {d.number} "
                                f"({d.issued_on.strftime('%d/%m/%Y')}): {d.title}")
        for d in evidence.list_legal_documents()]


def chosen_document(value: str | None) -> LegalDocument | None:
    """The document picked from the list (400 for an id that is not on it)."""
    if not value:
        return None
    document = db.session.get(LegalDocument, int(value)) if value.isdigit() else None
    if document is None:
        raise ServiceError(_("Choose a document from the list."), status=400,
                           field="legal_document")
    return document


def action_fields(case: FeedbackCase, action: str) -> tuple[str, ...]:
    """The inputs of ``action``'s form on ``case``: closing asks for a reason only when the
    case has no answer (feedback.reasons)."""
    fields = ACTION_FIELDS.get(action, ())
    if action == "close" and case.answered_at is not None:
        return ()
    return fields


@dataclass
class ActionForm:
    transition: Transition
    form: ActForm
    fields: tuple[str, ...]
    error: str | None = None
    open: bool = False


def _act_form(case: FeedbackCase, action: str, units: list[Unit], suggestions: list[Any],
              formdata=None) -> ActForm:
    form = ActForm(formdata=formdata, prefix=action)
    form.classification.choices = [("", _("Choose…"))] + [
        (c.value, str(CLASSIFICATION_LABELS[c.value]))
        for c in (Classification.IN_COMPETENCE, Classification.CONDUCT)]
    form.legal_document.choices = document_choices() if action == "approve" else [
        SelectChoice("", "")]
    form.closure_reason.choices = [SelectChoice("", _("Choose…"))] + [
        SelectChoice(code, str(label)) for code, label in CLOSURE_REASONS.items()]
    form.handling_unit.choices = [("", _("Choose…"))] + [
        (str(u.id), "— " * max(0, u.depth - case.agency.depth) + u.name_vi) for u in units
        if not (action == "reassign" and u.id == case.handling_unit_id)]
    if formdata is None:
        form.expected_state.data = case.state
        choice_ids = {value for value, _label in form.handling_unit.choices}
        if action == "approve":
            _prefill_letter(form, case)
        if action == "assign" and suggestions:
            top = str(getattr(suggestions[0].unit, "id", ""))
            if top in choice_ids:
                form.handling_unit.data = top
    return form


def _prefill_letter(form: ActForm, case: FeedbackCase) -> None:
    """The approver sees (and may correct) the letter number and signer the handler typed."""
    answer = current_answer(case)
    if answer is not None:
        form.letter_number.data = answer.letter_number
        form.signer_title.data = answer.signer_title
        form.legal_document.data = str(answer.legal_document_id or "")
        form.legal_article.data = answer.legal_article


def _action_forms(case: FeedbackCase, units: list[Unit], suggestions: list[Any],
                  posted: ActionForm | None = None) -> list[ActionForm]:
    forms = []
    for transition in available_transitions(case, current_user):
        if posted is not None and posted.transition.action == transition.action:
            forms.append(posted)
            continue
        forms.append(ActionForm(transition, _act_form(case, transition.action, units,
                                                      suggestions),
                                action_fields(case, transition.action)))
    if posted is not None and all(f is not posted for f in forms):
        forms.append(posted)  # the state changed under the form: show it with its error
    return forms


def _templates(case: FeedbackCase) -> list[AnswerTemplate]:
    return answer_services.list_templates(case.handling_unit or case.agency, case.topic)


def _answer_form(case: FeedbackCase, answer: FeedbackAnswer | None) -> AnswerForm:
    form = AnswerForm(formdata=None)
    form.legal_document.choices = document_choices()
    if answer is not None:
        form.body.data = answer.body
        form.letter_number.data = answer.letter_number
        form.signer_title.data = answer.signer_title
        form.legal_document.data = str(answer.legal_document_id or "")
        form.legal_article.data = answer.legal_article
    chosen = request.args.get("mau", type=int)
    if chosen is not None:
        template = next((t for t in _templates(case) if t.id == chosen), None)
        if template is not None:
            form.body.data = answer_services.apply_template(template, case)
    return form
