"""analysis.household on small rollup frames worked by hand. Shares are checked against the
hand arithmetic in the comments; interval bounds against statsmodels' Wilson interval (an
implementation independent of analysis.intervals), times 100."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from statsmodels.stats.proportion import proportion_confint

from analysis.household import (
    Q1_ITEMS,
    Q10_ITEMS,
    choice_shares,
    expectation_index,
    interest_index,
)


def ci(x: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Reference Wilson bounds in percent (statsmodels)."""
    low, high = proportion_confint(x, n, alpha=1 - confidence, method="wilson")
    return 100 * float(low), 100 * float(high)


def rollup(rows: list[tuple]) -> pd.DataFrame:
    """A rollup-shaped frame (unit_id, channel, item_code, value, count) as the frames give it."""
    frame = pd.DataFrame(rows, columns=["unit_id", "channel", "item_code", "value", "count"])
    return frame.astype({"unit_id": "int64", "item_code": "string", "value": "int64",
                         "count": "int64"})


# Q5 (civil servants causing trouble): 1 none, 2 some, 3 many.
Q5_COUNTS = rollup([
    # Unit 1: 8 "none" split over two channels, 2 "some", nobody "many", and 5 stray codes 9
    # (not a valid answer): n = 10.
    (1, "qr", "q5", 1, 5), (1, "paper", "q5", 1, 3), (1, "qr", "q5", 2, 2),
    (1, "qr", "q5", 9, 5),
    # Unit 2: n = 2, below min_n = 5: suppressed.
    (2, "qr", "q5", 1, 1), (2, "qr", "q5", 3, 1),
    # Unit 3: only stray codes: n = 0.
    (3, "qr", "q5", 0, 4),
    # Another item: not part of q5's figures (and unit 4 has no q5 row: no group).
    (1, "qr", "q6", 3, 7), (4, "qr", "q6", 1, 9),
])


def test_choice_shares_by_unit():
    # Unit 1: 8/10 = 80%, 2/10 = 20%, 0/10 = 0%. Wilson 95% for 8/10 by hand, z = 1.959964:
    # centre = (0.8 + z²/20)/(1 + z²/10) = 0.716739, half = z/(1 + z²/10)·√(0.016 + z²/400)
    # = 0.226577, so 49.016–94.332%; for 0/10 the lower bound is exactly 0.
    z = 1.959963984540054
    centre = (0.8 + z * z / 20) / (1 + z * z / 10)
    half = z / (1 + z * z / 10) * np.sqrt(0.016 + z * z / 400)
    assert ci(8, 10) == pytest.approx((100 * (centre - half), 100 * (centre + half)), abs=1e-9)
    assert ci(8, 10) == pytest.approx((49.016, 94.332), abs=1e-3)
    nan = np.nan
    unit1 = [ci(8, 10), ci(2, 10), (0.0, ci(0, 10)[1])]
    expected = pd.DataFrame({
        "unit_id": np.array([1, 1, 1, 2, 2, 2, 3, 3, 3], dtype="int64"),
        "item_code": ["q5"] * 9,
        "value": np.array([1, 2, 3] * 3, dtype="int64"),
        "n": np.array([10, 10, 10, 2, 2, 2, 0, 0, 0], dtype="int64"),
        "share": [80.0, 20.0, 0.0, nan, nan, nan, nan, nan, nan],
        "ci_low": [b[0] for b in unit1] + [nan] * 6,
        "ci_high": [b[1] for b in unit1] + [nan] * 6,
        "suppressed": [False] * 3 + [True] * 6,
    })
    result = choice_shares(Q5_COUNTS, "q5", ["unit_id"])
    assert_frame_equal(result, expected, rtol=1e-12)


def test_choice_shares_overall_and_without_suppression():
    # All units together: none 8 + 1 = 9, some 2, many 1: n = 12 → 75%, 16.67%, 8.33%.
    result = choice_shares(Q5_COUNTS, "q5", min_n=0)
    expected = pd.DataFrame({
        "item_code": ["q5"] * 3,
        "value": np.array([1, 2, 3], dtype="int64"),
        "n": np.array([12, 12, 12], dtype="int64"),
        "share": [100 * 9 / 12, 100 * 2 / 12, 100 * 1 / 12],
        "ci_low": [ci(9, 12)[0], ci(2, 12)[0], ci(1, 12)[0]],
        "ci_high": [ci(9, 12)[1], ci(2, 12)[1], ci(1, 12)[1]],
        "suppressed": [False, False, False],
    })
    assert_frame_equal(result, expected, rtol=1e-12)
    # With suppression off, unit 2 (n = 2) is published: 50% none, 0% some, 50% many.
    unit2 = choice_shares(Q5_COUNTS, "q5", "unit_id", min_n=0).query("unit_id == 2")
    assert unit2["share"].tolist() == [50.0, 0.0, 50.0]
    assert not unit2["suppressed"].any()


