"""Storing survey responses: validation, the campaign a response belongs to, quality flags,
and the rollup counts updated in the same transaction (recount and check in surveys.rollups).

Every channel (desk QR, kiosk, online link, paper, import) goes through ``submit_response``, so
the rules are the same whoever typed the answers. Services flush; the caller commits.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from analysis.sipas import NOT_APPLICABLE
from core.clock import local, now
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit, User
from surveys.models import (
    QUALITY_FLAGGED,
    QUALITY_OK,
    AnswerType,
    Campaign,
    CampaignUnit,
    Channel,
    CollectionPoint,
    InstrumentVersion,
    Item,
    Response,
    ResponseDemographics,
    ResponseText,
    VersionStatus,
)
from surveys.rating_codes import RATED_TYPES, encode_ratings, rated_codes
from surveys.rollups import (  # the recount and its check are re-exported for callers here
    increment_response_count,
    increment_rollups,
    recount_rollups,
    rollup_differences,
    rollup_matches_raw,
    rollup_rows,
)

__all__ = ["SubmittedResponse", "recount_rollups", "rollup_differences", "rollup_matches_raw",
           "submit_response"]

SCALE_SIZES = {AnswerType.SCALE5: 5, AnswerType.SCALE4: 4, AnswerType.SCALE3: 3}
# Yes/no without its own choice list: 1 = Có, 2 = Không, as paper forms number them.
YESNO_VALUES = (1, 2)
TEXT_MAX_DEFAULT = 2000
# Why a response was flagged for review (never dropped): analysts include or exclude them.
REASON_HONEYPOT = "honeypot"
REASON_TOO_FAST = "too_fast"
REASON_BURST = "burst"


@dataclass
class SubmittedResponse:
    version: InstrumentVersion
    unit: Unit
    channel: str
    point: CollectionPoint | None = None
    # None: the campaign open on the day for this unit, version and channel, if any.
    campaign: Campaign | None = None
    answers: dict[str, Any] = field(default_factory=dict)  # {code: int | list[int]}
    texts: dict[str, str] = field(default_factory=dict)
    demographics: dict[str, Any] = field(default_factory=dict)
    quality: str = QUALITY_OK
    quality_reasons: list[str] = field(default_factory=list)
    entered_by: User | None = None
    submitted_at: datetime | None = None  # paper and imports may give the day it was filled
    dossier_id: int | None = None  # rated through a single-use dossier token
    import_id: int | None = None  # from an imported survey file
    procedure_name: str | None = None  # named by the citizen on the online form


def allowed_values(item: Item) -> tuple[int, ...]:
    """The values an item accepts: its choice list, else the scale's 1…n, else yes/no."""
    if item.choices:
        return tuple(int(choice["value"]) for choice in item.choices)
    if item.answer_type in SCALE_SIZES:
        return tuple(range(1, SCALE_SIZES[AnswerType(item.answer_type)] + 1))
    if item.answer_type == AnswerType.YESNO:
        return YESNO_VALUES
    return ()


def text_limit(item: Item) -> int:
    return item.max_length or TEXT_MAX_DEFAULT


def is_low_rating(item: Item, value: object) -> bool:
    """An element item rated 1 or 2 on the 5-point scale (1 on the 3-level quick scale):
    the thank-you page then offers to send a PAKN."""
    if item.element is None or not _is_int(value) or value == NOT_APPLICABLE:
        return False
    if item.answer_type == AnswerType.SCALE5:
        return value <= 2
    if item.answer_type == AnswerType.SCALE3:
        return value == 1
    return False


def has_low_rating(version: InstrumentVersion, answers: dict[str, Any]) -> bool:
    return any(is_low_rating(item, answers.get(item.code)) for item in version.items)


def quality_reasons(honeypot_filled: bool, fill_seconds: float | None) -> list[str]:
    """Flags a page can see: the hidden field was filled, or the form came back faster than a
    person reads it (setting SURVEY_MIN_FILL_SECONDS, default 4)."""
    reasons = []
    if honeypot_filled:
        reasons.append(REASON_HONEYPOT)
    minimum = current_app.config.get("SURVEY_MIN_FILL_SECONDS", 4)
    if fill_seconds is not None and fill_seconds < minimum:
        reasons.append(REASON_TOO_FAST)
    return reasons


