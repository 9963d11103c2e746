"""The bias report: per SIPAS element, self-selected ratings (desk QR, dossier QR, online
form) against the random sample of the period's dossiers invited through surveys.sampling,
the difference with Newcombe's interval and a z-test, and the sample's index post-stratified
to the period's dossiers by procedure × channel (analysis.sample_bias has the formulas).

Self-selected counts come from the month rollups (so a million responses cost a few thousand
rows), minus the invited responses submitted within the period (they are in the rollups
under the dossier QR channel, and the two groups must not overlap). Invited answers are read
row by row: a sample is at most a few thousand responses.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.periods import parse_period
from analysis.sample_bias import compare_with_sample, post_stratify
from analysis.sipas import answer_counts
from core.access import Actor, Permission, can
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit
from core.settings import get_setting
from surveys.frames import item_catalogue, month_rollup_counts
from surveys.models import Channel, SampleDraw
from surveys.month_rollups import ensure_fresh_month_rollups
from surveys.sample_frames import dossier_strata, invited_answers
from surveys.sampling import draw_status, subtree_ids

SELF_SELECTED = (Channel.DESK_QR.value, Channel.DOSSIER_QR.value, Channel.ONLINE.value)


@dataclass
class BiasReport:
    unit: Unit
    period: str
    comparison: pd.DataFrame   # analysis.sample_bias.COMPARISON_COLUMNS
    post: pd.DataFrame         # analysis.sample_bias.POST_COLUMNS
    draws: list[tuple[SampleDraw, object]]  # (draw, surveys.sampling.DrawStatus)
    population: int            # the period's dossiers
    min_n: int


def _self_counts(unit_ids: list[int], first, last, inside: pd.DataFrame) -> pd.DataFrame:
    counts = month_rollup_counts(group_by=[], unit_ids=unit_ids, since=first.replace(day=1),
                                 until=last.replace(day=1), channels=SELF_SELECTED,
                                 include_flagged=False)
    if inside.empty:
        return counts
    minus = answer_counts(inside[["item_code", "value"]]).rename(columns={"count": "minus"})
    merged = counts.merge(minus, on=["item_code", "value"], how="left")
    merged["count"] = merged["count"] - merged["minus"].fillna(0).astype("int64")
    return merged.loc[merged["count"] > 0, ["item_code", "value", "count"]]


def build_bias_report(actor: Actor, unit_id: int | None, period: str) -> BiasReport:
    """The report for a unit (its subtree) and a period; ServiceError 400 for a bad period,
    404 for a unit the actor may not see."""
    unit = db.session.get(Unit, unit_id) if unit_id is not None else None
    if unit is None or not can(actor, Permission.REPORTS_VIEW, unit):
        raise ServiceError("unit", status=404, field="unit")
    try:
        _freq, first, last = parse_period(period)
    except ValueError:
        raise ServiceError("period", status=400, field="period") from None
    ensure_fresh_month_rollups()
    unit_ids = subtree_ids(unit)
    items = item_catalogue()
    invited = invited_answers(unit_ids, period)
    self_counts = _self_counts(unit_ids, first, last, invited[invited["in_period"]])
    sample_counts = answer_counts(invited[["item_code", "value"]])
    min_n = int(get_setting("sipas.min_cell_size", on=last))
    population = dossier_strata(unit_ids, period)
    strata_counts = answer_counts(invited, by=["procedure", "channel"])
    draws = db.session.scalars(
        db.select(SampleDraw).where(SampleDraw.unit_id.in_(unit_ids),
                                    SampleDraw.period == period)
        .order_by(SampleDraw.id)).all()
    return BiasReport(
        unit=unit, period=period,
        comparison=compare_with_sample(self_counts, sample_counts, items, min_n=min_n),
        post=post_stratify(strata_counts, population, items, min_n=min_n),
        draws=[(draw, draw_status(draw)) for draw in draws],
        population=int(population["dossiers"].sum()),
        min_n=min_n)
