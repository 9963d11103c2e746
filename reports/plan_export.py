"""The improvement plan as an XLSX workbook in the seeds' table layout: a title block, one
header row (STT | task | lead unit | cooperating units | deadline | expected result), part and
element heading rows, then the task rows. Every text cell is neutralised (a cell starting with
"=" stays text)."""

from __future__ import annotations

import io

from flask_babel import gettext as _

from core.models import Unit
from core.spreadsheets import neutralise_cell
from reports.models import ImprovementPlan
from reports.plan_catalogue import element_name
from reports.plans import plan_layout

# Widths in characters: the task and result columns carry most of the text.
COLUMN_WIDTHS = {"A": 6, "B": 60, "C": 26, "D": 26, "E": 16, "F": 44}
HEADER_ROW = 5


def plan_headers() -> list[str]:
    return [_("No."), _("Task"), _("Lead unit"), _("Cooperating units"),
            _("Time frame"), _("Expected result / product")]


def plan_workbook(plan: ImprovementPlan, unit: Unit, locale: str) -> bytes:
    """The workbook's bytes. ``locale`` chooses the element and part names ("vi" or "en")."""
    import openpyxl  # only exports need it
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = _("Plan")[:31]
    thin = Side(style="thin", color="808080")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    centre = Alignment(wrap_text=True, horizontal="center", vertical="center")
    bold = Font(bold=True)

    def put(row: int, values: list[object], *, font=None, fill=None, align=wrap) -> None:
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column, value=neutralise_cell(value))
            cell.alignment, cell.border = align, box
            if font is not None:
                cell.font = font
            if fill is not None:
                cell.fill = fill

    def title(row: int, text: str, font: Font) -> None:
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
        cell = sheet.cell(row=row, column=1, value=neutralise_cell(text))
        cell.font, cell.alignment = font, centre

    title(1, _("PLAN"), Font(bold=True, size=14))
    title(2, plan.title_vi, Font(bold=True, size=12))
    title(3, unit.name_vi + (f" – {plan.period_label}" if plan.period_label else ""),
          Font(italic=True))
    sheet.row_dimensions[2].height = 32
    put(HEADER_ROW, plan_headers(), font=bold, align=centre,
        fill=PatternFill("solid", fgColor="D9E2F3"))
    row_number = HEADER_ROW + 1
    heading_fill = PatternFill("solid", fgColor="F2F2F2")
    for part in plan_layout(plan):
        part_name = part.names[1] if locale == "en" else part.names[0]
        put(row_number, [part.letter, part_name.upper(), "", "", "", ""], font=bold,
            fill=heading_fill)
        row_number += 1
        for group in part.elements:
            put(row_number, [group.numeral, element_name(group.element, locale).upper(),
                             "", "", "", ""], font=bold)
            row_number += 1
            for number, row in group.rows:
                put(row_number, [number, row.task_vi, row.lead_vi or "",
                                 row.cooperating_vi or "", row.deadline_vi or "",
                                 row.expected_result_vi or ""])
                sheet.cell(row=row_number, column=1).alignment = centre
                row_number += 1
    for letter, width in COLUMN_WIDTHS.items():
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
