"""Routing PAKN cases to handling units: ordered rules first, then a suggestion learned from
past routed cases (feedback.routing_model), each with its reason and confidence. The officer
confirms or overrides; ``record_routing_decision`` keeps what was suggested and chosen, and
overrides weigh more when the model is next fitted.

Rules have no agency of their own: a rule serves the agency whose subtree holds its handling
unit, so the rules tried on a case are the active ones whose handling unit is active and
inside the case's agency. Admins see and edit the rules whose handling unit is in their scope
(FEEDBACK_TRIAGE or UNITS_MANAGE).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from analysis.text_similarity import contains_keyword
from core.access import Actor, Permission, unit_scope_clause
from core.audit import record_audit, snapshot
from core.clock import now
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit, User
from feedback.intake import clean_text
from feedback.models import FeedbackCase, Kind, RoutingDecision, RoutingRule, Topic
from feedback.routing_model import case_text, routing_model

RULE_FIELDS = ("name", "position", "topic", "kind", "origin_unit_id", "procedure_code",
               "keywords", "handling_unit_id", "active")
MODEL_SUGGESTIONS = 3
DRY_RUN_CASES = 200
RULE_ADMIN_PERMISSIONS = (Permission.FEEDBACK_TRIAGE, Permission.UNITS_MANAGE)


# --- Matching --------------------------------------------------------------------------------

def keyword_list(keywords: str | None) -> list[str]:
    return [k for k in (part.strip() for part in (keywords or "").split(",")) if k]


def _within(unit: Unit | None, ancestor: Unit) -> bool:
    return unit is not None and unit.path.startswith(ancestor.path)


def matched_conditions(rule: RoutingRule, case: FeedbackCase) -> list[str] | None:
    """The conditions of ``rule`` that ``case`` meets (described for people), or None when
    one of them fails. Unset conditions match anything."""
    met: list[str] = []
    if rule.topic:
        if case.topic != rule.topic:
            return None
        met.append(_("topic"))
    if rule.kind:
        if case.kind != rule.kind:
            return None
        met.append(_("kind"))
    if rule.origin_unit_id is not None:
        origin = rule.origin_unit or db.session.get(Unit, rule.origin_unit_id)
        if origin is None or not (_within(case.origin_unit, origin)
                                  or _within(case.desk, origin)):
            return None
        met.append(_("unit of origin"))
    if rule.procedure_code:
        if (case.procedure_code or "").strip().casefold() != \
                rule.procedure_code.strip().casefold():
            return None
        met.append(_("procedure"))
    words = keyword_list(rule.keywords)
    if words:
        text = f"{case.title or ''}\n{case.content or ''}"
        found = next((w for w in words if contains_keyword(text, w)), None)
        if found is None:
            return None
        met.append(_("keyword \u201c%(keyword)s\u201d", keyword=found))
    return met


def rule_matches(rule: RoutingRule, case: FeedbackCase) -> bool:
    return matched_conditions(rule, case) is not None


def ordered_rules(*where) -> list[RoutingRule]:
    return list(db.session.execute(
        select(RoutingRule).join(Unit, Unit.id == RoutingRule.handling_unit_id).where(*where)
        .order_by(RoutingRule.position, RoutingRule.id)).scalars())


def rules_for_agency(agency: Unit, *, include_inactive: bool = False) -> list[RoutingRule]:
    """The rules tried on the agency's cases, in order."""
    where = [Unit.path.like(agency.path + "%")]
    if not include_inactive:
        where += [RoutingRule.active.is_(True), Unit.active.is_(True)]
    return ordered_rules(*where)


def rules_visible_to(actor: Actor) -> list[RoutingRule]:
    """The rules ``actor`` may manage (handling unit in their scope), in order."""
    return ordered_rules(or_(*[unit_scope_clause(actor, perm, Unit.path)
                               for perm in RULE_ADMIN_PERMISSIONS]))


def first_matching_rule(case: FeedbackCase, rules: Sequence[RoutingRule] | None = None
                        ) -> RoutingRule | None:
    for rule in rules if rules is not None else rules_for_agency(case.agency):
        if rule_matches(rule, case):
            return rule
    return None


# --- Suggestions -----------------------------------------------------------------------------

@dataclass
class RoutingSuggestion:
    unit: Unit
    source: str            # "rule" or "model"
    confidence: float
    reason: str
    rule: RoutingRule | None = None
    # Case ids of the similar past cases (model suggestions), most similar first.
    similar_case_ids: list[int] = field(default_factory=list)

    @property
    def suggested_by(self) -> str:
        return f"rule:{self.rule.id}" if self.rule is not None else "model"


