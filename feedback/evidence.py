"""Evidence to close (issue 14, section 2): an answer to an in-scope PAKN is approved only with
a legal basis (a document of the growing list, with the article cited) or an evidence
attachment (a photo, or a document carrying its own number).

The rule lives here and the workflow's "approve" calls ``check_evidence``, so the case page,
the API and the CLI all meet it. In scope means a PAKN (a report or a recommendation, not a
suggestion, which has no legal standing) classified as the conduct of an agency or official or
a rule within our competence: the cases Decree 20/2008 obliges the agency to answer.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from core.access import Actor, Permission, can
from core.audit import record_audit
from core.exceptions import ServiceError
from core.extensions import db
from core.models import User
from feedback.attachments import sniff_type, store_attachment
from feedback.case_access import can_on_case
from feedback.intake import clean_text
from feedback.models import (
    CaseState,
    Classification,
    FeedbackAnswer,
    FeedbackAttachment,
    FeedbackCase,
    Kind,
    LegalDocument,
)
from feedback.reasons import DOCUMENT_KINDS

MAX_NUMBER = 60
MAX_TITLE = 300
MAX_ARTICLE = 60
EVIDENCE_ROLE = "evidence"
# "61/2018/NĐ-CP", "91/2025/QH15", "1001/QĐ-BNV": a serial, an optional year, the issuer.
_NUMBER = re.compile(r"\d{1,6}(/\d{4})?/[A-ZĐ][A-ZĐ0-9]*(-[A-ZĐ0-9]+)*")
IN_SCOPE = frozenset({Classification.CONDUCT.value, Classification.IN_COMPETENCE.value})
# While the answer is being written or awaits approval, evidence may be added.
EVIDENCE_STATES = frozenset({CaseState.IN_PROGRESS.value, CaseState.ANSWER_DRAFTED.value})
_P = Permission


def number_key(number: str) -> str:
    """The number as compared for duplicates: NFC, upper case, no spaces."""
    text = unicodedata.normalize("NFC", number or "").upper()
    return re.sub(r"\s+", "", text)


# --- The growing list of legal documents ----------------------------------------------------

def list_legal_documents() -> list[LegalDocument]:
    """Every document of the list, newest first (the pick-list on the answer form)."""
    return list(db.session.execute(
        select(LegalDocument).order_by(LegalDocument.issued_on.desc(),
                                       LegalDocument.number)).scalars())


def find_legal_document(number: str) -> LegalDocument | None:
    return db.session.execute(select(LegalDocument).where(
        LegalDocument.number_key == number_key(number))).scalar_one_or_none()


def may_add_legal_documents(actor: Actor | None) -> bool:
    """Whoever drafts, approves or triages answers somewhere may add to the list."""
    return any(can(actor, perm) for perm in (_P.FEEDBACK_HANDLE, _P.FEEDBACK_APPROVE,
                                             _P.FEEDBACK_TRIAGE))


@dataclass
class LegalDocumentData:
    kind: str
    number: str
    title: str
    issued_on: date | None


@dataclass
class AddedDocument:
    document: LegalDocument
    created: bool  # False: the number was already on the list, which is reused


def add_legal_document(actor: Actor, data: LegalDocumentData) -> AddedDocument:
    """Add a document to the list, or return the one already listed under the same number
    (whatever its spelling). Flushes; the caller commits."""
    if not may_add_legal_documents(actor):
        raise ServiceError(_("You may not add legal documents."), status=403)
    number = clean_text(data.number)
    key = number_key(number)
    if not _NUMBER.fullmatch(key) or len(key) > MAX_NUMBER:
        raise ServiceError(_("Write the document number as it is printed, for example "
                             "61/2018/NĐ-CP."), status=400, field="number")
    existing = find_legal_document(number)
    if existing is not None:
        return AddedDocument(existing, False)
    if data.kind not in DOCUMENT_KINDS:
        raise ServiceError(_("Choose the kind of document."), status=400, field="kind")
    title = clean_text(data.title)[:MAX_TITLE]
    if not title:
        raise ServiceError(_("Give the document's title."), status=400, field="title")
    if data.issued_on is None:
        raise ServiceError(_("Give the date the document was issued."), status=400,
                           field="issued_on")
    document = LegalDocument(kind=data.kind, number=re.sub(r"\s+", "", number),
                             number_key=key, title=title, issued_on=data.issued_on,
                             created_by_id=actor.id if isinstance(actor, User) else None)
    db.session.add(document)
    db.session.flush()
    record_audit("feedback.legal_document_added", object_type="legal_document",
                 object_id=document.id, after={"kind": document.kind, "number": document.number,
                                               "issued_on": document.issued_on.isoformat()})
    return AddedDocument(document, True)


# --- The legal basis of one answer ----------------------------------------------------------

@dataclass
class LegalBasis:
    document: LegalDocument | None
    article: str | None


def set_legal_basis(answer: FeedbackAnswer, document: LegalDocument | None,
                    article: str | None) -> None:
    """Put (or, with no document, remove) the answer's legal basis. The article is required
    with a document. Does not flush."""
    article = clean_text(article)[:MAX_ARTICLE] or None
    if document is None:
        if article:
            raise ServiceError(_("Choose the legal document the article belongs to."),
                               status=400, field="legal_document")
        answer.legal_document_id = None
        answer.legal_document = None
        answer.legal_article = None
        return
    if not article:
        raise ServiceError(_("Give the article of the document (for example: Điều 12)."),
                           status=400, field="legal_article")
    answer.legal_document_id = document.id
    answer.legal_document = document
    answer.legal_article = article


def format_legal_basis(document: LegalDocument | None, article: str | None) -> str:
    """"Decree 61/2018/NĐ-CP, Article 12, of 23/04/2018" in the reader's language (the
    article is shown as written when it already names its unit, such as "khoản 2 Điều 12")."""
    if document is None:
        return ""
    kind = str(DOCUMENT_KINDS.get(document.kind, document.kind))
    article = (article or "").strip()
    if article.isdigit():
        article = _("Article %(n)s", n=article)
    return _("%(kind)s %(number)s, %(article)s, of %(day)s", kind=kind,
             number=document.number, article=article,
             day=document.issued_on.strftime("%d/%m/%Y"))


# --- Evidence attachments -------------------------------------------------------------------

def evidence_of(case: FeedbackCase) -> list[FeedbackAttachment]:
    return list(db.session.execute(
        select(FeedbackAttachment).where(FeedbackAttachment.case_id == case.id,
                                         FeedbackAttachment.role == EVIDENCE_ROLE)
        .order_by(FeedbackAttachment.id)).scalars())


def attach_evidence(case: FeedbackCase, actor: Actor, filename: str | None, content: bytes,
                    number: str | None = None) -> FeedbackAttachment:
    """Store a photo, or a PDF document with its number, as evidence behind the answer. The
    file goes through the attachments' checks (type by content, size, pixels). Flushes; the
    caller commits (and discards the file if it rolls back)."""
    if not any(can_on_case(actor, perm, case) for perm in (_P.FEEDBACK_HANDLE,
                                                            _P.FEEDBACK_APPROVE)):
        raise ServiceError(_("You may not add evidence to this case."), status=403)
    if case.state not in EVIDENCE_STATES:
        raise ServiceError(_("Evidence can only be added while the answer is being written "
                             "or awaits approval."), status=409)
    number = clean_text(number)[:MAX_NUMBER] or None
    if sniff_type(content or b"") == "application/pdf" and not number:
        # Checked before storing so that no file is written for a refused upload.
        raise ServiceError(_("A document given as evidence needs its number (for example "
                             "the number of the minutes or the decision)."), status=400,
                           field="evidence_number")
    attachment = store_attachment(case, filename, content, role=EVIDENCE_ROLE)
    attachment.evidence_number = number
    db.session.flush()
    record_audit("feedback.evidence_attached", object_type="feedback_case", object_id=case.id,
                 unit_id=case.agency_id, after={"attachment_id": attachment.id,
                                                "content_type": attachment.content_type,
                                                "evidence_number": number})
    return attachment


def counts_as_evidence(attachment: FeedbackAttachment) -> bool:
    """A photo, or a document that carries its number."""
    if attachment.role != EVIDENCE_ROLE:
        return False
    return attachment.content_type.startswith("image/") or bool(attachment.evidence_number)


# --- The rule -------------------------------------------------------------------------------

def needs_evidence(case: FeedbackCase) -> bool:
    return case.kind != Kind.SUGGESTION.value and case.classification in IN_SCOPE


def check_evidence(case: FeedbackCase, answer: FeedbackAnswer) -> dict:
    """Refuse (400) the approval of an in-scope answer with neither a legal basis nor an
    evidence attachment; otherwise the audit details naming the evidence."""
    details: dict = {}
    if answer.legal_document_id is not None and answer.legal_article:
        details["legal_document_id"] = answer.legal_document_id
        details["legal_article"] = answer.legal_article
    files = [a.id for a in evidence_of(case) if counts_as_evidence(a)]
    if files:
        details["evidence_attachment_ids"] = files
    if not details and needs_evidence(case):
        raise ServiceError(_("This answer cannot be approved without evidence: choose its "
                             "legal basis (document and article) or attach a photo or a "
                             "numbered document as evidence."), status=400,
                           field="legal_document")
    return details
