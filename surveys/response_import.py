"""Import survey responses from a spreadsheet (postal survey data, exports of other form tools).

Step 1 keeps the checked upload in UPLOAD_FOLDER/imports/ under a random name with a sidecar
JSON (surveys.response_import_files): nothing reaches the survey tables. Step 2 maps each column
to an item code, pre-filled from headers equal to a code or to an item's text. Step 3 runs every
row through ``submit_response`` inside a savepoint: for a check the savepoint is rolled back;
for the import it is kept only when not one row is bad, so a file imports whole or not at all.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from analysis.sipas import NOT_APPLICABLE
from core.access import Actor
from core.audit import record_audit
from core.clock import LOCAL_TZ, local, now
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit, User
from core.spreadsheets import RowError, Table, clean_cell
from core.text import fold
from surveys.instrument_rules import offers_not_applicable
from surveys.models import AnswerType, Channel, InstrumentVersion, Item, SurveyImport
from surveys.response_import_files import Upload, read_upload_table
from surveys.responses import SubmittedResponse, submit_response
from surveys.survey_form import choice_labels

IGNORE = ""
DATE_COLUMN = "@date"
UNIT_COLUMN = "@unit"
DATE_HEADERS = frozenset({"ngay", "date", "ngay tra loi", "ngay khao sat", "submitted at",
                          "submission date", "timestamp", "dau thoi gian", "thoi gian"})
UNIT_HEADERS = frozenset({"ma don vi", "unit code", "ma co quan"})
DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d-%m-%Y", "%d.%m.%Y")
NUMBER = re.compile(r"^\d{1,6}(?:[.,]0+)?$")
# Vietnamese wording of items stored without a choice list (the SIPAS scales as printed).
VI_LABELS = {
    AnswerType.SCALE5: ("Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng",
                        "Rất hài lòng"),
    AnswerType.SCALE3: ("Không hài lòng", "Hài lòng", "Rất hài lòng"),
    AnswerType.YESNO: ("Có", "Không"),
}
# Short ways survey files write "not applicable" (besides the item's own wording and 0).
NOT_APPLICABLE_LABELS = ("Không áp dụng", "Not applicable", "N/A", "KAD")


@dataclass
class Mapping:
    items: dict[int, str] = field(default_factory=dict)  # column index → item code
    date_column: int | None = None
    unit_column: int | None = None


@dataclass
class ImportReport:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    by_unit: dict[str, int] = field(default_factory=dict)
    survey_import: SurveyImport | None = None


def header_key(text: str | None) -> str:
    """A header or label as compared: NFC, case-folded, single spaces, no trailing * or :."""
    text = unicodedata.normalize("NFC", text or "").casefold()
    return " ".join(text.split()).strip(" *:")


def suggest_mapping(header: list[str], version: InstrumentVersion) -> dict[int, str]:
    """Column index → item code (or DATE_COLUMN / UNIT_COLUMN) for headers that name an item by
    its code or its text; many exports use the question text as the header."""
    known: dict[str, str | None] = {}
    for item in version.items:
        for key in (header_key(item.text_vi), header_key(item.text_en)):
            if key:  # two items with the same text: neither is guessed
                known[key] = item.code if known.get(key, item.code) == item.code else None
    for item in version.items:
        known[header_key(item.code)] = item.code
    suggested: dict[int, str] = {}
    for index, text in enumerate(header):
        target = known.get(header_key(text))
        if target is None and fold(text) in DATE_HEADERS:
            target = DATE_COLUMN
        elif target is None and fold(text) in UNIT_HEADERS:
            target = UNIT_COLUMN
        if target and target not in suggested.values():
            suggested[index] = target
    return suggested


def build_mapping(chosen: dict[int, str], version: InstrumentVersion) -> Mapping:
    """Check the posted choice per column: each item, date or unit column at most once."""
    codes = {item.code for item in version.items}
    mapping, used = Mapping(), {}
    for index, target in sorted(chosen.items()):
        if target == IGNORE:
            continue
        if target not in codes and target not in (DATE_COLUMN, UNIT_COLUMN):
            raise ServiceError(_("Unknown question %(code)s.", code=target), status=400,
                               field=f"col_{index}")
        if target in used:
            raise ServiceError(_("Column %(letter)s is already mapped to the same target.",
                                 letter=get_column_letter(used[target] + 1)),
                               status=400, field=f"col_{index}")
        used[target] = index
        if target == DATE_COLUMN:
            mapping.date_column = index
        elif target == UNIT_COLUMN:
            mapping.unit_column = index
        else:
            mapping.items[index] = target
    if not mapping.items:
        raise ServiceError(_("Map at least one column to a question."), status=400)
    return mapping


def answer_labels(item: Item) -> dict[str, int]:
    """Label → value from the item's own choices (Vietnamese and English), also matched
    without accents unless that makes two labels equal."""
    pairs: list[tuple[int, str]] = []
    for locale in ("vi", "en"):
        with force_locale(locale):
            pairs += choice_labels(item, locale)
    if not item.choices:
        pairs += list(enumerate(VI_LABELS.get(AnswerType(item.answer_type), ()), start=1))
    if offers_not_applicable(item.answer_type, item.choices):
        pairs += [(NOT_APPLICABLE, label) for label in NOT_APPLICABLE_LABELS]
    labels: dict[str, int] = {}
    folded: dict[str, int | None] = {}
    for value, label in pairs:
        labels.setdefault(header_key(label), value)
        key = fold(label)
        folded[key] = value if folded.get(key, value) == value else None
    labels.update({key: value for key, value in folded.items()
                   if value is not None and key not in labels})
    return labels


def earlier_import(sha256: str, unit_id: int) -> SurveyImport | None:
    return db.session.scalar(select(SurveyImport).where(
        SurveyImport.sha256 == sha256, SurveyImport.unit_id == unit_id)
        .order_by(SurveyImport.id.desc()).limit(1))


def describe_import(survey_import: SurveyImport) -> str:
    user = db.session.get(User, survey_import.created_by_id) \
        if survey_import.created_by_id else None
    return _("This file was already imported for this unit on %(date)s by %(user)s "
             "(%(rows)s rows).", date=local(survey_import.created_at).strftime("%d/%m/%Y %H:%M"),
             user=user.full_name if user else "—", rows=survey_import.rows)


def run_import(upload: Upload, content: bytes, mapping: Mapping, actor: Actor, *,
               save: bool, force: bool = False) -> ImportReport:
    """Validate every row through ``submit_response`` in a savepoint. With ``save`` and no bad
    row the savepoint is kept (the caller commits); otherwise it is rolled back."""
    unit = db.session.get(Unit, upload.unit_id)
    version = db.session.get(InstrumentVersion, upload.version_id)
    if unit is None or version is None:
        raise ServiceError(_("The unit or questionnaire of this upload no longer exists."),
                           status=404)
    earlier = earlier_import(upload.sha256, unit.id)
    if save and earlier is not None and not force:
        raise ServiceError(describe_import(earlier), status=409, field="force")
    table = read_upload_table(content, upload.filename)
    report = ImportReport(rows=len(table.rows))
    reader = _RowReader(table, mapping, version, unit)
    savepoint = db.session.begin_nested()
    try:
        if save:
            report.survey_import = SurveyImport(
                sha256=upload.sha256, filename=upload.filename, unit_id=unit.id,
                version_id=version.id, rows=report.rows,
                created_by_id=actor.id if isinstance(actor, User) else None)
            db.session.add(report.survey_import)
            db.session.flush()
        for number, cells in table.rows:
            reader.submit(number, cells, report)
        if report.errors or not save:
            savepoint.rollback()
            report.survey_import = None
            return report
        _audit(report, upload, earlier)
        savepoint.commit()
    except Exception:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    return report


def _audit(report: ImportReport, upload: Upload, earlier: SurveyImport | None) -> None:
    assert report.survey_import is not None
    record_audit("survey.import", object_type="survey_import",
                 object_id=report.survey_import.id, unit_id=upload.unit_id,
                 after={"filename": upload.filename, "sha256": upload.sha256,
                        "version_id": upload.version_id, "rows": report.rows,
                        "by_unit": dict(sorted(report.by_unit.items())),
                        "forced": earlier is not None,
                        "earlier_import_id": earlier.id if earlier else None})


class _RowReader:
    """Turns one spreadsheet row into a ``SubmittedResponse`` and submits it."""

    def __init__(self, table: Table, mapping: Mapping, version: InstrumentVersion, unit: Unit):
        self.table, self.mapping, self.version, self.unit = table, mapping, version, unit
        self.items = {item.code: item for item in version.items}
        self.labels = {code: answer_labels(self.items[code]) for code in mapping.items.values()}
        self.column_of = {code: index for index, code in mapping.items.items()}
        self.units = self._subtree_units() if mapping.unit_column is not None else {}
        self.started = now()

    def _subtree_units(self) -> dict[str, Unit]:
        codes = {clean_cell(cells[self.mapping.unit_column])
                 for _number, cells in self.table.rows if self.mapping.unit_column < len(cells)}
        codes.discard("")
        found: dict[str, Unit] = {}
        ordered = sorted(codes)
        for start in range(0, len(ordered), 500):
            found.update((u.code, u) for u in db.session.scalars(select(Unit).where(
                Unit.code.in_(ordered[start:start + 500]),
                Unit.path.like(self.unit.path + "%"))))
        return found

    def label(self, index: int | None, fallback: str = "") -> str:
        if index is None:
            return fallback
        header = self.table.header[index] if index < len(self.table.header) else ""
        return f"{get_column_letter(index + 1)} – {header}".rstrip(" –")

    def submit(self, number: int, cells: list[str], report: ImportReport) -> None:
        errors: list[RowError] = []

        def cell(index: int | None) -> str:
            return clean_cell(cells[index]) if index is not None and index < len(cells) else ""

        def refuse(index: int | None, message: str, fallback: str = "") -> None:
            errors.append(RowError(number, self.label(index, fallback), message))

        data = SubmittedResponse(
            version=self.version, unit=self.unit, channel=Channel.IMPORT.value,
            submitted_at=self.started,
            import_id=report.survey_import.id if report.survey_import else None)
        unit_code = cell(self.mapping.unit_column)
        if unit_code:
            data.unit = self.units.get(unit_code)  # type: ignore[assignment]
            if data.unit is None:
                refuse(self.mapping.unit_column, _(
                    "Unknown unit code %(code)s, or it is not under %(unit)s.",
                    code=unit_code, unit=self.unit.name_vi))
        when = cell(self.mapping.date_column)
        if when:
            data.submitted_at = _parse_date(when)
            if data.submitted_at is None:
                refuse(self.mapping.date_column, _(
                    "Write the date as dd/mm/yyyy or yyyy-mm-dd."))
            elif data.submitted_at > self.started:
                refuse(self.mapping.date_column, _("The date is in the future."))
        for index, code in self.mapping.items.items():
            text = cell(index)
            if not text:
                continue
            item = self.items[code]
            target = data.demographics if item.demographic else (
                data.texts if item.answer_type == AnswerType.TEXT else data.answers)
            value = text if item.answer_type == AnswerType.TEXT else self.value(item, text)
            if value is None:
                refuse(index, _("“%(value)s” is not one of the answers to %(code)s.",
                                value=text[:60], code=code))
            else:
                target[code] = value
        if not errors:
            try:
                submit_response(data)
            except ServiceError as error:
                refuse(self.column_of.get(error.field or ""), error.message, error.field or "")
            else:
                report.by_unit[data.unit.code] = report.by_unit.get(data.unit.code, 0) + 1
        report.errors.extend(errors)

    def value(self, item: Item, text: str) -> int | list[int] | None:
        if item.answer_type != AnswerType.MULTI:
            return self.one_value(item.code, text)
        # Choice lists come as "1;3" or, from Google Forms, "Label A, Label B" where a label
        # may itself hold a comma: take the longest run of pieces that names a choice.
        pieces = text.split(";") if ";" in text else text.split(",")
        values, start = [], 0
        while start < len(pieces):
            for end in range(len(pieces), start, -1):
                found = self.one_value(item.code, ",".join(pieces[start:end]))
                if found is not None:
                    values.append(found)
                    start = end
                    break
            else:
                return None
        return values

    def one_value(self, code: str, text: str) -> int | None:
        text = text.strip()
        if NUMBER.match(text):
            return int(re.split(r"[.,]", text)[0])
        labels = self.labels[code]
        found = labels.get(header_key(text))
        return found if found is not None else labels.get(fold(text))


def _parse_date(text: str) -> datetime | None:
    """dd/mm/yyyy (optionally with a time) or ISO; a time without a zone is Vietnam time."""
    parsed = None
    for pattern in DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, pattern)
            break
        except ValueError:
            continue
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=LOCAL_TZ)
