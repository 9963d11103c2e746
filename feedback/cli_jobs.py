"""`flask feedback remind | escalate-late | purge-contacts | rotate-keys`: the deadline and
personal-data jobs on demand (``flask jobs work`` runs the first three hourly)."""

from __future__ import annotations

import click

from core.audit import acting_as
from core.db import write_intent
from core.extensions import db
from feedback.cli import feedback_cli
from feedback.deadline_jobs import escalate_overdue, remind_due_cases
from feedback.retention import purge_expired_contacts, rotate_encryption_keys


def _run(label: str, func) -> dict:
    with write_intent(), acting_as(f"cli:{label}"):
        try:
            result = func()
        except Exception:
            db.session.rollback()
            raise
        db.session.commit()
    return result


@feedback_cli.command("remind")
def remind_command() -> None:
    """Remind handling units of cases due soon."""
    counts = _run("feedback-remind", remind_due_cases)
    click.echo(f"Reminded {counts['units']} unit(s) of {counts['cases']} case(s); "
               f"{counts['messages']} message(s) queued.")


@feedback_cli.command("escalate-late")
def escalate_command() -> None:
    """Escalate overdue cases to the units' leaders and the PAKN office."""
    counts = _run("feedback-escalate", escalate_overdue)
    click.echo(f"Escalated {counts['cases']} overdue case(s); "
               f"{counts['messages']} message(s) queued.")


@feedback_cli.command("purge-contacts")
def purge_command() -> None:
    """Delete senders' contact data once the retention period has ended."""
    counts = _run("feedback-purge-contacts", purge_expired_contacts)
    click.echo(f"Contact data removed from {counts['cases']} case(s); "
               f"{counts['outbox']} old outbox message(s) blanked.")


@feedback_cli.command("rotate-keys")
@click.option("--batch-size", type=click.IntRange(min=1), default=500, show_default=True)
def rotate_keys_command(batch_size: int) -> None:
    """Re-encrypt contact data and outbox recipients with the newest CONTACT_KEYS key."""
    counts = _run("feedback-rotate-keys", lambda: rotate_encryption_keys(
        batch_size, on_batch=db.session.commit))
    click.echo(f"Re-encrypted {counts['cases']} case contact(s) and {counts['outbox']} "
               f"outbox recipient(s) with the newest key.")
