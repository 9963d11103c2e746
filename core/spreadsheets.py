"""Reading uploaded spreadsheets (CSV or XLSX, checked by content) and writing safe CSV exports.

Exports neutralise cells a spreadsheet would run as a formula ("CSV injection"); imports read
the first sheet of a real XLSX or UTF-8 CSV text and refuse anything else with a clear message.
"""

from __future__ import annotations

import contextlib
import csv
import io
import tempfile
import unicodedata
import warnings
import zipfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import IO
from urllib.parse import quote

import openpyxl
from flask import Response
from flask_babel import gettext as _

from core.exceptions import ServiceError

# A cell starting with one of these is a formula to Excel/LibreOffice (tab and CR too, per
# OWASP's CSV injection advice, since some programs strip them before parsing).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
UTF8_BOM = "\ufeff"
XLSX_MAGIC = b"PK\x03\x04"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format
# A small XLSX can inflate enormously ("zip bomb"); refuse before openpyxl unpacks it.
MAX_XLSX_UNCOMPRESSED = 100 * 1024 * 1024
# A CSV export up to this size is built in memory, a larger one in a temporary file.
CSV_SPOOL_IN_MEMORY = 4 * 1024 * 1024


def neutralise_cell(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe, so it shows
    as text. Numbers and other non-text values pass through unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def restore_cell(value: str) -> str:
    """Undo ``neutralise_cell``, so a file we exported can be imported back unchanged."""
    if len(value) > 1 and value[0] == "'" and value[1] in "".join(FORMULA_PREFIXES):
        return value[1:]
    return value


def clean_cell(text: str) -> str:
    """An imported cell as we store it: trimmed, un-neutralised and NFC-normalised (some
    keyboards type decomposed Vietnamese)."""
    return unicodedata.normalize("NFC", restore_cell(text.strip()))


def text_problem(text: str, max_length: int, *, multiline: bool = False) -> str | None:
    """A translated message if an imported text cell holds control characters (NUL and the
    like; line breaks and tabs only where ``multiline``) or is too long, else None."""
    allowed = "\t\n\r" if multiline else ""
    if any((ord(ch) < 32 and ch not in allowed) or ord(ch) == 127 for ch in text):
        return _("Remove the invisible control characters from this text.")
    if len(text) > max_length:
        return _("At most %(max)s characters (this cell has %(count)s).", max=max_length,
                 count=len(text))
    return None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def content_disposition(filename: str) -> str:
    """An attachment header that keeps a Vietnamese file name (RFC 6266 / RFC 5987)."""
    ascii_name = unicodedata.normalize("NFKD", filename.replace("đ", "d").replace("Đ", "D"))
    ascii_name = ascii_name.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "")
    return f"attachment; filename=\"{ascii_name or 'export.csv'}\"; " \
           f"filename*=UTF-8''{quote(filename, safe='')}"


