"""Survey responses read per respondent, limited in SQL to a report's scope
(``ResponseScope``: unit subtree, period, campaign, channel, flagged; optionally one
questionnaire version), for what the rollup cannot give: reliability and demographic
breakdowns (the household page, the reliability page).

Shapes:
- ``respondent_answers`` / ``respondent_demographics``: raw answers in long form,
  ``[response_id, item_code, value]``;
- ``version_response_counts`` / ``version_items``: the questionnaire versions with responses
  in scope and the rated items of one version;
- ``demographic_choices``: the choice list of each Part A item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import Select, func, select

from core.clock import LOCAL_TZ
from core.extensions import db
from surveys.models import (
    QUALITY_OK,
    AnswerType,
    Instrument,
    InstrumentVersion,
    Item,
    Response,
    ResponseDemographics,
    Section,
)

LONG_COLUMNS = ["response_id", "item_code", "value"]
CHUNK_ROWS = 20_000


@dataclass(frozen=True)
class ResponseScope:
    """Which responses a report reads: ``campaign`` is a campaign id, "none" (continuous
    ratings outside any campaign) or None (all); ``since``/``until`` are local days, both
    included (a response's day is its local date, as in the rollups)."""

    unit_ids: Sequence[int]
    since: date
    until: date
    campaign: int | str | None = None
    channels: Sequence[str] | None = None
    include_flagged: bool = False


def _utc_bound(day: date) -> datetime:
    """Local midnight at the start of ``day`` (aware), compared with the UTC column."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ)


def _scoped(stmt: Select, scope: ResponseScope) -> Select:
    stmt = stmt.where(Response.unit_id.in_(list(scope.unit_ids)),
                      Response.submitted_at >= _utc_bound(scope.since),
                      Response.submitted_at < _utc_bound(scope.until + timedelta(days=1)))
    if scope.campaign == "none":
        stmt = stmt.where(Response.campaign_id.is_(None))
    elif scope.campaign is not None:
        stmt = stmt.where(Response.campaign_id == int(scope.campaign))
    if scope.channels:
        stmt = stmt.where(Response.channel.in_(list(scope.channels)))
    if not scope.include_flagged:
        stmt = stmt.where(Response.quality == QUALITY_OK)
    return stmt


def _long(rows: list[tuple[int, str, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=LONG_COLUMNS)
    return frame.astype({"response_id": "int64", "item_code": "string", "value": "int64"})


def _whole_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def version_response_counts(scope: ResponseScope) -> pd.DataFrame:
    """Published (or once published) questionnaire versions with responses in scope:
    ``[version_id, instrument_code, instrument_name_vi, instrument_name_en, number,
    title_vi, title_en, responses]``, most responses first."""
    stmt = _scoped(
        select(Response.version_id, func.count(Response.id).label("responses"))
        .group_by(Response.version_id), scope)
    counts = {version: count for version, count in db.session.execute(stmt)}
    columns = ["version_id", "instrument_code", "instrument_name_vi", "instrument_name_en",
               "number", "title_vi", "title_en", "responses"]
    if not counts:
        return pd.DataFrame({name: pd.Series(dtype="int64" if name in (
            "version_id", "number", "responses") else "object") for name in columns})
    versions = db.session.execute(
        select(InstrumentVersion.id, Instrument.code, Instrument.name_vi, Instrument.name_en,
               InstrumentVersion.number, InstrumentVersion.title_vi, InstrumentVersion.title_en)
        .join(Instrument, Instrument.id == InstrumentVersion.instrument_id)
        .where(InstrumentVersion.id.in_(list(counts)),
               InstrumentVersion.published_at.is_not(None))).all()
    frame = pd.DataFrame([(*row, counts[row[0]]) for row in versions], columns=columns)
    frame = frame.astype({"version_id": "int64", "number": "int64", "responses": "int64"})
    return frame.sort_values(["responses", "version_id"], ascending=[False, False],
                             ignore_index=True)


def version_items(version_id: int) -> pd.DataFrame:
    """The rated items of one version in form order: ``[item_code, element, answer_type,
    text_vi, text_en]`` (text, multi-choice and demographic items left out)."""
    rows = db.session.execute(
        select(Item.code, Item.element, Item.answer_type, Item.text_vi, Item.text_en)
        .join(Section, Section.id == Item.section_id)
        .where(Item.version_id == version_id, Item.demographic.is_(False),
               Item.answer_type.not_in((AnswerType.TEXT.value, AnswerType.MULTI.value)))
        .order_by(Section.position, Item.position)).all()
    return pd.DataFrame(rows, columns=["item_code", "element", "answer_type", "text_vi",
                                       "text_en"])


def respondent_answers(scope: ResponseScope, *, version_id: int | None = None,
                       item_codes: Sequence[str] | None = None,
                       with_demographics: bool = False) -> pd.DataFrame:
    """Rated answers in long form, ``[response_id, item_code, value]`` (one row per response
    and answered item; blanks are absent). ``version_id`` keeps one questionnaire version;
    ``item_codes`` keeps those items; ``with_demographics`` keeps only responses that gave
    some Part A answer. Read in chunks so a large scope never builds one huge list."""
    stmt = _scoped(select(Response.id, Response.answers), scope).order_by(Response.id)
    if version_id is not None:
        stmt = stmt.where(Response.version_id == version_id)
    if with_demographics:
        stmt = stmt.join(ResponseDemographics, ResponseDemographics.response_id == Response.id)
    wanted = None if item_codes is None else set(item_codes)
    frames = []
    result = db.session.execute(stmt.execution_options(yield_per=CHUNK_ROWS))
    for partition in result.partitions():
        records = [(rid, code, value) for rid, answers in partition
                   for code, value in answers.items()
                   if _whole_number(value) and (wanted is None or code in wanted)]
        frames.append(_long(records))
    if not frames:
        return _long([])
    return pd.concat(frames, ignore_index=True)


def respondent_demographics(scope: ResponseScope) -> pd.DataFrame:
    """Part A answers (sex, age band …) of the responses in scope, long form
    ``[response_id, item_code, value]``: choice codes only (the free-text "other ethnic
    group" is never read)."""
    stmt = _scoped(
        select(ResponseDemographics.response_id, ResponseDemographics.answers)
        .join(Response, Response.id == ResponseDemographics.response_id), scope)
    records = [(rid, code, value)
               for rid, answers in db.session.execute(stmt.order_by(Response.id))
               for code, value in (answers or {}).items() if _whole_number(value)]
    return _long(records)


def demographic_choices(codes: Sequence[str]) -> dict[str, list[tuple[int, str, str]]]:
    """The choice list of each Part A item: ``{code: [(value, label_vi, label_en), …]}`` from
    the newest published version that has the item (agencies may edit the bands)."""
    stmt = (select(Item.code, Item.choices)
            .join(InstrumentVersion, InstrumentVersion.id == Item.version_id)
            .where(Item.code.in_(list(codes)), Item.demographic.is_(True),
                   InstrumentVersion.published_at.is_not(None))
            .order_by(InstrumentVersion.published_at.desc(), InstrumentVersion.id.desc()))
    found: dict[str, list[tuple[int, str, str]]] = {}
    for code, choices in db.session.execute(stmt):
        if code in found or not choices:
            continue
        found[code] = [(int(choice["value"]), str(choice.get("vi") or choice["value"]),
                        str(choice.get("en") or choice.get("vi") or choice["value"]))
                       for choice in choices]
    return found
