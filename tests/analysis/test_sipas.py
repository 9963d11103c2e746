"""Independent checks of analysis.sipas against DOMAIN.md §2.2 and the module's docstrings.

Reference values come from one of three places, said beside each:
- hand arithmetic in the comments (small tables built for the test);
- ``reference_indices``: a second implementation in plain Python loops over raw answers
  (dicts and lists, no pandas groupby), used on a seeded random survey;
- statsmodels: ``proportion_confint(method="wilson")`` for intervals and ``proportions_ztest``
  for the change between periods.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from analysis.comparisons import compare_periods, rank_units, target_gaps
from analysis.periods import parse_period, period_labels, previous_period
from analysis.sipas import VALUE_COLUMNS, answer_counts, sipas_indices, subtree_counts

# The distribution: valid values 1…5, then answers "not applicable" (value 0, DOMAIN.md §2.1).
DIST = [*VALUE_COLUMNS, "not_applicable"]
ITEM_COLUMNS = ["item_code", "element", "n", "invalid", "satisfied", "n_eff", "index",
                "ci_low", "ci_high", "mean_score", *DIST, "suppressed"]
ELEMENT_COLUMNS = ["element", "component", "items", "n", "n_eff", "index", "ci_low",
                   "ci_high", "mean_score", *DIST, "suppressed"]
COMPONENT_COLUMNS = ["component", "elements", "n", "n_eff", "index", "ci_low", "ci_high",
                     "mean_score", *DIST, "suppressed"]
OVERALL_COLUMNS = ["components", "n", "n_eff", "index", "ci_low", "ci_high", "mean_score",
                   *DIST, "suppressed"]
INT_COLUMNS = ["n", "invalid", "satisfied", "items", "elements", "components", *DIST]


def wilson_percent(successes: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson interval in percent, from statsmodels (the independent method)."""
    low, high = proportion_confint(successes, n, alpha=1 - confidence, method="wilson")
    return 100 * float(low), 100 * float(high)


