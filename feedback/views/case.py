"""Back office: one PAKN case. Header with deadlines, content, attachments, the timeline and
internal notes, the contact panel (revealed on request, logged), the routing panel, the answer
editor, one form per transition the user may make now, and the printable reply letter.

Every response of this blueprint is ``Cache-Control: no-store``: the pages show citizens'
text, and the contact panel and the letter show their contact data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from core.access import Permission
from core.audit import record_audit_now
from core.exceptions import ServiceError
from core.extensions import db
from core.forms import BaseForm
from core.models import Unit, UnitKind
from core.spreadsheets import content_disposition
from core.views.admin import require_staff
from feedback import answers as answer_services
from feedback import duplicates, routing
from feedback.attachments import read_attachment
from feedback.case_access import can_on_case, require_on_case
from feedback.contact import can_reveal_contact, reveal_contact
from feedback.deadlines import case_receipt_rule, traffic_light
from feedback.letters import build_letter, letter_answer
from feedback.models import (
    AnswerStatus,
    AnswerTemplate,
    CaseState,
    Classification,
    FeedbackAnswer,
    FeedbackAttachment,
    FeedbackCase,
    FeedbackEvent,
)
from feedback.queues import CLASSIFICATION_LABELS
from feedback.tracking import normalise_tracking_code
from feedback.views.queue import office_labels
from feedback.workflow import (
    MAX_EXTENSION_DAYS,
    TRANSITIONS,
    Transition,
    TransitionInput,
    TransitionRefused,
    add_note,
    available_transitions,
    current_answer,
    transition_case,
)

bp = Blueprint("feedback_case", __name__, url_prefix="/quan-tri/pakn")
bp.before_request(require_staff)
bp.context_processor(office_labels)

P = Permission

# The inputs each action's form shows (besides the reason, shown when the action needs one).
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "assign": ("classification", "handling_unit"),
    "reassign": ("handling_unit",),
    "transfer": ("transferred_to",),
    "merge": ("master",),
    "extend": ("extension_days",),
    "approve": ("letter_number", "signer_title"),
}
EVENT_LABELS = {
    "receive": _l("Received"),
    "note": _l("Internal note"),
    "contact_reveal": _l("Contact details viewed"),
    "draft_answer": _l("Answer drafted"),
    "notified": _l("Sender notified"),
    "reminded": _l("Unit reminded of the deadline"),
    "escalated": _l("Late: escalated to the unit's leaders"),
    "contact_purged": _l("Sender's contact details deleted (retention period ended)"),
}


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


class ActForm(BaseForm):
    expected_state = HiddenField()
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    classification = SelectField(_l("Classification"), validators=[Optional()])
    handling_unit = SelectField(_l("Handling unit"), validators=[Optional()])
    transferred_to = StringField(_l("Competent agency it is transferred to"),
                                 validators=[Optional(), Length(max=300)])
    master = StringField(_l("Master case (tracking code)"),
                         validators=[Optional(), Length(max=20)])
    extension_days = IntegerField(_l("Extension (working days)"), validators=[
        Optional(), NumberRange(min=1, max=MAX_EXTENSION_DAYS)])
    letter_number = StringField(_l("Letter number"), validators=[Optional(), Length(max=60)])
    signer_title = StringField(_l("Signer's title"), validators=[Optional(), Length(max=120)])


class NoteForm(BaseForm):
    note = TextAreaField(_l("Internal note (not shown to the sender)"),
                         validators=[InputRequired(), Length(max=4000)])


class RevealForm(BaseForm):
    reason = StringField(_l("Why do you need the contact details?"),
                         validators=[InputRequired(), Length(max=300)])


class AnswerForm(BaseForm):
    # Sized for a letter: about a page of text visible while writing.
    body = TextAreaField(_l("Answer"), validators=[InputRequired(),
                                                   Length(max=answer_services.MAX_ANSWER)],
                         render_kw={"rows": 12})
    letter_number = StringField(_l("Letter number"), validators=[Optional(), Length(max=60)])
    signer_title = StringField(_l("Signer's title"), validators=[Optional(), Length(max=120)])


@dataclass
class ActionForm:
    transition: Transition
    form: ActForm
    fields: tuple[str, ...]
    error: str | None = None
    open: bool = False


def _load(case_id: int, perm: Permission = P.FEEDBACK_VIEW) -> FeedbackCase:
    case = db.session.get(FeedbackCase, case_id)
    if case is None:
        abort(404)
    require_on_case(current_user, perm, case)
    return case


# --- Routing suggestions and similar cases (feedback.routing / feedback.duplicates). -------

def _suggestions(case: FeedbackCase) -> list[Any]:
    if CaseState(case.state) not in (CaseState.RECEIVED, CaseState.REGISTERED):
        return []
    return list(routing.suggest_handling_units(case) or [])


def _similar(case: FeedbackCase) -> list[tuple[FeedbackCase, float]]:
    if case.state == CaseState.MERGED.value:
        return []
    return list(duplicates.similar_open_cases(case, limit=5) or [])


def _record_routing(case: FeedbackCase, unit: Unit, suggestions: list[Any]) -> None:
    routing.record_routing_decision(case, unit, current_user, suggestions)


# --- Forms. --------------------------------------------------------------------------------

def handling_units(case: FeedbackCase) -> list[Unit]:
    """Active units in the agency's subtree that can handle a case (not desks)."""
    agency = case.agency
    return list(db.session.execute(
        select(Unit).where(Unit.path.like(agency.path + "%"), Unit.active.is_(True),
                           Unit.kind != UnitKind.DESK.value)
        .order_by(Unit.path)).scalars())