def check_open(version: InstrumentVersion, unit: Unit, point: CollectionPoint | None) -> None:
    """Refuse a questionnaire, unit or collection point that no longer takes answers."""
    if version.status == VersionStatus.RETIRED:
        raise ServiceError(_("This questionnaire has been withdrawn."), status=410)
    if version.status != VersionStatus.PUBLISHED:
        raise ServiceError(_("This questionnaire has not been published yet."), status=409)
    if not unit.active:
        raise ServiceError(_("This unit no longer takes ratings here."), status=410)
    if point is not None and (not point.active or point.retired_at is not None):
        raise ServiceError(_("This rating code is no longer in use."), status=410)
    # A point may collect on a newer version than the one it was made with (collecting_version).
    if point is not None and point.unit_id != unit.id:
        raise ServiceError(_("The rating code does not belong to this unit."), status=400)


def collecting_version(version: InstrumentVersion) -> InstrumentVersion:
    """The version a desk's code collects on: its own while published; once retired, the
    instrument's newest published version, so printed QR posters keep working after an
    edit is published. A retired version with no successor stays retired (410 on the page)."""
    if version.status != VersionStatus.RETIRED:
        return version
    newer = db.session.scalar(
        select(InstrumentVersion)
        .where(InstrumentVersion.instrument_id == version.instrument_id,
               InstrumentVersion.status == VersionStatus.PUBLISHED)
        .order_by(InstrumentVersion.number.desc()).limit(1))
    return newer or version


def submit_response(data: SubmittedResponse) -> Response:
    """Validate and store one response with its texts, demographics and rollup counts."""
    check_open(data.version, data.unit, data.point)
    if data.channel not in {channel.value for channel in Channel}:
        raise ServiceError(_("Unknown channel."), status=400, field="channel")
    if data.quality not in (QUALITY_OK, QUALITY_FLAGGED):
        raise ServiceError(_("Unknown quality flag."), status=400, field="quality")
    items = {item.code: item for item in data.version.items}
    answers, texts, demographics = _clean(items, data)
    at = data.submitted_at or now()
    day = local(at).date()
    campaign = _checked_campaign(data, day) if data.campaign else open_campaign(
        data.unit, data.version, data.channel, day)
    reasons = list(dict.fromkeys(data.quality_reasons))
    if data.point is not None and _is_burst(data.point, at):
        reasons.append(REASON_BURST)
    flagged = bool(reasons) or data.quality == QUALITY_FLAGGED
    response = Response(
        version_id=data.version.id, unit_id=data.unit.id,
        point_id=data.point.id if data.point else None,
        campaign_id=campaign.id if campaign else None, channel=data.channel,
        submitted_at=at, answers=answers,
        ratings=encode_ratings(rated_codes(items.values()), answers),
        quality=QUALITY_FLAGGED if flagged else QUALITY_OK, quality_reasons=reasons or None,
        entered_by_id=data.entered_by.id if data.entered_by else None,
        dossier_id=data.dossier_id, import_id=data.import_id,
        procedure_name=data.procedure_name,
    )
    db.session.add(response)
    db.session.flush()
    db.session.add_all(ResponseText(response_id=response.id, item_code=code, text=text)
                       for code, text in texts.items())
    if demographics:
        db.session.add(ResponseDemographics(response_id=response.id, answers=demographics))
    increment_rollups(rollup_rows(campaign.id if campaign else None, response.unit_id, day,
                                  response.channel, response.quality, answers))
    increment_response_count(campaign.id if campaign else None, response.unit_id, day,
                             response.channel, response.quality)
    db.session.flush()
    return response


def open_campaign(unit: Unit, version: InstrumentVersion, channel: str,
                  day: date) -> Campaign | None:
    """The campaign open on ``day`` for this unit or one of its ancestors, with this
    questionnaire and channel (a campaign with no channel list takes every channel)."""
    stmt = (
        select(Campaign)
        .join(CampaignUnit, CampaignUnit.campaign_id == Campaign.id)
        .where(CampaignUnit.unit_id.in_(unit.ancestor_ids() or [unit.id]),
               Campaign.version_id == version.id, Campaign.starts_on <= day,
               Campaign.ends_on >= day, Campaign.closed_at.is_(None))
        .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
    )
    for campaign in db.session.scalars(stmt).unique():
        if not campaign.channels or channel in campaign.channels:
            return campaign
    return None


