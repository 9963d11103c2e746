"""The reviewer's preview marks the redaction's guesses (LOW confidence) apart from its sure
findings, with a legend; the new categories have labels (issue #15 item 5)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from core.extensions import db
from feedback.intake import Contact
from feedback.models import Publication
from feedback.publication import highlight, spans_for
from feedback.redaction import Span
from tests.feedback.helpers import answer_and_send, assign, build_org, submit_case

QUESTION = ("Tôi là Trần Văn Bình, nhà ở số 12 Lê Lợi, gọi 0912345678. Xe 29H1-123.45 "
            "của tôi bị giữ quá hạn.")


@pytest.fixture
def org(make_unit, make_user):
    return build_org(make_unit, make_user)


def _prepared(org, client, login):
    case = submit_case(org, content=QUESTION, title="Xe bị giữ quá hạn",
                       contact=Contact(name="Trần Văn Bình"))
    assign(case, org)
    answer_and_send(case, org, body="Công an phường đã trả xe ngày 20/03/2025.")
    login(client, org.officer)
    assert client.post(f"/quan-tri/pakn/{case.id}/cong-khai").status_code == 302
    return case


def test_preview_marks_guesses_apart_with_a_legend(app, org, client, login):
    case = _prepared(org, client, login)
    html = client.get(f"/quan-tri/pakn/{case.id}/cong-khai").get_data(as_text=True)
    # "số 12 Lê Lợi": a house number before capitalised words, no street word: a guess.
    assert ('<mark class="redacted redacted-address redacted-low" '
            'title="Street address, uncertain: check it">số 12 Lê Lợi</mark>') in html
    # A full name after "Tôi là", a valid phone number and a plate: sure findings.
    assert '<mark class="redacted redacted-name" title="Name of a person">Trần Văn Bình' in html
    assert '<mark class="redacted redacted-phone" title="Phone number">0912345678' in html
    assert ('<mark class="redacted redacted-vehicle_plate" title="Vehicle plate">29H1-123.45'
            in html)
    assert 'id="legend-low"' in html
    assert '<mark class="redacted redacted-bank_account">Bank account number</mark>' in html


def test_edit_with_a_bank_account_names_the_category(app, org, client, login):
    case = _prepared(org, client, login)
    response = client.post(f"/quan-tri/pakn/{case.id}/cong-khai/sua", data={
        "title": "Xe bị giữ", "question": "Xin chuyển tiền về STK 0123456789 Vietcombank.",
        "answer": "Đã trả xe."})
    assert response.status_code == 302
    pub = db.session.execute(select(Publication)).scalar_one()
    assert pub.question == "Xin chuyển tiền về STK [số tài khoản] Vietcombank."
    html = client.get(f"/quan-tri/pakn/{case.id}/cong-khai").get_data(as_text=True)
    flash = html.split("flash-warning", 1)[1].split("</p>", 1)[0]
    assert "Bank account number: 1" in flash and "0123456789" not in flash


def test_spans_stored_before_confidence_existed_count_as_sure(app):
    pub = SimpleNamespace(redactions=[{"field": "question", "category": "phone", "start": 4,
                                       "end": 14, "text": "0912345678", "source": "case"}])
    [span] = spans_for(pub, "question")
    assert span.confidence == "high"
    with app.test_request_context():  # Vietnamese, the default locale
        html = str(highlight("Gọi 0912345678.", [span]))
        low = str(highlight("chị Lan", [Span("name", 4, 7, "Lan", "low")]))
    assert html == ('Gọi <mark class="redacted redacted-phone" title="Số điện thoại">'
                    '0912345678</mark>.')
    assert low == ('chị <mark class="redacted redacted-name redacted-low" '
                   'title="Họ tên cá nhân, chưa chắc chắn: cần kiểm tra">Lan</mark>')
