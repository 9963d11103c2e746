"""analysis.intervals against independent implementations: the Wilson interval against
statsmodels' ``proportion_confint(method="wilson")`` and published values, the two-proportion
z-test against statsmodels' ``proportions_ztest`` and scipy's 2 × 2 chi-square test (z² = χ²)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.stats import chi2_contingency, norm
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from analysis.intervals import two_proportion_test, wilson_interval

CONFIDENCES = (0.8, 0.9, 0.95, 0.99)


def _grid() -> tuple[np.ndarray, np.ndarray]:
    """Every x for small n (x = 0 and x = n included), a spread of x for large n."""
    pairs = [(x, n) for n in (1, 2, 3, 4, 5, 7, 10, 17) for x in range(n + 1)]
    pairs += [(x, n) for n in (50, 263, 1000, 36525)
              for x in (0, 1, 2, n // 10, n // 3, n // 2, n - 2, n - 1, n)]
    x, n = zip(*pairs, strict=True)
    return np.array(x, dtype="float64"), np.array(n, dtype="float64")


# --- Wilson interval ---------------------------------------------------------------------------

@pytest.mark.parametrize("confidence", CONFIDENCES)
def test_wilson_matches_statsmodels_over_a_grid(confidence):
    x, n = _grid()
    low, high = wilson_interval(x, n, confidence)
    # Second method: statsmodels' own implementation of the same interval.
    ref_low, ref_high = proportion_confint(x, n, alpha=1 - confidence, method="wilson")
    assert_allclose(low, ref_low, rtol=0, atol=1e-12)
    assert_allclose(high, ref_high, rtol=0, atol=1e-12)
    # The interval holds the observed share and stays within [0, 1] (up to rounding: at x = 0
    # the computed lower bound can be 1e-17 rather than 0, at x = n the upper 1 − 1e-16).
    eps = 1e-12
    assert np.all((0 <= low) & (low <= x / n + eps) & (x / n <= high + eps) & (high <= 1))


def test_wilson_matches_published_examples():
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison
    # of seven methods", Statistics in Medicine 17:857–872, worked examples for the score
    # (Wilson) method, 95%, printed to 4 decimals.
    x = np.array([81, 15, 0, 1])
    n = np.array([263, 148, 20, 29])
    low, high = wilson_interval(x, n)
    assert_allclose(low, [0.2553, 0.0624, 0.0, 0.0061], atol=5e-5)
    assert_allclose(high, [0.3662, 0.1605, 0.1611, 0.1718], atol=5e-5)


def test_wilson_by_hand_at_the_edges():
    # x = 0, n = 4, z = 1.959964: centre = (z²/8)/(1 + z²/4), half = z/(1 + z²/4)·√(z²/64),
    # so low = 0 and high = (z²/4)/(1 + z²/4) = 0.489896 (hand, with z² = 3.841459).
    z2 = norm.ppf(0.975) ** 2
    low, high = wilson_interval(0, 4)
    assert low == pytest.approx(0.0, abs=1e-15)
    assert high == pytest.approx((z2 / 4) / (1 + z2 / 4), abs=1e-15)
    # x = n mirrors it: (n − x) successes of the complement.
    low, high = wilson_interval(4, 4)
    assert high == pytest.approx(1.0, abs=1e-15)
    assert low == pytest.approx(1 / (1 + z2 / 4), abs=1e-15)


def test_wilson_fractional_successes_match_statsmodels():
    # An effective count share × n (an index that is a mean of shares) need not be whole.
    x = np.array([0.5, 2.5, 83.94 * 0.3, 9.99])
    n = np.array([1.0, 7.0, 30.0, 10.0])
    low, high = wilson_interval(x, n)
    ref_low, ref_high = proportion_confint(x, n, alpha=0.05, method="wilson")
    assert_allclose(low, ref_low, rtol=0, atol=1e-12)
    assert_allclose(high, ref_high, rtol=0, atol=1e-12)


def test_wilson_zero_trials_give_nan_without_warning():
    # filterwarnings = error: a division warning would fail this test.
    low, high = wilson_interval(np.array([0, 3, 0]), np.array([0, 10, 0]))
    assert np.isnan(low[[0, 2]]).all() and np.isnan(high[[0, 2]]).all()
    assert not np.isnan(low[1]) and not np.isnan(high[1])


def test_wilson_broadcasts_and_keeps_shape():
    x = np.array([[0, 1], [2, 3]])
    n = np.array([3, 6])
    low, high = wilson_interval(x, n)
    assert low.shape == high.shape == (2, 2)
    ref_low, ref_high = proportion_confint(np.array([0, 1, 2, 3]), np.array([3, 6, 3, 6]),
                                           method="wilson")
    assert_allclose(low.ravel(), ref_low, atol=1e-12)
    assert_allclose(high.ravel(), ref_high, atol=1e-12)
    scalar_low, _ = wilson_interval(1, 6)
    assert np.ndim(scalar_low) == 0


def test_wilson_wider_at_higher_confidence():
    lows, highs = zip(*(wilson_interval(7, 20, c) for c in CONFIDENCES), strict=True)
    assert list(lows) == sorted(lows, reverse=True)
    assert list(highs) == sorted(highs)


@pytest.mark.parametrize(("successes", "n", "confidence", "message"), [
    (1, 10, 0.0, "confidence"),
    (1, 10, 1.0, "confidence"),
    (1, 10, -0.5, "confidence"),
    (1, 10, 1.5, "confidence"),
    (1, -1, 0.95, "n must not be negative"),
    (11, 10, 0.95, "successes"),
    (-1, 10, 0.95, "successes"),
    ([1, 12], [10, 10], 0.95, "successes"),
])
def test_wilson_rejects_bad_arguments(successes, n, confidence, message):
    with pytest.raises(ValueError, match=message):
        wilson_interval(successes, n, confidence)


# --- Two-proportion z-test ---------------------------------------------------------------------

CASES = [  # x_a, n_a, x_b, n_b; pooled share strictly between 0 and 1
    (6, 10, 2, 10),
    (45, 100, 30, 100),
    (5, 20, 15, 25),
    (0, 10, 5, 10),
    (10, 10, 3, 12),
    (1, 3, 2, 3),
    (3288, 3917, 2945, 3500),
    (189, 11034, 104, 11037),
    (7, 7, 0, 5),
]


def test_two_proportion_by_hand():
    # 6/10 against 2/10: pooled p̄ = 0.4, SE = √(0.4·0.6·(1/10 + 1/10)) = √0.048,
    # z = 0.4/√0.048 = √(10/3) = 1.825742; p = 2Φ(−√(10/3)) = 0.067889 (hand, with
    # scipy's normal cdf). χ² of [[6, 4], [2, 8]] with expected [[4, 6], [4, 6]]:
    # 2·(2²/4 + 2²/6) = 10/3, equal to z².
    z, p = two_proportion_test(6, 10, 2, 10)
    assert z == pytest.approx(np.sqrt(10 / 3), abs=1e-12)
    assert p == pytest.approx(2 * norm.cdf(-np.sqrt(10 / 3)), abs=1e-15)
    assert p == pytest.approx(0.067889, abs=1e-6)


def test_two_proportion_matches_statsmodels_ztest():
    x_a, n_a, x_b, n_b = (np.array(column, dtype="float64") for column in zip(*CASES,
                                                                              strict=True))
    z, p = two_proportion_test(x_a, n_a, x_b, n_b)
    for i, (a, na, b, nb) in enumerate(CASES):
        # statsmodels pools the share under H0 (value=None, prop_var=False): same statistic.
        ref_z, ref_p = proportions_ztest(np.array([a, b]), np.array([na, nb]))
        assert z[i] == pytest.approx(ref_z, rel=1e-12, abs=1e-12), CASES[i]
        assert p[i] == pytest.approx(ref_p, rel=1e-10, abs=1e-15), CASES[i]


def test_two_proportion_squared_is_uncorrected_chi_square():
    x_a, n_a, x_b, n_b = (np.array(column) for column in zip(*CASES, strict=True))
    z, p = two_proportion_test(x_a, n_a, x_b, n_b)
    for i, (a, na, b, nb) in enumerate(CASES):
        chi2, chi2_p, dof, _ = chi2_contingency([[a, na - a], [b, nb - b]], correction=False)
        assert dof == 1
        assert z[i] ** 2 == pytest.approx(chi2, rel=1e-10), CASES[i]
        assert p[i] == pytest.approx(chi2_p, rel=1e-9, abs=1e-15), CASES[i]


def test_two_proportion_sign_follows_a_minus_b():
    z, _ = two_proportion_test([2, 8], [10, 10], [8, 2], [10, 10])
    assert z[0] < 0 < z[1]
    assert z[0] == pytest.approx(-z[1])


def test_two_proportion_nan_when_nothing_to_test():
    # n_a = 0; n_b = 0; both shares 0 (pooled 0); both 1 (pooled 1): no variance to test.
    z, p = two_proportion_test([0, 3, 0, 5, 4], [0, 5, 10, 5, 10],
                               [2, 0, 0, 7, 1], [5, 0, 12, 7, 10])
    assert np.isnan(z[:4]).all() and np.isnan(p[:4]).all()
    assert not np.isnan(z[4]) and not np.isnan(p[4])


def test_two_proportion_equal_shares_give_zero_and_one():
    z, p = two_proportion_test(30, 100, 60, 200)
    assert z == 0.0
    assert p == pytest.approx(1.0)


@pytest.mark.parametrize(("args", "message"), [
    ((11, 10, 1, 10), "successes"),
    ((1, 10, 11, 10), "successes"),
    ((-1, 10, 1, 10), "successes"),
    ((1, 10, 1, -10), "n must not be negative"),
    ((1, -1, 1, 10), "n must not be negative"),
])
def test_two_proportion_rejects_bad_counts(args, message):
    with pytest.raises(ValueError, match=message):
        two_proportion_test(*args)
