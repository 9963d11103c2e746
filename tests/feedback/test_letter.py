"""The printable official reply letter: Vietnamese administrative layout, only for an
approved or sent answer, the addressee's name revealed and logged, never cached."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry
from feedback.letters import place_name
from feedback.workflow import TransitionInput, transition_case
from tests.feedback.helpers import (
    FULL_CONTACT,
    answer_and_send,
    assign,
    build_org,
    draft_answer,
    submit_case,
)


@pytest.fixture
def org(make_unit, make_user):
    return build_org(make_unit, make_user)


@pytest.fixture
def case(org):
    case = submit_case(org)
    assign(case, org)
    return case


def _approve(case, org):
    transition_case(case, "start", org.handler)
    draft_answer(case, org.handler, "Sở Nội vụ đã kiểm tra và khắc phục.")
    transition_case(case, "submit_answer", org.handler)
    transition_case(case, "approve", org.approver, TransitionInput(
        letter_number="123/SNV-PAKN", signer_title="KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"))
    db.session.commit()


def test_letter_layout_without_the_name(client, login, org, case):
    """A GET shows the whole letter addressed generically and writes nothing."""
    _approve(case, org)
    login(client, org.approver)
    response = client.get(f"/quan-tri/pakn/{case.id}/cong-van")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    for text in ("UBND tỉnh Thử nghiệm", "Sở Nội vụ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                 "Độc lập - Tự do - Hạnh phúc", "Số: 123/SNV-PAKN",
                 "V/v trả lời phản ánh, kiến nghị", "Kính gửi: Ông/Bà gửi phản ánh, kiến nghị",
                 "Sở Nội vụ đã kiểm tra và khắc phục.", "Nơi nhận:", "Như trên;",
                 "Lưu: VT, P-SNV.", "PHÓ GIÁM ĐỐC", "Thử nghiệm, ngày "):
        assert text in html, text
    assert 'class="upper bold"' in html and "pakn-office.css" in html
    assert 'id="letter-reveal-form"' in html and 'method="post"' in html
    assert FULL_CONTACT.name not in html and FULL_CONTACT.phone not in html
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "feedback.contact_reveal")) is None


def test_letter_with_the_name_after_a_reason(client, login, org, case):
    _approve(case, org)
    login(client, org.approver)
    response = client.post(f"/quan-tri/pakn/{case.id}/cong-van",
                           data={"reason": "In công văn gửi qua bưu điện"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert f"Kính gửi: {FULL_CONTACT.name}" in html
    assert 'id="letter-reveal-form"' not in html
    assert FULL_CONTACT.phone not in html
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "feedback.contact_reveal", AuditEntry.object_id == str(case.id)))
    assert entry is not None and entry.actor_user_id == org.approver.id
    assert entry.reason == "In công văn gửi qua bưu điện"


def test_letter_reveal_needs_a_reason(client, login, org, case):
    _approve(case, org)
    login(client, org.approver)
    response = client.post(f"/quan-tri/pakn/{case.id}/cong-van", data={"reason": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert FULL_CONTACT.name not in html and 'id="letter-reveal-form"' in html
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "feedback.contact_reveal")) is None


def test_letter_after_sending(client, login, org, case):
    answer_and_send(case, org)
    login(client, org.handler)
    assert client.get(f"/quan-tri/pakn/{case.id}/cong-van").status_code == 200
    html = client.get(f"/quan-tri/pakn/{case.id}").get_data(as_text=True)
    assert f"/quan-tri/pakn/{case.id}/cong-van" in html


def test_no_letter_before_approval(client, login, org, case):
    login(client, org.approver)
    response = client.get(f"/quan-tri/pakn/{case.id}/cong-van")
    assert response.status_code == 409
    assert "once the answer is approved" in response.get_data(as_text=True)
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "feedback.contact_reveal")) is None


def test_letter_of_another_unit_is_404(client, login, org, case):
    _approve(case, org)
    login(client, org.outsider)
    assert client.get(f"/quan-tri/pakn/{case.id}/cong-van").status_code == 404


def test_letter_without_contact_uses_a_generic_addressee(client, login, org):
    case = submit_case(org, contact=None)
    assign(case, org)
    _approve(case, org)
    login(client, org.approver)
    html = client.get(f"/quan-tri/pakn/{case.id}/cong-van").get_data(as_text=True)
    assert "Kính gửi: Ông/Bà gửi phản ánh, kiến nghị" in html
    assert 'id="letter-reveal-form"' not in html  # nothing to reveal


def test_place_name(app, org, make_unit):
    assert place_name(org.department) == "Thử nghiệm"
    city = make_unit("HN", kind="province", name_vi="UBND thành phố Hà Nội")
    assert place_name(make_unit("HN-S", parent=city)) == "Hà Nội"
    app.config["PAKN_LETTER_PLACE"] = "Lạng Sơn"
    assert place_name(org.department) == "Lạng Sơn"
