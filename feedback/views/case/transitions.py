"""Acting on a case: the form of one workflow transition turned into a ``TransitionInput``
and applied; on a refusal the case page comes back with the form and its error."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core.access import Permission
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit
from feedback.case_access import can_on_case
from feedback.models import FeedbackCase
from feedback.tracking import normalise_tracking_code
from feedback.views.case.blueprint import bp
from feedback.views.case.forms import (
    ACTION_FIELDS,
    ActForm,
    ActionForm,
    _act_form,
    action_fields,
    chosen_document,
)
from feedback.views.case.page import _load, _render
from feedback.views.case.routing_panel import _record_routing, _suggestions, handling_units
from feedback.views.queue import office_labels
from feedback.workflow import TRANSITIONS, TransitionInput, TransitionRefused, transition_case

P = Permission


def _input(case: FeedbackCase, action: str, form: ActForm, units: list[Unit]
           ) -> TransitionInput:
    fields = ACTION_FIELDS.get(action, ())
    data = TransitionInput(reason=form.reason.data or None)
    if "classification" in fields:
        data.classification = form.classification.data or None
    if "handling_unit" in fields:
        chosen = form.handling_unit.data
        unit = next((u for u in units if str(u.id) == chosen), None)
        if chosen and unit is None:
            raise ServiceError(_("Choose an active handling unit."), status=400,
                               field="handling_unit")
        data.handling_unit = unit
    if "transferred_to" in fields:
        data.transferred_to = form.transferred_to.data or None
    if "master" in fields:
        data.master = _master(case, form.master.data)
    if "extension_days" in fields:
        data.extension_days = form.extension_days.data
    if "letter_number" in fields:
        data.letter_number = form.letter_number.data or None
        data.signer_title = form.signer_title.data or None
    if "legal_document" in fields:
        data.legal_document = chosen_document(form.legal_document.data)
        data.legal_article = form.legal_article.data or None
    if "closure_reason" in fields:
        data.closure_reason = form.closure_reason.data or None
    return data



def _master(case: FeedbackCase, text: str | None) -> FeedbackCase | None:
    if not text:
        return None
    code = normalise_tracking_code(text)
    master = db.session.execute(select(FeedbackCase).where(
        FeedbackCase.tracking_code == code)).scalar_one_or_none() if code else None
    if master is None or not can_on_case(current_user, P.FEEDBACK_VIEW, master):
        raise ServiceError(_("No case has this tracking code."), status=400, field="master")
    return master


@bp.post("/<int:case_id>/thao-tac/<action>")
def act(case_id: int, action: str):
    """Take a workflow action on a case (register, assign, extend, approve...) from its form."""
    case = _load(case_id)
    transition = TRANSITIONS.get(action)
    if transition is None:
        abort(404)
    units = handling_units(case)
    form = _act_form(case, action, units, [], formdata=request.form)
    posted = ActionForm(transition, form, action_fields(case, action), open=True)
    if not form.validate():
        posted.error = _("Correct the fields marked below.")
        return _render(case, status=400, posted=posted)
    if form.expected_state.data and form.expected_state.data != case.state:
        posted.error = _("The case has changed since you opened the page: it is now "
                         "\u201c%(state)s\u201d. Check it and try again.",
                         state=office_labels()["state_label"](case.state))
        return _render(case, status=409, posted=posted)
    try:
        data = _input(case, action, form, units)
        suggestions = _suggestions(case) if action == "assign" else []
        transition_case(case, action, current_user, data)
        if action == "assign" and data.handling_unit is not None:
            _record_routing(case, data.handling_unit, suggestions)
    except ServiceError as error:
        db.session.rollback()
        case = _load(case_id)
        if error.field and hasattr(form, error.field):
            getattr(form, error.field).errors = [*getattr(form, error.field).errors,
                                                 error.message]
        posted.error = error.message
        status = error.status if error.status in (400, 403, 404, 409) else \
            (409 if isinstance(error, TransitionRefused) else 400)
        return _render(case, status=status, posted=posted)
    db.session.commit()
    flash(_("Done: %(action)s.", action=str(transition.label)), "success")
    return redirect(url_for(".show", case_id=case.id), code=303)
