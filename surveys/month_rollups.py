"""The month rollup: the daily rollup summed by calendar month, what dashboards read.

With ten million responses the daily table holds tens of millions of rows; a dashboard that
groups them on every view cannot answer in a second. The month table is the same counts with
the day replaced by its month (about 30 times fewer rows), rebuilt month by month:

- ``refresh_month_rollups()`` rebuilds the months of every response newer than the watermark
  (the highest response id known to be in the month table), from the daily rows, in the
  caller's transaction. It runs as a periodic job every minute and, when only a few responses
  are new, on read (``ensure_fresh_month_rollups``), so small installs always see live figures.
- The watermark only passes responses older than ``SETTLE_SECONDS``: on PostgreSQL a response
  with a smaller id can commit after one with a larger id, and must not be skipped.
- ``refresh_month_rollups(full=True)`` rebuilds everything (after ``recount_rollups``).

The daily rows, not the raw responses, are the source, so both tables always agree with each
other (a test checks month = sum of days, and days = raw responses).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, delete, func, insert, literal, select

from core.clock import local, now
from core.db import write_intent
from core.extensions import db
from core.replica import primary_reads
from surveys.models import (
    QUALITY_OK,
    Response,
    RollupCount,
    RollupDayResponses,
    RollupMonthCount,
    RollupMonthResponses,
    RollupMonthState,
    RollupMonthSummary,
)

SETTLE_SECONDS = 30
ON_READ_LIMIT = 20_000  # at most this many new responses are folded in on a dashboard view
_STATE_ID = 1
_GROUP_COLUMNS = ("campaign_key", "unit_id", "item_code", "channel", "quality", "value")


@dataclass(frozen=True)
class MonthRefresh:
    months: list[date]
    watermark: int
    refreshed_at: datetime | None


def month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _state(lock: bool = False) -> RollupMonthState:
    stmt = select(RollupMonthState).where(RollupMonthState.id == _STATE_ID)
    if lock and db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    state = db.session.execute(stmt).scalar_one_or_none()
    if state is None:
        state = RollupMonthState(id=_STATE_ID, watermark_response_id=0)
        db.session.add(state)
        db.session.flush()
    return state


def month_rollup_state() -> MonthRefresh:
    """Watermark and time of the last refresh (read only)."""
    state = db.session.get(RollupMonthState, _STATE_ID)
    if state is None:
        return MonthRefresh([], 0, None)
    return MonthRefresh([], state.watermark_response_id, state.refreshed_at)


def pending_responses() -> int:
    """Responses newer than the watermark (not yet, or not surely, in the month table)."""
    state = db.session.get(RollupMonthState, _STATE_ID)
    watermark = state.watermark_response_id if state else 0
    return db.session.execute(
        select(func.count()).select_from(Response).where(Response.id > watermark)).scalar_one()


def _rebuild_month(month: date) -> None:
    """Replace one month's rows with the sum of its daily rows, and its summary rows."""
    end = _next_month(month)
    db.session.execute(delete(RollupMonthCount).where(RollupMonthCount.month == month))
    daily = RollupCount.__table__.c
    source = (
        select(*(daily[name] for name in _GROUP_COLUMNS[:3]),
               literal(month, type_=RollupMonthCount.__table__.c.month.type).label("month"),
               *(daily[name] for name in _GROUP_COLUMNS[3:]),
               func.sum(daily.count).label("count"))
        .where(daily.day >= month, daily.day < end)
        .group_by(*(daily[name] for name in _GROUP_COLUMNS))
    )
    target = RollupMonthCount.__table__
    columns = [target.c[name] for name in (*_GROUP_COLUMNS[:3], "month", *_GROUP_COLUMNS[3:],
                                           "count")]
    db.session.execute(insert(target).from_select(columns, source))
    rebuild_month_summary(month)


def rebuild_month_summary(month: date | None = None) -> None:
    """The summary and response-count rows of ``month`` (every month when None) from the month
    table."""
    summary = RollupMonthSummary.__table__
    months = RollupMonthCount.__table__.c
    remove = delete(RollupMonthSummary)
    source = (select(months.month, months.campaign_key, months.unit_id, months.item_code,
                     months.value,
                     func.sum(case((months.quality == QUALITY_OK, months["count"]), else_=0)),
                     func.sum(months["count"]))
              .group_by(months.month, months.campaign_key, months.unit_id, months.item_code,
                        months.value))
    if month is not None:
        remove = remove.where(RollupMonthSummary.month == month)
        source = source.where(months.month == month)
    db.session.execute(remove)
    db.session.execute(insert(summary).from_select(
        [summary.c[name] for name in ("month", "campaign_key", "unit_id", "item_code", "value",
                                      "count_ok", "count_all")], source))
    _rebuild_month_responses(month)


