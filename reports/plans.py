"""Improvement plans: drafted from the catalogue for the elements under target, then edited by
an analyst (text, rows added, removed, moved) and printed or exported in the seeds' layout.

Services flush and leave the commit to the caller; every change is audited.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from flask_babel import gettext as _

from core.access import Actor, Permission, can
from core.audit import record_audit
from core.clock import now
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit, User
from reports.models import ImprovementPlan, ImprovementPlanRow
from reports.plan_catalogue import (
    PARTS,
    TEXT_FIELDS,
    TaskData,
    check_task_data,
    element_rank,
    usable_tasks,
)

MAX_TITLE = 500
ROW_FIELDS = ("element", *TEXT_FIELDS)


class Gap(Protocol):
    """What drafting reads from ``reports.indices.ElementGap``."""

    element: str
    index_pct: float | None
    target_pct: float
    n: int


@dataclass
class DraftResult:
    plan: ImprovementPlan
    drafted: list[str] = field(default_factory=list)         # elements with catalogue rows
    without_tasks: list[str] = field(default_factory=list)   # under target, nothing in catalogue
    suppressed: list[str] = field(default_factory=list)      # too few answers: not drafted


def default_title(unit: Unit, period_label: str | None, campaign_name: str | None) -> str:
    """The plan's Vietnamese subject line, worded as the seeds word theirs (it follows
    "KẾ HOẠCH" on the printed plan; the analyst may change it)."""
    when = campaign_name or (f"kỳ {period_label}" if period_label else "")
    title = f"Nâng cao Chỉ số hài lòng của người dân, tổ chức đối với sự phục vụ của {unit.name_vi}"
    return (f"{title} ({when})" if when else title)[:MAX_TITLE]


def _gap_points(gap: Gap) -> float | None:
    # Percent points still missing to reach the target; kept unrounded.
    if gap.index_pct is None or math.isnan(gap.index_pct):
        return None
    return gap.target_pct - gap.index_pct


def draft_plan(unit: Unit, gaps: Sequence[Gap], *, period_label: str | None,
               campaign_id: int | None, actor: Actor, source: str | None = None,
               campaign_name: str | None = None) -> DraftResult:
    """Create a plan for ``unit`` whose rows are the usable catalogue tasks of every element in
    ``gaps`` that is under its target (ordered by element, then catalogue position), each row
    keeping the element's index and gap. An element with no index (suppressed: too few
    answers) is not drafted; one with no catalogue task gets a single blank row to fill in.
    ``source`` limits the shipped tasks to one seed plan. Flushes; audited."""
    if not can(actor, Permission.REPORTS_PUBLISH, unit):
        raise ServiceError(_("You may not write plans for this unit."), status=403)
    result = DraftResult(plan=ImprovementPlan(
        unit_id=unit.id, title_vi=default_title(unit, period_label, campaign_name),
        period_label=period_label, campaign_id=campaign_id,
        created_by_id=actor.id if isinstance(actor, User) else None))
    under: dict[str, Gap] = {}
    for gap in sorted(gaps, key=lambda g: element_rank(g.element)):
        points = _gap_points(gap)
        if points is None:
            result.suppressed.append(gap.element)
        elif points > 0 and gap.element not in under:
            under[gap.element] = gap
    tasks = usable_tasks(unit, elements=list(under), source=source)
    rows: list[ImprovementPlanRow] = []
    for element, gap in under.items():
        mine = [task for task in tasks if task.element == element]
        (result.drafted if mine else result.without_tasks).append(element)
        for task in mine or [None]:
            text = TaskData.from_row(task) if task else TaskData(element=element, task_vi="")
            rows.append(ImprovementPlanRow(position=len(rows) + 1, index_pct=gap.index_pct,
                                           gap_points=_gap_points(gap), **text.__dict__))
    result.plan.rows = rows
    db.session.add(result.plan)
    db.session.flush()
    record_audit("reports.plan.drafted", object_type="improvement_plan",
                 object_id=result.plan.id, unit_id=unit.id,
                 after={"title": result.plan.title_vi, "period": period_label,
                        "campaign_id": campaign_id, "source": source, "rows": len(rows),
                        "elements": list(under), "suppressed": result.suppressed})
    return result


# --- Editing. -------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowEdit:
    row_id: int
    data: TaskData


@dataclass
class PlanEdits:
    """One save of the editor: the title, every row's text, then at most a few structural
    changes (applied in this order: remove, move, add)."""

    title_vi: str | None = None
    rows: list[RowEdit] = field(default_factory=list)
    remove: list[int] = field(default_factory=list)
    move: list[tuple[int, int]] = field(default_factory=list)   # (row id, -1 up / +1 down)
    add: list[TaskData] = field(default_factory=list)


def plan_version(plan: ImprovementPlan) -> str:
    """A fingerprint of the plan's content: the editor sends back the one it showed, so a save
    over someone else's newer edit is refused instead of silently undoing it."""
    state = [plan.title_vi] + [[row.id, row.position, *(getattr(row, f) for f in ROW_FIELDS)]
                               for row in ordered_rows(plan)]
    return hashlib.sha256(json.dumps(state, ensure_ascii=False).encode()).hexdigest()[:16]


