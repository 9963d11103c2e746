"""The sender's contact details: revealed on the case page for a stated reason, or put into
the printable reply letter; each reveal is logged and never cached."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from core.access import Permission
from core.exceptions import ServiceError
from core.extensions import db
from core.qr import qr_svg
from feedback.contact import reveal_contact
from feedback.letters import build_letter
from feedback.views.case.blueprint import bp
from feedback.views.case.forms import RevealForm
from feedback.views.case.page import _load, _render

P = Permission


@bp.post("/<int:case_id>/lien-he")
def reveal(case_id: int):
    """Show the sender's contact details, for a stated reason; the reveal is logged."""
    case = _load(case_id, P.FEEDBACK_CONTACT_VIEW)
    form = RevealForm()
    if not form.validate():
        return _render(case, status=400, reveal_form=form)
    try:
        contact = reveal_contact(case, current_user, form.reason.data)
    except ServiceError as error:
        db.session.rollback()
        form.reason.errors = [error.message]
        return _render(_load(case_id), status=error.status, reveal_form=form)
    db.session.commit()
    # Shown in this response only: no redirect, no URL, no cache.
    return _render(case, contact=contact)


@bp.route("/<int:case_id>/cong-van", methods=["GET", "POST"])
def letter(case_id: int):
    """The printable reply letter. A GET shows it without the sender's name and writes
    nothing; a POST with a reason (CSRF-checked) puts the name in and logs that reveal."""
    case = _load(case_id, P.FEEDBACK_CONTACT_VIEW)
    form = RevealForm(formdata=request.form if request.method == "POST" else None)
    posted = request.method == "POST"
    if posted and not form.validate():
        posted = False
    try:
        built = build_letter(case, current_user, form.reason.data if posted else None)
    except ServiceError as error:
        db.session.rollback()
        return _render(_load(case_id), status=error.status, error=error.message)
    db.session.commit()
    status = 400 if form.errors else 200
    rating_qr = qr_svg(built.rating_url) if built.rating_url else None
    return render_template("feedback/office/letter.html", case=case, letter=built, form=form,
                           name_hidden=case.contact_enc is not None and not posted,
                           rating_qr=rating_qr), status
