"""Demo data of issue 14 (evidence to close, moderation log): the legal documents an agency
cites most in PAKN answers, the legal basis each demo answer cites (by topic), and a few
decisions not to publish.

The documents are real: their numbers, titles and dates are those published in the official
gazette. The articles cited are the demo's choice (the document's scope and general rules,
or, for the conduct of officials, the acts an official must not do)."""

from __future__ import annotations

from datetime import date

from core.models import User
from feedback.evidence import LegalBasis, LegalDocumentData, add_legal_document

DOCUMENTS = (
    ("decree", "20/2008/NĐ-CP", "Về tiếp nhận, xử lý phản ánh, kiến nghị của cá nhân, tổ chức "
     "về quy định hành chính", date(2008, 2, 14)),
    ("decree", "92/2017/NĐ-CP", "Sửa đổi, bổ sung một số điều của các nghị định liên quan đến "
     "kiểm soát thủ tục hành chính", date(2017, 8, 7)),
    ("decree", "61/2018/NĐ-CP", "Về thực hiện cơ chế một cửa, một cửa liên thông trong giải "
     "quyết thủ tục hành chính", date(2018, 4, 23)),
    ("circular", "01/2018/TT-VPCP", "Hướng dẫn thi hành một số quy định của Nghị định số "
     "61/2018/NĐ-CP", date(2018, 11, 23)),
    ("decree", "107/2021/NĐ-CP", "Sửa đổi, bổ sung một số điều của Nghị định số 61/2018/NĐ-CP",
     date(2021, 12, 6)),
    ("law", "91/2025/QH15", "Luật Bảo vệ dữ liệu cá nhân", date(2025, 6, 26)),
)
# Topic → (document number, article) cited by the demo's answers.
BASIS_BY_TOPIC = {
    "staff_conduct": ("61/2018/NĐ-CP", "Điều 5"),
    "procedures": ("61/2018/NĐ-CP", "Điều 19"),
}
DEFAULT_BASIS = ("20/2008/NĐ-CP", "Điều 3")
# Demo case key → reason it is kept off the public pages (feedback.reasons).
NOT_PUBLISHED = {"07": "abusive", "08": "out_of_scope", "30": "personal_data"}


def load_legal_documents(user: User) -> dict[str, LegalBasis]:
    """Add the documents (reusing any already listed); the legal basis of each topic."""
    by_number = {}
    for kind, number, title, issued_on in DOCUMENTS:
        by_number[number] = add_legal_document(user, LegalDocumentData(
            kind=kind, number=number, title=title, issued_on=issued_on)).document
    bases = {topic: LegalBasis(by_number[number], article)
             for topic, (number, article) in BASIS_BY_TOPIC.items()}
    bases[""] = LegalBasis(by_number[DEFAULT_BASIS[0]], DEFAULT_BASIS[1])
    return bases
