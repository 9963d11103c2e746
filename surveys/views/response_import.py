"""Back office: import survey responses from a CSV or XLSX file in three steps (upload, map the
columns, check and import). Plain forms, no JavaScript; between steps the page carries only
the random name of the stored upload (surveys.response_import_files).

Access: Permission.SURVEYS_MANAGE on the chosen unit (404, logged, for a unit out of sight);
an upload belongs to the person who sent it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from openpyxl.utils import get_column_letter
from wtforms import BooleanField, SelectChoice, SelectField
from wtforms.validators import InputRequired

from core.access import Permission, require, visible_units
from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.models import Unit
from core.views.admin import require_staff
from surveys import response_import as services
from surveys import response_import_files as files
from surveys.models import InstrumentVersion
from surveys.points import published_versions

bp = Blueprint("surveys_import", __name__, url_prefix="/quan-tri/nhap-tep-khao-sat")
MANAGE = Permission.SURVEYS_MANAGE


class UploadForm(BaseForm):
    file = FileField(_l("Spreadsheet file (CSV UTF-8 or Excel .xlsx)"),
                     validators=[FileRequired(message=_l("Choose a file to import."))],
                     render_kw={"accept": ".csv,.xlsx,text/csv"})
    # Not checked against the list: a unit out of scope gets the logged 404 of ``require``.
    unit_id = SelectField(_l("Unit the responses belong to"), coerce=int,
                          validate_choice=False, validators=[InputRequired()])
    version_id = SelectField(_l("Questionnaire"), coerce=int, validators=[InputRequired()])


class MappingFormBase(BaseForm):
    force = BooleanField(_l("Import again anyway (this file was already imported)"))


bp.before_request(require_staff)


@bp.route("/", methods=["GET", "POST"])
def upload():
    """Import survey responses, step 1: choose the unit, questionnaire and CSV/XLSX file."""
    require(current_user, MANAGE, None)
    form = UploadForm()
    units = [u for u in visible_units(current_user, MANAGE) if u.active]
    form.unit_id.choices = [SelectChoice(u.id, "— " * u.depth + u.name_vi) for u in units]
    owners = {i for u in units for i in u.ancestor_ids()}
    form.version_id.choices = [
        SelectChoice(v.id, f"{v.title_vi} (v{v.number})") for v in published_versions()
        if v.instrument.owner_unit_id is None or v.instrument.owner_unit_id in owners]
    if not form.validate_on_submit():
        return _upload_page(form), 400 if form.is_submitted() else 200
    unit = db.session.get(Unit, form.unit_id.data) or abort(404)
    require(current_user, MANAGE, unit)
    version = db.session.get(InstrumentVersion, form.version_id.data) or abort(404)
    sent = form.file.data
    try:
        # One byte past the cap, so "too large" (413) differs from "exactly at the cap".
        stored = files.store_upload(sent.stream.read(files.max_bytes() + 1),
                                    sent.filename or "", unit, version, current_user)
    except ServiceError as error:
        form.file.errors.append(error.message)
        return _upload_page(form), error.status
    return redirect(url_for(".mapping", token=stored.token))


@bp.route("/<token>", methods=["GET", "POST"])
def mapping(token: str):
    """Steps 2 and 3: map the file's columns to questions, check the rows, import them."""
    stored, content, unit, version = _load(token)
    form = _mapping_form(stored, version)
    earlier = services.earlier_import(stored.sha256, unit.id)
    page = dict(stored=stored, unit=unit, version=version, form=form,
                earlier=services.describe_import(earlier) if earlier else None)
    if not form.validate_on_submit():
        return _mapping_page(**page), 400 if form.is_submitted() else 200
    save = request.form.get("action") == "import"
    try:
        chosen = {i: getattr(form, f"col_{i}").data for i in range(len(stored.header))}
        report = services.run_import(stored, content, services.build_mapping(chosen, version),
                                     current_user, save=save, force=form.force.data)
    except ServiceError as error:
        db.session.rollback()
        return _mapping_page(**page, problem=error.message), error.status
    if report.errors or not save:
        db.session.rollback()
        return _mapping_page(**page, report=report), 400 if report.errors else 200
    db.session.commit()
    files.discard_upload(stored)
    flash(_("Imported %(count)s responses from %(file)s.", count=report.rows,
            file=stored.filename), "success")
    return redirect(url_for(".upload"))


def _load(token: str):
    found = files.load_upload(token)
    if found is None or found[0].user_id != current_user.id:
        abort(404)
    stored, content = found
    unit = db.session.get(Unit, stored.unit_id) or abort(404)
    require(current_user, MANAGE, unit, object_type="survey_upload", object_id=stored.sha256)
    version = db.session.get(InstrumentVersion, stored.version_id) or abort(404)
    return stored, content, unit, version


def _mapping_form(stored: files.Upload, version: InstrumentVersion) -> BaseForm:
    """One select per column of the file, pre-filled from its header."""
    targets = [SelectChoice(services.IGNORE, _("— ignore this column —")),
               SelectChoice(services.DATE_COLUMN, _("Date the form was filled in")),
               SelectChoice(services.UNIT_COLUMN, _("Unit code (a unit under the chosen one)"))]
    targets += [SelectChoice(item.code, f"{item.code} – {item.text_vi[:70]}")
                for item in version.items]
    suggested = services.suggest_mapping(stored.header, version)
    form_class = type("MappingForm", (MappingFormBase,), {
        f"col_{index}": SelectField(f"{get_column_letter(index + 1)}: {text}"[:120],
                                    choices=targets, default=suggested.get(index, ""))
        for index, text in enumerate(stored.header)})
    return form_class()


def _upload_page(form: UploadForm) -> str:
    return render_template("surveys/response_import.html", form=form,
                           max_mb=f"{files.max_bytes() / 1024 / 1024:g}",
                           max_rows=files.MAX_ROWS)


def _mapping_page(**context) -> str:
    stored = context["stored"]
    columns = [(getattr(context["form"], f"col_{i}"), stored.samples[i] if i < len(
        stored.samples) else []) for i in range(len(stored.header))]
    return render_template("surveys/response_import_mapping.html", columns=columns, **context)
