"""analysis.sample_draw: proportional allocation worked by hand, and the keyed draw
(reproducible, seed-dependent, uniform)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.sample_draw import allocate_proportional, draw_stratum, frame_digest


@pytest.mark.parametrize("sizes, n, expected", [
    # quotas 3.5, 2.1, 1.4: whole parts 3, 2, 1 (6); one left → largest fraction (0.5).
    ([50, 30, 20], 7, [4, 2, 1]),
    # quotas 0.667 each: nothing whole; two left → the first two (ties keep stratum order).
    ([1, 1, 1], 2, [1, 1, 0]),
    # quotas 3.333, 3.333, 3.333 of n = 10: 3 each (9), one left → the first stratum.
    ([10, 10, 10], 10, [4, 3, 3]),
    # quotas 0.3, 2.7: 0 and 2 (2); one left → the 0.7 fraction.
    ([1, 9], 3, [0, 3]),
    # n above the frame: everything, never more than a stratum holds.
    ([3, 0, 2], 9, [3, 0, 2]),
    ([4, 6], 0, [0, 0]),
])
def test_allocation_by_hand(sizes, n, expected):
    result = allocate_proportional(sizes, n)
    assert result.tolist() == expected
    assert result.sum() == min(n, sum(sizes))


def test_allocation_never_exceeds_a_stratum_and_stays_within_one_of_the_quota():
    rng = np.random.default_rng(1)
    for _ in range(200):
        sizes = rng.integers(0, 40, size=rng.integers(1, 8))
        if sizes.sum() == 0:
            continue
        n = int(rng.integers(0, sizes.sum() + 1))
        result = allocate_proportional(sizes, n)
        quota = sizes * n / sizes.sum()
        assert result.sum() == n and np.all(result <= sizes)
        assert np.all(np.abs(result - quota) < 1)


@pytest.mark.parametrize("sizes, n", [([-1, 3], 2), ([[1, 2]], 1), ([3], -1), ([3], 1.5),
                                      ([3], True)])
def test_bad_allocation_input_is_refused(sizes, n):
    with pytest.raises(ValueError):
        allocate_proportional(sizes, n)


def test_draw_is_reproducible_and_depends_on_seed_and_stratum():
    ids = list(range(1, 201))
    first = draw_stratum(ids, 10, seed=2026, stratum="A|online")
    assert first == draw_stratum(list(reversed(ids)), 10, seed=2026, stratum="A|online")
    assert first != draw_stratum(ids, 10, seed=2027, stratum="A|online")
    assert first != draw_stratum(ids, 10, seed=2026, stratum="B|online")
    assert len(set(first)) == 10 and set(first) <= set(ids)


def test_draw_is_uniform():
    # Over 2,000 seeds each of 20 units is drawn in 5: expected 500 times each. A chi-square
    # goodness-of-fit with 19 df stays below its 0.1% critical value 43.82 for a fair draw.
    counts = np.zeros(20)
    for seed in range(2000):
        for unit in draw_stratum(list(range(20)), 5, seed=seed, stratum="s"):
            counts[unit] += 1
    chi2 = float(((counts - 500) ** 2 / 500).sum())
    assert chi2 < 43.82


def test_bad_size_and_frame_digest():
    with pytest.raises(ValueError):
        draw_stratum([1, 2], 3, seed=1, stratum="s")
    assert frame_digest([3, 1, 2]) == frame_digest([1, 2, 3]) != frame_digest([1, 2])