def _checked_campaign(data: SubmittedResponse, day: date) -> Campaign:
    campaign = data.campaign
    assert campaign is not None
    covered = db.session.scalar(
        select(func.count()).select_from(CampaignUnit).where(
            CampaignUnit.campaign_id == campaign.id,
            CampaignUnit.unit_id.in_(data.unit.ancestor_ids() or [data.unit.id])))
    if (not campaign.is_open_on(day) or campaign.version_id != data.version.id or not covered
            or (campaign.channels and data.channel not in campaign.channels)):
        raise ServiceError(_("This survey campaign is closed or does not cover this unit."),
                           status=409, field="campaign")
    return campaign


def _is_burst(point: CollectionPoint, at: datetime) -> bool:
    """More than SURVEY_BURST_PER_MINUTE responses from one point in the last minute: flagged
    for review (a desk serves a citizen every few minutes, not dozens a minute)."""
    limit = current_app.config.get("SURVEY_BURST_PER_MINUTE", 30)
    recent = db.session.scalar(
        select(func.count(Response.id)).where(Response.point_id == point.id,
                                              Response.submitted_at > at - timedelta(minutes=1)))
    return (recent or 0) >= limit


def _refuse(message: str, code: str) -> ServiceError:
    return ServiceError(message, status=400, field=code)


def _clean(items: dict[str, Item], data: SubmittedResponse):
    """Check every given answer against its item; return NFC, sorted, compact copies."""
    seen: set[str] = set()
    parts: list[dict[str, Any]] = [{}, {}, {}]
    for index, given in enumerate((data.answers, data.texts, data.demographics)):
        for code, value in given.items():
            item = items.get(code)
            if item is None:
                raise _refuse(_("Unknown question %(code)s.", code=code), code)
            if code in seen:
                raise _refuse(_("Question %(code)s was answered twice.", code=code), code)
            seen.add(code)
            is_text = item.answer_type == AnswerType.TEXT
            expected = 2 if item.demographic else (1 if is_text else 0)
            if index != expected:
                raise _refuse(_("Question %(code)s was sent in the wrong place.", code=code),
                              code)
            cleaned = _clean_value(item, value)
            if cleaned is not None:
                parts[index][code] = cleaned
    for item in items.values():
        if item.required and not any(item.code in part for part in parts):
            raise _refuse(_("Please answer question %(code)s.", code=item.code), item.code)
    if not has_rating(items.values(), parts[0]):
        raise ServiceError(_("Please rate at least one question."), status=400)
    return parts[0], parts[1], parts[2]


def has_rating(items: Iterable[Item], answers: dict[str, Any]) -> bool:
    """Whether ``answers`` rate something: a questionnaire with rated items takes no response
    without one rating ("not applicable" is no rating), whichever items it requires. A
    questionnaire of text questions only has nothing to rate."""
    rated = [item.code for item in items
             if not item.demographic and item.answer_type in RATED_TYPES]
    return not rated or any(
        answers.get(code) not in (None, NOT_APPLICABLE) for code in rated)


def _clean_value(item: Item, value: Any) -> Any:
    code = item.code
    if item.answer_type == AnswerType.TEXT:
        if not isinstance(value, str):
            raise _refuse(_("The answer to %(code)s must be text.", code=code), code)
        text = unicodedata.normalize("NFC", value.strip())
        if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text):
            raise _refuse(_("Remove the invisible control characters from this text."), code)
        if len(text) > text_limit(item):
            raise _refuse(_("The answer to %(code)s is longer than %(max)d characters.",
                            code=code, max=text_limit(item)), code)
        return text or None
    allowed = allowed_values(item)
    if item.answer_type == AnswerType.MULTI:
        if not isinstance(value, list | tuple):
            raise _refuse(_("The answer to %(code)s must be a list of choices.", code=code),
                          code)
        if len(set(map(repr, value))) != len(value):
            raise _refuse(_("A choice was given twice for %(code)s.", code=code), code)
        if any(not _is_int(choice) or choice not in allowed for choice in value):
            raise _refuse(_("The answer to %(code)s is not one of its choices.", code=code),
                          code)
        return sorted(value) or None
    if item.answer_type not in RATED_TYPES:
        raise _refuse(_("Question %(code)s cannot be answered.", code=code), code)
    if not _is_int(value) or value not in allowed:
        raise _refuse(_("The answer to %(code)s is not one of its choices.", code=code), code)
    return value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
