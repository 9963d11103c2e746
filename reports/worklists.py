"""The analyst's sections of "Việc của tôi" (core.worklists): the latest SIPAS figures of the
units they report on, and the targets missed (elements and units below target), registered by
``reports.init_app``.

Both read the same figures as the dashboard (reports.indices, the month rollups) for the
current half-year, computed once per request for each unit the analyst reports on.
"""

from __future__ import annotations

import math

from flask import Flask, g, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.access import Permission
from core.models import Role, User
from core.worklists import ITEMS_SHOWN, Section, WorkItem, WorkResult, register_section
from reports.dashboard import element_name
from reports.filters import ReportFilters, current_half_year, report_roots
from reports.indices import SipasReport, sipas_report_for_unit

MAX_ROOTS = 3


def _reports(user: User) -> list[SipasReport]:
    """The current half-year's report of each unit the analyst reports on (at most 3)."""
    cached = g.get("_worklist_reports")
    if cached is not None and cached[0] == user.id:
        return cached[1]
    period = current_half_year()
    reports = [sipas_report_for_unit(root, ReportFilters(
        period=period, unit_id=root.id, campaign=None, channel=None, include_flagged=False))
        for root in report_roots(user, Permission.REPORTS_VIEW)[:MAX_ROOTS]]
    g._worklist_reports = (user.id, reports)
    return reports


def _pct(value: object) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else f"{float(value):.1f}%"


def _dashboard(unit_id: int) -> str:
    return url_for("reports_dashboard.index", unit=unit_id)


def analyst_figures(user: User) -> WorkResult:
    """The overall satisfaction index and its sample of each unit reported on."""
    figures = []
    reports = _reports(user)
    for report in reports:
        overall = report.current.overall
        if not report.has_data:
            figures.append((report.root.name_vi, _("no answers yet")))
            continue
        row = overall.iloc[0]
        value = _("n < %(n)d", n=report.min_n) if bool(row["suppressed"]) else _pct(row["index"])
        figures.append((f"{report.root.name_vi} · {report.filters.period}",
                        f"{value} (n = {int(row['n'])})"))
    more = _dashboard(reports[0].root.id) if reports else url_for("reports_dashboard.index")
    return WorkResult(len(reports), figures=figures, more_url=more)


def analyst_missed(user: User) -> WorkResult:
    """Elements under the target, then child units whose overall index is under theirs."""
    items: list[WorkItem] = []
    for report in _reports(user):
        link = _dashboard(report.root.id)
        for gap in report.element_gaps():
            if gap.index_pct is not None:
                items.append(WorkItem(
                    title=f"{report.root.name_vi}: {element_name(gap.element)}", url=link,
                    note=_("%(value)s, target %(target)s", value=_pct(gap.index_pct),
                           target=_pct(gap.target_pct))))
        ranking = report.ranking
        below = ranking[ranking["below_target"]] if len(ranking) else ranking
        for row in below.itertuples():
            if int(row.unit_id) == report.root.id:
                continue
            items.append(WorkItem(
                title=report.unit_names.get(int(row.unit_id), str(row.unit_id)),
                url=_dashboard(int(row.unit_id)),
                note=_("%(value)s, target %(target)s", value=_pct(row.index),
                       target=_pct(row.target))))
    return WorkResult(len(items), items[:ITEMS_SHOWN], url_for("reports_dashboard.index"))


def register_work_lists(app: Flask) -> None:
    register_section(app, Section(
        key="analyst_figures", role=Role.ANALYST, title=_l("Latest figures"),
        query=analyst_figures, order=50))
    register_section(app, Section(
        key="analyst_missed", role=Role.ANALYST, title=_l("Missed targets"),
        query=analyst_missed, order=51, empty=_l("Every figure shown meets its target.")))