def csv_rows(rows: Iterable[Sequence[object]]) -> Iterator[bytes]:
    """Encode rows as UTF-8 CSV with a BOM (so Excel shows Vietnamese), neutralising cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(UTF8_BOM)
    for row in rows:
        writer.writerow([_cell_text(neutralise_cell(value)) for value in row])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def csv_response(rows: Iterable[Sequence[object]], filename: str) -> Response:
    """A CSV download of ``rows`` (a list, or a lazy query read in batches).

    The rows are read and encoded here, while the view's database session is alive, into a
    temporary file that stays in memory up to 4 MiB and spills to disk beyond; the response
    then sends that file. Streaming straight from the query fails: Flask 3.1 runs the request's
    teardown (which ends the session) before the body is sent, so the objects the view loaded,
    the signed-in user's grants included, are detached by the time the rows are read
    (DetachedInstanceError, a 500 on every export).
    """
    spool = tempfile.SpooledTemporaryFile(max_size=CSV_SPOOL_IN_MEMORY)
    try:
        for chunk in csv_rows(rows):
            spool.write(chunk)
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    response = Response(_file_chunks(spool), mimetype="text/csv")  # Flask adds "; charset=utf-8"
    response.content_length = size
    response.headers["Content-Disposition"] = content_disposition(filename)
    return response


def xlsx_response(rows: Iterable[Sequence[object]], filename: str,
                  sheet_name: str = "Sheet1") -> Response:
    """An XLSX download of ``rows`` on one sheet, each cell neutralised like the CSV's; built
    whole before the response (as ``csv_response``) and never cached by the browser."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name[:31])  # Excel's limit for a sheet name
    for row in rows:
        sheet.append([neutralise_cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = Response(buffer.getvalue(), mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _file_chunks(spool: IO[bytes]) -> Iterator[bytes]:
    with spool:
        while chunk := spool.read(64 * 1024):
            yield chunk


class SpreadsheetError(ServiceError):
    """The file as a whole cannot be read (wrong format, empty, too large)."""

    status = 400


@dataclass
class Table:
    """The first sheet: the header row and the data rows, each with its row number as the
    person sees it in their spreadsheet program. Blank rows are left out."""

    kind: str
    header: list[str] = field(default_factory=list)
    header_row: int = 1
    rows: list[tuple[int, list[str]]] = field(default_factory=list)


def read_table(content: bytes, filename: str, *, max_bytes: int, max_rows: int,
               max_columns: int = 50) -> Table:
    """Read an uploaded CSV (UTF-8, comma, semicolon or tab) or XLSX, judged by its content."""
    if len(content) > max_bytes:
        raise SpreadsheetError(_("The file is larger than %(size)s MB.",
                                 size=f"{max_bytes / 1024 / 1024:g}"), status=413)
    if not content.strip() or content.strip() == UTF8_BOM.encode():
        raise SpreadsheetError(_("The file is empty."))
    if content.startswith(XLSX_MAGIC):
        raw = _xlsx_rows(content, max_columns)
        kind = "xlsx"
    elif content.startswith(OLE2_MAGIC):
        raise SpreadsheetError(_("Old Excel files (.xls) are not supported. Save the sheet as "
                                 "Excel Workbook (.xlsx) or CSV UTF-8 and try again."))
    elif filename.lower().endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        raise SpreadsheetError(_("The file is named like a spreadsheet but its content is not "
                                 "an Excel workbook."))
    else:
        raw = _csv_rows(content, max_columns)
        kind = "csv"
    table = Table(kind=kind)
    with contextlib.closing(raw):  # closes the workbook even when we stop early
        _fill(table, raw, max_rows)
    if not table.header:
        raise SpreadsheetError(_("The file is empty."))
    if not table.rows:
        raise SpreadsheetError(_("The file has a header row but no data rows."))
    return table


def _fill(table: Table, raw: Iterable[tuple[int, list[str]]], max_rows: int) -> None:
    for number, cells in raw:
        if not any(cell.strip() for cell in cells):
            continue
        if not table.header:
            table.header, table.header_row = cells, number
            continue
        if len(table.rows) >= max_rows:
            raise SpreadsheetError(_("The file has more than %(count)s rows. Split it into "
                                     "smaller files.", count=max_rows), status=413)
        table.rows.append((number, cells))


def _csv_rows(content: bytes, max_columns: int) -> Generator[tuple[int, list[str]], None, None]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SpreadsheetError(_("The file is neither UTF-8 text nor an Excel workbook. In "
                                 "Excel, choose Save As → CSV UTF-8, or save as .xlsx.")) from error
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells[:max_columns]
    except csv.Error as error:
        raise SpreadsheetError(_("The CSV file is malformed near row %(row)s (check the "
                                 "quotes).", row=number + 1)) from error


def _xlsx_rows(content: bytes, max_columns: int) -> Generator[tuple[int, list[str]], None, None]:
    not_xlsx = _("The file is not a valid Excel workbook (.xlsx).")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise SpreadsheetError(not_xlsx) from error
    if "xl/workbook.xml" not in names:
        raise SpreadsheetError(not_xlsx)
    if inflated > MAX_XLSX_UNCOMPRESSED:
        raise SpreadsheetError(_("The workbook is too large once unpacked."), status=413)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it ignores (styles, data validation): not our concern.
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types on a damaged file
        raise SpreadsheetError(not_xlsx) from error
    try:
        if not workbook.worksheets:
            raise SpreadsheetError(not_xlsx)
        sheet = workbook.worksheets[0]
        # read_only fills gaps with empty rows, so counting from 1 gives the sheet's row number.
        for number, values in enumerate(
            sheet.iter_rows(min_row=1, max_col=max_columns, values_only=True), start=1
        ):
            yield number, [_cell_text(value) for value in values]
    except SpreadsheetError:
        raise
    except Exception as error:  # malformed sheet XML surfaces only while reading
        raise SpreadsheetError(not_xlsx) from error
    finally:
        workbook.close()


@dataclass
class RowError:
    """One problem in an imported spreadsheet: the row number as the user sees it, the column
    (header, and its letter when known) and a message for a person."""

    row: int
    column: str
    message: str
    letter: str = ""


@dataclass
class UpsertReport:
    """What an all-or-nothing create-or-update import did (or would do, on a dry run)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    sha256: str = ""
    errors: list[RowError] = field(default_factory=list)