def table(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """An expected table with the dtypes the module documents: counts int64, flags bool."""
    frame = pd.DataFrame(rows, columns=columns)
    for column in columns:
        if column in INT_COLUMNS:
            frame[column] = frame[column].astype("int64")
        elif column == "suppressed":
            frame[column] = frame[column].astype(bool)
        elif column in ("n_eff", "index", "ci_low", "ci_high", "mean_score"):
            frame[column] = frame[column].astype("float64")
    return frame


def with_interval(row: dict, share: float | None, n_eff: float) -> dict:
    """Fill index and Wilson bounds (statsmodels) from a share (0–1) and n_eff."""
    if share is None:
        return {**row, "n_eff": n_eff, "index": np.nan, "ci_low": np.nan, "ci_high": np.nan}
    low, high = wilson_percent(share * n_eff, n_eff)
    return {**row, "n_eff": n_eff, "index": 100 * share, "ci_low": low, "ci_high": high}


def distribution(**levels: int) -> dict:
    return {column: levels.get(column, 0) for column in DIST}


# --- a small survey worked out by hand ------------------------------------------------------

CATALOGUE = pd.DataFrame({
    "item_code": ["A1", "A2", "B1", "P1", "Q3"],
    "element": ["II.A", "II.A", "II.B", "I.A", None],
    "scale_max": [5, 5, 5, 5, 3],
})


def hand_counts() -> pd.DataFrame:
    rows = [
        # A1: valid 5×3, 4×2, 3×1, 2×1, 1×1 → n 8; not applicable 0×1; invalid 6×1, 9×2 → 3.
        ("A1", 5, 3), ("A1", 4, 2), ("A1", 3, 1), ("A1", 2, 1), ("A1", 1, 1),
        ("A1", 0, 1), ("A1", 6, 1), ("A1", 9, 2),
        # A2: 4×4, 2×2 → n 6.
        ("A2", 4, 4), ("A2", 2, 2),
        # B1: 5×5, 1×1 → n 6.
        ("B1", 5, 5), ("B1", 1, 1),
        # P1: 3×5, 4×5 → n 10.
        ("P1", 3, 5), ("P1", 4, 5),
        # Q3 (3-level quick form, no element): 3×2, 2×3, 1×1 valid; 4 and 5 are invalid.
        ("Q3", 3, 2), ("Q3", 2, 3), ("Q3", 1, 1), ("Q3", 4, 1), ("Q3", 5, 1),
        # Not in the catalogue: ignored.
        ("ZZ", 5, 50),
    ]
    return pd.DataFrame(rows, columns=["item_code", "value", "count"])


def test_item_level_by_hand():
    result = sipas_indices(hand_counts(), CATALOGUE).items
    # A1: satisfied 3 + 2 = 5 of 8 → 62.5; mean (5·3 + 4·2 + 3 + 2 + 1) / 8 = 29/8.
    # A2: satisfied 4 of 6 → 66.67; mean (4·4 + 2·2) / 6 = 20/6.
    # B1: satisfied 5 of 6 → 83.33; mean (5·5 + 1) / 6 = 26/6.
    # P1: satisfied 5 of 10 → 50; mean (3·5 + 4·5) / 10 = 3.5.
    # Q3: scale 1–3, satisfied = 2–3 → 3 + 2 = 5 of 6 → 83.33; mean (3·2 + 2·3 + 1) / 6 = 13/6;
    #     the 4 and the 5 are out of range: invalid 2.
    # Unweighted: n_eff = n. Intervals: statsmodels Wilson on (satisfied, n).
    rows = [
        ("A1", "II.A", 8, 3, 5, 29 / 8,
         distribution(n_1=1, n_2=1, n_3=1, n_4=2, n_5=3, not_applicable=1)),
        ("A2", "II.A", 6, 0, 4, 20 / 6, distribution(n_2=2, n_4=4)),
        ("B1", "II.B", 6, 0, 5, 26 / 6, distribution(n_1=1, n_5=5)),
        ("P1", "I.A", 10, 0, 5, 3.5, distribution(n_3=5, n_4=5)),
        ("Q3", None, 6, 2, 5, 13 / 6, distribution(n_1=1, n_2=3, n_3=2)),
    ]
    expected = table([
        with_interval({"item_code": code, "element": element, "n": n, "invalid": invalid,
                       "satisfied": satisfied, "mean_score": mean, **dist,
                       "suppressed": False}, satisfied / n, float(n))
        for code, element, n, invalid, satisfied, mean, dist in rows
    ], ITEM_COLUMNS)
    assert_frame_equal(result, expected)


@pytest.mark.parametrize("value", [6, 9, -1, 4.5])
def test_values_outside_one_to_five_are_counted_invalid(value):
    counts = pd.DataFrame({"item_code": ["A1", "A1", "A1"], "value": [5, 2, value],
                           "count": [3, 3, 7]})
    row = sipas_indices(counts, CATALOGUE, min_n=1).items.iloc[0]
    # Valid: 5×3, 2×3 → n 6, satisfied 3 → 50; the 7 odd answers are only in invalid.
    assert (row["n"], row["invalid"], row["satisfied"]) == (6, 7, 3)
    assert row["index"] == pytest.approx(50.0)
    assert row["mean_score"] == pytest.approx((5 * 3 + 2 * 3) / 6)
    assert row[VALUE_COLUMNS].tolist() == [0, 3, 0, 0, 3]


def test_not_applicable_counts_like_a_blank_and_shows_apart():
    # QĐ 1001 counts valid answers only (DOMAIN.md §2.1-2.2): of 5, 4, 2 and two "không áp
    # dụng" (0), the valid answers are 3, the satisfied ones 2 → 200/3 %; the two 0 are
    # neither valid nor invalid.
    counts = pd.DataFrame({"item_code": ["A1"] * 4, "value": [5, 4, 2, 0],
                           "count": [1, 1, 1, 2]})
    row = sipas_indices(counts, CATALOGUE, min_n=1).items.iloc[0]
    assert (row["n"], row["invalid"], row["not_applicable"]) == (3, 0, 2)
    assert row["index"] == pytest.approx(200 / 3)
    assert row["mean_score"] == pytest.approx(11 / 3)


def test_three_level_form_counts_two_and_three_as_satisfied():
    counts = pd.DataFrame({"item_code": ["Q3"] * 3, "value": [1, 2, 3], "count": [2, 3, 5]})
    row = sipas_indices(counts, CATALOGUE).items.iloc[0]
    # satisfied = answers 2 or 3 = 8 of 10 → 80 (with a 5-point rule it would be 0).
    assert row["satisfied"] == 8
    assert row["index"] == pytest.approx(80.0)
    assert row["mean_score"] == pytest.approx((2 + 6 + 15) / 10)


def test_item_without_element_scores_no_parent():
    counts = pd.DataFrame({"item_code": ["Q3", "Q3"], "value": [3, 1], "count": [9, 1]})
    result = sipas_indices(counts, CATALOGUE)
    assert result.items["item_code"].tolist() == ["Q3"]
    assert result.items["index"].iloc[0] == pytest.approx(90.0)
    # Its answers reach no element, component or overall figure.
    assert result.elements.empty and result.components.empty and result.overall.empty


def test_parents_item_mean_by_hand():
    result = sipas_indices(hand_counts(), CATALOGUE)
    # Elements = mean of item indices; n = sum of item n; n_eff = mean of item n_eff;
    # mean score = mean of item mean scores; distribution = sum of the items'.
    #   I.A : P1 only → 50, n 10, n_eff 10, mean 3.5.
    #   II.A: (62.5 + 66.667) / 2 = 64.583; n 14; n_eff (8 + 6) / 2 = 7;
    #         mean (29/8 + 20/6) / 2.
    #   II.B: B1 only → 83.333, n 6, n_eff 6.
    ii_a = (62.5 + 200 / 3) / 2
    expected_elements = table([
        with_interval({"element": "I.A", "component": "I", "items": 1, "n": 10,
                       "mean_score": 3.5, **distribution(n_3=5, n_4=5),
                       "suppressed": False}, 0.5, 10.0),
        with_interval({"element": "II.A", "component": "II", "items": 2, "n": 14,
                       "mean_score": (29 / 8 + 20 / 6) / 2,
                       **distribution(n_1=1, n_2=3, n_3=1, n_4=6, n_5=3, not_applicable=1),
                       "suppressed": False}, ii_a / 100, 7.0),
        with_interval({"element": "II.B", "component": "II", "items": 1, "n": 6,
                       "mean_score": 26 / 6, **distribution(n_1=1, n_5=5),
                       "suppressed": False}, 5 / 6, 6.0),
    ], ELEMENT_COLUMNS)
    assert_frame_equal(result.elements, expected_elements)
    # Components = mean of element indices, n_eff = mean of element n_eff:
    #   I : 50, n 10, n_eff 10.
    #   II: (64.583 + 83.333) / 2 = 73.958, n 20, n_eff (7 + 6) / 2 = 6.5.
    ii = (ii_a + 500 / 6) / 2
    ii_mean = ((29 / 8 + 20 / 6) / 2 + 26 / 6) / 2
    expected_components = table([
        with_interval({"component": "I", "elements": 1, "n": 10, "mean_score": 3.5,
                       **distribution(n_3=5, n_4=5), "suppressed": False}, 0.5, 10.0),
        with_interval({"component": "II", "elements": 2, "n": 20, "mean_score": ii_mean,
                       **distribution(n_1=2, n_2=3, n_3=1, n_4=6, n_5=8, not_applicable=1),
                       "suppressed": False}, ii / 100, 6.5),
    ], COMPONENT_COLUMNS)
    assert_frame_equal(result.components, expected_components)
    # Overall = mean of components: (50 + 73.958) / 2 = 61.979; n 30; n_eff (10 + 6.5) / 2.
    # Q3 has no element, so it is not in n.
    expected_overall = table([
        with_interval({"components": 2, "n": 30, "mean_score": (3.5 + ii_mean) / 2,
                       **distribution(n_1=2, n_2=3, n_3=6, n_4=11, n_5=8, not_applicable=1),
                       "suppressed": False}, (50 + ii) / 200, 8.25),
    ], OVERALL_COLUMNS)
    assert_frame_equal(result.overall, expected_overall)
    assert result.aggregation == "item_mean" and result.min_n == 5


def test_parents_pooled_by_hand():
    result = sipas_indices(hand_counts(), CATALOGUE, aggregation="pooled")
    # Pooled = satisfied answers / valid answers below the level:
    #   II.A: (5 + 4) / (8 + 6) = 9/14 = 64.286 (item mean would give 64.583).
    #   II  : (5 + 4 + 5) / 20 = 70.
    #   I   : 5 / 10 = 50.  Overall: (14 + 5) / 30 = 63.333.
    # Mean score pooled too: the mean of the summed distribution, e.g. II.A
    #   (1·1 + 2·3 + 3·1 + 4·6 + 5·3) / 14 = 49/14.
    # Element n_eff = mean of its items' n_eff: II.A (8 + 6) / 2 = 7.
    elements = result.elements.set_index("element")
    assert elements.loc["II.A", "index"] == pytest.approx(100 * 9 / 14)
    assert elements.loc["II.A", "mean_score"] == pytest.approx(49 / 14)
    assert elements.loc["II.A", "n_eff"] == pytest.approx(7.0)
    low, high = wilson_percent(9 / 14 * 7, 7)
    assert elements.loc["II.A", ["ci_low", "ci_high"]].tolist() == pytest.approx([low, high])
    assert elements.loc["II.B", "index"] == pytest.approx(100 * 5 / 6)
    components = result.components.set_index("component")
    assert components.loc["II", "index"] == pytest.approx(70.0)
    assert components.loc["II", "n"] == 20
    # (1·2 + 2·3 + 3·1 + 4·6 + 5·8) / 20 = 75/20
    assert components.loc["II", "mean_score"] == pytest.approx(75 / 20)
    assert components.loc["I", "index"] == pytest.approx(50.0)
    assert result.overall["index"].iloc[0] == pytest.approx(100 * 19 / 30)
    assert result.overall["n"].iloc[0] == 30
    assert result.overall["components"].iloc[0] == 2
    assert result.aggregation == "pooled"


def test_weighted_uses_kish_effective_size():
    catalogue = pd.DataFrame({"item_code": ["W1", "W2", "W3"],
                              "element": ["II.A", "II.A", "II.B"], "scale_max": [5, 5, 5]})
    counts = pd.DataFrame([
        ("W1", 5, 2, 1.0), ("W1", 4, 1, 3.0), ("W1", 2, 1, 2.0), ("W1", 9, 1, 5.0),
        ("W2", 3, 4, 0.5), ("W2", 5, 2, 2.0),
        ("W3", 1, 3, 1.0), ("W3", 4, 3, 1.0),
    ], columns=["item_code", "value", "count", "w"])
    result = sipas_indices(counts, catalogue, aggregation="weighted", weight="w", min_n=1)
    # Expand each row into `count` respondents of weight w (the 9 is invalid, weight unused):
    #   W1 weights [1, 1, 3, 2]: Σw 7, Σw² 15 → Kish n_eff 49/15; satisfied weight 1+1+3 = 5
    #      → share 5/7; mean (1·5 + 1·5 + 3·4 + 2·2) / 7 = 26/7.
    #   W2 weights [.5 ×4, 2 ×2]: Σw 6, Σw² 4·.25 + 2·4 = 9 → n_eff 36/9 = 4; satisfied
    #      weight 4 → share 4/6; mean (.5·4·3 + 2·2·5) / 6 = 26/6.
    #   W3 weights 1 ×6: n_eff 6; share 3/6; mean (3·1 + 3·4) / 6 = 2.5.
    for code, weights in (("W1", [1, 1, 3, 2]), ("W2", [.5] * 4 + [2, 2]), ("W3", [1] * 6)):
        kish = sum(weights) ** 2 / sum(w * w for w in weights)  # second method: loop
        assert result.items.set_index("item_code").loc[code, "n_eff"] == pytest.approx(kish)
    expected_items = table([
        with_interval({"item_code": "W1", "element": "II.A", "n": 4, "invalid": 1,
                       "satisfied": 3, "mean_score": 26 / 7,
                       **distribution(n_2=1, n_4=1, n_5=2), "suppressed": False},
                      5 / 7, 49 / 15),
        with_interval({"item_code": "W2", "element": "II.A", "n": 6, "invalid": 0,
                       "satisfied": 2, "mean_score": 26 / 6, **distribution(n_3=4, n_5=2),
                       "suppressed": False}, 4 / 6, 4.0),
        with_interval({"item_code": "W3", "element": "II.B", "n": 6, "invalid": 0,
                       "satisfied": 3, "mean_score": 2.5, **distribution(n_1=3, n_4=3),
                       "suppressed": False}, 0.5, 6.0),
    ], ITEM_COLUMNS)
    assert_frame_equal(result.items, expected_items)
    # Element II.A = mean of weighted item shares (5/7 + 4/6) / 2, n_eff (49/15 + 4) / 2.
    ii_a_share = (5 / 7 + 4 / 6) / 2
    ii_a_n_eff = (49 / 15 + 4) / 2
    expected_elements = table([
        with_interval({"element": "II.A", "component": "II", "items": 2, "n": 10,
                       "mean_score": (26 / 7 + 26 / 6) / 2,
                       **distribution(n_2=1, n_3=4, n_4=1, n_5=4), "suppressed": False},
                      ii_a_share, ii_a_n_eff),
        with_interval({"element": "II.B", "component": "II", "items": 1, "n": 6,
                       "mean_score": 2.5, **distribution(n_1=3, n_4=3), "suppressed": False},
                      0.5, 6.0),
    ], ELEMENT_COLUMNS)
    assert_frame_equal(result.elements, expected_elements)
    # Component II = (ii_a_share + 0.5) / 2 with n_eff (ii_a_n_eff + 6) / 2; overall = II.
    component = result.components.iloc[0]
    assert component["index"] == pytest.approx(100 * (ii_a_share + 0.5) / 2)
    assert component["n_eff"] == pytest.approx((ii_a_n_eff + 6) / 2)
    low, high = wilson_percent((ii_a_share + 0.5) / 2 * (ii_a_n_eff + 6) / 2,
                               (ii_a_n_eff + 6) / 2)
    assert [component["ci_low"], component["ci_high"]] == pytest.approx([low, high])
    assert result.overall["index"].iloc[0] == pytest.approx(component["index"])


def test_equal_weights_give_the_item_mean_figures():
    counts = hand_counts().assign(w=2.5)
    weighted = sipas_indices(counts, CATALOGUE, aggregation="weighted", weight="w")
    plain = sipas_indices(hand_counts(), CATALOGUE)
    # Constant weights: shares unchanged and Kish n_eff = (2.5 n)² / (2.5² n) = n.
    for level in ("items", "elements", "components", "overall"):
        assert_frame_equal(getattr(weighted, level), getattr(plain, level))


# --- a seeded survey checked against plain Python loops --------------------------------------

SURVEY_CATALOGUE = pd.DataFrame({
    "item_code": ["P1", "P2", "P3", "S1", "S2", "S3", "S4", "S5", "QX"],
    "element": ["I.A", "I.A", "I.B", "II.A", "II.A", "II.A", "II.B", "II.C", None],
    "scale_max": [5, 5, 5, 5, 5, 5, 5, 3, 3],
})


def survey_answers() -> pd.DataFrame:
    """Raw answers ``[unit_id, period, response_id, item_code, value]`` for three units.

    Unit 3 never answers II.C (a missing child), and in unit 2 item S2 has only invalid
    answers (an item present without valid answers, left out of the II.A mean)."""
    rng = np.random.default_rng(20260615)
    rows = []
    response_id = 0
    for unit_id, respondents in ((1, 40), (2, 12), (3, 6)):
        for _ in range(respondents):
            response_id += 1
            period = "2026-H1" if response_id % 3 else "2026-H2"
            for code, scale_max in zip(SURVEY_CATALOGUE["item_code"],
                                       SURVEY_CATALOGUE["scale_max"], strict=True):
                if unit_id == 3 and code == "S5":
                    continue
                if rng.random() < 0.15:  # skipped item
                    continue
                if unit_id == 2 and code == "S2":
                    value = int(rng.choice([0, 6, 9]))
                elif rng.random() < 0.07:
                    value = int(rng.choice([0, scale_max + 1, 9]))
                else:
                    value = int(rng.integers(1, scale_max + 1))
                rows.append((unit_id, period, response_id, code, value))
    frame = pd.DataFrame(rows, columns=["unit_id", "period", "response_id", "item_code",
                                        "value"])
    return frame.astype({"unit_id": "int64", "value": "int64"})


def reference_indices(answers: pd.DataFrame, catalogue: pd.DataFrame, by: list[str]) -> dict:
    """Item-mean indices with plain loops over raw answers (the second method).

    Returns four lists of dicts, one per level, keyed by the ``by`` values."""
    scale = dict(zip(catalogue["item_code"], catalogue["scale_max"], strict=True))
    element_of = {code: element for code, element in
                  zip(catalogue["item_code"], catalogue["element"], strict=True)
                  if isinstance(element, str)}
    values: dict[tuple, list[int]] = defaultdict(list)
    for record in answers.to_dict("records"):
        if record["item_code"] in scale:
            group = tuple(record[key] for key in by)
            values[(group, record["item_code"])].append(record["value"])

    items = []
    for (group, code), answered in sorted(values.items()):
        valid = [v for v in answered if 1 <= v <= scale[code]]
        satisfied = [v for v in valid if v >= scale[code] - 1]
        n, not_applicable = len(valid), answered.count(0)
        row = {**dict(zip(by, group, strict=True)), "item_code": code,
               "element": element_of.get(code), "n": n,
               "invalid": len(answered) - n - not_applicable,
               "satisfied": len(satisfied),
               "mean_score": sum(valid) / n if n else np.nan,
               **{f"n_{level}": valid.count(level) for level in range(1, 6)},
               "not_applicable": not_applicable,
               "suppressed": n < 1}
        items.append(with_interval(row, len(satisfied) / n if n else None, float(n)))

    def parents(children: list[dict], child_key: str, parent_of, level: str, count: str):
        grouped: dict[tuple, list[dict]] = defaultdict(list)
        for child in children:
            parent = parent_of(child)
            if parent is not None:
                group = tuple(child[key] for key in by)
                grouped[(group, parent)].append(child)
        rows = []
        for (group, parent), members in sorted(grouped.items()):
            answered = [m for m in members if m["n"] > 0]
            share = (sum(m["index"] for m in answered) / len(answered) / 100
                     if answered else None)
            n_eff = (sum(m["n_eff"] for m in answered) / len(answered)) if answered else 0.0
            row = {**dict(zip(by, group, strict=True)), level: parent,
                   count: len({m[child_key] for m in answered}),
                   "n": sum(m["n"] for m in members),
                   "mean_score": (sum(m["mean_score"] for m in answered) / len(answered)
                                  if answered else np.nan),
                   **{c: sum(m[c] for m in members) for c in DIST},
                   "suppressed": n_eff < 1}
            rows.append(with_interval(row, share, n_eff))
        return rows

    elements = parents(items, "item_code", lambda row: row["element"], "element", "items")
    for row in elements:
        row["component"] = row["element"].split(".")[0]
    components = parents(elements, "element", lambda row: row["component"], "component",
                         "elements")
    overall = parents(components, "component", lambda row: "all", "_all", "components")
    for row in overall:
        del row["_all"]
    return {"items": items, "elements": elements, "components": components,
            "overall": overall}


def expected_levels(answers: pd.DataFrame, by: list[str]) -> dict[str, pd.DataFrame]:
    reference = reference_indices(answers, SURVEY_CATALOGUE, by)
    columns = {"items": ITEM_COLUMNS, "elements": ELEMENT_COLUMNS,
               "components": COMPONENT_COLUMNS, "overall": OVERALL_COLUMNS}
    return {level: table(reference[level], [*by, *columns[level]]) for level in columns}


def sort_keys(level: str, by: list[str]) -> list[str]:
    return [*by, *{"items": ["item_code"], "elements": ["element"],
                   "components": ["component"], "overall": []}[level]]


def test_item_mean_matches_loops_over_raw_answers():
    answers = survey_answers()
    # The seeded data has the cases the test is about.
    assert not answers[(answers["unit_id"] == 2) & (answers["item_code"] == "S2")][
        "value"].between(1, 5).any()
    assert answers[(answers["unit_id"] == 3) & (answers["item_code"] == "S5")].empty
    assert (~answers["value"].between(1, 5)).sum() > 10
    by = ["unit_id"]
    result = sipas_indices(answer_counts(answers, by), SURVEY_CATALOGUE, by=by, min_n=1)
    expected = expected_levels(answers, by)
    for level, frame in expected.items():
        actual = getattr(result, level).sort_values(sort_keys(level, by)).reset_index(drop=True)
        assert_frame_equal(actual, frame, obj=level)
    # Unit 2's II.A is the mean over S1 and S3 only (S2 has no valid answer).
    elements = result.elements.set_index(["unit_id", "element"])
    assert elements.loc[(2, "II.A"), "items"] == 2
    # Unit 3's component II averages II.A and II.B (there is no II.C row for unit 3).
    components = result.components.set_index(["unit_id", "component"])
    assert components.loc[(3, "II"), "elements"] == 2


def test_component_and_overall_are_plain_means_of_the_level_below():
    answers = survey_answers()
    result = sipas_indices(answer_counts(answers, ["unit_id"]), SURVEY_CATALOGUE,
                           by=["unit_id"], min_n=1)
    answered = result.elements[result.elements["n"] > 0]
    element_means = answered.groupby(["unit_id", "component"])["index"].mean()
    assert_series_equal(result.components.set_index(["unit_id", "component"])["index"],
                        element_means, check_names=False)
    component_means = result.components.groupby("unit_id")["index"].mean()
    assert_series_equal(result.overall.set_index("unit_id")["index"], component_means,
                        check_names=False)
    item_means = (result.items[result.items["n"] > 0].dropna(subset=["element"])
                  .groupby(["unit_id", "element"])["index"].mean())
    assert_series_equal(result.elements.set_index(["unit_id", "element"])["index"],
                        item_means, check_names=False)


def test_answer_counts_equals_precounted_rows():
    answers = survey_answers()
    by = ["unit_id", "period"]
    from_raw = sipas_indices(answer_counts(answers, by), SURVEY_CATALOGUE, by=by)
    # Pre-counted rows built with a Counter (the shape of the rollup table), listed in a
    # different order than answer_counts would give.
    counter = Counter(zip(answers["unit_id"], answers["period"], answers["item_code"],
                          answers["value"], strict=True))
    precounted = pd.DataFrame(
        [(*key, count) for key, count in sorted(counter.items(), reverse=True)],
        columns=["unit_id", "period", "item_code", "value", "count"])
    from_counts = sipas_indices(precounted, SURVEY_CATALOGUE, by=by)
    for level in ("items", "elements", "components", "overall"):
        assert_frame_equal(getattr(from_raw, level), getattr(from_counts, level), obj=level)
    assert (from_raw.items["n"].sum() + from_raw.items["invalid"].sum()
            + from_raw.items["not_applicable"].sum()) == len(answers)


def test_answer_counts_counts_each_value():
    answers = pd.DataFrame({"unit_id": [1, 1, 1, 2, 1], "item_code": ["A1", "A1", "A2", "A1",
                                                                      "A1"],
                            "value": [5, 5, 3, 5, 9]})
    expected = pd.DataFrame({"unit_id": [1, 1, 1, 2], "item_code": ["A1", "A1", "A2", "A1"],
                             "value": [5, 9, 3, 5], "count": [2, 1, 1, 1]})
    assert_frame_equal(answer_counts(answers, ["unit_id"]), expected)


def test_groups_with_missing_keys_are_kept():
    # Ratings outside any campaign have campaign_id <NA> (surveys.frames.rollup_frame).
    answers = pd.DataFrame({
        "campaign_id": pd.array([7, 7, None, None, None], dtype="Int64"),
        "item_code": ["A1"] * 5, "value": [5, 1, 5, 4, 4]})
    items = sipas_indices(answer_counts(answers, ["campaign_id"]), CATALOGUE,
                          by=["campaign_id"], min_n=1).items
    assert items["campaign_id"].isna().tolist() == [False, True]
    # campaign 7: 1 of 2 → 50; no campaign: 3 of 3 → 100.
    assert items["index"].tolist() == pytest.approx([50.0, 100.0])


# --- intervals --------------------------------------------------------------------------------

@pytest.mark.parametrize("confidence", [0.95, 0.90])
def test_item_intervals_equal_statsmodels_wilson(confidence):
    answers = survey_answers()
    items = sipas_indices(answer_counts(answers, ["unit_id"]), SURVEY_CATALOGUE,
                          by=["unit_id"], min_n=1, confidence=confidence).items
    answered = items[items["n"] > 0]
    assert len(answered) > 20
    low, high = proportion_confint(answered["satisfied"].to_numpy(), answered["n"].to_numpy(),
                                   alpha=1 - confidence, method="wilson")
    np.testing.assert_allclose(answered["ci_low"], 100 * low, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(answered["ci_high"], 100 * high, rtol=1e-10, atol=1e-10)


def test_intervals_at_zero_and_full_satisfaction():
    counts = pd.DataFrame({"item_code": ["A1", "A2"], "value": [1, 5], "count": [12, 12]})
    items = sipas_indices(counts, CATALOGUE).items
    # 0 of 12 and 12 of 12: Wilson keeps the interval inside [0, 100] and not degenerate.
    zero = wilson_percent(0, 12)
    full = wilson_percent(12, 12)
    assert items[["ci_low", "ci_high"]].to_numpy().tolist() == [
        pytest.approx(list(zero), abs=1e-9), pytest.approx(list(full), abs=1e-9)]
    assert zero[1] > 0 and full[0] < 100


def test_parent_interval_uses_mean_of_children_n_eff():
    # Element II.A: A1 9 of 10, A2 20 of 40 → index (90 + 50) / 2 = 70; n_eff (10 + 40) / 2
    # = 25 (not the 50 pooled answers, which would give a narrower interval).
    counts = pd.DataFrame({"item_code": ["A1", "A1", "A2", "A2"], "value": [5, 2, 4, 3],
                           "count": [9, 1, 20, 20]})
    element = sipas_indices(counts, CATALOGUE).elements.iloc[0]
    assert element["n"] == 50
    assert element["n_eff"] == pytest.approx(25.0)
    low, high = wilson_percent(0.7 * 25, 25)
    assert [element["ci_low"], element["ci_high"]] == pytest.approx([low, high])
    narrower = wilson_percent(0.7 * 50, 50)
    assert element["ci_high"] - element["ci_low"] > narrower[1] - narrower[0]


# --- suppression ------------------------------------------------------------------------------

@pytest.mark.parametrize(("n", "suppressed"), [(4, True), (5, False), (6, False)])
def test_min_n_boundary(n, suppressed):
    counts = pd.DataFrame({"item_code": ["A1"], "value": [1], "count": [n]})
    row = sipas_indices(counts, CATALOGUE, min_n=5).items.iloc[0]
    assert bool(row["suppressed"]) is suppressed
    assert row["n"] == n and row["n_1"] == n
    if suppressed:
        # The true index is 0: suppression must give NaN, never a published 0.
        assert np.isnan([row["index"], row["ci_low"], row["ci_high"],
                         row["mean_score"]]).all()
    else:
        assert row["index"] == 0.0
        assert row["mean_score"] == 1.0


def test_suppression_at_every_level_and_parents_use_true_values():
    counts = pd.DataFrame([
        # II.A: A1 4 answers all 5 (true 100, suppressed), A2 10 answers half 5 (50).
        ("A1", 5, 4), ("A2", 5, 5), ("A2", 1, 5),
        # II.B: B1 4 answers, 1 satisfied (true 25): n_eff 4 → element suppressed too.
        ("B1", 4, 1), ("B1", 2, 3),
        # I.A: P1 1 answer → suppressed everywhere up to component I.
        ("P1", 5, 1),
    ], columns=["item_code", "value", "count"])
    result = sipas_indices(counts, CATALOGUE, min_n=5)
    items = result.items.set_index("item_code")
    assert items["suppressed"].to_dict() == {"A1": True, "A2": False, "B1": True, "P1": True}
    assert items.loc["A1", "n"] == 4 and np.isnan(items.loc["A1", "index"])
    elements = result.elements.set_index("element")
    # II.A = (100 + 50) / 2 = 75 from A1's true value; n_eff (4 + 10) / 2 = 7 ≥ 5.
    assert not elements.loc["II.A", "suppressed"]
    assert elements.loc["II.A", "index"] == pytest.approx(75.0)
    assert elements.loc["II.A", "mean_score"] == pytest.approx((5.0 + 3.0) / 2)
    # II.B n_eff 4 < 5: suppressed, n kept.
    assert elements.loc["II.B", "suppressed"] and elements.loc["II.B", "n"] == 4
    assert elements.loc[["II.B", "I.A"], ["index", "ci_low", "ci_high",
                                          "mean_score"]].isna().all().all()
    components = result.components.set_index("component")
    # II = (75 + 25) / 2 = 50 with II.B's true 25; n_eff (7 + 4) / 2 = 5.5 ≥ 5.
    assert not components.loc["II", "suppressed"]
    assert components.loc["II", "index"] == pytest.approx(50.0)
    assert components.loc["II", "n_eff"] == pytest.approx(5.5)
    assert components.loc["I", "suppressed"] and components.loc["I", "n"] == 1
    # Overall = (100 + 50) / 2 = 75 with I's true 100; n_eff (1 + 5.5) / 2 = 3.25 < 5.
    overall = result.overall.iloc[0]
    assert overall["suppressed"] and overall["n"] == 19  # 4 + 10 + 4 + 1
    assert overall["n_eff"] == pytest.approx(3.25)
    assert np.isnan(overall["index"])
    # The same overall published with min_n 3 shows the true 75.
    assert sipas_indices(counts, CATALOGUE, min_n=3).overall["index"].iloc[0] == \
        pytest.approx(75.0)


def test_fractional_n_eff_below_min_n_is_suppressed():
    # A1 4 answers, A2 5 answers → element n_eff 4.5 < 5, although n = 9.
    counts = pd.DataFrame({"item_code": ["A1", "A2"], "value": [5, 5], "count": [4, 5]})
    element = sipas_indices(counts, CATALOGUE, min_n=5).elements.iloc[0]
    assert element["n"] == 9 and element["n_eff"] == pytest.approx(4.5)
    assert element["suppressed"] and np.isnan(element["index"])


def test_only_invalid_answers_give_nan_and_no_parent_figure():
    counts = pd.DataFrame({"item_code": ["B1", "B1"], "value": [0, 9], "count": [7, 8]})
    result = sipas_indices(counts, CATALOGUE, min_n=1)
    item = result.items.iloc[0]
    assert (item["n"], item["invalid"], item["not_applicable"], item["n_eff"]) == (0, 8, 7, 0.0)
    assert item["suppressed"] and np.isnan(item["index"]) and np.isnan(item["mean_score"])
    element = result.elements.iloc[0]
    assert element["items"] == 0 and element["n"] == 0 and element["suppressed"]
    assert np.isnan(element["index"])


# --- periods ----------------------------------------------------------------------------------

DAYS = pd.Series(pd.to_datetime(["2026-01-01", "2026-03-31", "2026-04-01", "2026-06-30",
                                 "2026-07-01", "2025-12-31", None]))


@pytest.mark.parametrize(("freq", "labels"), [
    ("month", ["2026-01", "2026-03", "2026-04", "2026-06", "2026-07", "2025-12", None]),
    ("quarter", ["2026-Q1", "2026-Q1", "2026-Q2", "2026-Q2", "2026-Q3", "2025-Q4", None]),
    ("half", ["2026-H1", "2026-H1", "2026-H1", "2026-H1", "2026-H2", "2025-H2", None]),
    ("year", ["2026", "2026", "2026", "2026", "2026", "2025", None]),
])
def test_period_labels(freq, labels):
    assert_series_equal(period_labels(DAYS, freq), pd.Series(labels, dtype="string"))


def test_period_labels_of_python_dates():
    days = pd.Series([date(2026, 10, 5), date(2024, 2, 29)], dtype="object")
    assert period_labels(days, "quarter").tolist() == ["2026-Q4", "2024-Q1"]


@pytest.mark.parametrize(("label", "expected"), [
    ("2026", ("year", date(2026, 1, 1), date(2026, 12, 31))),
    ("2026-H1", ("half", date(2026, 1, 1), date(2026, 6, 30))),
    ("2026-H2", ("half", date(2026, 7, 1), date(2026, 12, 31))),
    ("2026-Q1", ("quarter", date(2026, 1, 1), date(2026, 3, 31))),
    ("2026-Q4", ("quarter", date(2026, 10, 1), date(2026, 12, 31))),
    ("2026-06", ("month", date(2026, 6, 1), date(2026, 6, 30))),
    ("2026-12", ("month", date(2026, 12, 1), date(2026, 12, 31))),
    ("2024-02", ("month", date(2024, 2, 1), date(2024, 2, 29))),  # leap year
    ("2026-02", ("month", date(2026, 2, 1), date(2026, 2, 28))),
])
def test_parse_period(label, expected):
    assert parse_period(label) == expected


def test_parse_period_round_trips_period_labels():
    for freq in ("month", "quarter", "half", "year"):
        for label in period_labels(DAYS.dropna(), freq):
            found, first, last = parse_period(label)
            assert found == freq
            span = pd.Series(pd.to_datetime([first, last]))
            assert period_labels(span, freq).tolist() == [label, label]


@pytest.mark.parametrize("label", [
    "2026-Q5", "2026-Q0", "2026-H3", "2026-H0", "2026-13", "2026-00", "2026-6", "26", "abc",
    "", "2026-q2", "2026-06-01", "1899", "2026-Q", "2026-W12", " 2026", "2026-Q2 ",
    # Not one of the four forms either, but accepted today (see the report):
    "2026-", "2026-Q02", "2026-H01", "２０２６",
])
def test_parse_period_rejects_bad_labels(label):
    with pytest.raises(ValueError, match="label"):
        parse_period(label)


@pytest.mark.parametrize("label", [None, 2026, date(2026, 1, 1)])
def test_parse_period_rejects_non_text(label):
    with pytest.raises(ValueError, match="label"):
        parse_period(label)


@pytest.mark.parametrize(("label", "previous"), [
    ("2026-Q1", "2025-Q4"), ("2026-Q3", "2026-Q2"),
    ("2026-01", "2025-12"), ("2026-07", "2026-06"), ("2024-03", "2024-02"),
    ("2026-H1", "2025-H2"), ("2026-H2", "2026-H1"),
    ("2026", "2025"),
])
def test_previous_period(label, previous):
    assert previous_period(label) == previous


def test_previous_period_rejects_bad_label():
    with pytest.raises(ValueError, match="label"):
        previous_period("2026-Q9")


# --- organisation tree ------------------------------------------------------------------------

def test_subtree_counts_three_levels():
    # province 1 → departments 10, 20; 10 → desks 11, 12; 20 → desk 21.
    parent = {1: None, 10: 1, 20: 1, 11: 10, 12: 10, 21: 20}
    pairs = []
    for unit in parent:
        ancestor = unit
        while ancestor is not None:
            pairs.append((unit, ancestor))
            ancestor = parent[ancestor]
    ancestry = pd.DataFrame(pairs, columns=["unit_id", "ancestor_id"])
    counts = pd.DataFrame([
        (11, "A1", 5, 3), (11, "A1", 4, 1), (12, "A1", 5, 2), (10, "A1", 5, 1),
        (21, "A1", 5, 4), (21, "A2", 1, 2), (12, "A2", 1, 1),
        (99, "A1", 5, 100),  # unit outside the tree: dropped
    ], columns=["unit_id", "item_code", "value", "count"])
    # By hand, per ancestor and (item, value):
    #   1 : A1/5 3+2+1+4 = 10; A1/4 1; A2/1 2+1 = 3.
    #   10: A1/5 3+2+1 = 6; A1/4 1; A2/1 1.
    #   11: A1/5 3; A1/4 1.   12: A1/5 2; A2/1 1.
    #   20: A1/5 4; A2/1 2.   21: A1/5 4; A2/1 2.
    expected = pd.DataFrame([
        (1, "A1", 4, 1), (1, "A1", 5, 10), (1, "A2", 1, 3),
        (10, "A1", 4, 1), (10, "A1", 5, 6), (10, "A2", 1, 1),
        (11, "A1", 4, 1), (11, "A1", 5, 3),
        (12, "A1", 5, 2), (12, "A2", 1, 1),
        (20, "A1", 5, 4), (20, "A2", 1, 2),
        (21, "A1", 5, 4), (21, "A2", 1, 2),
    ], columns=["unit_id", "item_code", "value", "count"])
    result = subtree_counts(counts, ancestry)
    assert_frame_equal(result.sort_values(["unit_id", "item_code", "value"])
                       .reset_index(drop=True), expected)
    # The province's index uses every answer below it: A1 satisfied 11 of 11.
    items = sipas_indices(result, CATALOGUE, by=["unit_id"], min_n=1).items
    assert items.set_index(["unit_id", "item_code"]).loc[(1, "A1"), "n"] == 11


def test_subtree_counts_other_unit_column_and_subtree_pairs():
    # Only the pairs of department 10's subtree: the province gets nothing.
    ancestry = pd.DataFrame({"unit_id": [10, 11, 11], "ancestor_id": [10, 11, 10]})
    counts = pd.DataFrame({"desk": [11, 11, 21], "value": [5, 4, 5], "count": [2, 1, 7]})
    result = subtree_counts(counts, ancestry, unit_column="desk")
    expected = pd.DataFrame({"desk": [10, 10, 11, 11], "value": [4, 5, 4, 5],
                             "count": [1, 2, 1, 2]})
    assert_frame_equal(result, expected)


# --- comparison between periods ---------------------------------------------------------------

def index_table(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["unit_id", "element", "index", "n_eff", "suppressed"])


def test_compare_periods_matches_proportions_ztest():
    current = index_table([
        (1, "II.A", 80.0, 50.0, False),
        (1, "II.B", 70.0, 30.0, False),
        (2, "II.A", 10.0, 1000.0, True),   # suppressed (index left in on purpose)
        (2, "II.B", 90.0, 100.0, False),
        (3, "II.A", 85.0, 60.0, False),    # no previous row
    ])
    previous = index_table([
        (2, "II.B", 10.0, 1000.0, True),   # suppressed previous
        (2, "II.A", 90.0, 1000.0, False),
        (1, "II.B", 68.0, 25.0, False),
        (1, "II.A", 60.0, 40.0, False),
    ])
    result = compare_periods(current, previous, ["unit_id", "element"])
    # statsmodels on x = index/100 · n_eff: (40 of 50 vs 24 of 40) and (21 of 30 vs 17 of 25).
    z_a, p_a = proportions_ztest(np.array([40.0, 24.0]), np.array([50.0, 40.0]))
    z_b, p_b = proportions_ztest(np.array([21.0, 17.0]), np.array([30.0, 25.0]))
    assert p_a < 0.05 < p_b  # the data covers both outcomes
    nan = np.nan
    expected = pd.DataFrame({
        "unit_id": [1, 1, 2, 2, 3],
        "element": ["II.A", "II.B", "II.A", "II.B", "II.A"],
        "index_current": [80.0, 70.0, nan, 90.0, 85.0],
        "n_eff_current": [50.0, 30.0, 1000.0, 100.0, 60.0],
        "index_previous": [60.0, 68.0, 90.0, nan, nan],
        "n_eff_previous": [40.0, 25.0, 1000.0, 1000.0, nan],
        "change_points": [20.0, 2.0, nan, nan, nan],
        "z": [z_a, z_b, nan, nan, nan],
        "p_value": [p_a, p_b, nan, nan, nan],
        "significant": [True, False, False, False, False],
    })
    assert_frame_equal(result, expected)


def test_compare_periods_of_sipas_tables():
    answers = survey_answers()
    by = ["unit_id", "period"]
    result = sipas_indices(answer_counts(answers, by), SURVEY_CATALOGUE, by=by, min_n=5)
    elements = result.elements
    first = elements[elements["period"] == "2026-H1"].drop(columns="period")
    second = elements[elements["period"] == "2026-H2"].drop(columns="period")
    compared = compare_periods(second, first, ["unit_id", "element"])
    assert len(compared) == len(second)
    merged = second.merge(first, on=["unit_id", "element"], suffixes=("_2", "_1"))
    for row in merged.itertuples():
        got = compared.set_index(["unit_id", "element"]).loc[(row.unit_id, row.element)]
        if row.suppressed_2 or row.suppressed_1:
            assert np.isnan(got["change_points"]) and not got["significant"]
            continue
        _, p_value = proportions_ztest(
            np.array([row.index_2 / 100 * row.n_eff_2, row.index_1 / 100 * row.n_eff_1]),
            np.array([row.n_eff_2, row.n_eff_1]))
        assert got["change_points"] == pytest.approx(row.index_2 - row.index_1)
        assert got["p_value"] == pytest.approx(p_value)
        assert got["significant"] == (p_value < 0.05)
    # Unit 3 has 6 respondents over two halves: its cells are suppressed, never significant.
    unit3 = compared[compared["unit_id"] == 3]
    assert not unit3.empty and not unit3["significant"].any()


def test_compare_periods_alpha():
    current = index_table([(1, "II.A", 80.0, 50.0, False)])
    previous = index_table([(1, "II.A", 60.0, 40.0, False)])
    _, p_value = proportions_ztest(np.array([40.0, 24.0]), np.array([50.0, 40.0]))
    assert 0.01 < p_value < 0.05
    assert compare_periods(current, previous, ["unit_id", "element"])["significant"].iloc[0]
    strict = compare_periods(current, previous, ["unit_id", "element"], alpha=0.01)
    assert not strict["significant"].iloc[0]


# --- ranking and targets ----------------------------------------------------------------------

def units_table() -> pd.DataFrame:
    return pd.DataFrame({
        "unit_id": [2, 1, 4, 3, 5, 6],
        "index": [80.0, 90.0, 95.0, 90.0, np.nan, 84.9],
        "suppressed": [False, False, True, False, False, False],
        "own_target": [75.0, 95.0, 85.0, 85.0, 85.0, 80.0],
    })


def test_rank_units_with_one_target():
    result = rank_units(units_table().drop(columns="own_target"), target=85)
    # Ranked: 1 and 3 tie at 90 (both rank 1, key order), 6 at 84.9 is rank 3, 2 at 80
    # rank 4. Unit 4 is suppressed (its 95 must not rank) and 5 has no figure: both last,
    # unranked, never "below target".
    expected = pd.DataFrame({
        "unit_id": [1, 3, 6, 2, 4, 5],
        "index": [90.0, 90.0, 84.9, 80.0, 95.0, np.nan],
        "suppressed": [False, False, False, False, True, False],
        "target": [85.0] * 6,
        "rank": pd.array([1, 1, 3, 4, None, None], dtype="Int64"),
        "below_target": [False, False, True, True, False, False],
        "gap_points": [0.0, 0.0, 85 - 84.9, 5.0, np.nan, np.nan],
    })
    assert_frame_equal(result, expected)


def test_rank_units_with_each_units_target():
    result = rank_units(units_table(), target="own_target").set_index("unit_id")
    # 1: 90 < 95 → gap 5; 2: 80 ≥ 75 met; 3: 90 ≥ 85 met; 6: 84.9 ≥ 80 met.
    assert result["below_target"].to_dict() == {1: True, 3: False, 6: False, 2: False,
                                                4: False, 5: False}
    assert result.loc[1, "gap_points"] == pytest.approx(5.0)
    assert result.loc[[2, 3, 6], "gap_points"].tolist() == [0.0, 0.0, 0.0]
    assert result["target"].tolist() == [95.0, 85.0, 80.0, 75.0, 85.0, 85.0]
    assert result.index.tolist() == [1, 3, 6, 2, 4, 5]


def test_rank_units_other_key_and_value():
    table = pd.DataFrame({"desk": ["b", "a", "c"], "score": [1.0, 3.0, 2.0],
                          "suppressed": [False, False, False]})
    result = rank_units(table, target=2.5, key="desk", value="score")
    assert result["desk"].tolist() == ["a", "c", "b"]
    assert result["rank"].tolist() == [1, 2, 3]
    assert result["below_target"].tolist() == [False, True, True]


def test_target_gaps():
    frame = pd.DataFrame([
        ("II.A", 1, 80.0, 85.0, "at_least"),      # missed by 5
        ("II.B", 1, 85.0, 85.0, "at_least"),      # exactly on target: met
        ("late", 1, 2.5, 1.0, "at_most"),         # missed by 1.5
        ("late", 2, 1.0, 1.0, "at_most"),         # met
        ("on_time", 2, 97.0, 100.0, "at_least"),  # missed by 3
        ("II.C", 2, np.nan, 85.0, "at_least"),    # suppressed: not judged
        ("late", 3, 0.5, 1.0, "at_most"),         # met
        ("II.D", 3, 90.0, 85.0, "at_least"),      # met
    ], columns=["indicator", "unit_id", "value", "target", "direction"])
    expected = pd.DataFrame([
        ("II.A", 1, 80.0, 85.0, "at_least", 5.0),
        ("on_time", 2, 97.0, 100.0, "at_least", 3.0),
        ("late", 1, 2.5, 1.0, "at_most", 1.5),
    ], columns=["indicator", "unit_id", "value", "target", "direction", "distance"])
    assert_frame_equal(target_gaps(frame), expected)


def test_target_gaps_other_column_names():
    frame = pd.DataFrame({"pct": [70.0, 90.0], "goal": [85.0, 85.0],
                          "way": ["at_least", "at_most"]})
    result = target_gaps(frame, value="pct", target="goal", direction="way")
    # 70 < 85 at least → 15; 90 > 85 at most → 5.
    assert result["distance"].tolist() == [15.0, 5.0]


@pytest.mark.parametrize("direction", ["more", "AT_LEAST", None])
def test_target_gaps_rejects_bad_direction(direction):
    frame = pd.DataFrame({"value": [1.0, 2.0], "target": [1.0, 1.0],
                          "direction": ["at_least", direction]})
    with pytest.raises(ValueError, match="direction"):
        target_gaps(frame)


# --- bad arguments and empty input ------------------------------------------------------------

def bad_call(**overrides):
    arguments = {"counts": hand_counts(), "items": CATALOGUE}
    arguments.update(overrides)
    counts = arguments.pop("counts")
    items = arguments.pop("items")
    return sipas_indices(counts, items, **arguments)


@pytest.mark.parametrize(("overrides", "name"), [
    ({"aggregation": "median"}, "aggregation"),
    ({"aggregation": "weighted"}, "weight"),
    ({"aggregation": "item_mean", "weight": "count"}, "weight"),
    ({"min_n": 0}, "min_n"),
    ({"min_n": -3}, "min_n"),
    ({"min_n": True}, "min_n"),
    ({"min_n": 2.5}, "min_n"),
    ({"min_n": "5"}, "min_n"),
    ({"counts": hand_counts().drop(columns="count")}, "counts"),
    ({"counts": hand_counts().drop(columns="value")}, "counts"),
    ({"by": ["unit_id"]}, "counts"),
    ({"aggregation": "weighted", "weight": "w"}, "counts"),
    ({"counts": hand_counts().assign(w=-1.0), "aggregation": "weighted", "weight": "w"},
     "weight"),
    ({"counts": hand_counts().assign(w=np.nan), "aggregation": "weighted", "weight": "w"},
     "weight"),
    ({"counts": [("A1", 5, 1)]}, "counts"),
    ({"items": CATALOGUE.drop(columns="scale_max")}, "items"),
    ({"items": CATALOGUE.drop(columns="element")}, "items"),
    ({"items": pd.concat([CATALOGUE, CATALOGUE.iloc[:1]], ignore_index=True)}, "items"),
    ({"confidence": 1.5}, "confidence"),
])
def test_sipas_indices_rejects_bad_arguments(overrides, name):
    with pytest.raises(ValueError, match=name):
        bad_call(**overrides)


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match=r"counts.*'count'"):
        bad_call(counts=hand_counts().drop(columns="count"))
    with pytest.raises(ValueError, match=r"items.*'scale_max'"):
        bad_call(items=CATALOGUE.drop(columns="scale_max"))


def test_numpy_integer_min_n_is_accepted():
    assert sipas_indices(hand_counts(), CATALOGUE, min_n=np.int64(7)).min_n == 7


@pytest.mark.parametrize(("call", "name"), [
    (lambda: answer_counts(pd.DataFrame({"item_code": ["A1"]})), "answers"),
    (lambda: period_labels(DAYS, "week"), "freq"),
    (lambda: subtree_counts(pd.DataFrame({"unit_id": [1]}), pd.DataFrame(
        {"unit_id": [1], "ancestor_id": [1]})), "counts"),
    (lambda: subtree_counts(pd.DataFrame({"unit_id": [1], "count": [1]}),
                            pd.DataFrame({"unit_id": [1]})), "ancestry"),
    (lambda: compare_periods(index_table([]), index_table([]), ["unit_id"], alpha=0),
     "alpha"),
    (lambda: compare_periods(index_table([]), index_table([]).drop(columns="n_eff"),
                             ["unit_id"]), "previous"),
    (lambda: compare_periods(index_table([]).drop(columns="suppressed"), index_table([]),
                             ["unit_id"]), "current"),
    (lambda: rank_units(units_table().drop(columns="suppressed"), target=85), "table"),
    (lambda: rank_units(units_table(), target="no_such_column"), "table"),
    (lambda: rank_units(units_table(), target=float("nan")), "target"),
    (lambda: target_gaps(pd.DataFrame({"value": [1.0], "target": [1.0]})), "frame"),
])
def test_other_functions_reject_bad_arguments(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize("by", [[], ["unit_id"]])
@pytest.mark.parametrize("aggregation", ["item_mean", "pooled"])
def test_empty_input_gives_empty_frames_with_the_documented_columns(by, aggregation):
    empty = pd.DataFrame({"unit_id": pd.Series(dtype="int64"),
                          "item_code": pd.Series(dtype="str"),
                          "value": pd.Series(dtype="int64")})
    counts = answer_counts(empty, by)
    assert list(counts.columns) == [*by, "item_code", "value", "count"] and counts.empty
    result = sipas_indices(counts, CATALOGUE, by=by, aggregation=aggregation)
    for level, columns in (("items", ITEM_COLUMNS), ("elements", ELEMENT_COLUMNS),
                           ("components", COMPONENT_COLUMNS), ("overall", OVERALL_COLUMNS)):
        frame = getattr(result, level)
        assert frame.empty, level
        assert list(frame.columns) == [*by, *columns], level


def test_empty_tables_elsewhere():
    empty_days = pd.Series([], dtype="datetime64[ns]")
    assert period_labels(empty_days, "month").empty
    compared = compare_periods(index_table([]), index_table([]), ["unit_id", "element"])
    assert compared.empty
    assert list(compared.columns) == [
        "unit_id", "element", "index_current", "n_eff_current", "index_previous",
        "n_eff_previous", "change_points", "z", "p_value", "significant"]
    ranked = rank_units(units_table().iloc[:0], target=85)
    assert ranked.empty and {"rank", "target", "below_target", "gap_points"} <= set(
        ranked.columns)
    gaps = target_gaps(pd.DataFrame({"value": [], "target": [], "direction": []}))
    assert gaps.empty and "distance" in gaps.columns
