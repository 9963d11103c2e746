"""How far self-selected ratings (desk and dossier QR codes, the online form) are from a random
sample of the period's dossiers: per SIPAS element, the two indices, their difference with an
interval and a test, and the sample's index post-stratified to the period's dossiers.

Inputs are long-form answer counts ``[…, item_code, value, count]`` (the rollup shape that
``analysis.sipas.sipas_indices`` reads) and the item catalogue ``[item_code, element,
scale_max]``. Indices are in percent (0–100) as everywhere in SIPAS.

Difference (``compare_with_sample``)
    d = index(self-selected) − index(invited sample), in percentage points. The two groups are
    independent samples (an invited response is never counted among the self-selected). An
    element index is a mean of item shares, so each group counts as a binomial share p with
    ``n_eff`` trials (about the number of respondents, ``analysis.sipas``). Interval: Newcombe's
    hybrid score interval (Newcombe 1998, *Statistics in Medicine* 17:873–890, method 10),
    built from the two Wilson intervals (l₁, u₁), (l₂, u₂) of ``analysis.intervals``:

        L = d − √((p₁ − l₁)² + (u₂ − p₂)²),   U = d + √((u₁ − p₁)² + (p₂ − l₂)²)

    Test: the two-proportion z-test with pooled standard error
    (``analysis.intervals.two_proportion_test``), two-sided.

Post-stratified index (``post_stratify``)
    p_ps = Σ_h W_h p_h with W_h = N_h / N the share of the period's dossiers in stratum h
    (procedure × channel) and p_h the sample's element index in h. Variance
    Σ_h W_h² p_h(1 − p_h) / n_h (n_h the stratum's ``n_eff``), Wald interval clipped to 0–100
    (Cochran, *Sampling Techniques*, 3rd ed., 1977, §5A.9).
    Collapsing: a stratum with dossiers but no valid answer to an element is merged with the
    strata of the same procedure that have answers (its dossiers are added to theirs in
    proportion to their sizes; with two channels that is "the procedure's other channel"). A
    procedure with no answers at all in the element is left out and the other weights are
    rescaled; ``coverage`` says what share of the dossiers the estimate then speaks for.

Example (see tests/analysis/test_sample_bias.py for the hand-worked figures):

>>> low, high = newcombe_interval(56, 70, 48, 80)  # Newcombe (1998), table II, example (a)
>>> round(float(low), 4), round(float(high), 4)
(0.0524, 0.3339)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from analysis.intervals import two_proportion_test, wilson_interval
from analysis.sipas import DEFAULT_MIN_N, require_columns, sipas_indices

__all__ = ["compare_with_sample", "newcombe_interval", "post_stratify"]

SELF, SAMPLE = "self_selected", "sample"
COMPARISON_COLUMNS = ["element", "self_index", "self_n", "sample_index", "sample_n",
                      "difference", "diff_low", "diff_high", "z", "p_value", "suppressed"]
POST_COLUMNS = ["element", "sample_index", "post_index", "ci_low", "ci_high", "strata",
                "collapsed", "coverage", "suppressed"]


def newcombe_interval(x1: npt.ArrayLike, n1: npt.ArrayLike, x2: npt.ArrayLike,
                      n2: npt.ArrayLike, confidence: float = 0.95
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe's hybrid score interval for p₁ − p₂ (fractions; module docstring). NaN where
    either n is 0. ``x`` may be fractional (effective counts)."""
    low1, high1 = wilson_interval(x1, n1, confidence)
    low2, high2 = wilson_interval(x2, n2, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = np.asarray(x1, dtype="float64") / np.asarray(n1, dtype="float64")
        p2 = np.asarray(x2, dtype="float64") / np.asarray(n2, dtype="float64")
    d = p1 - p2
    low = d - np.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2)
    high = d + np.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2)
    return low, high


