"""Admin page: import organisation units from a CSV or XLSX file, and its template file."""

from __future__ import annotations

from functools import partial

from flask import abort, render_template, url_for
from flask_babel import get_locale
from flask_login import current_user

from core.access import Permission, can, can_globally, visible_units
from core.import_page import SpreadsheetImportForm, handle_import
from core.spreadsheets import csv_response
from core.unit_format import KIND_WORDS_VI, TEMPLATE_HEADERS
from core.unit_import import MAX_BYTES, MAX_ROWS, import_units
from core.views.admin import bp


@bp.route("/don-vi/nhap", methods=["GET", "POST"])
def units_import():
    """Import units from a spreadsheet (or check it only)."""
    if not can(current_user, Permission.UNITS_MANAGE):
        abort(403)
    return handle_import(SpreadsheetImportForm(), partial(import_units, actor=current_user),
                         MAX_BYTES, _page, url_for("admin.units"))


@bp.get("/don-vi/nhap/mau.csv")
def units_import_template():
    """A CSV template with the headers in the reader's language and two example rows."""
    if not can(current_user, Permission.UNITS_MANAGE):
        abort(403)
    # The example hangs under a unit this person may manage, so the template imports as is.
    managed = visible_units(current_user, Permission.UNITS_MANAGE)
    top = "" if can_globally(current_user, Permission.UNITS_MANAGE) or not managed \
        else managed[0].code
    rows = [
        TEMPLATE_HEADERS.get(str(get_locale() or "vi"), TEMPLATE_HEADERS["en"]),
        ["VD-SO", top, "Sở Ví dụ", "Example Department", "sở", "0205 3812 345",
         "vanthu@vidu.gov.vn", "Số 1 đường Ví Dụ", "Thứ Hai – Thứ Sáu, 7:30–17:00", 1, 1],
        ["VD-SO-MC", "VD-SO", "Bộ phận Một cửa", "One-stop desk", "quầy", "", "", "", "", 2, 1],
    ]
    return csv_response(rows, "mau-nhap-don-vi.csv")


def _page(form: SpreadsheetImportForm, report=None) -> str:
    return render_template("admin/units_import.html", form=form, report=report,
                           max_mb=MAX_BYTES // (1024 * 1024), max_rows=MAX_ROWS,
                           kind_words=KIND_WORDS_VI)
