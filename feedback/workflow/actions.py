"""What each action does besides changing the state (``APPLY``, by action name)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from core.access import Actor
from core.audit import record_audit
from core.clock import now
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit, User
from feedback import deadlines, evidence, four_eyes
from feedback.models import (
    AnswerStatus,
    CaseState,
    Classification,
    FeedbackAnswer,
    FeedbackCase,
    NonPublication,
    Publication,
)
from feedback.reasons import CLOSURE_REASONS
from feedback.workflow.rules import (
    MAX_EXTENSION_DAYS,
    OPEN_STATES,
    S,
    TransitionInput,
    TransitionRefused,
)
from feedback.workflow.timeline import add_event, current_answer, run_hooks, take_register_number

# --- What each action does besides changing the state. -------------------------------------

def _acknowledge(case: FeedbackCase) -> None:
    if case.acknowledged_at is None:
        case.acknowledged_at = now()


def _register(case, data, actor):
    take_register_number(case)
    case.registered_at = case.registered_at or now()
    return {"register_number": case.register_number}


def _reject(case, data, actor):
    _register(case, data, actor)
    case.classification = Classification.NOT_ACCEPTED.value
    _acknowledge(case)
    _children_follow(case, actor, "reject", S.NOT_ACCEPTED, classification=case.classification,
                     acknowledged_at=case.acknowledged_at)
    return {"classification": case.classification}


def _transfer(case, data, actor):
    target = (data.transferred_to or "").strip()
    if not target:
        raise ServiceError(_("Name the agency the case is transferred to."), status=400,
                           field="transferred_to")
    _register(case, data, actor)
    case.classification = Classification.OUTSIDE_COMPETENCE.value
    case.transferred_to = target[:300]
    _acknowledge(case)
    _children_follow(case, actor, "transfer", S.TRANSFERRED, classification=case.classification,
                     transferred_to=case.transferred_to, acknowledged_at=case.acknowledged_at)
    return {"transferred_to": case.transferred_to}


def _check_handling_unit(case: FeedbackCase, unit: Unit | None) -> Unit:
    if unit is None or not unit.active:
        raise ServiceError(_("Choose an active handling unit."), status=400,
                           field="handling_unit")
    return unit


def _assign(case, data, actor):
    if data.classification not in (Classification.CONDUCT.value,
                                   Classification.IN_COMPETENCE.value):
        raise ServiceError(_("Classify the case: conduct of an official, or within our "
                             "competence."), status=400, field="classification")
    unit = _check_handling_unit(case, data.handling_unit)
    _register(case, data, actor)
    case.classification = data.classification
    case.handling_unit_id = unit.id
    case.handling_unit = unit
    case.assigned_at = now()
    _acknowledge(case)
    deadlines.set_answer_deadline(case)
    return {"classification": case.classification, "handling_unit_id": unit.id,
            "handling_unit": unit.name_vi}


def _reassign(case, data, actor):
    unit = _check_handling_unit(case, data.handling_unit)
    if unit.id == case.handling_unit_id:
        raise ServiceError(_("The case is already with this unit."), status=400,
                           field="handling_unit")
    old = case.handling_unit_id
    case.handling_unit_id = unit.id
    case.handling_unit = unit
    case.assigned_at = now()
    # Reassigned while waiting for the sender: the days waited still do not count.
    shifted = deadlines.shift_for_pause(case, now())
    case.paused_at = None
    return {"from_unit_id": old, "handling_unit_id": unit.id, "handling_unit": unit.name_vi,
            **({"paused_working_days": shifted} if shifted else {})}


def _return_to_triage(case, data, actor):
    old = case.handling_unit_id
    case.handling_unit_id = None
    case.handling_unit = None
    case.classification = None
    return {"from_unit_id": old}


def _nothing(case, data, actor):
    return None


def _pause(case, data, actor):
    case.paused_at = now()
    return None


def _resume(case, data, actor):
    shifted = deadlines.shift_for_pause(case, now())
    case.paused_at = None
    case.last_contact_at = now()
    return {"paused_working_days": shifted}


def _extend(case, data, actor):
    if case.extended:
        raise TransitionRefused(_("The deadline has already been extended once."))
    days = data.extension_days
    if days is None or not 1 <= days <= MAX_EXTENSION_DAYS:
        raise ServiceError(_("Give the extension in working days (1 to %(max)d).",
                             max=MAX_EXTENSION_DAYS), status=400, field="extension_days")
    before = case.answer_due_at
    case.extended = True
    case.extension_reason = (data.reason or "").strip()
    deadlines.extend_answer_deadline(case, days)
    return {"days": days, "due_before": before, "due_after": case.answer_due_at}


def _submit_answer(case, data, actor):
    answer = current_answer(case)
    if answer is None or answer.status != AnswerStatus.DRAFT.value or not answer.body.strip():
        raise ServiceError(_("Write the answer before submitting it."), status=400,
                           field="body")
    answer.status = AnswerStatus.SUBMITTED.value
    return {"answer_id": answer.id}


def _return_answer(case, data, actor):
    answer = current_answer(case)
    if answer is not None:
        answer.status = AnswerStatus.RETURNED.value
        answer.return_reason = (data.reason or "").strip()
        # The handler starts again from the returned text.
        db.session.add(FeedbackAnswer(case_id=case.id, body=answer.body,
                                      drafted_by_id=answer.drafted_by_id,
                                      letter_number=answer.letter_number,
                                      signer_title=answer.signer_title,
                                      legal_document_id=answer.legal_document_id,
                                      legal_article=answer.legal_article))
    return {"answer_id": answer.id if answer else None}


def _approve(case, data, actor):
    answer = current_answer(case)
    if answer is None or answer.status != AnswerStatus.SUBMITTED.value:
        raise TransitionRefused(_("There is no submitted answer to approve."))
    people = four_eyes.check_answer_approver(case, answer, actor)
    if data.legal_document is not None:
        evidence.set_legal_basis(answer, data.legal_document, data.legal_article)
    proof = evidence.check_evidence(case, answer)
    answer.status = AnswerStatus.APPROVED.value
    answer.approved_by_id = actor.id if isinstance(actor, User) else None
    answer.approved_at = now()
    if data.letter_number:
        answer.letter_number = data.letter_number.strip()[:60]
    if data.signer_title:
        answer.signer_title = data.signer_title.strip()[:120]
    return {"answer_id": answer.id, **people, **proof}


def _send_answer(case, data, actor):
    answer = current_answer(case)
    if answer is None or answer.status != AnswerStatus.APPROVED.value:
        raise TransitionRefused(_("Only an approved answer can be sent."))
    moment = now()
    answer.status = AnswerStatus.SENT.value
    answer.sent_at = moment
    case.answered_at = moment
    case.last_contact_at = moment
    _answer_merged_children(case, actor, moment)
    return {"answer_id": answer.id}


def _merged_children(master: FeedbackCase) -> list[FeedbackCase]:
    return list(db.session.execute(
        select(FeedbackCase).where(FeedbackCase.master_id == master.id,
                                   FeedbackCase.state == S.MERGED.value)
        .order_by(FeedbackCase.id)).scalars())


def _children_follow(master: FeedbackCase, actor: Actor | None, action: str,
                     target: CaseState, **changes) -> None:
    """Children of a merged group follow their master's outcome (answered, not accepted or
    transferred) with their own event and audit entry, so none is left waiting on a master
    that will never answer it."""
    for child in _merged_children(master):
        child.state = target.value
        for name, value in changes.items():
            setattr(child, name, value)
        deadlines.refresh_due(child)
        event = add_event(child, actor, action, from_state=S.MERGED.value,
                          to_state=target.value, data={"via_master_id": master.id},
                          public=True)
        record_audit(f"feedback.{action}", object_type="feedback_case", object_id=child.id,
                     unit_id=child.agency_id, before={"state": S.MERGED.value},
                     after={"state": target.value, "via_master_id": master.id})
        db.session.flush()
        run_hooks(child, event)


def _answer_merged_children(master: FeedbackCase, actor: Actor | None,
                            moment: datetime) -> None:
    """Children of a merged group are answered once, with the master's answer."""
    _children_follow(master, actor, "send_answer", S.ANSWERED, answered_at=moment,
                     last_contact_at=moment)


