"""SIPAS figures for a unit subtree and a period, read from the month rollup and computed by
``analysis.sipas``: what the dashboards, the printable report, the exports, the improvement
plan and the public pages show. One place builds them so every page shows the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
from sqlalchemy import select

from analysis.comparisons import compare_periods, rank_units
from analysis.periods import parse_period, period_labels, previous_period
from analysis.sipas import SipasIndices, sipas_indices
from core.access import Actor, Permission, can
from core.extensions import db
from core.models import Unit
from core.settings import get_setting
from reports.filters import ReportFilters, campaign_period, current_half_year
from surveys.frames import item_catalogue, month_response_counts, month_rollup_counts
from surveys.models import Campaign, Channel
from surveys.month_rollups import ensure_fresh_month_rollups, month_rollup_state

TREND_PERIODS = 6
ELEMENT_ORDER = ("I.A", "I.B", "I.C", "I.D", "II.A", "II.B", "II.C", "II.D", "II.E")


@dataclass(frozen=True)
class ElementGap:
    element: str
    index_pct: float | None
    target_pct: float
    n: int


@dataclass
class SipasReport:
    filters: ReportFilters
    root: Unit
    units: list[Unit]                    # the root's direct children shown in rankings
    items: pd.DataFrame                  # the item catalogue (codes, elements, wording)
    target: float                        # the element target in force for the root
    min_n: int
    aggregation: str
    current: SipasIndices                # the root subtree in the period
    previous: SipasIndices
    previous_label: str
    element_change: pd.DataFrame         # compare_periods on elements
    overall_change: pd.DataFrame
    by_unit: SipasIndices                # by child unit (subtree roll-up)
    ranking: pd.DataFrame                # rank_units on the children's overall index
    trend: SipasIndices                  # by period label over the last periods
    trend_labels: list[str]
    sample: pd.DataFrame                 # unit × channel × quality → responses (counted)
    fresh: bool
    refreshed_at: datetime | None
    unit_names: dict[int, str] = field(default_factory=dict)

    @property
    def has_data(self) -> bool:
        return int(self.current.overall["n"].sum()) > 0 if len(self.current.overall) else False

    def element_gaps(self) -> list[ElementGap]:
        """Elements under target, and elements with answers whose index is hidden (too few
        answers: ``index_pct`` None, so a plan can name them without judging them)."""
        gaps = []
        for row in self.current.elements.itertuples():
            if row.suppressed and row.n > 0:
                gaps.append(ElementGap(row.element, None, self.target, int(row.n)))
            elif not row.suppressed and not pd.isna(row.index) and row.index < self.target:
                gaps.append(ElementGap(row.element, float(row.index), self.target, int(row.n)))
        return sorted(gaps, key=lambda gap: _element_key(gap.element))


def _element_key(element: str) -> tuple[int, str]:
    return (ELEMENT_ORDER.index(element), "") if element in ELEMENT_ORDER else (99, element)


def subtree_units(root: Unit) -> list[Unit]:
    return list(db.session.scalars(
        select(Unit).where(Unit.path.like(root.path + "%")).order_by(Unit.path)))


def _month(day: date) -> date:
    return day.replace(day=1)


def _trend_labels(period: str) -> list[str]:
    labels = [period]
    while len(labels) < TREND_PERIODS:
        labels.insert(0, previous_period(labels[0]))
    return labels


def _counts(filters: ReportFilters, unit_ids: list[int], first: date, last: date,
            group_by: list[str], unit_groups: dict[int, int] | None = None) -> pd.DataFrame:
    return month_rollup_counts(
        group_by=group_by, unit_ids=unit_ids, campaign=filters.campaign,
        since=_month(first), until=_month(last),
        channels=[filters.channel] if filters.channel else None,
        include_flagged=filters.include_flagged, unit_groups=unit_groups)


def _indices(counts: pd.DataFrame, items: pd.DataFrame, by: list[str], aggregation: str,
             min_n: int) -> SipasIndices:
    return sipas_indices(counts, items, by=by, aggregation=aggregation, min_n=min_n)


def aggregation_setting(on: date) -> str:
    value = get_setting("sipas.aggregation", on=on)
    # "weighted" needs survey weights, which desk ratings do not carry: it falls back to the
    # mean of item indices (the page says which aggregation was used).
    return value if value in ("item_mean", "pooled") else "item_mean"


def build_sipas_report(actor: Actor, filters: ReportFilters, *,
                       perm: Permission = Permission.REPORTS_VIEW) -> SipasReport:
    """Every SIPAS figure the dashboard shows for ``filters`` (the unit must be in scope)."""
    root = db.session.get(Unit, filters.unit_id)
    if root is None or not can(actor, perm, root):
        raise PermissionError("unit out of scope")
    return sipas_report_for_unit(root, filters)


def sipas_report_for_unit(root: Unit, filters: ReportFilters) -> SipasReport:
    """``build_sipas_report`` without the access check, for callers that made it (public
    pages of an agency, scheduled jobs, plans drafted from a unit the user may see)."""
    fresh = ensure_fresh_month_rollups()
    state = month_rollup_state()
    units = subtree_units(root)
    unit_ids = [unit.id for unit in units]
    children = [unit for unit in units if unit.parent_id == root.id and unit.active]
    first, last = filters.first_day, filters.last_day
    min_n = int(get_setting("sipas.min_cell_size", on=last))
    target = float(get_setting("sipas.target_element_pct", on=last, unit=root))
    aggregation = aggregation_setting(last)
    items = item_catalogue()

    # Three queries, each summed in SQL: the period by child unit (desks roll up to the
    # department they belong to inside the query), the trend by month (which also holds the
    # previous period), and the sample.
    groups = _child_groups(root, units)
    by_child = _counts(filters, unit_ids, first, last, ["unit_id"], unit_groups=groups)
    current = _indices(by_child.drop(columns="unit_id"), items, [], aggregation, min_n)

    labels = _trend_labels(filters.period)
    _, trend_first, _ = parse_period(labels[0])
    trend_counts = _counts(filters, unit_ids, trend_first, last, ["month"])
    trend_counts["period"] = period_labels(trend_counts["month"], filters.freq)
    trend = _indices(trend_counts.drop(columns="month"), items, ["period"], aggregation, min_n)

    previous_label = previous_period(filters.period)
    previous_counts = trend_counts[trend_counts["period"] == previous_label]
    previous = _indices(previous_counts.drop(columns=["month", "period"]), items, [],
                        aggregation, min_n)
    element_change = compare_periods(current.elements, previous.elements, ["element"])
    overall_change = compare_periods(current.overall.assign(_k=1),
                                     previous.overall.assign(_k=1), ["_k"]).drop(columns="_k")

    shown = {root.id, *(child.id for child in children)}
    by_unit = _indices(by_child[by_child["unit_id"].isin(shown)], items, ["unit_id"],
                       aggregation, min_n)
    targets = {child.id: float(get_setting("sipas.target_element_pct", on=last, unit=child))
               for child in children}
    targets[root.id] = target
    overall_by_unit = by_unit.overall.assign(
        target=lambda frame: frame["unit_id"].map(targets).astype("float64"))
    ranking = rank_units(overall_by_unit, target="target") if len(overall_by_unit) else \
        overall_by_unit.assign(rank=pd.Series(dtype="Int64"), below_target=False,
                               gap_points=float("nan"))

    sample = _sample(filters, unit_ids, groups, shown, first, last)
    return SipasReport(
        filters=filters, root=root, units=children, items=items, target=target, min_n=min_n,
        aggregation=aggregation, current=current, previous=previous,
        previous_label=previous_label, element_change=element_change,
        overall_change=overall_change, by_unit=by_unit, ranking=ranking, trend=trend,
        trend_labels=labels, sample=sample, fresh=fresh, refreshed_at=state.refreshed_at,
        unit_names={unit.id: unit.name_vi for unit in units})


def _child_groups(root: Unit, units: list[Unit]) -> dict[int, int]:
    """Each unit of the subtree → the child of ``root`` it belongs to (the root → itself, so
    ratings given at the root's own desk show as a row of their own)."""
    children = [unit for unit in units if unit.parent_id == root.id]
    groups = {root.id: root.id}
    for unit in units:
        for child in children:
            if unit.path.startswith(child.path):
                groups[unit.id] = child.id
                break
    return groups


def _sample(filters: ReportFilters, unit_ids: list[int], groups: dict[int, int],
            shown: set[int], first: date, last: date) -> pd.DataFrame:
    """Responses by child unit, channel and quality, flagged ones always shown (even when
    excluded from the figures) so a burst or a bad import is visible. Read from the month
    response counts (``surveys.frames.month_response_counts``): one per response stored, never
    estimated from answers, since items may be left blank or answered "not applicable"."""
    counts = month_response_counts(
        unit_ids=unit_ids, campaign=filters.campaign, since=_month(first), until=_month(last),
        channels=[filters.channel] if filters.channel else None, unit_groups=groups)
    counts = counts[counts["unit_id"].isin(shown)].reset_index(drop=True)
    return counts[["unit_id", "channel", "quality", "responses"]].astype(
        {"unit_id": "int64", "channel": "string", "quality": "string", "responses": "int64"})


def element_gaps_for_plan(unit: Unit, *, campaign_id: int | None,
                          period_label: str | None) -> list[ElementGap]:
    """The elements of ``unit`` (its subtree) under target in the period or campaign (plus
    those hidden for too few answers, with ``index_pct`` None): what an improvement plan
    answers. Without a period, a campaign's own period is used (the half-year it runs in, or
    the year when it spans two halves). The caller checked that the user may see ``unit``."""
    campaign = db.session.get(Campaign, campaign_id) if campaign_id is not None else None
    if period_label is None and campaign is not None:
        period_label = campaign_period(campaign)
    filters = ReportFilters(period=period_label or current_half_year(), unit_id=unit.id,
                            campaign=campaign_id, channel=None, include_flagged=False)
    return sipas_report_for_unit(unit, filters).element_gaps()


SENDERS, OTHER_RATERS = "senders", "others"


def element_by_source(report: SipasReport, element: str = "II.E") -> pd.DataFrame:
    """``element`` of the report's subtree and period rated by PAKN senders through the link
    sent with their answer (channel pakn_followup) beside the same element from every other
    channel (desk QR, dossier QR, kiosk, online, paper, imports): the SIPAS element rows
    (``source`` = "senders" or "others", index, interval, n …). The report's channel filter
    is left aside (the two sources are the comparison); its other filters apply."""
    filters = report.filters
    codes = report.items.loc[report.items["element"] == element, "item_code"]
    counts = month_rollup_counts(
        group_by=["channel"], unit_ids=[unit.id for unit in subtree_units(report.root)],
        campaign=filters.campaign, since=_month(filters.first_day),
        until=_month(filters.last_day), include_flagged=filters.include_flagged)
    counts = counts[counts["item_code"].isin(set(codes))]
    counts = counts.assign(source=counts["channel"].map(
        lambda channel: SENDERS if channel == Channel.PAKN_FOLLOWUP.value else OTHER_RATERS))
    counts = counts.drop(columns="channel").groupby(
        ["source", "item_code", "value"], as_index=False)["count"].sum()
    elements = _indices(counts, report.items, ["source"], report.aggregation,
                        report.min_n).elements
    return elements[elements["element"] == element].reset_index(drop=True)
