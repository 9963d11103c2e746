"""What the integrity checks (``analysis.integrity``) read, as DataFrames: the period's
responses with their 5-point answer counts, the dossiers returned at each desk, the rating
tokens redeemed, and the answer counts of a set of responses (to show an index without them).

Times are local (Vietnam) and naive, as the analysis compares them with opening hours. Rating
strings (``surveys.rating_codes``) are decoded with numpy; the rare response without one is
read from its JSON answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import func, literal_column, select

from analysis.coded_counts import count_coded_answers
from analysis.sipas import answer_counts
from core.clock import LOCAL_TZ
from core.extensions import db
from surveys.device_marks import REASON_DEVICE_REPEAT
from surveys.models import AnswerType, Dossier, Item, RatingToken, Response
from surveys.rating_codes import decode_ratings, version_rated_codes
from surveys.responses import QUALITY_FLAGGED

VALUES = (1, 2, 3, 4, 5)
RESPONSE_COLUMNS = ["response_id", "desk_id", "official_id", "channel", "quality", "at",
                    *(f"n_{v}" for v in VALUES), "device_repeat", "version_id", "ratings"]
_ID_CHUNK = 5_000


def period_bounds(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """The aware moments from local midnight of ``first_day`` to the midnight after
    ``last_day``."""
    start = datetime.combine(first_day, time(0), LOCAL_TZ)
    end = datetime.combine(last_day + timedelta(days=1), time(0), LOCAL_TZ)
    return start, end


def _local(values: Iterable) -> pd.Series:
    """Stored moments (naive UTC datetimes, or text on SQLite) → local naive timestamps."""
    moments = pd.to_datetime(pd.Series(list(values), dtype=object), format="ISO8601", utc=True)
    return moments.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None).astype("datetime64[ns]")


def _raw(column) -> object:
    """A column read without its type's Python conversion (pandas parses the lot at once)."""
    return literal_column(f"{column.table.name}.{column.name}")


def integrity_responses(first_day: date, last_day: date) -> pd.DataFrame:
    """The period's responses, one row each: ``RESPONSE_COLUMNS`` (the desk is the unit the
    rating was given at; ``official_id`` who typed in a paper form)."""
    start, end = period_bounds(first_day, last_day)
    table = Response.__table__.c
    stmt = (select(table.id, table.unit_id, table.entered_by_id, table.channel, table.quality,
                   _raw(table.submitted_at), table.version_id, table.ratings)
            .where(table.submitted_at >= start, table.submitted_at < end).order_by(table.id))
    rows = [tuple(row) for row in db.session.execute(stmt)]
    frame = pd.DataFrame(rows, columns=["response_id", "desk_id", "official_id", "channel",
                                        "quality", "at", "version_id", "ratings"])
    frame["official_id"] = frame["official_id"].astype("Int64")
    frame["at"] = _local(frame["at"])
    counts = _five_point_counts(frame)
    for position, value in enumerate(VALUES):
        frame[f"n_{value}"] = counts[:, position]
    repeated = _device_repeats(start, end)
    frame["device_repeat"] = frame["response_id"].isin(repeated)
    return frame[RESPONSE_COLUMNS]


def _scale5_positions(version_ids: Sequence[int]) -> dict[int, np.ndarray]:
    """For each version, the positions of its 5-point items in its rating string."""
    codes = version_rated_codes(version_ids)
    five = set(db.session.execute(
        select(Item.version_id, Item.code).where(
            Item.version_id.in_(list(codes)), Item.answer_type == AnswerType.SCALE5.value)))
    return {version: np.array([i for i, code in enumerate(found) if (version, code) in five],
                              dtype=np.int64)
            for version, found in codes.items()}


def _five_point_counts(frame: pd.DataFrame) -> np.ndarray:
    """``len(frame) × 5`` counts of the answers 1…5 given to 5-point items."""
    counts = np.zeros((len(frame), len(VALUES)), dtype=np.int64)
    if frame.empty:
        return counts
    positions = _scale5_positions(frame["version_id"].unique().tolist())
    coded = frame["ratings"].notna()
    for version_id, rows in frame[coded].groupby("version_id"):
        width = len(version_rated_codes([version_id])[version_id])
        values = decode_ratings(rows["ratings"].tolist(), width)[:, positions[version_id]]
        index = frame.index.get_indexer(rows.index)
        for position, value in enumerate(VALUES):
            counts[index, position] = (values == value).sum(axis=1)
    uncoded = frame.index[~coded]
    if len(uncoded):
        five = _five_point_codes(frame.loc[uncoded, "version_id"].unique().tolist())
        answers = dict(db.session.execute(select(Response.id, Response.answers).where(
            Response.id.in_(frame.loc[uncoded, "response_id"].tolist()))).all())
        for index in frame.index.get_indexer(uncoded):
            row = frame.iloc[index]
            given = [v for code, v in answers[row["response_id"]].items()
                     if code in five.get(row["version_id"], ()) and v in VALUES]
            counts[index] = [given.count(value) for value in VALUES]
    return counts


