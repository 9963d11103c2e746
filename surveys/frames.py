"""The one bridge from survey tables to pandas. ``analysis/`` receives these frames and never
touches the database; nothing outside ``surveys`` turns survey rows into DataFrames.

Shapes:
- ``rollup_frame``: the rollup counts (what dashboards read), one row per
  campaign × unit × item × day × channel × quality × value with its count;
- ``answers_frame``: raw answers in long form, one row per response × rated item (the full
  recompute reads the compact rating strings instead: ``surveys.recount_frames``);
- ``month_rollup_counts``: the month rollup summed in SQL (dashboards), ``month_response_counts``
  (sample sizes), and ``item_catalogue``;
- raw answers per respondent limited in SQL to a report's scope (``respondent_answers`` …, for
  reliability and demographic breakdowns) are read in ``surveys.respondent_frames``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date

import pandas as pd
from sqlalchemy import Select, func, select

from core.clock import local
from core.extensions import db
from surveys.models import (
    NO_CAMPAIGN,
    QUALITY_OK,
    AnswerType,
    InstrumentVersion,
    Item,
    Response,
    RollupCount,
    RollupMonthCount,
    RollupMonthResponses,
    RollupMonthSummary,
)

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


def iter_answer_frames(chunk_rows: int = 50_000, *, unit_ids: list[int] | None = None,
                       uncoded_only: bool = False) -> Iterator[pd.DataFrame]:
    """Raw rated answers in long form, in chunks of about ``chunk_rows`` responses, so a
    recompute over millions of responses never holds them all in memory. ``uncoded_only``:
    only responses without a rating string (``surveys.recount_frames`` reads the others)."""
    stmt = select(Response.id, Response.campaign_id, Response.unit_id, Response.submitted_at,
                  Response.channel, Response.quality, Response.answers).order_by(Response.id)
    if unit_ids is not None:
        stmt = stmt.where(Response.unit_id.in_(unit_ids))
    if uncoded_only:
        stmt = stmt.where(Response.ratings.is_(None))
    result = db.session.execute(stmt.execution_options(yield_per=chunk_rows))
    for partition in result.partitions():
        records = [
            (rid, campaign, unit, day, channel, quality, code, value)
            for rid, campaign, unit, at, channel, quality, answers in partition
            for day in (local(at).date(),)  # once per response, not per answer
            for code, value in answers.items()
            if isinstance(value, int) and not isinstance(value, bool)
        ]
        yield _typed(pd.DataFrame(records, columns=ANSWER_COLUMNS), ANSWER_COLUMNS)


def answers_frame(*, unit_ids: list[int] | None = None) -> pd.DataFrame:
    frames = list(iter_answer_frames(unit_ids=unit_ids))
    if not frames:
        return _typed(pd.DataFrame(columns=ANSWER_COLUMNS), ANSWER_COLUMNS)
    return pd.concat(frames, ignore_index=True)


MONTH_GROUPS = ("campaign_id", "unit_id", "month", "channel", "quality")


def month_rollup_counts(*, group_by: Sequence[str], unit_ids: Sequence[int] | None = None,
                        campaign: int | str | None = None, since: date | None = None,
                        until: date | None = None, channels: Sequence[str] | None = None,
                        include_flagged: bool = True, values: bool = True,
                        unit_groups: Mapping[int, int] | None = None) -> pd.DataFrame:
    """Month rollup counts summed in the database: ``[*group_by, item_code, value, count]``.

    ``group_by`` ⊆ MONTH_GROUPS; ``campaign`` is a campaign id, "none" (ratings outside any
    campaign) or None (all); ``since``/``until`` are months (first days) included;
    ``include_flagged`` False keeps only responses of quality "ok"; ``values`` False sums over
    the answer values (no ``value`` column); ``unit_groups`` maps each unit id to the id it is
    counted under (a subtree roll-up: desks counted under their department); units not in it
    are left out."""
    unknown = set(group_by) - set(MONTH_GROUPS)
    if unknown:
        raise ValueError(f"group_by: unknown columns {sorted(unknown)}")
    if not channels and not set(group_by) & {"campaign_id", "channel", "quality"}:
        return _summary_counts(group_by=group_by, unit_ids=unit_ids, campaign=campaign,
                               since=since, until=until, include_flagged=include_flagged,
                               values=values, unit_groups=unit_groups)
    table = RollupMonthCount.__table__.c
    unit_ids = _grouped_units(unit_ids, unit_groups)
    column_of = {"campaign_id": table.campaign_key, "unit_id": table.unit_id,
                 "month": table.month, "channel": table.channel, "quality": table.quality}
    groups = [column_of[name].label(name) for name in group_by]
    keys = [*groups, table.item_code, *([table.value] if values else [])]
    stmt = select(*keys, func.sum(table["count"]).label("count")).group_by(*keys)
    stmt = _month_filters(stmt, table, unit_ids, campaign, since, until, channels)
    if not include_flagged:
        stmt = stmt.where(table.quality == QUALITY_OK)
    # Plain tuples: pandas probes SQLAlchemy Row objects attribute by attribute (slow).
    frame = pd.DataFrame([tuple(row) for row in db.session.execute(stmt)],
                         columns=[*group_by, "item_code", *(["value"] if values else []),
                                  "count"])
    if "campaign_id" in frame:
        frame["campaign_id"] = frame["campaign_id"].mask(frame["campaign_id"] == NO_CAMPAIGN)
    return _grouped(_typed_counts(frame), unit_groups)


def _grouped_units(unit_ids: Sequence[int] | None,
                   unit_groups: Mapping[int, int] | None) -> Sequence[int] | None:
    """The units to read when counting under ``unit_groups``: those of it (and of ``unit_ids``)."""
    if not unit_groups:
        return unit_ids
    return list(unit_groups) if unit_ids is None else \
        [unit for unit in unit_ids if unit in unit_groups]


def _month_filters(stmt: Select, table, unit_ids: Sequence[int] | None,
                   campaign: int | str | None, since: date | None, until: date | None,
                   channels: Sequence[str] | None) -> Select:
    """The filters every month-table read shares (see ``month_rollup_counts``)."""
    if unit_ids is not None:
        stmt = stmt.where(table.unit_id.in_(list(unit_ids)))
    if campaign == "none":
        stmt = stmt.where(table.campaign_key == NO_CAMPAIGN)
    elif campaign is not None:
        stmt = stmt.where(table.campaign_key == int(campaign))
    if since is not None:
        stmt = stmt.where(table.month >= since)
    if until is not None:
        stmt = stmt.where(table.month <= until)
    if channels:
        stmt = stmt.where(table.channel.in_(list(channels)))
    return stmt


def _grouped(frame: pd.DataFrame, unit_groups: Mapping[int, int] | None) -> pd.DataFrame:
    """Counts per unit → counts per group of units. Done here rather than in SQL: a CASE of
    hundreds of branches costs more per row than the few thousand rows it would save."""
    if not unit_groups or "unit_id" not in frame:
        return frame
    frame["unit_id"] = frame["unit_id"].map(dict(unit_groups)).astype("int64")
    keys = [column for column in frame.columns if column != "count"]
    return frame.groupby(keys, sort=True, dropna=False)["count"].sum().reset_index()


def _typed_counts(frame: pd.DataFrame) -> pd.DataFrame:
    types = {"campaign_id": "Int64", "unit_id": "int64", "channel": "string",
             "quality": "string", "item_code": "string", "value": "int64", "count": "int64"}
    for column in frame.columns:
        if column == "month":
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
        else:
            frame[column] = frame[column].astype(types[column])
    return frame


def _summary_counts(*, group_by: Sequence[str], unit_ids: Sequence[int] | None,
                    campaign: int | str | None, since: date | None, until: date | None,
                    include_flagged: bool, values: bool,
                    unit_groups: Mapping[int, int] | None) -> pd.DataFrame:
    """``month_rollup_counts`` without a channel filter, from the summary table (eight times
    fewer rows; the same sums, a test checks)."""
    table = RollupMonthSummary.__table__.c
    unit_ids = _grouped_units(unit_ids, unit_groups)
    column_of = {"unit_id": table.unit_id, "month": table.month}
    groups = [column_of[name].label(name) for name in group_by]
    keys = [*groups, table.item_code, *([table.value] if values else [])]
    counted = table.count_all if include_flagged else table.count_ok
    stmt = select(*keys, func.sum(counted).label("count")).group_by(*keys)
    stmt = _month_filters(stmt, table, unit_ids, campaign, since, until, None)
    frame = pd.DataFrame([tuple(row) for row in db.session.execute(stmt)],
                         columns=[*group_by, "item_code", *(["value"] if values else []),
                                  "count"])
    # Rows whose answers were all flagged sum to 0 when flagged answers are left out.
    return _grouped(_typed_counts(frame[frame["count"] > 0].reset_index(drop=True)),
                    unit_groups)


def month_response_counts(*, unit_ids: Sequence[int] | None = None,
                          campaign: int | str | None = None, since: date | None = None,
                          until: date | None = None, channels: Sequence[str] | None = None,
                          unit_groups: Mapping[int, int] | None = None) -> pd.DataFrame:
    """Responses per unit × channel × quality over the months ``since``…``until`` (filters as
    ``month_rollup_counts``; flagged responses always included, in their own rows):
    ``[unit_id, channel, quality, responses]``, units mapped through ``unit_groups``."""
    table = RollupMonthResponses.__table__.c
    unit_ids = _grouped_units(unit_ids, unit_groups)
    keys = (table.unit_id, table.channel, table.quality)
    stmt = select(*keys, func.sum(table.responses)).group_by(*keys)
    stmt = _month_filters(stmt, table, unit_ids, campaign, since, until, channels)
    frame = pd.DataFrame([tuple(row) for row in db.session.execute(stmt)],
                         columns=["unit_id", "channel", "quality", "count"])
    frame = _grouped(_typed_counts(frame), unit_groups)
    return frame.rename(columns={"count": "responses"})


_SCALE_MAX = {AnswerType.SCALE5.value: 5, AnswerType.SCALE4.value: 4,
              AnswerType.SCALE3.value: 3}


def item_catalogue() -> pd.DataFrame:
    """Every rated item code of every questionnaire version that has been published:
    ``[item_code, element, scale_max, answer_type, text_vi, text_en]``. Codes are stable
    across versions; the newest published version's wording and element win."""
    stmt = (select(Item.code, Item.element, Item.answer_type, Item.text_vi, Item.text_en,
                   Item.choices)
            .join(InstrumentVersion, Item.version_id == InstrumentVersion.id)
            .where(InstrumentVersion.published_at.is_not(None), Item.demographic.is_(False))
            .order_by(InstrumentVersion.published_at.desc(), InstrumentVersion.id.desc()))
    seen: dict[str, tuple] = {}
    for code, element, answer_type, text_vi, text_en, choices in db.session.execute(stmt):
        if code in seen or answer_type in (AnswerType.TEXT.value, AnswerType.MULTI.value):
            continue
        scale_max = _SCALE_MAX.get(answer_type)
        if scale_max is None:  # single choice and yes/no: their largest value
            scale_max = max((int(c["value"]) for c in choices or []), default=2)
        seen[code] = (code, element, scale_max, answer_type, text_vi, text_en)
    frame = pd.DataFrame(sorted(seen.values()), columns=[
        "item_code", "element", "scale_max", "answer_type", "text_vi", "text_en"])
    return frame.astype({"item_code": "string", "scale_max": "int64"})
