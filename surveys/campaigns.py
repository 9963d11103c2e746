"""Survey campaigns ("SIPAS 2026 – đợt 1, tháng 6"): a period, one published questionnaire
version, the units covered (each with its subtree) and a quota per unit, and the channels open.

Responses find their campaign in surveys.responses (``open_campaign``): a campaign covers a
listed unit and everything below it. Services flush and leave the commit to the caller; every
change writes an audit entry.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from core.access import Actor, Permission, can, unit_scope_clause
from core.audit import record_audit, snapshot
from core.clock import now
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit, User
from surveys.models import (
    QUALITY_FLAGGED,
    Campaign,
    CampaignUnit,
    Channel,
    InstrumentVersion,
    Response,
    VersionStatus,
)

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
CODE_MAX = 64
NAME_MAX = 255
QUOTA_MAX = 10_000_000
MANAGE = Permission.SURVEYS_MANAGE
CHANNELS = tuple(channel.value for channel in Channel)
CAMPAIGN_FIELDS = ("code", "name_vi", "name_en", "owner_unit_id", "version_id", "starts_on",
                   "ends_on", "channels")


@dataclass
class CampaignData:
    code: str
    name_vi: str
    owner_unit_id: int
    version_id: int
    starts_on: date
    ends_on: date
    name_en: str | None = None
    channels: list[str] = field(default_factory=list)  # empty: every channel
    quotas: dict[int, int] = field(default_factory=dict)  # unit id → quota (≥ 0)


@dataclass
class ProgressRow:
    """One covered unit (None: responses from units no longer listed, after an edit)."""

    unit: Unit | None
    quota: int
    by_channel: dict[str, int]  # responses of good quality per channel
    total: int  # of good quality; flagged responses are counted apart
    flagged: int

    @property
    def percent(self) -> int | None:
        """Share of the quota reached, rounded down (None when there is no quota)."""
        return self.total * 100 // self.quota if self.quota else None


def _refuse(message: str, name: str, status: int = 400) -> ServiceError:
    return ServiceError(message, status=status, field=name)


def _units_field(unit_id: int) -> str:
    """The field name of one unit's row, so a form shows the message beside that row."""
    return f"units.{unit_id}"


def _check(data: CampaignData, actor: Actor, campaign: Campaign | None) -> tuple[Unit, list]:
    """Validate everything; return the owner unit and [(unit, quota)] in tree order."""
    data.code = (data.code or "").strip()
    data.name_vi = (data.name_vi or "").strip()
    data.name_en = (data.name_en or "").strip() or None
    if not data.code or len(data.code) > CODE_MAX or not CODE_PATTERN.match(data.code):
        raise _refuse(_("Give a code of letters, digits, dot, dash or underscore "
                        "(at most %(max)d).", max=CODE_MAX), "code")
    if not data.name_vi or len(data.name_vi) > NAME_MAX:
        raise _refuse(_("Give a Vietnamese name of at most %(max)d characters.",
                        max=NAME_MAX), "name_vi")
    if data.name_en and len(data.name_en) > NAME_MAX:
        raise _refuse(_("Keep the English name to %(max)d characters.", max=NAME_MAX),
                      "name_en")
    clash = db.session.scalar(select(Campaign.id).where(Campaign.code == data.code))
    if clash is not None and (campaign is None or clash != campaign.id):
        raise _refuse(_("Another campaign already uses the code %(code)s.", code=data.code),
                      "code", 409)
    owner = db.session.get(Unit, data.owner_unit_id) if data.owner_unit_id else None
    if owner is None or not can(actor, MANAGE, owner):
        raise _refuse(_("Choose a unit you manage surveys for."), "owner_unit_id")
    version = db.session.get(InstrumentVersion, data.version_id) if data.version_id else None
    if version is None or version.status != VersionStatus.PUBLISHED.value:
        raise _refuse(_("Choose a published questionnaire."), "version_id")
    agency = version.instrument.owner_unit_id
    if agency is not None and agency not in owner.ancestor_ids():
        raise _refuse(_("This questionnaire belongs to another agency."), "version_id")
    if data.starts_on is None:
        raise _refuse(_("Give the first day of the campaign."), "starts_on")
    if data.ends_on is None or data.ends_on < data.starts_on:
        raise _refuse(_("The last day cannot be before the first day."), "ends_on")
    unknown = sorted(set(data.channels) - set(CHANNELS))
    if unknown:
        raise _refuse(_("Unknown channel: %(names)s.", names=", ".join(unknown)[:100]),
                      "channels")
    data.channels = [channel for channel in CHANNELS if channel in data.channels]
    return owner, _check_units(data, actor, owner)


