"""Back office: the growing list of legal documents that answers cite as their legal basis.

Officers who draft, approve or triage answers see the list and add the document they need when
it is missing (one row per number: a number already listed is reused, whatever its spelling).
The add form also sits on the case page; from there it returns to the case's answer."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.views.admin import require_staff
from feedback import evidence
from feedback.models import FeedbackCase
from feedback.reasons import DOCUMENT_KINDS
from feedback.views.queue import office_labels

bp = Blueprint("feedback_legal_documents", __name__, url_prefix="/quan-tri/pakn/van-ban")
bp.before_request(require_staff)
bp.context_processor(office_labels)


class LegalDocumentForm(BaseForm):
    kind = SelectField(_l("Kind of document"), validators=[InputRequired()])
    number = StringField(_l("Document number"), validators=[InputRequired(), Length(
        max=evidence.MAX_NUMBER)], render_kw={"placeholder": "61/2018/NĐ-CP"})
    title = StringField(_l("Title"), validators=[InputRequired(), Length(
        max=evidence.MAX_TITLE)])
    issued_on = DateField(_l("Issued on"), validators=[InputRequired()])
    # The case page's copy of the form returns to that case.
    case_id = HiddenField(validators=[Optional()])


def document_form(formdata=None, case_id: int | None = None) -> LegalDocumentForm:
    form = LegalDocumentForm(formdata=formdata, prefix="doc")
    form.kind.choices = [SelectChoice(code, str(label))
                         for code, label in DOCUMENT_KINDS.items()]
    if formdata is None:
        form.kind.data = "decree"
        form.case_id.data = str(case_id or "")
    return form


def _require_may_add() -> None:
    if not evidence.may_add_legal_documents(current_user):
        abort(403)


def _render(form: LegalDocumentForm, status: int = 200):
    return render_template("feedback/office/legal_documents.html", form=form,
                           documents=evidence.list_legal_documents(),
                           kind_labels=DOCUMENT_KINDS), status


@bp.get("/")
def index():
    """The legal documents answers may cite, and the form to add a missing one."""
    _require_may_add()
    return _render(document_form())


def _back(form: LegalDocumentForm):
    """The case the form came from (when the user may see it), else the list."""
    value = form.case_id.data or ""
    case = db.session.get(FeedbackCase, int(value)) if value.isdigit() else None
    if case is not None:
        return redirect(url_for("feedback_case.show", case_id=case.id) + "#answer", code=303)
    return redirect(url_for(".index"), code=303)


@bp.post("/")
def add():
    """Add a legal document to the list (a number already listed is reused, not repeated)."""
    _require_may_add()
    form = document_form(formdata=request.form)
    if not form.validate():
        flash(_("The document was not added: correct the fields marked below."), "error")
        return _render(form, status=400)
    try:
        added = evidence.add_legal_document(current_user, evidence.LegalDocumentData(
            kind=form.kind.data, number=form.number.data, title=form.title.data,
            issued_on=form.issued_on.data))
    except ServiceError as error:
        db.session.rollback()
        getattr(form, error.field or "number").errors.append(error.message)
        flash(_("The document was not added: correct the fields marked below."), "error")
        return _render(form, status=error.status)
    db.session.commit()
    document = added.document
    if added.created:
        flash(_("%(number)s was added to the list: choose it as the legal basis.",
                number=document.number), "success")
    else:
        flash(_("%(number)s is already on the list (issued on %(day)s): choose it there.",
                number=document.number, day=document.issued_on.strftime("%d/%m/%Y")),
              "warning")
    return _back(form)
