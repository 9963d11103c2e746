"""What the public transparency pages (``/cong-khai/``) show: per agency, the SIPAS index and
its element indices for the last two complete half-years and the current one so far, and the
PAKN received, answered and handled on time in those periods.

Everything here is an aggregate. The SIPAS figures come from ``reports.indices`` (the same
numbers as the dashboards, flagged responses always left out); the PAKN figures from
``feedback.frames.cases_frame`` (no text, no contact data, no tracking code) and
``analysis.pakn_kpis``. A figure resting on fewer answers than the minimum cell size is never
published, and neither are its distribution counts nor anything that would let a reader
compute it back (see ``public_figures``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from analysis.pakn_kpis import pakn_kpis as compute_pakn_kpis
from analysis.periods import parse_period, previous_period
from analysis.sipas import VALUE_COLUMNS
from core.extensions import db
from core.models import Unit
from core.org import PUBLIC_ROOT_KINDS, build_tree, flatten_tree, unit_by_code
from core.templating import format_date
from feedback.frames import cases_frame
from feedback.kpis import period_bounds, within_unit_clause
from feedback.models import Publication
from reports.charts import Bar, Series, element_bars, trend_lines
from reports.dashboard_model import element_name
from reports.filters import ReportFilters, current_half_year
from reports.indices import ELEMENT_ORDER, SipasReport, sipas_report_for_unit, subtree_units
from surveys.frames import month_rollup_counts
from surveys.month_rollups import ensure_fresh_month_rollups

PUBLIC_PERIODS = 3          # the last two complete half-years and the current one
HIDDEN_SMALL = "small"      # rests on fewer answers than the minimum cell size
HIDDEN_DERIVED = "derived"  # would let a reader compute a small cell back


@dataclass(frozen=True)
class PublicPeriod:
    label: str             # "2026-H1"
    title: str             # "First half of 2026", "… (so far, to 25/11/2026)"
    first_day: date
    last_day: date         # the period's end, or today for the current one
    complete: bool


@dataclass(frozen=True)
class PublicFigure:
    """One published index: ``hidden`` says why its value is withheld (then index, interval,
    n and the distribution are all None or empty, never 0)."""

    key: str
    label: str
    index: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    distribution: tuple[int, ...] = ()
    hidden: str | None = None

    @property
    def shown(self) -> bool:
        return self.hidden is None and self.index is not None


@dataclass(frozen=True)
class PaknFigures:
    received: int
    answered: int
    timed: int             # handled cases that had a legal deadline
    on_time: int

    @property
    def answered_share(self) -> float | None:
        """Percent of the cases received that have been answered."""
        return 100 * self.answered / self.received if self.received else None

    @property
    def on_time_share(self) -> float | None:
        """Percent of the handled cases with a deadline that were handled by it."""
        return 100 * self.on_time / self.timed if self.timed else None


@dataclass
class PeriodFigures:
    period: PublicPeriod
    overall: PublicFigure | None          # None: no rating at all in the period
    elements: list[PublicFigure]
    pakn: PaknFigures
    chart: Markup = Markup("")

    @property
    def has_ratings(self) -> bool:
        return self.overall is not None


@dataclass
class AgencyPage:
    unit: Unit
    periods: list[PeriodFigures]          # newest first
    min_n: int
    target: float
    aggregation: str
    trend_chart: Markup
    answer_units: list[Unit] = field(default_factory=list)
    has_sub_units: bool = False           # its league table (reports.league) has units

    @property
    def chronological(self) -> list[PeriodFigures]:
        return list(reversed(self.periods))


def public_periods(today: date) -> list[PublicPeriod]:
    """The current half-year (so far, up to ``today``) and the two complete ones before it,
    newest first."""
    labels = [current_half_year(today)]
    while len(labels) < PUBLIC_PERIODS:
        labels.append(previous_period(labels[-1]))
    periods = []
    for label in labels:
        _freq, first, last = parse_period(label)
        complete = last < today
        periods.append(PublicPeriod(label=label, title=period_title(label, None if complete
                                                                    else today),
                                    first_day=first, last_day=last if complete else today,
                                    complete=complete))
    return periods


def period_title(label: str, so_far: date | None = None) -> str:
    """"2026-H1" → "First half of 2026"; with ``so_far``, the current period "so far"."""
    year, half = label.split("-H")
    title = (_("First half of %(year)s", year=year) if half == "1"
             else _("Second half of %(year)s", year=year))
    if so_far is not None:
        return _("%(period)s (so far, to %(day)s)", period=title, day=format_date(so_far))
    return title


def find_public_agency(code: str) -> Unit | None:
    """The active agency, commune, service centre or province with this code (the units the
    public home page lists), else None."""
    unit = unit_by_code(code)
    if unit is None or not unit.active or unit.kind not in PUBLIC_ROOT_KINDS:
        return None
    return unit


# --- the list of agencies -------------------------------------------------------------------

def list_public_agencies(today: date) -> list[tuple[Unit, list[Unit]]]:
    """Public units (agencies, communes, service centres, provinces) that received ratings or
    PAKN in the periods the pages show, grouped under their top-level unit in tree order."""
    since = public_periods(today)[-1].first_day
    ensure_fresh_month_rollups()
    ratings = month_rollup_counts(group_by=["unit_id"], since=since, include_flagged=False)
    ids = set(ratings.loc[ratings["count"] > 0, "unit_id"].astype(int))
    start, _end = period_bounds((since, today))
    cases = cases_frame(received_from=start)
    ids |= set(cases["agency_id"].astype(int))
    ids |= {int(unit_id) for unit_id in cases["handling_unit_id"].dropna()}
    if not ids:
        return []
    paths = list(db.session.scalars(select(Unit.path).where(Unit.id.in_(sorted(ids)))))
    candidates = db.session.scalars(select(Unit).where(
        Unit.active.is_(True), Unit.kind.in_(PUBLIC_ROOT_KINDS)))
    # A unit has data when a unit of its subtree (itself included) has some.
    with_data = [unit for unit in candidates
                 if any(path.startswith(unit.path) for path in paths)]
    return [(node.unit, flatten_tree(node.children)) for node in build_tree(with_data)]


# --- one agency ---------------------------------------------------------------------------

def build_agency_page(unit: Unit, *, today: date, moment: datetime) -> AgencyPage:
    """Every figure of the public page of ``unit`` (its whole subtree) as of ``today``."""
    periods = public_periods(today)
    report = sipas_report_for_unit(unit, ReportFilters(
        period=periods[0].label, unit_id=unit.id, campaign=None, channel=None,
        include_flagged=False))
    rows = []
    for period in periods:
        overall, elements = period_indices(report, period.label)
        figures = PeriodFigures(period=period, overall=overall, elements=elements,
                                pakn=pakn_figures(unit, period, moment))
        if figures.has_ratings:
            figures.chart = _element_chart(figures, report)
        rows.append(figures)
    return AgencyPage(unit=unit, periods=rows, min_n=report.min_n, target=report.target,
                      aggregation=report.aggregation,
                      trend_chart=_trend_chart(list(reversed(rows)), report),
                      answer_units=units_with_published_answers(unit),
                      has_sub_units=any(sub.parent_id == unit.id and sub.active
                                        for sub in subtree_units(unit)))


def period_indices(report: SipasReport, label: str) -> tuple[PublicFigure | None,
                                                             list[PublicFigure]]:
    """The overall and element figures of one period of the report's trend."""
    trend = report.trend
    overall = trend.overall[trend.overall["period"] == label]
    elements = trend.elements[trend.elements["period"] == label]
    if overall.empty or int(overall["n"].sum()) == 0:
        return None, []
    return public_figures(overall.iloc[0], elements)


