"""SIPAS satisfaction indices (Decision 1001/QĐ-BNV; DOMAIN.md §2.2) from answer counts.

Input is long-form counts, the shape of the rollup tables: one row per group × item × value with
its ``count`` (raw answers become this shape with ``answer_counts``). Everything is computed
unrounded; percentages (0–100) are produced only at the end, and suppression (too few answers)
is applied last, so a parent level always uses its children's true values.

Definitions
-----------
item index
    100 × answers in the top two levels (4–5 of the 5-point scale, 2–3 of the 3-level quick
    form) / valid answers (1 … scale maximum). Blanks, "don't know" and out-of-range values
    are not valid; any such rows present in ``counts`` are counted in ``invalid`` so a
    corrupted import shows. The value ``NOT_APPLICABLE`` (0: "Không áp dụng", e.g. the PAKN
    items II.E for a respondent who never sent a PAKN, DOMAIN.md §2.1) is excluded like a
    blank and counted in ``not_applicable``, so distributions can show it apart. Suppressed
    rows keep their counts (``satisfied``, ``n_1`` …) for analysts; anything published must
    drop them too, or the hidden index could be rebuilt.
element, component, overall
    ``aggregation="item_mean"``: mean of the child indices (element = mean of its items,
    component I policy / II services = mean of its elements, overall = mean of components),
    the reading of DOMAIN.md §2.2. ``"pooled"``: share of satisfied answers among all the
    answers below the level. ``"weighted"``: as ``item_mean``, but every item share is weighted
    by the ``weight`` column (strata or sample-size weights). Children without answers are left
    out of a mean (the ``items`` / ``elements`` columns say how many took part).
n, n_eff
    ``n`` is the number of valid answers. Answers of one respondent to the items of one element
    are correlated, so the interval of a level above the item uses ``n_eff``, the mean of its
    children's ``n_eff`` (about the number of respondents), not the pooled answer count, which
    would make it too narrow. With "pooled" the children are always the items below (so a
    component's ``n_eff`` is the mean over all its items, not over its elements).
    For weighted items ``n_eff`` is Kish's effective sample size
    (Σw)² / Σw² (Kish, *Survey Sampling*, 1965, §11.7).
interval
    Wilson score interval of the index with ``n_eff`` trials (``analysis.intervals``).
suppressed
    ``n_eff < min_n`` (default 5, the setting ``sipas.min_cell_size``): index, interval and mean
    score are NaN, never 0, and the row says ``suppressed``; ``n`` stays visible.

Example:

>>> component_of("II.A")  # part II of QĐ 1001: the services
'II'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.intervals import wilson_interval

__all__ = [
    "NOT_APPLICABLE",
    "SipasIndices",
    "answer_counts",
    "component_of",
    "require_columns",
    "sipas_indices",
    "subtree_counts",
]

AGGREGATIONS = ("item_mean", "pooled", "weighted")
COMPONENTS = {"I": "policy", "II": "services"}
MAX_SCALE = 5
VALUE_COLUMNS = [f"n_{value}" for value in range(1, MAX_SCALE + 1)]
# The stored answer "not applicable to me" of a rating item (QĐ 1001 counts valid answers
# only, so it counts like a blank for every index). One home: surveys import it from here.
NOT_APPLICABLE = 0
# The answer distribution every level carries: valid values 1…5, then "not applicable".
DISTRIBUTION_COLUMNS = [*VALUE_COLUMNS, "not_applicable"]
DEFAULT_MIN_N = 5

_STAT_COLUMNS = ["n", "n_eff", "index", "ci_low", "ci_high", "mean_score", *VALUE_COLUMNS,
                 "suppressed"]


@dataclass
class SipasIndices:
    """The four levels, each a DataFrame keyed by the ``by`` columns.

    items      [*by, item_code, element, n, invalid, satisfied, n_eff, index, ci_low, ci_high,
                mean_score, n_1 … n_5, not_applicable, suppressed]
    elements   [*by, element, component, items, n, n_eff, index, ci_low, ci_high, mean_score,
                n_1 … n_5, not_applicable, suppressed]
    components [*by, component, elements, n, n_eff, index, …]
    overall    [*by, components, n, n_eff, index, …]
    """

    items: pd.DataFrame
    elements: pd.DataFrame
    components: pd.DataFrame
    overall: pd.DataFrame
    aggregation: str
    min_n: int


def component_of(element: str) -> str:
    """"II.A" → "II" (the part before the first dot)."""
    return element.split(".", 1)[0]


def answer_counts(answers: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Raw answers (one row per response × item, columns ``[*by, item_code, value]``) → the
    count shape ``[*by, item_code, value, count]`` that ``sipas_indices`` reads."""
    keys = [*by, "item_code", "value"]
    require_columns(answers, keys, "answers")
    if answers.empty:
        return pd.DataFrame({**{key: answers[key] for key in keys},
                             "count": pd.Series(dtype="int64")})
    counted = answers.groupby(keys, dropna=False, sort=True, observed=True).size()
    return counted.rename("count").reset_index()


