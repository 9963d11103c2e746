"""League tables: units ranked by a share (the SIPAS index, the PAKN on-time rate) with honest
uncertainty: each unit's 95% interval, a rank band instead of a single rank where intervals
overlap, a marker where a unit differs significantly from the median unit, and suppression
below the minimum cell size.

Definitions
-----------
rank band
    Higher is better. Among the ranked units (those with a published value), unit i can be no
    better than 1 + the number of units whose whole interval lies above its interval
    (``low_j > high_i``), and no worse than N − the number of units whose whole interval lies
    below it (``high_j < low_i``). Intervals that merely touch count as overlapping. This is
    the "interval overlap" rank band: deterministic, explainable in one sentence, and
    conservative (two 95% intervals can overlap although the two units differ at the 5% level),
    so a band is never narrower than the data support. Goldstein & Spiegelhalter (1996, JRSS A
    159:385–443) simulate rank intervals instead; those are narrower but need the sampling
    model of every unit and change from run to run unless seeded.
versus the median unit
    The benchmark is the median of the ranked units' values (for an even number of units, the
    mean of the two middle ones). A unit is "above" or "below" when its 95% interval excludes
    the benchmark. For a Wilson interval this is exactly the two-sided score test of
    H0: p = benchmark at the 5% level (the Wilson interval is the set of p0 that test does not
    reject; Wilson 1927, Agresti & Coull 1998), i.e. the unit lies outside the 95% control
    limits of a funnel plot around the median (Spiegelhalter 2005, Stat Med 24:1185–1202). The
    benchmark is treated as fixed, as in a funnel plot, so a unit can be "below" the median
    and still have a rank band reaching 1: the band compares it with other uncertain units,
    the marker with one fixed figure. With fewer than ``MIN_UNITS_FOR_MEDIAN``
    ranked units there is no middle unit to compare with and nothing is marked. With many
    units about 1 in 20 may be marked by chance alone; the pages say so.
suppression
    A unit whose sample (effective answers for SIPAS, timed cases for PAKN) is below the
    minimum cell size keeps no value, interval or rank (``hidden = "small"``). For published
    tables, when exactly one unit is hidden for a small sample, the published unit with the
    smallest sample is hidden too (``hidden = "derived"``): otherwise the parent's total,
    published elsewhere, minus the units shown would give the small one back
    (complementary suppression; Hundepool et al., *Statistical Disclosure Control*, 2012, §4.4).

Example (four units, values and 95% intervals in percent; the median is (80 + 65) / 2 = 72.5,
which unit 2's interval 72–86 contains):

>>> import pandas as pd
>>> frame = pd.DataFrame({"unit_id": [1, 2, 3, 4], "value": [90.0, 80.0, 65.0, 40.0],
...                       "ci_low": [85.0, 72.0, 58.0, 30.0],
...                       "ci_high": [95.0, 86.0, 71.0, 50.0],
...                       "n": [100, 100, 100, 100], "suppressed": [False] * 4})
>>> table = league_table(frame)
>>> table[["unit_id", "best_rank", "worst_rank", "versus_median"]].values.tolist()
[[1, 1, 2, 'above'], [2, 1, 2, 'same'], [3, 3, 3, 'below'], [4, 4, 4, 'below']]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.intervals import wilson_interval
from analysis.sipas import require_columns

__all__ = [
    "HIDDEN_DERIVED",
    "HIDDEN_SMALL",
    "MIN_UNITS_FOR_MEDIAN",
    "complementary_suppression",
    "league_table",
    "on_time_by_unit",
    "proportion_table",
    "rank_bands",
    "versus_benchmark",
]

HIDDEN_SMALL = "small"
HIDDEN_DERIVED = "derived"
MIN_UNITS_FOR_MEDIAN = 3
ABOVE, BELOW, SAME = "above", "below", "same"


def rank_bands(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best and worst possible rank (1 = best, higher values better) of each interval.

    Parameters
    ----------
    low, high : array_like
        Interval bounds of the ranked units only (no NaN).

    Returns
    -------
    best, worst : ndarray of int
        best_i = 1 + #{j : low_j > high_i}, worst_i = N − #{j : high_j < low_i}.
    """
    low = np.asarray(low, dtype="float64")
    high = np.asarray(high, dtype="float64")
    if low.shape != high.shape or low.ndim != 1:
        raise ValueError("low and high must be one-dimensional and of the same length")
    if np.any(~np.isfinite(low)) or np.any(~np.isfinite(high)) or np.any(low > high):
        raise ValueError("low and high must be finite with low ≤ high")
    entirely_above = (low[None, :] > high[:, None]).sum(axis=1)   # row i: units above i
    entirely_below = (high[None, :] < low[:, None]).sum(axis=1)   # row i: units below i
    return (1 + entirely_above).astype("int64"), (len(low) - entirely_below).astype("int64")


