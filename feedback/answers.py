"""Answer drafting: the handler writes (or starts from a template), the approver approves in
the workflow (feedback.workflow: submit_answer, approve, send_answer)."""

from __future__ import annotations

from flask_babel import gettext as _

from core.access import Actor, Permission
from core.exceptions import ServiceError
from core.extensions import db
from core.models import User
from feedback.case_access import can_on_case
from feedback.intake import clean_text
from feedback.models import AnswerStatus, CaseState, FeedbackAnswer, FeedbackCase
from feedback.workflow import add_event, current_answer

MAX_ANSWER = 20_000


def save_answer_draft(case: FeedbackCase, actor: Actor, body: str, *,
                      letter_number: str | None = None,
                      signer_title: str | None = None) -> FeedbackAnswer:
    """Create or update the draft while the case is being handled. Flushes."""
    if not can_on_case(actor, Permission.FEEDBACK_HANDLE, case):
        raise ServiceError(_("You may not answer this case."), status=403)
    if case.state != CaseState.IN_PROGRESS.value:
        raise ServiceError(_("The answer can only be written while the case is being "
                             "handled."), status=409)
    body = clean_text(body)
    if not body:
        raise ServiceError(_("Write the answer first."), status=400, field="body")
    if len(body) > MAX_ANSWER:
        raise ServiceError(_("The answer is too long (at most %(n)d characters).",
                             n=MAX_ANSWER), status=400, field="body")
    answer = current_answer(case)
    if answer is None or answer.status != AnswerStatus.DRAFT.value:
        answer = FeedbackAnswer(case_id=case.id, body=body)
        db.session.add(answer)
        add_event(case, actor, "draft_answer")
    answer.body = body
    answer.drafted_by_id = actor.id if isinstance(actor, User) else None
    if letter_number is not None:
        answer.letter_number = clean_text(letter_number)[:60] or None
    if signer_title is not None:
        answer.signer_title = clean_text(signer_title)[:120] or None
    db.session.flush()
    return answer
