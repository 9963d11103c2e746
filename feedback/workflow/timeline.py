"""The case's timeline: its events and internal notes, the current answer, the register
number, and the hooks called with every transition's event (notifications connect here)."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _
from sqlalchemy import select, update

from core.access import Actor
from core.audit import json_safe
from core.clock import local, now
from core.exceptions import ServiceError
from core.extensions import db
from core.models import User
from feedback.case_access import can_on_case
from feedback.models import (
    AnswerStatus,
    FeedbackAnswer,
    FeedbackCase,
    FeedbackEvent,
    RegisterCounter,
)
from feedback.workflow.rules import P

# Called after every transition with (case, event), in the same transaction: notifications
# register here (feedback.notifications), so the workflow does not import them.
TRANSITION_HOOKS: list[Callable[[FeedbackCase, FeedbackEvent], None]] = []


def run_hooks(case: FeedbackCase, event: FeedbackEvent) -> None:
    for hook in TRANSITION_HOOKS:
        hook(case, event)


def _label(actor: Actor | None) -> str | None:
    if isinstance(actor, User):
        return actor.full_name or actor.username
    if actor is None:
        return None
    return getattr(actor, "name", None)


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
