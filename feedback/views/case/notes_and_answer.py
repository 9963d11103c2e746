"""What officers write on a case: internal notes on its timeline and the answer draft
(saved, or saved and submitted for approval)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.access import Permission
from core.exceptions import ServiceError
from core.extensions import db
from feedback import answers as answer_services
from feedback import attachments as files
from feedback import evidence
from feedback.evidence import LegalBasis
from feedback.views.case.blueprint import bp
from feedback.views.case.forms import AnswerForm, NoteForm, chosen_document, document_choices
from feedback.views.case.page import _load, _render
from feedback.workflow import add_note, transition_case

P = Permission


@bp.post("/<int:case_id>/ghi-chu")
def note(case_id: int):
    """Add an internal note to a case's timeline."""
    case = _load(case_id)
    form = NoteForm()
    if not form.validate():
        return _render(case, status=400, note_form=form)
    try:
        add_note(case, current_user, form.note.data)
    except ServiceError as error:
        db.session.rollback()
        form.note.errors = [error.message]
        return _render(_load(case_id), status=error.status, note_form=form)
    db.session.commit()
    flash(_("Note added."), "success")
    return redirect(url_for(".show", case_id=case.id) + "#timeline", code=303)


@bp.post("/<int:case_id>/tra-loi")
def answer(case_id: int):
    """Save a case's answer draft, or save it and submit it for approval."""
    case = _load(case_id, P.FEEDBACK_HANDLE)
    form = AnswerForm()
    form.legal_document.choices = document_choices()
    submit = request.form.get("submit_for_approval") == "1"
    if not form.validate():
        return _render(case, status=400, answer_form=form)
    stored = []
    try:
        basis = LegalBasis(chosen_document(form.legal_document.data),
                           form.legal_article.data)
        answer_services.save_answer_draft(case, current_user, form.body.data,
                                          letter_number=form.letter_number.data,
                                          signer_title=form.signer_title.data,
                                          legal_basis=basis)
        upload = form.evidence_file.data
        if upload and upload.filename:
            stored.append(evidence.attach_evidence(
                case, current_user, upload.filename,
                upload.stream.read(files.max_bytes() + 1), form.evidence_number.data))
        if submit:
            transition_case(case, "submit_answer", current_user)
    except ServiceError as error:
        db.session.rollback()
        files.discard_files(stored)
        case = _load(case_id, P.FEEDBACK_HANDLE)
        target = {"attachments": "evidence_file"}.get(error.field, error.field)
        field = getattr(form, target or "body", None) or form.body
        field.errors = [*field.errors, error.message]
        return _render(case, status=error.status, answer_form=form, error=error.message)
    db.session.commit()
    flash(_("The answer was submitted for approval.") if submit else
          _("Draft saved."), "success")
    return redirect(url_for(".show", case_id=case.id) + "#answer", code=303)