def _rule_suggestion(rule: RoutingRule, number: int, case: FeedbackCase
                     ) -> RoutingSuggestion:
    met = matched_conditions(rule, case) or []
    why = ", ".join(met) if met else _("it matches every case")
    reason = _("Rule %(number)d \u201c%(name)s\u201d: %(conditions)s",
               number=number, name=rule.name, conditions=why)
    return RoutingSuggestion(unit=rule.handling_unit, source="rule", confidence=1.0,
                             reason=reason, rule=rule)


def suggest_handling_units(case: FeedbackCase, limit: int = MODEL_SUGGESTIONS
                           ) -> list[RoutingSuggestion]:
    """The matching rule's unit first, then up to ``limit`` units the model finds in similar
    past cases; only active units inside the case's agency, each unit once."""
    agency = case.agency
    suggestions: list[RoutingSuggestion] = []
    rules = rules_for_agency(agency)
    for number, rule in enumerate(rules, start=1):
        if rule_matches(rule, case):
            suggestions.append(_rule_suggestion(rule, number, case))
            break
    fitted = routing_model(agency.id)
    if fitted is None:
        return suggestions
    votes = fitted.suggest(case_text(case.title, case.content), exclude_case_id=case.id)
    kept = sum(len(v.neighbours) for v in votes)
    seen = {s.unit.id for s in suggestions}
    added = 0
    for vote in votes:
        unit = db.session.get(Unit, vote.label)
        if unit is None or not unit.active or not _within(unit, agency) or unit.id in seen:
            continue
        seen.add(unit.id)
        reason = _("%(n)d of the %(k)d most similar past cases were handled by %(unit)s.",
                   n=len(vote.neighbours), k=kept, unit=unit.name_vi)
        suggestions.append(RoutingSuggestion(
            unit=unit, source="model", confidence=round(float(vote.confidence), 4),
            reason=reason,
            similar_case_ids=[fitted.case_ids[i] for i in vote.neighbours]))
        added += 1
        if added >= limit:
            break
    return suggestions


def record_routing_decision(case: FeedbackCase, chosen_unit: Unit, actor: Actor | None,
                            suggestions: Sequence[RoutingSuggestion]) -> RoutingDecision:
    """Keep what was suggested first and what the officer chose; a different choice is an
    override (training data that weighs double). Flushes; the caller commits."""
    top = suggestions[0] if suggestions else None
    decision = RoutingDecision(
        case_id=case.id, suggested_unit_id=top.unit.id if top else None,
        suggested_by=top.suggested_by if top else None,
        confidence=top.confidence if top else None, chosen_unit_id=chosen_unit.id,
        overridden=top is not None and top.unit.id != chosen_unit.id,
        decided_by_id=actor.id if isinstance(actor, User) else None, decided_at=now())
    db.session.add(decision)
    db.session.flush()
    return decision


# --- Rule administration ---------------------------------------------------------------------

@dataclass
class RuleData:
    name: str
    handling_unit_id: int
    topic: str | None = None
    kind: str | None = None
    origin_unit_id: int | None = None
    procedure_code: str | None = None
    # Comma-separated, or a list.
    keywords: str | Sequence[str] | None = None
    active: bool = True


def _clean(data: RuleData) -> dict:
    name = clean_text(data.name)
    if not name:
        raise ServiceError(_("Give the rule a name."), status=400, field="name")
    if len(name) > 200:
        raise ServiceError(_("The name is too long (at most %(n)d characters).", n=200),
                           status=400, field="name")
    unit = db.session.get(Unit, data.handling_unit_id) if data.handling_unit_id else None
    if unit is None or not unit.active:
        raise ServiceError(_("Choose an active handling unit."), status=400,
                           field="handling_unit_id")
    if data.origin_unit_id and db.session.get(Unit, data.origin_unit_id) is None:
        raise ServiceError(_("The unit of origin does not exist."), status=400,
                           field="origin_unit_id")
    if data.topic and data.topic not in {t.value for t in Topic}:
        raise ServiceError(_("Choose a topic."), status=400, field="topic")
    if data.kind and data.kind not in {k.value for k in Kind}:
        raise ServiceError(_("Choose a kind."), status=400, field="kind")
    raw = data.keywords if isinstance(data.keywords, str) else ",".join(data.keywords or [])
    words: list[str] = []
    for word in keyword_list(clean_text(raw)):
        word = " ".join(word.split())
        if len(word) > 100:
            raise ServiceError(_("A keyword is too long (at most %(n)d characters).", n=100),
                               status=400, field="keywords")
        if word.casefold() not in {w.casefold() for w in words}:
            words.append(word)
    procedure = clean_text(data.procedure_code)
    if len(procedure) > 64:
        raise ServiceError(_("The procedure code is too long (at most %(n)d characters).",
                             n=64), status=400, field="procedure_code")
    return {"name": name, "handling_unit_id": unit.id, "topic": data.topic or None,
            "kind": data.kind or None, "origin_unit_id": data.origin_unit_id or None,
            "procedure_code": procedure or None, "keywords": ", ".join(words) or None,
            "active": bool(data.active)}


