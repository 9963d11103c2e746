"""Open311 in the shapes the GeoReport v2 specification's examples show
(http://wiki.open311.org/GeoReport_v2): XML as well as JSON for every resource, the service
definition, the discovery document, errors as a list of {code, description}, and a JSON
body's nested attributes. Expectations are written from the specification's examples."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from core.clock import now
from core.extensions import db
from feedback.models import FeedbackCase, Publication
from tests.feedback.helpers import assign, build_org, submit_case
from tests.surveys.dossier_helpers import api_key_for

BASE = "/api/v1/open311"
XML_TYPE = "text/xml; charset=utf-8"
FORMAL = {
    "service_code": "health", "description": "Trạm y tế xã đóng cửa giờ hành chính.",
    "first_name": "Văn An", "last_name": "Nguyễn", "phone": "0912 345 678",
    "attribute[sender_address]": "Thôn 3, xã Tân Lập", "attribute[kind]": "report",
    "attribute[consent]": "true",
}


@pytest.fixture
def org(app, make_unit, make_user):
    return build_org(make_unit, make_user)


@pytest.fixture
def auth(org, make_user):
    key = api_key_for(make_user, org.province, ("feedback.intake", "feedback.view"))
    return {"Authorization": f"Bearer {key}"}


def _xml(answer) -> ET.Element:
    assert answer.headers["Content-Type"] == XML_TYPE
    return ET.fromstring(answer.get_data())


def _tags(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


def test_services_xml_has_the_specs_elements_in_order(client):
    root = _xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services" and set(_tags(root)) == {"service"}
    first = root[0]
    assert _tags(first) == ["service_code", "service_name", "description", "metadata", "type",
                            "keywords", "group"]
    assert (first.findtext("service_code"), first.findtext("metadata")) == ("procedures",
                                                                             "true")


def test_service_definition_xml_and_json_say_the_same(client):
    root = _xml(client.get(f"{BASE}/services/education.xml"))
    as_json = client.get(f"{BASE}/services/education.json").json
    assert root.tag == "service_definition" and _tags(root) == ["service_code", "attributes"]
    attributes = root.find("attributes")
    assert [a.findtext("code") for a in attributes] == [
        a["code"] for a in as_json["attributes"]]
    kind = attributes[1]
    assert _tags(kind) == ["variable", "code", "datatype", "required", "datatype_description",
                           "order", "description", "values"]
    assert [(v.findtext("key"), v.findtext("name")) for v in kind.find("values")] == [
        ("report", "Phản ánh"), ("recommendation", "Kiến nghị"),
        ("suggestion", "Góp ý (không cần danh tính, không có thời hạn giải quyết)")]
    assert client.get(f"{BASE}/services/weather.json").json == [
        {"code": 404, "description": "Unknown service_code."}]


def test_post_in_xml_answers_the_specs_service_requests(client, auth):
    answer = client.post(f"{BASE}/requests.xml", data=FORMAL, headers=auth)
    assert answer.status_code == 201
    root = _xml(answer)
    assert root.tag == "service_requests" and _tags(root) == ["request"]
    assert _tags(root[0]) == ["service_request_id", "service_notice", "account_id"]
    case = db.session.scalar(select(FeedbackCase))
    assert root[0].findtext("service_request_id").replace("-", "") == case.tracking_code
    assert root[0].find("account_id").text is None  # present, empty: JSON's null
    assert case.is_formal and case.kind == "report"


def test_json_body_may_nest_the_attributes(client, auth):
    nested = {k: v for k, v in FORMAL.items() if not k.startswith("attribute[")}
    nested["attribute"] = {"sender_address": "Thôn 3, xã Tân Lập", "consent": "true"}
    answer = client.post(f"{BASE}/requests.json", json=nested, headers=auth)
    assert answer.status_code == 201, answer.json
    assert db.session.scalar(select(FeedbackCase)).is_formal
    flat = client.post(f"{BASE}/requests.json", headers=auth,
                       json={**nested, "attribute": "sender_address"})
    assert flat.status_code == 400 and flat.json[0]["description"].startswith("attribute:")


def test_errors_in_xml_list_every_problem(client, auth):
    bad = {**FORMAL, "attribute[kind]": "complaint", "attribute[consent]": "maybe"}
    answer = client.post(f"{BASE}/requests.xml", data=bad, headers=auth)
    assert answer.status_code == 400
    root = _xml(answer)
    assert root.tag == "errors" and _tags(root) == ["error", "error"]
    assert [e.findtext("code") for e in root] == ["400", "400"]
    assert [e.findtext("description").split(":")[0] for e in root] == [
        "attribute[consent]", "attribute[kind]"]
    refused = client.post(f"{BASE}/requests.xml", data=FORMAL)
    assert refused.status_code == 401 and "Bearer" in refused.headers["WWW-Authenticate"]
    assert _xml(refused).findtext("error/code") == "401"


def test_get_requests_in_xml_escapes_the_text(client, auth, org):
    case = submit_case(org, topic="water")
    assign(case, org)
    db.session.add(Publication(
        case_id=case.id, slug="nuoc", title="Nước", question='Nước đục & có mùi <"lạ">.',
        answer="Đã xử lý.", topic="water", kind="report", unit_id=org.department.id,
        status="published", published_at=now()))
    db.session.commit()
    root = _xml(client.get(f"{BASE}/requests.xml"))
    assert root.tag == "service_requests" and _tags(root) == ["request"]
    record = root[0]
    assert record.findtext("description") == 'Nước đục & có mùi <"lạ">.'
    assert record.find("service_notice").text is None
    assert record.findtext("status") == "open"
    one = _xml(client.get(f"{BASE}/requests/{case.tracking_code}.xml"))
    assert ET.tostring(one) == ET.tostring(root)
    missing = client.get(f"{BASE}/requests/ZZZZZZZZZ.xml")
    assert missing.status_code == 404 and _xml(missing).findtext("error/code") == "404"


def test_discovery_lists_the_endpoint_in_both_formats(client, app):
    as_json = client.get(f"{BASE}/discovery.json").json
    url = app.config["PUBLIC_BASE_URL"].rstrip("/") + "/api/v1/open311"
    assert as_json["endpoints"] == [{
        "specification": "http://wiki.open311.org/GeoReport_v2", "url": url,
        "changeset": as_json["changeset"], "type": "production",
        "formats": ["text/xml", "application/json"]}]
    assert as_json["changeset"].endswith("Z") and as_json["contact"] and as_json["key_service"]
    root = _xml(client.get(f"{BASE}/discovery.xml"))
    assert _tags(root) == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = root.find("endpoints/endpoint")
    assert _tags(endpoint) == ["specification", "url", "changeset", "type", "formats"]
    assert endpoint.findtext("url") == url
    assert [f.text for f in endpoint.find("formats")] == ["text/xml", "application/json"]


def test_the_openapi_document_describes_the_new_resources(client):
    document = client.get("/api/v1/openapi.json").json
    paths = document["paths"]
    assert "get" in paths[f"{BASE}/services/{{service_code}}.json"]
    assert "get" in paths[f"{BASE}/discovery.json"]
    assert not [path for path in paths if path.endswith(".xml")]  # the .json twin documents it
    body = paths[f"{BASE}/requests.json"]["post"]["requestBody"]["content"]
    schema = body["application/x-www-form-urlencoded"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[1]
    properties = document["components"]["schemas"][name]["properties"]
    assert {"attribute[sender_address]", "attribute[kind]", "attribute[unit]",
            "attribute[sender_type]", "attribute[consent]"} <= set(properties)
