"""The one bridge from survey tables to pandas. ``analysis/`` receives these frames and never
touches the database; nothing else in the product turns survey rows into DataFrames.

Two shapes:
- ``rollup_frame``: the rollup counts (what dashboards read), one row per
  campaign × unit × item × day × channel × quality × value with its count;
- ``answers_frame``: raw answers in long form, one row per response × rated item, for the full
  recompute and for statistics that need respondents (reliability, correlations).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pandas as pd
from sqlalchemy import select

from core.clock import local
from core.extensions import db
from surveys.models import Response, RollupCount
from surveys.rollups import NO_CAMPAIGN

ROLLUP_COLUMNS = ["campaign_id", "unit_id", "item_code", "day", "channel", "quality", "value",
                  "count"]
ANSWER_COLUMNS = ["response_id", "campaign_id", "unit_id", "day", "channel", "quality",
                  "item_code", "value"]
_DTYPES = {"campaign_id": "Int64", "unit_id": "int64", "item_code": "string",
           "channel": "string", "quality": "string", "value": "int64", "count": "int64",
           "response_id": "int64"}


def _typed(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    frame = frame.reindex(columns=columns)
    for column in columns:
        if column == "day":
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
        else:
            frame[column] = frame[column].astype(_DTYPES[column])
    return frame


def rollup_frame(*, unit_ids: list[int] | None = None, since: date | None = None,
                 until: date | None = None) -> pd.DataFrame:
    """Rollup counts as a DataFrame (campaign_id <NA> for ratings outside any campaign)."""
    stmt = select(*(getattr(RollupCount, c) for c in
                    ("campaign_key", "unit_id", "item_code", "day", "channel", "quality",
                     "value", "count")))
    if unit_ids is not None:
        stmt = stmt.where(RollupCount.unit_id.in_(unit_ids))
    if since is not None:
        stmt = stmt.where(RollupCount.day >= since)
    if until is not None:
        stmt = stmt.where(RollupCount.day <= until)
    rows = db.session.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=["campaign_key", *ROLLUP_COLUMNS[1:]])
    key = frame.pop("campaign_key")
    frame["campaign_id"] = key.mask(key == NO_CAMPAIGN)
    return _typed(frame, ROLLUP_COLUMNS)


def iter_answer_frames(chunk_rows: int = 50_000, *, unit_ids: list[int] | None = None
                       ) -> Iterator[pd.DataFrame]:
    """Raw rated answers in long form, in chunks of about ``chunk_rows`` responses, so a
    recompute over millions of responses never holds them all in memory."""
    stmt = select(Response.id, Response.campaign_id, Response.unit_id, Response.submitted_at,
                  Response.channel, Response.quality, Response.answers).order_by(Response.id)
    if unit_ids is not None:
        stmt = stmt.where(Response.unit_id.in_(unit_ids))
    result = db.session.execute(stmt.execution_options(yield_per=chunk_rows))
    for partition in result.partitions():
        records = [
            (rid, campaign, unit, local(at).date(), channel, quality, code, value)
            for rid, campaign, unit, at, channel, quality, answers in partition
            for code, value in answers.items()
            if isinstance(value, int) and not isinstance(value, bool)
        ]
        yield _typed(pd.DataFrame(records, columns=ANSWER_COLUMNS), ANSWER_COLUMNS)


def answers_frame(*, unit_ids: list[int] | None = None) -> pd.DataFrame:
    frames = list(iter_answer_frames(unit_ids=unit_ids))
    if not frames:
        return _typed(pd.DataFrame(columns=ANSWER_COLUMNS), ANSWER_COLUMNS)
    return pd.concat(frames, ignore_index=True)
