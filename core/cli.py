"""`flask core …`: set-up commands. They call the same services as the pages."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from core.audit import acting_as
from core.backup import BackupError, create_backup, restore_backup
from core.db import write_intent
from core.demo import DEMO_PASSWORD, demo_logins, seed_demo
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Role
from core.users import NewUser, create_user, grant_role

core_cli = AppGroup("core", help="Set-up and maintenance of the core (units, accounts, backups).")


@core_cli.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo organisation, accounts and data (idempotent)."""
    with write_intent(), acting_as("cli:seed-demo"):
        counts = seed_demo()
        db.session.commit()
    click.echo(f"Demo data: {counts['units']} new units, {counts['accounts']} new accounts.")
    click.echo("")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD})")
    for username, role, unit in demo_logins():
        click.echo(f"  {username:<18} {role:<14} {unit}")


@core_cli.command("create-admin")
@click.option("--username", prompt=True)
@click.option("--full-name", prompt=True)
@click.password_option()
def create_admin_command(username: str, full_name: str, password: str) -> None:
    """Create a system administrator (first set-up of a production install)."""
    with write_intent(), acting_as("cli:create-admin"):
        try:
            user = create_user(NewUser(username=username, full_name=full_name, password=password,
                                       must_change_password=False))
            grant_role(None, user, Role.SYSTEM_ADMIN, None)
        except ServiceError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from error
        db.session.commit()
    click.echo(f"System administrator {user.username} created.")


@core_cli.command("backup")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def backup_command(directory: Path) -> None:
    """Back up the database and the uploads folder into DIRECTORY (new or empty)."""
    try:
        manifest = create_backup(directory)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    rows = sum(table["rows"] for table in manifest["tables"].values())
    click.echo(f"Backup in {directory}: {manifest['engine']} at "
               f"{', '.join(manifest['revision'])}, {len(manifest['tables'])} tables, "
               f"{rows} rows, {len(manifest['uploads'])} uploaded files.")
    click.echo("The contact keys (CONTACT_KEYS) are not in it: keep them apart, restore "
               "needs them.")


@core_cli.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--without-contact-keys", is_flag=True,
              help="Restore even if the configured keys cannot read the contact data.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(directory: Path, without_contact_keys: bool, yes: bool) -> None:
    """Replace the database and the uploads folder with the backup in DIRECTORY."""
    if not yes:
        click.confirm("This replaces the whole database and the uploads folder. Stop the app "
                      "and the job runners first. Go on?", abort=True)
    try:
        report = restore_backup(directory, without_contact_keys=without_contact_keys)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored {report['tables']} tables ({report['rows']} rows) at "
               f"{', '.join(report['revision'])} and {report['files']} uploaded files; "
               "every table matches the manifest.")
    if report["unreadable_contact_samples"]:
        click.echo("Warning: the configured CONTACT_KEYS cannot read the restored contact "
                   "data.", err=True)
