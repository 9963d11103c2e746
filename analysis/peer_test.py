"""Does a desk's answer distribution depart from its peers'? A chi-square goodness-of-fit test
of each subject's answer counts against the pooled counts of every other subject, with Holm's
multiple-testing correction across the subjects tested.

Definitions
-----------
response-weighted counts
    One respondent's answers to the items of a form are strongly correlated (a person who is
    pleased answers 5 nearly everywhere), so 16 answers are not 16 independent observations.
    Each response therefore counts once: its answers on the 5-point scale are weighted
    1 / (its answered items), so ``N`` is the number of responses. This is the conservative
    end of the Rao–Scott first-order correction (design effect = cluster size; Rao & Scott,
    *JASA* 76, 1981): without it an ordinary desk with a few hundred responses would already
    "depart" from its peers.
statistic
    ``X² = Σ_v (O_v − E_v)² / E_v`` with ``E_v = N × peer share of value v``; values no peer
    ever gave are left out (their expected count is 0: conservative, the desk's answers there
    are not counted as departure), df = (values kept) − 1; ``p`` from the
    χ² distribution; ``w = √(X² / N)`` is Cohen's effect size (0.1 small, 0.3 medium, 0.5 large;
    Cohen, *Statistical Power Analysis*, 2nd ed., 1988, §7.2).
correction
    Holm (1979, *Scand. J. Statist.* 6:65–70): ``p_adj(i) = max_{j ≤ i} min(1, (m − j + 1) p_(j))``
    over the m subjects tested, sorted by p. Holm rather than Benjamini–Hochberg because each
    flag names a desk or an official: the page must control the chance of *any* false
    accusation (the family-wise error), not a share of false ones; and Holm stays valid
    whatever the dependence between the tests (each desk is also part of every other desk's
    peers), which Benjamini–Hochberg's step-up does not promise in general.

Example (the peers answered 1…5 as 10/10/20/30/30%, the desk all 5s in 20 responses):

>>> counts = pd.DataFrame({"subject_id": [1] * 5 + [2] * 5, "value": [1, 2, 3, 4, 5] * 2,
...                        "weight": [0, 0, 0, 0, 20, 10, 10, 20, 30, 30]})
>>> table = peer_distribution_tests(counts, min_responses=10, min_peers=1)
>>> round(float(table.loc[0, "statistic"]), 4)  # 20 × (0.1+0.1+0.2+0.3+0.7²/0.3) = 46.6667
46.6667
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.sipas import require_columns

__all__ = ["holm_adjust", "peer_distribution_tests"]

TEST_COLUMNS = ["subject_id", "responses", "statistic", "df", "p_value", "p_adjusted",
                "effect_w", "shares", "peer_shares"]


def holm_adjust(p_values: np.ndarray | list[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values, in the input order.

    >>> holm_adjust([0.01, 0.04, 0.03]).round(4).tolist()  # 3×0.01, max(2×0.03, .03), 1×0.04
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype="float64")
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p_values must lie between 0 and 1")
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(stepped)
    return adjusted


def peer_distribution_tests(counts: pd.DataFrame, *, min_responses: int = 30,
                            min_peers: int = 2,
                            values: tuple[int, ...] = (1, 2, 3, 4, 5)) -> pd.DataFrame:
    """Chi-square test of each subject's answer distribution against its pooled peers.

    Parameters
    ----------
    counts : DataFrame
        ``[subject_id, value, weight]``: response-weighted answer counts (see the module
        docstring); several rows per subject and value are summed.
    min_responses : int
        Subjects with fewer (weighted) responses are not tested: the χ² approximation needs
        expected counts of about 5 per cell, and a handful of ratings proves nothing.
    min_peers : int
        A subject is tested only when at least this many *other* subjects have
        ``min_responses``: one small desk is no peer group to depart from.
    values : tuple of int
        The answer values compared (the 5-point scale).

    Returns
    -------
    DataFrame
        ``TEST_COLUMNS``, one row per subject tested, sorted by subject; ``shares`` and
        ``peer_shares`` are lists of the value shares (in ``values`` order).
    """
    require_columns(counts, ["subject_id", "value", "weight"], "counts")
    if min_responses < 1:
        raise ValueError(f"min_responses must be ≥ 1, got {min_responses!r}")
    kept = counts[counts["value"].isin(values)]
    table = kept.pivot_table(index="subject_id", columns="value", values="weight",
                             aggfunc="sum", fill_value=0.0).reindex(columns=list(values),
                                                                    fill_value=0.0)
    matrix = table.to_numpy(dtype="float64")
    totals = matrix.sum(axis=1)
    eligible = totals >= min_responses
    rows = []
    for position, subject in enumerate(table.index):
        if not eligible[position] or eligible.sum() - 1 < min_peers:
            continue
        peers = matrix.sum(axis=0) - matrix[position]
        if peers.sum() <= 0:
            continue
        rows.append(_one_test(int(subject), matrix[position], peers))
    result = pd.DataFrame(rows, columns=TEST_COLUMNS[:2] + TEST_COLUMNS[2:5] + TEST_COLUMNS[6:])
    result["p_adjusted"] = holm_adjust(result["p_value"].to_numpy(dtype="float64"))
    return result[TEST_COLUMNS].sort_values("subject_id", ignore_index=True)


def _one_test(subject: int, observed: np.ndarray, peers: np.ndarray) -> dict:
    n = observed.sum()
    peer_share = peers / peers.sum()
    present = peer_share > 0
    expected = n * peer_share[present]
    statistic = float(((observed[present] - expected) ** 2 / expected).sum())
    df = int(present.sum()) - 1
    p_value = float(stats.chi2.sf(statistic, df)) if df > 0 else 1.0
    return {"subject_id": subject, "responses": float(n), "statistic": statistic, "df": df,
            "p_value": p_value, "effect_w": float(np.sqrt(statistic / n)),
            "shares": (observed / n).tolist(), "peer_shares": peer_share.tolist()}