def versus_benchmark(low: np.ndarray, high: np.ndarray, benchmark: float) -> np.ndarray:
    """"above" where the whole interval lies above ``benchmark``, "below" where it lies
    below, else "same" (the interval contains it). See the module docstring for the test."""
    low = np.asarray(low, dtype="float64")
    high = np.asarray(high, dtype="float64")
    return np.where(low > benchmark, ABOVE, np.where(high < benchmark, BELOW, SAME))


def league_table(frame: pd.DataFrame, *, key: str = "unit_id", value: str = "value",
                 low: str = "ci_low", high: str = "ci_high", n: str = "n",
                 suppressed: str = "suppressed", protect: bool = False) -> pd.DataFrame:
    """Units ordered best first with rank, rank band and the comparison with the median unit.

    Parameters
    ----------
    frame : DataFrame
        One row per unit with ``key``, ``value``, ``low``, ``high`` (the same scale, e.g.
        percent), ``n`` (the sample size suppression was judged on) and ``suppressed``.
    protect : bool
        Apply complementary suppression (for published tables; see the module docstring).

    Returns
    -------
    DataFrame
        The input columns plus ``hidden`` (None, "small" or "derived"; hidden rows have NaN
        value and interval), ``rank`` (1 = best, ties share the better rank), ``best_rank``,
        ``worst_rank`` (nullable Int64: missing for hidden or empty rows), ``benchmark``
        (the median of the ranked values, NaN with fewer than ``MIN_UNITS_FOR_MEDIAN``) and
        ``versus_median`` ("above", "below", "same", or None when not tested). Ranked rows
        first by value (descending) then ``key``; unranked rows after them by ``key``.
    """
    require_columns(frame, [key, value, low, high, n, suppressed], "frame")
    if frame[key].duplicated().any():
        raise ValueError(f"frame: {key} must be unique")
    table = frame.reset_index(drop=True).copy()
    sizes = table[n].fillna(0).to_numpy(dtype="float64")
    small = table[suppressed].astype(bool).to_numpy()
    hidden = np.where(small & (sizes > 0), HIDDEN_SMALL, None).astype(object)
    if protect:
        hidden = complementary_suppression(sizes, hidden, table[key].to_numpy())
    values = table[value].to_numpy(dtype="float64")
    ranked = (pd.isna(hidden) & np.isfinite(values)
              & np.isfinite(table[low].to_numpy(dtype="float64"))
              & np.isfinite(table[high].to_numpy(dtype="float64")))
    for column in (value, low, high):
        table[column] = table[column].astype("float64").where(ranked)
    table["hidden"] = pd.Series(hidden, dtype="object").where(~pd.isna(hidden), None)

    best = pd.Series(pd.NA, index=table.index, dtype="Int64")
    worst = best.copy()
    if ranked.any():
        b, w = rank_bands(table.loc[ranked, low], table.loc[ranked, high])
        best[ranked] = b
        worst[ranked] = w
    table["rank"] = table[value].rank(method="min", ascending=False).astype("Int64")
    table["best_rank"], table["worst_rank"] = best, worst

    count = int(ranked.sum())
    benchmark = float(np.median(values[ranked])) if count >= MIN_UNITS_FOR_MEDIAN else np.nan
    table["benchmark"] = benchmark
    marker = pd.Series(None, index=table.index, dtype="object")
    if np.isfinite(benchmark):
        marker[ranked] = versus_benchmark(table.loc[ranked, low], table.loc[ranked, high],
                                          benchmark)
    table["versus_median"] = marker
    table["_order"] = table[value].fillna(-np.inf)
    table = table.sort_values(["_order", key], ascending=[False, True], kind="mergesort")
    table = table.drop(columns="_order").reset_index(drop=True)
    for column in ("hidden", "versus_median"):   # None, never NaN, for "no marker"
        table[column] = table[column].astype(object).where(table[column].notna(), None)
    return table


