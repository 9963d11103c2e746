"""League tables for analysts and leaders (/quan-tri/bao-cao/xep-hang/): the direct sub-units
of a unit ranked by SIPAS index and PAKN on-time rate, with intervals, rank bands, the
comparison with the median unit and the sample size of every unit (figures under the minimum
cell size stay hidden, as on the dashboard). Same filters and scope as the dashboard
(Permission.REPORTS_VIEW on the unit), with CSV and XLSX exports."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from core.access import Permission
from core.audit import record_audit_now
from core.clock import now, today
from core.extensions import db
from core.models import Unit
from core.replica import reads_from_replica
from core.spreadsheets import csv_response, xlsx_response
from core.views.admin import require_staff
from feedback.case_access import case_scope_clause
from reports.filters import ReportFilters
from reports.league import LeaguePage, build_league, export_rows
from reports.page_context import filter_context, request_filters

bp = Blueprint("reports_league", __name__, url_prefix="/quan-tri/bao-cao/xep-hang")
bp.before_request(require_staff)
FORMATS = ("csv", "xlsx")


def _page(filters: ReportFilters) -> LeaguePage:
    """The league of the filters' unit (parse_filters checked REPORTS_VIEW on it)."""
    root = db.get_or_404(Unit, filters.unit_id)
    return build_league(root, filters, moment=now(), public=False,
                        case_scope=case_scope_clause(current_user, Permission.REPORTS_VIEW))


@bp.get("/")
@reads_from_replica
def index():
    """League tables of a unit's sub-units by SIPAS index and PAKN on-time rate."""
    filters = request_filters()
    return render_template("reports/league.html", page=_page(filters),
                           **filter_context(filters, endpoint="reports_league.index"))


@bp.get("/xuat.<fmt>")
@reads_from_replica
def export(fmt: str):
    """Both league tables as CSV or XLSX, for the page's filters (the export is logged)."""
    if fmt not in FORMATS:
        abort(404)
    filters = request_filters()
    page = _page(filters)
    rows = export_rows(page)
    record_audit_now("reports.export", object_type="unit", object_id=page.root.id,
                     unit_id=page.root.id, after={"format": fmt, "table": "league",
                                                  **filters.query_args()})
    name = f"xep-hang-{page.root.code}-{filters.period}-{today():%Y%m%d}.{fmt}"
    if fmt == "csv":
        return csv_response(rows, name)
    return xlsx_response(rows, name, filters.period)
