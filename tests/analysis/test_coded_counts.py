"""analysis.coded_counts: packed-key counting gives exactly the long-frame counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import analysis.coded_counts as coded_counts
from analysis.coded_counts import count_coded_answers
from analysis.sipas import answer_counts

ITEMS = ["q9_24", "q9_25", "q9_26"]


def _long_counts(keys: pd.DataFrame, values: np.ndarray, by: list[str]) -> pd.DataFrame:
    """The second method: one row per answer, counted with a pandas groupby
    (analysis.sipas.answer_counts)."""
    long = keys.loc[np.repeat(keys.index, len(ITEMS))].reset_index(drop=True)
    long["item_code"] = np.tile(ITEMS, len(keys))
    long["value"] = values.reshape(-1)
    long = long[long["value"] >= 0]
    return answer_counts(long, by=by)


def _random(rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    keys = pd.DataFrame({
        "unit_id": rng.choice([7, 3, 11], rows),
        "month": pd.to_datetime(rng.choice(["2026-01-01", "2026-02-01"], rows)),
        "quality": rng.choice(["ok", "flagged"], rows)})
    values = rng.integers(1, 6, size=(rows, len(ITEMS))).astype(np.int16)
    values[rng.random(values.shape) < 0.1] = -2  # blanks
    return keys, values


@pytest.mark.parametrize("dense", [True, False])
def test_counts_equal_the_long_frame_groupby(dense, monkeypatch):
    if not dense:  # force the np.unique path
        monkeypatch.setattr(coded_counts, "DENSE_LIMIT", 0)
    keys, values = _random(2_000, seed=1)
    by = ["unit_id", "month", "quality"]
    got = count_coded_answers(keys, values, ITEMS)
    expected = _long_counts(keys, values, by)
    pd.testing.assert_frame_equal(got, expected.astype(got.dtypes.to_dict()),
                                  check_dtype=False)
    assert int(got["count"].sum()) == int((values >= 0).sum())


def test_hand_counted_example():
    # Three responses by hand: unit 1 answers (5, blank) and (5, 4); unit 2 answers (1, 4).
    keys = pd.DataFrame({"unit_id": [1, 2, 1]})
    values = np.array([[5, -2], [1, 4], [5, 4]], dtype=np.int16)
    got = count_coded_answers(keys, values, ["a", "b"])
    assert got.to_dict("records") == [
        {"unit_id": 1, "item_code": "a", "value": 5, "count": 2},
        {"unit_id": 1, "item_code": "b", "value": 4, "count": 1},
        {"unit_id": 2, "item_code": "a", "value": 1, "count": 1},
        {"unit_id": 2, "item_code": "b", "value": 4, "count": 1}]


def test_no_grouping_and_no_answers():
    values = np.array([[3, -2], [3, 2]], dtype=np.int16)
    overall = count_coded_answers(pd.DataFrame(index=range(2)), values, ["a", "b"])
    assert overall.to_dict("records") == [{"item_code": "a", "value": 3, "count": 2},
                                          {"item_code": "b", "value": 2, "count": 1}]
    blank = count_coded_answers(pd.DataFrame({"unit_id": [1]}),
                                np.array([[-2, -2]], dtype=np.int16), ["a", "b"])
    assert blank.empty and list(blank.columns) == ["unit_id", "item_code", "value", "count"]


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError):
        count_coded_answers(pd.DataFrame({"unit_id": [1]}), np.zeros((2, 2)), ["a", "b"])
