"""Import organisation units from a spreadsheet: check every row first, then apply all or nothing.

The file is a CSV (UTF-8) or XLSX whose first non-blank row names the columns (core.unit_format
describes headers, kinds and values). ``code`` identifies a unit: an existing code is updated
through ``core.org.update_unit`` (so moves get the same checks as the form), a new one is
created. An empty cell keeps the current value (or the default for a new unit): an import never
erases data and never moves a unit to the top level. ``parent_code`` names an existing unit or
another row of the file, in any order. Deactivating a unit deactivates its sub-units, as on the
tree page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from openpyxl.utils import get_column_letter

from core.access import Actor, Permission, can, can_globally
from core.audit import record_audit
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit
from core.org import UnitData, create_unit, set_unit_active, update_unit
from core.spreadsheets import RowError, Table, UpsertReport, clean_cell, read_table
from core.text import fold
from core.unit_format import COLUMN_ALIASES, DATA_FIELDS, TEMPLATE_HEADERS, parse_cell

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5_000


ImportReport = UpsertReport  # the unit import's report (name kept for its callers)


@dataclass
class _Row:
    number: int
    values: dict[str, Any] = field(default_factory=dict)
    unit: Unit | None = None  # the existing unit, or the one created by the import
    exists: bool = False
    edit: bool = True  # details or parent differ (an update_unit call)
    changed: bool = True  # edit, or the active flag differs

    @property
    def code(self) -> str | None:
        return self.values.get("code")


def import_units(content: bytes, filename: str, *, actor: Actor, dry_run: bool,
                 max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS) -> ImportReport:
    """Check ``content`` and, when every row is fine and not ``dry_run``, apply it in a
    savepoint. Raises ``SpreadsheetError`` (400/413) for a file that cannot be read at all."""
    table = read_table(content, filename, max_bytes=max_bytes, max_rows=max_rows)
    report = ImportReport(rows=len(table.rows), dry_run=dry_run,
                          sha256=hashlib.sha256(content).hexdigest())
    importer = _Importer(actor, table, report)
    if not importer.check():
        report.errors.sort(key=lambda error: error.row)
        return report
    rows = importer.plan()
    report.created = sum(not row.exists for row in rows)
    report.updated = sum(row.exists and row.changed for row in rows)
    report.unchanged = sum(row.exists and not row.changed for row in rows)
    if not dry_run:
        importer.apply(rows, filename)
    return report


class _Importer:
    def __init__(self, actor: Actor, table: Table, report: ImportReport):
        self.actor, self.table, self.report = actor, table, report
        self.columns: dict[str, int] = {}
        self.labels: dict[str, str] = {}
        self.rows: list[_Row] = []
        self.by_code: dict[str, _Row] = {}
        self.units: dict[str, Unit] = {}
        self.current_parent: dict[str, str | None] = {}

    def error(self, row: int, name: str, message: str, index: int | None = None) -> None:
        index = self.columns.get(name) if index is None else index
        self.report.errors.append(RowError(
            row, self.labels.get(name, name),
            message, get_column_letter(index + 1) if index is not None else ""))

    def check(self) -> bool:
        self.read_header()
        if self.report.errors:
            return False
        for number, cells in self.table.rows:
            self.rows.append(self.parse_row(number, cells))
        self.load_units()
        self.check_tree()
        self.check_scope()
        return not self.report.errors

    def read_header(self) -> None:
        header_row = self.table.header_row
        for index, text in enumerate(self.table.header):
            label = clean_cell(text)
            if not label:
                continue
            name = COLUMN_ALIASES.get(fold(label))
            if name is None:
                self.error(header_row, label, _("Unknown column. Use the names of the template: "
                                                "%(names)s.", names=", ".join(
                                                    TEMPLATE_HEADERS["en"])), index)
            elif name in self.columns:
                self.error(header_row, label, _("This column appears twice."), index)
            else:
                self.columns[name], self.labels[name] = index, label
        for name in ("code", "name_vi"):
            if name not in self.columns:
                self.error(header_row, name, _("The required column %(name)s is missing.",
                                               name=name))

    def parse_row(self, number: int, cells: list[str]) -> _Row:
        row = _Row(number)
        for name, index in self.columns.items():
            text = clean_cell(cells[index]) if index < len(cells) else ""
            if text:
                problem, value = parse_cell(name, text)
                if problem:
                    self.error(number, name, problem)
                else:
                    row.values[name] = value
            elif name in ("code", "name_vi"):
                self.error(number, name, _("This cell is required."))
        return row

    def load_units(self) -> None:
        for row in self.rows:
            if row.code is None:
                continue
            first = self.by_code.setdefault(row.code, row)
            if first is not row:
                self.error(row.number, "code", _("The code %(code)s is also on row %(row)s.",
                                                 code=row.code, row=first.number))
        # Three small columns of every unit: enough to follow parent chains for loops.
        tree = db.session.execute(db.select(Unit.id, Unit.code, Unit.parent_id)).all()
        code_of = {unit_id: code for unit_id, code, _parent in tree}
        self.current_parent = {code: code_of.get(parent) for _id, code, parent in tree}
        wanted = sorted({*self.by_code, *(r.values.get("parent_code") for r in self.rows)}
                        & set(self.current_parent))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            self.units.update((u.code, u) for u in db.session.scalars(
                db.select(Unit).where(Unit.code.in_(chunk))))
        for code, row in self.by_code.items():
            row.unit, row.exists = self.units.get(code), code in self.units

    def final_parent(self, code: str) -> str | None:
        row = self.by_code.get(code)
        if row is not None and row.values.get("parent_code"):
            return row.values["parent_code"]
        return self.current_parent.get(code)

    def check_tree(self) -> None:
        for code, row in self.by_code.items():
            final_parent = self.by_code.get(self.final_parent(code) or "")
            if row.values.get("active") is True and final_parent is not None \
                    and final_parent.values.get("active") is False:
                self.error(row.number, "active", _(
                    "This unit cannot be active while its parent unit %(code)s is set to "
                    "inactive in this file.", code=final_parent.code))
            parent = row.values.get("parent_code")
            if parent is None:
                continue
            if parent not in self.by_code and parent not in self.current_parent:
                self.error(row.number, "parent_code", _(
                    "Unknown parent unit %(code)s: it is neither an existing unit nor a row of "
                    "this file.", code=parent))
                continue
            chain, seen, current = [code], {code}, parent
            while current is not None and current not in seen:
                chain.append(current)
                seen.add(current)
                current = self.final_parent(current)
            if current == code:
                self.error(row.number, "parent_code", _(
                    "This would put the unit under itself or one of its own sub-units: "
                    "%(chain)s.", chain=" → ".join([*chain, code])))

    def check_scope(self) -> None:
        manage = Permission.UNITS_MANAGE
        for code, row in self.by_code.items():
            if row.unit is not None and not can(self.actor, manage, row.unit):
                self.error(row.number, "code", _(
                    "You may not change the unit %(code)s: it is outside the units you "
                    "manage.", code=code))
                continue
            parent = row.values.get("parent_code")
            if parent is None and row.unit is None and not can_globally(self.actor, manage):
                self.error(row.number, "parent_code", _(
                    "Only a system administrator can create top-level units: fill in the "
                    "parent unit's code."))
            elif parent in self.units and parent != self.current_parent.get(code) \
                    and not can(self.actor, manage, self.units[parent]):
                self.error(row.number, "parent_code", _(
                    "You may not add or move units under %(code)s.", code=parent))

    def plan(self) -> list[_Row]:
        """Rows parents first (by depth in the final tree), each marked as a change or not."""
        depth: dict[str, int] = {}

        def depth_of(code: str) -> int:
            if code not in depth:
                parent = self.final_parent(code)
                depth[code] = 0 if parent is None else depth_of(parent) + 1
            return depth[code]

        for row in self.rows:
            unit = row.unit
            if unit is not None:
                data, parent = self.unit_data(row, unit.parent_id), self.current_parent[row.code]
                row.edit = (
                    any(getattr(data, name) != getattr(unit, name) for name in DATA_FIELDS)
                    or row.values.get("parent_code", parent) != parent)
                row.changed = row.edit or row.values.get("active", unit.active) != unit.active
        return sorted(self.rows, key=lambda row: (depth_of(row.code), row.number))

    def unit_data(self, row: _Row, parent_id: int | None) -> UnitData:
        unit, values = row.unit, row.values
        keep = {name: getattr(unit, name) for name in DATA_FIELDS} if unit is not None else {}
        fields = {name: values.get(name, keep.get(name)) for name in DATA_FIELDS}
        fields = {name: value for name, value in fields.items() if value is not None}
        return UnitData(code=row.code, parent_id=parent_id,
                        active=unit.active if unit is not None else True, **fields)

    def apply(self, rows: list[_Row], filename: str) -> None:
        current = rows[0]
        try:
            with db.session.begin_nested():
                for current in rows:
                    self.apply_row(current)
                # Activations parents first, then deactivations, whose cascade wins.
                for wanted in (True, False):
                    for current in rows:
                        if current.values.get("active") is wanted and \
                                current.unit.active is not wanted:
                            set_unit_active(current.unit, wanted, reason=_("Spreadsheet import"))
                self.record_summary(rows, filename)
        except ServiceError as error:
            self.report.created = self.report.updated = self.report.unchanged = 0
            column = "parent_code" if error.field == "parent_id" else error.field or "code"
            self.error(current.number, column, error.message)

    def apply_row(self, row: _Row) -> None:
        parent = row.values.get("parent_code")
        parent_id = self.units[parent].id if parent else None
        if row.unit is None:
            row.unit = self.units[row.code] = create_unit(self.unit_data(row, parent_id))
        elif row.edit:
            update_unit(row.unit, self.unit_data(row, parent_id or row.unit.parent_id),
                        reason=_("Spreadsheet import"))

    def record_summary(self, rows: list[_Row], filename: str) -> None:
        paths = [row.unit.ancestor_ids() for row in rows if row.unit is not None]
        common: list[int] = []
        for level in zip(*paths, strict=False):
            if len(set(level)) != 1:
                break
            common.append(level[0])
        report = self.report
        record_audit("unit.import", object_type="unit_import", object_id=report.sha256,
                     unit_id=common[-1] if common else None,
                     after={"filename": filename[:255], "sha256": report.sha256,
                            "rows": report.rows, "created": report.created,
                            "updated": report.updated, "unchanged": report.unchanged})
