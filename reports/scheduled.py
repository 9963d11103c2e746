"""Quarterly and yearly SIPAS reports, produced by a periodic job and kept in ``report_runs``.

For every unit that reports on its own (``report_units``: each tree root, agency and commune)
and the last complete quarter and year, the job writes the dashboard workbook
(``reports.exports.dashboard_workbook``) once: a run that exists and succeeded is never made
again, so the job may run every few hours, on several workers, and produces one file per unit
and period. A unit whose report fails gets a run with status "failed" and the error, the other
units go on, and the failed run is tried again on the next pass.

Whose view is the report?
    The SIPAS figures do not depend on the viewer. The PAKN panel does: the dashboard counts
    the cases the viewer may see. A scheduled report is read by those who hold REPORTS_VIEW on
    its unit (``reports.views.report_runs``), and each of them sees, on the dashboard, exactly
    the cases of the unit's subtree. So the job counts the PAKN of that subtree, through an
    actor that holds only REPORTS_VIEW on the unit: ``report_reader``, an API key object that
    is built in memory and never stored or usable for a request. No user's identity is
    borrowed and nothing outside the unit is counted.

Transactions: each unit's run is committed on its own, so one failure (rolled back) does not
undo the others; a unique constraint on (unit, kind, period) stops two workers from storing
the same run twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from analysis.periods import parse_period, previous_period
from core.access import Permission
from core.clock import now
from core.clock import today as local_today
from core.extensions import db
from core.models import ApiKey, Unit, UnitKind
from reports.dashboard import build_dashboard
from reports.exports import dashboard_workbook
from reports.filters import ReportFilters
from reports.indices import sipas_report_for_unit
from reports.models import ReportRun

log = logging.getLogger(__name__)

# kind → the period frequency it covers (analysis.sipas.parse_period's names).
KINDS = {"quarterly": "quarter", "yearly": "year"}
REPORTING_KINDS = (UnitKind.AGENCY.value, UnitKind.COMMUNE.value)
MAX_ERROR = 500


@dataclass
class RunOutcome:
    unit_code: str
    kind: str
    period_label: str
    status: str          # "done" | "failed" | "exists"
    filename: str | None = None
    size_bytes: int = 0
    error: str | None = None


@dataclass
class ProduceResult:
    outcomes: list[RunOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(outcome.status == status for outcome in self.outcomes)

    def summary(self) -> dict[str, int]:
        return {status: self.count(status) for status in ("done", "failed", "exists")}


def kind_of_period(label: str) -> str:
    """"2026-Q3" → "quarterly", "2026" → "yearly"; anything else raises ValueError."""
    freq = parse_period(label)[0]
    for kind, kind_freq in KINDS.items():
        if freq == kind_freq:
            return kind
    raise ValueError(f"period must be a quarter (2026-Q3) or a year (2026), got {label!r}")


def last_complete_period(kind: str, day: date) -> str:
    """The last quarter or year that ended before ``day``."""
    if kind == "quarterly":
        return previous_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    if kind == "yearly":
        return str(day.year - 1)
    raise ValueError(f"kind must be one of {tuple(KINDS)}, got {kind!r}")


def report_units() -> list[Unit]:
    """Units that get their own periodic report: every active root of the tree (a province)
    and every active agency and commune (each makes its own SIPAS plan and report), in tree
    order. Departments, centres and desks are inside their agency's report."""
    return list(db.session.scalars(
        select(Unit).where(Unit.active.is_(True),
                           or_(Unit.parent_id.is_(None), Unit.kind.in_(REPORTING_KINDS)))
        .order_by(Unit.path)))


def report_reader(unit: Unit) -> ApiKey:
    """An actor holding REPORTS_VIEW on ``unit``'s subtree and nothing else, for the PAKN
    panel (see the module docstring). Never added to the session: it cannot be used to sign a
    request, and nothing about it is stored."""
    return ApiKey(name="scheduled report", prefix="-", secret_hash="-", unit=unit,
                  unit_id=unit.id, permissions=[Permission.REPORTS_VIEW.value])


