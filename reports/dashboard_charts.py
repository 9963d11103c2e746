"""The dashboard's charts, drawn from the same rows as the tables beside them (built by
:mod:`reports.dashboard`, defined in :mod:`reports.dashboard_model`), so a chart and its table
can never disagree."""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from reports.charts import (
    Bar,
    Series,
    element_bars,
    heat_map,
    kpi_bars,
    ranking_bars,
    stacked_distribution,
    trend_lines,
)
from reports.dashboard_model import (
    SCALE5_LABELS,
    Dashboard,
    IndexRow,
    component_label,
    element_name,
)


def draw_charts(dashboard: Dashboard) -> dict[str, Markup]:
    report = dashboard.report
    note = _("fewer than %(n)s answers", n=report.min_n)
    # Drawn in page order: default chart ids count up, so reordering would renumber them.
    charts = {
        "elements": element_bars(
            _bars(dashboard.elements, note), target=report.target,
            title=_("Satisfaction by element, %(period)s", period=report.filters.period)),
        "units": ranking_bars(
            _bars(dashboard.units, note), target=report.target,
            title=_("SIPAS index by unit, %(period)s", period=report.filters.period)),
        "distribution": _distribution_chart(dashboard, note),
        "trend": trend_lines(_trend_series(dashboard), target=report.target,
                             title=_("Trend by period")),
        "heat": _heat_chart(dashboard),
    }
    if dashboard.pakn is not None:
        charts["pakn"] = kpi_bars(
            _bars(dashboard.pakn.by_outcome, note), target=dashboard.pakn.target,
            unit="%", max_value=100.0, title=_("PAKN handled on time, by outcome"))
    return charts


def _bars(rows: list[IndexRow], suppressed_note: str) -> list[Bar]:
    return [Bar(label=row.label, value=row.index, low=row.ci_low, high=row.ci_high,
                n=row.n, note=suppressed_note if row.suppressed else None, key=row.key)
            for row in rows]


def _distribution_chart(dashboard: Dashboard, suppressed_note: str) -> Markup:
    return stacked_distribution(
        [(row.label, None if row.suppressed else list(row.distribution))
         for row in dashboard.elements],
        labels=[str(label) for label in SCALE5_LABELS],
        title=_("Answers by level, per element"), hidden_note=suppressed_note)


def _trend_series(dashboard: Dashboard) -> list[Series]:
    # The chart shows the index and its two components (nine element lines are unreadable);
    # the table under it has every element.
    lines = {"overall": dashboard.trend["overall"], **dashboard.trend_components}
    return [Series(label=_("SIPAS index") if key == "overall" else component_label(key),
                   points=[_trend_point(period, row)
                           for period, row in zip(dashboard.trend_periods, rows, strict=True)])
            for key, rows in lines.items()]


def _trend_point(period: str, row: IndexRow | None) -> tuple:
    """The point as trend_lines takes it; no row, or a suppressed one, leaves a gap."""
    if row is None:
        return (period, None, None, None)
    return (period, None if row.suppressed else row.index, row.ci_low, row.ci_high)


def _heat_chart(dashboard: Dashboard) -> Markup:
    return heat_map(
        [row.label for row, _cells in dashboard.heat_rows],
        [element_name(code) for code in dashboard.heat_columns],
        [[None if cell is None else cell.index for cell in cells]
         for _row_, cells in dashboard.heat_rows],
        target=dashboard.report.target, title=_("Units × elements"))
