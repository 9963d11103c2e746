"""Back office: preparing an answered case for publication.

The reviewer sees the ORIGINAL text with what the automatic redaction removed highlighted,
beside the public text; edits the public text (redacted again on save); an approver publishes
(the workflow transition "publish") or withdraws it with a reason. Every response is
``Cache-Control: no-store``: the preview shows the citizen's own text."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from core.access import Permission
from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.models import Unit
from core.views.admin import require_staff
from feedback import four_eyes, moderation
from feedback import publication as service
from feedback.case_access import case_scope_clause, require_on_case
from feedback.models import CaseState, FeedbackCase, Publication
from feedback.reasons import NON_PUBLICATION_REASONS, label_of
from feedback.workflow import state_label

bp = Blueprint("feedback_publication", __name__, url_prefix="/quan-tri/pakn")
bp.before_request(require_staff)

P = Permission
PAGE_SIZE = 50


@bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.context_processor
def _labels() -> dict:
    return {"category_labels": service.CATEGORY_LABELS, "status_labels": service.STATUS_LABELS,
            "topic_labels": service.TOPIC_LABELS, "kind_labels": service.KIND_LABELS,
            "state_label": state_label}


class EditForm(BaseForm):
    title = StringField(_l("Public title"),
                        validators=[InputRequired(), Length(max=service.MAX_TITLE)])
    question = TextAreaField(_l("Question (public text)"),
                             validators=[InputRequired(), Length(max=service.MAX_TEXT)])
    answer = TextAreaField(_l("Answer (public text)"),
                           validators=[InputRequired(), Length(max=service.MAX_TEXT)])


class WithdrawForm(BaseForm):
    reason = StringField(_l("Reason for withdrawing"),
                         validators=[InputRequired(), Length(max=500)])


class NotPublishForm(BaseForm):
    reason = SelectField(_l("Reason for not publishing"), validators=[InputRequired()],
                         choices=[SelectChoice("", _l("Choose…"))] + [
                             SelectChoice(code, label)
                             for code, label in NON_PUBLICATION_REASONS.items()])


class ConfirmForm(BaseForm):
    """Only the CSRF token: prepare, rebuild and publish take no other input."""


def _load(case_id: int) -> FeedbackCase:
    case = db.session.get(FeedbackCase, case_id)
    if case is None:
        abort(404)
    require_on_case(current_user, P.FEEDBACK_VIEW, case)
    return case


def _render(case: FeedbackCase, *, status: int = 200, edit_form: EditForm | None = None,
            withdraw_form: WithdrawForm | None = None,
            not_publish_form: NotPublishForm | None = None):
    pub = service.publication_of(case)
    decision = moderation.non_publication_of(case)
    if edit_form is None and pub is not None:
        edit_form = EditForm(data={"title": pub.title, "question": pub.question,
                                   "answer": pub.answer})
    answered = case.state in service.PUBLISHABLE_STATES and \
        service.sent_answer(case) is not None
    return render_template(
        "feedback/publication/prepare.html", case=case, pub=pub, answered=answered,
        fields=service.preview_fields(pub) if pub is not None else [],
        edit_findings=service.edit_findings(pub) if pub is not None else [],
        can_prepare=service.can_prepare(current_user, case),
        can_publish=service.can_publish(current_user, case),
        may_publish_own=four_eyes.may_publish_own(case, pub, current_user),
        writer_names=four_eyes.writer_names(pub) if pub is not None else [],
        is_published_state=case.state == CaseState.PUBLISHED.value,
        edit_form=edit_form, withdraw_form=withdraw_form or WithdrawForm(),
        confirm_form=ConfirmForm(), decision=decision,
        decision_label=label_of(NON_PUBLICATION_REASONS, decision.reason if decision else None),
        can_decide=service.can_prepare(current_user, case)
        and case.state in moderation.DECIDABLE_STATES
        and (pub is None or pub.status != "published"),
        not_publish_form=not_publish_form or NotPublishForm(
            formdata=None, data={"reason": decision.reason if decision else ""})), status


def _refused(case_id: int, error: ServiceError):
    db.session.rollback()
    flash(error.message, "error")
    return _render(_load(case_id), status=error.status)


@bp.get("/<int:case_id>/cong-khai")
def prepare(case_id: int):
    """An answered case's publication page: the original, what was removed, the public text."""
    return _render(_load(case_id))


