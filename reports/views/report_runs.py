"""The quarterly and yearly reports the job produced (``reports.scheduled``): a list of the
runs of the units the actor may report on, and their download (REPORTS_VIEW on the run's
unit; a run elsewhere answers 404)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from core.access import Permission, require, require_somewhere, unit_scope_clause
from core.audit import record_audit_now
from core.extensions import db
from core.models import Unit
from core.spreadsheets import XLSX_MIMETYPE, content_disposition
from core.views.admin import require_staff
from reports.models import ReportRun
from reports.scheduled import KINDS

bp = Blueprint("reports_runs", __name__, url_prefix="/quan-tri/bao-cao/ky-bao-cao")
bp.before_request(require_staff)

PER_PAGE = 50
KIND_LABELS = {"quarterly": _l("Quarterly"), "yearly": _l("Yearly")}
STATUS_LABELS = {"done": _l("Ready"), "failed": _l("Failed")}


def _page_number(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return 1
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else None


@bp.get("/")
def index():
    """The quarterly and yearly reports produced for the user's units, latest period first."""
    require_somewhere(current_user, Permission.REPORTS_VIEW)
    unknown = set(request.args) - {"kind", "page"}
    kind = request.args.get("kind") or None
    page = _page_number(request.args.get("page"))
    if unknown or (kind is not None and kind not in KINDS) or page is None:
        return render_template("reports/report_runs.html", runs=[], total=0, page=1, pages=1,
                               kind=None, kind_labels=KIND_LABELS, status_labels=STATUS_LABELS,
                               error=_("Unknown filter: show every report or choose quarterly "
                                       "or yearly.")), 400
    clauses = [unit_scope_clause(current_user, Permission.REPORTS_VIEW)]
    if kind is not None:
        clauses.append(ReportRun.kind == kind)
    total = db.session.scalar(select(func.count(ReportRun.id)).join(
        Unit, Unit.id == ReportRun.unit_id).where(*clauses)) or 0
    pages = max(1, -(-total // PER_PAGE))
    # Never load the files themselves for a list.
    rows = db.session.execute(
        select(ReportRun.id, ReportRun.kind, ReportRun.period_label, ReportRun.period_start,
               ReportRun.period_end, ReportRun.status, ReportRun.error, ReportRun.filename,
               ReportRun.size_bytes, ReportRun.created_at, Unit.name_vi, Unit.code)
        .join(Unit, Unit.id == ReportRun.unit_id).where(*clauses)
        .order_by(ReportRun.period_end.desc(), ReportRun.kind, Unit.path)
        .limit(PER_PAGE).offset((min(page, pages) - 1) * PER_PAGE)).all()
    return render_template("reports/report_runs.html", runs=rows, total=total,
                           page=min(page, pages), pages=pages, kind=kind,
                           kind_labels=KIND_LABELS, status_labels=STATUS_LABELS, error=None)


@bp.get("/<int:run_id>/tai-ve")
def download(run_id: int):
    """Download a produced report's XLSX file (the download is logged)."""
    run = db.session.get(ReportRun, run_id)
    if run is None:
        abort(404)
    unit = db.session.get(Unit, run.unit_id)
    require(current_user, Permission.REPORTS_VIEW, unit, object_type="report_run",
            object_id=run.id)
    if run.status != "done" or run.content is None:
        abort(404)
    record_audit_now("reports.run_downloaded", object_type="report_run", object_id=run.id,
                     unit_id=run.unit_id, after={"kind": run.kind, "period": run.period_label})
    response = Response(run.content, mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = content_disposition(
        run.filename or f"sipas-{unit.code}-{run.period_label}.xlsx")
    response.headers["Cache-Control"] = "private, no-store"
    return response
