"""Internal consistency of a rating scale: Cronbach's alpha, item–total correlations and alpha
per SIPAS element.

An element (II.A access, II.C civil servants …) is published as the mean of its item indices,
which only makes sense when its items measure one thing; alpha is the usual check that they
hang together, and the item table shows which item pulls the scale down.

Missing answers
---------------
Every function uses **listwise deletion**: a respondent enters only with an answer to every item
of the scale (a blank or "don't know" leaves that respondent out of that scale). Pairwise
deletion would use more answers but can give a covariance matrix that belongs to no sample and
an alpha outside (−∞, 1]; listwise deletion is what SPSS RELIABILITY, R ``psy::cronbach`` and
``ltm::cronbach.alpha(na.rm=TRUE)`` do. The number of complete respondents is returned beside
every figure so a reader sees how many answers the figure rests on.

Example:

>>> wide = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
>>> round(cronbach_alpha(wide), 4)  # 3/2 · (1 − (2.5 + 2.3 + 1.5) / 17.3), by hand
0.9538
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

__all__ = ["cronbach_alpha", "item_total_correlations", "reliability_by_element"]

ITEM_TABLE_COLUMNS = ["item_code", "corrected_item_total_r", "alpha_if_deleted", "n"]
ELEMENT_TABLE_COLUMNS = ["element", "items", "respondents", "alpha"]


def _complete_rows(wide: object, argument: str = "wide") -> np.ndarray:
    """The respondents × items matrix of ``wide`` without any row holding a missing answer."""
    if not isinstance(wide, pd.DataFrame):
        raise ValueError(f"{argument} must be a pandas DataFrame, got {type(wide).__name__}")
    if wide.columns.has_duplicates:
        raise ValueError(f"{argument} has duplicate item columns")
    not_numeric = [str(name) for name, dtype in wide.dtypes.items()
                   if not pd.api.types.is_numeric_dtype(dtype)]
    if not_numeric:
        raise ValueError(f"{argument} has non-numeric item column(s): {', '.join(not_numeric)}")
    matrix = wide.to_numpy(dtype="float64", na_value=np.nan)
    if np.isinf(matrix).any():
        raise ValueError(f"{argument} holds infinite values")
    return matrix[~np.isnan(matrix).any(axis=1)]


def _alpha(matrix: np.ndarray) -> float:
    """Cronbach's alpha of a complete respondents × items matrix (NaN when undefined)."""
    respondents, k = matrix.shape
    if k < 2 or respondents < 2:
        return float("nan")
    total_variance = matrix.sum(axis=1).var(ddof=1)
    if not total_variance > 0:
        return float("nan")
    item_variances = matrix.var(axis=0, ddof=1).sum()
    return float(k / (k - 1) * (1 - item_variances / total_variance))


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson's r, NaN when either variable does not vary (or fewer than 2 pairs)."""
    if len(x) < 2:
        return float("nan")
    dx = x - x.mean()
    dy = y - y.mean()
    denominator = np.sqrt((dx * dx).sum() * (dy * dy).sum())
    if not denominator > 0:
        return float("nan")
    return float((dx * dy).sum() / denominator)


def cronbach_alpha(wide: pd.DataFrame) -> float:
    """Cronbach's alpha of a scale.

    Parameters
    ----------
    wide : DataFrame
        One row per respondent, one numeric column per item; NaN (or ``<NA>``) is a missing
        answer. Respondents with any missing answer are left out (listwise deletion, see the
        module notes).

    Returns
    -------
    float
        Alpha, at most 1 and negative when items disagree more than they agree. NaN when
        there are fewer than 2 items, fewer than 2 complete respondents, or the total score
        does not vary.

    Raises
    ------
    ValueError
        ``wide`` is not a DataFrame, has duplicate or non-numeric columns, or infinite values.

    Notes
    -----
    With k items, item variances s²ᵢ and the variance s²_X of the total score X = Σᵢ yᵢ
    (both with n − 1 in the denominator; the choice cancels),

        α = k / (k − 1) · (1 − Σᵢ s²ᵢ / s²_X)

    Source: L. J. Cronbach (1951), "Coefficient alpha and the internal structure of tests",
    Psychometrika 16:297–334, eq. (2). It equals Hoyt's (1941) ANOVA reliability
    1 − MS_residual / MS_respondents, and KR-20 for items scored 0/1.
    """
    return _alpha(_complete_rows(wide))


