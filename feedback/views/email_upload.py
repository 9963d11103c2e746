"""Back office: upload .eml files (saved from a mail program) to register them as PAKN.

Each file is ingested on its own (feedback.email_intake.ingest_email) inside a savepoint, so
one refused message never undoes the others; the page reports each file: created, already
registered (same Message-ID) or refused with the reason. Permission FEEDBACK_INTAKE on the
chosen unit; the case goes to that unit's PAKN register.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileRequired, MultipleFileField
from wtforms import SelectChoice, SelectField
from wtforms.validators import InputRequired

from core.access import Permission, require, visible_units
from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.models import Unit
from core.views.admin import require_staff
from feedback.email_intake import MAX_MESSAGE_BYTES, ingest_email
from feedback.intake import register_unit_of
from feedback.tracking import format_tracking_code

bp = Blueprint("feedback_email_upload", __name__, url_prefix="/quan-tri/pakn/nhap-email")

INTAKE = Permission.FEEDBACK_INTAKE
MAX_FILES = 50


class UploadForm(BaseForm):
    unit_id = SelectField(_l("Unit whose PAKN register receives the messages"), coerce=int,
                          validate_choice=False, validators=[InputRequired()])
    files = MultipleFileField(_l("Email files (.eml)"),
                              validators=[FileRequired(message=_l("Choose at least one "
                                                                  ".eml file."))],
                              render_kw={"accept": ".eml,message/rfc822"})


@dataclass
class FileReport:
    filename: str
    outcome: str          # "created", "existing" or "refused"
    message: str
    code: str | None = None
    case_id: int | None = None


bp.before_request(require_staff)


def _ingest(filename: str, raw: bytes, agency: Unit) -> FileReport:
    if not filename.lower().endswith(".eml"):
        return FileReport(filename, "refused", _("Not an .eml file."))
    if len(raw) > MAX_MESSAGE_BYTES:
        return FileReport(filename, "refused", _("The message is too large."))
    try:
        with db.session.begin_nested():
            case, created = ingest_email(raw, agency=agency)
    except ServiceError as error:
        return FileReport(filename, "refused", error.message)
    except (ValueError, LookupError, UnicodeError, TypeError, IndexError):
        # A message so broken that the email package cannot read it: report, go on.
        return FileReport(filename, "refused", _("This file could not be read as an email."))
    code = format_tracking_code(case.tracking_code)
    if created:
        return FileReport(filename, "created", _("Registered."), code, case.id)
    return FileReport(filename, "existing",
                      _("Already registered (the same message was received before)."),
                      code, case.id)


@bp.route("/", methods=["GET", "POST"])
def upload():
    """Register PAKN from uploaded .eml files, with a report on each file."""
    require(current_user, INTAKE, None)
    form = UploadForm()
    form.unit_id.choices = [SelectChoice(u.id, "— " * u.depth + u.name_vi)
                            for u in visible_units(current_user, INTAKE) if u.active]
    if not form.validate_on_submit():
        return _page(form, []), 400 if form.is_submitted() else 200
    unit = db.session.get(Unit, form.unit_id.data) or abort(404)
    require(current_user, INTAKE, unit)
    sent = [f for f in form.files.data if f and f.filename]
    if len(sent) > MAX_FILES:
        form.files.errors = [_("Upload at most %(n)d files at a time.", n=MAX_FILES)]
        return _page(form, []), 400
    agency = register_unit_of(unit)
    reports = [_ingest(f.filename, f.stream.read(MAX_MESSAGE_BYTES + 1), agency)
               for f in sent]
    db.session.commit()
    return _page(form, reports), 200


def _page(form: UploadForm, reports: list[FileReport]) -> str:
    return render_template("feedback/entry/email_upload.html", form=form, reports=reports,
                           counts={o: sum(r.outcome == o for r in reports)
                                   for o in ("created", "existing", "refused")})
