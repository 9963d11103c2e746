"""The workflow's rules: the transition table (which action leads from which states to which,
with what permission and whether it needs a reason), the state groups and their labels."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from analysis import pakn_kpis
from core.access import Permission
from core.exceptions import ServiceError
from core.models import Unit
from feedback.models import (
    CaseState,
    FeedbackCase,
    LegalDocument,
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
    # Done by the system on someone's behalf (the sender's rating), never offered to staff.
    system_only: bool = False


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
    # The sender rated the answer "not solved" within the window (feedback.followups).
    _t("sender_reopen", {S.ANSWERED, S.PUBLISHED, S.CLOSED}, None, P.FEEDBACK_APPROVE,
       _l("Reopened: the sender says the problem is not solved"), needs_reason=True,
       public=True, system_only=True),
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
    # sender_reopen: to ``handling_unit`` (the approver's unit) instead of back to the handler.
    escalate: bool = False
    # approve: the legal basis the approver chooses (feedback.evidence), when not drafted.
    legal_document: LegalDocument | None = None
    legal_article: str | None = None
    # close without an answer: a code of feedback.reasons.CLOSURE_REASONS.
    closure_reason: str | None = None


class TransitionRefused(ServiceError):
    status = 409


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
