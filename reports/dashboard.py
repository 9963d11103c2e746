"""What the dashboard shows, as plain rows: one list per table, and the charts drawn from the
same rows, so a chart and the table beside it can never disagree. Also used by the printable
report and the exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from analysis.comparisons import target_gaps
from analysis.periods import previous_period
from analysis.sipas import VALUE_COLUMNS
from core.access import Actor, Permission, can
from core.settings import get_setting
from feedback.kpis import LateCase, late_cases, pakn_kpis
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
from reports.formatting import is_missing
from reports.indices import ELEMENT_ORDER, SipasReport
from surveys.instrument_rules import ELEMENTS
from surveys.labels import CHANNEL_LABELS, QUALITY_LABELS

COMPONENT_LABELS = {"I": _l("I. Making and carrying out policy"),
                    "II": _l("II. Administrative services")}
SCALE5_LABELS = [_l("Very dissatisfied"), _l("Dissatisfied"), _l("Neutral"), _l("Satisfied"),
                 _l("Very satisfied")]
AGGREGATION_LABELS = {"item_mean": _l("mean of item indices"),
                      "pooled": _l("pooled answers")}
RATED_TYPES = ("scale5", "scale3")
OUTCOME_LABELS = {"answered": _l("Answered"), "not_accepted": _l("Not accepted"),
                  "transferred": _l("Transferred"), "total": _l("All outcomes")}


def _lang() -> str:
    return str(get_locale() or "vi")[:2]


def element_name(code: str) -> str:
    names = ELEMENTS.get(code)
    if names is None:
        return code
    return f"{code}. {names[0] if _lang() == 'vi' else names[1]}"


@dataclass(frozen=True)
class IndexRow:
    key: str
    label: str
    index: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    n_eff: float
    mean_score: float | None
    suppressed: bool
    distribution: tuple[int, ...] = ()
    # Answers "không áp dụng": outside n and every index, shown beside the distribution.
    not_applicable: int = 0
    change: float | None = None
    p_value: float | None = None
    significant: bool = False
    target: float | None = None
    below_target: bool = False
    rank: int | None = None

    @property
    def gap(self) -> float | None:
        if self.index is None or self.target is None or not self.below_target:
            return None
        return self.target - self.index


def _value(value: object) -> float | None:
    return None if is_missing(value) else float(value)  # type: ignore[arg-type]


def _row(key: str, label: str, record: pd.Series, *, change: pd.Series | None = None,
         target: float | None = None) -> IndexRow:
    index = _value(record["index"])
    return IndexRow(
        key=key, label=label, index=index, ci_low=_value(record["ci_low"]),
        ci_high=_value(record["ci_high"]), n=int(record["n"]), n_eff=float(record["n_eff"]),
        mean_score=_value(record["mean_score"]), suppressed=bool(record["suppressed"]),
        distribution=tuple(int(record[column]) for column in VALUE_COLUMNS),
        not_applicable=int(record.get("not_applicable", 0)),
        change=None if change is None else _value(change["change_points"]),
        p_value=None if change is None else _value(change["p_value"]),
        significant=False if change is None else bool(change["significant"]),
        target=target, below_target=target is not None and index is not None and index < target)


@dataclass
class PaknPanel:
    received: int
    answered: int
    timed: int
    on_time: int
    late: int
    on_time_share: float | None      # percent
    open_cases: int
    overdue: int
    median_days: float | None
    backlog: list[tuple[str, int, int]]
    by_outcome: list[IndexRow]
    late_cases: list[LateCase] = field(default_factory=list)
    late_total: int = 0
    target: float = 100.0
    can_open_cases: bool = False


@dataclass
class Dashboard:
    report: SipasReport
    overall: IndexRow | None
    components: list[IndexRow]
    elements: list[IndexRow]
    units: list[IndexRow]
    items: list[IndexRow]
    trend_periods: list[str]
    trend: dict[str, list[IndexRow | None]]     # series key → one row (or None) per period
    trend_components: dict[str, list[IndexRow | None]]
    heat_columns: list[str]
    heat_rows: list[tuple[IndexRow, list[IndexRow | None]]]
    sample: list[tuple[str, str, str, int]]      # unit, channel, quality, responses
    sample_total: int
    flagged_total: int
    suppressed_cells: int
    gaps: list[dict]
    pakn: PaknPanel | None
    charts: dict[str, Markup] = field(default_factory=dict)

    @property
    def has_data(self) -> bool:
        return self.report.has_data


def _lookup(frame: pd.DataFrame, column: str) -> dict[object, pd.Series]:
    return {record[column]: record for _index, record in frame.iterrows()}


def build_dashboard(actor: Actor, report: SipasReport, *, with_pakn: bool = True) -> Dashboard:
    """Rows and charts of every dashboard section for ``report``."""
    target = report.target
    current = report.current
    overall = None
    if len(current.overall):
        overall = _row("overall", _("SIPAS index"), current.overall.iloc[0],
                       change=report.overall_change.iloc[0])
    components = [_row(record["component"], str(COMPONENT_LABELS.get(record["component"],
                                                                       record["component"])),
                       record) for _index, record in current.components.iterrows()]
    changes = _lookup(report.element_change, "element")
    ordered = sorted(current.elements.to_dict("records"),
                     key=lambda r: ELEMENT_ORDER.index(r["element"])
                     if r["element"] in ELEMENT_ORDER else 99)
    elements = [_row(record["element"], element_name(record["element"]), pd.Series(record),
                     change=changes.get(record["element"]), target=target)
                for record in ordered]

    unit_rows: list[IndexRow] = []
    for _index, record in report.ranking.iterrows():
        row = _row(str(int(record["unit_id"])), report.unit_names.get(int(record["unit_id"]),
                                                                      "?"),
                   record, target=float(record["target"]))
        rank = None if pd.isna(record["rank"]) else int(record["rank"])
        unit_rows.append(IndexRow(**{**row.__dict__, "rank": rank}))

    # Only satisfaction items: "top two levels" means nothing for a yes/no or a choice list.
    rated_codes = set(report.items.loc[report.items["answer_type"].isin(RATED_TYPES),
                                       "item_code"])
    texts = {row.item_code: (row.text_vi if _lang() == "vi" else
                             (row.text_en or row.text_vi))
             for row in report.items.itertuples()}
    items = [_row(record["item_code"],
                  f"{record['item_code']} · {texts.get(record['item_code'], '')}", record,
                  target=target if pd.notna(record["element"]) else None)
             for _index, record in current.items.sort_values(
                 ["element", "item_code"], key=_natural).iterrows()
             if record["item_code"] in rated_codes]

    periods = report.trend_labels
    trend: dict[str, list[IndexRow | None]] = {}
    overall_by_period = _lookup(report.trend.overall, "period")
    trend["overall"] = [_row("overall", _("SIPAS index"), overall_by_period[p])
                        if p in overall_by_period else None for p in periods]
    for element in [row.key for row in elements]:
        frame = report.trend.elements[report.trend.elements["element"] == element]
        by_period = _lookup(frame, "period")
        trend[element] = [_row(element, element_name(element), by_period[p])
                          if p in by_period else None for p in periods]

    components_by_period = {
        key: _lookup(frame, "period")
        for key, frame in report.trend.components.groupby("component", sort=True)}
    trend_components = {
        key: [_row(key, str(COMPONENT_LABELS.get(key, key)), by_period[p])
              if p in by_period else None for p in periods]
        for key, by_period in components_by_period.items()}

    heat_columns = [row.key for row in elements]
    heat_rows = []
    unit_elements = report.by_unit.elements
    for unit_row in unit_rows:
        frame = unit_elements[unit_elements["unit_id"] == int(unit_row.key)]
        cells = _lookup(frame, "element")
        heat_rows.append((unit_row, [
            _row(f"{unit_row.key}:{code}", element_name(code), cells[code],
                 target=unit_row.target) if code in cells else None
            for code in heat_columns]))

    sample = [(report.unit_names.get(int(r.unit_id), "?"),
               str(CHANNEL_LABELS.get(r.channel, r.channel)),
               str(QUALITY_LABELS.get(r.quality, r.quality)), int(r.responses))
              for r in report.sample.itertuples()]
    flagged_total = int(report.sample.loc[report.sample["quality"] == "flagged",
                                          "responses"].sum())
    suppressed_cells = sum(int(frame["suppressed"].sum()) for frame in (
        current.items, current.elements, report.by_unit.overall, report.by_unit.elements))

    pakn = _pakn_panel(actor, report) if with_pakn else None
    gaps = _gaps(elements, unit_rows, pakn, report)
    dashboard = Dashboard(
        report=report, overall=overall, components=components, elements=elements,
        units=unit_rows, items=items, trend_periods=periods, trend=trend,
        trend_components=trend_components,
        heat_columns=heat_columns, heat_rows=heat_rows, sample=sample,
        sample_total=int(report.sample["responses"].sum()), flagged_total=flagged_total,
        suppressed_cells=suppressed_cells, gaps=gaps, pakn=pakn)
    dashboard.charts = draw_charts(dashboard)
    return dashboard


def _natural(column: pd.Series) -> pd.Series:
    """Sort q9_2 before q9_10, elements in SIPAS order."""
    if column.name == "element":
        return column.map(lambda e: ELEMENT_ORDER.index(e) if e in ELEMENT_ORDER else 99)
    return column.map(lambda code: tuple(int(part) if part.isdigit() else 0
                                         for part in str(code).replace("_", " ").split()))


def _pakn_panel(actor: Actor, report: SipasReport) -> PaknPanel:
    filters = report.filters
    kpis = pakn_kpis(actor, period=(filters.first_day, filters.last_day),
                     perm=Permission.REPORTS_VIEW, within=report.root)
    handling = kpis.handling
    answered = handling[handling["outcome"] == "answered"]
    # Both tables end with a "total" row: the headline figures are that row, never a sum of
    # every row (which would count each case twice).
    handled = handling[handling["outcome"] == "total"]
    timed = int(handled["timed"].sum())
    on_time = int(handled["on_time"].sum())
    late = int(handled["late"].sum())
    open_total = kpis.backlog[kpis.backlog["age_bucket"] == "total"]
    median = kpis.medians["all"]
    by_outcome = []
    for record in handling.to_dict("records"):
        share = _value(record["on_time_share"])
        by_outcome.append(IndexRow(
            key=record["outcome"], label=str(OUTCOME_LABELS.get(record["outcome"],
                                                                 record["outcome"])),
            index=None if share is None else 100 * share, ci_low=None, ci_high=None,
            n=int(record["timed"]), n_eff=float(record["timed"]), mean_score=None,
            suppressed=share is None))
    can_open = can(actor, Permission.FEEDBACK_VIEW, report.root)
    cases, total = late_cases(actor, within=report.root, perm=Permission.REPORTS_VIEW)
    return PaknPanel(
        received=int(kpis.received.loc[kpis.received["dimension"] == "kind", "cases"].sum()),
        answered=int(answered["cases"].sum()), timed=timed, on_time=on_time, late=late,
        on_time_share=None if timed == 0 else 100 * on_time / timed,
        open_cases=int(open_total["open_cases"].sum()),
        overdue=int(open_total["overdue"].sum()),
        median_days=_value(median["median_days"].iloc[0]) if len(median) else None,
        backlog=[(_("Total") if r.age_bucket == "total" else r.age_bucket, int(r.open_cases),
                  int(r.overdue)) for r in kpis.backlog.itertuples()],
        by_outcome=by_outcome, late_cases=cases, late_total=total,
        target=float(get_setting("pakn.on_time_target_pct", on=filters.last_day,
                                 unit=report.root)),
        can_open_cases=can_open)


def _gaps(elements: list[IndexRow], units: list[IndexRow], pakn: PaknPanel | None,
          report: SipasReport) -> list[dict]:
    """Every element, unit and PAKN figure that misses its target, with the distance."""
    rows = [{"what": row.label, "scope": report.root.name_vi, "value": row.index,
             "target": row.target, "direction": "at_least", "unit": "%"}
            for row in elements if row.target is not None]
    rows += [{"what": _("SIPAS index"), "scope": row.label, "value": row.index,
              "target": row.target, "direction": "at_least", "unit": "%"}
             for row in units if row.target is not None]
    if pakn is not None and pakn.on_time_share is not None:
        rows.append({"what": _("PAKN handled on time"), "scope": report.root.name_vi,
                     "value": pakn.on_time_share, "target": pakn.target,
                     "direction": "at_least", "unit": "%"})
    if not rows:
        return []
    frame = pd.DataFrame(rows).astype({"value": "float64", "target": "float64"})
    return target_gaps(frame).to_dict("records")


def draw_charts(dashboard: Dashboard) -> dict[str, Markup]:
    report = dashboard.report
    charts: dict[str, Markup] = {}
    suppressed_note = _("fewer than %(n)s answers", n=report.min_n)

    def bar(row: IndexRow) -> Bar:
        return Bar(label=row.label, value=row.index, low=row.ci_low, high=row.ci_high,
                   n=row.n, note=suppressed_note if row.suppressed else None, key=row.key)

    charts["elements"] = element_bars(
        [bar(row) for row in dashboard.elements], target=report.target,
        title=_("Satisfaction by element, %(period)s", period=report.filters.period))
    charts["units"] = ranking_bars(
        [bar(row) for row in dashboard.units], target=report.target,
        title=_("SIPAS index by unit, %(period)s", period=report.filters.period))
    charts["distribution"] = stacked_distribution(
        [(row.label, None if row.suppressed else list(row.distribution))
         for row in dashboard.elements],
        labels=[str(label) for label in SCALE5_LABELS],
        title=_("Answers by level, per element"), hidden_note=suppressed_note)
    # The chart shows the index and its two components (nine element lines are unreadable);
    # the table under it has every element.
    series = []
    lines = {"overall": dashboard.trend["overall"], **dashboard.trend_components}
    for key, rows in lines.items():
        label = (_("SIPAS index") if key == "overall"
                 else str(COMPONENT_LABELS.get(key, key)))
        series.append(Series(label=label, points=[
            (period, None if row is None or row.suppressed else row.index,
             None if row is None else row.ci_low, None if row is None else row.ci_high)
            for period, row in zip(dashboard.trend_periods, rows, strict=True)]))
    charts["trend"] = trend_lines(series, target=report.target,
                                  title=_("Trend by period"))
    charts["heat"] = heat_map(
        [row.label for row, _cells in dashboard.heat_rows],
        [element_name(code) for code in dashboard.heat_columns],
        [[None if cell is None else cell.index for cell in cells]
         for _row_, cells in dashboard.heat_rows],
        target=report.target, title=_("Units × elements"))
    if dashboard.pakn is not None:
        charts["pakn"] = kpi_bars(
            [bar(row) for row in dashboard.pakn.by_outcome], target=dashboard.pakn.target,
            unit="%", max_value=100.0, title=_("PAKN handled on time, by outcome"))
    return charts


def period_choices(today_: date) -> list[tuple[str, str]]:
    """Recent periods for the filter: halves, quarters, months and years."""
    from reports.filters import current_half_year

    choices = []
    half = current_half_year(today_)
    year = str(today_.year)
    for label, count in ((half, 4), (f"{today_.year}-Q{(today_.month - 1) // 3 + 1}", 6),
                         (f"{today_.year}-{today_.month:02d}", 12), (year, 3)):
        for _step in range(count):
            choices.append((label, label))
            label = previous_period(label)
    return choices