def _five_point_codes(version_ids: Sequence[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for version_id, code in db.session.execute(select(Item.version_id, Item.code).where(
            Item.version_id.in_(version_ids), Item.answer_type == AnswerType.SCALE5.value)):
        found.setdefault(version_id, set()).add(code)
    return found


def _device_repeats(start: datetime, end: datetime) -> set[int]:
    """Ids of the period's responses flagged because the phone had rated there before (only
    flagged responses carry reasons, so only those are read)."""
    stmt = select(Response.id, Response.quality_reasons).where(
        Response.submitted_at >= start, Response.submitted_at < end,
        Response.quality == QUALITY_FLAGGED)
    return {rid for rid, reasons in db.session.execute(stmt)
            if reasons and REASON_DEVICE_REPEAT in reasons}


def dossier_returns(first_day: date, last_day: date, *, lead: timedelta) -> pd.DataFrame:
    """``[desk_id, returned_at]``: dossiers returned from ``lead`` before the period to its end
    (the desk is the dossier's desk, else its unit)."""
    start, end = period_bounds(first_day, last_day)
    desk = func.coalesce(Dossier.desk_id, Dossier.unit_id)
    stmt = select(desk, _raw(Dossier.__table__.c.returned_at)).where(
        Dossier.returned_at >= start - lead, Dossier.returned_at < end)
    rows = [tuple(row) for row in db.session.execute(stmt)]
    frame = pd.DataFrame(rows, columns=["desk_id", "returned_at"])
    frame["desk_id"] = frame["desk_id"].astype("int64")
    frame["returned_at"] = _local(frame["returned_at"])
    return frame


def redeemed_tokens(first_day: date, last_day: date) -> pd.DataFrame:
    """``[response_id, desk_id, used_at]``: the period's redeemed rating tokens."""
    start, end = period_bounds(first_day, last_day)
    desk = func.coalesce(Dossier.desk_id, Dossier.unit_id)
    stmt = (select(RatingToken.response_id, desk, _raw(RatingToken.__table__.c.used_at))
            .join(Dossier, RatingToken.dossier_id == Dossier.id)
            .where(RatingToken.used_at >= start, RatingToken.used_at < end,
                   RatingToken.response_id.is_not(None)))
    rows = [tuple(row) for row in db.session.execute(stmt)]
    frame = pd.DataFrame(rows, columns=["response_id", "desk_id", "used_at"])
    frame[["response_id", "desk_id"]] = frame[["response_id", "desk_id"]].astype("int64")
    frame["used_at"] = _local(frame["used_at"])
    return frame


def responses_answer_counts(responses: pd.DataFrame) -> pd.DataFrame:
    """Every rated answer of ``responses`` (rows of ``integrity_responses``) counted per
    unit and quality: ``[unit_id, quality, item_code, value, count]``."""
    frame = responses.rename(columns={"desk_id": "unit_id"})
    parts = []
    coded = frame[frame["ratings"].notna()]
    if not coded.empty:
        codes = version_rated_codes(coded["version_id"].unique().tolist())
        for version_id, rows in coded.groupby("version_id"):
            values = decode_ratings(rows["ratings"].tolist(), len(codes[version_id]))
            parts.append(count_coded_answers(rows[["unit_id", "quality"]].reset_index(
                drop=True), values, codes[version_id]))
    uncoded = frame.loc[frame["ratings"].isna(), "response_id"].tolist()
    for start in range(0, len(uncoded), _ID_CHUNK):
        stmt = select(Response.unit_id, Response.quality, Response.answers).where(
            Response.id.in_(uncoded[start:start + _ID_CHUNK]))
        records = [(unit, quality, code, value)
                   for unit, quality, answers in db.session.execute(stmt)
                   for code, value in answers.items()
                   if isinstance(value, int) and not isinstance(value, bool)]
        parts.append(answer_counts(pd.DataFrame(records, columns=[
            "unit_id", "quality", "item_code", "value"]), by=["unit_id", "quality"]))
    columns = ["unit_id", "quality", "item_code", "value", "count"]
    parts = [part for part in parts if not part.empty]
    if not parts:
        return pd.DataFrame(columns=columns)
    summed = pd.concat(parts, ignore_index=True).groupby(columns[:-1], sort=True)["count"].sum()
    return summed.reset_index()[columns]


def listed_responses(*, ids: Sequence[int] | None = None, desk_id: int | None = None,
                     official_id: int | None = None, first_day: date | None = None,
                     last_day: date | None = None,
                     offset: int = 0, limit: int = 100) -> tuple[int, list[tuple]]:
    """One page of responses for review, newest last: ``(total, [(id, local time, channel,
    quality, answers)])``: the given ``ids``, or the period's responses of a desk or typed in
    by an official. Answers
    only: free text and demographics are never listed."""
    stmt = select(Response.id, Response.submitted_at, Response.channel, Response.quality,
                  Response.answers)
    if ids is not None:
        chosen = sorted(ids)[offset:offset + limit]
        rows = db.session.execute(stmt.where(Response.id.in_(chosen)).order_by(Response.id))
        return len(ids), [(rid, at.astimezone(LOCAL_TZ), channel, quality, answers)
                          for rid, at, channel, quality, answers in rows]
    start, end = period_bounds(first_day, last_day)
    subject = Response.unit_id == desk_id if official_id is None else \
        Response.entered_by_id == official_id
    where = (subject, Response.submitted_at >= start,
             Response.submitted_at < end)
    total = db.session.scalar(select(func.count()).select_from(Response).where(*where)) or 0
    rows = db.session.execute(stmt.where(*where).order_by(Response.id)
                              .offset(offset).limit(limit))
    return total, [(rid, at.astimezone(LOCAL_TZ), channel, quality, answers)
                   for rid, at, channel, quality, answers in rows]
