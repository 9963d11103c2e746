"""Officer entry of a PAKN (hotline, letter, box, meeting…): /quan-tri/pakn/nhap."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.clock import local, now
from core.crypto import decrypt_json
from core.extensions import db
from core.models import Role
from feedback.models import FeedbackAttachment, FeedbackCase
from tests.feedback.helpers import build_org

URL = "/quan-tri/pakn/nhap/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def org(app, make_unit, make_user):
    return build_org(make_unit, make_user)


def _sid(page: str) -> str:
    return re.search(r'name="submission_id"[^>]*value="([^"]+)"', page).group(1)


def _fields(org, client, **changes) -> dict:
    page = client.get(URL).get_data(as_text=True)
    moment = local(now()) - timedelta(hours=2)
    data = {
        "submission_id": _sid(page), "channel": "hotline",
        "received_date": moment.date().isoformat(),
        "received_time": moment.strftime("%H:%M"), "unit_id": str(org.department.id),
        "kind": "report", "topic": "procedures", "title": "",
        "content": "Gọi đường dây nóng: hồ sơ đất đai bị trễ hẹn 10 ngày.",
        "procedure_code": "1.000123", "procedure_name": "", "dossier_code": "H36.1-2026-01",
        "location_text": "", "sender_type": "person", "name": "Trần Thị Bình",
        "address": "Thôn 3, xã Yên Sơn", "phone": "0987 654 321", "email": "",
        "reply_channel": "post",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _count() -> int:
    return db.session.scalar(select(func.count(FeedbackCase.id)))


def test_officer_enters_a_hotline_call(client, login, org):
    login(client, org.officer)
    page = client.get(URL)
    assert page.status_code == 200
    assert "Enter a PAKN" in page.get_data(as_text=True)
    data = _fields(org, client)
    data["attachments"] = [(io.BytesIO(PNG), "anh.png")]
    response = client.post(URL, data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    case = db.session.scalar(select(FeedbackCase))
    assert case.channel == "hotline" and case.kind == "report" and case.is_formal
    assert case.topic == "procedures" and case.origin_unit_id == org.department.id
    assert case.agency_id == org.province.id and case.created_by_id == org.officer.id
    assert case.dossier_code == "H36.1-2026-01"
    # Received two hours ago, as typed (to the minute), not "now".
    assert abs((now() - case.received_at) - timedelta(hours=2)) < timedelta(minutes=1, seconds=5)
    assert decrypt_json(case.contact_enc)["name"] == "Trần Thị Bình"
    attachment = db.session.scalar(select(FeedbackAttachment))
    assert attachment.case_id == case.id and attachment.content_type == "image/png"
    # No case page yet (or a case page): either way the tracking code is shown to the officer.
    follow = client.get(response.headers["Location"])
    code = case.tracking_code
    assert f"{code[:3]}-{code[3:6]}-{code[6:]}" in follow.get_data(as_text=True)
    # Personal data is not in the redirect URL.
    assert "Bình" not in response.headers["Location"]


def test_double_submit_makes_one_case(client, login, org):
    login(client, org.officer)
    data = _fields(org, client)
    assert client.post(URL, data=data).status_code == 303
    assert client.post(URL, data=data).status_code == 303
    assert _count() == 1


def test_without_identity_it_is_kept_as_a_suggestion(client, login, org):
    login(client, org.officer)
    data = _fields(org, client, channel="box", name="", address="", phone="")
    assert client.post(URL, data=data).status_code == 303
    case = db.session.scalar(select(FeedbackCase))
    assert case.channel == "box" and case.kind == "suggestion" and not case.is_formal


def test_desk_staff_enter_for_their_desk(client, login, org, make_user):
    clerk = make_user(Role.DESK_STAFF, org.desk)
    login(client, clerk)
    data = _fields(org, client, unit_id=str(org.desk.id), channel="letter")
    assert client.post(URL, data=data).status_code == 303
    case = db.session.scalar(select(FeedbackCase))
    assert case.desk_id == org.desk.id and case.channel == "letter"


@pytest.mark.parametrize(("change", "field"), [
    ({"content": ""}, "content"),
    ({"channel": "carrier-pigeon"}, "channel"),
    ({"channel": None}, "channel"),
    ({"received_date": "not a date"}, "received_date"),
    ({"topic": "weather"}, "topic"),
    ({"email": "not-an-email"}, "email"),
    ({"phone": "12"}, "phone"),
    ({"reply_channel": "email", "email": ""}, "email"),
])
def test_bad_input_keeps_the_text(client, login, org, change, field):
    login(client, org.officer)
    data = _fields(org, client, **change)
    if field != "content":
        data["content"] = "Nội dung phải được giữ lại khi có lỗi."
    response = client.post(URL, data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-err"' in page
    if field != "content":
        assert "Nội dung phải được giữ lại khi có lỗi." in page
    assert _count() == 0


def test_received_in_the_future_is_refused(client, login, org):
    login(client, org.officer)
    moment = local(now()) + timedelta(hours=3)
    data = _fields(org, client, received_date=moment.date().isoformat(),
                   received_time=moment.strftime("%H:%M"))
    response = client.post(URL, data=data)
    assert response.status_code == 400
    assert "cannot be in the future" in response.get_data(as_text=True)
    assert _count() == 0


def test_bad_attachment_refused_and_text_kept(client, login, org):
    login(client, org.officer)
    data = _fields(org, client)
    data["attachments"] = [(io.BytesIO(b"PK\x03\x04zipzipzip"), "hoso.zip")]
    response = client.post(URL, data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "archive" in page and "hồ sơ đất đai bị trễ hẹn" in page
    assert _count() == 0
    assert db.session.scalar(select(func.count(FeedbackAttachment.id))) == 0


def test_unit_outside_scope_is_404_and_logged(client, login, org, make_user):
    clerk = make_user(Role.DESK_STAFF, org.desk)
    login(client, clerk)
    data = _fields(org, client, unit_id=str(org.other_department.id))
    assert client.post(URL, data=data).status_code == 404
    assert _count() == 0
    from core.models import AuditEntry
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "access.denied")) >= 1


def test_handler_without_intake_permission_is_refused(client, login, org):
    login(client, org.handler)
    assert client.get(URL).status_code == 403


def test_anonymous_goes_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]


def test_menu_item_for_intake_staff(client, login, org):
    login(client, org.officer)
    page = client.get("/quan-tri/").get_data(as_text=True)
    assert "Enter a PAKN" in page and URL in page
