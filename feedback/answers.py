"""Answer drafting: the handler writes (or starts from a template), the approver approves in
the workflow (feedback.workflow: submit_answer, approve, send_answer)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import or_, select

from core.access import Actor, Permission, can, can_globally
from core.audit import record_audit
from core.clock import local
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit, User
from feedback.case_access import can_on_case
from feedback.evidence import LegalBasis, set_legal_basis
from feedback.intake import clean_text
from feedback.models import (
    AnswerStatus,
    AnswerTemplate,
    CaseState,
    FeedbackAnswer,
    FeedbackCase,
    Topic,
)
from feedback.tracking import format_tracking_code
from feedback.workflow import add_event, current_answer

MAX_ANSWER = 20_000


def save_answer_draft(case: FeedbackCase, actor: Actor, body: str, *,
                      letter_number: str | None = None,
                      signer_title: str | None = None,
                      legal_basis: LegalBasis | None = None) -> FeedbackAnswer:
    """Create or update the draft while the case is being handled; ``legal_basis`` (when
    given) replaces the draft's legal basis (feedback.evidence). Flushes."""
    if not can_on_case(actor, Permission.FEEDBACK_HANDLE, case):
        raise ServiceError(_("You may not answer this case."), status=403)
    if case.state != CaseState.IN_PROGRESS.value:
        raise ServiceError(_("The answer can only be written while the case is being "
                             "handled."), status=409)
    body = clean_text(body)
    if not body:
        raise ServiceError(_("Write the answer first."), status=400, field="body")
    if len(body) > MAX_ANSWER:
        raise ServiceError(_("The answer is too long (at most %(n)d characters).",
                             n=MAX_ANSWER), status=400, field="body")
    answer = current_answer(case)
    if answer is None or answer.status != AnswerStatus.DRAFT.value:
        answer = FeedbackAnswer(case_id=case.id, body=body)
        db.session.add(answer)
        add_event(case, actor, "draft_answer")
    answer.body = body
    answer.drafted_by_id = actor.id if isinstance(actor, User) else None
    if letter_number is not None:
        answer.letter_number = clean_text(letter_number)[:60] or None
    if signer_title is not None:
        answer.signer_title = clean_text(signer_title)[:120] or None
    if legal_basis is not None:
        set_legal_basis(answer, legal_basis.document, legal_basis.article)
    db.session.flush()
    return answer


# --- Answer templates (mẫu trả lời). --------------------------------------------------------
# A template is a unit's reusable text, optionally for one topic. Filling it in puts only the
# case's own references in: never the sender's name or contact (the handler types those if the
# answer needs them).

PLACEHOLDERS = ("ma_tra_cuu", "so_vao_so", "ngay_nhan", "don_vi")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
MAX_TEMPLATE_TITLE = 200


def _unit_ids_up(unit: Unit | None) -> list[int]:
    return unit.ancestor_ids() if unit is not None else []


def list_templates(unit: Unit | None, topic: str | None = None, *,
                   include_inactive: bool = False) -> list[AnswerTemplate]:
    """Templates usable by ``unit``: its own and those of the units above it, and shared
    ones (no unit); for ``topic``, those of the topic and those for any topic. The most
    specific come first (nearest unit, then the topic's own)."""
    ids = _unit_ids_up(unit)
    stmt = select(AnswerTemplate).where(
        or_(AnswerTemplate.unit_id.is_(None), AnswerTemplate.unit_id.in_(ids or [-1])))
    if topic:
        stmt = stmt.where(or_(AnswerTemplate.topic.is_(None), AnswerTemplate.topic == topic))
    if not include_inactive:
        stmt = stmt.where(AnswerTemplate.active.is_(True))
    rows = db.session.execute(stmt).scalars().all()

    def rank(template: AnswerTemplate) -> tuple:
        depth = ids.index(template.unit_id) + 1 if template.unit_id in ids else 0
        return (-depth, template.topic is None, template.title.casefold(), template.id)

    return sorted(rows, key=rank)


def template_values(case: FeedbackCase) -> dict[str, str]:
    unit = case.handling_unit or case.agency
    return {
        "ma_tra_cuu": format_tracking_code(case.tracking_code),
        "so_vao_so": case.register_number or "",
        "ngay_nhan": local(case.received_at).strftime("%d/%m/%Y"),
        "don_vi": unit.name_vi if unit is not None else "",
    }


def apply_template(template: AnswerTemplate, case: FeedbackCase) -> str:
    """The template's text with {ma_tra_cuu}, {so_vao_so}, {ngay_nhan} and {don_vi} filled in
    for ``case``; any other brace text is left as written."""
    values = template_values(case)
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template.body)


def can_manage_templates(actor: Actor | None, unit: Unit | None) -> bool:
    """Handlers and approvers keep their unit's templates; shared templates (no unit) are for
    those whose grant covers every unit."""
    perms = (Permission.FEEDBACK_HANDLE, Permission.FEEDBACK_APPROVE)
    if unit is None:
        return any(can_globally(actor, perm) for perm in perms)
    return any(can(actor, perm, unit) for perm in perms)


@dataclass
class TemplateData:
    title: str
    body: str
    unit: Unit | None = None
    topic: str | None = None
    active: bool = True


def _check_template(actor: Actor, data: TemplateData) -> TemplateData:
    if not can_manage_templates(actor, data.unit):
        raise ServiceError(_("You may not manage answer templates of this unit."), status=403)
    data.title = clean_text(data.title)[:MAX_TEMPLATE_TITLE]
    data.body = clean_text(data.body)
    if not data.title:
        raise ServiceError(_("Give the template a title."), status=400, field="title")
    if not data.body:
        raise ServiceError(_("Write the template's text."), status=400, field="body")
    if len(data.body) > MAX_ANSWER:
        raise ServiceError(_("The answer is too long (at most %(n)d characters).",
                             n=MAX_ANSWER), status=400, field="body")
    if data.topic and data.topic not in {t.value for t in Topic}:
        raise ServiceError(_("Choose a topic."), status=400, field="topic")
    data.topic = data.topic or None
    return data


def _template_snapshot(template: AnswerTemplate) -> dict:
    return {"title": template.title, "unit_id": template.unit_id, "topic": template.topic,
            "active": template.active}


def create_template(actor: Actor, data: TemplateData) -> AnswerTemplate:
    data = _check_template(actor, data)
    template = AnswerTemplate(unit_id=data.unit.id if data.unit else None, unit=data.unit,
                              topic=data.topic, title=data.title, body=data.body,
                              active=data.active)
    db.session.add(template)
    db.session.flush()
    record_audit("feedback.answer_template_created", object_type="answer_template",
                 object_id=template.id, unit_id=template.unit_id,
                 after=_template_snapshot(template))
    return template


def update_template(template: AnswerTemplate, actor: Actor,
                    data: TemplateData) -> AnswerTemplate:
    if not can_manage_templates(actor, template.unit):
        raise ServiceError(_("You may not manage answer templates of this unit."), status=403)
    data = _check_template(actor, data)
    before = _template_snapshot(template)
    template.unit_id = data.unit.id if data.unit else None
    template.unit = data.unit
    template.topic = data.topic
    template.title = data.title
    template.body = data.body
    template.active = data.active
    db.session.flush()
    record_audit("feedback.answer_template_updated", object_type="answer_template",
                 object_id=template.id, unit_id=template.unit_id, before=before,
                 after=_template_snapshot(template))
    return template
