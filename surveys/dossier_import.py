"""Import dossiers from a spreadsheet exported by the one-stop system: every row is checked
first, then all are applied or none.

The first non-blank row names the columns, in Vietnamese or English (accents, case, spaces and
underscores do not matter). A row gives the dossier's whole facts: a code already registered is
updated to match the row (so uploading the same file again changes nothing), a new code is
created. Columns with other headers are ignored (and listed in the report). Dates are ISO
(2026-06-01T08:30, with or without an offset) or dd/mm/yyyy [HH:MM]; times without an offset
are Vietnam time.

"Ngày hẹn trả" is the legal appointment date of the receipt (form 01); the date an apology
letter (form 04) re-set goes in its own column with the letter's number and date. A file
without those three columns leaves a dossier's recorded re-set as it is (the date may be re-set
only once, so an older export must not erase it).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from flask_babel import gettext as _
from openpyxl.utils import get_column_letter

from core.access import Actor
from core.audit import record_audit
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit
from core.spreadsheets import RowError, UpsertReport, clean_cell, read_table
from core.text import fold
from surveys.dossiers import (
    CREATED,
    RESET_FIELDS,
    UNCHANGED,
    UPDATED,
    DossierData,
    apply_dossier,
    as_utc_aware,
    check_dossier,
    dossier_changes,
)
from surveys.models import Dossier

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000

# Folded header (core.spreadsheets.fold) → field.
COLUMN_ALIASES: dict[str, str] = {}
for _name, _aliases in {
    "code": ("ma ho so", "so ho so", "ma", "code", "dossier code"),
    "procedure_code": ("ma thu tuc", "ma tthc", "procedure code"),
    "procedure_name": ("ten thu tuc", "thu tuc", "ten tthc", "thu tuc hanh chinh",
                       "procedure", "procedure name"),
    "unit_code": ("ma don vi", "don vi", "unit", "unit code"),
    "desk_code": ("ma quay", "quay", "desk", "desk code"),
    "received_at": ("ngay tiep nhan", "ngay nhan", "thoi gian tiep nhan", "received",
                    "received at"),
    "legal_appointed_at": ("ngay hen tra", "ngay hen tra ket qua", "hen tra", "appointed",
                           "appointed at", "due", "legal appointed at",
                           "ngay hen tra theo quy dinh"),
    "reset_appointed_at": ("ngay hen lai", "ngay hen tra lai", "hen lai", "ngay hen moi",
                           "reset appointed at", "new appointed date", "reset date"),
    "apology_number": ("so phieu xin loi", "so hieu phieu xin loi", "apology number",
                       "apology letter number"),
    "apology_date": ("ngay phieu xin loi", "ngay xin loi", "apology date",
                     "apology letter date"),
    "returned_at": ("ngay tra", "ngay tra ket qua", "ngay tra kq", "returned", "returned at"),
    "supplement_requests": ("so lan bo sung", "so lan yeu cau bo sung", "bo sung",
                            "supplement requests", "supplements"),
    "online": ("truc tuyen", "nop truc tuyen", "online"),
    "apology_issued": ("phieu xin loi", "xin loi", "da xin loi", "apology", "apology issued"),
    "contact_consent": ("dong y lien he", "dong y khao sat", "contact consent", "consent"),
    "contact_phone": ("so dien thoai", "dien thoai", "sdt", "phone", "contact phone"),
    "contact_channel": ("kenh lien he", "contact channel"),
}.items():
    COLUMN_ALIASES.update((alias, _name) for alias in _aliases)
REQUIRED = ("code", "unit_code", "received_at")
DATE_FIELDS = ("received_at", "legal_appointed_at", "reset_appointed_at", "returned_at")
DAY_FIELDS = ("apology_date",)
BOOL_FIELDS = ("online", "apology_issued", "contact_consent")
_TRUE = {"1", "x", "true", "yes", "y", "co", "dung"}
_FALSE = {"0", "false", "no", "n", "khong", "sai"}
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_DAY_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass
class DossierImportReport(UpsertReport):
    ignored: list[str] = field(default_factory=list)  # headers we do not know, left unread


def parse_moment(text: str) -> datetime | None:
    """ISO 8601 or dd/mm/yyyy [HH:MM[:SS]], as aware UTC (no offset: Vietnam time); None if
    unreadable."""
    match = _DMY.match(text)
    try:
        if match:
            day, month, year, hour, minute, second = match.groups()
            moment = datetime(int(year), int(month), int(day), int(hour or 0),
                              int(minute or 0), int(second or 0))
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return as_utc_aware(moment)


def parse_day(text: str) -> date | None:
    """dd/mm/yyyy or yyyy-mm-dd (a spreadsheet date cell may add 00:00:00); None if
    unreadable or with a time of day."""
    text = text.removesuffix(" 00:00:00").removesuffix("T00:00:00")
    match = _DAY_DMY.match(text)
    try:
        if match:
            day, month, year = match.groups()
            return date(int(year), int(month), int(day))
        return date.fromisoformat(text)
    except ValueError:
        return None


def _parse(name: str, text: str) -> tuple[str | None, object]:
    """(problem, value) for one non-empty cell."""
    if name in DAY_FIELDS:
        day = parse_day(text)
        return (_("Write the date as dd/mm/yyyy or yyyy-mm-dd.") if day is None else None), day
    if name in DATE_FIELDS:
        moment = parse_moment(text)
        return (_("Write the date as dd/mm/yyyy HH:MM or yyyy-mm-dd HH:MM.") if moment is None
                else None), moment
    if name in BOOL_FIELDS:
        folded = fold(text)
        if folded in _TRUE or folded in _FALSE:
            return None, folded in _TRUE
        return _("Write 1 (yes) or 0 (no)."), None
    if name == "supplement_requests":
        return (None, int(text)) if text.isdigit() else (
            _("Write a whole number, 0 or more."), None)
    return None, text


def import_dossiers(content: bytes, filename: str, *, actor: Actor, dry_run: bool = False,
                    max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS
                    ) -> DossierImportReport:
    """Check every row and, when all are fine and not ``dry_run``, apply them in a savepoint.
    Raises ``SpreadsheetError`` (400/413) for a file that cannot be read at all."""
    table = read_table(content, filename, max_bytes=max_bytes, max_rows=max_rows)
    report = DossierImportReport(rows=len(table.rows), dry_run=dry_run,
                                 sha256=hashlib.sha256(content).hexdigest())
    columns, labels = _read_header(table.header, table.header_row, report)
    if report.errors:
        return report

    def error(row: int, name: str, message: str) -> None:
        index, label = columns.get(name), labels.get(name, name)
        if any((e.row, e.column) == (row, label) for e in report.errors):
            return  # an unreadable cell is not reported again as missing
        report.errors.append(RowError(row, label, message,
                                      get_column_letter(index + 1) if index is not None else ""))

    rows: list[tuple[int, DossierData]] = []
    first_row: dict[str, int] = {}
    for number, cells in table.rows:
        values: dict[str, object] = {}
        for name, index in columns.items():
            text = clean_cell(cells[index]) if index < len(cells) else ""
            if not text:
                if name in REQUIRED:
                    error(number, name, _("This cell is required."))
                continue
            problem, value = _parse(name, text)
            if problem:
                error(number, name, problem)
            else:
                values[name] = value
        code = values.get("code")
        if isinstance(code, str):
            first = first_row.setdefault(code, number)
            if first != number:
                error(number, "code", _("The code %(code)s is also on row %(row)s.",
                                        code=code, row=first))
        rows.append((number, DossierData(source="import", **{  # type: ignore[arg-type]
            "received_at": None, "code": "", "unit_code": "", **values})))
    checked = _check_rows(rows, actor, error, {r.code for _n, r in rows if r.code},
                          any(name in columns for name in RESET_FIELDS))
    report.errors.sort(key=lambda e: e.row)
    if report.errors:
        return report
    outcomes = [apply_dossier(item, audit=False)[1] for item in checked] if not dry_run else [
        UNCHANGED if item.existing is not None and _same(item) else
        CREATED if item.existing is None else UPDATED for item in checked]
    report.created = outcomes.count(CREATED)
    report.updated = outcomes.count(UPDATED)
    report.unchanged = outcomes.count(UNCHANGED)
    if not dry_run:
        record_audit("dossier.import", object_type="dossier_import", object_id=report.sha256,
                     after={"filename": filename[:255], "sha256": report.sha256,
                            "rows": report.rows, "created": report.created,
                            "updated": report.updated, "unchanged": report.unchanged})
        db.session.flush()
    return report


def _read_header(header: list[str], header_row: int,
                 report: DossierImportReport) -> tuple[dict[str, int], dict[str, str]]:
    columns: dict[str, int] = {}
    labels: dict[str, str] = {}
    for index, text in enumerate(header):
        label = clean_cell(text)
        if not label:
            continue
        name = COLUMN_ALIASES.get(fold(label))
        letter = get_column_letter(index + 1)
        if name is None:
            # One-stop exports carry more columns (some with the citizen's name): not read.
            report.ignored.append(label)
        elif name in columns:
            report.errors.append(RowError(header_row, label, _("This column appears twice."),
                                          letter))
        else:
            columns[name], labels[name] = index, label
    for name in REQUIRED:
        if name not in columns:
            report.errors.append(RowError(header_row, name, _(
                "The required column %(name)s is missing.", name=name)))
    return columns, labels


def _check_rows(rows, actor: Actor, error, codes: set[str], has_reset_columns: bool) -> list:
    """The service's own checks for every row, so every bad row is reported at once."""
    existing: dict[str, Dossier] = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), 500):
        existing.update((d.code, d) for d in db.session.scalars(
            db.select(Dossier).where(Dossier.code.in_(ordered[start:start + 500]))))
    units: dict[str, Unit | None] = {}
    checked = []
    for number, data in rows:
        if not data.code or not data.unit_code or data.received_at is None:
            continue  # already reported as a missing or unreadable cell
        known = existing.get(data.code)
        if known is not None and not has_reset_columns:
            data = replace(data, **{name: getattr(known, name) for name in RESET_FIELDS})
        try:
            checked.append(check_dossier(data, actor=actor, units=units,
                                         existing=known, look_up=False))
        except ServiceError as refusal:
            error(number, refusal.field or "code", refusal.message)
    return checked


def _same(item) -> bool:
    return not dossier_changes(item.existing, item.values)