def _audit(action: str, rule: RoutingRule, before: dict | None = None,
           after: dict | None = None) -> None:
    record_audit(f"feedback_routing_rule.{action}", object_type="feedback_routing_rule",
                 object_id=rule.id, unit_id=rule.handling_unit_id, before=before, after=after)


def create_rule(data: RuleData) -> RoutingRule:
    """Add a rule at the end of the order. Flushes; the caller commits."""
    values = _clean(data)
    last = db.session.execute(select(func.max(RoutingRule.position))).scalar() or 0
    rule = RoutingRule(position=last + 1, **values)
    db.session.add(rule)
    db.session.flush()
    _audit("created", rule, after=snapshot(rule, RULE_FIELDS))
    return rule


def update_rule(rule: RoutingRule, data: RuleData) -> RoutingRule:
    before = snapshot(rule, RULE_FIELDS)
    for name, value in _clean(data).items():
        setattr(rule, name, value)
    rule.updated_at = now()
    db.session.flush()
    db.session.refresh(rule, ["handling_unit", "origin_unit"])
    _audit("updated", rule, before=before, after=snapshot(rule, RULE_FIELDS))
    return rule


def set_rule_active(rule: RoutingRule, active: bool) -> RoutingRule:
    if rule.active != active:
        rule.active = active
        db.session.flush()
        _audit("activated" if active else "deactivated", rule, before={"active": not active},
               after={"active": active})
    return rule


def delete_rule(rule: RoutingRule) -> None:
    _audit("deleted", rule, before=snapshot(rule, RULE_FIELDS))
    db.session.delete(rule)
    db.session.flush()


def move_rule(rule: RoutingRule, direction: str,
              among: Sequence[RoutingRule] | None = None) -> bool:
    """Swap ``rule`` with its neighbour ("up" or "down") in ``among`` (the rules the admin
    sees; default: all rules). Positions are renumbered 1…n first so ties cannot stall a
    move. Returns False when the rule is already first or last."""
    if direction not in ("up", "down"):
        raise ServiceError(_("Unknown direction."), status=400)
    everything = ordered_rules()
    for number, each in enumerate(everything, start=1):
        each.position = number
    shown = [r for r in (among if among is not None else everything)]
    shown.sort(key=lambda r: r.position)
    index = next((i for i, r in enumerate(shown) if r.id == rule.id), None)
    if index is None:
        raise ServiceError(_("This rule is not in the list."), status=404)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(shown):
        db.session.flush()
        return False
    neighbour = shown[other]
    before = rule.position
    rule.position, neighbour.position = neighbour.position, rule.position
    db.session.flush()
    _audit("moved", rule, before={"position": before}, after={"position": rule.position})
    return True


# --- Dry run ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class DryRunRow:
    case: FeedbackCase
    rule: RoutingRule | None
    rule_unit: Unit | None
    actual_unit: Unit | None
    agree: bool | None          # None: no rule matched


@dataclass(frozen=True)
class DryRunSummary:
    cases: int
    matched: int
    agreed: int

    @property
    def coverage(self) -> float | None:
        return self.matched / self.cases if self.cases else None

    @property
    def agreement(self) -> float | None:
        """Share of the matched cases where the rule names the unit that handled them."""
        return self.agreed / self.matched if self.matched else None


def recent_routed_cases(agency: Unit, limit: int = DRY_RUN_CASES) -> list[FeedbackCase]:
    return list(db.session.execute(
        select(FeedbackCase).where(FeedbackCase.agency_id == agency.id,
                                   FeedbackCase.handling_unit_id.is_not(None))
        .order_by(FeedbackCase.id.desc()).limit(limit)).scalars())


def dry_run_rules(rules: Sequence[RoutingRule], cases: Sequence[FeedbackCase]
                  ) -> list[DryRunRow]:
    """Which rule would route each case, and does it name the unit that handled it?"""
    rows = []
    for case in cases:
        rule = first_matching_rule(case, rules)
        unit = rule.handling_unit if rule is not None else None
        agree = None if rule is None else rule.handling_unit_id == case.handling_unit_id
        rows.append(DryRunRow(case=case, rule=rule, rule_unit=unit,
                              actual_unit=case.handling_unit, agree=agree))
    return rows


def dry_run_summary(rows: Sequence[DryRunRow]) -> DryRunSummary:
    return DryRunSummary(cases=len(rows), matched=sum(r.rule is not None for r in rows),
                         agreed=sum(bool(r.agree) for r in rows))
