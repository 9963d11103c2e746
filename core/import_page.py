"""The upload-and-import flow every spreadsheet import page shares (units, dossiers): a file and
a "check only" box; problems come back on the page with nothing saved; a clean import commits
and says how many rows were created, updated and left unchanged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from flask import flash, redirect
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField

from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm


class SpreadsheetImportForm(BaseForm):
    file = FileField(_l("Spreadsheet file (CSV UTF-8 or Excel .xlsx)"),
                     validators=[FileRequired(message=_l("Choose a file to import."))],
                     render_kw={"accept": ".csv,.xlsx,text/csv"})
    dry_run = BooleanField(_l("Check only (dry run): report problems, save nothing"))


class ImportReport(Protocol):
    errors: list[Any]
    dry_run: bool
    created: int
    updated: int
    unchanged: int


# importer(content, filename, dry_run=…) → report; it flushes and never commits.
Importer = Callable[..., ImportReport]
# render(form, report or None) → the page's HTML.
Renderer = Callable[[SpreadsheetImportForm, ImportReport | None], str]


def handle_import(form: SpreadsheetImportForm, importer: Importer, max_bytes: int,
                  render: Renderer, done_url: str) -> ResponseReturnValue:
    """Run one submission of an import page (or show the blank page on GET)."""
    if not form.validate_on_submit():
        return render(form, None), 400 if form.is_submitted() else 200
    upload = form.file.data
    try:
        # Read one byte past the cap so the service can tell "too large" (413) from "at the cap".
        report = importer(upload.stream.read(max_bytes + 1), upload.filename or "",
                          dry_run=form.dry_run.data)
    except ServiceError as error:
        db.session.rollback()
        form.file.errors.append(error.message)
        return render(form, None), error.status
    if report.errors or report.dry_run:
        db.session.rollback()
        return render(form, report), 400 if report.errors else 200
    db.session.commit()
    flash(_("Import finished. Created: %(created)s, updated: %(updated)s, unchanged: "
            "%(unchanged)s.", created=report.created, updated=report.updated,
            unchanged=report.unchanged), "success")
    return redirect(done_url)
