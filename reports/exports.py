"""The SIPAS dashboard as files: an XLSX workbook with one sheet per table, and a CSV of one
table. Both are written from the rows of ``reports.dashboard.Dashboard``, the same rows the page
and its charts show, so a file never disagrees with the screen (the tables are built in
``reports.export_tables``; this module writes them).

Numbers
    Figures are stored unrounded. The workbook shows indices with one decimal through the
    number format "0.0" (the cell keeps the full value, so a sum or a chart made from it is
    exact); the CSV writes the full value with a dot decimal and no thousands separator
    (Python's shortest round-trip form: 72.72727272727273), because a CSV is read back by
    programs. Anything that wants one decimal rounds when it shows the figure, never before.
Hidden figures
    A figure resting on fewer than the minimum number of answers is written as the text
    "n < 5" (with the minimum in force), never as 0 or a blank that could be read as 0; its
    interval, mean score and answer distribution are left blank, since they would give the
    hidden index away.
Text
    Every text cell goes through ``core.spreadsheets.neutralise_cell``: a unit named "=1+1"
    stays text in Excel and LibreOffice.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime

from core.spreadsheets import csv_rows, neutralise_cell
from reports.dashboard_model import Dashboard
from reports.export_tables import (
    TABLE_BUILDERS,
    Column,
    ExportTable,
    pakn_table,
    summary_table,
)
from reports.formatting import is_missing

# The tables a CSV may hold (?table=…), in the order of the dashboard.
CSV_TABLES = ("elements", "items", "units", "heat", "trend", "distribution", "sample", "gaps")

# Excel number formats per kind of column; the value itself is never rounded.
NUMBER_FORMATS = {
    "index": "0.0",      # percent figures, intervals, gaps and changes in points
    "count": "#,##0",
    "decimal": "0.0",    # effective sample sizes, working days
    "score": "0.00",     # mean score on the 1–5 scale
    "p": "0.000",
    "date": "dd/mm/yyyy",
    "datetime": "dd/mm/yyyy hh:mm",
}
MIN_WIDTH, MAX_WIDTH = 8, 60
HEADER_FILL = "D9E2F3"


# --- writers ----------------------------------------------------------------------------------

def dashboard_tables(dashboard: Dashboard) -> list[ExportTable]:
    """Every sheet of the workbook, in order."""
    return [summary_table(dashboard), *[build(dashboard) for build in TABLE_BUILDERS.values()],
            pakn_table(dashboard)]


def dashboard_workbook(dashboard: Dashboard) -> bytes:
    """The dashboard as an XLSX workbook: a summary of the filters and the method, then one
    sheet per table (bold frozen header, widths fitted to the content, one-decimal number
    formats on unrounded values, hidden figures as "n < min")."""
    import openpyxl  # only exports need it

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for table in dashboard_tables(dashboard):
        sheet = workbook.create_sheet(_sheet_title(table.sheet, used))
        _write_sheet(sheet, table)
    report = dashboard.report
    workbook.properties.title = f"SIPAS {report.root.code} {report.filters.period}"
    workbook.properties.creator = "Lắng nghe"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()[:31] or "Sheet"
    candidate, number = cleaned, 2
    while candidate.casefold() in used:
        suffix = f" ({number})"
        candidate, number = cleaned[:31 - len(suffix)] + suffix, number + 1
    used.add(candidate.casefold())
    return candidate


def _write_sheet(sheet, table: ExportTable) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    widths: dict[int, int] = {}

    def put_row(row_number: int, values: Sequence[object], columns: Sequence[Column], *,
                header: bool = False) -> None:
        for number, value in enumerate(values, start=1):
            column = columns[number - 1] if number <= len(columns) else Column("")
            cell = sheet.cell(row=row_number, column=number, value=_cell_value(value))
            if header:
                cell.font, cell.fill = bold, fill
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            elif isinstance(value, int | float) and not isinstance(value, bool):
                kind = "count" if column.kind == "decimal" and isinstance(value, int) \
                    else column.kind  # a count among decimals (the PAKN figures): no ".0"
                cell.number_format = NUMBER_FORMATS.get(kind, "General")
            elif isinstance(value, datetime):
                cell.number_format = NUMBER_FORMATS["datetime"]
            elif isinstance(value, date):
                cell.number_format = NUMBER_FORMATS["date"]
            elif isinstance(value, str) and len(value) > MAX_WIDTH:
                # Longer than the widest column: wrap instead of running over the next cells.
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            widths[number] = max(widths.get(number, 0), _width(value, column))

    put_row(1, [column.header for column in table.columns], table.columns, header=True)
    row_number = 2
    for values in table.rows:
        put_row(row_number, values, table.columns)
        row_number += 1
    if table.footer is not None:
        put_row(row_number, table.footer, table.columns)
        for cell in sheet[row_number]:
            cell.font = bold
        row_number += 1
    if table.rows and not table.blocks:
        sheet.auto_filter.ref = f"A1:{_letter(len(table.columns))}{len(table.rows) + 1}"
    for block in table.blocks:
        row_number += 1  # one blank line between blocks
        title = sheet.cell(row=row_number, column=1, value=neutralise_cell(block.sheet))
        title.font = Font(bold=True, size=12)
        put_row(row_number + 1, [column.header for column in block.columns], block.columns,
                header=True)
        row_number += 2
        for values in block.rows:
            put_row(row_number, values, block.columns)
            row_number += 1
    sheet.freeze_panes = "A2"
    for number, width in widths.items():
        sheet.column_dimensions[_letter(number)].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.print_title_rows = "1:1"


def _cell_value(value: object) -> object:
    if isinstance(value, str):
        return neutralise_cell(value)
    if isinstance(value, float) and is_missing(value):
        return None
    return value


def _width(value: object, column: Column) -> int:
    if value is None:
        length = 0
    elif isinstance(value, float):
        length = 8
    elif isinstance(value, datetime):
        length = 16
    elif isinstance(value, date):
        length = 10
    else:
        length = max((len(line) for line in str(value).splitlines()), default=0)
    if column.kind != "text":
        length = min(length, 24)
    return max(MIN_WIDTH, min(MAX_WIDTH, length + 2))


def _letter(number: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(number)


def dashboard_csv(dashboard: Dashboard, table: str = "elements") -> bytes:
    """One table of the dashboard as UTF-8 CSV with a BOM (``core.spreadsheets.csv_rows``).

    ``table`` is one of ``CSV_TABLES``. Numbers keep full precision with a dot decimal (round
    them when you show them); hidden figures are the text "n < min"; a blank cell is no value.
    """
    if table not in TABLE_BUILDERS:
        raise ValueError(f"table must be one of {CSV_TABLES}, got {table!r}")
    built = TABLE_BUILDERS[table](dashboard)
    rows = [[column.header for column in built.columns], *built.rows]
    return b"".join(csv_rows([[_csv_value(value) for value in row] for row in rows]))


def _csv_value(value: object) -> object:
    # Floats stay floats: csv_rows writes str(value), the shortest text that reads back as
    # the same number (never rounded here), and leaves numbers alone when neutralising, so a
    # negative change is not turned into text.
    if isinstance(value, float) and is_missing(value):
        return None
    return value


def export_filename(dashboard: Dashboard, fmt: str, table: str | None = None) -> str:
    """"sipas-LS-SNV-2026-H1.xlsx", or "sipas-LS-SNV-2026-H1-elements.csv" for one table."""
    report = dashboard.report
    stem = f"sipas-{report.root.code}-{report.filters.period}"
    if table:
        stem += f"-{table}"
    return f"{stem}.{fmt}"