def public_figures(overall: pd.Series, elements: pd.DataFrame) -> tuple[PublicFigure,
                                                                         list[PublicFigure]]:
    """Overall and element figures as the public may see them.

    A row that ``analysis.sipas`` suppressed (fewer answers than the minimum cell size) keeps
    no value, no interval, no n and no distribution. One more rule, for public pages only: the
    overall index is the mean of the element indices (through the components), so when exactly
    one element of the period is hidden, the overall index and the other elements would give
    it back (for instance overall × 5 − the four others); the overall index is then hidden as
    well. With two or more hidden elements only their sum could be inferred, not any one.
    """
    ordered = sorted(elements.to_dict("records"), key=lambda row: _element_key(row["element"]))
    figures = [_figure(str(row["element"]), element_name(str(row["element"])), row)
               for row in ordered if int(row["n"]) > 0]
    top = _figure("overall", _("SIPAS index"), overall.to_dict())
    if top.hidden is None and sum(figure.hidden is not None for figure in figures) == 1:
        top = PublicFigure(key=top.key, label=top.label, hidden=HIDDEN_DERIVED)
    return top, figures


def _element_key(element: str) -> int:
    return ELEMENT_ORDER.index(element) if element in ELEMENT_ORDER else len(ELEMENT_ORDER)


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def _figure(key: str, label: str, row: dict) -> PublicFigure:
    if bool(row["suppressed"]) or _number(row["index"]) is None:
        return PublicFigure(key=key, label=label, hidden=HIDDEN_SMALL)
    return PublicFigure(
        key=key, label=label, index=_number(row["index"]), ci_low=_number(row["ci_low"]),
        ci_high=_number(row["ci_high"]), n=int(row["n"]),
        distribution=tuple(int(row[column]) for column in VALUE_COLUMNS))


