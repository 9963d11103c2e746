"""`flask surveys …`: questionnaire loading. The commands call the same services as the pages."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from core.audit import acting_as
from core.db import write_intent
from core.exceptions import ServiceError
from core.extensions import db
from surveys.instrument_files import InstrumentFileError, read_instrument_file
from surveys.instruments import load_instrument_spec, shipped_files
from surveys.month_rollups import refresh_month_rollups
from surveys.rollups import recount_rollups, rollup_differences

surveys_cli = AppGroup("surveys", help="Questionnaires, collection points and responses.")

OUTCOMES = {"created": "created", "new_version": "new version", "unchanged": "unchanged"}


@surveys_cli.command("load-instruments")
@click.argument("paths", nargs=-1,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load_instruments_command(paths: tuple[Path, ...]) -> None:
    """Load questionnaire files (default: every file in surveys/data). Idempotent: a file
    equal to the published version changes nothing; a changed file makes a new version."""
    files = list(paths) or shipped_files()
    specs, problems = [], []
    # Check every file before loading any, so one bad file reports all its problems and
    # nothing is half-loaded.
    for path in files:
        try:
            specs.append(read_instrument_file(path))
        except InstrumentFileError as error:
            problems.append(str(error))
    if problems:
        raise click.ClickException("\n".join(problems))
    with write_intent(), acting_as("cli:surveys load-instruments"):
        try:
            results = [load_instrument_spec(spec) for spec in specs]
        except ServiceError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from error
        lines = [_describe(result) for result in results]
        db.session.commit()
    for line in lines:
        click.echo(line)


def _describe(result) -> str:
    version = result.version
    text = (f"{version.instrument.code}: version {version.number} "
            f"({OUTCOMES[result.outcome]}, {len(version.items)} items)")
    if result.retired:
        text += f"; retired version {', '.join(str(n) for n in result.retired)}"
    return text


@surveys_cli.command("check-rollups")
def check_rollups_command() -> None:
    """Compare the rollup counts with a recount from raw responses; exit 1 when they differ."""
    differences = rollup_differences()
    for difference in differences[:50]:
        click.echo(f"differs: {difference}")
    if differences:
        raise click.ClickException(
            f"{len(differences)} rollup keys differ from the raw responses; run "
            "`flask surveys recount-rollups`.")
    click.echo("rollups match the raw responses")


@surveys_cli.command("recount-rollups")
def recount_rollups_command() -> None:
    """Rebuild the daily and month rollups from raw responses in one transaction (readers
    never see a half-built rollup)."""
    with write_intent(), acting_as("cli:surveys recount-rollups"):
        rows = recount_rollups()
        months = refresh_month_rollups(full=True).months
        db.session.commit()
    click.echo(f"rollup rebuilt: {rows} rows; month rollup rebuilt: {len(months)} months")
