"""Answer templates (placeholders, no personal data, admin pages) and drafting on the case
page (only while in progress; approvers approve or return)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.exceptions import ServiceError
from core.extensions import db
from core.models import AuditEntry, Role
from feedback.answers import (
    TemplateData,
    apply_template,
    create_template,
    list_templates,
    update_template,
)
from feedback.models import AnswerTemplate, FeedbackAnswer, FeedbackCase
from feedback.tracking import format_tracking_code
from feedback.workflow import transition_case
from tests.feedback.helpers import FULL_CONTACT, assign, build_org, legal_basis, submit_case


@pytest.fixture
def org(make_unit, make_user):
    return build_org(make_unit, make_user)


@pytest.fixture
def case(org):
    case = submit_case(org, topic="procedures")
    assign(case, org)
    return case


def _template(unit=None, topic=None, title="Mẫu", body="Nội dung", active=True):
    template = AnswerTemplate(unit_id=unit.id if unit else None, topic=topic, title=title,
                              body=body, active=active)
    db.session.add(template)
    db.session.commit()
    return template


# --- Services. -----------------------------------------------------------------------------

def test_list_templates_by_unit_and_topic(org):
    shared = _template(title="Chung")
    province = _template(org.province, title="Tỉnh")
    own = _template(org.department, title="Sở")
    own_topic = _template(org.department, topic="procedures", title="Sở - thủ tục")
    _template(org.department, topic="health", title="Y tế")
    _template(org.other_department, title="Sở khác")
    _template(org.department, title="Cũ", active=False)
    found = list_templates(org.department, "procedures")
    assert [t.id for t in found] == [own_topic.id, own.id, province.id, shared.id]
    assert {t.title for t in list_templates(org.department, None)} >= {"Y tế", "Sở"}
    assert "Cũ" in {t.title for t in list_templates(org.department, None,
                                                   include_inactive=True)}


def test_apply_template_fills_references_not_personal_data(org, case):
    template = _template(org.department, body=(
        "Kính gửi ông/bà. Về phản ánh mã {ma_tra_cuu}, số {so_vao_so}, nhận ngày "
        "{ngay_nhan}, {don_vi} trả lời như sau. {ten_nguoi_gui} {unknown}"))
    text = apply_template(template, case)
    assert format_tracking_code(case.tracking_code) in text
    assert case.register_number in text
    assert "Sở Nội vụ trả lời" in text
    assert "{ngay_nhan}" not in text and "{ten_nguoi_gui} {unknown}" in text
    assert FULL_CONTACT.name not in text and FULL_CONTACT.phone not in text


def test_template_services_check_access_and_input(org):
    created = create_template(org.handler, TemplateData(
        title=" Trả lời chung ", body="Văn bản", unit=org.department, topic="procedures"))
    db.session.commit()
    assert created.title == "Trả lời chung"
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "feedback.answer_template_created"))
    with pytest.raises(ServiceError) as error:
        create_template(org.handler, TemplateData(title="x", body="y",
                                                  unit=org.other_department))
    assert error.value.status == 403
    with pytest.raises(ServiceError) as error:
        create_template(org.handler, TemplateData(title="x", body="y", unit=None))
    assert error.value.status == 403  # shared templates need a grant over every unit
    with pytest.raises(ServiceError) as error:
        create_template(org.handler, TemplateData(title="", body="y", unit=org.department))
    assert (error.value.status, error.value.field) == (400, "title")
    with pytest.raises(ServiceError) as error:
        create_template(org.handler, TemplateData(title="x", body="y", unit=org.department,
                                                  topic="astrology"))
    assert error.value.field == "topic"
    with pytest.raises(ServiceError):
        update_template(created, org.outsider, TemplateData(title="x", body="y",
                                                            unit=org.other_department))


# --- Template pages. -------------------------------------------------------------------------

def test_template_pages(client, login, org):
    login(client, org.approver)
    assert client.get("/quan-tri/pakn/mau-tra-loi/").status_code == 200
    response = client.post("/quan-tri/pakn/mau-tra-loi/moi", data={
        "title": "Trả lời thủ tục", "unit": str(org.department.id), "topic": "procedures",
        "body": "Về phản ánh {ma_tra_cuu}: ...", "active": "y"})
    assert response.status_code == 303
    template = db.session.scalar(select(AnswerTemplate))
    assert (template.unit_id, template.topic, template.active) == (
        org.department.id, "procedures", True)
    assert "Trả lời thủ tục" in client.get("/quan-tri/pakn/mau-tra-loi/").get_data(
        as_text=True)
    # Another unit is not among the choices: 400, nothing saved.
    response = client.post("/quan-tri/pakn/mau-tra-loi/moi", data={
        "title": "x", "unit": str(org.other_department.id), "body": "y"})
    assert response.status_code == 400
    response = client.post(f"/quan-tri/pakn/mau-tra-loi/{template.id}", data={
        "title": "Trả lời thủ tục (sửa)", "unit": str(org.department.id), "topic": "",
        "body": "Mới"})
    assert response.status_code == 303
    db.session.refresh(template)
    assert (template.title, template.topic, template.active) == (
        "Trả lời thủ tục (sửa)", None, False)
    login(client, org.outsider)
    assert client.get(f"/quan-tri/pakn/mau-tra-loi/{template.id}").status_code == 404
    login(client, org.officer)
    assert client.get("/quan-tri/pakn/mau-tra-loi/").status_code == 403


# --- Drafting on the case page. ------------------------------------------------------------

def _answer(client, case, body, submit=False, **extra):
    return client.post(f"/quan-tri/pakn/{case.id}/tra-loi", data={
        "body": body, "submit_for_approval": "1" if submit else "0", **extra})


def test_drafting_only_while_in_progress(client, login, org, case):
    login(client, org.handler)
    html = client.get(f"/quan-tri/pakn/{case.id}").get_data(as_text=True)
    assert 'id="answer-form"' not in html
    response = _answer(client, case, "Trả lời sớm")
    assert response.status_code == 409
    assert db.session.scalar(select(FeedbackAnswer)) is None
    transition_case(case, "start", org.handler)
    db.session.commit()
    assert 'id="answer-form"' in client.get(f"/quan-tri/pakn/{case.id}").get_data(
        as_text=True)
    assert _answer(client, case, "").status_code == 400
    response = _answer(client, case, "Bản nháp đầu tiên", letter_number="12/SNV-PAKN")
    assert response.status_code == 303
    answer = db.session.scalar(select(FeedbackAnswer))
    assert (answer.body, answer.status, answer.letter_number) == (
        "Bản nháp đầu tiên", "draft", "12/SNV-PAKN")
    assert _answer(client, case, "Bản cuối", submit=True).status_code == 303
    db.session.refresh(case)
    db.session.refresh(answer)
    assert (case.state, answer.body, answer.status) == ("answer_drafted", "Bản cuối",
                                                       "submitted")
    # Submitted: no more drafting.
    assert _answer(client, case, "Sửa tiếp").status_code == 409


def test_officer_cannot_draft(client, login, org, case):
    transition_case(case, "start", org.handler)
    db.session.commit()
    login(client, org.officer)
    assert _answer(client, case, "Không phải việc của tôi").status_code == 403
    login(client, org.outsider)
    assert _answer(client, case, "x").status_code == 404


def test_template_fills_the_editor(client, login, org, case):
    template = _template(org.department, topic="procedures", title="Thủ tục",
                         body="Về phản ánh {ma_tra_cuu} gửi {don_vi}.")
    _template(org.other_department, title="Không được thấy")
    transition_case(case, "start", org.handler)
    db.session.commit()
    login(client, org.handler)
    html = client.get(f"/quan-tri/pakn/{case.id}", query_string={"mau": template.id}
                      ).get_data(as_text=True)
    assert f"Về phản ánh {format_tracking_code(case.tracking_code)} gửi Sở Nội vụ." in html
    assert "Không được thấy" not in html


def test_approver_sees_answer_and_approves_or_returns(client, login, org, case):
    transition_case(case, "start", org.handler)
    db.session.commit()
    login(client, org.handler)
    _answer(client, case, "Sở đã khắc phục.", submit=True)
    login(client, org.approver)
    html = client.get(f"/quan-tri/pakn/{case.id}").get_data(as_text=True)
    assert "Sở đã khắc phục." in html
    assert "/thao-tac/approve" in html and "/thao-tac/return_answer" in html
    response = client.post(f"/quan-tri/pakn/{case.id}/thao-tac/return_answer",
                           data={"return_answer-reason": ""})
    assert response.status_code == 400
    response = client.post(f"/quan-tri/pakn/{case.id}/thao-tac/return_answer",
                           data={"return_answer-reason": "Bổ sung căn cứ pháp lý"})
    assert response.status_code == 303
    assert db.session.get(FeedbackCase, case.id).state == "in_progress"
    login(client, org.handler)
    html = client.get(f"/quan-tri/pakn/{case.id}").get_data(as_text=True)
    assert "Bổ sung căn cứ pháp lý" in html and "Sở đã khắc phục." in html
    _answer(client, case, "Sở đã khắc phục theo Điều 5.", submit=True)
    login(client, org.approver)
    # Issue 14: no legal basis and no evidence yet, so the approval is refused...
    response = client.post(f"/quan-tri/pakn/{case.id}/thao-tac/approve", data={
        "approve-letter_number": "45/SNV-PAKN", "approve-signer_title": "Giám đốc"})
    assert response.status_code == 400
    # ... and the approver gives the legal basis on the approval form.
    document = legal_basis().document
    db.session.commit()
    response = client.post(f"/quan-tri/pakn/{case.id}/thao-tac/approve", data={
        "approve-letter_number": "45/SNV-PAKN", "approve-signer_title": "Giám đốc",
        "approve-legal_document": str(document.id), "approve-legal_article": "Điều 5"})
    assert response.status_code == 303
    answer = db.session.scalar(select(FeedbackAnswer).where(
        FeedbackAnswer.status == "approved"))
    assert (answer.letter_number, answer.signer_title) == ("45/SNV-PAKN", "Giám đốc")
    assert (answer.legal_document_id, answer.legal_article) == (document.id, "Điều 5")


def test_handler_cannot_approve(client, login, org, case, make_user):
    transition_case(case, "start", org.handler)
    db.session.commit()
    login(client, org.handler)
    _answer(client, case, "Sở đã khắc phục.", submit=True)
    response = client.post(f"/quan-tri/pakn/{case.id}/thao-tac/approve", data={})
    assert response.status_code == 403
    assert db.session.get(FeedbackCase, case.id).state == "answer_drafted"
    assert Role.HANDLER  # the handler role holds no FEEDBACK_APPROVE
