"""Admin page: import organisation units from a CSV or XLSX file, and its template file."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField

from core.access import Permission, can, can_globally, visible_units
from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.spreadsheets import csv_response
from core.unit_format import KIND_WORDS_VI, TEMPLATE_HEADERS
from core.unit_import import MAX_BYTES, MAX_ROWS, import_units
from core.views.admin import bp


class UnitImportForm(BaseForm):
    file = FileField(_l("Spreadsheet file (CSV UTF-8 or Excel .xlsx)"),
                     validators=[FileRequired(message=_l("Choose a file to import."))],
                     render_kw={"accept": ".csv,.xlsx,text/csv"})
    dry_run = BooleanField(_l("Check only (dry run): report problems, save nothing"))


@bp.route("/don-vi/nhap", methods=["GET", "POST"])
def units_import():
    if not can(current_user, Permission.UNITS_MANAGE):
        abort(403)
    form = UnitImportForm()
    if not form.validate_on_submit():
        return _page(form), 400 if form.is_submitted() else 200
    upload = form.file.data
    try:
        # Read one byte past the cap so the service can tell "too large" (413) from "at the cap".
        report = import_units(upload.stream.read(MAX_BYTES + 1), upload.filename or "",
                              actor=current_user, dry_run=form.dry_run.data)
    except ServiceError as error:
        db.session.rollback()
        form.file.errors.append(error.message)
        return _page(form), error.status
    if report.errors or report.dry_run:
        db.session.rollback()
        return _page(form, report), 400 if report.errors else 200
    db.session.commit()
    flash(_("Import finished. Created: %(created)s, updated: %(updated)s, unchanged: "
            "%(unchanged)s.", created=report.created, updated=report.updated,
            unchanged=report.unchanged), "success")
    return redirect(url_for("admin.units"))


@bp.get("/don-vi/nhap/mau.csv")
def units_import_template():
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


def _page(form: UnitImportForm, report=None) -> str:
    return render_template("admin/units_import.html", form=form, report=report,
                           max_mb=MAX_BYTES // (1024 * 1024), max_rows=MAX_ROWS,
                           kind_words=KIND_WORDS_VI)
