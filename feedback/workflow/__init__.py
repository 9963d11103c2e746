"""The PAKN workflow: every change of a case's state goes through ``transition_case``.

The table TRANSITIONS says, for each action, the states it may start from, the state it leads
to, the permission it needs (checked on the case's agency or handling unit) and whether it
needs a reason. A transition not allowed from the current state raises TransitionRefused
(409); one the actor may not do raises a 403 ServiceError and is logged. Each transition adds
a timeline event and an audit entry in the same transaction, recomputes the deadline shown
in queues, and calls the hooks (notifications) so that the outbox row is written with it.
"""

from __future__ import annotations

from flask_babel import gettext as _

from core.access import Actor
from core.audit import record_audit, record_audit_now
from core.exceptions import ServiceError
from core.extensions import db
from feedback import deadlines
from feedback.case_access import can_on_case
from feedback.models import CaseState, FeedbackCase, FeedbackEvent
from feedback.workflow.actions import APPLY, publication_of
from feedback.workflow.rules import (
    HANDLING_STATES,
    MAX_EXTENSION_DAYS,
    OPEN_STATES,
    STATE_LABELS,
    TRANSITIONS,
    S,
    Transition,
    TransitionInput,
    TransitionRefused,
    state_label,
)
from feedback.workflow.timeline import (
    TRANSITION_HOOKS,
    add_event,
    add_note,
    current_answer,
    run_hooks,
    take_register_number,
)

__all__ = [
    "APPLY", "HANDLING_STATES", "MAX_EXTENSION_DAYS", "OPEN_STATES", "STATE_LABELS",
    "TRANSITIONS", "TRANSITION_HOOKS", "Transition", "TransitionInput", "TransitionRefused",
    "add_event", "add_note", "available_transitions", "current_answer", "state_label",
    "take_register_number", "transition_case",
]


def available_transitions(case: FeedbackCase, actor: Actor | None) -> list[Transition]:
    state = CaseState(case.state)
    return [t for t in TRANSITIONS.values()
            if state in t.sources and not t.system_only
            and can_on_case(actor, t.permission, case)
            and not (t.action == "extend" and case.extended)
            and not (t.action == "unpublish" and state is S.CLOSED
                     and not _has_published_answer(case))]


def _has_published_answer(case: FeedbackCase) -> bool:
    publication = publication_of(case)
    return publication is not None and publication.status == "published"



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
    if actor is not None and (transition.system_only
                              or not can_on_case(actor, transition.permission, case)):
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
    details = APPLY[action](case, data, actor) or {}
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
    run_hooks(case, event)
    return event