@bp.post("/<int:case_id>/cong-khai")
def prepare_post(case_id: int):
    """Build (or rebuild) an answered case's public text with personal data removed."""
    case = _load(case_id)
    form = ConfirmForm()
    if not form.validate():
        flash(_("The form has expired; try again."), "error")
        return _render(case, status=400)
    pub = service.publication_of(case)
    try:
        pub = service.prepare_publication(case, current_user, refresh=pub is not None)
    except ServiceError as error:
        return _refused(case_id, error)
    db.session.commit()
    count = len(pub.redactions or [])
    flash(_("Public text prepared: %(n)d passages that looked personal were removed. "
            "Check them below.", n=count), "success")
    return redirect(url_for(".prepare", case_id=case.id))


@bp.post("/<int:case_id>/cong-khai/sua")
def edit(case_id: int):
    """Save edits to the public text; anything personal still in it is removed again."""
    case = _load(case_id)
    pub = service.publication_of(case)
    if pub is None:
        abort(404)
    form = EditForm()
    if not form.validate():
        return _render(case, status=400, edit_form=form)
    try:
        result = service.edit_publication(pub, current_user, form.title.data,
                                          form.question.data, form.answer.data)
    except ServiceError as error:
        db.session.rollback()
        if error.field in ("title", "question", "answer"):
            getattr(form, error.field).errors.append(error.message)
            return _render(_load(case_id), status=error.status, edit_form=form)
        return _refused(case_id, error)
    db.session.commit()
    if result.removed:
        removed = ", ".join(f"{service.CATEGORY_LABELS[c]}: {n}"
                            for c, n in sorted(result.removed.items()))
        flash(_("Saved. Your text still held personal data, which was removed (%(what)s).",
                what=removed), "warning")
    else:
        flash(_("Saved."), "success")
    return redirect(url_for(".prepare", case_id=case.id))


@bp.post("/<int:case_id>/cong-khai/dang")
def publish(case_id: int):
    """Publish the public text on the public answers page (an approver, four eyes)."""
    case = _load(case_id)
    form = ConfirmForm()
    if not form.validate():
        flash(_("The form has expired; try again."), "error")
        return _render(case, status=400)
    try:
        service.publish_case(case, current_user)
    except ServiceError as error:
        return _refused(case_id, error)
    db.session.commit()
    flash(_("The answer is published."), "success")
    return redirect(url_for(".prepare", case_id=case.id))


@bp.post("/<int:case_id>/cong-khai/go")
def withdraw(case_id: int):
    """Take a published answer off the public page, with a reason."""
    case = _load(case_id)
    form = WithdrawForm()
    if not form.validate():
        return _render(case, status=400, withdraw_form=form)
    try:
        service.withdraw_case(case, current_user, form.reason.data)
    except ServiceError as error:
        db.session.rollback()
        if error.field == "reason":
            form.reason.errors.append(error.message)
            return _render(_load(case_id), status=error.status, withdraw_form=form)
        return _refused(case_id, error)
    db.session.commit()
    flash(_("The answer was withdrawn from the public page."), "success")
    return redirect(url_for(".prepare", case_id=case.id))


@bp.post("/<int:case_id>/cong-khai/khong-dang")
def not_publish(case_id: int):
    """Decide not to publish a handled case, with a reason from the fixed list (audited)."""
    case = _load(case_id)
    form = NotPublishForm()
    if not form.validate():
        return _render(case, status=400, not_publish_form=form)
    try:
        moderation.decide_not_to_publish(case, current_user, form.reason.data)
    except ServiceError as error:
        db.session.rollback()
        form.reason.errors = [*form.reason.errors, error.message]
        flash(error.message, "error")
        return _render(_load(case_id), status=error.status, not_publish_form=form)
    db.session.commit()
    flash(_("Decided: this case will not be published (%(reason)s).",
            reason=label_of(NON_PUBLICATION_REASONS, form.reason.data)), "success")
    return redirect(url_for(".prepare", case_id=case.id) + "#not-publish", code=303)


@bp.get("/cong-khai/")
def index():
    """Publications of the cases the user may see: drafts to review, published, withdrawn."""
    rows = db.session.execute(
        select(Publication, Unit)
        .join(FeedbackCase, FeedbackCase.id == Publication.case_id)
        .join(Unit, Unit.id == Publication.unit_id)
        .where(case_scope_clause(current_user, P.FEEDBACK_VIEW))
        .order_by(Publication.status, Publication.updated_at.desc(), Publication.id.desc())
        .limit(PAGE_SIZE)).all()
    return render_template("feedback/publication/index.html", rows=rows)
