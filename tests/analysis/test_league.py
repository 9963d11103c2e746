"""analysis.league: rank bands worked by hand, the comparison with the median unit against an
independent score test (statsmodels), suppression and complementary suppression, and the PAKN
on-time counts per unit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from analysis.league import (
    HIDDEN_DERIVED,
    HIDDEN_SMALL,
    complementary_suppression,
    league_table,
    on_time_by_unit,
    proportion_table,
    rank_bands,
)


def _frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["unit_id", "value", "ci_low", "ci_high", "n",
                                       "suppressed"])


# Five ranked units and one suppressed (values and 95% intervals in percent):
#
#   unit  value  interval   units wholly above   units wholly below   band
#   1     92     88–95      none (no low > 95)   4, 5 (high < 88)     1 … 5−2 = 3
#   2     85     80–89      none (low 88 ≤ 89)   4, 5 (77, 78 < 80)   1 … 3
#   3     84     76–90      none                 none (77, 78 ≥ 76)   1 … 5
#   4     70     62–77      1, 2 (88, 80 > 77)   none (no high < 62)  3 … 5
#   5     60     40–78      1, 2 (88, 80 > 78)   none                 3 … 5
#   6     (n = 3, suppressed): no value, no rank
#
# The median of 92, 85, 84, 70, 60 is 84 (unit 3). Unit 1's interval 88–95 lies above 84:
# "above"; units 2 and 3 contain it: "same"; units 4 (62–77) and 5 (40–78) lie below: "below".
HAND = _frame([(1, 92.0, 88.0, 95.0, 200, False), (2, 85.0, 80.0, 89.0, 150, False),
               (3, 84.0, 76.0, 90.0, 60, False), (4, 70.0, 62.0, 77.0, 90, False),
               (5, 60.0, 40.0, 78.0, 12, False), (6, np.nan, np.nan, np.nan, 3, True)])


def test_rank_bands_worked_by_hand():
    table = league_table(HAND)
    assert table["unit_id"].tolist() == [1, 2, 3, 4, 5, 6]
    assert table["best_rank"].tolist() == [1, 1, 1, 3, 3, pd.NA]
    assert table["worst_rank"].tolist() == [3, 3, 5, 5, 5, pd.NA]
    assert table["rank"].tolist() == [1, 2, 3, 4, 5, pd.NA]
    assert table["hidden"].tolist() == [None] * 5 + [HIDDEN_SMALL]


def test_the_median_marker_worked_by_hand():
    table = league_table(HAND)
    assert table["benchmark"].iloc[0] == 84.0
    assert table["versus_median"].tolist() == ["above", "same", "same", "below", "below", None]


def test_rank_bands_of_disjoint_and_identical_intervals():
    # Disjoint intervals: the bands are single ranks; identical ones: every rank is possible.
    best, worst = rank_bands([80, 60, 40], [90, 70, 50])
    assert best.tolist() == [1, 2, 3] and worst.tolist() == [1, 2, 3]
    best, worst = rank_bands([60, 60, 60], [70, 70, 70])
    assert best.tolist() == [1, 1, 1] and worst.tolist() == [3, 3, 3]
    # Touching intervals (70 = 70) overlap: neither is wholly above the other.
    best, worst = rank_bands([70, 60], [80, 70])
    assert best.tolist() == [1, 1] and worst.tolist() == [2, 2]
    with pytest.raises(ValueError, match="low ≤ high"):
        rank_bands([50, np.nan], [60, 70])


def test_significance_marker_equals_a_score_test_against_the_median():
    """Made-up PAKN counts, handled on time of those with a deadline: 48/50, 40/50, 30/40,
    20/40, and 3/4 (fewer than 5: suppressed). The median of 96, 80, 75 and 50 is 77.5%.
    Second method: statsmodels' one-sample score test (the variance at the null value p0, the
    test the Wilson interval inverts) of H0: p = 0.775 at the 5% level."""
    counts = pd.DataFrame({"unit_id": [1, 2, 3, 4, 5], "on_time": [48, 40, 30, 20, 3],
                           "timed": [50, 50, 40, 40, 4]})
    shares = proportion_table(counts, successes="on_time", trials="timed", min_n=5)
    low, high = proportion_confint([48, 40, 30, 20], [50, 50, 40, 40], method="wilson")
    assert shares["ci_low"].iloc[:4].to_numpy() == pytest.approx(100 * low)
    assert shares["ci_high"].iloc[:4].to_numpy() == pytest.approx(100 * high)
    assert shares["suppressed"].tolist() == [False, False, False, False, True]
    table = league_table(shares).set_index("unit_id")
    assert table.loc[1, "benchmark"] == pytest.approx(77.5)
    expected = {}
    for unit, x, n in ((1, 48, 50), (2, 40, 50), (3, 30, 40), (4, 20, 40)):
        z, p_value = proportions_ztest(x, n, value=0.775, prop_var=0.775)
        expected[unit] = "same" if p_value >= 0.05 else ("above" if z > 0 else "below")
    # By hand: z₁ = (0.96 − 0.775)/√(0.775·0.225/50) = 3.13, z₄ = (0.5 − 0.775)/√(…/40) = −4.16,
    # z₂ = 0.42, z₃ = −0.38.
    assert expected == {1: "above", 2: "same", 3: "same", 4: "below"}
    assert table["versus_median"].to_dict() == {**expected, 5: None}
    assert table.loc[5, "hidden"] == HIDDEN_SMALL and pd.isna(table.loc[5, "value"])


def test_no_median_marker_with_fewer_than_three_units():
    table = league_table(HAND[HAND["unit_id"].isin([1, 4])])
    assert table["versus_median"].tolist() == [None, None]
    assert np.isnan(table["benchmark"].iloc[0])
    # Still ranked, with disjoint intervals: 1 and 2.
    assert table["best_rank"].tolist() == [1, 2] and table["worst_rank"].tolist() == [1, 2]


def test_suppression_below_the_minimum_cell_size():
    counts = pd.DataFrame({"unit_id": [1, 2, 3], "on_time": [4, 5, 0], "timed": [4, 5, 0]})
    shares = proportion_table(counts, successes="on_time", trials="timed", min_n=5)
    # 4 cases: hidden (no value, no interval, never 0); 5 cases: shown; none: no figure.
    assert shares["suppressed"].tolist() == [True, False, True]
    assert shares["value"].isna().tolist() == [True, False, True]
    table = league_table(shares).set_index("unit_id")
    assert table.loc[1, "hidden"] == HIDDEN_SMALL and pd.isna(table.loc[1, "rank"])
    assert table.loc[3, "hidden"] is None and pd.isna(table.loc[3, "rank"])   # no data
    assert table.loc[2, "value"] == 100.0 and table.loc[2, "rank"] == 1
    with pytest.raises(ValueError, match="min_n"):
        proportion_table(counts, successes="on_time", trials="timed", min_n=0)


def test_complementary_suppression_hides_the_smallest_shown_unit():
    # One small unit (3 answers): the parent's total minus the others would give it back, so
    # the shown unit with the smallest sample (unit 5, n = 12) is hidden too.
    table = league_table(HAND, protect=True).set_index("unit_id")
    assert table.loc[6, "hidden"] == HIDDEN_SMALL
    assert table.loc[5, "hidden"] == HIDDEN_DERIVED and pd.isna(table.loc[5, "value"])
    assert pd.isna(table.loc[5, "best_rank"])
    # Four ranked units now: unit 4's band is 3–4 (two of four wholly above it).
    assert table.loc[4, "best_rank"] == 3 and table.loc[4, "worst_rank"] == 4
    # Two small units: only their sum could be inferred; nothing more is hidden.
    hidden = complementary_suppression(np.array([3, 4, 50, 60]),
                                       np.array(["small", "small", None, None], dtype=object),
                                       np.array([1, 2, 3, 4]))
    assert hidden.tolist() == ["small", "small", None, None]
    # Ties on the sample size: the smallest key.
    hidden = complementary_suppression(np.array([3, 40, 40]),
                                       np.array(["small", None, None], dtype=object),
                                       np.array([1, 7, 5]))
    assert hidden.tolist() == ["small", None, "derived"]


def test_on_time_counts_per_unit():
    # Units 10 (with its sub-unit 11) and 20; unit 1 is the parent (not in the league).
    groups = {10: 10, 11: 10, 20: 20}
    cases = pd.DataFrame({
        "handling_unit_id": pd.array([11, 10, None, 20, 1, None], dtype="Int64"),
        "agency_id": [1, 1, 20, 1, 1, 1]})
    outcomes = pd.DataFrame({"timed": [True, True, True, False, True, True],
                             "on_time": [True, False, True, False, True, False]})
    counts = on_time_by_unit(cases, outcomes, groups)
    # Unit 10: cases 0 (sub-unit 11, on time) and 1 (late); unit 20: case 2 (registered
    # there, never assigned, on time) and case 3 (not timed). Cases 4 and 5 are the parent's.
    assert counts.to_dict("records") == [
        {"unit_id": 10, "cases": 2, "timed": 2, "on_time": 1},
        {"unit_id": 20, "cases": 2, "timed": 1, "on_time": 1}]


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="unit_id must be unique"):
        league_table(pd.concat([HAND, HAND]))
    with pytest.raises(ValueError, match="lacks the columns"):
        league_table(HAND.drop(columns="ci_low"))
