"""Issue 13, defect 7: the served OpenAPI document described X-Pagination as an object in the
"simple" header style and the Open311 errors as the API's usual error envelope (or with no
content at all), while the answers carry a JSON header and the specification's error list.
Real answers are checked here against the document the app serves."""

from __future__ import annotations

import json

import pytest
import schemathesis

from tests.feedback.helpers import build_org
from tests.surveys.dossier_helpers import api_key_for

OPEN311 = "/api/v1/open311"


@pytest.fixture
def served(client):
    document = client.get("/api/v1/openapi.json").get_json()
    return document, schemathesis.openapi.from_dict(document)


@pytest.fixture
def org(make_unit, make_user):
    return build_org(make_unit, make_user)


def _resolve(document: dict, node: dict) -> dict:
    while "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _documented_response(document: dict, path: str, method: str, status: int) -> dict:
    responses = document["paths"][path][method]["responses"]
    return _resolve(document, responses.get(str(status), responses["default"]))


def _read_header(document: dict, definition: dict, raw: str) -> tuple[object, dict]:
    """The header's value decoded as the document says it is serialised, and its schema."""
    definition = _resolve(document, definition)
    if "content" in definition:
        [(media_type, entry)] = definition["content"].items()
        assert media_type == "application/json"
        return json.loads(raw), _resolve(document, entry["schema"])
    schema = _resolve(document, definition["schema"])
    if schema.get("type") == "object":  # OpenAPI's "simple" style: k,v,k,v
        items = raw.split(",")
        return dict(zip(items[::2], items[1::2], strict=False)), schema
    return raw, schema


def test_a_paginated_answer_matches_the_document(client, served, org, make_user):
    document, schema = served
    key = api_key_for(make_user, org.province, ("units.view",))
    response = client.get("/api/v1/units", query_string={"page_size": 2, "page": 2},
                          headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    schema["/api/v1/units"]["GET"].validate_response(response)
    definition = _documented_response(document, "/api/v1/units", "get", 200)
    value, header_schema = _read_header(document, definition["headers"]["X-Pagination"],
                                        response.headers["X-Pagination"])
    assert value == {"total": 5, "total_pages": 3, "first_page": 1, "last_page": 3,
                     "page": 2, "previous_page": 1, "next_page": 3}
    properties = header_schema["properties"]
    assert all(properties[name]["type"] == "integer" for name in value)


@pytest.mark.parametrize(("method", "path", "template", "kwargs", "status"), [
    ("POST", f"{OPEN311}/requests.json", f"{OPEN311}/requests.json",
     {"data": {"service_code": "procedures", "description": "Chậm"}}, 401),
    ("POST", f"{OPEN311}/requests.json", f"{OPEN311}/requests.json",
     {"data": {"service_code": "no-such-topic", "description": "Chậm"}, "key": True}, 400),
    ("GET", f"{OPEN311}/requests/ZZZZZZZZZ.json", f"{OPEN311}/requests/{{request_id}}.json",
     {}, 404),
    ("GET", f"{OPEN311}/requests.json?status=maybe", f"{OPEN311}/requests.json", {}, 400),
    ("GET", f"{OPEN311}/services.json?jurisdiction_id=NOPE", f"{OPEN311}/services.json", {},
     404),
])
def test_open311_errors_match_the_document(client, served, org, make_user, method, path,
                                           template, kwargs, status):
    document, schema = served
    headers = {}
    if kwargs.pop("key", False):
        headers["Authorization"] = "Bearer " + api_key_for(make_user, org.province,
                                                           ("feedback.intake",))
    response = client.open(path, method=method, headers=headers, **kwargs)
    assert response.status_code == status
    assert response.get_json()[0]["code"] == status
    definition = _documented_response(document, template, method.lower(), status)
    assert "application/json" in definition.get("content", {}), definition
    schema[template][method].validate_response(response)


@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
def test_an_open311_failure_answers_in_the_documented_format(client, served, monkeypatch):
    from feedback import open311

    monkeypatch.setattr(open311, "services", lambda: 1 / 0)
    document, schema = served
    response = client.get(f"{OPEN311}/services.json")
    assert response.status_code == 500
    assert response.get_json() == [{"code": 500, "description": "internal error"}]
    schema[f"{OPEN311}/services.json"]["GET"].validate_response(response)
