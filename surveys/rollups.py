"""Rollup counts (campaign × unit × item × day × channel × quality × value → count) and
response counts (campaign × unit × day × channel × quality → responses).

``submit_response`` increments both in the response's own transaction with an upsert, so
dashboards read counts instead of millions of rows; ``recount_rollups`` rebuilds them from the
raw responses (a job), and ``rollup_differences`` / ``response_count_differences`` are the
checks that both agree. Sample sizes come from the response counts, never from answer counts:
items may be left blank or answered "not applicable".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date, cast, delete, func, insert, literal_column, select, text

from core.clock import LOCAL_TZ, now
from core.extensions import db
from surveys.models import NO_CAMPAIGN, Response, RollupCount, RollupDayResponses
from surveys.recount_frames import raw_answer_counts

RollupKey = tuple[int, int, str, date, str, str, int]
KEY_COLUMNS = ("campaign_key", "unit_id", "item_code", "day", "channel", "quality", "value")
ResponseKey = tuple[int, int, date, str, str]
RESPONSE_KEY_COLUMNS = ("campaign_key", "unit_id", "day", "channel", "quality")
_CHUNK = 5000


@dataclass(frozen=True)
class RollupDifference:
    key: RollupKey
    stored: int
    recounted: int


def rollup_rows(campaign_id: int | None, unit_id: int, day: date, channel: str, quality: str,
                answers: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per rated answer (a whole number); choice lists and text are not counted."""
    campaign_key = campaign_id or NO_CAMPAIGN
    return [
        {"campaign_key": campaign_key, "unit_id": unit_id, "item_code": code, "day": day,
         "channel": channel, "quality": quality, "value": value, "count": 1}
        for code, value in answers.items()
        if isinstance(value, int) and not isinstance(value, bool)
    ]


def _dialect_insert():
    """The dialect's INSERT with ON CONFLICT (the one dialect switch of this module)."""
    name = db.session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported (DESIGN.md §3)
        raise RuntimeError(f"no rollup upsert for the {name} dialect")
    return dialect_insert


def increment_rollups(rows: list[dict[str, Any]]) -> None:
    """count + 1 for each row's key, inserting the row when it is new, in the caller's
    transaction. Rows go in key order so two concurrent responses lock the same rows in the
    same order on PostgreSQL (no deadlock). PostgreSQL gets them as arrays in one statement
    (one execution instead of one per answer: about half the time per response); SQLite, in
    process, as one upsert per row."""
    if not rows:
        return
    ordered = sorted(rows, key=lambda row: tuple(row[name] for name in KEY_COLUMNS))
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_ARRAY_UPSERT, {
            name: [row[name] for row in ordered] for name in KEY_COLUMNS})
        return
    table = RollupCount.__table__
    stmt = _dialect_insert()(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[column.name for column in table.primary_key.columns],
        set_={"count": table.c.count + 1},
    )
    db.session.execute(stmt, ordered)


# The rows of one response as parallel arrays, unnested in their (key) order.
_ARRAY_UPSERT = text("""
INSERT INTO survey_rollup_counts
    (campaign_key, unit_id, item_code, day, channel, quality, value, count)
SELECT campaign_key, unit_id, item_code, day, channel, quality, value, 1
FROM unnest(CAST(:campaign_key AS integer[]), CAST(:unit_id AS integer[]),
            CAST(:item_code AS varchar[]), CAST(:day AS date[]), CAST(:channel AS varchar[]),
            CAST(:quality AS varchar[]), CAST(:value AS smallint[]))
     WITH ORDINALITY AS answer(campaign_key, unit_id, item_code, day, channel, quality, value,
                               position)
ORDER BY position
ON CONFLICT (campaign_key, unit_id, item_code, day, channel, quality, value)
DO UPDATE SET count = survey_rollup_counts.count + 1
""")


def increment_response_count(campaign_id: int | None, unit_id: int, day: date, channel: str,
                             quality: str) -> None:
    """responses + 1 for the response's key (a new row when it is new), in the caller's
    transaction."""
    table = RollupDayResponses.__table__
    stmt = _dialect_insert()(table).values(
        campaign_key=campaign_id or NO_CAMPAIGN, unit_id=unit_id, day=day, channel=channel,
        quality=quality, responses=1)
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=list(RESPONSE_KEY_COLUMNS),
        set_={"responses": table.c.responses + 1}))


