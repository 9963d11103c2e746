"""The PAKN workflow: every change of a case's state goes through ``transition_case``.

The table TRANSITIONS says, for each action, the states it may start from, the state it leads
to, the permission it needs (checked on the case's agency or handling unit) and whether it
needs a reason. A transition not allowed from the current state raises TransitionRefused
(409); one the actor may not do raises a 403 ServiceError and is logged. Each transition adds
a timeline event and an audit entry in the same transaction, recomputes the deadline shown
in queues, and calls the hooks (notifications) so that the outbox row is written with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from analysis import pakn_kpis
from core.access import Actor, Permission
from core.audit import json_safe, record_audit, record_audit_now
from core.clock import local, now
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit, User
from feedback import deadlines, four_eyes
from feedback.case_access import can_on_case
from feedback.models import (
    AnswerStatus,
    CaseState,
    Classification,
    FeedbackAnswer,
    FeedbackCase,
    FeedbackEvent,
    Publication,
    RegisterCounter,
)

S = CaseState
P = Permission


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[CaseState]
    # None: the state does not change (extend) or is worked out (reopen).
    target: CaseState | None
    permission: Permission
    label: object
    needs_reason: bool = False
    # Shown to the sender on the public status page.
    public: bool = False


def _t(action, sources, target, permission, label, **kw) -> Transition:
    return Transition(action, frozenset(sources), target, permission, label, **kw)


TRIAGE_SOURCES = {S.RECEIVED, S.REGISTERED}
MERGEABLE = {S.RECEIVED, S.REGISTERED, S.ASSIGNED, S.IN_PROGRESS, S.WAITING}
TERMINAL_ANSWERED = {S.ANSWERED, S.NOT_ACCEPTED, S.TRANSFERRED}

TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    _t("register", {S.RECEIVED}, S.REGISTERED, P.FEEDBACK_TRIAGE, _l("Register")),
    _t("reject", TRIAGE_SOURCES, S.NOT_ACCEPTED, P.FEEDBACK_TRIAGE, _l("Not accepted"),
       needs_reason=True, public=True),
    _t("transfer", TRIAGE_SOURCES, S.TRANSFERRED, P.FEEDBACK_TRIAGE,
       _l("Transfer to the competent agency"), needs_reason=True, public=True),
    _t("assign", TRIAGE_SOURCES, S.ASSIGNED, P.FEEDBACK_TRIAGE,
       _l("Assign to a handling unit"), public=True),
    _t("reassign", {S.ASSIGNED, S.IN_PROGRESS, S.WAITING}, S.ASSIGNED, P.FEEDBACK_TRIAGE,
       _l("Reassign"), needs_reason=True, public=True),
    _t("return_to_triage", {S.ASSIGNED, S.IN_PROGRESS}, S.REGISTERED, P.FEEDBACK_HANDLE,
       _l("Not ours: return to the PAKN office"), needs_reason=True),
    _t("start", {S.ASSIGNED}, S.IN_PROGRESS, P.FEEDBACK_HANDLE, _l("Start handling")),
    _t("pause", {S.IN_PROGRESS}, S.WAITING, P.FEEDBACK_HANDLE,
       _l("Wait for the sender"), needs_reason=True, public=True),
    _t("resume", {S.WAITING}, S.IN_PROGRESS, P.FEEDBACK_HANDLE, _l("Resume")),
    _t("extend", {S.ASSIGNED, S.IN_PROGRESS, S.WAITING}, None, P.FEEDBACK_HANDLE,
       _l("Extend the deadline"), needs_reason=True, public=True),
    _t("submit_answer", {S.IN_PROGRESS}, S.ANSWER_DRAFTED, P.FEEDBACK_HANDLE,
       _l("Submit the answer for approval")),
    _t("return_answer", {S.ANSWER_DRAFTED}, S.IN_PROGRESS, P.FEEDBACK_APPROVE,
       _l("Return the draft"), needs_reason=True),
    _t("approve", {S.ANSWER_DRAFTED}, S.APPROVED, P.FEEDBACK_APPROVE, _l("Approve")),
    _t("send_answer", {S.APPROVED}, S.ANSWERED, P.FEEDBACK_APPROVE,
       _l("Send the answer to the sender"), public=True),
    _t("publish", {S.ANSWERED}, S.PUBLISHED, P.FEEDBACK_APPROVE, _l("Publish")),
    # From "closed" too: closing a published case keeps its public page, which must stay
    # withdrawable (the state then stays "closed").
    _t("unpublish", {S.PUBLISHED, S.CLOSED}, None, P.FEEDBACK_APPROVE,
       _l("Withdraw publication"), needs_reason=True),
    _t("close", {S.ANSWERED, S.PUBLISHED, S.NOT_ACCEPTED, S.TRANSFERRED}, S.CLOSED,
       P.FEEDBACK_TRIAGE, _l("Close")),
    _t("reopen", {S.CLOSED, *TERMINAL_ANSWERED}, None, P.FEEDBACK_TRIAGE, _l("Reopen"),
       needs_reason=True, public=True),
    _t("merge", MERGEABLE, S.MERGED, P.FEEDBACK_TRIAGE, _l("Merge into another case"),
       needs_reason=True, public=True),
    _t("unmerge", {S.MERGED}, S.REGISTERED, P.FEEDBACK_TRIAGE, _l("Separate from the master"),
       needs_reason=True),
)}

# One home for which states count as open: the KPI module, which cannot import this package.
OPEN_STATES = frozenset(CaseState(value) for value in pakn_kpis.OPEN_STATES)
# The states in which the handling unit has work to do.
HANDLING_STATES = frozenset({S.ASSIGNED, S.IN_PROGRESS, S.WAITING, S.ANSWER_DRAFTED,
                             S.APPROVED})
MAX_EXTENSION_DAYS = 30


@dataclass
class TransitionInput:
    reason: str | None = None
    classification: str | None = None
    handling_unit: Unit | None = None
    transferred_to: str | None = None
    master: FeedbackCase | None = None
    extension_days: int | None = None
    letter_number: str | None = None
    signer_title: str | None = None


class TransitionRefused(ServiceError):
    status = 409


# Called after every transition with (case, event), in the same transaction: notifications
# register here (feedback.notifications), so the workflow does not import them.
TRANSITION_HOOKS: list[Callable[[FeedbackCase, FeedbackEvent], None]] = []


def _label(actor: Actor | None) -> str | None:
    if isinstance(actor, User):
        return actor.full_name or actor.username
    if actor is None:
        return None
    return getattr(actor, "name", None)


def available_transitions(case: FeedbackCase, actor: Actor | None) -> list[Transition]:
    state = CaseState(case.state)
    return [t for t in TRANSITIONS.values()
            if state in t.sources and can_on_case(actor, t.permission, case)
            and not (t.action == "extend" and case.extended)
            and not (t.action == "unpublish" and state is S.CLOSED
                     and not _has_published_answer(case))]


def _has_published_answer(case: FeedbackCase) -> bool:
    publication = _publication(case)
    return publication is not None and publication.status == "published"


def current_answer(case: FeedbackCase) -> FeedbackAnswer | None:
    """The answer being worked on or sent (returned drafts are history)."""
    return db.session.execute(
        select(FeedbackAnswer).where(FeedbackAnswer.case_id == case.id,
                                     FeedbackAnswer.status != AnswerStatus.RETURNED.value)
        .order_by(FeedbackAnswer.id.desc()).limit(1)).scalar_one_or_none()


def add_event(case: FeedbackCase, actor: Actor | None, action: str, *,
              from_state: str | None = None, to_state: str | None = None,
              reason: str | None = None, data: dict | None = None,
              public: bool = False) -> FeedbackEvent:
    event = FeedbackEvent(
        case_id=case.id, at=now(), actor_id=actor.id if isinstance(actor, User) else None,
        actor_label=_label(actor), action=action, from_state=from_state, to_state=to_state,
        reason=reason, data=json_safe(data) if data is not None else None, public=public)
    db.session.add(event)
    return event


def add_note(case: FeedbackCase, actor: Actor, text: str) -> FeedbackEvent:
    """An internal note on the timeline, never shown to the sender."""
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("Write the note first."), status=400, field="note")
    if not can_on_case(actor, P.FEEDBACK_VIEW, case):
        raise ServiceError(_("You cannot add notes to this case."), status=403)
    return add_event(case, actor, "note", reason=text)


def take_register_number(case: FeedbackCase) -> None:
    """The next number of the agency's register for the year, with one conditional UPDATE
    (and an INSERT for the year's first case), so concurrent registrations never collide."""
    if case.register_seq is not None:
        return
    year = local(now()).year
    for _attempt in range(3):
        row = db.session.execute(
            update(RegisterCounter)
            .where(RegisterCounter.agency_id == case.agency_id, RegisterCounter.year == year)
            .values(last_seq=RegisterCounter.last_seq + 1)
            .returning(RegisterCounter.last_seq)).first()
        if row is not None:
            case.register_year, case.register_seq = year, row[0]
            return
        try:
            with db.session.begin_nested():
                db.session.add(RegisterCounter(agency_id=case.agency_id, year=year, last_seq=0))
        except Exception:  # another registration created the year's counter first
            continue
    raise ServiceError(_("The register is busy; try again."), status=503)


def transition_case(case: FeedbackCase, action: str, actor: Actor | None,
                    data: TransitionInput | None = None) -> FeedbackEvent:
    """Apply ``action`` to ``case`` as ``actor`` (None: the system, e.g. a job). Flushes;
    the caller commits."""
    data = data or TransitionInput()
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise TransitionRefused(_("Unknown action."), status=400)
    # Lock the row (PostgreSQL) and read its state afresh: two officers acting on the same
    # case at once are serialised, and the second sees the first one's state.
    db.session.refresh(case, with_for_update=True)
    state = CaseState(case.state)
    if actor is not None and not can_on_case(actor, transition.permission, case):
        record_audit_now("access.denied", object_type="feedback_case", object_id=case.id,
                         unit_id=case.agency_id, reason=transition.permission.value)
        raise ServiceError(_("You may not do this on this case."), status=403)
    if state not in transition.sources:
        raise TransitionRefused(
            _("This cannot be done now: the case is \u201c%(state)s\u201d.",
              state=state_label(state)))
    reason = (data.reason or "").strip() or None
    if transition.needs_reason and not reason:
        raise ServiceError(_("Give a reason."), status=400, field="reason")
    details = _APPLY[action](case, data, actor) or {}
    target = transition.target or CaseState(case.state)
    if transition.target is not None:
        case.state = target.value
    deadlines.refresh_due(case)
    event = add_event(case, actor, action, from_state=state.value, to_state=target.value,
                      reason=reason, data=details or None, public=transition.public)
    record_audit(f"feedback.{action}", object_type="feedback_case", object_id=case.id,
                 unit_id=case.agency_id, before={"state": state.value},
                 after={"state": target.value, **details}, reason=reason)
    db.session.flush()
    for hook in TRANSITION_HOOKS:
        hook(case, event)
    return event


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
                                      signer_title=answer.signer_title))
    return {"answer_id": answer.id if answer else None}


