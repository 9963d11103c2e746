"""Publication of typical answers: prepare (automatic redaction with the sender's own data),
reviewer preview, edit, publish by an approver only, public page and feed, withdraw."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from core.exceptions import ServiceError
from core.extensions import db
from core.models import AuditEntry
from feedback.intake import Contact
from feedback.models import CaseState, FeedbackEvent, Publication
from feedback.publication import edit_publication, prepare_publication, publish_case
from tests.feedback.helpers import answer_and_send, assign, build_org, submit_case

ATOM = "{http://www.w3.org/2005/Atom}"

CONTACT = Contact(name="Hoàng Thị Mai", address="Số 45 ngõ 3 phố Lê Lợi, phường Vĩnh Trại",
                  phone="0987 654 321", email="mai.hoang@example.vn")
QUESTION = (
    "Tôi là Hoàng Thị Mai, CCCD số 020190004567, ở số 45 ngõ 3 phố Lê Lợi. Ngày 12/03/2025 "
    "tôi nộp hồ sơ mã 000.00.15.H42-250312-0001 và đã nộp phí 1.200.000 đồng, nhưng quá hạn "
    "10 ngày vẫn chưa có kết quả. Cán bộ tiếp nhận là anh Trần Văn Dũng. Xin gọi lại cho tôi "
    "theo số 0987.654.321 hoặc gửi thư về mai.hoang@example.vn. Hoang Thi Mai cảm ơn.")
ANSWER = (
    "Kính gửi bà Hoàng Thị Mai, Sở Nội vụ đã kiểm tra hồ sơ số H42.15-250312-0001. Hồ sơ "
    "chậm do thiếu xác minh; Sở đã chỉ đạo trả kết quả ngày 20/03/2025 theo Điều 147. "
    "Mọi thắc mắc xin liên hệ bà Mai qua số 0987654321.")
PERSONAL = ["Hoàng Thị Mai", "Hoang Thi Mai", "020190004567", "số 45 ngõ 3 phố Lê Lợi",
            "000.00.15.H42-250312-0001", "H42.15-250312-0001", "Trần Văn Dũng",
            "0987.654.321", "0987654321", "mai.hoang@example.vn", "Mai qua"]
KEPT = ["12/03/2025", "1.200.000 đồng", "Sở Nội vụ", "Điều 147", "20/03/2025"]


@pytest.fixture
def org(make_unit, make_user):
    return build_org(make_unit, make_user)


def _answered(org, **fields):
    case = submit_case(org, content=QUESTION, contact=CONTACT,
                       title=fields.pop("title", "Hồ sơ của bà Hoàng Thị Mai bị chậm"),
                       **fields)
    assign(case, org)
    answer_and_send(case, org, body=ANSWER)
    return case


def _url(case):
    return f"/quan-tri/pakn/{case.id}/cong-khai"


def _public_texts(client, slug):
    page = client.get(f"/tra-loi-pakn/{slug}")
    listing = client.get("/tra-loi-pakn/")
    feed = client.get("/tra-loi-pakn/atom.xml")
    return page, listing, feed


def test_prepare_redacts_case_and_contact_data_and_logs_the_decryption(app, org):
    case = _answered(org)
    pub = prepare_publication(case, org.officer)
    db.session.commit()
    public = f"{pub.title}\n{pub.question}\n{pub.answer}"
    for text in PERSONAL:
        assert text not in public, text
    for text in KEPT:
        assert text in public, text
    assert "[họ tên]" in pub.question and "[số điện thoại]" in pub.question
    assert "[email]" in pub.question and "[số định danh]" in pub.question
    assert "[mã hồ sơ]" in pub.question and "[địa chỉ]" in pub.question
    assert pub.title == "Hồ sơ của bà [họ tên] bị chậm"
    assert pub.status == "draft" and len(pub.slug) == 12
    assert pub.unit_id == org.department.id  # the handling unit, not the agency
    assert pub.topic == case.topic and pub.kind == case.kind
    assert pub.answered_at == case.answered_at
    assert "so noi vu" in pub.search_text and "hoang thi mai" not in pub.search_text
    categories = {r["category"] for r in pub.redactions}
    assert categories == {"name", "phone", "email", "id_number", "dossier_code", "address"}
    # Offsets point into the original text.
    for r in pub.redactions:
        if r["field"] == "question":
            assert QUESTION[r["start"]:r["end"]] == r["text"]
    audit = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "feedback.contact_used_for_redaction")).scalars().all()
    assert len(audit) == 1 and audit[0].object_id == str(case.id)
    assert audit[0].actor_user_id == org.officer.id
    # A decryption for redaction is not a timeline event.
    events = db.session.execute(select(FeedbackEvent.action).where(
        FeedbackEvent.case_id == case.id)).scalars().all()
    assert "contact_reveal" not in events and "contact_used_for_redaction" not in events


def test_prepare_before_the_answer_is_sent_is_refused(app, org):
    case = submit_case(org, content=QUESTION, contact=CONTACT)
    assign(case, org)
    with pytest.raises(ServiceError) as refused:
        prepare_publication(case, org.officer)
    assert refused.value.status == 409


def test_outsider_may_not_prepare(app, org):
    case = _answered(org)
    with pytest.raises(ServiceError) as refused:
        prepare_publication(case, org.outsider)
    assert refused.value.status == 403


def test_preview_highlights_the_removed_text_and_escapes_the_rest(app, org, client, login):
    case = _answered(org, title="<script>alert(1)</script> chậm")
    login(client, org.handler)
    page = client.get(_url(case))
    assert page.status_code == 200
    assert "Prepare the public text" in page.get_data(as_text=True)
    response = client.post(_url(case))
    assert response.status_code == 302
    html = client.get(_url(case)).get_data(as_text=True)
    assert '<mark class="redacted redacted-phone" title="Phone number">0987.654.321</mark>' \
        in html
    assert '<mark class="redacted redacted-name" title="Name of a person">Hoàng Thị Mai</mark>' \
        in html
    assert 'redacted-dossier_code' in html and 'redacted-email' in html
    assert 'redacted-address' in html and 'redacted-id_number' in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<mark class="placeholder">[số điện thoại]</mark>' in html
    assert client.get(_url(case)).headers["Cache-Control"] == "no-store"
    # A handler prepares but does not publish: no publish button.
    assert 'id="publish-button"' not in html


def test_edit_is_redacted_again(app, org, client, login):
    case = _answered(org)
    login(client, org.officer)
    client.post(_url(case))
    response = client.post(f"{_url(case)}/sua", data={
        "title": "Hồ sơ chậm", "question": "Hỏi về hồ sơ chậm, gọi 0912 111 222.",
        "answer": "Đã trả kết quả cho ông Phạm Văn Toàn."})
    assert response.status_code == 302
    pub = db.session.execute(select(Publication)).scalar_one()
    assert pub.question == "Hỏi về hồ sơ chậm, gọi [số điện thoại]."
    assert pub.answer == "Đã trả kết quả cho ông [họ tên]."
    html = client.get(_url(case)).get_data(as_text=True)
    assert "Your text still held personal data" in html
    assert 'id="edit-findings"' in html
    # The flash names categories only, never the removed text.
    flash = html.split("flash-warning", 1)[1].split("</p>", 1)[0]
    assert "0912" not in flash and "Phone number: 1" in flash


def test_edit_with_empty_text_is_refused(app, org, client, login):
    case = _answered(org)
    login(client, org.officer)
    client.post(_url(case))
    response = client.post(f"{_url(case)}/sua", data={"title": "x", "question": "",
                                                      "answer": "y"})
    assert response.status_code == 400


def test_handler_cannot_publish(app, org, client, login):
    case = _answered(org)
    login(client, org.handler)
    client.post(_url(case))
    response = client.post(f"{_url(case)}/dang")
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.execute(select(Publication.status)).scalar_one() == "draft"
    assert client.get("/tra-loi-pakn/").get_data(as_text=True).count("answer-title") == 0


def test_publish_before_answered_is_409(app, org, client, login):
    case = submit_case(org, content=QUESTION, contact=CONTACT)
    assign(case, org)
    login(client, org.approver)
    assert client.post(_url(case)).status_code == 409
    assert client.post(f"{_url(case)}/dang").status_code == 409
    db.session.expire_all()
    assert db.session.get(type(case), case.id).state == CaseState.ASSIGNED.value


def test_publish_without_prepared_text_is_409(app, org):
    case = _answered(org)
    with pytest.raises(ServiceError) as refused:
        publish_case(case, org.approver)
    assert refused.value.status == 409


def test_other_unit_cannot_open_the_preview(app, org, client, login):
    case = _answered(org)
    login(client, org.outsider)
    assert client.get(_url(case)).status_code == 404
    assert client.post(f"{_url(case)}/dang").status_code == 404


def test_publish_then_public_pages_show_no_personal_data_then_withdraw(app, org, client,
                                                                       login):
    case = _answered(org)
    login(client, org.officer)
    assert client.post(_url(case)).status_code == 302
    client.post("/dang-xuat")
    approver = client.application.test_client()
    approver.set_cookie("lang", "en", domain="localhost")
    login(approver, org.approver)
    assert approver.post(f"{_url(case)}/dang").status_code == 302
    db.session.expire_all()
    pub = db.session.execute(select(Publication)).scalar_one()
    assert pub.status == "published" and pub.approved_by_id == org.approver.id
    assert db.session.get(type(case), case.id).state == CaseState.PUBLISHED.value
    # The removed text is not kept once published.
    assert all("text" not in r for r in pub.redactions)

    public = client.application.test_client()
    page, listing, feed = _public_texts(public, pub.slug)
    assert page.status_code == listing.status_code == feed.status_code == 200
    assert "Sở Nội vụ đã kiểm tra" in page.get_data(as_text=True)
    assert pub.slug in listing.get_data(as_text=True)
    entries = ET.fromstring(feed.data).findall(f"{ATOM}entry")
    assert len(entries) == 1
    for response in (page, listing, feed):
        body = response.get_data(as_text=True)
        for text in PERSONAL + [CONTACT.name, CONTACT.phone, CONTACT.email, CONTACT.address,
                                case.tracking_code]:
            assert text not in body, text
        import html as html_lib
        unescaped = html_lib.unescape(body)
        for text in PERSONAL:
            assert text not in unescaped, text

    # Withdraw needs a reason.
    assert approver.post(f"{_url(case)}/go", data={"reason": ""}).status_code == 400
    assert approver.post(f"{_url(case)}/go",
                         data={"reason": "Cần rà soát lại"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(type(case), case.id).state == CaseState.ANSWERED.value
    page, listing, feed = _public_texts(public, pub.slug)
    assert page.status_code == 404
    assert pub.slug not in listing.get_data(as_text=True)
    assert ET.fromstring(feed.data).findall(f"{ATOM}entry") == []


def test_republish_after_withdrawal(app, org):
    case = _answered(org)
    prepare_publication(case, org.officer)
    publish_case(case, org.approver)
    db.session.commit()
    from feedback.publication import withdraw_case
    withdraw_case(case, org.approver, "Sửa lại")
    db.session.commit()
    pub = db.session.execute(select(Publication)).scalar_one()
    assert pub.status == "withdrawn"
    result = edit_publication(pub, org.officer, pub.title, pub.question,
                              pub.answer + " Liên hệ chị Lan.")
    assert result.removed == {"name": 1}
    publish_case(case, org.approver)
    db.session.commit()
    assert pub.status == "published" and pub.answer.endswith("Liên hệ chị [họ tên].")


def test_editing_a_published_text_is_refused(app, org):
    case = _answered(org)
    pub = prepare_publication(case, org.officer)
    publish_case(case, org.approver)
    db.session.commit()
    with pytest.raises(ServiceError) as refused:
        edit_publication(pub, org.approver, "t", "q", "a")
    assert refused.value.status == 409
