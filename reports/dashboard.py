"""What the dashboard shows, as plain rows: one list per table, one small builder per section.
The charts are drawn from the same rows (:mod:`reports.dashboard_charts`), so a chart and the
table beside it can never disagree. Also used by the printable report and the exports."""

from __future__ import annotations

from datetime import date

import pandas as pd
from flask_babel import gettext as _

from analysis.comparisons import target_gaps
from analysis.periods import previous_period
from analysis.sipas import VALUE_COLUMNS
from core.access import Actor, Permission, can
from core.settings import get_setting
from feedback.kpis import late_cases, pakn_kpis
from reports.dashboard_charts import draw_charts
from reports.dashboard_model import (
    OUTCOME_LABELS,
    RATED_TYPES,
    Dashboard,
    FollowupRow,
    IndexRow,
    PaknPanel,
    component_label,
    element_name,
    ui_language,
)
from reports.filters import current_half_year
from reports.formatting import is_missing
from reports.indices import (
    ELEMENT_ORDER,
    OTHER_RATERS,
    SENDERS,
    SipasReport,
    element_by_source,
)
from surveys.labels import CHANNEL_LABELS, QUALITY_LABELS


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


def _lookup(frame: pd.DataFrame, column: str) -> dict[object, pd.Series]:
    return {record[column]: record for _index, record in frame.iterrows()}


def build_dashboard(actor: Actor, report: SipasReport, *, with_pakn: bool = True) -> Dashboard:
    """Rows and charts of every dashboard section for ``report``."""
    elements = _element_rows(report)
    units = _unit_rows(report)
    heat_columns = [row.key for row in elements]
    pakn = _pakn_panel(actor, report) if with_pakn else None
    if pakn is not None:
        pakn.element_e = _element_e_rows(report)
    dashboard = Dashboard(
        report=report, overall=_overall_row(report), components=_component_rows(report),
        elements=elements, units=units, items=_item_rows(report),
        trend_periods=report.trend_labels, trend=_trend(report, elements),
        trend_components=_trend_components(report),
        heat_columns=heat_columns, heat_rows=_heat_rows(report, units, heat_columns),
        sample=_sample_rows(report), sample_total=int(report.sample["responses"].sum()),
        flagged_total=_flagged_total(report), suppressed_cells=_suppressed_cells(report),
        gaps=_gaps(elements, units, pakn, report), pakn=pakn)
    dashboard.charts = draw_charts(dashboard)
    return dashboard


def _element_position(code: str) -> int:
    """Place in the SIPAS order; an unknown element goes last."""
    return ELEMENT_ORDER.index(code) if code in ELEMENT_ORDER else 99


def _overall_row(report: SipasReport) -> IndexRow | None:
    overall = report.current.overall
    if not len(overall):
        return None
    return _row("overall", _("SIPAS index"), overall.iloc[0],
                change=report.overall_change.iloc[0])


def _component_rows(report: SipasReport) -> list[IndexRow]:
    return [_row(record["component"], component_label(record["component"]), record)
            for _index, record in report.current.components.iterrows()]


def _element_rows(report: SipasReport) -> list[IndexRow]:
    changes = _lookup(report.element_change, "element")
    ordered = sorted(report.current.elements.to_dict("records"),
                     key=lambda record: _element_position(record["element"]))
    return [_row(record["element"], element_name(record["element"]), pd.Series(record),
                 change=changes.get(record["element"]), target=report.target)
            for record in ordered]


def _unit_rows(report: SipasReport) -> list[IndexRow]:
    """The child units in ranking order, each against its own target."""
    return [_unit_row(report, record) for _index, record in report.ranking.iterrows()]


def _unit_row(report: SipasReport, record: pd.Series) -> IndexRow:
    unit_id = int(record["unit_id"])
    row = _row(str(unit_id), report.unit_names.get(unit_id, "?"), record,
               target=float(record["target"]))
    rank = None if pd.isna(record["rank"]) else int(record["rank"])
    return IndexRow(**{**row.__dict__, "rank": rank})


def _item_rows(report: SipasReport) -> list[IndexRow]:
    # Only satisfaction items: "top two levels" means nothing for a yes/no or a choice list.
    catalogue = report.items
    rated_codes = set(catalogue.loc[catalogue["answer_type"].isin(RATED_TYPES), "item_code"])
    texts = _item_texts(catalogue)
    ordered = report.current.items.sort_values(["element", "item_code"], key=_natural)
    return [_row(record["item_code"],
                 f"{record['item_code']} · {texts.get(record['item_code'], '')}", record,
                 target=report.target if pd.notna(record["element"]) else None)
            for _index, record in ordered.iterrows() if record["item_code"] in rated_codes]


def _item_texts(catalogue: pd.DataFrame) -> dict[str, str]:
    """Item wording in the page language (Vietnamese when an item has no English text)."""
    vietnamese = ui_language() == "vi"
    return {row.item_code: row.text_vi if vietnamese else (row.text_en or row.text_vi)
            for row in catalogue.itertuples()}


def _per_period(by_period: dict[object, pd.Series], periods: list[str], key: str,
                label: str) -> list[IndexRow | None]:
    """One row per period, None where the period has no figures."""
    return [_row(key, label, by_period[p]) if p in by_period else None for p in periods]


def _trend(report: SipasReport, elements: list[IndexRow]) -> dict[str, list[IndexRow | None]]:
    """The overall index, then every element shown, over the trend periods."""
    periods = report.trend_labels
    trend = {"overall": _per_period(_lookup(report.trend.overall, "period"), periods,
                                    "overall", _("SIPAS index"))}
    by_element = report.trend.elements
    for key in [row.key for row in elements]:
        frame = by_element[by_element["element"] == key]
        trend[key] = _per_period(_lookup(frame, "period"), periods, key, element_name(key))
    return trend