def _approve(case, data, actor):
    answer = current_answer(case)
    if answer is None or answer.status != AnswerStatus.SUBMITTED.value:
        raise TransitionRefused(_("There is no submitted answer to approve."))
    people = four_eyes.check_answer_approver(case, answer, actor)
    answer.status = AnswerStatus.APPROVED.value
    answer.approved_by_id = actor.id if isinstance(actor, User) else None
    answer.approved_at = now()
    if data.letter_number:
        answer.letter_number = data.letter_number.strip()[:60]
    if data.signer_title:
        answer.signer_title = data.signer_title.strip()[:120]
    return {"answer_id": answer.id, **people}


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
        for hook in TRANSITION_HOOKS:
            hook(child, event)


def _answer_merged_children(master: FeedbackCase, actor: Actor | None,
                            moment: datetime) -> None:
    """Children of a merged group are answered once, with the master's answer."""
    _children_follow(master, actor, "send_answer", S.ANSWERED, answered_at=moment,
                     last_contact_at=moment)


def _publication(case: FeedbackCase) -> Publication | None:
    return db.session.execute(
        select(Publication).where(Publication.case_id == case.id)).scalar_one_or_none()


def _publish(case, data, actor):
    publication = _publication(case)
    if publication is None or publication.status not in ("draft", "withdrawn"):
        raise TransitionRefused(_("Prepare and review the public text before publishing."))
    people = four_eyes.check_publication_approver(case, publication, actor)
    publication.status = "published"
    publication.approved_by_id = actor.id if isinstance(actor, User) else None
    publication.published_at = now()
    publication.withdrawn_at = None
    # The removed text was only kept for the reviewer's preview.
    publication.redactions = [
        {k: v for k, v in r.items() if k != "text"} for r in (publication.redactions or [])]
    return {"publication_id": publication.id, **people}