def complementary_suppression(sizes: np.ndarray, hidden: np.ndarray,
                              keys: np.ndarray) -> np.ndarray:
    """``hidden`` with one more unit hidden ("derived") when exactly one unit with a sample is
    hidden for a small sample: the shown unit with the smallest sample (ties: the smallest
    key), so the parent's total minus the shown units no longer gives the small one back."""
    hidden = np.asarray(hidden, dtype=object).copy()
    sizes = np.asarray(sizes, dtype="float64")
    is_hidden = ~pd.isna(hidden)
    if int((is_hidden & (sizes > 0)).sum()) != 1:
        return hidden
    candidates = np.flatnonzero(~is_hidden & (sizes > 0))
    if len(candidates) == 0:
        return hidden
    order = sorted(candidates, key=lambda i: (sizes[i], keys[i]))
    hidden[order[0]] = HIDDEN_DERIVED
    return hidden


def proportion_table(frame: pd.DataFrame, *, successes: str, trials: str, min_n: int,
                     confidence: float = 0.95) -> pd.DataFrame:
    """A share per row in percent with its Wilson interval, suppressed below ``min_n`` trials:
    the input of ``league_table`` for counts such as PAKN handled on time of those timed.

    Returns
    -------
    DataFrame
        ``frame`` plus ``value`` (100 × successes / trials, NaN when suppressed or no trials),
        ``ci_low``, ``ci_high`` (percent), ``n`` (= trials) and ``suppressed``
        (trials < ``min_n``).
    """
    require_columns(frame, [successes, trials], "frame")
    if isinstance(min_n, bool) or not isinstance(min_n, int | np.integer) or min_n < 1:
        raise ValueError(f"min_n must be a whole number ≥ 1, got {min_n!r}")
    x = frame[successes].to_numpy(dtype="float64")
    total = frame[trials].to_numpy(dtype="float64")
    lower, upper = wilson_interval(x, total, confidence)
    shown = total >= min_n
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, 100 * x / total, np.nan)
    return frame.assign(value=np.where(shown, share, np.nan),
                        ci_low=np.where(shown, 100 * lower, np.nan),
                        ci_high=np.where(shown, 100 * upper, np.nan),
                        n=total.astype("int64"), suppressed=~shown)


def on_time_by_unit(cases: pd.DataFrame, outcomes: pd.DataFrame,
                    groups: dict[int, int]) -> pd.DataFrame:
    """PAKN handled on time per league unit.

    Parameters
    ----------
    cases : DataFrame
        ``[handling_unit_id, agency_id]`` per case (``feedback.frames.cases_frame``).
    outcomes : DataFrame
        ``[timed, on_time]`` per case, same index (``analysis.pakn_kpis.case_outcomes``).
    groups : dict
        Unit id → the league unit it counts for (every unit of the league units' subtrees).

    Returns
    -------
    DataFrame
        ``[unit_id, cases, timed, on_time]`` for every distinct value of ``groups``, sorted.

    Notes
    -----
    A case counts for the unit that handles it; one never assigned (refused or transferred at
    triage) for the unit that registered it. Each case counts once, so the units' counts add
    up; cases that fall outside every league unit (e.g. handled at the parent itself) are left
    out.
    """
    require_columns(cases, ["handling_unit_id", "agency_id"], "cases")
    require_columns(outcomes, ["timed", "on_time"], "outcomes")
    owner = cases["handling_unit_id"].astype("Int64").fillna(
        cases["agency_id"].astype("Int64"))
    unit = owner.map(lambda value: groups.get(int(value)) if pd.notna(value) else None)
    counted = pd.DataFrame({"unit_id": unit, "cases": 1,
                            "timed": outcomes["timed"].astype("int64"),
                            "on_time": outcomes["on_time"].astype("int64")}).dropna(
        subset=["unit_id"])
    summed = counted.groupby("unit_id").sum()
    units = sorted(set(groups.values()))
    result = summed.reindex(units, fill_value=0).rename_axis("unit_id").reset_index()
    return result.astype({"unit_id": "int64", "cases": "int64", "timed": "int64",
                          "on_time": "int64"})