def _act_form(case: FeedbackCase, action: str, units: list[Unit], suggestions: list[Any],
              formdata=None) -> ActForm:
    form = ActForm(formdata=formdata, prefix=action)
    form.classification.choices = [("", _("Choose…"))] + [
        (c.value, str(CLASSIFICATION_LABELS[c.value]))
        for c in (Classification.IN_COMPETENCE, Classification.CONDUCT)]
    form.handling_unit.choices = [("", _("Choose…"))] + [
        (str(u.id), "— " * max(0, u.depth - case.agency.depth) + u.name_vi) for u in units
        if not (action == "reassign" and u.id == case.handling_unit_id)]
    if formdata is None:
        form.expected_state.data = case.state
        choice_ids = {value for value, _label in form.handling_unit.choices}
        if action == "approve":
            _prefill_letter(form, case)
        if action == "assign" and suggestions:
            top = str(getattr(suggestions[0].unit, "id", ""))
            if top in choice_ids:
                form.handling_unit.data = top
    return form


def _prefill_letter(form: ActForm, case: FeedbackCase) -> None:
    """The approver sees (and may correct) the letter number and signer the handler typed."""
    answer = current_answer(case)
    if answer is not None:
        form.letter_number.data = answer.letter_number
        form.signer_title.data = answer.signer_title


def _action_forms(case: FeedbackCase, units: list[Unit], suggestions: list[Any],
                  posted: ActionForm | None = None) -> list[ActionForm]:
    forms = []
    for transition in available_transitions(case, current_user):
        if posted is not None and posted.transition.action == transition.action:
            forms.append(posted)
            continue
        forms.append(ActionForm(transition, _act_form(case, transition.action, units,
                                                      suggestions),
                                ACTION_FIELDS.get(transition.action, ())))
    if posted is not None and all(f is not posted for f in forms):
        forms.append(posted)  # the state changed under the form: show it with its error
    return forms


def _timeline(case: FeedbackCase) -> list[FeedbackEvent]:
    return list(db.session.execute(
        select(FeedbackEvent).where(FeedbackEvent.case_id == case.id)
        .order_by(FeedbackEvent.at, FeedbackEvent.id)).scalars())


def event_label(event: FeedbackEvent) -> str:
    transition = TRANSITIONS.get(event.action)
    if transition is not None:
        return str(transition.label)
    return str(EVENT_LABELS.get(event.action, event.action))


def _templates(case: FeedbackCase) -> list[AnswerTemplate]:
    return answer_services.list_templates(case.handling_unit or case.agency, case.topic)


def _answer_form(case: FeedbackCase, answer: FeedbackAnswer | None) -> AnswerForm:
    form = AnswerForm(formdata=None)
    if answer is not None:
        form.body.data = answer.body
        form.letter_number.data = answer.letter_number
        form.signer_title.data = answer.signer_title
    chosen = request.args.get("mau", type=int)
    if chosen is not None:
        template = next((t for t in _templates(case) if t.id == chosen), None)
        if template is not None:
            form.body.data = answer_services.apply_template(template, case)
    return form


