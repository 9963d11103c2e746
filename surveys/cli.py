"""`flask surveys …`: questionnaire loading, XLSForm import and export, rollup checks. The
commands call the same services as the pages."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from core.audit import acting_as
from core.db import write_intent
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit
from surveys.instrument_files import InstrumentFileError, read_instrument_file
from surveys.instruments import (
    get_version,
    import_instrument_draft,
    instrument_by_code,
    load_instrument_spec,
    shipped_files,
)
from surveys.month_rollups import refresh_month_rollups
from surveys.rollups import recount_rollups, rollup_differences
from surveys.xlsform import export_xlsform
from surveys.xlsform_import import read_xlsform
from surveys.xlsform_sheets import XLSFormError

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


@surveys_cli.command("export-xlsform")
@click.argument("code")
@click.option("--number", type=int, help="Version number (default: the published version, "
              "else the latest).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: CODE-vNUMBER.xlsx in the current folder).")
def export_xlsform_command(code: str, number: int | None, output: Path | None) -> None:
    """Write a questionnaire version as an XLSForm workbook (Kobo, ODK)."""
    instrument = instrument_by_code(code)
    if instrument is None:
        raise click.ClickException(f"no questionnaire with the code {code!r}")
    if number is None:
        version = get_version(code) or instrument.versions[-1]
    else:
        version = next((v for v in instrument.versions if v.number == number), None)
        if version is None:
            raise click.ClickException(f"{code} has no version {number}")
    path = output or Path(f"{code}-v{version.number}.xlsx")
    path.write_bytes(export_xlsform(version))
    click.echo(f"{code}: version {version.number} ({version.status}, {len(version.items)} "
               f"items) written to {path}")


@surveys_cli.command("import-xlsform")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--unit", "unit_code", help="Code of the unit that owns a new questionnaire "
              "(not needed when the file's form_id is an existing questionnaire).")
def import_xlsform_command(path: Path, unit_code: str | None) -> None:
    """Import an XLSForm workbook as a draft version (nothing is published). Every problem of
    the file is listed, with its sheet and row, and then nothing is imported."""
    try:
        with force_locale("en"):  # like the other commands' messages
            result = read_xlsform(path.read_bytes(), path.name)
    except XLSFormError as error:
        raise click.ClickException(f"{path}: nothing imported:\n" + "\n".join(
            f"  - {problem}" for problem in error.problems)) from error
    unit = None
    if unit_code:
        unit = db.session.scalar(db.select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise click.ClickException(f"no unit with the code {unit_code!r}")
    with write_intent(), acting_as("cli:surveys import-xlsform"):
        try:
            with force_locale("en"):
                version = import_instrument_draft(result.spec, unit, None, path.name)
        except ServiceError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from error
        line = (f"{result.spec.code}: draft version {version.number} ({len(version.items)} "
                f"items) imported from {path.name}")
        db.session.commit()
    click.echo(line)
    if result.skipped:
        click.echo(f"metadata rows left out: {', '.join(result.skipped)}")


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