def _trend_components(report: SipasReport) -> dict[str, list[IndexRow | None]]:
    return {key: _per_period(_lookup(frame, "period"), report.trend_labels, key,
                             component_label(key))
            for key, frame in report.trend.components.groupby("component", sort=True)}


def _heat_rows(report: SipasReport, units: list[IndexRow],
               columns: list[str]) -> list[tuple[IndexRow, list[IndexRow | None]]]:
    unit_elements = report.by_unit.elements
    return [(unit, _heat_cells(unit_elements[unit_elements["unit_id"] == int(unit.key)],
                               unit, columns))
            for unit in units]


def _heat_cells(frame: pd.DataFrame, unit: IndexRow,
                columns: list[str]) -> list[IndexRow | None]:
    """One unit's elements in column order, each against the unit's target."""
    cells = _lookup(frame, "element")
    return [_row(f"{unit.key}:{code}", element_name(code), cells[code], target=unit.target)
            if code in cells else None for code in columns]


def _sample_rows(report: SipasReport) -> list[tuple[str, str, str, int]]:
    return [(report.unit_names.get(int(r.unit_id), "?"),
             str(CHANNEL_LABELS.get(r.channel, r.channel)),
             str(QUALITY_LABELS.get(r.quality, r.quality)), int(r.responses))
            for r in report.sample.itertuples()]


def _flagged_total(report: SipasReport) -> int:
    sample = report.sample
    return int(sample.loc[sample["quality"] == "flagged", "responses"].sum())


def _suppressed_cells(report: SipasReport) -> int:
    """Figures hidden for too few answers, over every table the dashboard shows."""
    current = report.current
    return sum(int(frame["suppressed"].sum()) for frame in (
        current.items, current.elements, report.by_unit.overall, report.by_unit.elements))


def _natural(column: pd.Series) -> pd.Series:
    """Sort q9_2 before q9_10, elements in SIPAS order."""
    if column.name == "element":
        return column.map(_element_position)
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
    open_total = kpis.backlog[kpis.backlog["age_bucket"] == "total"]
    can_open = can(actor, Permission.FEEDBACK_VIEW, report.root)
    cases, total = late_cases(actor, within=report.root, perm=Permission.REPORTS_VIEW)
    return PaknPanel(
        received=int(kpis.received.loc[kpis.received["dimension"] == "kind", "cases"].sum()),
        answered=int(answered["cases"].sum()), timed=timed, on_time=on_time,
        late=int(handled["late"].sum()),
        on_time_share=None if timed == 0 else 100 * on_time / timed,
        open_cases=int(open_total["open_cases"].sum()),
        overdue=int(open_total["overdue"].sum()),
        median_days=_median_days(kpis.medians["all"]), backlog=_backlog_rows(kpis.backlog),
        by_outcome=[_outcome_row(record) for record in handling.to_dict("records")],
        late_cases=cases, late_total=total,
        target=float(get_setting("pakn.on_time_target_pct", on=filters.last_day,
                                 unit=report.root)),
        can_open_cases=can_open, followups=_followup_rows(kpis.followups))


def _percent(value: object) -> float | None:
    share = _value(value)
    return None if share is None else 100 * share


def _followup_rows(rates: pd.DataFrame) -> list[FollowupRow]:
    """Units with an answer sent with a rating link, then the whole subtree."""
    if int(rates["sent"].sum()) == 0:
        return []
    return [FollowupRow(unit_id=None if pd.isna(r.handling_unit_id) else int(r.handling_unit_id),
                        sent=int(r.sent), rated=int(r.rated),
                        satisfaction=_percent(r.satisfaction_rate), reopened=int(r.reopened),
                        reopen_rate=_percent(r.reopen_rate), small_sample=bool(r.small_sample))
            for r in rates.itertuples()]


def _element_e_rows(report: SipasReport) -> list[IndexRow]:
    labels = {SENDERS: _("PAKN senders, after the answer"),
              OTHER_RATERS: _("Desk and other ratings")}
    found = _lookup(element_by_source(report), "source")
    return [_row(source, str(label), found[source]) for source, label in labels.items()
            if source in found]


def _median_days(median: pd.DataFrame) -> float | None:
    return _value(median["median_days"].iloc[0]) if len(median) else None


def _backlog_rows(backlog: pd.DataFrame) -> list[tuple[str, int, int]]:
    return [(_("Total") if r.age_bucket == "total" else r.age_bucket, int(r.open_cases),
             int(r.overdue)) for r in backlog.itertuples()]


def _outcome_row(record: dict) -> IndexRow:
    """One handling outcome as a row whose index is its on-time share, in percent."""
    share = _value(record["on_time_share"])
    return IndexRow(
        key=record["outcome"], label=str(OUTCOME_LABELS.get(record["outcome"],
                                                             record["outcome"])),
        index=None if share is None else 100 * share, ci_low=None, ci_high=None,
        n=int(record["timed"]), n_eff=float(record["timed"]), mean_score=None,
        suppressed=share is None)


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


def period_choices(today_: date) -> list[tuple[str, str]]:
    """Recent periods for the filter: halves, quarters, months and years."""
    choices = []
    half = current_half_year(today_)
    year = str(today_.year)
    for label, count in ((half, 4), (f"{today_.year}-Q{(today_.month - 1) // 3 + 1}", 6),
                         (f"{today_.year}-{today_.month:02d}", 12), (year, 3)):
        for _step in range(count):
            choices.append((label, label))
            label = previous_period(label)
    return choices