def _elements(counts: pd.DataFrame, items: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Element index and n_eff per ``by`` group, unsuppressed (suppression is applied last)."""
    if counts.empty:
        return pd.DataFrame(columns=[*by, "element", "index", "n_eff"])
    table = sipas_indices(counts, items, by=by, min_n=1).elements
    return table[[*by, "element", "index", "n_eff"]]


def compare_with_sample(self_counts: pd.DataFrame, sample_counts: pd.DataFrame,
                        items: pd.DataFrame, *, min_n: int = DEFAULT_MIN_N,
                        confidence: float = 0.95) -> pd.DataFrame:
    """Per element: the self-selected and the sample index (with n_eff), the difference in
    points with Newcombe's interval, z and the two-sided p-value (module docstring).

    A group with n_eff < ``min_n`` keeps its n but its index is NaN; then the comparison
    (difference, interval, z, p) is NaN too and ``suppressed`` True. Returns
    ``COMPARISON_COLUMNS`` sorted by element."""
    for frame, name in ((self_counts, "self_counts"), (sample_counts, "sample_counts")):
        require_columns(frame, ["item_code", "value", "count"], name)
    if isinstance(min_n, bool) or not isinstance(min_n, (int, np.integer)) or min_n < 1:
        raise ValueError(f"min_n must be a whole number ≥ 1, got {min_n!r}")
    both = pd.concat([self_counts[["item_code", "value", "count"]].assign(group=SELF),
                      sample_counts[["item_code", "value", "count"]].assign(group=SAMPLE)],
                     ignore_index=True)
    table = _elements(both, items, ["group"])
    wide = table.pivot(index="element", columns="group", values=["index", "n_eff"])
    wide.columns = [f"{value}_{group}" for value, group in wide.columns]
    wide = wide.reindex(columns=[f"{v}_{g}" for v in ("index", "n_eff") for g in (SELF, SAMPLE)])
    result = pd.DataFrame({
        "element": wide.index.astype("string"),
        "self_index": wide[f"index_{SELF}"].to_numpy(dtype="float64"),
        "self_n": wide[f"n_eff_{SELF}"].fillna(0).to_numpy(dtype="float64"),
        "sample_index": wide[f"index_{SAMPLE}"].to_numpy(dtype="float64"),
        "sample_n": wide[f"n_eff_{SAMPLE}"].fillna(0).to_numpy(dtype="float64")})
    x1 = np.nan_to_num(result["self_index"]) / 100 * result["self_n"]
    x2 = np.nan_to_num(result["sample_index"]) / 100 * result["sample_n"]
    low, high = newcombe_interval(x1, result["self_n"], x2, result["sample_n"], confidence)
    z, p_value = two_proportion_test(x1, result["self_n"], x2, result["sample_n"])
    result["difference"] = result["self_index"] - result["sample_index"]
    result["diff_low"], result["diff_high"] = low * 100, high * 100
    result["z"], result["p_value"] = z, p_value
    result["suppressed"] = np.minimum(result["self_n"], result["sample_n"]) < min_n
    # Each group's index is hidden below min_n on its own; the comparison needs both.
    result.loc[result["self_n"] < min_n, "self_index"] = np.nan
    result.loc[result["sample_n"] < min_n, "sample_index"] = np.nan
    figures = ["difference", "diff_low", "diff_high", "z", "p_value"]
    result.loc[result["suppressed"], figures] = np.nan
    return result[COMPARISON_COLUMNS].sort_values("element", ignore_index=True)


def _collapsed_weights(answered: pd.DataFrame, population: pd.DataFrame,
                       strata: list[str]) -> tuple[pd.DataFrame, int]:
    """The answered strata of one element with their dossiers after collapsing (module
    docstring), and how many strata were merged into others."""
    merged = population.merge(answered, on=strata, how="left")
    empty = merged["index"].isna()
    procedure = strata[0]
    moved = merged[empty].groupby(procedure, sort=False)["dossiers"].sum()
    kept = merged[~empty].copy()
    by_procedure = kept.groupby(procedure)["dossiers"].transform("sum")
    extra = kept[procedure].map(moved).fillna(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        kept["weight"] = kept["dossiers"] + extra * kept["dossiers"] / by_procedure
    # A procedure whose only answered strata have no dossiers (answers but none counted in the
    # period) shares the extra equally.
    zero = (by_procedure == 0) & (extra > 0)
    if zero.any():
        share = kept[zero].groupby(procedure)[procedure].transform("size")
        kept.loc[zero, "weight"] = extra[zero] / share
    collapsed = int((empty & merged[procedure].isin(kept[procedure])).sum())
    return kept, collapsed


def post_stratify(sample_counts: pd.DataFrame, population: pd.DataFrame, items: pd.DataFrame,
                  *, strata: Sequence[str] = ("procedure", "channel"),
                  min_n: int = DEFAULT_MIN_N, confidence: float = 0.95) -> pd.DataFrame:
    """Per element: the sample's plain index and its index post-stratified to ``population``
    (``[*strata, dossiers]``: the period's dossiers per stratum), with a Wald interval, the
    number of strata used and collapsed, and ``coverage`` (module docstring).

    ``sample_counts`` is ``[*strata, item_code, value, count]``; the first stratum column is
    the one strata are collapsed within. Returns ``POST_COLUMNS`` sorted by element."""
    strata = list(strata)
    if not strata:
        raise ValueError("strata must name at least one column")
    require_columns(sample_counts, [*strata, "item_code", "value", "count"], "sample_counts")
    require_columns(population, [*strata, "dossiers"], "population")
    if (population["dossiers"] < 0).any():
        raise ValueError("population: dossiers must not be negative")
    population = population.groupby(strata, as_index=False)["dossiers"].sum()
    total = float(population["dossiers"].sum())
    plain = _elements(sample_counts, items, [])
    by_stratum = _elements(sample_counts, items, strata)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    rows = []
    for element in sorted(plain["element"].unique()):
        answered = by_stratum[by_stratum["element"] == element][[*strata, "index", "n_eff"]]
        kept, collapsed = _collapsed_weights(answered, population, strata)
        covered = float(kept["weight"].sum())
        row = {"element": element,
               "sample_index": float(plain.loc[plain["element"] == element, "index"].iloc[0]),
               "strata": len(kept), "collapsed": collapsed,
               "coverage": covered / total if total else np.nan,
               "post_index": np.nan, "ci_low": np.nan, "ci_high": np.nan}
        n_eff = float(answered["n_eff"].sum())
        if covered > 0:
            weight = kept["weight"].to_numpy() / covered
            share = kept["index"].to_numpy() / 100
            estimate = float(np.sum(weight * share))
            se = float(np.sqrt(np.sum(weight ** 2 * share * (1 - share) / kept["n_eff"])))
            row.update(post_index=estimate * 100,
                       ci_low=max(0.0, estimate - z * se) * 100,
                       ci_high=min(1.0, estimate + z * se) * 100)
        row["suppressed"] = n_eff < min_n
        rows.append(row)
    result = pd.DataFrame(rows, columns=POST_COLUMNS)
    if not result.empty:
        figures = ["sample_index", "post_index", "ci_low", "ci_high"]
        result.loc[result["suppressed"], figures] = np.nan
    return result.astype({"element": "string", "suppressed": "bool"})
