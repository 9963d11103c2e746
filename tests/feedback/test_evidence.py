"""Evidence to close (issue 14, section 2): approval needs a legal basis or an evidence
attachment, the growing list of legal documents, closing without an answer needs a listed
reason, and the published answer cites its legal basis."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from core.exceptions import ServiceError
from core.extensions import db
from core.models import AuditEntry, Role
from feedback import evidence
from feedback.answers import save_answer_draft
from feedback.evidence import LegalBasis, LegalDocumentData, add_legal_document
from feedback.models import CaseState, FeedbackAnswer, FeedbackCase, LegalDocument
from feedback.publication import prepare_publication, publish_case
from feedback.workflow import TransitionInput, transition_case
from tests.feedback.helpers import answer_and_send, assign, bring_to, build_org, submit_case
from tests.feedback.test_attachments import PDF, png_bytes

S = CaseState
DECREE = LegalDocumentData(kind="decree", number="61/2018/NĐ-CP",
                           title="Về thực hiện cơ chế một cửa, một cửa liên thông",
                           issued_on=date(2018, 4, 23))


@pytest.fixture
def org(app, make_unit, make_user):
    return build_org(make_unit, make_user)


def _drafted(org, basis: LegalBasis | None = None, **submit) -> FeedbackCase:
    """A case in progress whose answer is drafted and submitted (with ``basis`` if given)."""
    case = bring_to(S.IN_PROGRESS, org, **submit)
    save_answer_draft(case, org.handler, "Kính gửi ông/bà, Sở đã khắc phục.",
                      legal_basis=basis)
    transition_case(case, "submit_answer", org.handler)
    db.session.commit()
    return case


def _decree(org) -> LegalDocument:
    document = add_legal_document(org.handler, DECREE).document
    db.session.commit()
    return document


# --- approval -----------------------------------------------------------------------------

@pytest.mark.usefixtures("english_messages")
def test_approval_without_evidence_is_refused_with_a_clear_message(org):
    case = _drafted(org)
    with pytest.raises(ServiceError) as refused:
        transition_case(case, "approve", org.approver)
    assert refused.value.status == 400 and refused.value.field == "legal_document"
    assert "cannot be approved without evidence" in refused.value.message
    db.session.rollback()
    assert db.session.get(FeedbackCase, case.id).state == S.ANSWER_DRAFTED.value


def test_approval_with_a_legal_basis_is_accepted_and_audited(org):
    document = _decree(org)
    case = _drafted(org, LegalBasis(document, "Điều 12"))
    transition_case(case, "approve", org.approver)
    db.session.commit()
    assert case.state == S.APPROVED.value
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "feedback.approve"))
    assert entry.after["legal_document_id"] == document.id
    assert entry.after["legal_article"] == "Điều 12"


def test_the_approver_may_give_the_legal_basis_when_approving(org):
    document = _decree(org)
    case = _drafted(org)
    transition_case(case, "approve", org.approver,
                    TransitionInput(legal_document=document, legal_article="Điều 5"))
    db.session.commit()
    answer = db.session.scalar(select(FeedbackAnswer).where(FeedbackAnswer.case_id == case.id))
    assert (answer.legal_document_id, answer.legal_article) == (document.id, "Điều 5")


def test_a_document_without_its_article_is_no_legal_basis(org):
    document = _decree(org)
    case = bring_to(S.IN_PROGRESS, org)
    with pytest.raises(ServiceError) as refused:
        save_answer_draft(case, org.handler, "Trả lời", legal_basis=LegalBasis(document, " "))
    assert refused.value.field == "legal_article"


def test_approval_with_a_photo_as_evidence_is_accepted(org):
    case = _drafted(org)
    attachment = evidence.attach_evidence(case, org.handler, "hien-truong.png", png_bytes())
    db.session.commit()
    transition_case(case, "approve", org.approver)
    db.session.commit()
    assert case.state == S.APPROVED.value and attachment.role == "evidence"


def test_a_pdf_needs_its_number_to_count_as_evidence(org):
    case = _drafted(org)
    with pytest.raises(ServiceError) as refused:
        evidence.attach_evidence(case, org.handler, "bien-ban.pdf", PDF)
    assert refused.value.field == "evidence_number" and refused.value.status == 400
    db.session.rollback()
    evidence.attach_evidence(case, org.handler, "bien-ban.pdf", PDF, "12/BB-SNV")
    db.session.commit()
    transition_case(case, "approve", org.approver)
    assert case.state == S.APPROVED.value


def test_evidence_goes_through_the_attachment_checks(org):
    case = _drafted(org)
    with pytest.raises(ServiceError) as refused:
        evidence.attach_evidence(case, org.handler, "a.zip", b"PK\x03\x04rest", "1/BB")
    assert refused.value.status == 400
    with pytest.raises(ServiceError) as refused:
        evidence.attach_evidence(case, org.outsider, "a.png", png_bytes())
    assert refused.value.status == 403


def test_a_suggestion_is_not_held_to_the_rule(org):
    case = _drafted(org, kind="suggestion")
    transition_case(case, "approve", org.approver)
    assert case.state == S.APPROVED.value


def test_the_case_page_form_saves_the_basis_and_the_evidence(client, login, org):
    document = _decree(org)
    case = bring_to(S.IN_PROGRESS, org)
    login(client, org.handler)
    page = client.get(f"/quan-tri/pakn/{case.id}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and "61/2018/NĐ-CP" in page
    response = client.post(f"/quan-tri/pakn/{case.id}/tra-loi", data={
        "body": "Kính gửi ông/bà, Sở đã khắc phục.", "legal_document": str(document.id),
        "legal_article": "Điều 12", "submit_for_approval": "1",
        "evidence_file": (io.BytesIO(png_bytes()), "anh.png")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    answer = db.session.scalar(select(FeedbackAnswer).where(FeedbackAnswer.case_id == case.id))
    assert (answer.legal_document_id, answer.legal_article) == (document.id, "Điều 12")
    assert [a.filename for a in evidence.evidence_of(case)] == ["anh.png"]
    # A PDF without its number keeps the draft's text and says what is missing.
    case = bring_to(S.IN_PROGRESS, org)
    response = client.post(f"/quan-tri/pakn/{case.id}/tra-loi", data={
        "body": "Bản nháp", "evidence_file": (io.BytesIO(PDF), "bb.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert "needs its number" in response.get_data(as_text=True)
    assert evidence.evidence_of(case) == []


# --- the growing list ---------------------------------------------------------------------

def test_add_then_reuse_the_same_number_whatever_its_spelling(org):
    first = add_legal_document(org.handler, DECREE)
    again = add_legal_document(org.approver, LegalDocumentData(
        kind="circular", number="61/2018/nđ-cp ", title="Khác", issued_on=date(2020, 1, 1)))
    db.session.commit()
    assert first.created and not again.created
    assert again.document.id == first.document.id and again.document.kind == "decree"
    assert db.session.scalar(select(func.count()).select_from(LegalDocument)) == 1
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("feedback.legal_document_added") == 1


@pytest.mark.parametrize("number", ["", "Nghị định số 61", "61-2018-NĐ-CP", "abc/2018/NĐ"])
def test_a_number_not_written_as_printed_is_refused(org, number):
    with pytest.raises(ServiceError) as refused:
        add_legal_document(org.handler, LegalDocumentData("decree", number, "T", date.today()))
    assert refused.value.field == "number" and refused.value.status == 400


def test_only_answering_roles_add_documents(org, make_user, make_unit):
    analyst = make_user(Role.ANALYST, org.province)
    with pytest.raises(ServiceError) as refused:
        add_legal_document(analyst, DECREE)
    assert refused.value.status == 403


def test_the_list_page_adds_reuses_and_refuses_other_roles(client, login, org, make_user):
    login(client, org.handler)
    form = {"doc-kind": "decree", "doc-number": "20/2008/NĐ-CP", "doc-issued_on": "2008-02-14",
            "doc-title": "Về tiếp nhận, xử lý phản ánh, kiến nghị"}
    assert client.post("/quan-tri/pakn/van-ban/", data=form).status_code == 303
    response = client.post("/quan-tri/pakn/van-ban/", data={**form, "doc-title": "Lặp"},
                           follow_redirects=True)
    assert "already on the list" in response.get_data(as_text=True)
    page = client.get("/quan-tri/pakn/van-ban/").get_data(as_text=True)
    assert page.count("20/2008/NĐ-CP") == 1 and "Lặp" not in page
    bad = client.post("/quan-tri/pakn/van-ban/", data={**form, "doc-number": "hai mươi"})
    assert bad.status_code == 400 and "as it is printed" in bad.get_data(as_text=True)
    client.post("/dang-xuat")
    login(client, make_user(Role.ANALYST, org.province))
    assert client.get("/quan-tri/pakn/van-ban/").status_code == 403
    assert client.post("/quan-tri/pakn/van-ban/", data=form).status_code == 403


# --- closing without an answer ------------------------------------------------------------

@pytest.mark.parametrize("state", [S.NOT_ACCEPTED, S.TRANSFERRED])
def test_closing_without_an_answer_needs_a_listed_reason(org, state):
    case = bring_to(state, org)
    for reason in (None, "because"):
        with pytest.raises(ServiceError) as refused:
            transition_case(case, "close", org.officer, TransitionInput(closure_reason=reason))
        assert refused.value.field == "closure_reason" and refused.value.status == 400
        db.session.rollback()
    transition_case(case, "close", org.officer, TransitionInput(closure_reason="withdrawn"))
    db.session.commit()
    assert case.state == S.CLOSED.value and case.closure_reason == "withdrawn"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "feedback.close"))
    assert entry.after["closure_reason"] == "withdrawn"
    # Reopening forgets the reason.
    transition_case(case, "reopen", org.officer, TransitionInput(reason="Bổ sung"))
    assert case.closure_reason is None


def test_closing_an_answered_case_needs_no_reason(org):
    case = bring_to(S.ANSWERED, org)
    transition_case(case, "close", org.officer)
    assert case.state == S.CLOSED.value and case.closure_reason is None


def test_the_close_form_offers_the_list_only_without_an_answer(client, login, org):
    case = bring_to(S.NOT_ACCEPTED, org)
    login(client, org.officer)
    page = client.get(f"/quan-tri/pakn/{case.id}").get_data(as_text=True)
    assert 'name="close-closure_reason"' in page and "Withdrawn by the sender" in page
    response = client.post(f"/quan-tri/pakn/{case.id}/thao-tac/close", data={
        "close-expected_state": "not_accepted", "close-closure_reason": ""})
    assert response.status_code == 400
    assert "needs a reason" in response.get_data(as_text=True)
    response = client.post(f"/quan-tri/pakn/{case.id}/thao-tac/close", data={
        "close-expected_state": "not_accepted", "close-closure_reason": "anonymous"})
    assert response.status_code == 303
    page = client.get(f"/quan-tri/pakn/{case.id}").get_data(as_text=True)
    assert "Anonymous, with no content that can be acted on" in page
    answered = bring_to(S.ANSWERED, org)
    page = client.get(f"/quan-tri/pakn/{answered.id}").get_data(as_text=True)
    assert 'name="close-closure_reason"' not in page


# --- the published answer -----------------------------------------------------------------

def test_the_published_answer_cites_its_legal_basis_and_nothing_personal(client, client_vi,
                                                                         org):
    document = _decree(org)
    case = submit_case(org)
    assign(case, org)
    transition_case(case, "start", org.handler)
    save_answer_draft(case, org.handler, "Kính gửi ông/bà, Sở đã khắc phục.",
                      legal_basis=LegalBasis(document, "12"))
    transition_case(case, "submit_answer", org.handler)
    transition_case(case, "approve", org.approver)
    transition_case(case, "send_answer", org.approver)
    pub = prepare_publication(case, org.officer)
    publish_case(case, org.approver)
    db.session.commit()
    english = client.get(f"/tra-loi-pakn/{pub.slug}").get_data(as_text=True)
    assert "Decree 61/2018/NĐ-CP, Article 12, of 23/04/2018" in english
    vietnamese = client_vi.get(f"/tra-loi-pakn/{pub.slug}").get_data(as_text=True)
    assert "Căn cứ pháp lý" in vietnamese
    assert "Nghị định 61/2018/NĐ-CP, Điều 12, ngày 23/04/2018" in vietnamese
    for personal in ("Nguyễn Văn An", "0912 345 678", "an.nguyen@example.vn"):
        assert personal not in vietnamese


def test_helpers_answer_and_send_still_work(org):
    """The shared helper cites a legal basis, so the older tests keep approving."""
    case = submit_case(org)
    assign(case, org)
    answer_and_send(case, org)
    assert case.state == S.ANSWERED.value
