"""Working-day deadlines of a case (DOMAIN.md §3–4).

Three steps have a limit: transfer a case outside our competence (5 working days, Decree
20/2008), tell the sender it was accepted or transferred (10 working days, Law on Citizen
Reception) and answer it (an agency's own limit: a setting that needs confirmation). Each limit
is a DeadlineRule narrowed by kind, topic and unit, effective-dated; without a rule the core
settings apply. A suggestion (góp ý) has no legal deadline. Periods follow the Civil Code
(BLDS 2015 art. 147–148) as core.workdays implements them: the day of receipt is not counted,
whatever day it is, so a PAKN received on a Saturday or during Tết counts from the first
working day after it; the period ends at the end of its last working day. The one-stop 15:00
cut-off does not apply to PAKN; an agency may set its own (setting pakn.receipt_cutoff).
"""

from __future__ import annotations

import time as _time
from datetime import date, datetime, time
from enum import StrEnum

from flask import current_app, has_app_context
from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from core.clock import local, now
from core.extensions import db
from core.models import SettingValue, Unit
from core.settings import get_setting
from core.workdays import (
    PAKN_CIVIL_CODE,
    ReceiptRule,
    count_working_days,
    deadline_end,
    pakn_receipt_rule,
    period_end,
)
from feedback.models import CaseState, DeadlineRule, FeedbackCase, Kind


class Step(StrEnum):
    TRANSFER = "transfer"
    ACKNOWLEDGE = "acknowledge"
    ANSWER = "answer"


STEP_SETTINGS = {
    Step.TRANSFER: "pakn.transfer_days",
    Step.ACKNOWLEDGE: "pakn.acknowledge_days",
    Step.ANSWER: "pakn.answer_days",
}

# The deadline shown and sorted on ("due_at") in each state; states not listed have none.
STATE_STEP = {
    CaseState.RECEIVED: Step.TRANSFER,
    CaseState.REGISTERED: Step.TRANSFER,
    CaseState.ASSIGNED: Step.ANSWER,
    CaseState.IN_PROGRESS: Step.ANSWER,
    CaseState.ANSWER_DRAFTED: Step.ANSWER,
    CaseState.APPROVED: Step.ANSWER,
}


def _ancestor_ids(unit: Unit | None) -> list[int]:
    if unit is None:
        return []
    return [int(part) for part in unit.path.strip("/").split("/") if part]


# Every submission needs two or three limits; they change rarely. Cached per app for
# CACHE_SECONDS (what another process changed shows within that time) and dropped at once when
# this process commits a change to a deadline rule or a setting.
CACHE_SECONDS = 60.0
_CACHE_KEY = "langnghe_deadline_days"
_SESSION_FLAG = "deadline_rules_changed"


def deadline_days(step: Step, *, kind: str, topic: str | None, unit: Unit | None,
                  on: date) -> int:
    """Working days allowed for ``step``: the most specific DeadlineRule in force on ``on``
    (a unit rule beats a kind or topic rule; a nearer unit beats a farther one; a later
    effective date beats an earlier one), else the core setting for ``unit``."""
    if db.session.info.get(_SESSION_FLAG):
        # This transaction changed a rule or a setting: read its own, uncommitted, values.
        return _deadline_days(step, kind=kind, topic=topic, unit=unit, on=on)
    cache = current_app.extensions.setdefault(_CACHE_KEY, {})
    key = (step, kind, topic, unit.path if unit is not None else None, on)
    hit = cache.get(key)
    if hit is not None and _time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    days = _deadline_days(step, kind=kind, topic=topic, unit=unit, on=on)
    if len(cache) > 10_000:
        cache.clear()
    cache[key] = (_time.monotonic(), days)
    return days


@event.listens_for(Session, "before_flush")
def _note_rule_changes(session: Session, _context, _instances) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, (DeadlineRule, SettingValue)) for obj in changed):
        session.info[_SESSION_FLAG] = True


@event.listens_for(Session, "after_commit")
def _drop_cache_after_commit(session: Session) -> None:
    if session.info.pop(_SESSION_FLAG, False) and has_app_context():
        current_app.extensions.pop(_CACHE_KEY, None)


@event.listens_for(Session, "after_rollback")
def _forget_changes_after_rollback(session: Session) -> None:
    session.info.pop(_SESSION_FLAG, None)


def _deadline_days(step: Step, *, kind: str, topic: str | None, unit: Unit | None,
                   on: date) -> int:
    ancestors = _ancestor_ids(unit)
    rows = db.session.execute(
        select(DeadlineRule).where(
            DeadlineRule.step == step.value,
            DeadlineRule.effective_from <= on,
            or_(DeadlineRule.kind.is_(None), DeadlineRule.kind == kind),
            or_(DeadlineRule.topic.is_(None), DeadlineRule.topic == topic),
            or_(DeadlineRule.unit_id.is_(None), DeadlineRule.unit_id.in_(ancestors or [-1])),
        )).scalars().all()
    if rows:
        def specificity(rule: DeadlineRule) -> tuple:
            unit_rank = ancestors.index(rule.unit_id) + 1 if rule.unit_id in ancestors else 0
            return (unit_rank, rule.topic is not None, rule.kind is not None,
                    rule.effective_from, rule.id)
        return max(rows, key=specificity).days
    return int(get_setting(STEP_SETTINGS[step], on=on, unit=unit))


