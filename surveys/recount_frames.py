"""Answer counts recomputed from the raw responses: what the rollups must equal, and the full
recompute of the indices from scratch (``flask surveys recount-rollups``, the equivalence
checks, bench/bench_recompute.py).

Responses are read in chunks of their rating strings (``surveys.rating_codes``): a few bytes
and six plain columns a row, decoded with numpy and counted by
``analysis.coded_counts.count_coded_answers``; the rare response without a rating string is read
from its JSON answers (``surveys.frames.iter_answer_frames``). Days and months are local
(Vietnam), as in the rollups.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pandas as pd
from sqlalchemy import select

from analysis.coded_counts import count_coded_answers
from analysis.sipas import answer_counts
from core.clock import LOCAL_TZ
from core.extensions import db
from surveys.frames import iter_answer_frames
from surveys.models import Response
from surveys.rating_codes import decode_ratings, version_rated_codes

GROUPS = ("campaign_id", "unit_id", "day", "month", "channel", "quality")
CHUNK_ROWS = 200_000
_COLUMN_OF = ("campaign_id", "unit_id", "channel", "quality")  # read as they are


def raw_answer_counts(group_by: Sequence[str], *, unit_ids: Sequence[int] | None = None,
                      chunk_rows: int = CHUNK_ROWS) -> pd.DataFrame:
    """Every rated answer of every response counted per ``group_by`` ⊆ GROUPS:
    ``[*group_by, item_code, value, count]`` sorted, ``campaign_id`` <NA> outside campaigns.
    Flagged responses are counted too (group by "quality" to tell them apart)."""
    group_by = list(group_by)
    unknown = set(group_by) - set(GROUPS)
    if unknown:
        raise ValueError(f"group_by: unknown columns {sorted(unknown)}")
    parts = list(_coded_counts(group_by, unit_ids, chunk_rows))
    parts += list(_json_counts(group_by, unit_ids, chunk_rows))
    return _summed(parts, group_by)


def _coded_counts(group_by: list[str], unit_ids: Sequence[int] | None,
                  chunk_rows: int) -> Iterator[pd.DataFrame]:
    for chunk in _coded_chunks(group_by, unit_ids, chunk_rows):
        codes = version_rated_codes(chunk["version_id"].unique().tolist())
        for version_id, rows in chunk.groupby("version_id", sort=True):
            values = decode_ratings(rows["ratings"].tolist(), len(codes[version_id]))
            yield count_coded_answers(rows[group_by], values, codes[version_id])


def _coded_chunks(group_by: list[str], unit_ids: Sequence[int] | None,
                  chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Chunks of responses with a rating string: ``[version_id, ratings, *group_by]``."""
    table = Response.__table__.c
    names = ["version_id", "ratings", *(name for name in group_by if name in _COLUMN_OF)]
    timed = bool({"day", "month"} & set(group_by))
    columns = [table[name] for name in names]
    if timed:
        names.append("moment")
        columns.append(table.submitted_at)
    stmt = select(*columns).where(table.ratings.is_not(None)).order_by(table.id)
    if unit_ids is not None:
        stmt = stmt.where(table.unit_id.in_([int(unit) for unit in unit_ids]))
    for rows in _driver_chunks(stmt, chunk_rows):
        chunk = pd.DataFrame(rows, columns=names)
        if "campaign_id" in chunk:  # factorised as a number: 0 stands for "no campaign"
            chunk["campaign_id"] = chunk["campaign_id"].fillna(0).astype("int64")
        if timed:
            _add_local_dates(chunk, group_by)
        yield chunk


def _driver_chunks(stmt, chunk_rows: int) -> Iterator[list[tuple]]:
    """The rows of ``stmt`` as the driver's plain tuples, a chunk at a time, read with the
    driver's own cursor (server-side on PostgreSQL, so memory stays flat): building
    SQLAlchemy rows and handing them to pandas cost more than reading the data. Values come
    back raw: ``submitted_at`` is naive UTC (text on SQLite), parsed in one go later. The
    statement has only integer literals (ids), so it is compiled with them inline."""
    connection = db.session.connection()
    sql = str(stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    driver = connection.connection.dbapi_connection
    if connection.dialect.name == "postgresql":
        cursor = driver.cursor(name="raw_answer_counts")
    else:
        cursor = driver.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(chunk_rows):
            yield rows
    finally:
        cursor.close()


def _add_local_dates(chunk: pd.DataFrame, group_by: list[str]) -> None:
    moments = pd.to_datetime(chunk.pop("moment"), format="ISO8601", utc=True)
    local_days = moments.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None).dt.normalize()
    days = local_days.to_numpy().astype("datetime64[D]")
    if "day" in group_by:
        chunk["day"] = days.astype("datetime64[ns]")
    if "month" in group_by:
        chunk["month"] = days.astype("datetime64[M]").astype("datetime64[ns]")


def _json_counts(group_by: list[str], unit_ids: Sequence[int] | None,
                 chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Responses without a rating string, counted from their JSON answers."""
    for frame in iter_answer_frames(chunk_rows, unit_ids=list(unit_ids) if unit_ids is not None
                                    else None, uncoded_only=True):
        if "month" in group_by:
            frame["month"] = frame["day"].to_numpy().astype("datetime64[M]").astype(
                "datetime64[ns]")
        frame["campaign_id"] = frame["campaign_id"].fillna(0).astype("int64")
        yield answer_counts(frame, by=group_by)


def _summed(parts: list[pd.DataFrame], group_by: list[str]) -> pd.DataFrame:
    keys = [*group_by, "item_code", "value"]
    parts = [part for part in parts if len(part)]
    if not parts:
        frame = pd.DataFrame({key: pd.Series(dtype=object) for key in keys})
        frame["count"] = pd.Series(dtype="int64")
    else:
        frame = pd.concat(parts, ignore_index=True)
        frame = frame.groupby(keys, sort=True, dropna=False)["count"].sum().reset_index()
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    types = {"unit_id": "int64", "channel": "string", "quality": "string",
             "item_code": "string", "value": "int64", "count": "int64"}
    for column in frame.columns:
        if column == "campaign_id":
            campaign = frame[column].astype("Int64")
            frame[column] = campaign.mask(campaign == 0)
        elif column in ("day", "month"):
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
        else:
            frame[column] = frame[column].astype(types[column])
    return frame