def _check_units(data: CampaignData, actor: Actor, owner: Unit) -> list[tuple[Unit, int]]:
    if not data.quotas:
        raise _refuse(_("Choose at least one unit the campaign covers."), "units")
    units = {u.id: u for u in db.session.scalars(
        select(Unit).where(Unit.id.in_(list(data.quotas))))}
    rows: list[tuple[Unit, int]] = []
    for unit_id, quota in data.quotas.items():
        unit = units.get(unit_id)
        if unit is None or not unit.is_within(owner) or not can(actor, MANAGE, unit):
            raise _refuse(_("Unit %(id)s is not under %(owner)s or not in your scope.",
                            id=unit.code if unit else unit_id, owner=owner.code),
                          _units_field(unit_id))
        if not isinstance(quota, int) or isinstance(quota, bool) or not 0 <= quota <= QUOTA_MAX:
            raise _refuse(_("The quota of %(unit)s must be a whole number from 0 to %(max)d.",
                            unit=unit.code, max=QUOTA_MAX), _units_field(unit_id))
        rows.append((unit, quota))
    rows.sort(key=lambda row: row[0].path)
    # A listed unit covers its subtree: listing a unit and one below it would count the same
    # responses twice on the progress page.
    for unit, _quota in rows:
        outer = next((u for u, _q in rows if u is not unit and unit.is_within(u)), None)
        if outer is not None:
            raise _refuse(_("%(unit)s is already covered by %(upper)s.", unit=unit.code,
                            upper=outer.code), _units_field(unit.id))
    return rows


def _state(campaign: Campaign) -> dict:
    state = snapshot(campaign, CAMPAIGN_FIELDS)
    state["quotas"] = {str(row.unit_id): row.quota
                       for row in sorted(campaign.units, key=lambda r: r.unit_id)}
    return state


def _apply(campaign: Campaign, data: CampaignData, owner: Unit, rows: list) -> None:
    campaign.code, campaign.name_vi, campaign.name_en = data.code, data.name_vi, data.name_en
    campaign.owner_unit_id, campaign.version_id = owner.id, data.version_id
    campaign.starts_on, campaign.ends_on = data.starts_on, data.ends_on
    campaign.channels = list(data.channels)
    kept = {row.unit_id: row for row in campaign.units}
    campaign.units = []
    for unit, quota in rows:
        row = kept.get(unit.id) or CampaignUnit(unit_id=unit.id)
        row.quota = quota
        campaign.units.append(row)


def create_campaign(data: CampaignData, actor: User) -> Campaign:
    owner, rows = _check(data, actor, None)
    campaign = Campaign(created_by_id=actor.id if isinstance(actor, User) else None)
    _apply(campaign, data, owner, rows)
    db.session.add(campaign)
    db.session.flush()
    record_audit("survey_campaign.created", object_type="survey_campaign",
                 object_id=campaign.id, unit_id=owner.id, after=_state(campaign))
    return campaign


def response_count(campaign: Campaign) -> int:
    return db.session.scalar(select(func.count(Response.id))
                             .where(Response.campaign_id == campaign.id)) or 0


