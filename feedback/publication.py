"""Publication of typical answers without personal data.

``prepare_publication`` copies an answered case's title, question and sent answer into a
Publication draft after automatic redaction (feedback.redaction), using the sender's own name,
phone, email and address from the decrypted contact as extra patterns (the decryption is
logged as "feedback.contact_used_for_redaction"). The reviewer may edit the public text;
edited text is redacted again and what was removed is shown. Publishing is the workflow
transition "publish" (approvers only), which strips the removed text from the record; the
public pages read the Publication table only.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select

from core.access import Actor, Permission
from core.audit import record_audit
from core.clock import now
from core.crypto import InvalidToken, decrypt_json
from core.exceptions import ServiceError
from core.extensions import db
from core.models import User
from core.text import fold
from feedback.case_access import can_on_case
from feedback.intake import clean_text
from feedback.labels import KIND_LABELS, TOPIC_LABELS  # noqa: F401  (used here and re-exported)
from feedback.models import (
    AnswerStatus,
    CaseState,
    FeedbackAnswer,
    FeedbackCase,
    Publication,
)
from feedback.redaction import (
    ADDRESS,
    CATEGORIES,
    DOSSIER_CODE,
    EMAIL,
    HIGH,
    LOW,
    PHONE,
    REPLACEMENTS,
    RedactionResult,
    Span,
    redact,
)
from feedback.workflow import TransitionInput, transition_case

MAX_TITLE = 300
MAX_TEXT = 20_000
FIELDS = ("title", "question", "answer")
# States in which the case has a sent answer that may be published.
PUBLISHABLE_STATES = frozenset({CaseState.ANSWERED.value, CaseState.PUBLISHED.value,
                                CaseState.CLOSED.value})

CATEGORY_LABELS = {
    "name": _l("Name of a person"),
    "phone": _l("Phone number"),
    "email": _l("Email address"),
    "id_number": _l("ID number"),
    "dossier_code": _l("Dossier code"),
    "address": _l("Street address"),
    "bank_account": _l("Bank account number"),
    "vehicle_plate": _l("Vehicle plate"),
}
STATUS_LABELS = {
    "draft": _l("Draft, awaiting approval"),
    "published": _l("Published"),
    "withdrawn": _l("Withdrawn"),
}
P = Permission


def can_prepare(actor: Actor | None, case: FeedbackCase) -> bool:
    """PAKN officers, handlers and approvers of the case prepare the public text."""
    return any(can_on_case(actor, perm, case)
               for perm in (P.FEEDBACK_TRIAGE, P.FEEDBACK_HANDLE, P.FEEDBACK_APPROVE))


def can_publish(actor: Actor | None, case: FeedbackCase) -> bool:
    return can_on_case(actor, P.FEEDBACK_APPROVE, case)


def publication_of(case: FeedbackCase) -> Publication | None:
    return db.session.execute(
        select(Publication).where(Publication.case_id == case.id)).scalar_one_or_none()


def sent_answer(case: FeedbackCase) -> FeedbackAnswer | None:
    return db.session.execute(
        select(FeedbackAnswer).where(FeedbackAnswer.case_id == case.id,
                                     FeedbackAnswer.status == AnswerStatus.SENT.value)
        .order_by(FeedbackAnswer.id.desc()).limit(1)).scalar_one_or_none()


@dataclass
class _Known:
    names: list[str]
    values: list[tuple[str, str]]


def _known_personal_data(case: FeedbackCase, actor: Actor) -> _Known:
    """The sender's contact data, decrypted only to be searched for in the text. This is a
    reveal to the server, not to the reviewer: logged, no timeline event."""
    names: list[str] = []
    values: list[tuple[str, str]] = []
    if case.dossier_code:
        values.append((DOSSIER_CODE, case.dossier_code))
    if case.contact_enc is None:
        return _Known(names, values)
    try:
        contact = decrypt_json(case.contact_enc)
    except InvalidToken:
        # A key dropped too early: refuse rather than publish without the sender's data.
        raise ServiceError(_("The sender's contact data cannot be read, so the text cannot "
                             "be checked for it. Ask the administrator about the keys."),
                           status=409) from None
    record_audit("feedback.contact_used_for_redaction", object_type="feedback_case",
                 object_id=case.id, unit_id=case.agency_id,
                 actor_user_id=actor.id if isinstance(actor, User) else None)
    if contact.get("name"):
        names.append(str(contact["name"]))
    for key, category in (("phone", PHONE), ("email", EMAIL), ("address", ADDRESS)):
        if contact.get(key):
            values.append((category, str(contact[key])))
    return _Known(names, values)


def _redact(text: str, known: _Known) -> RedactionResult:
    return redact(text, known_names=known.names, known_values=known.values)


def _span_dicts(field: str, result: RedactionResult, source: str) -> list[dict]:
    return [{**span.as_dict(field), "source": source} for span in result.spans]


def _search_text(pub: Publication) -> str:
    return fold(f"{pub.title} {pub.question} {pub.answer}")


def _check_can_prepare(case: FeedbackCase, actor: Actor) -> None:
    if not can_prepare(actor, case):
        raise ServiceError(_("You may not prepare the publication of this case."), status=403)


def prepare_publication(case: FeedbackCase, actor: Actor, *,
                        refresh: bool = False) -> Publication:
    """The draft Publication of an answered case, created (or, with ``refresh``, rebuilt
    from the case) with the personal data removed. Flushes; the caller commits."""
    _check_can_prepare(case, actor)
    if case.state not in PUBLISHABLE_STATES:
        raise ServiceError(_("Only a case whose answer has been sent can be published."),
                           status=409)
    answer = sent_answer(case)
    if answer is None:
        raise ServiceError(_("Only a case whose answer has been sent can be published."),
                           status=409)
    pub = publication_of(case)
    if pub is not None and pub.status == "published":
        if refresh:
            raise ServiceError(_("Withdraw the publication before preparing it again."),
                               status=409)
        return pub
    if pub is not None and not refresh:
        return pub
    known = _known_personal_data(case, actor)
    title = _redact(case.title or "", known)
    question = _redact(case.content or "", known)
    answer_text = _redact(answer.body or "", known)
    if pub is None:
        pub = Publication(case_id=case.id, slug=_new_slug())
        db.session.add(pub)
    pub.title = (title.text or question.text[:120])[:MAX_TITLE]
    pub.question = question.text
    pub.answer = answer_text.text
    pub.topic = case.topic
    pub.kind = case.kind
    pub.unit_id = case.handling_unit_id or case.agency_id
    pub.answered_at = case.answered_at or answer.sent_at
    # The legal basis is public (a law, not a person): the published answer cites it.
    pub.legal_document_id = answer.legal_document_id
    pub.legal_article = answer.legal_article
    pub.status = "draft"
    pub.prepared_by_id = actor.id if isinstance(actor, User) else None
    pub.redactions = (_span_dicts("title", title, "case")
                      + _span_dicts("question", question, "case")
                      + _span_dicts("answer", answer_text, "case"))
    pub.search_text = _search_text(pub)
    db.session.flush()
    record_audit("feedback.publication_prepare", object_type="feedback_publication",
                 object_id=pub.id, unit_id=case.agency_id, actor_user_id=pub.prepared_by_id,
                 after={"case_id": case.id, "removed": _category_counts(pub.redactions)})
    return pub


def _new_slug() -> str:
    while True:
        slug = secrets.token_urlsafe(9)
        exists = db.session.execute(
            select(Publication.id).where(Publication.slug == slug)).first()
        if exists is None:
            return slug


def _category_counts(redactions: list[dict] | None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in redactions or []:
        counts[item["category"]] = counts.get(item["category"], 0) + 1
    return counts


@dataclass
class EditResult:
    publication: Publication
    # What the redaction removed again from the reviewer's text (category counts only:
    # the removed text itself is not shown in a flash message).
    removed: dict[str, int]


def edit_publication(pub: Publication, actor: Actor, title: str, question: str,
                     answer: str) -> EditResult:
    """The reviewer's edit of the public text. The edited text is redacted again: anything
    that looks personal is replaced and reported. Flushes; the caller commits."""
    case = pub.case
    _check_can_prepare(case, actor)
    if pub.status == "published":
        raise ServiceError(_("Withdraw the publication before editing it."), status=409)
    values = {"title": clean_text(title), "question": clean_text(question),
              "answer": clean_text(answer)}
    for name, value in values.items():
        if not value:
            raise ServiceError(_("This text cannot be empty."), status=400, field=name)
        limit = MAX_TITLE if name == "title" else MAX_TEXT
        if len(value) > limit:
            raise ServiceError(_("The text is too long (at most %(n)d characters).", n=limit),
                               status=400, field=name)
    known = _known_personal_data(case, actor)
    removed: list[dict] = []
    for name, value in values.items():
        result = _redact(value, known)
        setattr(pub, name, result.text[:MAX_TITLE] if name == "title" else result.text)
        removed.extend(_span_dicts(name, result, "edit"))
    # Earlier findings in the reviewer's own edits no longer apply to this text.
    pub.redactions = [r for r in (pub.redactions or []) if r.get("source") != "edit"] + removed
    pub.search_text = _search_text(pub)
    pub.updated_at = now()
    db.session.flush()
    counts = _category_counts(removed)
    # The editor is named: four eyes (feedback.four_eyes) keeps them from publishing it.
    record_audit("feedback.publication_edit", object_type="feedback_publication",
                 object_id=pub.id, unit_id=case.agency_id,
                 actor_user_id=actor.id if isinstance(actor, User) else None,
                 after={"removed": counts})
    return EditResult(pub, counts)


def publish_case(case: FeedbackCase, actor: Actor) -> Publication:
    """The approver publishes: a last automatic check of the public text, then the workflow
    transition "publish" (which answers 403 for non-approvers and 409 before the answer is
    sent or without a prepared text)."""
    pub = publication_of(case)
    if pub is not None and pub.status in ("draft", "withdrawn") and can_publish(actor, case):
        for name in FIELDS:
            result = redact(getattr(pub, name))
            if result.spans:
                setattr(pub, name, result.text)
                pub.redactions = [*(pub.redactions or []),
                                  *_span_dicts(name, result, "edit")]
        pub.search_text = _search_text(pub)
    transition_case(case, "publish", actor)
    return pub


def withdraw_case(case: FeedbackCase, actor: Actor, reason: str) -> None:
    """Take the answer off the public pages (workflow transition "unpublish", with a
    reason)."""
    transition_case(case, "unpublish", actor, TransitionInput(reason=clean_text(reason)))


# --- Preview -----------------------------------------------------------------------------

def spans_for(pub: Publication, field: str, source: str = "case") -> list[Span]:
    return [Span(r["category"], int(r["start"]), int(r["end"]), r.get("text", ""),
                 r.get("confidence", HIGH))
            for r in (pub.redactions or [])
            if r.get("field") == field and r.get("source", "case") == source]


def highlight(text: str, spans: list[Span]) -> Markup:
    """``text`` with each removed part wrapped in <mark class="redacted redacted-<category>">,
    plus "redacted-low" when the redaction only guessed (the reviewer checks those first);
    everything else is escaped."""
    pieces: list[str] = []
    cursor = 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < cursor or span.end > len(text):
            continue  # the text changed since the redaction: skip rather than mislabel
        if span.category not in CATEGORIES:
            continue
        pieces.append(escape(text[cursor:span.start]))
        label = str(CATEGORY_LABELS.get(span.category, span.category))
        low = span.confidence == LOW
        title = _("%(label)s, uncertain: check it", label=label) if low else label
        pieces.append(Markup('<mark class="redacted redacted-{c}{l}" title="{t}">{x}</mark>')
                      .format(c=span.category, l=" redacted-low" if low else "", t=title,
                              x=text[span.start:span.end]))
        cursor = span.end
    pieces.append(escape(text[cursor:]))
    return Markup("").join(pieces)


_PLACEHOLDER_RE = re.compile("|".join(re.escape(token) for token in REPLACEMENTS.values()))


def highlight_placeholders(text: str) -> Markup:
    """The public text with the placeholders marked, everything escaped."""
    pieces: list[str] = []
    cursor = 0
    for m in _PLACEHOLDER_RE.finditer(text):
        pieces.append(escape(text[cursor:m.start()]))
        pieces.append(Markup('<mark class="placeholder">{x}</mark>').format(x=m.group(0)))
        cursor = m.end()
    pieces.append(escape(text[cursor:]))
    return Markup("").join(pieces)


@dataclass
class PreviewField:
    name: str
    label: object
    original: Markup
    public: Markup


def preview_fields(pub: Publication) -> list[PreviewField]:
    """The original text (staff only) with the removed parts highlighted, beside the public
    text."""
    case = pub.case
    answer = sent_answer(case)
    originals = {"title": case.title or "", "question": case.content or "",
                 "answer": answer.body if answer is not None else ""}
    labels = {"title": _l("Title"), "question": _l("Question"), "answer": _l("Answer")}
    return [PreviewField(name, labels[name], highlight(originals[name], spans_for(pub, name)),
                         highlight_placeholders(getattr(pub, name)))
            for name in FIELDS]


def edit_findings(pub: Publication) -> list[dict]:
    """What was removed from the reviewer's own edits, for the preview page (staff only)."""
    return [r for r in (pub.redactions or []) if r.get("source") == "edit"]

