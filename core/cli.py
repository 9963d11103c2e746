"""`flask core …`: set-up commands. They call the same services as the pages."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from core.audit import acting_as
from core.db import write_intent
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Role

core_cli = AppGroup("core", help="Set-up and maintenance of the core (units, accounts).")


@core_cli.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo organisation, accounts and data (idempotent)."""
    from core.demo import DEMO_PASSWORD, demo_logins, seed_demo

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
    from core.users import NewUser, create_user, grant_role

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
