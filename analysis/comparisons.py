"""Comparing SIPAS figures: the change against the previous period with a two-proportion
z-test (``compare_periods``), units ranked best first with their distance to the target
(``rank_units``), and every figure that misses its target (``target_gaps``). The inputs are the
index tables of ``analysis.sipas`` (any level of ``SipasIndices``) or any frame with the
columns named.

Example:

>>> import pandas as pd
>>> frame = pd.DataFrame({"value": [80.0, 90.0, 1.5], "target": [85.0, 85.0, 1.0],
...                       "direction": ["at_least", "at_least", "at_most"]})
>>> target_gaps(frame)["distance"].tolist()  # 85 − 80, then 1.5 − 1; 90 ≥ 85 is met
[5.0, 0.5]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.intervals import two_proportion_test
from analysis.sipas import require_columns

__all__ = ["compare_periods", "rank_units", "target_gaps"]


def compare_periods(current: pd.DataFrame, previous: pd.DataFrame, keys: Sequence[str], *,
                    alpha: float = 0.05) -> pd.DataFrame:
    """Change against the previous period with a two-proportion z-test.

    Parameters
    ----------
    current, previous : DataFrame
        Index tables (any level of ``SipasIndices``) with ``keys`` and ``index``, ``n_eff``,
        ``suppressed``.
    keys : sequence of str
        Columns that identify the same cell in both periods (e.g. ``["unit_id", "element"]``).
    alpha : float
        Significance level of the two-sided test.

    Returns
    -------
    DataFrame
        ``[*keys, index_current, n_eff_current, index_previous, n_eff_previous,
        change_points, z, p_value, significant]``, one row per cell of ``current``;
        suppressed or missing cells have NaN change and are never significant.

    Notes
    -----
    change = index_current − index_previous (percentage points). The test treats the index
    as a share of ``n_eff`` answers: x = index/100 · n_eff (Agresti 2013, §3.1.3; z² equals the
    Pearson χ² of the 2 × 2 table without continuity correction).
    """
    keys = list(keys)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    for name, frame in (("current", current), ("previous", previous)):
        require_columns(frame, [*keys, "index", "n_eff", "suppressed"], name)
    columns = [*keys, "index", "n_eff"]
    left = current[columns].copy()
    left.loc[current["suppressed"].to_numpy(dtype=bool), "index"] = np.nan
    right = previous[columns].copy()
    right.loc[previous["suppressed"].to_numpy(dtype=bool), "index"] = np.nan
    joined = left.merge(right, on=keys, how="left", suffixes=("_current", "_previous"))
    a_share = joined["index_current"].to_numpy(dtype="float64") / 100
    b_share = joined["index_previous"].to_numpy(dtype="float64") / 100
    a_n = joined["n_eff_current"].to_numpy(dtype="float64")
    b_n = np.nan_to_num(joined["n_eff_previous"].to_numpy(dtype="float64"))
    known = np.isfinite(a_share) & np.isfinite(b_share)
    z, p_value = two_proportion_test(np.where(known, a_share * a_n, 0.0),
                                     np.where(known, a_n, 0.0),
                                     np.where(known, b_share * b_n, 0.0),
                                     np.where(known, b_n, 0.0))
    joined["change_points"] = np.where(known, (a_share - b_share) * 100, np.nan)
    joined["z"] = z
    joined["p_value"] = p_value
    joined["significant"] = np.nan_to_num(p_value, nan=1.0) < alpha
    return joined


def rank_units(table: pd.DataFrame, *, target: float | str, key: str = "unit_id",
               value: str = "index") -> pd.DataFrame:
    """Units ordered best first, each with its rank and distance to the target.

    Parameters
    ----------
    table : DataFrame
        One row per unit with ``key``, ``value`` and ``suppressed``.
    target : float or str
        The target in percent, or the name of a column holding each unit's own target.

    Returns
    -------
    DataFrame
        The rows sorted by ``value`` (descending; suppressed and empty rows last, unranked),
        plus ``rank`` (1 = best; ties share the better rank), ``target``, ``below_target`` and
        ``gap_points`` (target − value where below, else 0; NaN when unranked).
    """
    require_columns(table, [key, value, "suppressed"], "table")
    ranked = table.copy()
    if isinstance(target, str):
        require_columns(table, [target], "table")
        ranked["target"] = table[target].astype("float64")
    else:
        if not np.isfinite(target):
            raise ValueError(f"target must be a number, got {target!r}")
        ranked["target"] = float(target)
    scores = ranked[value].mask(ranked["suppressed"].astype(bool))
    ranked["rank"] = scores.rank(method="min", ascending=False).astype("Int64")
    ranked["below_target"] = (scores < ranked["target"]).fillna(False).astype(bool)
    ranked["gap_points"] = np.where(scores.isna(), np.nan,
                                    np.maximum(ranked["target"] - scores, 0.0))
    ranked["_order"] = scores.fillna(-np.inf)
    ranked = ranked.sort_values(["_order", key], ascending=[False, True], kind="mergesort")
    return ranked.drop(columns="_order").reset_index(drop=True)


def target_gaps(frame: pd.DataFrame, *, value: str = "value", target: str = "target",
                direction: str = "direction") -> pd.DataFrame:
    """Every row that misses its target, with the distance, largest first.

    Parameters
    ----------
    frame : DataFrame
        Rows with ``value``, ``target`` and ``direction`` ("at_least": value ≥ target is met,
        e.g. 85% per element or 100% on time; "at_most": value ≤ target is met, e.g. late
        dossiers under 1%). Other columns (indicator, unit …) are kept.

    Returns
    -------
    DataFrame
        The rows that miss, plus ``distance`` (how far from the target, in the value's own
        units, always positive). Rows whose value is NaN (suppressed or no data) are not
        judged.
    """
    require_columns(frame, [value, target, direction], "frame")
    unknown = set(frame[direction].dropna()) - {"at_least", "at_most"}
    if unknown or frame[direction].isna().any():
        raise ValueError(f"direction must be 'at_least' or 'at_most', got {sorted(unknown)}")
    values = frame[value].astype("float64")
    targets = frame[target].astype("float64")
    distance = np.where(frame[direction] == "at_least", targets - values, values - targets)
    result = frame.assign(distance=distance)
    missed = result[(result["distance"] > 0) & values.notna()]
    return missed.sort_values("distance", ascending=False, kind="mergesort").reset_index(
        drop=True)