def ordered_rows(plan: ImprovementPlan) -> list[ImprovementPlanRow]:
    """Rows as the plan shows them: by element (plan order), then position."""
    return sorted(plan.rows, key=lambda r: (element_rank(r.element), r.position, r.id))


def _renumber(plan: ImprovementPlan) -> None:
    for number, row in enumerate(ordered_rows(plan), start=1):
        row.position = number


def _row_state(row: ImprovementPlanRow) -> dict:
    return {name: getattr(row, name) for name in ROW_FIELDS}


def _gap_of(plan: ImprovementPlan, element: str) -> tuple[float | None, float | None]:
    """The index and gap recorded for ``element`` by the draft, for a row added later."""
    for row in plan.rows:
        if row.element == element and row.index_pct is not None:
            return row.index_pct, row.gap_points
    return None, None


def update_plan_rows(plan: ImprovementPlan, edits: PlanEdits, *, actor: Actor) -> bool:
    """Apply an analyst's edits to ``plan``: the title and row texts, then removals, moves
    within an element and added rows (at the end of their element). Row ids not in the plan
    answer 400. Returns whether anything changed. Flushes; audited with before and after."""
    if not can(actor, Permission.REPORTS_PUBLISH, db.session.get(Unit, plan.unit_id)):
        raise ServiceError(_("You may not change this plan."), status=403)
    rows = {row.id: row for row in plan.rows}
    unknown = ({edit.row_id for edit in edits.rows} | set(edits.remove)
               | {row_id for row_id, _step in edits.move}) - set(rows)
    if unknown:
        raise ServiceError(_("This row is not in the plan."), status=400)
    before = {"title": plan.title_vi, "rows": {i: _row_state(r) for i, r in rows.items()},
              "order": [r.id for r in ordered_rows(plan)]}
    if edits.title_vi is not None:
        title = (edits.title_vi or "").strip()
        if not title or len(title) > MAX_TITLE:
            raise ServiceError(_("Give the plan a title of at most %(max)s characters.",
                                 max=MAX_TITLE), status=400, field="title_vi")
        plan.title_vi = title
    for edit in edits.rows:
        data = check_task_data(edit.data, allow_blank_task=True)
        row = rows[edit.row_id]
        if data.element != row.element:
            # The row now answers another element: it carries that element's gap, if any.
            row.index_pct, row.gap_points = _gap_of(plan, data.element)
        for name, value in data.__dict__.items():
            setattr(row, name, value)
    for row_id in edits.remove:
        plan.rows.remove(rows.pop(row_id))
    _renumber(plan)
    for row_id, step in edits.move:
        _move(plan, rows[row_id], step)
    for data in edits.add:
        data = check_task_data(data, allow_blank_task=True)
        index_pct, gap_points = _gap_of(plan, data.element)
        plan.rows.append(ImprovementPlanRow(position=len(plan.rows) + 10_000, index_pct=index_pct,
                                            gap_points=gap_points, **data.__dict__))
        _renumber(plan)
    after = {"title": plan.title_vi, "rows": {i: _row_state(r) for i, r in rows.items()},
             "order": [r.id for r in ordered_rows(plan)]}
    if after == before and not edits.add and not edits.remove:
        return False
    plan.updated_at = now()
    db.session.flush()
    changed = [i for i in rows if before["rows"].get(i) != after["rows"][i]]
    record_audit("reports.plan.updated", object_type="improvement_plan", object_id=plan.id,
                 unit_id=plan.unit_id,
                 before={"title": before["title"], "order": before["order"],
                         "rows": {i: before["rows"][i] for i in changed + edits.remove}},
                 after={"title": plan.title_vi, "order": [r.id for r in ordered_rows(plan)],
                        "rows": {i: after["rows"][i] for i in changed},
                        "added": [d.__dict__ for d in edits.add]})
    return True


