"""``flask reports …``: scheduled reports and month rollups."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from core.audit import acting_as
from core.db import write_intent
from core.extensions import db
from core.models import Unit

# Importing the module registers the "reports.period" periodic job with core.jobs (this
# module is loaded by create_app for every process, the job worker included).
from reports import scheduled
from surveys.month_rollups import refresh_month_rollups

reports_cli = AppGroup("reports", help="Analysis and reports.")


@reports_cli.command("produce")
@click.option("--kind", type=click.Choice(tuple(scheduled.KINDS)),
              help="Only quarterly or only yearly reports (default: both).")
@click.option("--period", help="A quarter (2026-Q3) or a year (2026); default: the last "
                               "complete quarter and year.")
@click.option("--unit", "unit_code", metavar="CODE",
              help="Only this unit (any unit, by code); default: every root, agency and "
                   "commune.")
@click.option("--force", is_flag=True, help="Produce again a report that already exists.")
def produce_command(kind: str | None, period: str | None, unit_code: str | None,
                    force: bool) -> None:
    """Produce the quarterly and yearly SIPAS reports that are missing (what the periodic
    job "reports.period" does), and list what happened to each."""
    if period is not None:
        try:
            period_kind = scheduled.kind_of_period(period)
        except ValueError:
            raise click.BadParameter("use a quarter such as 2026-Q3 or a year such as 2026",
                                     param_hint="--period") from None
        if kind is not None and kind != period_kind:
            raise click.BadParameter(f"{period} is not a {kind} period", param_hint="--kind")
    # Every query runs in a write transaction (SQLite: BEGIN IMMEDIATE from the start).
    with write_intent(), acting_as("cli:reports produce"):
        units = None
        if unit_code is not None:
            unit = db.session.execute(
                select(Unit).where(Unit.code == unit_code)).scalar_one_or_none()
            if unit is None:
                db.session.rollback()
                raise click.BadParameter(f"no unit has the code {unit_code!r}",
                                         param_hint="--unit")
            units = [unit]
        result = scheduled.produce_period_reports(
            kinds=(kind,) if kind else tuple(scheduled.KINDS), period=period, units=units,
            force=force)
    for outcome in result.outcomes:
        line = f"{outcome.unit_code} {outcome.kind} {outcome.period_label}: {outcome.status}"
        if outcome.status == "failed":
            line += f" ({outcome.error})"
        elif outcome.filename:
            line += f" ({outcome.filename}, {outcome.size_bytes} bytes)"
        click.echo(line)
    summary = result.summary()
    click.echo(f"{summary['done']} produced, {summary['exists']} already there, "
               f"{summary['failed']} failed")
    if summary["failed"]:
        raise click.ClickException(f"{summary['failed']} reports failed; see the log.")


@reports_cli.command("refresh-rollups")
@click.option("--full", is_flag=True, help="Rebuild every month, not only the months of new "
                                           "responses.")
def refresh_rollups_command(full: bool) -> None:
    """Fold new responses into the month rollup the dashboards read (what the periodic job
    "surveys.month_rollups" does every minute)."""
    with write_intent(), acting_as("cli:reports refresh-rollups"):
        result = refresh_month_rollups(full=full)
        db.session.commit()
    click.echo(f"month rollup refreshed: {len(result.months)} months, "
               f"watermark {result.watermark}")
