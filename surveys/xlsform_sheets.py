"""Reading an XLSForm workbook into plain rows: open the .xlsx safely, find the survey, choices
and settings sheets, and name each column by what it means (``label`` in Vietnamese, …).

Problems are collected, translated, with the sheet and row they are on, and raised together
(XLSFormError) so whoever fixes the file sees every one at once."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

MAX_XLSFORM_BYTES = 5_000_000
MAX_ROWS = 5_000
MAX_PROBLEMS = 200
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format
SHEETS = ("survey", "choices", "settings")
# Columns that only carry translations: label::Vietnamese (vi), hint::English (en), …
TRANSLATED = ("label", "hint", "constraint_message", "required_message", "guidance_hint")
LANGUAGE_NAMES = {"vi": ("vi", "vietnamese", "tiếng việt", "tieng viet"),
                  "en": ("en", "english", "tiếng anh")}
LANGUAGE_CODE = re.compile(r"\(([a-z]{2,3})\)\s*$")


class XLSFormError(ValueError):
    """An XLSForm file that cannot be imported; ``problems`` lists every reason, translated."""

    def __init__(self, problems: list[str], status: int = 400):
        self.problems = problems[:MAX_PROBLEMS]
        self.status = status
        super().__init__("\n".join(self.problems))


@dataclass
class Row:
    """One row of a sheet: its number as Excel shows it and its cells by column name."""

    number: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass
class Sheet:
    name: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)


def language_of(name: str) -> str | None:
    """'Vietnamese (vi)', 'vi', 'Tiếng Việt' → 'vi'; English likewise; anything else None."""
    text = name.strip().lower()
    match = LANGUAGE_CODE.search(text)
    if match:
        return match.group(1) if match.group(1) in LANGUAGE_NAMES else None
    return next((code for code, names in LANGUAGE_NAMES.items() if text in names), None)


def cell_text(value: Any) -> str:
    """A cell as text: numbers as Excel shows them (1, not 1.0), NFC, trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def open_workbook(data: bytes) -> dict[str, Sheet]:
    """The survey, choices and settings sheets present in the file (by lower-case name)."""
    if len(data) > MAX_XLSFORM_BYTES:
        raise XLSFormError([_("The file is larger than %(mb)s MB.",
                              mb=MAX_XLSFORM_BYTES // 1_000_000)], status=413)
    if data.startswith(OLE_MAGIC):
        raise XLSFormError([_("This is an old Excel .xls file; open it in Excel or LibreOffice "
                              "and save it as .xlsx.")])
    if not data.startswith(ZIP_MAGIC):
        raise XLSFormError([_("This is not an Excel .xlsx file; an XLSForm is an .xlsx "
                              "workbook with the sheets survey, choices and settings.")])
    try:
        sheets = _read_sheets(data)
    except XLSFormError:
        raise
    # A damaged zip or sheet XML shows up while opening or only while the rows are read
    # (read-only mode streams them); SyntaxError covers the XML parser's ParseError.
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError,
            TypeError, SyntaxError, EOFError) as error:
        raise XLSFormError(
            [_("The file could not be read as an Excel .xlsx workbook.")]) from error
    if "survey" not in sheets:
        raise XLSFormError([_("The workbook has no sheet named survey (the questions).")])
    return sheets


def _read_sheets(data: bytes) -> dict[str, Sheet]:
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheets = {}
        for worksheet in workbook.worksheets:
            name = worksheet.title.strip().lower()
            if name in SHEETS and name not in sheets:
                sheets[name] = _read_sheet(name, worksheet)
        return sheets
    finally:
        workbook.close()


def _read_sheet(name: str, worksheet) -> Sheet:
    rows = worksheet.iter_rows(values_only=True)
    header = [_column_name(cell_text(value)) for value in next(rows, ())]
    sheet = Sheet(name, [column for column in header if column])
    for number, values in enumerate(rows, 2):
        cells = {header[i]: cell_text(value) for i, value in enumerate(values)
                 if i < len(header) and header[i] and cell_text(value)}
        if not cells:
            continue
        if len(sheet.rows) >= MAX_ROWS:
            raise XLSFormError([_("The %(sheet)s sheet has more than %(max)s rows.",
                                  sheet=name, max=MAX_ROWS)])
        sheet.rows.append(Row(number, cells))
    return sheet


def _column_name(text: str) -> str:
    """Header text → the name used here: 'Label::Vietnamese (vi)' → 'label::vi'; a column of
    another language keeps its language's name ('label::French (fr)') to be refused."""
    if "::" not in text:
        return text.lower()
    base, _sep, language = text.partition("::")
    base = base.strip().lower()
    code = language_of(language)
    if base in TRANSLATED and code:
        return f"{base}::{code}"
    return f"{base}::{language.strip()}"


def settings_values(sheets: dict[str, Sheet]) -> dict[str, str]:
    """The settings sheet's first row (XLSForm has one), or nothing."""
    sheet = sheets.get("settings")
    return dict(sheet.rows[0].cells) if sheet and sheet.rows else {}
