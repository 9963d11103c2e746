"""The SIPAS figures read from the rollup tables equal those recomputed from the raw answers
(issue #6, goal 3), on 3,000 synthetic desk ratings (bench/synthetic.py: 9 desks under 3
departments of a province, two years, four campaign waves, ~2% flagged, ~3% blanks).

Two independent paths meet here:
- rollup: raw rows → ``recount_rollups`` (daily table) → ``refresh_month_rollups(full=True)``
  (month table) → ``surveys.frames.month_rollup_counts`` (summed in SQL);
- raw: raw rows → ``surveys.frames.answers_frame`` (long answers) → ``analysis.sipas.
  answer_counts`` (pandas);
and both go through ``analysis.sipas.sipas_indices``. A third path, the generator's own numpy
arrays, checks the daily and month tables row for row and one item index by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import insert, select

from analysis.periods import period_labels
from analysis.sipas import answer_counts, sipas_indices, subtree_counts
from bench.synthetic import (
    ITEMS,
    QUALITIES,
    SyntheticSurvey,
    create_campaigns,
    create_units,
    default_waves,
    load_desk_form,
    rollup_counts,
    unit_tree,
)
from core.extensions import db
from surveys.frames import answers_frame, item_catalogue, month_rollup_counts, rollup_frame
from surveys.models import Response, RollupMonthCount
from surveys.month_rollups import refresh_month_rollups
from surveys.rating_codes import version_rated_codes
from surveys.rollups import recount_rollups

RESPONSES = 3_000
LEVELS = ("items", "elements", "components", "overall")


@pytest.fixture
def generated(app):
    """3,000 responses bulk-inserted, then both rollup tables rebuilt from them."""
    tree = create_units(unit_tree(13))  # 1 province, 3 departments, 9 desks
    version_id = load_desk_form()
    waves = create_campaigns(default_waves(), tree.root, version_id, tree)
    db.session.commit()
    survey = SyntheticSurvey(RESPONSES, tree, seed=11, waves=waves)
    raw = survey.chunk(0, RESPONSES)
    codes = version_rated_codes([version_id])[version_id]
    db.session.execute(insert(Response.__table__),
                       survey.response_rows(raw, version_id, codes))
    recount_rollups()
    refresh_month_rollups(full=True)
    db.session.commit()
    return survey, tree, raw


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def _raw_answers() -> pd.DataFrame:
    """Raw long answers with the calendar month of their (local) day."""
    answers = answers_frame()
    answers["month"] = answers["day"].to_numpy().astype("datetime64[M]").astype(
        "datetime64[ns]")
    return answers


def _assert_same_indices(from_rollup, from_raw) -> None:
    for level in LEVELS:
        pd.testing.assert_frame_equal(getattr(from_rollup, level), getattr(from_raw, level),
                                      obj=level)


def test_rollup_tables_equal_the_generators_own_counts(generated):
    survey, _tree, raw = generated
    expected_days = rollup_counts(raw, survey.start, by_month=False)
    key = expected_days.pop("campaign_key")
    expected_days.insert(0, "campaign_id", key.mask(key == 0).astype("Int64"))
    stored_days = rollup_frame()
    expected_days = expected_days.astype(stored_days.dtypes.to_dict())
    pd.testing.assert_frame_equal(_sorted(stored_days), _sorted(expected_days))

    table = RollupMonthCount.__table__.c
    columns = ["campaign_key", "unit_id", "item_code", "month", "channel", "quality", "value",
               "count"]
    stored_months = pd.DataFrame(db.session.execute(select(*(table[c] for c in columns))).all(),
                                 columns=columns)
    stored_months["month"] = pd.to_datetime(stored_months["month"]).astype("datetime64[ns]")
    expected_months = rollup_counts(raw, survey.start, by_month=True)
    expected_months = expected_months.astype(stored_months.dtypes.to_dict())
    pd.testing.assert_frame_equal(_sorted(stored_months), _sorted(expected_months))
    # Every non-blank answer is counted once in each table (numpy count of the raw arrays).
    answered = int((raw.answers > 0).sum())
    assert int(stored_days["count"].sum()) == answered == int(stored_months["count"].sum())
    assert answered == pytest.approx(RESPONSES * len(ITEMS) * 0.97, rel=0.02)


@pytest.mark.parametrize(("group_by", "include_flagged", "aggregation"), [
    (["unit_id", "month"], False, "item_mean"),
    (["unit_id", "month"], True, "pooled"),
    (["campaign_id"], False, "item_mean"),
    (["channel", "quality"], True, "item_mean"),
    ([], False, "pooled"),
])
def test_indices_from_month_rollups_equal_the_raw_recompute(generated, group_by,
                                                            include_flagged, aggregation):
    items = item_catalogue()
    from_rollup = sipas_indices(
        month_rollup_counts(group_by=group_by, include_flagged=include_flagged), items,
        by=group_by, aggregation=aggregation)
    answers = _raw_answers()
    if not include_flagged:
        answers = answers[answers["quality"] == "ok"]
    from_raw = sipas_indices(answer_counts(answers, by=group_by), items, by=group_by,
                             aggregation=aggregation)
    _assert_same_indices(from_rollup, from_raw)
    assert from_raw.overall["n"].sum() > 0


def test_subtree_quarter_indices_from_month_rollups_equal_the_raw_recompute(generated):
    """The dashboards' shape: every unit with its whole subtree, by quarter."""
    _survey, tree, _raw = generated
    items = item_catalogue()
    ancestry = tree.ancestry()

    def by_quarter(counts: pd.DataFrame) -> pd.DataFrame:
        rolled = subtree_counts(counts, ancestry)
        rolled["period"] = period_labels(rolled.pop("month"), "quarter")
        return rolled.groupby(["unit_id", "period", "item_code", "value"], sort=True)[
            "count"].sum().reset_index()

    rollup_side = by_quarter(month_rollup_counts(group_by=["unit_id", "month"],
                                                 include_flagged=False))
    answers = _raw_answers()
    raw_side = by_quarter(answer_counts(answers[answers["quality"] == "ok"],
                                        by=["unit_id", "month"]))
    from_rollup = sipas_indices(rollup_side, items, by=["unit_id", "period"])
    from_raw = sipas_indices(raw_side, items, by=["unit_id", "period"])
    _assert_same_indices(from_rollup, from_raw)
    # Every unit of the tree has a row; November 2024 – October 2026 touches 9 quarters
    # (2024-Q4 … 2026-Q4).
    assert set(from_raw.overall["unit_id"]) == set(tree.ids.tolist())
    assert from_raw.overall["period"].nunique() == 9