def publication_of(case: FeedbackCase) -> Publication | None:
    return db.session.execute(
        select(Publication).where(Publication.case_id == case.id)).scalar_one_or_none()


def _publish(case, data, actor):
    publication = publication_of(case)
    if publication is None or publication.status not in ("draft", "withdrawn"):
        raise TransitionRefused(_("Prepare and review the public text before publishing."))
    people = four_eyes.check_publication_approver(case, publication, actor)
    publication.status = "published"
    publication.approved_by_id = actor.id if isinstance(actor, User) else None
    publication.published_at = now()
    publication.withdrawn_at = None
    # Published after all: an earlier decision not to publish no longer holds.
    decision = db.session.execute(select(NonPublication).where(
        NonPublication.case_id == case.id)).scalar_one_or_none()
    if decision is not None:
        people["not_published_reason_dropped"] = decision.reason
        db.session.delete(decision)
    # The removed text was only kept for the reviewer's preview.
    publication.redactions = [
        {k: v for k, v in r.items() if k != "text"} for r in (publication.redactions or [])]
    return {"publication_id": publication.id, **people}


def _unpublish(case, data, actor):
    publication = publication_of(case)
    if publication is None or publication.status != "published":
        raise TransitionRefused(_("This case has no published answer to withdraw."))
    publication.status = "withdrawn"
    publication.withdrawn_at = now()
    if case.state == S.PUBLISHED.value:
        case.state = S.ANSWERED.value
    return {"publication_id": publication.id}


