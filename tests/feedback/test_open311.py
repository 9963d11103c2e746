"""Open311 GeoReport v2: services, POST requests (key, form or JSON, idempotency, errors in
the spec's format) and GET requests showing public fields only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.clock import now
from core.crypto import decrypt_json
from core.extensions import db
from feedback.models import FeedbackCase, Publication, Topic
from tests.feedback.helpers import assign, build_org, submit_case
from tests.surveys.dossier_helpers import api_key_for

BASE = "/api/v1/open311"
FORM = {
    "service_code": "road_traffic", "description": "Ổ gà lớn trước số 45 đường Lê Lợi, "
    "gọi cho tôi 0912 000 111.", "lat": "21.0285", "long": "105.8542",
    "address_string": "45 Lê Lợi, phường Hoàn Kiếm", "email": "hoa.vu@example.vn",
    "first_name": "Thị Hoa", "last_name": "Vũ", "phone": "0912 000 111",
    "media_url": "http://example.vn/anh.jpg", "device_id": "abc",
    "attribute[consent]": "true",
}
PRIVATE = ("Vũ", "Hoa", "0912", "Lê Lợi", "example.vn", "21.0285", "105.8542", "Ổ gà")


@pytest.fixture
def org(app, make_unit, make_user):
    return build_org(make_unit, make_user)


@pytest.fixture
def key(org, make_user):
    return api_key_for(make_user, org.province, ("feedback.intake", "feedback.view"))


def _count() -> int:
    return db.session.scalar(select(func.count(FeedbackCase.id)))


def test_services_one_per_topic(client):
    answer = client.get(f"{BASE}/services.json")
    assert answer.status_code == 200
    services = answer.json
    assert [s["service_code"] for s in services] == [t.value for t in Topic]
    traffic = next(s for s in services if s["service_code"] == "road_traffic")
    assert traffic["service_name"] == "Giao thông đường bộ"
    assert traffic["metadata"] is True and traffic["type"] == "realtime"
    unknown = client.get(f"{BASE}/services.json?jurisdiction_id=NOPE")
    assert unknown.status_code == 404
    assert unknown.json == [{"code": 404, "description": unknown.json[0]["description"]}]


def test_post_form_encoded_creates_a_case(client, key, org):
    answer = client.post(f"{BASE}/requests.json", data={**FORM, "jurisdiction_id": "P-SNV"},
                         headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 201, answer.json
    [created] = answer.json
    case = db.session.scalar(select(FeedbackCase))
    assert created["service_request_id"].replace("-", "") == case.tracking_code
    assert created["service_notice"]
    assert case.channel == "open311" and case.topic == "road_traffic"
    assert case.agency_id == org.department.id and case.location_text.startswith("45 Lê Lợi")
    assert (case.latitude, case.longitude) == (21.0285, 105.8542)
    contact = decrypt_json(case.contact_enc)
    assert contact["name"] == "Vũ Thị Hoa" and contact["email"] == "hoa.vu@example.vn"
    # No attribute[sender_address]: the sender's postal address is missing, so a suggestion.
    assert case.kind == "suggestion"


def test_post_json_with_api_key_parameter_and_idempotency(client, key):
    body = {**FORM, "api_key": key}
    headers = {"Idempotency-Key": "app-42"}
    first = client.post(f"{BASE}/requests.json", json=body, headers=headers)
    again = client.post(f"{BASE}/requests.json", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200), first.json
    assert first.json[0]["service_request_id"] == again.json[0]["service_request_id"]
    assert _count() == 1
    case = db.session.scalar(select(FeedbackCase))
    assert case.agency.code == "P"  # default jurisdiction: the key's unit


def test_post_without_key_is_401_in_open311_format(client):
    answer = client.post(f"{BASE}/requests.json", data=FORM)
    assert answer.status_code == 401
    assert answer.json[0]["code"] == 401 and answer.json[0]["description"]
    assert "Bearer" in answer.headers.get("WWW-Authenticate", "")
    bad = client.post(f"{BASE}/requests.json", data={**FORM, "api_key": "ln_nope_nope"})
    assert bad.status_code == 401
    assert _count() == 0


def test_post_with_wrong_scope_is_403(client, org, make_user):
    view_only = api_key_for(make_user, org.province, ("feedback.view",))
    answer = client.post(f"{BASE}/requests.json", data=FORM,
                         headers={"Authorization": f"Bearer {view_only}"})
    assert answer.status_code == 403 and answer.json[0]["code"] == 403
    assert _count() == 0


def test_post_to_a_jurisdiction_outside_the_key_is_404(client, org, make_user):
    department_key = api_key_for(make_user, org.department, ("feedback.intake",))
    answer = client.post(f"{BASE}/requests.json", data={**FORM, "jurisdiction_id": "P"},
                         headers={"Authorization": f"Bearer {department_key}"})
    assert answer.status_code == 404 and answer.json[0]["code"] == 404
    assert _count() == 0


@pytest.mark.parametrize(("change", "named"), [
    ({"service_code": "weather"}, "service_code"),
    ({"service_code": None}, "service_code"),
    ({"description": None}, "description"),
    ({"lat": "north"}, "lat"),
    ({"long": None}, "lat"),  # lat without long
    ({"email": "nope"}, "email"),
    ({"phone": "12"}, "phone"),
])
def test_bad_input_is_400_naming_the_field(client, key, change, named):
    data = {k: v for k, v in {**FORM, **change}.items() if v is not None}
    answer = client.post(f"{BASE}/requests.json", data=data,
                         headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 400, answer.json
    assert answer.json[0]["code"] == 400 and named in answer.json[0]["description"]
    assert _count() == 0


def test_get_requests_shows_public_fields_only(client, key, org):
    client.post(f"{BASE}/requests.json", data=FORM, headers={"Authorization": f"Bearer {key}"})
    case = db.session.scalar(select(FeedbackCase))
    auth = {"Authorization": f"Bearer {key}"}
    listed = client.get(f"{BASE}/requests.json", headers=auth)
    assert listed.status_code == 200
    [record] = listed.json
    assert record["service_request_id"].replace("-", "") == case.tracking_code
    assert record["status"] == "open" and record["service_code"] == "road_traffic"
    assert record["service_name"] == "Giao thông đường bộ"
    assert record["agency_responsible"] == "UBND tỉnh Thử nghiệm"
    assert record["requested_datetime"].endswith("+07:00")
    assert "description" not in record and "address" not in record and "lat" not in record
    text = listed.get_data(as_text=True)
    for private in PRIVATE:
        assert private not in text
    one = client.get(f"{BASE}/requests/{record['service_request_id']}.json", headers=auth)
    assert one.status_code == 200 and one.json == [record]


def test_anonymous_get_sees_only_published_requests(client, key, org):
    hidden = submit_case(org, content="Nội dung riêng của Nguyễn Văn An, 0912 345 678.")
    shown = submit_case(org, content="Nội dung gốc có tên Nguyễn Văn An.", topic="procedures")
    assign(shown, org)
    db.session.add(Publication(
        case_id=shown.id, slug="thu-tuc-cham", title="Thủ tục chậm",
        question="Thủ tục cấp phép bị chậm 10 ngày.", answer="Đã khắc phục.",
        topic="procedures", kind="report", unit_id=org.department.id, status="published",
        published_at=now()))
    db.session.commit()
    listed = client.get(f"{BASE}/requests.json")
    assert listed.status_code == 200
    assert [r["service_request_id"].replace("-", "") for r in listed.json] == [
        shown.tracking_code]
    record = listed.json[0]
    assert record["description"] == "Thủ tục cấp phép bị chậm 10 ngày."
    assert record["agency_responsible"] == "Sở Nội vụ" and record["expected_datetime"]
    assert "Nguyễn" not in listed.get_data(as_text=True)
    assert client.get(f"{BASE}/requests/{hidden.tracking_code}.json").status_code == 404
    # A key with feedback.view sees its subtree's requests too.
    auth = {"Authorization": f"Bearer {key}"}
    assert len(client.get(f"{BASE}/requests.json", headers=auth).json) == 2
    assert client.get(f"{BASE}/requests/{hidden.tracking_code}.json",
                      headers=auth).status_code == 200


def test_get_filters_and_bad_filters(client, key, org):
    first = submit_case(org, topic="health")
    submit_case(org, topic="water")
    auth = {"Authorization": f"Bearer {key}"}
    by_topic = client.get(f"{BASE}/requests.json?service_code=health", headers=auth).json
    assert [r["service_code"] for r in by_topic] == ["health"]
    assert client.get(f"{BASE}/requests.json?status=closed", headers=auth).json == []
    assert len(client.get(f"{BASE}/requests.json?status=open", headers=auth).json) == 2
    code = first.tracking_code
    by_id = client.get(f"{BASE}/requests.json?service_request_id={code},XXX",
                       headers=auth).json
    assert len(by_id) == 1
    assert client.get(f"{BASE}/requests.json?start_date=2000-01-01T00:00:00Z&"
                      "end_date=2000-02-01T00:00:00Z", headers=auth).json == []
    assert client.get(f"{BASE}/requests.json?jurisdiction_id=P-STC", headers=auth).json == []
    for query in ("status=pending", "start_date=yesterday", "service_code=weather",
                  "start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z"):
        bad = client.get(f"{BASE}/requests.json?{query}", headers=auth)
        assert bad.status_code == 400 and bad.json[0]["code"] == 400, query


def test_get_with_a_key_lacking_view_is_403(client, org, make_user):
    intake_only = api_key_for(make_user, org.province, ("feedback.intake",))
    answer = client.get(f"{BASE}/requests.json",
                        headers={"Authorization": f"Bearer {intake_only}"})
    assert answer.status_code == 403 and answer.json[0]["code"] == 403
    assert client.get(f"{BASE}/requests.json",
                      headers={"Authorization": "Bearer ln_bad_bad"}).status_code == 401


def test_described_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"get"} <= set(paths["/api/v1/open311/services.json"])
    assert {"get", "post"} <= set(paths["/api/v1/open311/requests.json"])
    assert "get" in paths["/api/v1/open311/requests/{request_id}.json"]
    body = paths["/api/v1/open311/requests.json"]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in body and "application/json" in body