def test_one_item_index_by_hand_from_the_generators_arrays(generated):
    """q9_24 over every ok response, straight from the numpy arrays: 100 × answers 4–5 /
    answers 1–5 (DOMAIN.md §2.2), against the month rollup path."""
    _survey, _tree, raw = generated
    ok = raw.quality == QUALITIES.index("ok")
    q24 = raw.answers[ITEMS.index("q9_24")][ok]
    valid = q24[q24 > 0]
    expected = 100 * np.count_nonzero(valid >= 4) / valid.size
    indices = sipas_indices(month_rollup_counts(group_by=[], include_flagged=False),
                            item_catalogue())
    row = indices.items.set_index("item_code").loc["q9_24"]
    assert row["n"] == valid.size
    assert row["index"] == pytest.approx(expected, rel=1e-12)


def test_counts_of_chunks_add_up_to_the_counts_of_the_whole():
    """The chunked recompute (bench_recompute.py) sums per-chunk counts: counts are
    additive, so chunking must not change a single figure."""
    survey = SyntheticSurvey(RESPONSES, unit_tree(13), seed=11)
    raw = survey.chunk(0, RESPONSES)
    whole = answer_counts(_long(survey, raw), by=["unit_id", "quality"])
    parts = [answer_counts(_long(survey, survey.chunk(low, min(RESPONSES, low + 700))),
                           by=["unit_id", "quality"]) for low in range(0, RESPONSES, 700)]
    summed = (pd.concat(parts).groupby(["unit_id", "quality", "item_code", "value"],
                                       sort=True, observed=True)["count"].sum().reset_index())
    pd.testing.assert_frame_equal(summed, whole)


def _long(survey: SyntheticSurvey, raw) -> pd.DataFrame:
    wide = survey.wide_frame(raw)
    long = wide.melt(id_vars=["unit_id", "quality"], value_vars=list(ITEMS),
                     var_name="item_code", value_name="value").dropna(subset=["value"])
    return long.astype({"value": "int64", "quality": "string"})