def _rebuild_month_responses(month: date | None) -> None:
    """Responses per month × campaign × unit × channel × quality: the daily response counts
    (one per response, ``surveys.rollups``) summed by month, never estimated from answers."""
    daily = RollupDayResponses.__table__.c
    target = RollupMonthResponses.__table__
    remove = delete(RollupMonthResponses)
    months = [month] if month is not None else _response_months()
    if month is not None:
        remove = remove.where(RollupMonthResponses.month == month)
    db.session.execute(remove)
    keys = (daily.campaign_key, daily.unit_id, daily.channel, daily.quality)
    for first in months:
        source = (select(literal(first, type_=target.c.month.type).label("month"), *keys,
                         func.sum(daily.responses))
                  .where(daily.day >= first, daily.day < _next_month(first)).group_by(*keys))
        db.session.execute(insert(target).from_select(
            [target.c[name] for name in ("month", "campaign_key", "unit_id", "channel",
                                         "quality", "responses")], source))


def _response_months() -> list[date]:
    first, last = db.session.execute(
        select(func.min(RollupDayResponses.day), func.max(RollupDayResponses.day))).one()
    return _months_between(first, last) if first is not None else []


def _months_between(first: date, last: date) -> list[date]:
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = _next_month(month)
    return months


def refresh_month_rollups(*, full: bool = False) -> MonthRefresh:
    """Rebuild the months touched by responses newer than the watermark (every month when
    ``full``) and move the watermark. Flushes only; the caller commits."""
    state = _state(lock=True)
    moment = now()
    if full:
        first, last = db.session.execute(
            select(func.min(RollupCount.day), func.max(RollupCount.day))).one()
        db.session.execute(delete(RollupMonthCount))
        db.session.execute(delete(RollupMonthSummary))
        db.session.execute(delete(RollupMonthResponses))
        months = sorted(set(_months_between(first, last) if first is not None else [])
                        | set(_response_months()))
        newer = Response.id > 0
    else:
        newer = Response.id > state.watermark_response_id
        first_at, last_at = db.session.execute(
            select(func.min(Response.submitted_at), func.max(Response.submitted_at))
            .where(newer)).one()
        months = ([] if first_at is None else
                  _months_between(local(first_at).date(), local(last_at).date()))
    for month in months:
        _rebuild_month(month)
    settled_before = moment - timedelta(seconds=SETTLE_SECONDS)
    settled = db.session.execute(
        select(func.max(Response.id)).where(newer, Response.submitted_at < settled_before)
    ).scalar_one_or_none()
    if full:
        # Everything is rebuilt; only responses still settling stay above the watermark.
        unsettled = db.session.execute(
            select(func.min(Response.id)).where(Response.submitted_at >= settled_before)
        ).scalar_one_or_none()
        top = db.session.execute(select(func.max(Response.id))).scalar_one_or_none() or 0
        state.watermark_response_id = top if unsettled is None else unsettled - 1
    elif settled is not None:
        # Stop below the oldest unsettled response so it is looked at again next time.
        unsettled = db.session.execute(
            select(func.min(Response.id)).where(newer, Response.submitted_at >= settled_before)
        ).scalar_one_or_none()
        state.watermark_response_id = (settled if unsettled is None
                                       else max(state.watermark_response_id,
                                                min(settled, unsettled - 1)))
    state.refreshed_at = moment
    db.session.flush()
    return MonthRefresh(months, state.watermark_response_id, moment)


def ensure_fresh_month_rollups(limit: int = ON_READ_LIMIT) -> bool:
    """Fold new responses into the month table now when there are at most ``limit`` of them
    (a pilot or a quiet moment); above that the periodic job does it and the page shows the
    time of the last refresh. Commits its own small transaction. Returns True when fresh."""
    # On the primary even inside a report read from a replica (core.replica): the refresh
    # decides what to write from what it reads, and a lagging copy would advance the
    # watermark past responses it has not seen.
    with primary_reads():
        pending = pending_responses()
        if pending == 0:
            return True
        if pending > limit:
            return False
        # End the read transaction first: on SQLite a read transaction that starts writing
        # can fail at once with "database is locked"; one begun with the write intent queues.
        db.session.commit()
        with write_intent():
            refresh_month_rollups()
            db.session.commit()
    return True


def refresh_month_rollups_job() -> dict[str, object]:
    result = refresh_month_rollups()
    return {"months": [month.isoformat() for month in result.months],
            "watermark": result.watermark}


def rebuild_month_rollups_job() -> dict[str, object]:
    """Nightly full rebuild: a response whose id was taken before a newer one's but that
    committed later than the settle time (a very slow transaction carrying a back-dated paper
    or imported response) is folded in here at the latest."""
    return {"months": len(refresh_month_rollups(full=True).months)}


