"""surveys.frames: the rollup and the raw answers give the same table."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from core.extensions import db
from surveys.frames import ANSWER_COLUMNS, ROLLUP_COLUMNS, answers_frame, rollup_frame
from surveys.responses import SubmittedResponse, submit_response
from tests.surveys.survey_page_helpers import build_desk


@pytest.fixture
def desk(app, make_unit):
    return build_desk(make_unit)


def _submit(desk, channel, answers, at=None, quality_reasons=()):
    submit_response(SubmittedResponse(
        version=desk.version, unit=desk.desk, channel=channel,
        point=desk.point if channel in ("desk_qr", "kiosk") else None, answers=answers,
        submitted_at=at, quality_reasons=list(quality_reasons)))


def test_empty_database_gives_empty_typed_frames(app):
    rollups, answers = rollup_frame(), answers_frame()
    assert list(rollups.columns) == ROLLUP_COLUMNS and rollups.empty
    assert list(answers.columns) == ANSWER_COLUMNS and answers.empty
    assert str(rollups["campaign_id"].dtype) == "Int64"


def test_rollup_frame_equals_the_recount_from_raw_answers(desk):
    # 17:30 UTC on 24/11 is 00:30 on 25/11 in Vietnam: the day is the local one.
    late = datetime(2026, 11, 24, 17, 30, tzinfo=UTC)
    _submit(desk, "desk_qr", {"q9_24": 4, "q9_25": 5})
    _submit(desk, "kiosk", {"q9_24": 4, "q9_25": 2}, at=late)
    _submit(desk, "online", {"q9_24": 1, "q9_25": 5}, quality_reasons=["too_fast"])
    _submit(desk, "desk_qr", {"q9_24": 4, "q9_25": 5})
    db.session.commit()

    stored = rollup_frame()
    keys = ["campaign_id", "unit_id", "item_code", "day", "channel", "quality", "value"]
    recount = (answers_frame().groupby(keys, dropna=False).size().rename("count")
               .reset_index())
    order = keys
    pd.testing.assert_frame_equal(
        stored.sort_values(order).reset_index(drop=True),
        recount.astype(stored.dtypes.to_dict()).sort_values(order).reset_index(drop=True))
    # Hand count (source: the four submissions above): q9_24 = 4 three times, two of them
    # at the desk on the same day, one flagged online answer of 1.
    q24 = stored[stored["item_code"] == "q9_24"]
    assert q24.loc[(q24["value"] == 4) & (q24["channel"] == "desk_qr"), "count"].tolist() == [2]
    assert q24.loc[q24["quality"] == "flagged", "value"].tolist() == [1]
    assert pd.Timestamp("2026-11-25") in set(stored.loc[stored["channel"] == "kiosk", "day"])


def test_frames_filter_by_unit(desk, make_unit):
    _submit(desk, "desk_qr", {"q9_24": 5, "q9_25": 5})
    db.session.commit()
    assert len(rollup_frame(unit_ids=[desk.desk.id])) == 2
    assert rollup_frame(unit_ids=[desk.agency.id]).empty
    assert answers_frame(unit_ids=[desk.agency.id]).empty
