"""Back office: dossier ratings under TT 01/2018 by unit, for a quarter or a whole year, with
CSV and XLSX exports of the table (Permission.REPORTS_VIEW). GET filters, no JavaScript."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from wtforms import SelectField
from wtforms.validators import InputRequired, Optional

from core.access import Permission, require, visible_units
from core.audit import record_audit_now
from core.clock import today
from core.exceptions import ServiceError
from core.forms import BaseForm
from core.models import UnitKind
from core.replica import reads_from_replica
from core.spreadsheets import csv_response, xlsx_response
from core.views.admin import require_staff
from reports.dossier_ratings import (
    BAND_LABELS,
    FIRST_YEAR,
    GRADE_LABELS,
    INDICATOR_NAMES,
    INDICATOR_NOTES,
    DossierRatingReport,
    RatingQuery,
    build_dossier_ratings,
    rounded,
    table_rows,
)

bp = Blueprint("reports_dossiers", __name__, url_prefix="/quan-tri/bao-cao/ho-so")
bp.before_request(require_staff)


class RatingFilterForm(BaseForm):
    class Meta:
        csrf = False  # a GET report form: nothing changes

    unit = SelectField(_l("Unit"), validators=[Optional()])
    year = SelectField(_l("Year"), validators=[InputRequired()])
    quarter = SelectField(_l("Period"), validators=[Optional()])


def _form() -> RatingFilterForm:
    """The filters from the query string; the current quarter when there is none."""
    day = today()
    form = RatingFilterForm(formdata=request.args or MultiDict({
        "year": str(day.year), "quarter": str((day.month - 1) // 3 + 1)}))
    form.unit.choices = [("", _("All my units"))] + [
        (str(unit.id), "— " * unit.depth + unit.name_vi)
        for unit in visible_units(current_user, Permission.REPORTS_VIEW)
        if unit.kind != UnitKind.DESK.value]
    form.year.choices = [(str(y), str(y)) for y in range(day.year + 1, FIRST_YEAR - 1, -1)]
    form.quarter.choices = [("", _("Whole year"))] + [
        (str(q), _("Quarter %(number)s", number=q)) for q in range(1, 5)]
    return form


def _query(form: RatingFilterForm) -> RatingQuery:
    return RatingQuery(unit_id=int(form.unit.data) if form.unit.data else None,
                       year=int(form.year.data),
                       quarter=int(form.quarter.data) if form.quarter.data else None)


def _report(form: RatingFilterForm) -> DossierRatingReport | None:
    """The report, or None when a filter is not valid (the form then carries the error)."""
    if not form.validate():
        return None
    try:
        return build_dossier_ratings(current_user, _query(form))
    except ServiceError as error:
        getattr(form, error.field or "unit", form.unit).errors.append(error.message)
        return None


def figure(value: float | None, digits: int = 1) -> str:
    """A figure as the page shows it (rounded here, never before): "—" when missing."""
    shown = rounded(value, digits)
    if shown is None:
        return "—"
    return format_decimal(Decimal(repr(shown)), format="#,##0." + "0" * digits)


@bp.context_processor
def _helpers() -> dict:
    return {"figure": figure, "grade_labels": GRADE_LABELS, "band_labels": BAND_LABELS,
            "indicator_names": INDICATOR_NAMES, "indicator_notes": INDICATOR_NOTES}


@bp.get("/")
@reads_from_replica
def index():
    """Dossier ratings under TT 01/2018 by unit, for a quarter or a whole year."""
    require(current_user, Permission.REPORTS_VIEW, None)
    form = _form()
    report = _report(form)
    status = 200 if report is not None else 400
    return render_template("reports/dossier_ratings.html", form=form, report=report,
                           query=request.query_string.decode()), status


@bp.get("/xuat.<fmt>")
@reads_from_replica
def export(fmt: str):
    """The dossier ratings table as CSV or XLSX (the export is logged)."""
    require(current_user, Permission.REPORTS_VIEW, None)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    report = _report(_form())
    if report is None:
        abort(400)
    record_audit_now("reports.dossier_ratings_exported", after={
        "format": fmt, "unit_id": report.query.unit_id, "period": report.query.label})
    rows = table_rows(report)
    name = f"danh-gia-ho-so-{report.query.label}-{today():%Y%m%d}.{fmt}"
    if fmt == "csv":
        return csv_response(rows, name)
    return xlsx_response(rows, name, report.query.label)