def sipas_indices(counts: pd.DataFrame, items: pd.DataFrame, *, by: Sequence[str] = (),
                  aggregation: str = "item_mean", weight: str | None = None,
                  min_n: int = DEFAULT_MIN_N, confidence: float = 0.95) -> SipasIndices:
    """Item, element, component and overall indices with intervals, per group of ``by``.

    Parameters
    ----------
    counts : DataFrame
        ``[*by, item_code, value, count]`` (plus ``weight`` when aggregation is "weighted").
    items : DataFrame
        The item catalogue ``[item_code, element, scale_max]``; ``element`` is a SIPAS group
        ("II.A" …) or missing for items that score no element (their item rows are still
        produced). Counts of items not in the catalogue are ignored.
    by : sequence of str
        Grouping columns of ``counts`` (unit, period, channel …).
    aggregation : {"item_mean", "pooled", "weighted"}
    weight : str, optional
        Column of ``counts`` with the weight of each row; required for "weighted".
    min_n : int
        Fewest (effective) answers for a published figure.
    confidence : float
        Level of the Wilson interval.

    Returns
    -------
    SipasIndices

    Notes
    -----
    Formulas in the module docstring; source: DOMAIN.md §2.2 (QĐ 1001/QĐ-BNV as used by the
    ministry's published reports: "% satisfied" = answers 4–5 / valid answers).
    """
    by = list(by)
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"aggregation must be one of {AGGREGATIONS}, got {aggregation!r}")
    if aggregation == "weighted" and weight is None:
        raise ValueError("weight: a weight column is required when aggregation='weighted'")
    if aggregation != "weighted" and weight is not None:
        raise ValueError("weight: only used when aggregation='weighted'")
    if isinstance(min_n, bool) or not isinstance(min_n, (int, np.integer)) or min_n < 1:
        raise ValueError(f"min_n must be a whole number ≥ 1, got {min_n!r}")
    require_columns(counts, [*by, "item_code", "value", "count"] + ([weight] if weight else []),
                     "counts")
    require_columns(items, ["item_code", "element", "scale_max"], "items")
    if items["item_code"].duplicated().any():
        raise ValueError("items: item_code must be unique")

    item_table = _item_level(counts, items, by, weight, confidence)
    element_input = item_table[item_table["element"].notna()].copy()
    element_input["component"] = element_input["element"].map(component_of)
    pooled = aggregation == "pooled"
    elements = _parent_level(element_input, by, "element", "items", "item_code", pooled,
                             confidence, extra=["component"])
    components = _parent_level(element_input if pooled else elements, by, "component",
                               "elements", "element", pooled, confidence)
    overall_input = (element_input if pooled else components).assign(_all=1)
    overall = _parent_level(overall_input, by, "_all", "components", "component", pooled,
                            confidence)
    overall = overall.drop(columns="_all")
    return SipasIndices(
        items=_suppress(item_table, min_n),
        elements=_suppress(elements, min_n),
        components=_suppress(components, min_n),
        overall=_suppress(overall, min_n),
        aggregation=aggregation, min_n=int(min_n))


