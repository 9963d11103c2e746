"""The printable survey report (A4): method, sample, results with intervals and charts,
comparison with the previous period, ranking of units, PAKN and recommendations, for the same
filters and scope as the SIPAS dashboard."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from core.clock import now
from core.replica import reads_from_replica
from core.views.admin import require_staff
from reports.dashboard_model import AGGREGATION_LABELS
from reports.indices import build_sipas_report
from reports.page_context import filter_context, request_filters
from reports.survey_report import build_survey_report

bp = Blueprint("reports_survey_report", __name__, url_prefix="/quan-tri/bao-cao")
bp.before_request(require_staff)


@bp.get("/bao-cao-khao-sat", endpoint="show")
@reads_from_replica
def show():
    """The printable survey report (A4) for the dashboard's filters and scope."""
    filters = request_filters()
    report = build_sipas_report(current_user, filters)
    survey = build_survey_report(current_user, report)
    return render_template(
        "reports/survey_report.html", s=survey, d=survey.dashboard, r=report,
        aggregation_label=AGGREGATION_LABELS.get(report.aggregation, report.aggregation),
        produced_at=now(), **filter_context(filters, endpoint="reports_survey_report.show"))
