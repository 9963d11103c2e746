"""Deadline rules (feedback.models.DeadlineRule): add effective-dated rules, list those in
force and scheduled, and work out which deadlines would apply to a case. The rules'
fallbacks are core settings (pakn.transfer_days, pakn.acknowledge_days, pakn.answer_days)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import gettext as _
from sqlalchemy import or_, select

from core.access import Actor, Permission, can, can_globally, unit_scope_clause
from core.audit import record_audit
from core.clock import LOCAL_TZ, today
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit, User
from core.settings import LAST_EFFECTIVE_YEAR, SettingDefinition, definition_of, get_setting
from core.workdays import ReceiptRule, dossier_receipt_rule
from feedback.deadlines import STEP_SETTINGS, Step, deadline_days, due_after, receipt_rule
from feedback.models import DeadlineRule, Kind, Topic

MANAGE = Permission.SETTINGS_MANAGE
RULE_KINDS = (Kind.REPORT.value, Kind.RECOMMENDATION.value)  # suggestions have no deadline


@dataclass
class DeadlineRuleData:
    step: str
    days: int | None
    effective_from: date | None
    reason: str
    kind: str | None = None
    topic: str | None = None
    unit: Unit | None = None


def may_manage(actor: Actor | None, unit: Unit | None) -> bool:
    return can_globally(actor, MANAGE) if unit is None else can(actor, MANAGE, unit)


def add_deadline_rule(actor: User, data: DeadlineRuleData) -> DeadlineRule:
    """Schedule a rule from ``effective_from`` (today or later). Flushes."""
    if data.step not in {s.value for s in Step}:
        raise ServiceError(_("Choose a step."), status=400, field="step")
    if data.kind and data.kind not in RULE_KINDS:
        raise ServiceError(_("Choose a kind."), status=400, field="kind")
    if data.topic and data.topic not in {t.value for t in Topic}:
        raise ServiceError(_("Choose a topic."), status=400, field="topic")
    definition = definition_of(STEP_SETTINGS[Step(data.step)])
    low, high = int(definition.minimum or 1), int(definition.maximum or 365)
    if data.days is None or not low <= data.days <= high:
        raise ServiceError(_("Enter a value from %(low)s to %(high)s.", low=low, high=high),
                           status=400, field="days")
    if data.effective_from is None or data.effective_from < today():
        raise ServiceError(_("A new value cannot take effect in the past, which would change "
                             "figures already reported. Choose today or a later date."),
                           status=400, field="effective_from")
    if data.effective_from.year > LAST_EFFECTIVE_YEAR:
        raise ServiceError(_("Choose a date before %(year)d.", year=LAST_EFFECTIVE_YEAR + 1),
                           status=400, field="effective_from")
    reason = (data.reason or "").strip()
    if not reason:
        raise ServiceError(_("Give a reason."), status=400, field="reason")
    if not may_manage(actor, data.unit):
        raise ServiceError(_("You may not set deadlines for this unit."), status=403,
                           field="unit_id")
    rule = DeadlineRule(step=data.step, kind=data.kind or None, topic=data.topic or None,
                        unit_id=data.unit.id if data.unit is not None else None,
                        days=data.days, effective_from=data.effective_from,
                        reason=reason[:2000], created_by_id=actor.id)
    db.session.add(rule)
    db.session.flush()
    record_audit("feedback.deadline_rule_added", object_type="deadline_rule",
                 object_id=rule.id, unit_id=rule.unit_id,
                 after={"step": rule.step, "kind": rule.kind, "topic": rule.topic,
                        "days": rule.days, "effective_from": rule.effective_from},
                 reason=reason)
    return rule


def visible_rules(actor: Actor, on: date | None = None) -> tuple[list[DeadlineRule],
                                                                 list[DeadlineRule]]:
    """(rules in force on ``on``, rules scheduled after it): global rules and those of units
    in the actor's SETTINGS_MANAGE scope. A rule replaced by a later one for the same step,
    kind, topic and unit is history and not listed."""
    on = on or today()
    rows = db.session.execute(
        select(DeadlineRule).outerjoin(Unit, Unit.id == DeadlineRule.unit_id)
        .where(or_(DeadlineRule.unit_id.is_(None), unit_scope_clause(actor, MANAGE)))
        .order_by(DeadlineRule.step, DeadlineRule.effective_from.desc(),
                  DeadlineRule.id.desc())).scalars().all()
    in_force: dict[tuple, DeadlineRule] = {}
    future = []
    for rule in rows:
        if rule.effective_from > on:
            future.append(rule)
            continue
        key = (rule.step, rule.kind, rule.topic, rule.unit_id)
        in_force.setdefault(key, rule)
    future.sort(key=lambda r: (r.effective_from, r.id))
    return sorted(in_force.values(), key=lambda r: (r.step, r.unit_id or 0, r.id)), future


@dataclass
class Fallback:
    step: Step
    definition: SettingDefinition
    value: int


def fallback_settings() -> list[Fallback]:
    return [Fallback(step, definition_of(key), int(get_setting(key)))
            for step, key in STEP_SETTINGS.items()]


@dataclass
class StepDeadline:
    step: Step
    days: int
    due_at: datetime
    rule: ReceiptRule  # how the day of receipt was counted


DEFAULT_RECEIVED_TIME = time(9, 0)


def calculate_deadlines(*, kind: str, topic: str | None, unit: Unit | None,
                        received_on: date, received_time: time | None = None
                        ) -> list[StepDeadline]:
    """The deadlines a case of ``kind`` and ``topic`` about ``unit`` received on
    ``received_on`` at ``received_time`` would get (the answer limit of the handling unit:
    here ``unit``, whose cut-off setting also applies)."""
    received = datetime.combine(received_on, received_time or DEFAULT_RECEIVED_TIME,
                                tzinfo=LOCAL_TZ)
    rule = receipt_rule(unit, received_on)
    result = []
    for step in Step:
        days = deadline_days(step, kind=kind, topic=topic, unit=unit, on=received_on)
        result.append(StepDeadline(step, days, due_after(received, days, rule), rule))
    return result


DOSSIER_CUTOFF_SETTING = "dossier.cutoff_hour"


def receipt_rules(on: date | None = None) -> dict[str, ReceiptRule]:
    """The receipt-day rule of each process in force on ``on`` (global settings): PAKN by
    the Civil Code, dossiers by the one-stop rule."""
    on = on or today()
    hour = int(get_setting(DOSSIER_CUTOFF_SETTING, on=on))
    return {"pakn": receipt_rule(None, on), "dossier": dossier_receipt_rule(time(hour, 0))}