def _render(case: FeedbackCase, *, status: int = 200, contact=None,
            posted: ActionForm | None = None, note_form: NoteForm | None = None,
            reveal_form: RevealForm | None = None, answer_form: AnswerForm | None = None,
            error: str | None = None):
    units = handling_units(case)
    suggestions = _suggestions(case)
    answer = current_answer(case)
    can_draft = case.state == CaseState.IN_PROGRESS.value and \
        can_on_case(current_user, P.FEEDBACK_HANDLE, case)
    attachments = list(db.session.execute(
        select(FeedbackAttachment).where(FeedbackAttachment.case_id == case.id)
        .order_by(FeedbackAttachment.id)).scalars())
    returned = list(db.session.execute(
        select(FeedbackAnswer).where(FeedbackAnswer.case_id == case.id,
                                     FeedbackAnswer.status == AnswerStatus.RETURNED.value)
        .order_by(FeedbackAnswer.id.desc())).scalars())
    body = render_template(
        "feedback/office/case.html", case=case, light=traffic_light(case).value,
        actions=_action_forms(case, units, suggestions, posted), suggestions=suggestions,
        similar=_similar(case), timeline=_timeline(case), event_label=event_label,
        attachments=attachments, answer=answer, returned=returned,
        can_draft=can_draft, answer_form=answer_form or (_answer_form(case, answer)
                                                         if can_draft else None),
        templates=_templates(case) if can_draft else [],
        note_form=note_form or NoteForm(formdata=None),
        can_reveal=can_reveal_contact(current_user, case),
        reveal_form=reveal_form or RevealForm(formdata=None), contact=contact,
        letter_ready=letter_answer(case) is not None, error=error,
        receipt_rule=case_receipt_rule(case),
        master=db.session.get(FeedbackCase, case.master_id) if case.master_id else None)
    return body, status


@bp.get("/<int:case_id>")
def show(case_id: int):
    """One PAKN case: deadlines, content, timeline, notes, answer, the actions allowed now."""
    return _render(_load(case_id))


# --- Transitions. --------------------------------------------------------------------------

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
    posted = ActionForm(transition, form, ACTION_FIELDS.get(action, ()), open=True)
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


# --- Notes, contact, answer, attachments, letter. -------------------------------------------

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


@bp.post("/<int:case_id>/tra-loi")
def answer(case_id: int):
    """Save a case's answer draft, or save it and submit it for approval."""
    case = _load(case_id, P.FEEDBACK_HANDLE)
    form = AnswerForm()
    submit = request.form.get("submit_for_approval") == "1"
    if not form.validate():
        return _render(case, status=400, answer_form=form)
    try:
        answer_services.save_answer_draft(case, current_user, form.body.data,
                                          letter_number=form.letter_number.data,
                                          signer_title=form.signer_title.data)
        if submit:
            transition_case(case, "submit_answer", current_user)
    except ServiceError as error:
        db.session.rollback()
        case = _load(case_id, P.FEEDBACK_HANDLE)
        form.body.errors = [*form.body.errors, error.message]
        return _render(case, status=error.status, answer_form=form, error=error.message)
    db.session.commit()
    flash(_("The answer was submitted for approval.") if submit else
          _("Draft saved."), "success")
    return redirect(url_for(".show", case_id=case.id) + "#answer", code=303)


@bp.get("/<int:case_id>/tep/<int:attachment_id>")
def attachment(case_id: int, attachment_id: int):
    """Download one of a case's attachments (sandboxed; the download is logged)."""
    case = _load(case_id)
    item = db.session.get(FeedbackAttachment, attachment_id)
    if item is None or item.case_id != case.id:
        abort(404)
    try:
        content = read_attachment(item)
    except ServiceError as error:
        abort(error.status)
    record_audit_now("feedback.attachment_download", object_type="feedback_case",
                     object_id=case.id, unit_id=case.agency_id,
                     after={"attachment_id": item.id})
    response = Response(content, mimetype=item.content_type)
    response.headers["Content-Disposition"] = content_disposition(item.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


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
    return render_template("feedback/office/letter.html", case=case, letter=built, form=form,
                           name_hidden=case.contact_enc is not None and not posted), status