RECEIPT_CUTOFF_SETTING = "pakn.receipt_cutoff"
NO_CUTOFF = "none"


def receipt_rule(agency: Unit | None, on: date) -> ReceiptRule:
    """The PAKN receipt rule in force at ``agency`` on ``on``: the Civil Code, with the
    agency's own cut-off hour if it set one (effective-dated, so a past case keeps the rule
    of its day)."""
    value = get_setting(RECEIPT_CUTOFF_SETTING, on=on, unit=agency)
    return pakn_receipt_rule(None if value == NO_CUTOFF else time.fromisoformat(value))


def case_receipt_rule(case: FeedbackCase) -> ReceiptRule:
    """The rule the case's deadlines are counted by: the register's agency on the day of
    receipt (every step counts from the same receipt)."""
    return receipt_rule(case.agency, local(case.received_at).date())


def due_after(start: datetime, days: int, rule: ReceiptRule = PAKN_CIVIL_CODE) -> datetime:
    """The end of the last of ``days`` working days after ``start`` under ``rule``. Moving
    a deadline (pause, extension) counts from the old last day with no cut-off."""
    return deadline_end(period_end(start, days, rule=rule))


def set_initial_deadlines(case: FeedbackCase) -> None:
    """At intake: the transfer and acknowledgement limits run from receipt."""
    if case.kind == Kind.SUGGESTION.value or not case.is_formal:
        case.transfer_due_at = case.acknowledge_due_at = case.answer_due_at = None
        refresh_due(case)
        return
    unit = case.origin_unit or case.agency
    on = local(case.received_at).date()
    rule = case_receipt_rule(case)
    case.transfer_due_at = due_after(case.received_at, deadline_days(
        Step.TRANSFER, kind=case.kind, topic=case.topic, unit=unit, on=on), rule)
    case.acknowledge_due_at = due_after(case.received_at, deadline_days(
        Step.ACKNOWLEDGE, kind=case.kind, topic=case.topic, unit=unit, on=on), rule)
    refresh_due(case)


def set_answer_deadline(case: FeedbackCase) -> None:
    """When a case is first assigned. The answer limit runs from receipt, not from
    assignment, so slow triage or a reassignment never buys the handling unit time; the
    limit itself is the handling unit's (its rules and settings)."""
    if case.kind == Kind.SUGGESTION.value or not case.is_formal:
        case.answer_due_at = None
    elif case.answer_due_at is None:
        case.answer_due_at = due_after(case.received_at, deadline_days(
            Step.ANSWER, kind=case.kind, topic=case.topic,
            unit=case.handling_unit or case.agency, on=local(case.received_at).date()),
            case_receipt_rule(case))
    refresh_due(case)


def restart_answer_deadline(case: FeedbackCase, start: datetime) -> None:
    """A reopened case: a fresh answer period counted from ``start`` as if received then
    (the same rules, settings and calendar as a first answer, for its handling unit)."""
    if case.kind == Kind.SUGGESTION.value or not case.is_formal:
        case.answer_due_at = None
    else:
        on = local(start).date()
        case.answer_due_at = due_after(start, deadline_days(
            Step.ANSWER, kind=case.kind, topic=case.topic,
            unit=case.handling_unit or case.agency, on=on), receipt_rule(case.agency, on))
    refresh_due(case)


def shift_for_pause(case: FeedbackCase, resumed_at: datetime) -> int:
    """After waiting for the sender: the answer limit moves by the working days paused."""
    if case.paused_at is None or case.answer_due_at is None:
        return 0
    paused = count_working_days(case.paused_at, resumed_at)
    if paused:
        case.answer_due_at = due_after(case.answer_due_at, paused)
    return paused


def extend_answer_deadline(case: FeedbackCase, days: int) -> None:
    if case.answer_due_at is not None:
        case.answer_due_at = due_after(case.answer_due_at, days)
    refresh_due(case)


def refresh_due(case: FeedbackCase) -> None:
    step = STATE_STEP.get(CaseState(case.state))
    if step is Step.TRANSFER:
        case.due_at = case.transfer_due_at
    elif step is Step.ANSWER:
        case.due_at = case.answer_due_at
    else:
        case.due_at = None


class Light(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    NONE = "none"


def traffic_light(case: FeedbackCase, *, at: datetime | None = None,
                  amber_working_days: int = 2) -> Light:
    """Red when overdue, amber when due within ``amber_working_days`` working days."""
    if case.due_at is None:
        return Light.NONE
    moment = at or now()
    if moment > case.due_at:
        return Light.RED
    if count_working_days(moment, case.due_at) <= amber_working_days:
        return Light.AMBER
    return Light.GREEN