def test_choice_shares_add_up_to_100_and_intervals_hold_the_share():
    result = choice_shares(Q5_COUNTS, "q6", "unit_id", min_n=1)
    assert result.groupby("unit_id")["share"].sum().tolist() == pytest.approx([100, 100])
    assert ((result["ci_low"] <= result["share"]) & (result["share"] <= result["ci_high"])).all()
    # Unit 4 answered q6 only: 9 × "none".
    assert result.query("unit_id == 4")["share"].tolist() == [100.0, 0.0, 0.0]


def test_choice_shares_with_other_options_and_confidence():
    counts = rollup([(1, "qr", "q4", 1, 3), (1, "qr", "q4", 4, 5), (1, "qr", "q4", 2, 2)])
    result = choice_shares(counts, "q4", options=(1, 2, 3, 4), confidence=0.9)
    assert result["value"].tolist() == [1, 2, 3, 4]
    assert result["share"].tolist() == [30.0, 20.0, 0.0, 50.0]
    assert result["ci_low"].iloc[3] == pytest.approx(ci(5, 10, 0.9)[0], rel=1e-12)
    assert result["ci_high"].iloc[3] == pytest.approx(ci(5, 10, 0.9)[1], rel=1e-12)


def test_choice_shares_group_missing_keys_together():
    # Ratings outside any campaign have campaign_id <NA>: they form their own group, last.
    counts = pd.DataFrame({
        "campaign_id": pd.array([7, None, None, 7], dtype="Int64"),
        "item_code": ["q6"] * 4, "value": [1, 1, 2, 2], "count": [6, 4, 1, 0],
    })
    result = choice_shares(counts, "q6", ["campaign_id"], min_n=1)
    assert result["campaign_id"].dtype == "Int64"
    assert result["campaign_id"].isna().tolist() == [False] * 3 + [True] * 3
    assert result["n"].tolist() == [6, 6, 6, 5, 5, 5]
    assert result["share"].tolist() == pytest.approx([100, 0, 0, 80, 20, 0])


def test_choice_shares_of_an_item_nobody_answered():
    overall = choice_shares(Q5_COUNTS, "q99")
    assert overall["n"].tolist() == [0, 0, 0]
    assert overall["share"].isna().all() and overall["suppressed"].all()
    by_unit = choice_shares(Q5_COUNTS, "q99", ["unit_id"])
    assert by_unit.empty
    assert list(by_unit.columns) == ["unit_id", "item_code", "value", "n", "share", "ci_low",
                                     "ci_high", "suppressed"]


def test_choice_shares_with_weighted_counts():
    # Counts may be weights (not whole numbers): n is then a float and shares use it as is.
    counts = pd.DataFrame({"item_code": ["q5", "q5"], "value": [1, 2], "count": [7.5, 2.5]})
    result = choice_shares(counts, "q5")
    assert result["n"].tolist() == [10.0, 10.0, 10.0]
    assert result["share"].tolist() == [75.0, 25.0, 0.0]
    assert result["ci_low"].iloc[0] == pytest.approx(ci(7.5, 10)[0], rel=1e-12)


# --- Q1 interest and Q10 expectation -----------------------------------------------------------

Q1_COUNTS = rollup([
    # Unit 1, q1_1: 1×2, 2×3, 3×4, 4×1 → n = 10, interested (3–4) = 5 → 50%;
    # mean = (1·2 + 2·3 + 3·4 + 4·1)/10 = 24/10 = 2.4; "any interest" (2–4) = 8 → 80%.
    (1, "qr", "q1_1", 1, 2), (1, "qr", "q1_1", 2, 3), (1, "paper", "q1_1", 3, 4),
    (1, "qr", "q1_1", 4, 1),
    # Unit 1, q1_2: 6 × "very interested" → 100%, mean 4; an out-of-scale 5 is not valid.
    (1, "qr", "q1_2", 4, 6), (1, "qr", "q1_2", 5, 3),
    # Unit 2, q1_1: n = 2 → suppressed.
    (2, "qr", "q1_1", 1, 1), (2, "qr", "q1_1", 4, 1),
])


def test_interest_index_by_unit():
    nan = np.nan
    expected = pd.DataFrame({
        "unit_id": np.array([1, 1, 1, 2, 2, 2], dtype="int64"),
        "item_code": ["q1_1", "q1_2", "q1_3"] * 2,
        "n": np.array([10, 6, 0, 2, 0, 0], dtype="int64"),
        "share": [50.0, 100.0, nan, nan, nan, nan],
        "ci_low": [ci(5, 10)[0], ci(6, 6)[0], nan, nan, nan, nan],
        "ci_high": [ci(5, 10)[1], 100.0, nan, nan, nan, nan],
        "mean_score": [2.4, 4.0, nan, nan, nan, nan],
        "suppressed": [False, False, True, True, True, True],
    })
    result = interest_index(Q1_COUNTS, ["unit_id"], item_codes=("q1_1", "q1_2", "q1_3"))
    assert_frame_equal(result, expected, rtol=1e-12)


def test_interest_index_alternative_counts_fairly_interested():
    result = interest_index(Q1_COUNTS, "unit_id", item_codes=("q1_1",), positive=(2, 3, 4))
    unit1 = result.iloc[0]
    assert unit1["share"] == pytest.approx(80.0)
    assert unit1["ci_low"] == pytest.approx(ci(8, 10)[0], rel=1e-12)
    assert unit1["mean_score"] == pytest.approx(2.4)  # the mean does not depend on the cut