def _move(plan: ImprovementPlan, row: ImprovementPlanRow, step: int) -> None:
    """Swap ``row`` with its neighbour in the same element (rows never leave their element's
    group by moving; change the element to do that)."""
    group = [r for r in ordered_rows(plan) if r.element == row.element]
    index = group.index(row)
    other = index + (1 if step > 0 else -1)
    if 0 <= other < len(group):
        row.position, group[other].position = group[other].position, row.position


def delete_plan(plan: ImprovementPlan, *, actor: Actor) -> None:
    """Delete a plan and its rows. Flushes; audited with the title and row count."""
    if not can(actor, Permission.REPORTS_PUBLISH, db.session.get(Unit, plan.unit_id)):
        raise ServiceError(_("You may not change this plan."), status=403)
    record_audit("reports.plan.deleted", object_type="improvement_plan", object_id=plan.id,
                 unit_id=plan.unit_id, before={"title": plan.title_vi, "rows": len(plan.rows),
                                               "period": plan.period_label})
    db.session.delete(plan)
    db.session.flush()


# --- The plan as the seeds lay it out. ------------------------------------------------------

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


@dataclass
class ElementGroup:
    numeral: str                 # "I", "II" … within its part
    element: str
    index_pct: float | None
    gap_points: float | None
    rows: list[tuple[int, ImprovementPlanRow]]   # (STT within the element, row)


@dataclass
class PartGroup:
    letter: str                  # "A", "B", "C"
    names: tuple[str, str]       # (Vietnamese, English)
    elements: list[ElementGroup]


def plan_layout(plan: ImprovementPlan) -> list[PartGroup]:
    """The plan's rows grouped as in the seeds' Phụ lục II: parts A (policy), B (services)
    and C (other targets), Roman-numbered elements inside each, rows numbered 1… inside each
    element. Parts and elements without rows are left out; letters and numerals count only
    what is shown."""
    by_element: dict[str, list[ImprovementPlanRow]] = {}
    for row in ordered_rows(plan):
        by_element.setdefault(row.element, []).append(row)
    parts: list[PartGroup] = []
    known = {code for _part, _names, codes in PARTS for code in codes}
    extra = tuple(code for code in by_element if code not in known)
    for part, names, codes in PARTS:
        codes = codes + extra if part == "C" else codes
        groups = []
        for code in codes:
            if code not in by_element:
                continue
            rows = by_element[code]
            index_pct, gap_points = next(((r.index_pct, r.gap_points) for r in rows
                                          if r.index_pct is not None), (None, None))
            groups.append(ElementGroup(numeral=ROMAN[len(groups) % len(ROMAN)], element=code,
                                       index_pct=index_pct, gap_points=gap_points,
                                       rows=list(enumerate(rows, start=1))))
        if groups:
            parts.append(PartGroup(letter="ABC"[len(parts)], names=names, elements=groups))
    return parts