def item_total_correlations(wide: pd.DataFrame) -> pd.DataFrame:
    """Per item: the corrected item–total correlation and alpha if the item were dropped.

    Parameters
    ----------
    wide : DataFrame
        As for :func:`cronbach_alpha`. The same listwise deletion over *all* items is applied
        once, so every row rests on the same respondents and ``alpha_if_deleted`` is comparable
        with the scale's alpha.

    Returns
    -------
    DataFrame
        One row per column of ``wide``, in column order: ``item_code`` (the column label),
        ``corrected_item_total_r`` (float), ``alpha_if_deleted`` (float) and ``n`` (int64,
        complete respondents). r is NaN when the item or the rest of the scale does not vary
        or with fewer than 2 complete respondents; ``alpha_if_deleted`` is NaN when fewer than
        2 items would remain.

    Raises
    ------
    ValueError
        As for :func:`cronbach_alpha`.

    Notes
    -----
    The corrected item–total correlation of item j is Pearson's r between yⱼ and the total of
    the *other* items, X − yⱼ (the uncorrected r with X is inflated because X contains yⱼ).
    ``alpha_if_deleted`` is Cronbach's alpha of the k − 1 remaining items on the same
    respondents. Source: Nunnally & Bernstein, *Psychometric Theory* (3rd ed., 1994), ch. 8;
    these are the "Corrected Item-Total Correlation" and "Cronbach's Alpha if Item Deleted"
    columns of SPSS RELIABILITY /SUMMARY=TOTAL.
    """
    matrix = _complete_rows(wide)
    total = matrix.sum(axis=1)
    correlations = []
    alphas = []
    for j in range(matrix.shape[1]):
        item = matrix[:, j]
        correlations.append(_pearson(item, total - item))
        alphas.append(_alpha(np.delete(matrix, j, axis=1)))
    return pd.DataFrame({
        "item_code": pd.Series(list(wide.columns)),
        "corrected_item_total_r": pd.Series(correlations, dtype="float64"),
        "alpha_if_deleted": pd.Series(alphas, dtype="float64"),
        "n": pd.Series([matrix.shape[0]] * matrix.shape[1], dtype="int64"),
    }, columns=ITEM_TABLE_COLUMNS)


def _check_columns(frame: object, argument: str, columns: tuple[str, ...]) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{argument} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise ValueError(f"{argument} lacks the column(s) {', '.join(missing)}")
    return frame


def reliability_by_element(answers_long: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Cronbach's alpha of each element (group of items) from raw answers.

    Parameters
    ----------
    answers_long : DataFrame
        Columns ``response_id``, ``item_code``, ``value`` (numeric): one row per response and
        answered item, the shape of ``surveys.frames.answers_frame()``. A missing ``value`` is
        a missing answer. Answers to items not listed in ``items`` are ignored; out-of-scale
        codes must be removed by the caller (nothing here knows the scale).
    items : DataFrame
        Columns ``item_code`` and ``element``: which element each item belongs to.

    Returns
    -------
    DataFrame
        One row per element in order of first appearance in ``items``: ``element``,
        ``items`` (int64, number of items of the element), ``respondents`` (int64, responses
        that answered every item of the element: listwise deletion per element) and
        ``alpha`` (float; NaN as in :func:`cronbach_alpha`, e.g. for a one-item element or an
        element nobody answered in full).

    Raises
    ------
    ValueError
        A frame is not a DataFrame or lacks a column; ``items`` lists an item twice or has no
        element for one; a response answers an item twice; ``value`` is not numeric.

    Notes
    -----
    Alpha per element as in :func:`cronbach_alpha` (Cronbach 1951). Each element uses its own
    complete respondents, so a respondent who skipped one item of II.A still counts for II.C.
    """
    _check_columns(answers_long, "answers_long", ("response_id", "item_code", "value"))
    _check_columns(items, "items", ("item_code", "element"))
    if items["item_code"].duplicated().any():
        twice = items.loc[items["item_code"].duplicated(), "item_code"].unique()
        raise ValueError(f"items lists item_code {', '.join(map(str, twice))} more than once")
    if items["element"].isna().any() or items["item_code"].isna().any():
        raise ValueError("items has a row without item_code or element")
    if not pd.api.types.is_numeric_dtype(answers_long["value"].dtype):
        raise ValueError("answers_long value must be numeric")

    known = answers_long.loc[answers_long["item_code"].isin(items["item_code"]),
                             ["response_id", "item_code", "value"]]
    if known.duplicated(["response_id", "item_code"]).any():
        raise ValueError("answers_long has a response that answers the same item_code twice")
    wide = known.pivot(index="response_id", columns="item_code", values="value")

    rows: list[tuple[Hashable, int, int, float]] = []
    for element, codes in items.groupby("element", sort=False)["item_code"]:
        scale = wide.reindex(columns=list(codes))
        complete = _complete_rows(scale, "answers_long")
        rows.append((element, len(codes), complete.shape[0], _alpha(complete)))
    return pd.DataFrame({
        "element": pd.Series([row[0] for row in rows]),
        "items": pd.Series([row[1] for row in rows], dtype="int64"),
        "respondents": pd.Series([row[2] for row in rows], dtype="int64"),
        "alpha": pd.Series([row[3] for row in rows], dtype="float64"),
    }, columns=ELEMENT_TABLE_COLUMNS)
