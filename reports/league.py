"""League tables of a unit's direct sub-units for a period: by SIPAS index and by PAKN on-time
rate, each with its 95% interval, sample size, rank band and comparison with the median unit
(the statistics are ``analysis.league``'s; read its docstring for the methods).

The SIPAS figures are the dashboard's own (``reports.indices``: the month rollup, flagged
responses as the filters say, desks rolled up to the unit they belong to); the PAKN figures
come from ``feedback.frames.cases_frame`` (no text, no contact data) and
``analysis.pakn_kpis.case_outcomes``. Both use the minimum cell size of the public pages, the
setting ``sipas.min_cell_size``. Ratings and cases of the root unit itself (its own desks, cases
it registered and never assigned) are in no row: they belong to no sub-unit.

Public tables (``public=True``) apply complementary suppression and drop the sample size of a
hidden unit, as the public agency pages do; the internal tables show every unit's sample size
(a hidden figure shows as "n < 5" beside its count, as on the dashboard), never the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from flask_babel import gettext as _
from sqlalchemy import ColumnElement

from analysis.league import league_table, on_time_by_unit, proportion_table
from analysis.pakn_kpis import case_outcomes
from analysis.periods import parse_period
from core.models import Unit
from feedback.frames import cases_frame
from feedback.kpis import period_bounds, within_unit_clause
from reports.filters import ReportFilters
from reports.indices import sipas_report_for_unit, subtree_units
from reports.public import public_periods

SIPAS, PAKN = "sipas", "pakn"


class LeagueInputError(ValueError):
    """A period or parameter the public league page cannot use (answered with a 400)."""


@dataclass(frozen=True)
class LeagueRow:
    """One unit of a league table. A hidden row (``hidden`` "small" or "derived") has no
    value, interval or rank; on public tables not even its sample size (``n`` None)."""

    unit_id: int
    name: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int | None
    n_eff: float | None
    successes: int | None          # PAKN handled on time (of ``n`` timed cases)
    rank: int | None
    best_rank: int | None
    worst_rank: int | None
    versus_median: str | None      # "above", "below", "same" or None (not tested)
    hidden: str | None

    @property
    def shown(self) -> bool:
        return self.hidden is None and self.value is not None

    @property
    def band(self) -> str:
        """"3" when the rank is certain, "2–5" when the intervals allow any of those."""
        if self.best_rank is None or self.worst_rank is None:
            return "—"
        if self.best_rank == self.worst_rank:
            return str(self.best_rank)
        return f"{self.best_rank}–{self.worst_rank}"


@dataclass(frozen=True)
class League:
    measure: str                   # SIPAS or PAKN
    rows: list[LeagueRow]
    benchmark: float | None        # the median unit's value, None when not tested

    @property
    def ranked(self) -> int:
        return sum(row.shown for row in self.rows)

    @property
    def hidden(self) -> int:
        return sum(row.hidden is not None for row in self.rows)


@dataclass(frozen=True)
class LeaguePage:
    root: Unit
    period: str
    first_day: date
    last_day: date
    min_n: int
    target: float
    sipas: League
    pakn: League
    public: bool
    refreshed_at: datetime | None


def league_units(root: Unit) -> list[Unit]:
    """The active direct sub-units of ``root``, in tree order: the units a league ranks."""
    return [unit for unit in subtree_units(root) if unit.parent_id == root.id and unit.active]


def unit_groups(root: Unit, units: list[Unit]) -> dict[int, int]:
    """Every unit of the league units' subtrees → the league unit it counts for."""
    groups = {}
    for unit in subtree_units(root):
        for league_unit in units:
            if unit.path.startswith(league_unit.path):
                groups[unit.id] = league_unit.id
                break
    return groups


def public_league_period(raw: str | None, today: date) -> tuple[str, date, date]:
    """The period a public league page shows: one of the half-years the public pages show
    (default: the last complete one), as (label, first day, last day so far)."""
    periods = public_periods(today)
    if raw is None:
        chosen = periods[1]
    else:
        chosen = next((period for period in periods if period.label == raw.strip()), None)
        if chosen is None:
            raise LeagueInputError(_(
                "Unknown period “%(value)s”: choose one of %(choices)s.", value=raw,
                choices=", ".join(period.label for period in periods)))
    return chosen.label, chosen.first_day, chosen.last_day


