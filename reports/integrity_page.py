"""What the integrity page shows for a unit subtree and period: the flags of its desks and
officials with their evidence, and the SIPAS index with and without the flagged responses
(the rollup's answer counts minus those the last run stored for the flagged responses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from analysis.sipas import sipas_indices
from core.extensions import db
from core.models import Unit, User
from core.settings import get_setting
from reports.dashboard_model import element_name
from reports.filters import ReportFilters
from reports.formatting import format_measure
from reports.indices import aggregation_setting, subtree_units
from reports.integrity import responses_since
from reports.models import IntegrityFlag, IntegrityRun
from surveys.frames import item_catalogue, month_response_counts, month_rollup_counts
from surveys.month_rollups import ensure_fresh_month_rollups
from surveys.responses import QUALITY_OK

RULE_LABELS = {
    "all_five_run": _l("Runs of identical all-5 ratings"),
    "outside_hours": _l("Ratings outside opening hours"),
    "return_burst": _l("Burst right after dossiers were returned"),
    "device_repeat": _l("The same phone rating again and again"),
    "token_sequence": _l("Dossier tokens redeemed in tight sequence"),
    "peer_distribution": _l("Answers depart from the peers' (chi-square, Holm)"),
}
EVIDENCE_LABELS = {
    "responses": _l("responses named"), "runs": _l("runs"), "longest": _l("longest"),
    "longest_from": _l("longest from"), "longest_to": _l("longest to"),
    "threshold": _l("shortest run flagged"), "all_five_share": _l("share of all-5 responses"),
    "subject_responses": _l("responses in the period"), "desk_ratings": _l("desk ratings"),
    "share": _l("share"), "day_off": _l("on a day off"), "before_opening": _l("before opening"),
    "after_closing": _l("after closing"), "hours": _l("opening hours"),
    "grace_minutes": _l("grace (minutes)"), "examples": _l("examples"),
    "bursts": _l("bursts"), "largest": _l("largest"), "largest_from": _l("largest from"),
    "largest_to": _l("largest to"), "dossiers_returned": _l("dossiers returned"),
    "after_minutes": _l("within (minutes)"), "gap_seconds": _l("gap (seconds)"),
    "phone_ratings": _l("phone ratings"), "sequences": _l("sequences"),
    "longest_seconds": _l("longest lasted (seconds)"), "statistic": _l("chi-square"),
    "df": _l("degrees of freedom"), "p_value": _l("p"), "p_adjusted": _l("p (Holm)"),
    "correction": _l("correction"), "tested": _l("desks tested"),
    "effect_w": _l("effect size w"), "shares": _l("shares of 1…5"),
    "peer_shares": _l("peers' shares of 1…5"),
}


@dataclass(frozen=True)
class FlagRow:
    flag: IntegrityFlag
    rule_label: str
    evidence: list[tuple[str, str]]
    reviewer: str | None


@dataclass
class SubjectFlags:
    kind: str               # "desk" | "official"
    label: str
    unit_label: str
    rows: list[FlagRow] = field(default_factory=list)


@dataclass(frozen=True)
class IndexComparison:
    label: str
    with_index: float | None
    without_index: float | None

    @property
    def difference(self) -> float | None:
        if self.with_index is None or self.without_index is None:
            return None
        return self.without_index - self.with_index


@dataclass
class IntegrityPage:
    filters: ReportFilters
    root: Unit
    run: IntegrityRun | None
    new_responses: int
    subjects: list[SubjectFlags]
    index_rows: list[IndexComparison]
    responses_with: int
    responses_without: int
    min_n: int
    aggregation: str


def _format(value) -> str:
    if isinstance(value, list):
        return ", ".join(_format(item) for item in value)
    if isinstance(value, float):
        return format_measure(value)
    if isinstance(value, str) and len(value) == 19 and value[10] == "T":
        return value.replace("T", " ")
    return str(value)


def _flag_rows(flags: list[IntegrityFlag]) -> list[FlagRow]:
    reviewers = {user.id: user.full_name or user.username for user in db.session.scalars(
        select(User).where(User.id.in_({f.reviewed_by_id for f in flags if f.reviewed_by_id})))}
    return [FlagRow(flag=flag, rule_label=str(RULE_LABELS.get(flag.rule, flag.rule)),
                    evidence=[(str(EVIDENCE_LABELS.get(key, key)), _format(value))
                              for key, value in flag.evidence.items()],
                    reviewer=reviewers.get(flag.reviewed_by_id)) for flag in flags]


def _subjects(flags: list[IntegrityFlag], names: dict[int, str]) -> list[SubjectFlags]:
    officials = {user.id: user.full_name or user.username for user in db.session.scalars(
        select(User).where(User.id.in_({f.subject_id for f in flags
                                        if f.subject_kind == "official"})))}
    grouped: dict[tuple[str, int], SubjectFlags] = {}
    for row in _flag_rows(flags):
        flag = row.flag
        key = (flag.subject_kind, flag.subject_id)
        if key not in grouped:
            label = names.get(flag.subject_id, "—") if flag.subject_kind == "desk" else \
                officials.get(flag.subject_id, "—")
            grouped[key] = SubjectFlags(kind=flag.subject_kind, label=label,
                                        unit_label=names.get(flag.unit_id, "—"))
        grouped[key].rows.append(row)
    return sorted(grouped.values(), key=lambda s: (s.kind, -len(s.rows), s.label))


def _without(counts: pd.DataFrame, run: IntegrityRun | None, unit_ids: set[int],
             include_flagged: bool) -> pd.DataFrame:
    """``counts`` ([item_code, value, count]) minus the flagged responses' answers."""
    if run is None or not run.excluded_counts:
        return counts
    excluded = pd.DataFrame(run.excluded_counts,
                            columns=["unit_id", "quality", "item_code", "value", "count"])
    excluded = excluded[excluded["unit_id"].isin(unit_ids)]
    if not include_flagged:
        excluded = excluded[excluded["quality"] == QUALITY_OK]
    minus = excluded.groupby(["item_code", "value"])["count"].sum().rename("minus")
    merged = counts.merge(minus.reset_index(), on=["item_code", "value"], how="left")
    merged["count"] = (merged["count"] - merged["minus"].fillna(0)).clip(lower=0).astype(
        "int64")
    return merged.drop(columns="minus")