def _local_day(column):
    """The Vietnam calendar day of a stored (naive UTC) moment, in SQL. Vietnam keeps one
    offset all year (UTC+7, no daylight saving), so a fixed shift is exact."""
    offset = LOCAL_TZ.utcoffset(now().replace(tzinfo=None))
    assert offset is not None
    hours = int(offset.total_seconds() // 3600)
    if db.session.get_bind().dialect.name == "sqlite":
        return func.date(column, f"{hours:+d} hours")
    return cast(column + literal_column(f"interval '{hours} hours'"), Date)


def recount_responses_from_raw() -> Counter[ResponseKey]:
    """Responses per key, counted from the response rows in one grouped query."""
    table = Response.__table__.c
    day = _local_day(table.submitted_at).label("day")
    keys = (func.coalesce(table.campaign_id, NO_CAMPAIGN), table.unit_id, day, table.channel,
            table.quality)
    counted: Counter[ResponseKey] = Counter()
    for campaign, unit, local_day, channel, quality, count in db.session.execute(
            select(*keys, func.count()).group_by(*keys)):
        when = local_day if isinstance(local_day, date) else date.fromisoformat(local_day)
        counted[(int(campaign), int(unit), when, channel, quality)] += int(count)
    return counted


def stored_response_counts() -> Counter[ResponseKey]:
    columns = [getattr(RollupDayResponses, name) for name in RESPONSE_KEY_COLUMNS]
    return Counter({tuple(row[:-1]): row[-1] for row in db.session.execute(
        select(*columns, RollupDayResponses.responses)) if row[-1]})


def response_count_differences() -> list[tuple[ResponseKey, int, int]]:
    """(key, stored, recounted) wherever the response counts disagree with the responses."""
    stored, recounted = stored_response_counts(), recount_responses_from_raw()
    return [(key, stored.get(key, 0), recounted.get(key, 0))
            for key in sorted(set(stored) | set(recounted))
            if stored.get(key, 0) != recounted.get(key, 0)]


def _recount_responses() -> None:
    db.session.execute(delete(RollupDayResponses))
    rows = [dict(zip(RESPONSE_KEY_COLUMNS, key, strict=True), responses=count)
            for key, count in sorted(recount_responses_from_raw().items())]
    for chunk in _chunks(rows, _CHUNK):
        db.session.execute(insert(RollupDayResponses.__table__), chunk)


def recount_from_raw() -> Counter[RollupKey]:
    """The rollup as the raw responses say it should be (read in chunks, counted with numpy:
    ``surveys.recount_frames``)."""
    counts = raw_answer_counts(["campaign_id", "unit_id", "day", "channel", "quality"])
    campaigns = counts["campaign_id"].fillna(NO_CAMPAIGN).astype("int64").tolist()
    days = [moment.date() for moment in counts["day"].dt.to_pydatetime()]
    return Counter({
        (campaign, unit, code, day, channel, quality, value): count
        for campaign, unit, code, day, channel, quality, value, count in zip(
            campaigns, counts["unit_id"].tolist(), counts["item_code"].tolist(), days,
            counts["channel"].tolist(), counts["quality"].tolist(), counts["value"].tolist(),
            counts["count"].tolist(), strict=True)})


def stored_rollups() -> Counter[RollupKey]:
    columns = [getattr(RollupCount, name) for name in KEY_COLUMNS]
    stmt = select(*columns, RollupCount.count)
    return Counter({tuple(row[:-1]): row[-1] for row in db.session.execute(stmt)
                    if row[-1]})


def recount_rollups() -> int:
    """Replace the whole rollup and the response counts with a recount from raw rows; return
    the number of rollup rows. Flushes only: the caller commits (one transaction, so readers
    never see it half-done)."""
    counts = recount_from_raw()
    db.session.execute(delete(RollupCount))
    rows = [dict(zip(KEY_COLUMNS, key, strict=True), count=count)
            for key, count in sorted(counts.items())]
    for chunk in _chunks(rows, _CHUNK):
        db.session.execute(insert(RollupCount.__table__), chunk)
    _recount_responses()
    db.session.flush()
    return len(rows)


def rollup_differences() -> list[RollupDifference]:
    """Every key where the stored count differs from a recount (empty when they agree)."""
    stored, recounted = stored_rollups(), recount_from_raw()
    return [RollupDifference(key, stored.get(key, 0), recounted.get(key, 0))
            for key in sorted(set(stored) | set(recounted))
            if stored.get(key, 0) != recounted.get(key, 0)]


def rollup_matches_raw() -> bool:
    return not rollup_differences() and not response_count_differences()


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]
