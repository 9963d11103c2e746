"""analysis.reliability: Cronbach's alpha, item–total table and alpha per element.

Reference values come from (a) sums of squares worked by hand in the comments, (b) published
examples (Statology's worked example, Wuensch's KR-20 teaching note, mtcars), (c) second
methods computed here independently: Hoyt's two-way ANOVA through statsmodels, the covariance
matrix form with numpy, and the standardized form k·r̄/(1 + (k − 1)·r̄), which equals alpha
only when every item has the same variance (so it is used only on such data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from statsmodels.formula.api import ols
from statsmodels.stats.anova import anova_lm

from analysis.reliability import cronbach_alpha, item_total_correlations, reliability_by_element

# Statology, "How to Calculate Cronbach's Alpha in Python" (Z. Bobbitt, 2021): ten customers
# rate a restaurant 1–3 on three questions; published alpha 0.7734375 (pingouin's output).
STATOLOGY = pd.DataFrame({"Q1": [1, 2, 2, 3, 2, 2, 3, 3, 2, 3],
                          "Q2": [1, 1, 1, 2, 3, 3, 2, 3, 3, 3],
                          "Q3": [1, 1, 2, 1, 2, 3, 3, 3, 2, 3]})
# By hand: item means 2.3, 2.2, 2.1; sums of squares about the mean
#   Q1: 1.69 + 5·0.09 + 4·0.49 = 4.1;  Q2: 3·1.44 + 2·0.04 + 5·0.64 = 7.6;
#   Q3: 3·1.21 + 3·0.01 + 4·0.81 = 6.9;
# totals 3 4 5 6 7 8 8 9 7 9 (mean 6.6): SS = 38.4.
# α = 3/2 · (1 − (4.1 + 7.6 + 6.9)/38.4) = 1.5 · 19.8/38.4 = 29.7/38.4 = 0.7734375
# (the n − 1 divisors cancel).
STATOLOGY_ALPHA = 29.7 / 38.4


def numpy_alpha(matrix: np.ndarray) -> float:
    """Second method: the covariance-matrix form α = k/(k−1) · (1 − tr C / ΣC) on complete
    rows (listwise), written independently of the module."""
    complete = matrix[~np.isnan(matrix).any(axis=1)]
    cov = np.cov(complete, rowvar=False)
    k = cov.shape[0]
    return k / (k - 1) * (1 - np.trace(cov) / cov.sum())


def hoyt_alpha(wide: pd.DataFrame) -> float:
    """Second method: Hoyt (1941) reliability from the respondents × items two-way ANOVA
    without interaction, 1 − MS_residual / MS_respondents, fitted by statsmodels."""
    long = wide.reset_index(names="respondent").melt(id_vars="respondent", var_name="item",
                                                     value_name="score")
    table = anova_lm(ols("score ~ C(respondent) + C(item)", data=long).fit())
    return 1 - table.loc["Residual", "mean_sq"] / table.loc["C(respondent)", "mean_sq"]


# --- cronbach_alpha ----------------------------------------------------------------------------

def test_alpha_of_the_worked_example():
    alpha = cronbach_alpha(STATOLOGY)
    assert alpha == pytest.approx(STATOLOGY_ALPHA, abs=1e-12)
    assert alpha == pytest.approx(0.7734375, abs=1e-12)  # the published value


def test_alpha_matches_hoyt_anova_and_covariance_form():
    rng = np.random.default_rng(20260611)
    trait = rng.normal(size=(60, 1))
    scores = np.clip(np.rint(3 + trait + rng.normal(scale=0.9, size=(60, 5))), 1, 5)
    wide = pd.DataFrame(scores, columns=[f"q9_{i}" for i in range(24, 29)])
    alpha = cronbach_alpha(wide)
    assert alpha == pytest.approx(hoyt_alpha(wide), abs=1e-10)
    assert alpha == pytest.approx(numpy_alpha(scores), abs=1e-12)
    assert 0.5 < alpha < 1


def test_alpha_equals_standardized_form_when_variances_are_equal():
    # Each column is a permutation of the same six scores, so every item variance is equal;
    # then the covariance form reduces to k·r̄/(1 + (k − 1)·r̄) with r̄ the mean inter-item
    # correlation. (With unequal variances the two differ: not used as a check there.)
    base = [1, 2, 2, 3, 4, 5]
    wide = pd.DataFrame({"a": base, "b": [2, 1, 3, 2, 5, 4], "c": [1, 3, 2, 4, 2, 5],
                         "d": [2, 2, 1, 5, 3, 4]})
    variances = wide.var(ddof=1)
    assert np.allclose(variances, variances.iloc[0])
    corr = wide.corr().to_numpy()
    k = corr.shape[0]
    mean_r = (corr.sum() - k) / (k * (k - 1))
    assert cronbach_alpha(wide) == pytest.approx(k * mean_r / (1 + (k - 1) * mean_r), abs=1e-12)


def test_alpha_is_kr20_on_wuenschs_quiz():
    # K. L. Wuensch, "The Kuder-Richardson 20" (StatHelp teaching note, East Carolina
    # University): ten students, ten 0/1 items, with the published p per item
    # .7 .7 .6 .7 .6 .8 .7 .7 .5 .6 (Σpq = 2.18) and total-score variance 5.84 (divisor n).
    quiz = pd.DataFrame([
        [1, 1, 1, 1, 1, 1, 0, 1, 1, 0], [1, 0, 1, 1, 0, 1, 1, 1, 0, 1],
        [1, 1, 1, 1, 0, 1, 1, 0, 0, 1], [0, 0, 1, 0, 0, 0, 1, 0, 0, 0],
        [0, 0, 0, 0, 0, 1, 0, 0, 1, 0], [1, 1, 1, 0, 1, 1, 1, 1, 1, 1],
        [1, 1, 0, 1, 1, 1, 0, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1, 1, 0, 1],
        [0, 1, 0, 1, 1, 1, 1, 1, 0, 1], [1, 1, 0, 1, 1, 0, 1, 1, 1, 0],
    ], columns=[f"item{i}" for i in range(1, 11)])
    # Transcription check against the note's own margins.
    assert quiz.mean().tolist() == pytest.approx([.7, .7, .6, .7, .6, .8, .7, .7, .5, .6])
    assert quiz.sum(axis=1).tolist() == [8, 7, 7, 2, 2, 9, 8, 9, 7, 7]
    assert quiz.sum(axis=1).var(ddof=0) == pytest.approx(5.84)
    # KR-20 = K/(K−1)·(1 − Σpq/σ²) = 10/9 · (1 − 2.18/5.84) = 36.6/52.56 = 0.696347
    assert cronbach_alpha(quiz) == pytest.approx(10 / 9 * (1 - 2.18 / 5.84), abs=1e-12)


def test_alpha_on_mtcars_matches_published_value():
    # mtcars (Henderson & Velleman 1981, Biometrics 37:391–411; R's datasets) columns cyl,
    # hp, gear, carb; easystats/performance tests/testthat/test-cronbachs_alpha.R publishes
    # cronbachs_alpha(mtcars[, c("cyl", "gear", "carb", "hp")]) = 0.09463206.
    cyl = [6, 6, 4, 6, 8, 6, 8, 4, 4, 6, 6, 8, 8, 8, 8, 8, 8, 4, 4, 4, 4, 8, 8, 8, 8, 4, 4, 4,
           8, 6, 8, 4]
    hp = [110, 110, 93, 110, 175, 105, 245, 62, 95, 123, 123, 180, 180, 180, 205, 215, 230,
          66, 52, 65, 97, 150, 150, 245, 175, 66, 91, 113, 264, 175, 335, 109]
    gear = [4, 4, 4, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 4, 4, 4, 3, 3, 3, 3, 3, 4, 5, 5,
            5, 5, 5, 4]
    carb = [4, 4, 1, 1, 2, 1, 4, 2, 2, 4, 4, 3, 3, 3, 4, 4, 4, 1, 2, 1, 1, 2, 2, 4, 2, 1, 2, 2,
            4, 6, 8, 2]
    wide = pd.DataFrame({"cyl": cyl, "gear": gear, "carb": carb, "hp": hp})
    # Transcription check: the well-known column means of mtcars.
    assert wide.mean().tolist() == [6.1875, 3.6875, 2.8125, 146.6875]
    assert cronbach_alpha(wide) == pytest.approx(0.09463206, abs=5e-9)


def test_alpha_can_be_negative():
    # a = 1 2 3 (SS 2, var 1), b = 2 1 1 (var 1/3), total 3 3 4 (var 1/3):
    # α = 2 · (1 − (1 + 1/3)/(1/3)) = 2 · (1 − 4) = −6 (by hand).
    assert cronbach_alpha(pd.DataFrame({"a": [1, 2, 3], "b": [2, 1, 1]})) == pytest.approx(-6)


def test_alpha_uses_listwise_deletion():
    with_gaps = STATOLOGY.astype("float64")
    with_gaps.loc[10] = [np.nan, 1, 1]      # incomplete respondents add nothing
    with_gaps.loc[11] = [3, np.nan, np.nan]
    assert cronbach_alpha(with_gaps) == pytest.approx(STATOLOGY_ALPHA, abs=1e-12)
    nullable = with_gaps.astype("Int64")  # <NA> of the nullable dtype is missing too
    assert cronbach_alpha(nullable) == pytest.approx(STATOLOGY_ALPHA, abs=1e-12)


@pytest.mark.parametrize("wide", [
    pd.DataFrame({"only": [1, 2, 3, 4]}),                               # one item
    pd.DataFrame({"a": [1, 2, np.nan], "b": [1, np.nan, 3]}),           # one complete row
    pd.DataFrame({"a": [3, 3, 3], "b": [2, 2, 2]}),                     # no variance at all
    pd.DataFrame({"a": [1, 2, 3], "b": [3, 2, 1]}),                     # constant total
    pd.DataFrame({"a": pd.Series([], dtype="float64"),
                  "b": pd.Series([], dtype="float64")}),                # nobody answered
    pd.DataFrame(),                                                     # no items
], ids=["one-item", "one-respondent", "all-constant", "constant-total", "empty", "no-items"])
def test_alpha_is_nan_when_undefined(wide):
    assert np.isnan(cronbach_alpha(wide))


@pytest.mark.parametrize(("wide", "message"), [
    ([[1, 2], [3, 4]], "wide must be a pandas DataFrame"),
    (pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}), "non-numeric item column.*b"),
    (pd.DataFrame([[1, 2], [2, 3]], columns=["a", "a"]), "duplicate"),
    (pd.DataFrame({"a": [1.0, np.inf], "b": [1.0, 2.0]}), "infinite"),
])
def test_alpha_rejects_bad_input(wide, message):
    with pytest.raises(ValueError, match=message):
        cronbach_alpha(wide)


# --- item_total_correlations -------------------------------------------------------------------

def test_item_total_table_of_the_worked_example():
    # Q1 against Q2 + Q3 (2 2 3 3 5 6 5 6 5 6, mean 4.3, SS 24.1): the cross products of the
    # deviations sum to 5.1, so r = 5.1/√(4.1 · 24.1) = 0.513062 (by hand), and alpha of
    # Q2, Q3 alone = 2 · (1 − (7.6 + 6.9)/24.1) = 19.2/24.1 = 0.796680 (by hand).
    # Q2 and Q3 rows: numpy's corrcoef and the covariance form (second method).
    data = STATOLOGY.to_numpy(dtype="float64")
    total = data.sum(axis=1)
    r = [np.corrcoef(data[:, j], total - data[:, j])[0, 1] for j in range(3)]
    dropped = [numpy_alpha(np.delete(data, j, axis=1)) for j in range(3)]
    assert r[0] == pytest.approx(5.1 / np.sqrt(4.1 * 24.1), abs=1e-12)
    assert dropped[0] == pytest.approx(19.2 / 24.1, abs=1e-12)
    expected = pd.DataFrame({
        "item_code": ["Q1", "Q2", "Q3"],
        "corrected_item_total_r": r,
        "alpha_if_deleted": dropped,
        "n": np.array([10, 10, 10], dtype="int64"),
    })
    assert_frame_equal(item_total_correlations(STATOLOGY), expected, rtol=1e-12)


def test_item_total_uses_one_listwise_sample():
    with_gaps = STATOLOGY.astype("float64")
    with_gaps.loc[10] = [np.nan, 3, 3]
    table = item_total_correlations(with_gaps)
    assert table["n"].tolist() == [10, 10, 10]
    assert_frame_equal(table, item_total_correlations(STATOLOGY), rtol=1e-12)


def test_item_total_edge_cases():
    # Two items: r is their plain correlation; dropping one leaves a single item (NaN alpha).
    two = pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 3, 2, 4]})
    table = item_total_correlations(two)
    r = np.corrcoef([1, 2, 3, 4], [1, 3, 2, 4])[0, 1]  # 0.8 (by hand: 4/5)
    assert table["corrected_item_total_r"].tolist() == pytest.approx([r, r])
    assert r == pytest.approx(0.8)
    assert table["alpha_if_deleted"].isna().all()
    # A constant item has no correlation; one item alone has nothing to correlate with.
    constant = item_total_correlations(pd.DataFrame({"a": [2, 2, 2], "b": [1, 2, 3],
                                                     "c": [1, 3, 3]}))
    assert np.isnan(constant.loc[0, "corrected_item_total_r"])
    alone = item_total_correlations(pd.DataFrame({"a": [1, 2, 3]}))
    assert np.isnan(alone.loc[0, "corrected_item_total_r"])
    assert np.isnan(alone.loc[0, "alpha_if_deleted"])
    assert alone.loc[0, "n"] == 3


def test_item_total_rejects_bad_input():
    with pytest.raises(ValueError, match="wide must be a pandas DataFrame"):
        item_total_correlations(np.ones((3, 3)))


# --- reliability_by_element --------------------------------------------------------------------

def _long(wide: pd.DataFrame, first_id: int) -> pd.DataFrame:
    """Long answers from a wide frame, one row per answered item (blanks are absent rows)."""
    long = wide.reset_index(drop=True).rename_axis("row").reset_index().melt(
        id_vars="row", var_name="item_code", value_name="value").dropna(subset=["value"])
    return pd.DataFrame({"response_id": long["row"] + first_id,
                         "item_code": long["item_code"],
                         "value": long["value"].astype("int64")})


ITEMS = pd.DataFrame({
    "item_code": ["Q1", "Q2", "Q3", "q9_31", "q9_32", "q9_33", "q9_37", "q9_38", "q9_39",
                  "lonely"],
    "element": ["A", "A", "A", "II.C", "II.C", "II.C", "II.E", "II.E", "II.E", "solo"],
})


def test_reliability_by_element():
    # Element A: the worked example (ids 0–9). II.C: five responses, one skips q9_32, so four
    # are complete (ids 100–104). II.E: nobody answered. "solo": one item, alpha undefined.
    part_ii = pd.DataFrame({"q9_31": [5, 4, 3, 4, 2], "q9_32": [5, np.nan, 3, 5, 1],
                            "q9_33": [4, 4, 2, 5, 2]})
    answers = pd.concat([
        _long(STATOLOGY, 0),
        _long(part_ii, 100),
        _long(pd.DataFrame({"lonely": [1, 2, 3]}), 200),
        # Not a listed item: ignored.
        pd.DataFrame({"response_id": [0, 1], "item_code": ["q4", "q4"], "value": [1, 2]}),
    ], ignore_index=True)
    # II.C by hand on ids 100, 102, 103, 104: q9_31 5 3 4 2 (SS 5), q9_32 5 3 5 1 (SS 11),
    # q9_33 4 2 5 2 (SS 6.75), totals 14 8 14 5 (mean 10.25, SS 60.75):
    # α = 3/2 · (1 − 22.75/60.75) = 1.5 · 38/60.75 = 0.938272.
    complete_ii = np.array([[5, 5, 4], [3, 3, 2], [4, 5, 5], [2, 1, 2]], dtype="float64")
    assert numpy_alpha(complete_ii) == pytest.approx(1.5 * 38 / 60.75, abs=1e-12)
    expected = pd.DataFrame({
        "element": ["A", "II.C", "II.E", "solo"],
        "items": np.array([3, 3, 3, 1], dtype="int64"),
        "respondents": np.array([10, 4, 0, 3], dtype="int64"),
        "alpha": [STATOLOGY_ALPHA, 1.5 * 38 / 60.75, np.nan, np.nan],
    })
    assert_frame_equal(reliability_by_element(answers, ITEMS), expected, rtol=1e-12)


def test_reliability_by_element_keeps_missing_values_out():
    answers = _long(STATOLOGY, 0)
    answers["value"] = answers["value"].astype("float64")
    answers.loc[len(answers)] = [50, "Q1", np.nan]  # a recorded blank: not an answer
    answers.loc[len(answers)] = [50, "Q2", 2.0]
    answers.loc[len(answers)] = [50, "Q3", 2.0]
    result = reliability_by_element(answers, ITEMS.iloc[:3])
    assert result["respondents"].tolist() == [10]
    assert result["alpha"].tolist() == pytest.approx([STATOLOGY_ALPHA])


def test_reliability_by_element_with_no_answers():
    empty = pd.DataFrame({"response_id": pd.Series([], dtype="int64"),
                          "item_code": pd.Series([], dtype="str"),
                          "value": pd.Series([], dtype="int64")})
    result = reliability_by_element(empty, ITEMS.iloc[:3])
    assert result["respondents"].tolist() == [0]
    assert np.isnan(result.loc[0, "alpha"])


@pytest.mark.parametrize(("answers", "items", "message"), [
    ("not a frame", ITEMS, "answers_long must be a pandas DataFrame"),
    (pd.DataFrame({"response_id": [1], "item_code": ["Q1"]}), ITEMS,
     "answers_long lacks the column.*value"),
    (pd.DataFrame({"response_id": [1], "item_code": ["Q1"], "value": [1]}),
     pd.DataFrame({"item_code": ["Q1"]}), "items lacks the column.*element"),
    (pd.DataFrame({"response_id": [1], "item_code": ["Q1"], "value": [1]}),
     pd.DataFrame({"item_code": ["Q1", "Q1"], "element": ["A", "B"]}), "item_code Q1"),
    (pd.DataFrame({"response_id": [1], "item_code": ["Q1"], "value": [1]}),
     pd.DataFrame({"item_code": ["Q1"], "element": [None]}), "without item_code or element"),
    (pd.DataFrame({"response_id": [1, 1], "item_code": ["Q1", "Q1"], "value": [1, 2]}),
     ITEMS, "same item_code twice"),
    (pd.DataFrame({"response_id": [1], "item_code": ["Q1"], "value": ["3"]}), ITEMS,
     "value must be numeric"),
])
def test_reliability_by_element_rejects_bad_input(answers, items, message):
    with pytest.raises(ValueError, match=message):
        reliability_by_element(answers, items)
