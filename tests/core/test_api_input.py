"""Issue 13, defect 5: API inputs that answered 500. Out-of-range pages, JSON nested deeper than
the parser goes and bodies that are not JSON all answer 4xx in the API's error format, with a
stable code; and every API blueprint is built so."""

from __future__ import annotations

import flask_smorest
import pytest

from core.api import Blueprint
from core.api.base import MAX_PAGE
from tests.surveys.dossier_helpers import api_key_for

DEEP = "[" * 100_000


@pytest.fixture
def headers(app, make_unit, make_user):
    key = api_key_for(make_user, make_unit("P", kind="province"),
                      ("units.view", "feedback.intake"))
    return {"Authorization": f"Bearer {key}"}


def _error(response) -> dict:
    return response.get_json()["error"]


@pytest.mark.parametrize("page", ["99999999999999999999", str(MAX_PAGE + 1), "-5", "0",
                                  "9" * 400])
def test_a_page_out_of_range_is_a_validation_error(client, headers, page):
    response = client.get("/api/v1/units", query_string={"page": page}, headers=headers)
    assert response.status_code == 422
    assert _error(response)["code"] == "validation_failed"
    assert "page" in _error(response)["details"]["query"]


@pytest.mark.parametrize("size", ["99999999999999999999", "-1"])
def test_a_page_size_out_of_range_is_a_validation_error(client, headers, size):
    response = client.get("/api/v1/units", query_string={"page_size": size}, headers=headers)
    assert response.status_code == 422 and "page_size" in _error(response)["details"]["query"]


def test_the_last_page_still_answers(client, headers):
    response = client.get("/api/v1/units", query_string={"page": MAX_PAGE}, headers=headers)
    assert response.status_code == 200 and response.get_json() == []


def test_deeply_nested_json_is_invalid_json(client, headers):
    response = client.post("/api/v1/feedback", data=DEEP, headers=headers,
                           content_type="application/json")
    assert response.status_code == 400
    assert _error(response)["code"] == "invalid_json"


@pytest.mark.parametrize("body", ["{bad", '{"unit_code": "P", ', "\xff\xfe{}".encode("latin-1")])
def test_a_body_that_is_not_json_is_invalid_json(client, headers, body):
    response = client.post("/api/v1/feedback", data=body, headers=headers,
                           content_type="application/json")
    assert response.status_code == 400
    assert _error(response)["code"] == "invalid_json"


def test_open311_reads_deep_json_as_a_bad_request(client, headers):
    response = client.post("/api/v1/open311/requests.json", data=DEEP, headers=headers,
                           content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()[0]["code"] == 400


@pytest.mark.own_app
def test_deep_json_outside_the_api_parsers_is_a_400_too(app, client):
    @app.post("/api/v1/_echo")
    def _echo():
        from flask import request

        return {"got": request.get_json() is not None}

    response = client.post("/api/v1/_echo", data=DEEP, content_type="application/json")
    assert response.status_code == 400 and _error(response)["code"] == "invalid_json"
    response = client.post("/api/v1/_echo", data="[]", content_type="text/plain")
    assert response.status_code == 415 and _error(response)["code"] == "unsupported_media_type"


def test_every_api_blueprint_uses_the_guarded_parsers(app):
    api = app.extensions["langnghe_api"]
    plain = flask_smorest.Blueprint("plain", __name__, url_prefix="/api/v1/plain")
    with pytest.raises(TypeError, match="core.api.Blueprint"):
        api.register_blueprint(plain)
    smorest_blueprints = [bp for bp in app.blueprints.values()
                          if isinstance(bp, flask_smorest.Blueprint)]
    assert smorest_blueprints and all(isinstance(bp, Blueprint) for bp in smorest_blueprints)
