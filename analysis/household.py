"""Figures of the SIPAS household form beside the satisfaction index (DOMAIN.md §2.1): the
harassment and unofficial-payment questions (Q5, Q6), interest in the nine local policies (Q1)
and what citizens expect of the administration (Q10).

Every function reads the rollup shape: a long frame with columns ``[*by, item_code, value,
count]`` (``surveys.frames.rollup_frame()`` after the caller has chosen the campaign, quality
and so on). Rows are summed within each group, so the frame may still be split by day or
channel. Values outside the item's scale (blanks, "don't know", stray codes) are not valid
answers and are left out of n.

Output conventions: shares and interval bounds are percentages 0–100, never rounded; ``n`` is
the number of valid answers and always shown; a figure resting on fewer than ``min_n`` answers
is suppressed (NaN, ``suppressed`` True), the rule of the national reports of publishing no
figure for a tiny cell (DOMAIN.md §2.2: default 5, an effective-dated setting the caller
passes in). A group with no valid answer gives NaN figures, not an error.

Groups are the combinations of ``by`` found among the rows of the items asked about, sorted
ascending (missing keys last); each group gets a row for every item asked about, in the order
given, so an item nobody in a group answered shows n = 0.

Example:

>>> counts = pd.DataFrame({"item_code": ["q1_1"] * 4, "value": [1, 2, 3, 4],
...                        "count": [2, 3, 10, 5]})
>>> row = interest_index(counts, item_codes=("q1_1",)).iloc[0]
>>> int(row["n"]), float(row["share"])  # (10 + 5) of 20 follow the policy
(20, 75.0)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.intervals import wilson_interval

__all__ = ["choice_shares", "expectation_index", "interest_index"]

Q1_ITEMS: tuple[str, ...] = tuple(f"q1_{i}" for i in range(1, 10))
Q10_ITEMS: tuple[str, ...] = tuple(f"q10_{i}" for i in range(1, 11))
# Q5 and Q6: 1 none, 2 some, 3 many (civil servants causing trouble; unofficial payments).
NONE_SOME_MANY: tuple[int, ...] = (1, 2, 3)
FOUR_POINT: tuple[int, ...] = (1, 2, 3, 4)
# Q1 3 "Quan tâm theo dõi" + 4 "Rất quan tâm theo dõi"; Q10 3 "Mong muốn" + 4 "Rất mong muốn".
TOP_TWO: tuple[int, ...] = (3, 4)
DEFAULT_MIN_N = 5
DEFAULT_CONFIDENCE = 0.95

CHOICE_COLUMNS = ["item_code", "value", "n", "share", "ci_low", "ci_high", "suppressed"]
INDEX_COLUMNS = ["item_code", "n", "share", "ci_low", "ci_high", "mean_score", "suppressed"]
_RESERVED = ("item_code", "value", "count")


def _by_columns(counts: object, by: Sequence[str] | str) -> list[str]:
    if not isinstance(counts, pd.DataFrame):
        raise ValueError(f"counts must be a pandas DataFrame, got {type(counts).__name__}")
    columns = [by] if isinstance(by, str) else list(by)
    if any(not isinstance(name, str) for name in columns):
        raise ValueError(f"by must be a sequence of column names, got {by!r}")
    if len(set(columns)) != len(columns):
        raise ValueError(f"by names a column twice: {by!r}")
    reserved = [name for name in columns if name in _RESERVED]
    if reserved:
        raise ValueError(f"by must not include {', '.join(reserved)}")
    missing = [name for name in (*columns, *_RESERVED) if name not in counts.columns]
    if missing:
        raise ValueError(f"counts lacks the column(s) {', '.join(missing)}")
    if not pd.api.types.is_numeric_dtype(counts["value"].dtype):
        raise ValueError("counts value must be numeric")
    count = counts["count"]
    if not pd.api.types.is_numeric_dtype(count.dtype) or pd.api.types.is_bool_dtype(count.dtype):
        raise ValueError("counts count must be numeric")
    if count.isna().any():
        raise ValueError("counts count has missing values")
    numbers = count.to_numpy(dtype="float64")
    if (numbers < 0).any() or np.isinf(numbers).any():
        raise ValueError("counts count must be finite and not negative")
    return columns


def _scale(values: Sequence[int], argument: str) -> tuple[int, ...]:
    scale = tuple(values)
    if not scale or len(set(scale)) != len(scale):
        raise ValueError(f"{argument} must list distinct values, got {values!r}")
    if any(isinstance(v, bool) or not isinstance(v, int | np.integer) for v in scale):
        raise ValueError(f"{argument} must hold integer answer codes, got {values!r}")
    return scale


def _item_codes(item_codes: Sequence[str] | str, argument: str) -> list[str]:
    codes = [item_codes] if isinstance(item_codes, str) else list(item_codes)
    if not codes or any(not isinstance(c, str) or not c for c in codes) \
            or len(set(codes)) != len(codes):
        raise ValueError(f"{argument} must be distinct non-empty item codes, got {item_codes!r}")
    return codes


def _check_min_n(min_n: int) -> int:
    if isinstance(min_n, bool) or not isinstance(min_n, int | np.integer) or min_n < 0:
        raise ValueError(f"min_n must be a whole number of answers ≥ 0, got {min_n!r}")
    return int(min_n)


def _tally(counts: pd.DataFrame, by: list[str], item_codes: list[str],
           values: tuple[int, ...]) -> tuple[pd.DataFrame, np.ndarray]:
    """Keys ``[*by, item_code]`` for every group × item, and beside them a matrix of counts with
    one column per value in ``values`` (valid answers only)."""
    relevant = counts.loc[counts["item_code"].isin(item_codes), [*by, "item_code", "value",
                                                                 "count"]]
    if by:
        groups = (relevant[by].drop_duplicates()
                  .sort_values(by, na_position="last", ignore_index=True))
    else:
        groups = pd.DataFrame(index=pd.RangeIndex(1))
    keys = groups.merge(pd.DataFrame({"item_code": item_codes}), how="cross")

    position = {value: j for j, value in enumerate(values)}
    valid = relevant.loc[relevant["value"].isin(values)]
    valid = valid.assign(_column=valid["value"].map(position).astype("int64"))
    summed = (valid.groupby([*by, "item_code", "_column"], dropna=False, sort=False)["count"]
              .sum().reset_index())
    # merge matches missing keys with missing keys, like groupby(dropna=False) grouped them.
    placed = keys.reset_index(names="_row").merge(summed, on=[*by, "item_code"], how="inner")

    integral = pd.api.types.is_integer_dtype(counts["count"].dtype)
    table = np.zeros((len(keys), len(values)), dtype="int64" if integral else "float64")
    np.add.at(table, (placed["_row"].to_numpy(), placed["_column"].to_numpy()),
              placed["count"].to_numpy(dtype=table.dtype))
    return keys, table


def _percent_with_interval(successes: np.ndarray, n: np.ndarray, confidence: float,
                           suppressed: np.ndarray) -> dict[str, np.ndarray]:
    low, high = wilson_interval(successes, n, confidence)
    # The Wilson bounds are exactly 0 at x = 0 and 1 at x = n; floating point leaves 1e-17
    # and 1 − 1e-16 there, which would print as an interval not holding a 0% or 100% share.
    low = np.where((successes == 0) & (n > 0), 0.0, low)
    high = np.where((successes == n) & (n > 0), 1.0, high)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(n > 0, 100 * successes / n, np.nan)
    return {
        "share": np.where(suppressed, np.nan, share),
        "ci_low": np.where(suppressed, np.nan, 100 * low),
        "ci_high": np.where(suppressed, np.nan, 100 * high),
    }


def choice_shares(counts: pd.DataFrame, item_code: str, by: Sequence[str] | str = (), *,
                  options: Sequence[int] = NONE_SOME_MANY, min_n: int = DEFAULT_MIN_N,
                  confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
    """Share of each option of a single-choice question, with its Wilson interval.

    Meant for Q5 (civil servants causing trouble or harassment) and Q6 (unofficial payments),
    options 1 none / 2 some / 3 many; the published headline is the share of option 1 (2024
    national figure for Q5: 90.06% "none"). Works for any single-choice item (Q4 with
    ``options=(1, 2, 3, 4)``).

    Parameters
    ----------
    counts : DataFrame
        Rollup shape ``[*by, item_code, value, count]`` (see the module notes).
    item_code : str
        The question, e.g. ``"q5"``.
    by : sequence of str or str
        Grouping columns (``()`` for one overall group).
    options : sequence of int
        The valid answer codes, in output order; other values are not valid answers.
    min_n : int
        Fewest valid answers for a published figure; below it the group's figures are NaN
        and ``suppressed`` is True (0 turns suppression off).
    confidence : float
        Level of the Wilson interval.

    Returns
    -------
    DataFrame
        ``[*by, item_code, value, n, share, ci_low, ci_high, suppressed]``, one row per group
        and option: ``n`` valid answers of the group (same on each of its rows), ``share`` =
        100 · count / n and its interval in percent, NaN when n = 0 or suppressed. Shares of
        a group add up to 100. The option's own count is not returned: it would reveal a
        suppressed share.

    Raises
    ------
    ValueError
        Bad ``counts`` (not a DataFrame, missing columns, non-numeric value or count, negative
        or missing counts), ``by``, ``item_code``, ``options``, ``min_n`` or ``confidence``.

    Notes
    -----
    share = 100 · xⱼ / n with n = Σⱼ xⱼ over the valid options; interval: the Wilson score
    interval on (xⱼ, n) (``analysis.intervals.wilson_interval``; Wilson 1927), each option
    on its own (marginal, not simultaneous, intervals).
    """
    columns = _by_columns(counts, by)
    code = _item_codes(item_code, "item_code")
    if len(code) != 1:
        raise ValueError(f"item_code must be one item code, got {item_code!r}")
    values = _scale(options, "options")
    min_n = _check_min_n(min_n)

    keys, table = _tally(counts, columns, code, values)
    n = table.sum(axis=1)
    width = len(values)
    rows = keys.loc[keys.index.repeat(width)].reset_index(drop=True)
    n_long = np.repeat(n, width)
    suppressed = n_long < min_n
    figures = _percent_with_interval(table.ravel(), n_long, confidence, suppressed)
    rows["value"] = np.tile(np.asarray(values, dtype="int64"), len(keys))
    rows["n"] = n_long
    for name, column in figures.items():
        rows[name] = column
    rows["suppressed"] = suppressed
    return rows[[*columns, *CHOICE_COLUMNS]]


def _scale_index(counts: pd.DataFrame, by: Sequence[str] | str, item_codes: Sequence[str],
                 scale: Sequence[int], positive: Sequence[int], min_n: int,
                 confidence: float) -> pd.DataFrame:
    columns = _by_columns(counts, by)
    codes = _item_codes(item_codes, "item_codes")
    values = _scale(scale, "scale")
    top = _scale(positive, "positive")
    if not set(top) <= set(values):
        raise ValueError(f"positive must be values of the scale {values!r}, got {positive!r}")
    min_n = _check_min_n(min_n)

    keys, table = _tally(counts, columns, codes, values)
    n = table.sum(axis=1)
    successes = table[:, [values.index(v) for v in top]].sum(axis=1)
    suppressed = n < min_n
    figures = _percent_with_interval(successes, n, confidence, suppressed)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, (table * np.asarray(values, dtype="float64")).sum(axis=1) / n,
                        np.nan)
    result = keys.copy()
    result["n"] = n
    for name, column in figures.items():
        result[name] = column
    result["mean_score"] = np.where(suppressed, np.nan, mean)
    result["suppressed"] = suppressed
    return result[[*columns, *INDEX_COLUMNS]]


def interest_index(counts: pd.DataFrame, by: Sequence[str] | str = (), *,
                   item_codes: Sequence[str] = Q1_ITEMS, positive: Sequence[int] = TOP_TWO,
                   min_n: int = DEFAULT_MIN_N,
                   confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
    """Interest in each local policy (Q1): share of citizens who follow it, per policy.

    Parameters
    ----------
    counts : DataFrame
        Rollup shape ``[*by, item_code, value, count]`` (see the module notes).
    by : sequence of str or str
        Grouping columns (``()`` for one overall group).
    item_codes : sequence of str
        The policies, default ``q1_1`` … ``q1_9`` in form order.
    positive : sequence of int
        The answers counted as interested, default ``(3, 4)``; see Notes.
    min_n : int
        Fewest valid answers for a published figure (see :func:`choice_shares`).
    confidence : float
        Level of the Wilson interval.

    Returns
    -------
    DataFrame
        ``[*by, item_code, n, share, ci_low, ci_high, mean_score, suppressed]``, one row per
        group and policy: ``n`` valid answers (1–4), ``share`` in percent with its Wilson
        interval, ``mean_score`` on the 1–4 scale; figures NaN when n = 0 or suppressed.

    Raises
    ------
    ValueError
        As for :func:`choice_shares`, and ``positive`` not within 1–4.

    Notes
    -----
    Scale: 1 "Không quan tâm theo dõi" (not interested), 2 "Khá quan tâm theo dõi" (fairly
    interested), 3 "Quan tâm theo dõi" (interested), 4 "Rất quan tâm theo dõi" (very
    interested). share = 100 · (x₃ + x₄) / (x₁ + x₂ + x₃ + x₄), mean = Σ v · x_v / n.

    Choice: "interested or very interested" (3–4), the top-two-box rule that mirrors the
    satisfaction index (4–5 of 5, DOMAIN.md §2.2), so the two read the same way. The
    alternative counts "fairly interested" too (2–4, i.e. 100 − the share "not interested"),
    since "khá" is a positive word in Vietnamese; it is available with
    ``positive=(2, 3, 4)``. The formula section of QĐ 1001 could not be read, so the agency
    should confirm which one its reports use.

    Interval: Wilson score interval on (x₃ + x₄, n) (``analysis.intervals.wilson_interval``;
    Wilson 1927).
    """
    return _scale_index(counts, by, item_codes, FOUR_POINT, positive, min_n, confidence)


def expectation_index(counts: pd.DataFrame, by: Sequence[str] | str = (), *,
                      item_codes: Sequence[str] = Q10_ITEMS, positive: Sequence[int] = TOP_TWO,
                      min_n: int = DEFAULT_MIN_N,
                      confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
    """What citizens want improved (Q10): share wanting each of the ten improvements.

    Parameters and return value as for :func:`interest_index`, with ``item_codes`` default
    ``q10_1`` … ``q10_10`` in form order.

    Notes
    -----
    Scale: 1 "Không mong muốn" (not wanted), 2 "Khá mong muốn" (somewhat wanted),
    3 "Mong muốn" (wanted), 4 "Rất mong muốn" (strongly wanted).
    share = 100 · (x₃ + x₄) / (x₁ + x₂ + x₃ + x₄): "want or very much want", the same
    top-two-box choice as :func:`interest_index` (alternative 2–4 with
    ``positive=(2, 3, 4)``); mean = Σ v · x_v / n; Wilson score interval on (x₃ + x₄, n).
    A higher share marks a more pressing demand: it ranks improvements, it is not a
    satisfaction figure.
    """
    return _scale_index(counts, by, item_codes, FOUR_POINT, positive, min_n, confidence)
