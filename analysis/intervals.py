"""Confidence intervals and tests for shares: the Wilson score interval and the two-proportion
z-test, vectorised over arrays so a table of thousands of cells is one call.

Shares here are fractions (0–1); callers that publish percentages multiply by 100 at the edge.

Example:

>>> low, high = wilson_interval(8, 10)  # 8 satisfied of 10: 49.0%–94.3%
>>> round(float(low), 4), round(float(high), 4)
(0.4902, 0.9433)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import stats

__all__ = ["two_proportion_test", "wilson_interval"]

ArrayLike = npt.ArrayLike


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _counts(successes: ArrayLike, n: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(successes, dtype="float64")
    total = np.asarray(n, dtype="float64")
    if np.any(total < 0):
        raise ValueError("n must not be negative")
    if np.any(x < 0) or np.any(x > total):
        raise ValueError("successes must lie between 0 and n")
    return x, total


def wilson_interval(successes: ArrayLike, n: ArrayLike, confidence: float = 0.95
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial share.

    Parameters
    ----------
    successes, n : array_like
        Successes and trials (``successes`` may be fractional: an effective count
        ``share × n`` for an index that is a mean of shares).
    confidence : float
        Two-sided level, default 0.95.

    Returns
    -------
    low, high : ndarray
        Bounds as fractions; NaN where ``n == 0``.

    Notes
    -----
    With p̂ = x / n and z the normal quantile,

        centre = (p̂ + z² / 2n) / (1 + z² / n)
        half   = z / (1 + z² / n) · √(p̂(1 − p̂) / n + z² / 4n²)

    Source: E. B. Wilson (1927), "Probable inference, the law of succession, and statistical
    inference", JASA 22:209–212; the form used by ``statsmodels.stats.proportion.
    proportion_confint(method="wilson")``.
    """
    z = _z(confidence)
    x, total = _counts(successes, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / total
        denominator = 1 + z * z / total
        centre = (p + z * z / (2 * total)) / denominator
        half = z / denominator * np.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
        # Exact at the edges: floating point leaves 1e-17 at x = 0 and 1 − 1e-16 at x = n.
        low = np.where(x == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
        high = np.where(x == total, 1.0, np.clip(centre + half, 0.0, 1.0))
        low = np.where(total > 0, low, np.nan)
        high = np.where(total > 0, high, np.nan)
    return low, high


def two_proportion_test(successes_a: ArrayLike, n_a: ArrayLike, successes_b: ArrayLike,
                        n_b: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided z-test that two shares are equal, with the pooled standard error.

    Returns
    -------
    z, p_value : ndarray
        NaN where either n is 0 or the pooled share is 0 or 1 (no variance to test).

    Notes
    -----
    p̄ = (x₁ + x₂) / (n₁ + n₂), z = (p̂₁ − p̂₂) / √(p̄(1 − p̄)(1/n₁ + 1/n₂)), p = 2 Φ(−|z|).
    Equivalent to the chi-square test of the 2 × 2 table without continuity correction
    (z² = χ²). Source: Agresti, *Categorical Data Analysis* (3rd ed.), §3.1.3; the same
    statistic as ``statsmodels.stats.proportion.proportions_ztest``.
    """
    x1, t1 = _counts(successes_a, n_a)
    x2, t2 = _counts(successes_b, n_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (x1 + x2) / (t1 + t2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / t1 + 1 / t2))
        z = (x1 / t1 - x2 / t2) / se
        valid = (t1 > 0) & (t2 > 0) & (se > 0)
        z = np.where(valid, z, np.nan)
        p_value = np.where(valid, 2 * stats.norm.sf(np.abs(z)), np.nan)
    return z, p_value
