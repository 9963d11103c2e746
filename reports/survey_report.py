"""The printable survey report: what the SIPAS dashboard shows, arranged as the report an
analyst files (method, sample, results, comparison, ranking, PAKN, recommendations), plus the
pieces only the report needs: the questionnaires behind the figures, the sample by unit and
channel, the element comparison with the previous period and generated recommendations.

Every figure comes from the dashboard's rows (``reports.dashboard``), so the report, the page
and the exports agree."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from core.access import Actor
from core.clock import LOCAL_TZ
from core.extensions import db
from core.models import Unit
from reports.dashboard import build_dashboard
from reports.dashboard_model import Dashboard, IndexRow, element_name
from reports.formatting import format_number, is_missing
from reports.indices import SipasReport
from reports.models import ImprovementTask
from reports.plan_catalogue import usable_tasks
from surveys.labels import CHANNEL_LABELS
from surveys.models import Instrument, InstrumentVersion, Response


@dataclass(frozen=True)
class Questionnaire:
    """A questionnaire version that answers in the report came from."""

    name: str
    title: str
    version: int
    responses: int


@dataclass(frozen=True)
class SampleLine:
    unit: str
    channel: str
    passed: int
    flagged: int

    @property
    def total(self) -> int:
        return self.passed + self.flagged


@dataclass(frozen=True)
class Comparison:
    """One element (or the overall index) in this period and the previous one."""

    key: str
    label: str
    current: float | None
    previous: float | None
    current_hidden: bool
    previous_hidden: bool
    change: float | None
    p_value: float | None
    significant: bool


@dataclass
class Recommendation:
    element: str
    label: str
    reasons: list[str]
    tasks: list[ImprovementTask] = field(default_factory=list)


@dataclass
class SurveyReport:
    dashboard: Dashboard
    questionnaires: list[Questionnaire]
    sample: list[SampleLine]
    comparison: list[Comparison]
    recommendations: list[Recommendation]

    @property
    def report(self) -> SipasReport:
        return self.dashboard.report


def build_survey_report(actor: Actor, report: SipasReport) -> SurveyReport:
    """The printable report of ``report`` (already checked to be in ``actor``'s scope)."""
    dashboard = build_dashboard(actor, report)
    return SurveyReport(
        dashboard=dashboard, questionnaires=questionnaires_used(report),
        sample=sample_by_unit_and_channel(report), comparison=element_comparison(dashboard),
        recommendations=recommendations(dashboard))


def questionnaires_used(report: SipasReport) -> list[Questionnaire]:
    """The questionnaire versions of the responses counted in the figures (same unit
    subtree, days, campaign, channel and flagged choice), most used first."""
    filters = report.filters
    start = datetime.combine(filters.first_day, time.min, tzinfo=LOCAL_TZ)
    end = datetime.combine(filters.last_day + timedelta(days=1), time.min, tzinfo=LOCAL_TZ)
    clauses = [Unit.path.like(report.root.path + "%"), Response.submitted_at >= start,
               Response.submitted_at < end]
    if filters.campaign == "none":
        clauses.append(Response.campaign_id.is_(None))
    elif filters.campaign is not None:
        clauses.append(Response.campaign_id == filters.campaign)
    if filters.channel:
        clauses.append(Response.channel == filters.channel)
    if not filters.include_flagged:
        clauses.append(Response.quality == "ok")
    count = func.count(Response.id)
    rows = db.session.execute(
        select(Instrument.name_vi, InstrumentVersion.title_vi, InstrumentVersion.number, count)
        .join(Unit, Unit.id == Response.unit_id)
        .join(InstrumentVersion, InstrumentVersion.id == Response.version_id)
        .join(Instrument, Instrument.id == InstrumentVersion.instrument_id)
        .where(*clauses)
        .group_by(Instrument.name_vi, InstrumentVersion.title_vi, InstrumentVersion.number)
        .order_by(count.desc(), Instrument.name_vi, InstrumentVersion.number)).all()
    return [Questionnaire(name, title, int(number), int(responses))
            for name, title, number, responses in rows]


def sample_by_unit_and_channel(report: SipasReport) -> list[SampleLine]:
    """Responses per unit and channel, split into those that passed the checks and those
    flagged for review (flagged ones are listed even when left out of the figures)."""
    sample = report.sample
    if sample.empty:
        return []
    table = sample.pivot_table(index=["unit_id", "channel"], columns="quality",
                               values="responses", aggfunc="sum", fill_value=0)
    lines = []
    for (unit_id, channel), counts in table.iterrows():
        lines.append(SampleLine(
            unit=report.unit_names.get(int(unit_id), "?"),
            channel=str(CHANNEL_LABELS.get(channel, channel)),  # type: ignore[call-overload]
            passed=int(counts.get("ok", 0)), flagged=int(counts.get("flagged", 0))))
    return lines


def element_comparison(dashboard: Dashboard) -> list[Comparison]:
    """The overall index and each element against the previous period."""
    report = dashboard.report
    previous = {row["element"]: row for row in report.previous.elements.to_dict("records")}
    previous_overall = (report.previous.overall.iloc[0].to_dict()
                        if len(report.previous.overall) else None)
    rows: list[tuple[IndexRow, dict | None]] = []
    if dashboard.overall is not None:
        rows.append((dashboard.overall, previous_overall))
    rows += [(row, previous.get(row.key)) for row in dashboard.elements]
    lines = []
    for row, before in rows:
        before_hidden = bool(before["suppressed"]) if before is not None else False
        before_index = None if before is None or before_hidden or is_missing(before["index"]) \
            else float(before["index"])
        lines.append(Comparison(
            key=row.key, label=row.label, current=None if row.suppressed else row.index,
            previous=before_index, current_hidden=row.suppressed,
            previous_hidden=before_hidden, change=row.change, p_value=row.p_value,
            significant=row.significant))
    return lines


def _same_text(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def recommendations(dashboard: Dashboard) -> list[Recommendation]:
    """One entry per element under its target or significantly lower than in the previous
    period, with the reason in words and the catalogue tasks that address it (the unit's own
    and its agency's tasks and the shipped ones; the same task text once)."""
    report = dashboard.report
    by_element: dict[str, Recommendation] = {}
    labels = {row.key: row.label for row in dashboard.elements}
    for gap in report.element_gaps():
        entry = by_element.setdefault(gap.element, Recommendation(
            gap.element, labels.get(gap.element, element_name(gap.element)), []))
        entry.reasons.append(_(
            "%(index)s%% satisfied against a target of %(target)s%%: %(gap)s points short "
            "(n = %(n)s answers).", index=format_number(gap.index_pct),
            target=format_number(gap.target_pct, 0),
            gap=format_number(gap.target_pct - gap.index_pct), n=format_number(gap.n, 0)))
    for row in dashboard.elements:
        if not row.significant or row.change is None or row.change >= 0:
            continue
        entry = by_element.setdefault(row.key, Recommendation(row.key, row.label, []))
        entry.reasons.append(_(
            "Fell by %(change)s points against %(previous)s, a significant change "
            "(p = %(p)s).", change=format_number(-row.change),
            previous=report.previous_label, p=format_number(row.p_value, 3)))
    ordered = [by_element[row.key] for row in dashboard.elements if row.key in by_element]
    if ordered:
        tasks = usable_tasks(report.root, elements=[entry.element for entry in ordered])
        for entry in ordered:
            seen: set[str] = set()
            for task in tasks:
                if task.element != entry.element or _same_text(task.task_vi) in seen:
                    continue
                seen.add(_same_text(task.task_vi))
                entry.tasks.append(task)
    return ordered