def run_filename(unit_code: str, period_label: str) -> str:
    return f"sipas-{unit_code}-{period_label}.xlsx"


def period_workbook(unit: Unit, period_label: str) -> bytes:
    """The dashboard workbook of ``unit``'s subtree for the period, with the default filters
    (every campaign and channel, flagged responses left out)."""
    filters = ReportFilters(period=period_label, unit_id=unit.id, campaign=None, channel=None,
                            include_flagged=False)
    report = sipas_report_for_unit(unit, filters)
    reader = report_reader(unit)
    try:
        return dashboard_workbook(build_dashboard(reader, report))
    finally:
        # The reader is a transient object tied to ``unit``: make sure no cascade ever
        # carried it into the session.
        if reader in db.session:
            db.session.expunge(reader)


def produce_period_reports(today: date | None = None, *, kinds: tuple[str, ...] = tuple(KINDS),
                           period: str | None = None, units: list[Unit] | None = None,
                           force: bool = False, created_by_id: int | None = None
                           ) -> ProduceResult:
    """Produce the missing reports of the last complete quarter and year before ``today``
    (or of ``period`` only), for ``units`` (default ``report_units()``). A run that exists
    and succeeded is kept unless ``force``; a failed one is tried again. Commits each run."""
    day = today or local_today()
    if period is not None:
        periods = [(kind_of_period(period), period)]
    else:
        unknown = [kind for kind in kinds if kind not in KINDS]
        if unknown:
            raise ValueError(f"kinds must be among {tuple(KINDS)}, got {unknown!r}")
        periods = [(kind, last_complete_period(kind, day)) for kind in kinds]
    unit_ids = [unit.id for unit in (units if units is not None else report_units())]
    result = ProduceResult()
    for kind, label in periods:
        for unit_id in unit_ids:
            result.outcomes.append(_produce_one(unit_id, kind, label, force=force,
                                                created_by_id=created_by_id))
    return result


def _existing(unit_id: int, kind: str, label: str) -> ReportRun | None:
    return db.session.execute(select(ReportRun).where(
        ReportRun.unit_id == unit_id, ReportRun.kind == kind,
        ReportRun.period_label == label)).scalar_one_or_none()


def _produce_one(unit_id: int, kind: str, label: str, *, force: bool,
                 created_by_id: int | None) -> RunOutcome:
    unit = db.session.get(Unit, unit_id)
    assert unit is not None
    code = unit.code
    run = _existing(unit_id, kind, label)
    if run is not None and run.status == "done" and not force:
        return RunOutcome(code, kind, label, "exists", run.filename, run.size_bytes)
    content: bytes | None = None
    error: str | None = None
    try:
        content = period_workbook(unit, label)
    except Exception as failure:  # one unit's failure must not stop the others
        db.session.rollback()
        log.exception("report %s %s for %s failed", kind, label, code)
        error = f"{type(failure).__name__}: {failure}"[:MAX_ERROR]
    _, first, last = parse_period(label)
    run = _existing(unit_id, kind, label)  # again: a rollback expired what we had
    if run is None:
        run = ReportRun(unit_id=unit_id, kind=kind, period_label=label)
        db.session.add(run)
    run.period_start, run.period_end = first, last
    run.status = "done" if error is None else "failed"
    run.error = error
    run.content = content
    run.size_bytes = len(content) if content is not None else 0
    run.filename = run_filename(code, label) if content is not None else None
    run.created_by_id = created_by_id
    run.created_at = now()
    try:
        db.session.commit()
    except IntegrityError:
        # Another worker stored this run between our check and our commit: theirs stands.
        db.session.rollback()
        return RunOutcome(code, kind, label, "exists")
    return RunOutcome(code, kind, label, run.status, run.filename, run.size_bytes, error)


def produce_period_reports_job() -> dict[str, int]:
    """The periodic job: the missing reports of the last complete quarter and year."""
    return produce_period_reports().summary()


