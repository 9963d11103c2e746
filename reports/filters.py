"""The filters every dashboard, report and export understands, parsed from a query string.

Unknown parameters and bad values raise ``FilterError`` (the views answer 400 with the message),
so a mistyped link never shows figures for something other than what was asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from analysis.periods import parse_period, period_labels
from core.access import Actor, Permission, can, visible_units
from core.clock import today
from core.extensions import db
from core.models import Unit
from surveys.models import Campaign, Channel

FILTER_KEYS = frozenset({"period", "campaign", "unit", "channel", "flagged"})
FLAGGED_CHOICES = ("exclude", "include")


class FilterError(ValueError):
    """A filter the dashboards do not know or cannot use; shown to the user with a 400."""


@dataclass(frozen=True)
class ReportFilters:
    period: str                 # "2026-H1", "2026-Q3", "2026-06" or "2026"
    unit_id: int                # root of the subtree reported on
    campaign: int | str | None  # campaign id, "none" (continuous ratings only) or None (all)
    channel: str | None
    include_flagged: bool

    @property
    def freq(self) -> str:
        return parse_period(self.period)[0]

    @property
    def first_day(self) -> date:
        return parse_period(self.period)[1]

    @property
    def last_day(self) -> date:
        return parse_period(self.period)[2]

    def query_args(self, **changes: object) -> dict[str, str]:
        """The filters as query parameters (for links that keep them), with ``changes``."""
        current = replace(self, **changes) if changes else self
        args = {"period": current.period, "unit": str(current.unit_id),
                "flagged": "include" if current.include_flagged else "exclude"}
        if current.campaign is not None:
            args["campaign"] = str(current.campaign)
        if current.channel:
            args["channel"] = current.channel
        return args


def current_half_year(day: date | None = None) -> str:
    import pandas as pd

    stamp = pd.Series([pd.Timestamp(day or today())])
    return str(period_labels(stamp, "half").iloc[0])


def campaign_period(campaign: Campaign) -> str:
    """The period a campaign's results belong to: the half-year it runs in ("2026-H1"), or its
    year ("2026") when it spans both halves."""
    first, last = current_half_year(campaign.starts_on), current_half_year(campaign.ends_on)
    return first if first == last else str(campaign.starts_on.year)


def report_roots(actor: Actor, perm: Permission = Permission.REPORTS_VIEW) -> list[Unit]:
    """The outermost units ``actor`` may report on, in tree order."""
    units = visible_units(actor, perm)
    ids = {unit.id for unit in units}
    return [unit for unit in units if unit.parent_id not in ids]


def parse_filters(args: Mapping[str, str] | Iterable[tuple[str, str]], actor: Actor, *,
                  allowed_extra: Iterable[str] = (),
                  perm: Permission = Permission.REPORTS_VIEW) -> ReportFilters:
    """Read the filters; anything unknown or invalid raises ``FilterError``."""
    pairs = list(args.items(multi=True) if hasattr(args, "items") and hasattr(args, "getlist")
                 else (args.items() if isinstance(args, Mapping) else args))
    known = FILTER_KEYS | set(allowed_extra)
    values: dict[str, str] = {}
    for key, value in pairs:
        if key not in known:
            raise FilterError(_("Unknown filter “%(name)s”.", name=key))
        if key in values and key in FILTER_KEYS:
            raise FilterError(_("The filter “%(name)s” is given twice.", name=key))
        values[key] = value.strip()

    period = values.get("period") or current_half_year()
    try:
        parse_period(period)
    except ValueError:
        raise FilterError(_("Unknown period “%(value)s”: use 2026, 2026-H1, 2026-Q2 or "
                            "2026-06.", value=period)) from None

    unit = _parse_unit(values.get("unit"), actor, perm)
    campaign = _parse_campaign(values.get("campaign"))
    channel = values.get("channel") or None
    if channel is not None and channel not in {member.value for member in Channel}:
        raise FilterError(_("Unknown channel “%(value)s”.", value=channel))
    flagged = values.get("flagged") or "exclude"
    if flagged not in FLAGGED_CHOICES:
        raise FilterError(_("The flagged filter must be “include” or “exclude”."))
    return ReportFilters(period=period, unit_id=unit.id, campaign=campaign, channel=channel,
                         include_flagged=flagged == "include")


def _parse_unit(raw: str | None, actor: Actor, perm: Permission) -> Unit:
    if not raw:
        roots = report_roots(actor, perm)
        if not roots:
            raise FilterError(_("You may not see reports of any unit."))
        return roots[0]
    if not raw.isdigit():
        raise FilterError(_("Unknown unit “%(value)s”.", value=raw))
    unit = db.session.get(Unit, int(raw))
    if unit is None or not can(actor, perm, unit):
        # The same answer for a unit that does not exist and one out of scope.
        raise FilterError(_("Unknown unit “%(value)s”.", value=raw))
    return unit


def _parse_campaign(raw: str | None) -> int | str | None:
    if not raw or raw == "all":
        return None
    if raw == "none":
        return "none"
    if not raw.isdigit() or db.session.execute(
            select(Campaign.id).where(Campaign.id == int(raw))).scalar_one_or_none() is None:
        raise FilterError(_("Unknown campaign “%(value)s”.", value=raw))
    return int(raw)
