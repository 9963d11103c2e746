"""The analyst's sections of "Việc của tôi" (core.worklists): the latest SIPAS figures of the
units they report on, and the targets missed (elements and units below target), registered by
``reports.init_app``.

Both read the same figures as the dashboard (reports.indices, the month rollups) for the
current half-year, computed once per rollup refresh for each unit the analyst reports on.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from flask import Flask, current_app, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.access import Permission
from core.models import Role, Unit, User
from core.worklists import ITEMS_SHOWN, Section, WorkItem, WorkResult, register_section
from reports.dashboard_model import element_name
from reports.filters import ReportFilters, current_half_year, report_roots
from reports.indices import SipasReport, sipas_report_for_unit
from surveys.month_rollups import month_rollup_state

MAX_ROOTS = 3
CACHE = "langnghe_worklist_figures"
# The figures change only when the month rollups take in new responses (a job every minute):
# a summary is kept while the rollup watermark stays, at most this long.
CACHE_SECONDS = 300
MAX_CACHED = 200


@dataclass(frozen=True)
class Summary:
    figure: tuple[str, str]
    missed: list[WorkItem]


def _summaries(user: User) -> list[Summary]:
    """The current half-year's summary of each unit the analyst reports on (at most 3)."""
    return [_summary(root) for root in report_roots(user, Permission.REPORTS_VIEW)[:MAX_ROOTS]]


def _key(root: Unit, period: str) -> tuple:
    state = month_rollup_state()
    return root.id, period, state.watermark, state.refreshed_at, str(get_locale())


def _summary(root: Unit) -> Summary:
    """From the dashboard's own figures (reports.indices), computed once per rollup refresh:
    a full SIPAS report costs about 0.2 s of CPU, too much for a landing page."""
    cache = current_app.extensions.setdefault(CACHE, {})
    period = current_half_year()
    hit = cache.get(_key(root, period))
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    report = sipas_report_for_unit(root, ReportFilters(
        period=period, unit_id=root.id, campaign=None, channel=None, include_flagged=False))
    summary = Summary(_figure(report), _missed(report))
    if len(cache) > MAX_CACHED:
        cache.clear()
    cache[_key(root, period)] = (time.monotonic() + CACHE_SECONDS, summary)
    return summary


def _pct(value: object) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else f"{float(value):.1f}%"


def _dashboard(unit_id: int) -> str:
    return url_for("reports_dashboard.index", unit=unit_id)


def _figure(report: SipasReport) -> tuple[str, str]:
    if not report.has_data:
        return report.root.name_vi, _("no answers yet")
    row = report.current.overall.iloc[0]
    value = _("n < %(n)d", n=report.min_n) if bool(row["suppressed"]) else _pct(row["index"])
    return f"{report.root.name_vi} · {report.filters.period}", f"{value} (n = {int(row['n'])})"


def _missed(report: SipasReport) -> list[WorkItem]:
    """Elements under the target, then child units whose overall index is under theirs."""
    link = _dashboard(report.root.id)
    items = [WorkItem(title=f"{report.root.name_vi}: {element_name(gap.element)}", url=link,
                      note=_("%(value)s, target %(target)s", value=_pct(gap.index_pct),
                             target=_pct(gap.target_pct)))
             for gap in report.element_gaps() if gap.index_pct is not None]
    ranking = report.ranking
    below = ranking[ranking["below_target"]] if len(ranking) else ranking
    for row in below.itertuples():
        if int(row.unit_id) != report.root.id:
            items.append(WorkItem(
                title=report.unit_names.get(int(row.unit_id), str(row.unit_id)),
                url=_dashboard(int(row.unit_id)),
                note=_("%(value)s, target %(target)s", value=_pct(row.index),
                       target=_pct(row.target))))
    return items


def analyst_figures(user: User) -> WorkResult:
    """The overall satisfaction index and its sample of each unit reported on."""
    summaries = _summaries(user)
    roots = report_roots(user, Permission.REPORTS_VIEW)
    more = _dashboard(roots[0].id) if roots else url_for("reports_dashboard.index")
    return WorkResult(len(summaries), figures=[s.figure for s in summaries], more_url=more)


def analyst_missed(user: User) -> WorkResult:
    """Elements and child units under target, over the units reported on."""
    items = [item for summary in _summaries(user) for item in summary.missed]
    return WorkResult(len(items), items[:ITEMS_SHOWN], url_for("reports_dashboard.index"))


def register_work_lists(app: Flask) -> None:
    register_section(app, Section(
        key="analyst_figures", role=Role.ANALYST, title=_l("Latest figures"),
        query=analyst_figures, order=50))
    register_section(app, Section(
        key="analyst_missed", role=Role.ANALYST, title=_l("Missed targets"),
        query=analyst_missed, order=51, empty=_l("Every figure shown meets its target.")))
