"""The improvement-task catalogue (Phụ lục II of the agencies' plans): tasks per SIPAS element
that a plan is drafted from.

Two kinds of rows share ``report_improvement_tasks``: the *shipped* tasks (``owner_unit_id``
NULL), loaded from ``reports/data/improvement_tasks.json`` and read-only in the product, and an
agency's *own* tasks, written on the catalogue page (often copied from a shipped one and then
adapted). ``load_shipped_catalogue`` only ever touches shipped rows.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, fields
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from core.access import Actor, Permission, can
from core.audit import record_audit, snapshot
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit
from reports.models import ImprovementTask
from surveys.instrument_rules import ELEMENTS

SHIPPED_CATALOGUE = Path(__file__).parent / "data" / "improvement_tasks.json"
CATALOGUE_FORMAT = 1

# Plan order: the policy elements (part A of the seeds' tables), the service elements (part
# B), then the targets that are not SIPAS elements.
ELEMENT_ORDER: tuple[str, ...] = (
    "I.A", "I.B", "I.C", "I.D", "II.A", "II.B", "II.C", "II.D", "II.E",
    "dossier", "pakn", "general")
# (Vietnamese, English) names: the SIPAS elements under their QĐ 1001 names (one home:
# surveys.instrument_rules.ELEMENTS), then the plan targets that are not SIPAS elements.
ELEMENT_NAMES: dict[str, tuple[str, str]] = {
    **ELEMENTS,
    "dossier": ("Kết quả giải quyết hồ sơ thủ tục hành chính", "Dossier handling indicators"),
    "pakn": ("Chỉ tiêu tiếp nhận, xử lý phản ánh, kiến nghị", "PAKN handling indicators"),
    "general": ("Nhiệm vụ chung về cải cách hành chính", "General administrative-reform tasks"),
}
PARTS: tuple[tuple[str, tuple[str, str], tuple[str, ...]], ...] = (
    ("A", ("Nâng cao chất lượng xây dựng, tổ chức thực hiện chính sách",
           "Making and carrying out policy"), ("I.A", "I.B", "I.C", "I.D")),
    ("B", ("Cung ứng dịch vụ hành chính công", "Public administrative services"),
     ("II.A", "II.B", "II.C", "II.D", "II.E")),
    ("C", ("Các nhiệm vụ khác", "Other tasks"), ("dossier", "pakn", "general")),
)

# Column sizes of report_improvement_tasks (and of the plan rows, which have the same).
MAX_LENGTHS = {"task_vi": 5000, "lead_vi": 500, "cooperating_vi": 1000, "deadline_vi": 255,
               "expected_result_vi": 5000}
MAX_SOURCE = 255


def element_name(code: str, locale: str = "vi") -> str:
    """The element's name in ``locale`` ("vi" or "en"); an unknown code is shown as is."""
    names = ELEMENT_NAMES.get(code)
    if names is None:
        return code
    return names[1] if locale == "en" else names[0]


def element_rank(code: str) -> int:
    return ELEMENT_ORDER.index(code) if code in ELEMENT_ORDER else len(ELEMENT_ORDER)


@dataclass(frozen=True)
class TaskData:
    """The editable text of a task (catalogue or plan row); blanks are None."""

    element: str
    task_vi: str
    lead_vi: str | None = None
    cooperating_vi: str | None = None
    deadline_vi: str | None = None
    expected_result_vi: str | None = None

    @classmethod
    def from_row(cls, row: object) -> TaskData:
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


TEXT_FIELDS = ("task_vi", "lead_vi", "cooperating_vi", "deadline_vi", "expected_result_vi")
TASK_FIELDS = ("element", *TEXT_FIELDS, "active")