def _unpublish(case, data, actor):
    publication = _publication(case)
    if publication is None or publication.status != "published":
        raise TransitionRefused(_("This case has no published answer to withdraw."))
    publication.status = "withdrawn"
    publication.withdrawn_at = now()
    if case.state == S.PUBLISHED.value:
        case.state = S.ANSWERED.value
    return {"publication_id": publication.id}


def _close(case, data, actor):
    case.closed_at = now()
    return None


def _reopen(case, data, actor):
    with_unit = case.handling_unit_id is not None and case.classification in (
        Classification.CONDUCT.value, Classification.IN_COMPETENCE.value)
    case.state = (S.IN_PROGRESS if with_unit else S.REGISTERED).value
    case.closed_at = None
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


_APPLY: dict[str, Callable[[FeedbackCase, TransitionInput, Actor | None], dict | None]] = {
    "register": _register, "reject": _reject, "transfer": _transfer, "assign": _assign,
    "reassign": _reassign, "return_to_triage": _return_to_triage, "start": _nothing,
    "pause": _pause, "resume": _resume, "extend": _extend, "submit_answer": _submit_answer,
    "return_answer": _return_answer, "approve": _approve, "send_answer": _send_answer,
    "publish": _publish, "unpublish": _unpublish, "close": _close, "reopen": _reopen,
    "merge": _merge, "unmerge": _unmerge,
}

STATE_LABELS = {
    S.RECEIVED: _l("Received"),
    S.REGISTERED: _l("Registered"),
    S.NOT_ACCEPTED: _l("Not accepted"),
    S.TRANSFERRED: _l("Transferred to another agency"),
    S.ASSIGNED: _l("Assigned to a handling unit"),
    S.IN_PROGRESS: _l("Being handled"),
    S.WAITING: _l("Waiting for the sender"),
    S.ANSWER_DRAFTED: _l("Answer awaiting approval"),
    S.APPROVED: _l("Answer approved"),
    S.ANSWERED: _l("Answered"),
    S.PUBLISHED: _l("Answered and published"),
    S.CLOSED: _l("Closed"),
    S.MERGED: _l("Merged with a related case"),
}


def state_label(state: CaseState | str) -> str:
    return str(STATE_LABELS[CaseState(state)])
