"""/api/v1/feedback: POST from portals (key scope, idempotency, attachments, 422 errors) and
GET status by tracking code without personal data."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import func, select

from core.crypto import decrypt_json
from core.extensions import db
from feedback.models import FeedbackAttachment, FeedbackCase
from tests.feedback.helpers import build_org
from tests.surveys.dossier_helpers import api_key_for

URL = "/api/v1/feedback"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
BODY = {
    "unit_code": "P-SNV", "channel": "portal", "kind": "recommendation",
    "topic": "admin_reform", "title": "Rút ngắn thời gian cấp phép",
    "content": "Đề nghị cho phép nộp bản sao điện tử thay cho bản giấy.",
    "procedure_code": "1.001234", "sender": {
        "name": "Phạm Thị Dung", "address": "12 Lý Thường Kiệt, phường Hàng Bài",
        "phone": "0903 111 222", "email": "dung.pham@example.vn"},
    "reply_channel": "email",
}


@pytest.fixture
def org(app, make_unit, make_user):
    return build_org(make_unit, make_user)


@pytest.fixture
def headers(org, make_user):
    key = api_key_for(make_user, org.province, ("feedback.intake", "feedback.view"))
    return {"Authorization": f"Bearer {key}"}


def _count(model=FeedbackCase) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_post_creates_a_case_and_returns_the_tracking_code(client, headers, org):
    answer = client.post(URL, json=BODY, headers=headers)
    assert answer.status_code == 201, answer.json
    body = answer.json
    assert body["state"] == "received" and body["is_formal"] is True
    assert body["kind"] == "recommendation" and body["channel"] == "portal"
    assert body["agency"]["code"] == "P" and body["transfer_due_at"]
    case = db.session.scalar(select(FeedbackCase))
    assert body["tracking_code"].replace("-", "") == case.tracking_code
    assert case.origin_unit_id == org.department.id and case.api_key_id is not None
    assert decrypt_json(case.contact_enc)["phone"] == "0903 111 222"
    # The answer never echoes the sender or the text.
    text = answer.get_data(as_text=True)
    assert "Dung" not in text and "0903" not in text and "bản sao điện tử" not in text


def test_idempotency_key_gives_one_case(client, headers):
    with_key = {**headers, "Idempotency-Key": "portal-2026-000123"}
    first = client.post(URL, json=BODY, headers=with_key)
    again = client.post(URL, json=BODY, headers=with_key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json
    assert _count() == 1
    # Without the header a retry is a new case; a bad header value is 422.
    assert client.post(URL, json=BODY, headers=headers).status_code == 201
    bad = client.post(URL, json=BODY, headers={**headers, "Idempotency-Key": "x" * 61})
    assert bad.status_code == 422 and "Idempotency-Key" in bad.json["error"]["details"][
        "headers"]
    assert _count() == 2


def test_attachments_by_base64(client, headers):
    body = {**BODY, "attachments": [
        {"filename": "anh.png", "content_base64": base64.b64encode(PNG).decode()}]}
    assert client.post(URL, json=body, headers=headers).status_code == 201
    attachment = db.session.scalar(select(FeedbackAttachment))
    assert attachment.content_type == "image/png" and attachment.size == len(PNG)


@pytest.mark.parametrize("attachment", [
    {"filename": "a.png", "content_base64": "not base64!!"},
    {"filename": "a.zip", "content_base64": base64.b64encode(b"PK\x03\x04abc").decode()},
    {"filename": "a.png", "content_base64": base64.b64encode(b"%PDF-1.4 x").decode()},
])
def test_bad_attachment_is_422_and_nothing_saved(client, headers, attachment):
    answer = client.post(URL, json={**BODY, "attachments": [attachment]}, headers=headers)
    assert answer.status_code == 422, answer.json
    assert answer.json["error"]["code"] == "validation_failed"
    details = answer.json["error"]["details"]["json"]
    assert any(name.startswith("attachments") for name in details)
    assert _count() == 0 and _count(FeedbackAttachment) == 0


@pytest.mark.parametrize(("change", "field"), [
    ({"content": ""}, "content"),
    ({"content": None}, "content"),
    ({"content": "x" * 10_001}, "content"),
    ({"kind": "complaint"}, "kind"),
    ({"topic": "weather"}, "topic"),
    ({"channel": "web"}, "channel"),
    ({"latitude": 91}, "latitude"),
    ({"received_at": "2999-01-01T00:00:00+07:00"}, "received_at"),
    ({"sender": {"name": "A", "email": "not-an-email"}}, "sender"),
    ({"sender": {"ssn": "001"}}, "sender"),
    ({"citizen_id": "001203004567"}, "citizen_id"),
    ({"reply_channel": "sms", "sender": {"name": "A", "phone": ""}}, "phone"),
])
def test_bad_fields_are_422_naming_the_field(client, headers, change, field):
    body = {k: v for k, v in {**BODY, **change}.items()}
    answer = client.post(URL, json=body, headers=headers)
    assert answer.status_code == 422, answer.json
    assert answer.json["error"]["code"] == "validation_failed"
    assert field in answer.json["error"]["details"]["json"]
    assert _count() == 0


def test_missing_key_is_401(client):
    answer = client.post(URL, json=BODY)
    assert answer.status_code == 401 and answer.json["error"]["code"] == "unauthorized"
    assert _count() == 0


def test_key_without_intake_is_403(client, org, make_user):
    key = api_key_for(make_user, org.province, ("feedback.view",))
    answer = client.post(URL, json=BODY, headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 403 and answer.json["error"]["code"] == "forbidden"


def test_unit_outside_the_key_subtree_is_404(client, org, make_user):
    key = api_key_for(make_user, org.department, ("feedback.intake", "feedback.view"))
    headers = {"Authorization": f"Bearer {key}"}
    answer = client.post(URL, json={**BODY, "unit_code": "P-STC"}, headers=headers)
    assert answer.status_code == 404
    unknown = client.post(URL, json={**BODY, "unit_code": "NOPE"}, headers=headers)
    assert unknown.status_code == 404 and unknown.json == {
        **unknown.json, "error": {**answer.json["error"]}}
    assert client.post(URL, json=BODY, headers=headers).status_code == 201


def test_desk_code_and_suggestion_without_identity(client, headers, org):
    body = {**BODY, "unit_code": "P-HCC-Q1", "sender": None, "reply_channel": "none"}
    answer = client.post(URL, json=body, headers=headers)
    assert answer.status_code == 201
    assert answer.json["kind"] == "suggestion" and answer.json["is_formal"] is False
    case = db.session.scalar(select(FeedbackCase))
    assert case.desk_id == org.desk.id and case.contact_enc is None


def test_get_status_without_personal_data(client, headers, org, make_user):
    created = client.post(URL, json=BODY, headers=headers).json
    code = created["tracking_code"]
    status = client.get(f"{URL}/{code.lower().replace('-', '')}", headers=headers)
    assert status.status_code == 200
    assert status.json["tracking_code"] == code and status.json["state"] == "received"
    text = status.get_data(as_text=True)
    for private in ("Phạm", "Dung", "0903", "Lý Thường Kiệt", "example.vn", "bản sao"):
        assert private not in text
    # Another subtree's key sees nothing; a key without feedback.view is refused.
    other = api_key_for(make_user, org.other_department, ("feedback.view",))
    assert client.get(f"{URL}/{code}", headers={"Authorization": f"Bearer {other}"}
                      ).status_code == 404
    intake_only = api_key_for(make_user, org.province, ("feedback.intake",))
    assert client.get(f"{URL}/{code}", headers={"Authorization": f"Bearer {intake_only}"}
                      ).status_code == 403
    assert client.get(f"{URL}/NOT-A-CODE", headers=headers).status_code == 404
    assert client.get(f"{URL}/{code}").status_code == 401


def test_described_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    assert "post" in spec["paths"]["/api/v1/feedback"]
    assert "get" in spec["paths"]["/api/v1/feedback/{code}"]
    assert any(p["name"] == "Idempotency-Key"
               for p in spec["paths"]["/api/v1/feedback"]["post"]["parameters"])