def clean_task_text(value: str | None) -> str | None:
    """NFC, trimmed, Windows line ends folded; empty becomes None."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").strip())
    return text or None


def check_task_data(data: TaskData, *, allow_blank_task: bool = False) -> TaskData:
    """Cleaned ``data``, or ServiceError (400, naming the field) for an unknown element, a
    missing task or a text longer than its column."""
    if data.element not in ELEMENT_ORDER:
        raise ServiceError(_("Unknown element %(code)s.", code=data.element), status=400,
                           field="element")
    cleaned = {name: clean_task_text(getattr(data, name)) for name in TEXT_FIELDS}
    if not cleaned["task_vi"] and not allow_blank_task:
        raise ServiceError(_("Write the task."), status=400, field="task_vi")
    for name, limit in MAX_LENGTHS.items():
        if len(cleaned[name] or "") > limit:
            raise ServiceError(_("At most %(max)s characters.", max=limit), status=400,
                               field=name)
    return TaskData(element=data.element, **{**cleaned, "task_vi": cleaned["task_vi"] or ""})


# --- The shipped catalogue. -----------------------------------------------------------------

@dataclass(frozen=True)
class ShippedTask:
    source: str
    position: int
    data: TaskData


@dataclass
class CatalogueReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0


def read_catalogue_file(path: Path = SHIPPED_CATALOGUE) -> list[ShippedTask]:
    """The tasks of a catalogue file in file order, ``position`` counting from 1 over the whole
    file. Raises ValueError naming the source and task of anything malformed."""
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or document.get("format") != CATALOGUE_FORMAT:
        raise ValueError(f"{path.name}: format must be {CATALOGUE_FORMAT}")
    tasks: list[ShippedTask] = []
    names: set[str] = set()
    for source in document.get("sources") or []:
        name = unicodedata.normalize("NFC", str(source.get("name") or "").strip())
        if not name or len(name) > MAX_SOURCE or name in names:
            raise ValueError(f"{path.name}: source name {name!r} is empty, too long or repeated")
        names.add(name)
        for number, entry in enumerate(source.get("tasks") or [], start=1):
            where = f"{path.name}: {name}, task {number} ({entry.get('ref', '?')})"
            try:
                data = check_task_data(TaskData(
                    element=entry.get("element"),
                    **{key: entry.get(key) for key in TEXT_FIELDS}))
            except ServiceError as error:
                raise ValueError(f"{where}: {error.field}: {error.message}") from error
            tasks.append(ShippedTask(source=name, position=len(tasks) + 1, data=data))
    return tasks


def load_shipped_catalogue(path: Path = SHIPPED_CATALOGUE) -> CatalogueReport:
    """Create or update the shipped tasks from ``path``; idempotent. A shipped task is known by
    its source and its position in the file; one no longer in the file is made inactive (plans
    keep their own copy of the text). Agency tasks are never read or written. Flushes."""
    wanted = read_catalogue_file(path)
    existing = {(task.source, task.position): task for task in db.session.scalars(
        select(ImprovementTask).where(ImprovementTask.owner_unit_id.is_(None)))}
    report = CatalogueReport()
    for item in wanted:
        values = {**item.data.__dict__, "active": True}
        task = existing.pop((item.source, item.position), None)
        if task is None:
            db.session.add(ImprovementTask(source=item.source, position=item.position,
                                           owner_unit_id=None, **values))
            report.created += 1
        elif all(getattr(task, key) == value for key, value in values.items()):
            report.unchanged += 1
        else:
            for key, value in values.items():
                setattr(task, key, value)
            report.updated += 1
    for task in existing.values():
        if task.active:
            task.active = False
            report.retired += 1
    db.session.flush()
    return report


# --- An agency's own tasks. -----------------------------------------------------------------

def can_edit_task(actor: Actor | None, task: ImprovementTask) -> bool:
    """Shipped tasks are read-only; an agency task is edited by whoever publishes reports
    for its unit."""
    return task.owner_unit_id is not None and can(
        actor, Permission.REPORTS_PUBLISH, db.session.get(Unit, task.owner_unit_id))


def create_task(owner: Unit, data: TaskData, actor: Actor, *,
                active: bool = True) -> ImprovementTask:
    """Add an agency task at the end of ``owner``'s tasks. Flushes; audited."""
    if not can(actor, Permission.REPORTS_PUBLISH, owner):
        raise ServiceError(_("You may not change this unit's catalogue."), status=403)
    data = check_task_data(data)
    last = db.session.scalar(select(db.func.max(ImprovementTask.position)).where(
        ImprovementTask.owner_unit_id == owner.id)) or 0
    task = ImprovementTask(owner_unit_id=owner.id, position=last + 1, active=active,
                           source=owner.name_vi[:MAX_SOURCE], **data.__dict__)
    db.session.add(task)
    db.session.flush()
    record_audit("reports.task.created", object_type="improvement_task", object_id=task.id,
                 unit_id=owner.id, after=snapshot(task, TASK_FIELDS))
    return task


def update_task(task: ImprovementTask, data: TaskData, actor: Actor, *,
                active: bool = True) -> ImprovementTask:
    """Change an agency task's text or (de)activate it. Flushes; audited."""
    if task.owner_unit_id is None:
        raise ServiceError(_("Shipped tasks cannot be changed: copy the task into your "
                             "unit's catalogue and change the copy."), status=409)
    if not can_edit_task(actor, task):
        raise ServiceError(_("You may not change this unit's catalogue."), status=403)
    data = check_task_data(data)
    before = snapshot(task, TASK_FIELDS)
    for key, value in data.__dict__.items():
        setattr(task, key, value)
    task.active = active
    after = snapshot(task, TASK_FIELDS)
    if after != before:
        db.session.flush()
        record_audit("reports.task.updated", object_type="improvement_task",
                     object_id=task.id, unit_id=task.owner_unit_id,
                     before={k: v for k, v in before.items() if after[k] != v},
                     after={k: v for k, v in after.items() if before[k] != v})
    return task


def usable_tasks(unit: Unit, *, elements: list[str] | None = None,
                 source: str | None = None) -> list[ImprovementTask]:
    """Active tasks a plan for ``unit`` may use: the shipped ones (only those of ``source``
    when given) and the own tasks of ``unit`` and of the units above it, ordered by element,
    then shipped before own, then catalogue position."""
    owned = ImprovementTask.owner_unit_id.in_(unit.ancestor_ids())
    shipped = ImprovementTask.owner_unit_id.is_(None)
    if source is not None:
        shipped = shipped & (ImprovementTask.source == source)
    stmt = select(ImprovementTask).where(ImprovementTask.active.is_(True), owned | shipped)
    if elements is not None:
        stmt = stmt.where(ImprovementTask.element.in_(elements))
    tasks = db.session.scalars(stmt).all()
    return sorted(tasks, key=lambda t: (element_rank(t.element), t.owner_unit_id is not None,
                                        t.position, t.id))


def shipped_sources() -> list[str]:
    """Names of the shipped plans, in catalogue order."""
    rows = db.session.execute(
        select(ImprovementTask.source, db.func.min(ImprovementTask.position))
        .where(ImprovementTask.owner_unit_id.is_(None), ImprovementTask.active.is_(True))
        .group_by(ImprovementTask.source)).all()
    return [name for name, _first in sorted(rows, key=lambda row: row[1]) if name]