def _index_rows(with_counts: pd.DataFrame, without_counts: pd.DataFrame, aggregation: str,
                min_n: int) -> list[IndexComparison]:
    items = item_catalogue()
    before = sipas_indices(with_counts, items, aggregation=aggregation, min_n=min_n)
    after = sipas_indices(without_counts, items, aggregation=aggregation, min_n=min_n)

    def value(frame: pd.DataFrame, key: str | None, column: str = "element"):
        rows = frame if key is None else frame[frame[column] == key]
        if rows.empty or pd.isna(rows["index"].iloc[0]):
            return None
        return float(rows["index"].iloc[0])

    result = [IndexComparison(_("SIPAS (overall)"), value(before.overall, None),
                              value(after.overall, None))]
    for element in sorted(set(before.elements["element"])):
        result.append(IndexComparison(element_name(element),
                                      value(before.elements, element),
                                      value(after.elements, element)))
    return result


def _response_total(unit_ids: list[int], filters: ReportFilters) -> int:
    counts = month_response_counts(unit_ids=unit_ids, since=filters.first_day.replace(day=1),
                                   until=filters.last_day.replace(day=1))
    if not filters.include_flagged:
        counts = counts[counts["quality"] == QUALITY_OK]
    return int(counts["responses"].sum())


def _excluded_total(run: IntegrityRun | None, unit_ids: set[int], include_flagged: bool) -> int:
    if run is None:
        return 0
    return sum(n for unit, quality, n in run.excluded_responses
               if unit in unit_ids and (include_flagged or quality == QUALITY_OK))


def build_integrity_page(root: Unit, filters: ReportFilters) -> IntegrityPage:
    """The page's figures for ``root``'s subtree (the caller checked access)."""
    ensure_fresh_month_rollups()
    units = subtree_units(root)
    unit_ids = [unit.id for unit in units]
    names = {unit.id: unit.name_vi for unit in units}
    run = db.session.scalar(select(IntegrityRun).where(IntegrityRun.period == filters.period))
    flags = list(db.session.scalars(select(IntegrityFlag).where(
        IntegrityFlag.period == filters.period, IntegrityFlag.unit_id.in_(unit_ids))
        .order_by(IntegrityFlag.id)))
    last = filters.last_day
    min_n = int(get_setting("sipas.min_cell_size", on=last))
    aggregation = aggregation_setting(last)
    with_counts = month_rollup_counts(
        group_by=[], unit_ids=unit_ids, since=filters.first_day.replace(day=1),
        until=last.replace(day=1), include_flagged=filters.include_flagged)
    scope = set(unit_ids)
    without_counts = _without(with_counts, run, scope, filters.include_flagged)
    total = _response_total(unit_ids, filters)
    return IntegrityPage(
        filters=filters, root=root, run=run,
        new_responses=responses_since(run) if run is not None else 0,
        subjects=_subjects(flags, names),
        index_rows=_index_rows(with_counts, without_counts, aggregation, min_n),
        responses_with=total,
        responses_without=total - _excluded_total(run, scope, filters.include_flagged),
        min_n=min_n, aggregation=aggregation)


def computed_label(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M")
