"""The case page: header with deadlines, content, attachments, the timeline and internal
notes, the contact panel, the routing panel, the answer editor and one form per transition
the user may make now. Every route of the blueprint renders it again on an error."""

from __future__ import annotations

from flask import abort, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from core.access import Permission
from core.extensions import db
from feedback import evidence
from feedback.attachments import max_bytes
from feedback.case_access import can_on_case, require_on_case
from feedback.contact import can_reveal_contact
from feedback.deadlines import case_receipt_rule, traffic_light
from feedback.followups import latest_followup
from feedback.letters import letter_answer
from feedback.models import (
    AnswerStatus,
    CaseState,
    FeedbackAnswer,
    FeedbackAttachment,
    FeedbackCase,
    FeedbackEvent,
)
from feedback.reasons import CLOSURE_REASONS, label_of
from feedback.views.case.blueprint import bp
from feedback.views.case.forms import (
    ActionForm,
    AnswerForm,
    NoteForm,
    RevealForm,
    _action_forms,
    _answer_form,
    _templates,
)
from feedback.views.case.routing_panel import _similar, _suggestions, handling_units
from feedback.views.legal_documents import document_form
from feedback.workflow import TRANSITIONS, current_answer

P = Permission

EVENT_LABELS = {
    "receive": _l("Received"),
    "note": _l("Internal note"),
    "contact_reveal": _l("Contact details viewed"),
    "draft_answer": _l("Answer drafted"),
    "notified": _l("Sender notified"),
    "reminded": _l("Unit reminded of the deadline"),
    "escalated": _l("Late: escalated to the unit's leaders"),
    "sender_rated": _l("The sender rated the answer"),
    "contact_purged": _l("Sender's contact details deleted (retention period ended)"),
}


def _load(case_id: int, perm: Permission = P.FEEDBACK_VIEW) -> FeedbackCase:
    case = db.session.get(FeedbackCase, case_id)
    if case is None:
        abort(404)
    require_on_case(current_user, perm, case)
    return case


def _timeline(case: FeedbackCase) -> list[FeedbackEvent]:
    return list(db.session.execute(
        select(FeedbackEvent).where(FeedbackEvent.case_id == case.id)
        .order_by(FeedbackEvent.at, FeedbackEvent.id)).scalars())


def event_label(event: FeedbackEvent) -> str:
    transition = TRANSITIONS.get(event.action)
    if transition is not None:
        return str(transition.label)
    return str(EVENT_LABELS.get(event.action, event.action))


def _render(case: FeedbackCase, *, status: int = 200, contact=None,
            posted: ActionForm | None = None, note_form: NoteForm | None = None,
            reveal_form: RevealForm | None = None, answer_form: AnswerForm | None = None,
            error: str | None = None):
    units = handling_units(case)
    suggestions = _suggestions(case)
    answer = current_answer(case)
    can_draft = case.state == CaseState.IN_PROGRESS.value and \
        can_on_case(current_user, P.FEEDBACK_HANDLE, case)
    attachments = list(db.session.execute(
        select(FeedbackAttachment).where(FeedbackAttachment.case_id == case.id)
        .order_by(FeedbackAttachment.id)).scalars())
    returned = list(db.session.execute(
        select(FeedbackAnswer).where(FeedbackAnswer.case_id == case.id,
                                     FeedbackAnswer.status == AnswerStatus.RETURNED.value)
        .order_by(FeedbackAnswer.id.desc())).scalars())
    body = render_template(
        "feedback/office/case.html", case=case, light=traffic_light(case).value,
        actions=_action_forms(case, units, suggestions, posted), suggestions=suggestions,
        similar=_similar(case), timeline=_timeline(case), event_label=event_label,
        attachments=attachments, answer=answer, returned=returned,
        can_draft=can_draft, answer_form=answer_form or (_answer_form(case, answer)
                                                         if can_draft else None),
        templates=_templates(case) if can_draft else [],
        note_form=note_form or NoteForm(formdata=None),
        can_reveal=can_reveal_contact(current_user, case),
        reveal_form=reveal_form or RevealForm(formdata=None), contact=contact,
        letter_ready=letter_answer(case) is not None, error=error,
        receipt_rule=case_receipt_rule(case), followup=latest_followup(case),
        **_evidence_context(case, answer, can_draft),
        master=db.session.get(FeedbackCase, case.master_id) if case.master_id else None)
    return body, status


def _evidence_context(case: FeedbackCase, answer: FeedbackAnswer | None,
                      can_draft: bool) -> dict:
    """The evidence panel: legal basis, evidence files, the add-a-document form."""
    may_add = can_draft and evidence.may_add_legal_documents(current_user)
    return {
        "needs_evidence": evidence.needs_evidence(case),
        "evidence_files": evidence.evidence_of(case),
        "evidence_max_mb": f"{max_bytes() / 1024 / 1024:g}",
        "legal_basis": evidence.format_legal_basis(answer.legal_document, answer.legal_article)
        if answer is not None else "",
        "document_form": document_form(case_id=case.id) if may_add else None,
        "closure_label": label_of(CLOSURE_REASONS, case.closure_reason),
    }


@bp.get("/<int:case_id>")
def show(case_id: int):
    """One PAKN case: deadlines, content, timeline, notes, answer, the actions allowed now."""
    return _render(_load(case_id))
