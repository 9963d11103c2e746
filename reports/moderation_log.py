"""The public moderation log page (issue 14, section 5): the agency and period a reader asks for,
checked, and the figures of ``feedback.moderation.moderation_log`` for them.

The period is one label of ``analysis.periods`` (month, quarter, half-year or year); one not
yet begun is refused, and the current one is counted up to today ("so far"). The agencies are
those of the public transparency pages (``reports.public``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _

from analysis.periods import parse_period
from core.models import Unit
from core.templating import format_date
from feedback.moderation import ModerationLog, moderation_log
from reports.filters import current_half_year
from reports.public import find_public_agency, list_public_agencies, period_title

YEARS_OFFERED = 3


class PageRefused(Exception):
    """A request the page cannot answer: ``message`` for the reader, ``status`` for HTTP."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class ModerationPage:
    agencies: list[tuple[Unit, int]]      # (unit, indent) in tree order, for the chooser
    periods: list[tuple[str, str]]        # (label, title), newest first
    period: str
    unit: Unit | None = None
    title: str = ""
    log: ModerationLog | None = None
    complete: bool = True
    error: str | None = None
    status: int = 200
    notes: list[str] = field(default_factory=list)


def describe_period(label: str, so_far: date | None = None) -> str:
    """"2026-Q2" → "Quarter 2 of 2026" (translated); with ``so_far``, "… (so far, to …)"."""
    freq, first, _last = parse_period(label)
    if freq == "half":
        return period_title(label, so_far)
    if freq == "quarter":
        title = _("Quarter %(q)s of %(year)s", q=label[-1], year=first.year)
    elif freq == "month":
        title = _("%(month)s/%(year)s", month=first.month, year=first.year)
    else:
        title = _("Year %(year)s", year=first.year)
    if so_far is not None:
        return _("%(period)s (so far, to %(day)s)", period=title, day=format_date(so_far))
    return title


def period_choices(today: date) -> list[tuple[str, str]]:
    """Half-years, quarters and years of the last few years that have begun, newest first."""
    labels: list[str] = []
    for year in range(today.year, today.year - YEARS_OFFERED, -1):
        candidates = [f"{year}-H2", f"{year}-Q4", f"{year}-Q3", f"{year}-H1", f"{year}-Q2",
                      f"{year}-Q1", str(year)]
        labels += [label for label in candidates if parse_period(label)[1] <= today]
    return [(label, describe_period(label)) for label in labels]


def _agencies(today: date) -> list[tuple[Unit, int]]:
    rows: list[tuple[Unit, int]] = []
    for root, units in list_public_agencies(today):
        rows.append((root, 0))
        rows += [(unit, min(unit.depth - root.depth, 3)) for unit in units]
    return rows


def check_period(label: str, today: date) -> tuple[date, date, bool]:
    """(first day, last day counted, complete) of ``label``; PageRefused (400) otherwise."""
    try:
        _freq, first, last = parse_period(label)
    except ValueError:
        raise PageRefused(_("“%(period)s” is not a period. Write it as 2026 (a year), 2026-H1 "
                            "(a half-year), 2026-Q2 (a quarter) or 2026-06 (a month).",
                            period=label[:20]), 400) from None
    if first > today:
        raise PageRefused(_("This period has not begun yet."), 400)
    return first, min(last, today), last < today


def build_moderation_page(args: dict[str, str], today: date) -> ModerationPage:
    """The page for the query ``args`` (``don_vi``: agency code, ``ky``: period label)."""
    period = (args.get("ky") or "").strip() or current_half_year(today)
    page = ModerationPage(agencies=_agencies(today), periods=period_choices(today),
                          period=period)
    try:
        unknown = sorted(set(args) - {"don_vi", "ky"})
        if unknown:
            raise PageRefused(_("Unknown parameter: %(names)s.", names=", ".join(unknown)), 400)
        first, last, complete = check_period(period, today)
        code = (args.get("don_vi") or "").strip()
        if not code:
            return page
        page.unit = find_public_agency(code[:64])
        if page.unit is None:
            raise PageRefused(_("No agency has the code “%(code)s”. Choose one from the list.",
                                code=code[:64]), 404)
    except PageRefused as refused:
        page.error, page.status = refused.message, refused.status
        return page
    page.complete = complete
    page.title = describe_period(period, None if complete else last)
    page.log = moderation_log(page.unit, first, last)
    return page


__all__ = ["ModerationPage", "PageRefused", "build_moderation_page", "check_period",
           "describe_period", "period_choices"]
