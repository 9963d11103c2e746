"""Questionnaire reliability (Cronbach's alpha per element, item–total table) for analysts
judging a form, per questionnaire version, over the dashboard's filters."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import get_locale
from flask_login import current_user, login_required

from core.replica import reads_from_replica
from reports.page_context import filter_context, request_filters
from reports.reliability import (
    ALPHA_ACCEPTABLE,
    build_reliability_report,
    missing_alpha_reason,
    parse_version,
)

bp = Blueprint("reports_reliability", __name__, url_prefix="/quan-tri/bao-cao/do-tin-cay")


@bp.get("/")
@login_required
@reads_from_replica
def index():
    """Questionnaire reliability: Cronbach's alpha per element and the item-total table."""
    filters = request_filters(allowed_extra={"version"})
    version_id = parse_version(request.args.getlist("version"))
    report = build_reliability_report(current_user, filters, version_id,
                                      lang=str(get_locale() or "vi")[:2])
    return render_template("reports/reliability.html", r=report, threshold=ALPHA_ACCEPTABLE,
                           missing_reason=missing_alpha_reason,
                           **filter_context(filters, endpoint="reports_reliability.index"))