def update_campaign(campaign: Campaign, data: CampaignData, actor: User) -> Campaign:
    """Change a campaign still open; its questionnaire is fixed once responses exist (they
    were collected on that version)."""
    if campaign.closed_at is not None:
        raise ServiceError(_("This campaign is closed and can no longer be changed."),
                           status=409)
    owner, rows = _check(data, actor, campaign)
    if data.version_id != campaign.version_id and response_count(campaign):
        raise _refuse(_("Responses were already collected on this questionnaire; start a "
                        "new campaign to use another one."), "version_id", 409)
    before = _state(campaign)
    _apply(campaign, data, owner, rows)
    db.session.flush()
    record_audit("survey_campaign.updated", object_type="survey_campaign",
                 object_id=campaign.id, unit_id=owner.id, before=before, after=_state(campaign))
    return campaign


def close_campaign(campaign: Campaign, actor: User, reason: str | None = None) -> Campaign:
    """Stop attaching responses to the campaign (responses after this are continuous
    ratings again). Its responses and progress stay."""
    if campaign.closed_at is not None:
        raise ServiceError(_("This campaign is already closed."), status=409)
    campaign.closed_at = now()
    db.session.flush()
    record_audit("survey_campaign.closed", object_type="survey_campaign",
                 object_id=campaign.id, unit_id=campaign.owner_unit_id, reason=reason)
    return campaign


def campaign_progress(campaign: Campaign) -> list[ProgressRow]:
    """Responses against quota per covered unit and channel, read from the response rows
    grouped by unit path, channel and quality (campaigns hold thousands of rows, not
    millions). A response counts for the listed unit whose subtree holds its unit."""
    listed = sorted(((db.session.get(Unit, row.unit_id), row.quota) for row in campaign.units),
                    key=lambda pair: pair[0].path)
    counts: dict[int | None, Counter] = {unit.id: Counter() for unit, _quota in listed}
    flagged: Counter = Counter()
    stmt = (select(Unit.path, Response.channel, Response.quality, func.count(Response.id))
            .join(Unit, Unit.id == Response.unit_id)
            .where(Response.campaign_id == campaign.id)
            .group_by(Unit.path, Response.channel, Response.quality))
    for path, channel, quality, count in db.session.execute(stmt):
        owner = next((u.id for u, _q in listed if path.startswith(u.path)), None)
        if quality == QUALITY_FLAGGED:
            flagged[owner] += count
        else:
            counts.setdefault(owner, Counter())[channel] += count
    if flagged[None]:
        counts.setdefault(None, Counter())
    rows = [ProgressRow(unit, quota, dict(counts[unit.id]), sum(counts[unit.id].values()),
                        flagged[unit.id]) for unit, quota in listed]
    if None in counts:
        rows.append(ProgressRow(None, 0, dict(counts[None]), sum(counts[None].values()),
                                flagged[None]))
    return rows


def progress_totals(rows: list[ProgressRow]) -> ProgressRow:
    by_channel: Counter = Counter()
    for row in rows:
        by_channel.update(row.by_channel)
    return ProgressRow(None, sum(r.quota for r in rows), dict(by_channel),
                       sum(r.total for r in rows), sum(r.flagged for r in rows))


def open_campaigns_for(unit: Unit, day: date) -> list[Campaign]:
    """Campaigns open on ``day`` that cover ``unit`` (listed itself or through an ancestor),
    the same rule as ``surveys.responses.open_campaign``, newest first."""
    stmt = (
        select(Campaign)
        .join(CampaignUnit, CampaignUnit.campaign_id == Campaign.id)
        .where(CampaignUnit.unit_id.in_(unit.ancestor_ids() or [unit.id]),
               Campaign.starts_on <= day, Campaign.ends_on >= day,
               Campaign.closed_at.is_(None))
        .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
    )
    return list(db.session.scalars(stmt).unique())


def campaigns_visible_to(actor: Actor) -> list[Campaign]:
    """Campaigns whose owner unit is in the actor's survey-management scope, newest first."""
    stmt = (select(Campaign).join(Unit, Unit.id == Campaign.owner_unit_id)
            .where(unit_scope_clause(actor, MANAGE))
            .order_by(Campaign.starts_on.desc(), Campaign.id.desc()))
    return list(db.session.scalars(stmt))
