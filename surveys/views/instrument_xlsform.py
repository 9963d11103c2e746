"""Back office: questionnaires to and from XLSForm (Kobo, ODK). Import an .xlsx as a draft
(of the questionnaire with the same code, or a new one of a chosen unit); download any
version as XLSForm. Routes live on surveys.views.instruments.bp; surveys/contributes.py
imports this module.

Access: as for the other questionnaire pages. Importing needs Permission.SURVEYS_MANAGE on the
chosen unit, and the right to change the questionnaire whose code the file carries (a system
-wide grant for a shipped form); downloading needs the right to see the version."""

from __future__ import annotations

import io

from flask import flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectChoice, SelectField
from wtforms.validators import InputRequired

from core.access import require, visible_units
from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.models import Unit
from surveys.instruments import import_instrument_draft, instrument_by_code
from surveys.views.instruments import MANAGE, load_version, may_edit
from surveys.views.instruments import bp as instruments_bp  # not "bp": one registration
from surveys.xlsform import XLSX_MIMETYPE, export_xlsform
from surveys.xlsform_import import read_xlsform
from surveys.xlsform_sheets import MAX_XLSFORM_BYTES, XLSFormError


class XLSFormUploadForm(BaseForm):
    file = FileField(_l("XLSForm file (.xlsx)"),
                     validators=[FileRequired(message=_l("Choose a file to import."))],
                     render_kw={"accept": ".xlsx"})
    # Not checked against the list: a unit out of scope gets the logged 404 of ``require``.
    owner_unit_id = SelectField(_l("Unit that owns a new questionnaire"), coerce=int,
                                validate_choice=False, validators=[InputRequired()])


def _page(form: XLSFormUploadForm, problems: list[str] | None = None, status: int = 200):
    return render_template("surveys/admin_instrument_import.html", form=form,
                           problems=problems or [],
                           max_mb=MAX_XLSFORM_BYTES // 1_000_000), status


@instruments_bp.route("/nhap-xlsform", methods=["GET", "POST"])
def instrument_import():
    """Import an XLSForm (.xlsx from Kobo, ODK or our export) as a draft questionnaire."""
    units = visible_units(current_user, MANAGE)
    if not units:
        require(None, MANAGE, None)
    form = XLSFormUploadForm()
    form.owner_unit_id.choices = [SelectChoice(u.id, "— " * u.depth + u.name_vi)
                                  for u in units]
    if not form.validate_on_submit():
        return _page(form, status=400 if form.is_submitted() else 200)
    unit = db.session.get(Unit, form.owner_unit_id.data)
    require(current_user, MANAGE, unit)
    sent = form.file.data
    filename = (sent.filename or "").rsplit("/", 1)[-1][:120]
    try:
        result = read_xlsform(sent.stream.read(MAX_XLSFORM_BYTES + 1), filename)
    except XLSFormError as error:
        return _page(form, error.problems, error.status)
    existing = instrument_by_code(result.spec.code)
    if existing is not None and not may_edit(existing):
        return _page(form, [_("The questionnaire %(code)s exists and you may not change it; "
                              "give the file another form_id (settings sheet) to import it "
                              "as a new questionnaire.", code=result.spec.code)], 403)
    try:
        version = import_instrument_draft(result.spec, unit, current_user, filename)
    except ServiceError as error:
        db.session.rollback()
        return _page(form, [error.message], error.status)
    db.session.commit()
    flash(_("%(file)s was imported as draft version %(number)s of %(code)s: check it, then "
            "publish it.", file=filename, number=version.number, code=result.spec.code),
          "success")
    if result.skipped:
        flash(_("Metadata rows left out (this system records its own): %(types)s.",
                types=", ".join(result.skipped)), "info")
    return redirect(url_for(".version", version_id=version.id))


@instruments_bp.get("/phien-ban/<int:version_id>/xlsform")
def version_xlsform(version_id: int):
    """Download a questionnaire version as an XLSForm workbook (.xlsx) for Kobo or ODK."""
    version = load_version(version_id)
    data = export_xlsform(version)
    return send_file(
        io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
        download_name=f"{version.instrument.code}-v{version.number}.xlsx", max_age=0)