def require_columns(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    """Raise ValueError naming ``name`` unless ``frame`` is a DataFrame with ``columns``
    (shared by the analysis modules that take SIPAS frames)."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a DataFrame, got {type(frame).__name__}")
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks the columns {missing}")


def _item_level(counts: pd.DataFrame, items: pd.DataFrame, by: list[str], weight: str | None,
                confidence: float) -> pd.DataFrame:
    catalogue = items[["item_code", "element", "scale_max"]]
    merged = counts.merge(catalogue, on="item_code", how="inner")
    count = merged["count"].to_numpy(dtype="float64")
    value = merged["value"].to_numpy(dtype="float64")
    scale_max = merged["scale_max"].to_numpy(dtype="float64")
    valid = (value >= 1) & (value <= scale_max) & (value == np.floor(value))
    w = merged[weight].to_numpy(dtype="float64") if weight else np.ones(len(merged))
    if weight and (np.any(~np.isfinite(w)) or np.any(w < 0)):
        raise ValueError(f"weight: column {weight!r} must hold finite weights ≥ 0")
    satisfied = valid & (value >= scale_max - 1)
    not_applicable = value == NOT_APPLICABLE
    parts = pd.DataFrame({
        **{key: merged[key] for key in by},
        "item_code": merged["item_code"],
        "n": np.where(valid, count, 0.0),
        "invalid": np.where(valid | not_applicable, 0.0, count),
        "satisfied": np.where(satisfied, count, 0.0),
        "_w": np.where(valid, w * count, 0.0),
        "_w2": np.where(valid, w * w * count, 0.0),
        "_wsat": np.where(satisfied, w * count, 0.0),
        "_wsum": np.where(valid, w * count * value, 0.0),
        **{column: np.where(valid & (value == level), count, 0.0)
           for level, column in enumerate(VALUE_COLUMNS, start=1)},
        "not_applicable": np.where(not_applicable, count, 0.0),
    })
    grouped = parts.groupby([*by, "item_code"], dropna=False, sort=True).sum().reset_index()
    grouped = grouped.merge(catalogue[["item_code", "element"]], on="item_code", how="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        share = grouped["_wsat"] / grouped["_w"]
        grouped["mean_score"] = grouped["_wsum"] / grouped["_w"]
        grouped["n_eff"] = np.where(grouped["_w2"] > 0, grouped["_w"] ** 2 / grouped["_w2"], 0.0)
    grouped["_share"] = share.where(grouped["n"] > 0)
    grouped["mean_score"] = grouped["mean_score"].where(grouped["n"] > 0)
    _add_interval(grouped, confidence)
    for column in ("n", "invalid", "satisfied", *DISTRIBUTION_COLUMNS):
        grouped[column] = grouped[column].astype("int64")
    return grouped[[*by, "item_code", "element", "n", "invalid", "satisfied", "n_eff",
                    "index", "ci_low", "ci_high", "mean_score", *DISTRIBUTION_COLUMNS]]


def _add_interval(frame: pd.DataFrame, confidence: float) -> None:
    share = frame.pop("_share").to_numpy(dtype="float64")
    n_eff = frame["n_eff"].to_numpy(dtype="float64")
    known = np.isfinite(share) & (n_eff > 0)
    low, high = wilson_interval(np.where(known, share * n_eff, 0.0), np.where(known, n_eff, 0.0),
                                confidence)
    frame["index"] = np.where(known, 100 * share, np.nan)
    frame["ci_low"] = np.where(known, 100 * low, np.nan)
    frame["ci_high"] = np.where(known, 100 * high, np.nan)


def _parent_level(children: pd.DataFrame, by: list[str], level: str, child_count: str,
                  child_key: str, pooled: bool, confidence: float,
                  extra: Sequence[str] = ()) -> pd.DataFrame:
    """One level up: the mean of the children's indices, or (pooled) the share of all the
    satisfied answers below; ``children`` are item rows when pooled, else the level below."""
    keys = [*by, level, *extra]
    frame = children.copy()
    answered = frame["n"] > 0
    frame["_has"] = answered.astype("int64")
    frame["_child"] = frame[child_key].where(answered)
    frame["_n_eff"] = frame["n_eff"].where(answered)
    frame["_index"] = frame["index"].where(answered)
    frame["_mean"] = frame["mean_score"].where(answered)
    if pooled:
        frame["_wsat"] = frame["index"].fillna(0) / 100 * frame["n_eff"]
        frame["_wsum"] = frame["mean_score"].fillna(0) * frame["n_eff"]
    sums = {"n": "sum", "_has": "sum", **{column: "sum" for column in DISTRIBUTION_COLUMNS}}
    means = {"_n_eff": "mean", "_index": "mean", "_mean": "mean", "_child": "nunique"}
    aggregations = {**sums, **means}
    if pooled:
        aggregations |= {"_wsat": "sum", "_wsum": "sum", "n_eff": "sum"}
    grouped = frame.groupby(keys, dropna=False, sort=True).agg(aggregations).reset_index()
    if pooled:
        with np.errstate(divide="ignore", invalid="ignore"):
            share = grouped["_wsat"] / grouped["n_eff"]
            grouped["mean_score"] = grouped["_wsum"] / grouped["n_eff"]
        grouped = grouped.drop(columns=["_wsat", "_wsum", "n_eff"])
    else:
        share = grouped["_index"] / 100
        grouped["mean_score"] = grouped["_mean"]
    grouped["n_eff"] = grouped["_n_eff"].fillna(0.0)
    grouped["_share"] = share.where(grouped["_has"] > 0)
    grouped["mean_score"] = grouped["mean_score"].where(grouped["_has"] > 0)
    grouped[child_count] = grouped["_child"].astype("int64")
    _add_interval(grouped, confidence)
    for column in ("n", *DISTRIBUTION_COLUMNS):
        grouped[column] = grouped[column].astype("int64")
    return grouped[[*keys, child_count, "n", "n_eff", "index", "ci_low", "ci_high",
                    "mean_score", *DISTRIBUTION_COLUMNS]]


def _suppress(frame: pd.DataFrame, min_n: int) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    suppressed = frame["n_eff"].to_numpy(dtype="float64") < min_n
    for column in ("index", "ci_low", "ci_high", "mean_score"):
        frame[column] = frame[column].mask(suppressed)
    frame["suppressed"] = suppressed
    return frame


# --- units ---------------------------------------------------------------------------------

def subtree_counts(counts: pd.DataFrame, ancestry: pd.DataFrame, *,
                   unit_column: str = "unit_id") -> pd.DataFrame:
    """Roll counts up the organisation tree: every row counts for its unit and each ancestor.

    Parameters
    ----------
    counts : DataFrame
        Count rows with ``unit_column`` and ``count``.
    ancestry : DataFrame
        ``[unit_id, ancestor_id]`` pairs, one per unit and each unit above it *including
        itself* (a unit without a pair is dropped, so pass the pairs of the subtree asked for).

    Returns
    -------
    DataFrame
        Same columns, ``unit_column`` now the ancestor, counts summed.
    """
    require_columns(counts, [unit_column, "count"], "counts")
    require_columns(ancestry, ["unit_id", "ancestor_id"], "ancestry")
    pairs = ancestry.rename(columns={"unit_id": unit_column})[[unit_column, "ancestor_id"]]
    merged = counts.merge(pairs, on=unit_column, how="inner")
    merged[unit_column] = merged.pop("ancestor_id").astype(counts[unit_column].dtype)
    keys = [column for column in counts.columns if column != "count"]
    summed = merged.groupby(keys, dropna=False, sort=True)["count"].sum().reset_index()
    return summed[list(counts.columns)]