def pakn_figures(unit: Unit, period: PublicPeriod, moment: datetime) -> PaknFigures:
    """PAKN received in ``period`` by ``unit``'s subtree or handled in it, as they stand at
    ``moment``. Computed here rather than through ``feedback.kpis.pakn_kpis``, which keeps to
    the cases an actor may see: the public has no grants, and these are counts only. Only
    received and handled counts are used, so no working-day calendar is needed."""
    start, end = period_bounds((period.first_day, period.last_day))
    frame = cases_frame(within_unit_clause(unit), received_from=start, received_before=end)
    kpis = compute_pakn_kpis(frame, moment)
    received = kpis.received
    handling = kpis.handling.set_index("outcome")
    return PaknFigures(
        received=int(received.loc[received["dimension"] == "all", "cases"].sum()),
        answered=int(handling.loc["answered", "cases"]),
        timed=int(handling.loc["total", "timed"]),
        on_time=int(handling.loc["total", "on_time"]))


def units_with_published_answers(unit: Unit) -> list[Unit]:
    """Units of ``unit``'s subtree with published PAKN answers, in tree order: the values the
    ``unit`` filter of /tra-loi-pakn/ accepts. Reads only the publication status and unit."""
    published = select(Publication.unit_id).where(Publication.status == "published")
    return list(db.session.scalars(
        select(Unit).where(Unit.path.like(unit.path + "%"), Unit.id.in_(published))
        .order_by(Unit.path)))


# --- charts -------------------------------------------------------------------------------

def _note(report: SipasReport) -> str:
    return _("fewer than %(n)s answers", n=report.min_n)


def _element_chart(figures: PeriodFigures, report: SipasReport) -> Markup:
    bars = [Bar(label=figure.label, value=figure.index, low=figure.ci_low,
                high=figure.ci_high, n=figure.n, key=figure.key,
                note=None if figure.shown else _note(report))
            for figure in figures.elements]
    return element_bars(bars, target=report.target,
                        chart_id=f"chart-elements-{figures.period.label}",
                        title=_("Satisfaction by element, %(period)s",
                                period=figures.period.title))


def _trend_chart(chronological: list[PeriodFigures], report: SipasReport) -> Markup:
    points = []
    for figures in chronological:
        overall = figures.overall
        shown = overall is not None and overall.shown
        points.append((figures.period.title, overall.index if shown else None,
                       overall.ci_low if shown else None, overall.ci_high if shown else None))
    return trend_lines([Series(label=_("SIPAS index"), points=points)], target=report.target,
                       chart_id="chart-trend", title=_("SIPAS index by half-year"))
