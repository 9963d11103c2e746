"""The SIPAS dashboard for analysts and leaders (and a unit's own staff, limited to its
subtree): filters, element bars, trend, ranking, distribution, heat map, PAKN KPIs, each chart
with its table."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from core.replica import reads_from_replica
from reports.dashboard import build_dashboard
from reports.dashboard_model import AGGREGATION_LABELS
from reports.indices import build_sipas_report
from reports.page_context import filter_context, request_filters

bp = Blueprint("reports_dashboard", __name__, url_prefix="/quan-tri/bao-cao")


@bp.get("/")
@login_required
@reads_from_replica
def index():
    """The SIPAS dashboard: element bars, trend, ranking, heat map and PAKN KPIs, filtered."""
    filters = request_filters()
    report = build_sipas_report(current_user, filters)
    dashboard = build_dashboard(current_user, report)
    return render_template("reports/dashboard.html", d=dashboard, r=report,
                           aggregation_label=AGGREGATION_LABELS[report.aggregation],
                           **filter_context(filters, endpoint="reports_dashboard.index"))