def _close(case, data, actor):
    # A case closed without an answer says why, from the fixed list (feedback.reasons).
    case.closure_reason = None
    if case.answered_at is None:
        if data.closure_reason not in CLOSURE_REASONS:
            raise ServiceError(_("A case closed without an answer needs a reason: choose it "
                                 "from the list."), status=400, field="closure_reason")
        case.closure_reason = data.closure_reason
    case.closed_at = now()
    return {"closure_reason": case.closure_reason} if case.closure_reason else None


def _reopen(case, data, actor):
    with_unit = case.handling_unit_id is not None and case.classification in (
        Classification.CONDUCT.value, Classification.IN_COMPETENCE.value)
    case.state = (S.IN_PROGRESS if with_unit else S.REGISTERED).value
    case.closed_at = None
    case.closure_reason = None
    case.answered_at = None
    if with_unit and case.answer_due_at is not None:
        # A reopened case gets a fresh answer period from today.
        case.answer_due_at = None
        received = case.received_at
        case.received_at = now()
        deadlines.set_answer_deadline(case)
        case.received_at = received
    if not with_unit:
        case.classification = None
        case.transferred_to = None
    return {"reopened_to": case.state}


def _sender_reopen(case, data, actor):
    """Back to the handling unit (in progress), or escalated to the unit of the leader who
    approved the answer (assigned there): either way with a fresh answer period from today."""
    if case.handling_unit_id is None:
        raise TransitionRefused(_("This case has no handling unit to reopen it for."))
    from_unit = case.handling_unit_id
    if data.escalate:
        unit = _check_handling_unit(case, data.handling_unit)
        case.handling_unit_id = unit.id
        case.handling_unit = unit
        case.assigned_at = now()
        case.state = S.ASSIGNED.value
    else:
        case.state = S.IN_PROGRESS.value
    case.closed_at = None
    case.answered_at = None
    case.paused_at = None
    # A new period: its own reminder, escalation and (one) extension.
    case.extended = False
    case.extension_reason = None
    case.reminded_at = None
    case.escalated_at = None
    deadlines.restart_answer_deadline(case, now())
    return {"reopened_to": case.state, "route": "escalate" if data.escalate else "handler",
            "from_unit_id": from_unit, "handling_unit_id": case.handling_unit_id,
            "handling_unit": case.handling_unit.name_vi if case.handling_unit else None,
            "answer_due_at": case.answer_due_at}


def _merge(case, data, actor):
    master = data.master
    if master is None or master.id == case.id:
        raise ServiceError(_("Choose the master case to merge into."), status=400,
                           field="master")
    if master.state == S.MERGED.value or CaseState(master.state) not in OPEN_STATES:
        raise TransitionRefused(_("The master case must be open and not merged itself."))
    if master.agency_id != case.agency_id:
        raise ServiceError(_("Only cases of the same register can be merged."), status=400,
                           field="master")
    if case.register_seq is None:
        take_register_number(case)
        case.registered_at = now()
    case.master_id = master.id
    # A group is one level deep: cases merged into this one now follow the new master.
    moved = _merged_children(case)
    for child in moved:
        child.master_id = master.id
        add_event(child, actor, "merge", from_state=S.MERGED.value, to_state=S.MERGED.value,
                  data={"master_id": master.id, "via_master_id": case.id})
    return {"master_id": master.id, "master_code": master.tracking_code,
            **({"moved_children": [c.id for c in moved]} if moved else {})}


def _unmerge(case, data, actor):
    old = case.master_id
    case.master_id = None
    case.handling_unit_id = None
    case.handling_unit = None
    case.classification = None
    return {"from_master_id": old}


APPLY: dict[str, Callable[[FeedbackCase, TransitionInput, Actor | None], dict | None]] = {
    "register": _register, "reject": _reject, "transfer": _transfer, "assign": _assign,
    "reassign": _reassign, "return_to_triage": _return_to_triage, "start": _nothing,
    "pause": _pause, "resume": _resume, "extend": _extend, "submit_answer": _submit_answer,
    "return_answer": _return_answer, "approve": _approve, "send_answer": _send_answer,
    "publish": _publish, "unpublish": _unpublish, "close": _close, "reopen": _reopen,
    "sender_reopen": _sender_reopen, "merge": _merge, "unmerge": _unmerge,
}
