"""analysis.sample_bias: Newcombe's interval against the published example and a second
implementation, the comparison of self-selected and sample indices, and the post-stratified
index on a three-stratum example worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from analysis.sample_bias import compare_with_sample, newcombe_interval, post_stratify

ITEMS = pd.DataFrame({"item_code": ["a1", "a2", "b1"], "element": ["II.A", "II.A", "II.B"],
                      "scale_max": [5, 5, 5]})


def _counts(rows, strata=()) -> pd.DataFrame:
    """rows: (*strata values, item, satisfied, dissatisfied) → count rows (5 and 2)."""
    out = []
    for row in rows:
        keys, (item, good, bad) = row[:len(strata)], row[len(strata):]
        out.append((*keys, item, 5, good))
        out.append((*keys, item, 2, bad))
    return pd.DataFrame(out, columns=[*strata, "item_code", "value", "count"])


def test_newcombe_matches_the_published_example_and_statsmodels():
    # Newcombe (1998), Statistics in Medicine 17:873, table II, example (a): 56/70 − 48/80,
    # method 10 (hybrid score, no continuity correction): 0.0524 to 0.3339.
    low, high = newcombe_interval(56, 70, 48, 80)
    assert (round(float(low), 4), round(float(high), 4)) == (0.0524, 0.3339)
    # A second implementation: statsmodels' confint_proportions_2indep(method="newcomb").
    for x1, n1, x2, n2 in [(9, 10, 3, 10), (0, 12, 5, 20), (40, 40, 1, 3), (17, 61, 33, 47)]:
        low, high = newcombe_interval(x1, n1, x2, n2)
        ref = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
        assert (float(low), float(high)) == pytest.approx(ref, abs=1e-12)


def test_newcombe_is_nan_without_answers():
    low, high = newcombe_interval(0, 0, 3, 5)
    assert np.isnan(low) and np.isnan(high)


def test_comparison_of_a_one_item_element_is_the_two_proportion_comparison():
    self_counts = _counts([("b1", 56, 14)])     # 56 of 70 satisfied
    sample_counts = _counts([("b1", 48, 32)])   # 48 of 80
    result = compare_with_sample(self_counts, sample_counts, ITEMS)
    row = result.set_index("element").loc["II.B"]
    assert (row["self_index"], row["sample_index"]) == pytest.approx((80.0, 60.0))
    assert row["difference"] == pytest.approx(20.0)
    assert (row["diff_low"], row["diff_high"]) == pytest.approx((5.2431, 33.3873), abs=1e-4)
    z, p = proportions_ztest([56, 48], [70, 80])  # the pooled z-test, second implementation
    assert (row["z"], row["p_value"]) == pytest.approx((z, p))
    assert not row["suppressed"]


def test_comparison_of_a_two_item_element_uses_the_effective_number():
    # II.A: self a1 8/10, a2 6/10 → index 70, n_eff 10; sample a1 3/5, a2 2/5 → 50, n_eff 5.
    # Effective counts 7 of 10 and 2.5 of 5: Newcombe's interval on those.
    self_counts = _counts([("a1", 8, 2), ("a2", 6, 4)])
    sample_counts = _counts([("a1", 3, 2), ("a2", 2, 3)])
    row = compare_with_sample(self_counts, sample_counts, ITEMS).iloc[0]
    assert (row["element"], row["self_n"], row["sample_n"]) == ("II.A", 10, 5)
    low, high = newcombe_interval(7, 10, 2.5, 5)
    assert (row["diff_low"], row["diff_high"]) == pytest.approx((low * 100, high * 100))


def test_small_groups_are_suppressed_but_keep_their_n():
    result = compare_with_sample(_counts([("b1", 30, 10)]), _counts([("b1", 2, 1)]), ITEMS,
                                 min_n=5)
    row = result.iloc[0]
    assert row["suppressed"] and row["sample_n"] == 3
    assert row["self_index"] == 75.0 and np.isnan(row["sample_index"])
    assert np.isnan(row["difference"]) and np.isnan(row["diff_low"])


def test_post_stratified_index_worked_by_hand():
    # Three strata of the period's dossiers: A 50, B 30, C 20 (W = 0.5, 0.3, 0.2). The
    # sample's answers to the one item of II.B: A 8 of 10 satisfied, B 3 of 10, C 4 of 5.
    #   unweighted: (8 + 3 + 4) / 25 = 60.0
    #   post-stratified: 0.5·0.8 + 0.3·0.3 + 0.2·0.8 = 0.40 + 0.09 + 0.16 = 65.0
    #   variance: 0.25·0.8·0.2/10 + 0.09·0.3·0.7/10 + 0.04·0.8·0.2/5
    #           = 0.004 + 0.00189 + 0.00128 = 0.00717; se = 0.084676
    #   95% interval: 0.65 ± 1.959964·0.084676 = 0.48404 … 0.81596
    counts = _counts([("A", "in_person", "b1", 8, 2), ("B", "in_person", "b1", 3, 7),
                      ("C", "online", "b1", 4, 1)], strata=("procedure", "channel"))
    population = pd.DataFrame({"procedure": ["A", "B", "C"],
                               "channel": ["in_person", "in_person", "online"],
                               "dossiers": [50, 30, 20]})
    row = post_stratify(counts, population, ITEMS).iloc[0]
    assert row["element"] == "II.B"
    assert row["sample_index"] == pytest.approx(60.0)
    assert row["post_index"] == pytest.approx(65.0)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((48.404, 81.596), abs=1e-3)
    assert (row["strata"], row["collapsed"], row["coverage"]) == (3, 0, 1.0)


def test_empty_strata_are_collapsed_within_their_procedure():
    # A has dossiers in person (40) and online (20) but answers only in person (6 of 10):
    # the online stratum merges into it (weight 60). B (40 dossiers, 1 of 4) stays.
    # C (10 dossiers) has no answers at all: left out, coverage 100/110.
    #   (60·0.6 + 40·0.25) / 100 = 0.46 → 46.0
    counts = _counts([("A", "in_person", "b1", 6, 4), ("B", "in_person", "b1", 1, 3)],
                     strata=("procedure", "channel"))
    population = pd.DataFrame({"procedure": ["A", "A", "B", "C"],
                               "channel": ["in_person", "online", "in_person", "in_person"],
                               "dossiers": [40, 20, 40, 10]})
    row = post_stratify(counts, population, ITEMS, min_n=1).iloc[0]
    assert row["post_index"] == pytest.approx(46.0)
    assert (row["strata"], row["collapsed"]) == (2, 1)
    assert row["coverage"] == pytest.approx(100 / 110)


@pytest.mark.parametrize("call", [
    lambda: compare_with_sample(pd.DataFrame({"x": [1]}), _counts([]), ITEMS),
    lambda: compare_with_sample(_counts([]), _counts([]), ITEMS, min_n=0),
    lambda: post_stratify(_counts([]), pd.DataFrame({"procedure": []}), ITEMS,
                          strata=("procedure",)),
    lambda: post_stratify(_counts([]), pd.DataFrame({"dossiers": [1]}), ITEMS, strata=()),
])
def test_bad_input_names_the_argument(call):
    with pytest.raises(ValueError):
        call()


def test_no_answers_give_empty_tables():
    assert compare_with_sample(_counts([]), _counts([]), ITEMS).empty
    population = pd.DataFrame({"procedure": ["A"], "channel": ["online"], "dossiers": [3]})
    assert post_stratify(_counts([], ("procedure", "channel")), population, ITEMS).empty
