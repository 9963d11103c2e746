"""The household survey page (SIPAS household form, QĐ 1001): harassment and unofficial
payments, interest in local policies, expectations, and the SIPAS index by respondent group;
each chart with its table. Same filters as the dashboard."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import get_locale
from flask_login import current_user, login_required

from core.replica import reads_from_replica
from reports.dashboard_model import AGGREGATION_LABELS
from reports.household import CHOICE_QUESTIONS, build_household_report
from reports.page_context import filter_context, request_filters

bp = Blueprint("reports_household", __name__, url_prefix="/quan-tri/bao-cao/ho-gia-dinh")


@bp.get("/")
@login_required
@reads_from_replica
def index():
    """The household survey page: harassment, unofficial payments, expectations, index."""
    filters = request_filters()
    report = build_household_report(current_user, filters, lang=str(get_locale() or "vi")[:2])
    return render_template("reports/household.html", r=report, questions=CHOICE_QUESTIONS,
                           aggregation_label=AGGREGATION_LABELS[report.aggregation],
                           **filter_context(filters, endpoint="reports_household.index"))
