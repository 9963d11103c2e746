"""`flask feedback ingest-email`: register emails as PAKN cases.

    flask feedback ingest-email --unit P FILE.eml ...      # files
    some-mda | flask feedback ingest-email --unit P -      # one message on stdin
    flask feedback ingest-email --unit P --maildir ~/Maildir/pakn

With a maildir, every message in new/ is read; each one registered (or found already
registered) is moved to cur/ and marked seen, a refused one stays in new/ and is reported.
Each message is committed on its own, so one bad message never undoes the others. The exit
status is 1 when any message failed.
"""

from __future__ import annotations

import mailbox
import sys
from pathlib import Path

import click

from core.audit import acting_as
from core.db import write_intent
from core.exceptions import ServiceError
from core.extensions import db
from core.org import unit_by_code
from feedback.cli import feedback_cli
from feedback.email_intake import ingest_email
from feedback.tracking import format_tracking_code


def _one(raw: bytes, agency, label: str, counts: dict[str, int]) -> bool:
    """Ingest one message in its own transaction; report it; True when it is in the register
    (new or already there)."""
    with write_intent():
        try:
            case, created = ingest_email(raw, agency=agency)
        except ServiceError as error:
            db.session.rollback()
            counts["failed"] += 1
            click.echo(f"{label}: refused: {error.message}", err=True)
            return False
        except Exception as error:  # noqa: BLE001 - a broken message must not stop the run
            db.session.rollback()
            counts["failed"] += 1
            click.echo(f"{label}: failed: {type(error).__name__}: {error}", err=True)
            return False
        code = format_tracking_code(case.tracking_code)
        db.session.commit()
    counts["created" if created else "existing"] += 1
    click.echo(f"{label}: {'created' if created else 'already registered'} {code}")
    return True


def _maildir(path: Path, agency, counts: dict[str, int]) -> None:
    box = mailbox.Maildir(str(path), factory=None, create=False)
    for key in list(box.iterkeys()):
        message = box.get_message(key)
        if message.get_subdir() != "new":
            continue
        if _one(box.get_bytes(key), agency, f"maildir:{key}", counts):
            message.set_subdir("cur")
            message.add_flag("S")
            box[key] = message  # rewrites the file under cur/ with the seen flag


@feedback_cli.command("ingest-email")
@click.option("--unit", "unit_code", required=True,
              help="Code of the unit whose PAKN register receives the messages.")
@click.option("--maildir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A maildir: every message in new/ is read and moved to cur/.")
@click.argument("files", nargs=-1)
def ingest_email_command(unit_code: str, maildir: Path | None, files: tuple[str, ...]) -> None:
    """Register RFC 5322 messages (files, '-' for stdin, or a maildir) as PAKN cases."""
    agency = unit_by_code(unit_code)
    if agency is None or not agency.active:
        raise click.ClickException(f"no active unit with code {unit_code!r}")
    if maildir is None and not files:
        raise click.UsageError("give message files, '-' for stdin, or --maildir")
    counts = {"created": 0, "existing": 0, "failed": 0}
    with acting_as("cli:feedback ingest-email"):
        for name in files:
            if name == "-":
                _one(sys.stdin.buffer.read(), agency, "stdin", counts)
                continue
            try:
                raw = Path(name).read_bytes()
            except OSError as error:
                counts["failed"] += 1
                click.echo(f"{name}: failed: {error.strerror or error}", err=True)
                continue
            _one(raw, agency, name, counts)
        if maildir is not None:
            _maildir(maildir, agency, counts)
    click.echo(f"{counts['created']} created, {counts['existing']} already registered, "
               f"{counts['failed']} failed")
    if counts["failed"]:
        sys.exit(1)
