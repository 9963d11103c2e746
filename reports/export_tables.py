"""The SIPAS dashboard's tables as plain values, ready to be written to a file: one
``ExportTable`` per table, built from the rows of ``reports.dashboard.Dashboard`` (figures
unrounded, a hidden figure as the text "n < min"). ``reports.exports`` writes them as an XLSX
workbook or a CSV.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _

from core.clock import local, now
from core.extensions import db
from core.models import Unit
from feedback.labels import TOPIC_LABELS
from reports.dashboard_model import (
    AGGREGATION_LABELS,
    SCALE5_LABELS,
    Dashboard,
    IndexRow,
    element_name,
)
from reports.formatting import is_missing
from surveys.labels import CHANNEL_LABELS
from surveys.models import Campaign


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"   # a key of reports.exports.NUMBER_FORMATS, "text" or "flag"


@dataclass
class ExportTable:
    """One table of the dashboard as a header and rows of plain values (None = blank)."""

    key: str
    sheet: str
    columns: list[Column]
    rows: list[list[object]]
    # A total line shown in the workbook only (a CSV holds data rows, nothing else).
    footer: list[object] | None = None
    # Further blocks under the first one (the PAKN sheet): a title row, then their own header.
    blocks: list[ExportTable] = field(default_factory=list)


def hidden_text(min_n: int) -> str:
    """What a suppressed figure shows instead of a number."""
    return f"n < {min_n}"


def _number(value: object) -> float | int | None:
    """A finite number, or None: NaN must never reach a cell (Excel would show #NUM!)."""
    if is_missing(value):
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    return float(value)  # type: ignore[arg-type]


def _index(row: IndexRow | None, min_n: int) -> object:
    """The index cell: the number, the "n < 5" text when hidden, blank when there is no row."""
    if row is None:
        return None
    if row.suppressed:
        return hidden_text(min_n)
    return _number(row.index)


def _shown(row: IndexRow, value: float | None) -> float | int | None:
    """A figure derived from the index (interval, mean score): blank when the index is hidden."""
    return None if row.suppressed else _number(value)


# --- the tables -------------------------------------------------------------------------------

def _index_columns() -> list[Column]:
    return [Column(_("Index (%)"), "index"), Column(_("95% CI, low"), "index"),
            Column(_("95% CI, high"), "index"), Column(_("Answers (n)"), "count")]


def _index_values(row: IndexRow, min_n: int) -> list[object]:
    return [_index(row, min_n), _shown(row, row.ci_low), _shown(row, row.ci_high), row.n]


def elements_table(dashboard: Dashboard) -> ExportTable:
    min_n = dashboard.report.min_n
    columns = [Column(_("Code")), Column(_("Element")), *_index_columns(),
               Column(_("Effective n"), "decimal"), Column(_("Mean score"), "score"),
               Column(_("Change (points)"), "index"), Column(_("p-value"), "p"),
               Column(_("Significant (5%)"), "flag"), Column(_("Target (%)"), "index"),
               Column(_("Below target"), "flag"), Column(_("Gap (points)"), "index")]
    rows = []
    for row in dashboard.elements:
        known_change = row.change is not None
        rows.append([row.key, row.label, *_index_values(row, min_n), _number(row.n_eff),
                     _shown(row, row.mean_score), _number(row.change), _number(row.p_value),
                     row.significant if known_change else None, _number(row.target),
                     row.below_target, _number(row.gap)])
    return ExportTable("elements", _("By element"), columns, rows)


def items_table(dashboard: Dashboard) -> ExportTable:
    min_n = dashboard.report.min_n
    elements = {str(r.item_code): r.element for r in dashboard.report.items.itertuples()}
    columns = [Column(_("Item code")), Column(_("Item")), Column(_("Element")),
               *_index_columns(), Column(_("Mean score"), "score"),
               Column(_("Target (%)"), "index"),
               *[Column(str(level), "count") for level in range(1, 6)],
               Column(_("Not applicable"), "count")]
    rows = []
    for row in dashboard.items:
        # The page's label is "code · wording": keep the wording alone beside the code.
        _code, _sep, text = row.label.partition(" · ")
        element = elements.get(row.key)
        rows.append([row.key, text or row.label, element if isinstance(element, str) else None,
                     *_index_values(row, min_n), _shown(row, row.mean_score),
                     _number(row.target), *_distribution(row)])
    return ExportTable("items", _("By item"), columns, rows)


def _distribution(row: IndexRow) -> list[int | None]:
    # Counts of a hidden cell would let anyone rebuild its index: blank, like the page's "—".
    # Answers "not applicable" are outside the index and stay shown: they say why n is small.
    if row.suppressed:
        return [None] * 5 + [row.not_applicable]
    return (list(row.distribution) or [None] * 5) + [row.not_applicable]


def _unit_codes(dashboard: Dashboard) -> dict[str, str]:
    report = dashboard.report
    return {str(unit.id): unit.code for unit in [report.root, *report.units]}


def units_table(dashboard: Dashboard) -> ExportTable:
    min_n = dashboard.report.min_n
    codes = _unit_codes(dashboard)
    columns = [Column(_("Rank"), "count"), Column(_("Unit code")), Column(_("Unit")),
               *_index_columns(), Column(_("Target (%)"), "index"),
               Column(_("Below target"), "flag"), Column(_("Gap (points)"), "index")]
    rows = [[row.rank, codes.get(row.key, ""), row.label, *_index_values(row, min_n),
             _number(row.target), row.below_target, _number(row.gap)]
            for row in dashboard.units]
    return ExportTable("units", _("Unit ranking"), columns, rows)


def heat_table(dashboard: Dashboard) -> ExportTable:
    min_n = dashboard.report.min_n
    codes = _unit_codes(dashboard)
    columns = [Column(_("Unit code")), Column(_("Unit")),
               *[Column(code, "index") for code in dashboard.heat_columns]]
    rows = [[codes.get(unit_row.key, ""), unit_row.label,
             *[_index(cell, min_n) for cell in cells]]
            for unit_row, cells in dashboard.heat_rows]
    return ExportTable("heat", _("Units × elements"), columns, rows)


def trend_table(dashboard: Dashboard) -> ExportTable:
    min_n = dashboard.report.min_n
    columns = [Column(_("Series")), *[Column(period, "index")
                                      for period in dashboard.trend_periods]]
    rows = []
    for key, cells in dashboard.trend.items():
        label = _("SIPAS index") if key == "overall" else element_name(key)
        rows.append([label, *[_index(cell, min_n) for cell in cells]])
    return ExportTable("trend", _("Trend"), columns, rows)


def distribution_table(dashboard: Dashboard) -> ExportTable:
    columns = [Column(_("Code")), Column(_("Element")),
               *[Column(f"{level} – {label}", "count")
                 for level, label in enumerate(SCALE5_LABELS, start=1)],
               Column(_("Not applicable"), "count"), Column(_("Answers (n)"), "count")]
    rows = [[row.key, row.label, *_distribution(row), row.n] for row in dashboard.elements]
    return ExportTable("distribution", _("Answer distribution"), columns, rows)


def sample_table(dashboard: Dashboard) -> ExportTable:
    columns = [Column(_("Unit")), Column(_("Channel")), Column(_("Checks")),
               Column(_("Responses"), "count")]
    rows = [[unit, channel, quality, responses]
            for unit, channel, quality, responses in dashboard.sample]
    footer = [_("Total"), None, None, dashboard.sample_total] if rows else None
    return ExportTable("sample", _("Sample"), columns, rows, footer=footer)


def gaps_table(dashboard: Dashboard) -> ExportTable:
    columns = [Column(_("Figure")), Column(_("Where")), Column(_("Value"), "index"),
               Column(_("Target (%)"), "index"), Column(_("Gap (points)"), "index")]
    rows = [[str(gap["what"]), str(gap["scope"]), _number(gap["value"]),
             _number(gap["target"]), _number(gap["distance"])] for gap in dashboard.gaps]
    return ExportTable("gaps", _("Targets missed"), columns, rows)


TABLE_BUILDERS = {"elements": elements_table, "items": items_table, "units": units_table,
                  "heat": heat_table, "trend": trend_table,
                  "distribution": distribution_table, "sample": sample_table,
                  "gaps": gaps_table}


def _local_naive(moment: datetime | None) -> datetime | None:
    # Excel has no time zones: write Vietnam's wall-clock time.
    return None if moment is None else local(moment).replace(tzinfo=None)


def summary_table(dashboard: Dashboard) -> ExportTable:
    report = dashboard.report
    filters = report.filters
    campaign: str = _("All ratings")
    if filters.campaign == "none":
        campaign = _("Continuous desk ratings only")
    elif filters.campaign is not None:
        found = db.session.get(Campaign, filters.campaign)
        campaign = found.name_vi if found is not None else str(filters.campaign)
    if filters.channel:
        channel = str(CHANNEL_LABELS.get(filters.channel, filters.channel))  # type: ignore[call-overload]
    else:
        channel = _("All channels")
    rows: list[list[object]] = [
        [_("Report"), _("SIPAS satisfaction index")],
        [_("Unit (with the units under it)"), report.root.name_vi],
        [_("Unit code"), report.root.code],
        [_("Period"), filters.period],
        [_("From"), filters.first_day],
        [_("To"), filters.last_day],
        [_("Compared with"), report.previous_label],
        [_("Campaign"), campaign],
        [_("Channel"), channel],
        [_("Responses flagged for review"),
         _("Included") if filters.include_flagged else _("Left out")],
        [_("Aggregation"), str(AGGREGATION_LABELS.get(report.aggregation,
                                                      report.aggregation))],
        [_("Minimum answers for a figure"), report.min_n],
        [_("Element target (%)"), report.target],
        [_("Figures as of"), _local_naive(report.refreshed_at)],
        [_("Produced at"), _local_naive(now())],
        [_("Method"), _("Index = share of answers “satisfied” or “very satisfied” among valid "
                        "answers (QĐ 1001/QĐ-BNV); 95%% Wilson intervals; a figure resting on "
                        "fewer than the minimum number of answers is hidden (“n < %(n)s”).",
                        n=report.min_n)],
    ]
    headline_columns = [Column(_("Figure")), *_index_columns(),
                        Column(_("Change (points)"), "index"),
                        Column(_("Significant (5%)"), "flag")]
    headline = [[row.label, *_index_values(row, report.min_n), _number(row.change),
                 row.significant if row.change is not None else None]
                for row in ([dashboard.overall] if dashboard.overall else [])
                + dashboard.components]
    return ExportTable("summary", _("Summary"), [Column(_("Field")), Column(_("Value"))],
                       rows, blocks=[ExportTable("headline", _("Headline figures"),
                                                 headline_columns, headline)])


def pakn_table(dashboard: Dashboard) -> ExportTable:
    pakn = dashboard.pakn
    columns = [Column(_("Figure")), Column(_("Value"), "decimal")]
    if pakn is None:
        return ExportTable("pakn", "PAKN", columns, [
            [_("PAKN figures are not part of this report."), None]])
    rows: list[list[object]] = [
        [_("Received"), pakn.received], [_("Answered"), pakn.answered],
        [_("With a deadline"), pakn.timed], [_("Handled on time"), pakn.on_time],
        [_("On time (%)"), _number(pakn.on_time_share)], [_("Handled late"), pakn.late],
        [_("Still open"), pakn.open_cases], [_("Of which overdue"), pakn.overdue],
        [_("Median handling time (working days)"), _number(pakn.median_days)],
        [_("On-time target (%)"), pakn.target]]
    outcomes = ExportTable("outcomes", _("On time by outcome"), [
        Column(_("Outcome")), Column(_("On time (%)"), "index"),
        Column(_("With a deadline"), "count")],
        [[row.label, _number(row.index), row.n] for row in pakn.by_outcome])
    backlog = ExportTable("backlog", _("Open cases by age (working days)"), [
        Column(_("Age")), Column(_("Open"), "count"), Column(_("Overdue"), "count")],
        [[bucket, open_cases, overdue] for bucket, open_cases, overdue in pakn.backlog])
    names = dashboard.report.unit_names

    def unit_name(unit_id: int | None) -> str:
        if unit_id is None:
            return ""
        if unit_id not in names:
            unit = db.session.get(Unit, unit_id)
            return unit.name_vi if unit is not None else ""
        return names[unit_id]

    late = ExportTable("late", _("Late cases (open and past their deadline): %(count)s",
                                 count=pakn.late_total), [
        Column(_("Register no.")), Column(_("Topic")), Column(_("Handling unit")),
        Column(_("Due"), "datetime"), Column(_("Working days late"), "count")],
        [[f"{case.register_seq}/{case.register_year}" if case.register_seq
          else f"#{case.case_id}", str(TOPIC_LABELS.get(case.topic, case.topic)),
          unit_name(case.handling_unit_id), _local_naive(case.due_at),
          case.working_days_late] for case in pakn.late_cases])
    return ExportTable("pakn", "PAKN", columns, rows, blocks=[outcomes, backlog, late])