def test_interest_index_covers_every_policy_in_form_order():
    result = interest_index(Q1_COUNTS, min_n=0)
    assert result["item_code"].tolist() == list(Q1_ITEMS)
    # Overall q1_1: units 1 and 2 → 1×3, 2×3, 3×4, 4×2: n = 12, 6 interested → 50%,
    # mean (3 + 6 + 12 + 8)/12 = 29/12.
    first = result.iloc[0]
    assert (first["n"], first["share"]) == (12, 50.0)
    assert first["mean_score"] == pytest.approx(29 / 12)
    assert result["n"].tolist()[2:] == [0] * 7
    assert result["share"].iloc[2:].isna().all()
    assert not result["suppressed"].any()  # min_n = 0: nothing suppressed, empty is NaN


def test_expectation_index():
    counts = rollup([
        # q10_8 (digital transformation): 3×1, 4×9 → 10/10 = 100%, mean 3.9.
        (1, "qr", "q10_8", 3, 1), (1, "qr", "q10_8", 4, 9),
        # q10_10 (PAKN handling): 1×2, 2×2, 3×4, 4×4 → 8/12 = 66.67%,
        # mean (2 + 4 + 12 + 16)/12 = 34/12.
        (1, "qr", "q10_10", 1, 2), (1, "qr", "q10_10", 2, 2), (1, "qr", "q10_10", 3, 4),
        (1, "qr", "q10_10", 4, 4),
    ])
    result = expectation_index(counts)
    # Form order: q10_2 follows q10_1 and q10_10 comes last (not string order).
    assert result["item_code"].tolist() == list(Q10_ITEMS)
    assert result["item_code"].tolist()[-1] == "q10_10"
    rows = result.set_index("item_code")
    expected = pd.DataFrame({
        "item_code": ["q10_8", "q10_10"],
        "n": np.array([10, 12], dtype="int64"),
        "share": [100.0, 100 * 8 / 12],
        "ci_low": [ci(10, 10)[0], ci(8, 12)[0]],
        "ci_high": [100.0, ci(8, 12)[1]],
        "mean_score": [3.9, 34 / 12],
        "suppressed": [False, False],
    })
    assert_frame_equal(rows.loc[["q10_8", "q10_10"]].reset_index(), expected, rtol=1e-12)
    assert rows.drop(index=["q10_8", "q10_10"])["suppressed"].all()


# --- Bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "message"), [
    (lambda: choice_shares([("q5", 1, 2)], "q5"), "counts must be a pandas DataFrame"),
    (lambda: choice_shares(Q5_COUNTS.drop(columns="count"), "q5"), "counts lacks.*count"),
    (lambda: choice_shares(Q5_COUNTS, "q5", ["region"]), "counts lacks.*region"),
    (lambda: choice_shares(Q5_COUNTS, "q5", ["value"]), "by must not include value"),
    (lambda: choice_shares(Q5_COUNTS, "q5", ["unit_id", "unit_id"]), "by names a column twice"),
    (lambda: choice_shares(Q5_COUNTS, "q5", [1]), "by must be"),
    (lambda: choice_shares(Q5_COUNTS.assign(count=-1), "q5"), "not negative"),
    (lambda: choice_shares(Q5_COUNTS.assign(count=np.nan), "q5"), "missing"),
    (lambda: choice_shares(Q5_COUNTS.assign(count="1"), "q5"), "count must be numeric"),
    (lambda: choice_shares(Q5_COUNTS.assign(value="1"), "q5"), "value must be numeric"),
    (lambda: choice_shares(Q5_COUNTS, ""), "item_code"),
    (lambda: choice_shares(Q5_COUNTS, ["q5", "q6"]), "item_code must be one"),
    (lambda: choice_shares(Q5_COUNTS, "q5", options=(1, 1, 2)), "options"),
    (lambda: choice_shares(Q5_COUNTS, "q5", options=()), "options"),
    (lambda: choice_shares(Q5_COUNTS, "q5", options=(1.5, 2)), "options"),
    (lambda: choice_shares(Q5_COUNTS, "q5", min_n=-1), "min_n"),
    (lambda: choice_shares(Q5_COUNTS, "q5", min_n=2.5), "min_n"),
    (lambda: choice_shares(Q5_COUNTS, "q5", min_n=True), "min_n"),
    (lambda: choice_shares(Q5_COUNTS, "q5", confidence=1.5), "confidence"),
    (lambda: interest_index(Q1_COUNTS, positive=(4, 5)), "positive"),
    (lambda: interest_index(Q1_COUNTS, positive=()), "positive"),
    (lambda: interest_index(Q1_COUNTS, item_codes=()), "item_codes"),
    (lambda: expectation_index(Q1_COUNTS, item_codes=("q10_1", "q10_1")), "item_codes"),
    (lambda: expectation_index(Q1_COUNTS, confidence=0), "confidence"),
])
def test_bad_input_is_a_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
