"""Downloads of the SIPAS dashboard: the whole dashboard as XLSX, or one table as CSV, for the
same filters as the page (and the same scope: REPORTS_VIEW on the unit asked for)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request
from flask_babel import gettext as _
from flask_login import current_user

from core.access import Permission, require_somewhere
from core.audit import record_audit_now
from core.replica import reads_from_replica
from core.spreadsheets import XLSX_MIMETYPE, content_disposition
from core.views.admin import require_staff
from reports.dashboard import build_dashboard
from reports.exports import (
    CSV_TABLES,
    dashboard_csv,
    dashboard_workbook,
    export_filename,
)
from reports.filters import FilterError, parse_filters
from reports.indices import build_sipas_report

bp = Blueprint("reports_exports", __name__, url_prefix="/quan-tri/bao-cao")
bp.before_request(require_staff)
FORMATS = ("xlsx", "csv")


def _bad_request(message: str) -> Response:
    # A download link has no page to go back to: the message alone, as plain text.
    return Response(message, status=400, mimetype="text/plain")


@bp.get("/xuat.<fmt>", endpoint="dashboard")
@reads_from_replica
def export_dashboard(fmt: str):
    """The dashboard as XLSX, or one of its tables as CSV, for the page's filters."""
    if fmt not in FORMATS:
        abort(404)
    require_somewhere(current_user, Permission.REPORTS_VIEW)
    try:
        filters = parse_filters(request.args, current_user, allowed_extra={"table"})
    except FilterError as error:
        return _bad_request(str(error))
    tables = request.args.getlist("table")
    if len(tables) > 1:
        return _bad_request(_("The filter “%(name)s” is given twice.", name="table"))
    table = (tables[0].strip() if tables else "") or "elements"
    if table not in CSV_TABLES:
        return _bad_request(_("Unknown table “%(value)s”: use %(choices)s.", value=table,
                              choices=", ".join(CSV_TABLES)))

    report = build_sipas_report(current_user, filters)
    dashboard = build_dashboard(current_user, report)
    if fmt == "xlsx":
        body, mimetype = dashboard_workbook(dashboard), XLSX_MIMETYPE
        filename = export_filename(dashboard, fmt)
    else:
        body, mimetype = dashboard_csv(dashboard, table), "text/csv"
        filename = export_filename(dashboard, fmt, table)
    record_audit_now("reports.export", object_type="unit", object_id=report.root.id,
                     unit_id=report.root.id, after={
                         "format": fmt, "table": table if fmt == "csv" else None,
                         **filters.query_args(), "bytes": len(body)})
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response