def build_league(root: Unit, filters: ReportFilters, *, moment: datetime, public: bool,
                 last_day: date | None = None,
                 case_scope: ColumnElement[bool] | None = None) -> LeaguePage:
    """Both league tables of ``root``'s direct sub-units for ``filters``' period.

    ``last_day`` cuts the PAKN period short (the current half-year "so far"); ``case_scope``
    limits the PAKN cases to those an actor may see (internal pages; the public pages count
    every case, as the public agency pages do). The caller checked access to ``root``."""
    report = sipas_report_for_unit(root, filters)
    units = league_units(root)
    names = {unit.id: unit.name_vi for unit in units}
    overall = report.by_unit.overall
    sipas_frame = pd.DataFrame({"unit_id": [unit.id for unit in units]}).merge(
        overall[overall["unit_id"] != root.id], on="unit_id", how="left")
    sipas_frame = sipas_frame.assign(
        value=sipas_frame["index"], n=sipas_frame["n"].fillna(0).astype("int64"),
        n_eff=sipas_frame["n_eff"].fillna(0.0),
        suppressed=sipas_frame["suppressed"].fillna(False).astype(bool), successes=pd.NA)
    sipas = _league(SIPAS, league_table(sipas_frame, protect=public), names, public)

    _freq, first, last = parse_period(filters.period)
    counts = _pakn_counts(root, units, (first, min(last, last_day or last)), moment,
                          case_scope)
    pakn_frame = proportion_table(counts, successes="on_time", trials="timed",
                                  min_n=report.min_n)
    pakn_frame = pakn_frame.assign(n_eff=pakn_frame["n"].astype("float64"),
                                   successes=pakn_frame["on_time"])
    pakn = _league(PAKN, league_table(pakn_frame, protect=public), names, public)
    return LeaguePage(root=root, period=filters.period, first_day=first,
                      last_day=min(last, last_day or last), min_n=report.min_n,
                      target=report.target, sipas=sipas, pakn=pakn, public=public,
                      refreshed_at=report.refreshed_at)


def _pakn_counts(root: Unit, units: list[Unit], period: tuple[date, date], moment: datetime,
                 case_scope: ColumnElement[bool] | None) -> pd.DataFrame:
    start, end = period_bounds(period)
    clauses = [within_unit_clause(root)] + ([case_scope] if case_scope is not None else [])
    cases = cases_frame(*clauses, received_from=start, received_before=end)
    outcomes = case_outcomes(cases, moment)
    return on_time_by_unit(cases, outcomes, unit_groups(root, units))


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def _whole(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)  # type: ignore[arg-type]


def _league(measure: str, table: pd.DataFrame, names: dict[int, str], public: bool) -> League:
    rows = []
    for record in table.to_dict("records"):
        hidden = record["hidden"]
        # Public pages never show anything of a hidden figure, not even its sample size.
        secret = public and hidden is not None
        rows.append(LeagueRow(
            unit_id=int(record["unit_id"]), name=names.get(int(record["unit_id"]), "?"),
            value=_number(record["value"]), ci_low=_number(record["ci_low"]),
            ci_high=_number(record["ci_high"]),
            n=None if secret else int(record["n"]),
            n_eff=None if secret else _number(record["n_eff"]),
            successes=None if secret or hidden is not None else _whole(record["successes"]),
            rank=_whole(record["rank"]), best_rank=_whole(record["best_rank"]),
            worst_rank=_whole(record["worst_rank"]),
            versus_median=record["versus_median"], hidden=hidden))
    benchmark = _number(table["benchmark"].iloc[0]) if len(table) else None
    return League(measure=measure, rows=rows, benchmark=benchmark)


def export_rows(page: LeaguePage) -> list[list[object]]:
    """Both tables as spreadsheet rows (header first): unrounded values, a hidden figure as
    the text "n < min" with its sample size (internal exports only)."""
    header = [_("Measure"), _("Unit"), _("Rank"), _("Rank band (best)"),
              _("Rank band (worst)"), _("Value (%)"), _("Interval low (95%)"),
              _("Interval high (95%)"), _("Sample size (n)"), _("Effective sample size"),
              _("Handled on time"), _("Against the median unit"), _("Median unit (%)")]
    rows: list[list[object]] = [header]
    labels = {SIPAS: _("SIPAS index"), PAKN: _("PAKN handled on time")}
    for league in (page.sipas, page.pakn):
        for row in league.rows:
            value: object = row.value
            if row.hidden is not None:
                value = f"n < {page.min_n}"
            rows.append([labels[league.measure], row.name, row.rank, row.best_rank,
                         row.worst_rank, value, row.ci_low, row.ci_high, row.n, row.n_eff,
                         row.successes, median_label(row.versus_median), league.benchmark])
    return rows


def median_label(marker: str | None) -> str:
    """The comparison with the median unit in words (also used by the pages)."""
    return {"above": _("significantly above the median unit"),
            "below": _("significantly below the median unit"),
            "same": _("not significantly different")}.get(marker or "", "")
