"""Rating strings: what a response stores beside its JSON answers, and the recompute that reads
them (surveys.rating_codes, surveys.recount_frames, migration 0006's backfill)."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext

from core.extensions import db
from surveys.frames import answers_frame
from surveys.models import Response
from surveys.rating_codes import decode_ratings, encode_ratings, rated_codes, version_rated_codes
from surveys.recount_frames import raw_answer_counts
from surveys.responses import SubmittedResponse, submit_response
from surveys.rollups import recount_from_raw, stored_rollups
from tests.surveys.survey_page_helpers import build_desk

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def desk(app, make_unit):
    return build_desk(make_unit)


def _submit(desk, channel, answers, at=None, reasons=()):
    return submit_response(SubmittedResponse(
        version=desk.version, unit=desk.desk, channel=channel,
        point=desk.point if channel == "desk_qr" else None, answers=answers,
        submitted_at=at, quality_reasons=list(reasons)))


def test_encoding_round_trip_and_what_does_not_fit():
    codes = ("a", "b", "c")
    assert encode_ratings(codes, {"a": 5, "c": 0}) == "5.0"
    assert encode_ratings(codes, {}) == "..."
    assert encode_ratings(codes, {"a": 74}) == "z.."
    assert encode_ratings(codes, {"a": 75}) is None        # beyond "z": JSON is read instead
    assert encode_ratings(codes, {"a": -1}) is None
    assert encode_ratings(codes, {"x": 3}) is None         # not a rated position
    assert encode_ratings(codes, {"a": 2, "m": [1, 2]}) == "2.."  # choice lists are not rated
    matrix = decode_ratings(["5.0", "123", "..."], 3)
    assert matrix.tolist() == [[5, -2, 0], [1, 2, 3], [-2, -2, -2]]
    with pytest.raises(ValueError):
        decode_ratings(["12", "123"], 3)


def test_a_submitted_response_stores_its_rating_string(desk):
    codes = rated_codes(desk.version.items)
    assert codes == ("overall", "q8_1", "q9_24", "q9_25")  # rated, not demographic, sorted
    response = _submit(desk, "online", {"q9_24": 4, "q9_25": 2, "q8_1": 1})
    db.session.commit()
    assert version_rated_codes([desk.version.id]) == {desk.version.id: codes}
    assert response.ratings == ".142"


def _mixed_responses(desk):
    late = datetime(2026, 11, 24, 17, 30, tzinfo=UTC)  # 00:30 on 25/11 in Vietnam
    _submit(desk, "desk_qr", {"q9_24": 4, "q9_25": 5})
    _submit(desk, "online", {"q9_24": 4, "q9_25": 2, "overall": 3}, at=late)
    _submit(desk, "online", {"q9_24": 1, "q9_25": 1}, reasons=["too_fast"])
    uncoded = _submit(desk, "desk_qr", {"q9_24": 3, "q9_25": 5, "q8_1": 2})
    db.session.flush()
    # A response without a rating string (as if its value had not fit): read from its JSON.
    db.session.execute(sa.update(Response).where(Response.id == uncoded.id).values(ratings=None))
    db.session.commit()
    return uncoded


def test_raw_counts_equal_the_long_json_frame_and_the_rollup(desk):
    _mixed_responses(desk)
    by = ["campaign_id", "unit_id", "day", "channel", "quality"]
    got = raw_answer_counts(by, chunk_rows=2)  # several chunks
    keys = [*by, "item_code", "value"]
    # Second method: the JSON answers in long form, counted with a groupby.
    expected = answers_frame().groupby(keys, dropna=False).size().rename("count").reset_index()
    pd.testing.assert_frame_equal(got, expected.astype(got.dtypes.to_dict()))
    # Hand count: q9_24 = 4 twice, once at the desk and once online on the local 25/11.
    first = got[got["item_code"] == "q9_24"]
    assert first.loc[first["value"] == 4, "count"].sum() == 2
    assert pd.Timestamp("2026-11-25") in set(first.loc[first["value"] == 4, "day"])
    assert first.loc[first["quality"] == "flagged", "value"].tolist() == [1]
    # The response without a rating string is counted from JSON (its yes/no answer too).
    assert got.loc[got["item_code"] == "q8_1", ["value", "count"]].values.tolist() == [[2, 1]]
    # And the rollup written at submission time equals the recount.
    assert recount_from_raw() == stored_rollups()


def test_raw_counts_by_month_and_unit_filter(desk, make_unit):
    _mixed_responses(desk)
    by_month = raw_answer_counts(["month", "quality"])
    assert set(by_month["month"].dt.day) == {1}
    assert int(by_month["count"].sum()) == 10  # 2 + 3 + 2 + 3 answers
    other = make_unit("OTHER", kind="desk", name_vi="Quầy khác")
    assert raw_answer_counts(["unit_id"], unit_ids=[other.id]).empty
    assert int(raw_answer_counts([], unit_ids=[desk.desk.id])["count"].sum()) == 10


def test_unknown_grouping_is_refused(app):
    with pytest.raises(ValueError):
        raw_answer_counts(["answers"])


def test_migration_backfills_existing_responses(desk):
    codes = rated_codes(desk.version.items)
    kept = _submit(desk, "online", {"overall": 5, "q9_24": 1, "q9_25": 2})
    db.session.commit()
    expected = kept.ratings
    db.session.execute(sa.update(Response).values(ratings=None))
    db.session.commit()
    spec = importlib.util.spec_from_file_location(
        "migration_0006", ROOT / "migrations" / "versions" / "0006_response_ratings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with db.engine.begin() as connection, \
            Operations.context(MigrationContext.configure(connection)):
        module._backfill()
    db.session.expire_all()
    assert db.session.get(Response, kept.id).ratings == expected
    assert expected == "5.12"
    assert np.array_equal(decode_ratings([expected], len(codes))[0], [5, -2, 1, 2])
