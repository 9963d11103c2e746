"""schemathesis against the OpenAPI document the app serves (/api/v1/openapi.json), through the
WSGI app in-process, with an API key that holds every API permission on a small organisation.

Each operation gets a small example budget so the module runs in seconds. Every default check
of schemathesis runs (no 5xx, documented status codes, content types, headers and bodies, bad
input refused) except ``positive_data_acceptance``: the API refuses with 4xx some input the
document allows (codes outside their pattern, unknown fields, lat without long, dates that are
not W3C), which is stricter than documented, not wrong."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from core.access import API_KEY_PERMISSIONS
from core.apikeys import issue_api_key
from core.extensions import db
from core.models import Role

# Examples per operation: enough to find the classic 500s, small enough for seconds a run.
EXAMPLES = 12

@pytest.fixture
def app_config() -> dict:
    return {"RATELIMIT_ENABLED": False}


@pytest.fixture
def api_key(app, make_unit, make_user) -> str:
    province = make_unit("TINH", kind="province", name_vi="UBND tỉnh Thử")
    agency = make_unit("TINH-SNV", parent=province, name_vi="Sở Nội vụ")
    admin = make_user(Role.SYSTEM_ADMIN)
    _key, plaintext = issue_api_key("Kiểm thử", agency,
                                    sorted(p.value for p in API_KEY_PERMISSIONS), actor=admin)
    db.session.commit()
    return plaintext


def _fuzz(operation, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    run()


def test_every_operation_answers_as_documented(app, api_key):
    """Each operation in turn, so one failure does not hide the others'."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {api_key}"}
    failures, tried = {}, 0
    for result in schema.get_all_operations():
        operation = result.ok()
        tried += 1
        try:
            _fuzz(operation, headers)
        except (Exception, BaseExceptionGroup) as error:  # every failure group, together
            failures[operation.label] = str(error)[:3000]
    assert tried >= 15
    assert failures == {}, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())


def test_open311_answers_input_refused_before_the_view_in_its_own_format(client):
    """Input that is not UTF-8 text is refused before any view runs; Open311 still answers
    with its list of errors, as its OpenAPI document says (schemathesis found the API's
    format there)."""
    for response in (
            client.post("/api/v1/open311/requests.json", data=b"description=a%00b",
                        content_type="application/x-www-form-urlencoded"),
            client.get("/api/v1/open311/requests.json?status=%FF")):
        assert response.status_code == 400
        body = response.get_json()
        assert isinstance(body, list) and body[0]["code"] == 400
    assert "error" in client.get("/api/v1/units?page=%FF").get_json()  # the rest of the API


def test_a_nul_character_in_json_is_refused_before_any_lookup(client, api_key):
    """PostgreSQL refuses NUL even in a WHERE clause (unit_code = '…\\x00' answered 500)."""
    headers = {"Authorization": f"Bearer {api_key}"}
    sent = client.post("/api/v1/feedback", headers=headers,
                       json={"content": "Thủ tục chậm.", "unit_code": "TINH-SNV\u0000"})
    assert sent.status_code == 400 and sent.get_json()["error"]["code"] == "invalid_encoding"
    put = client.put("/api/v1/dossiers/HS-1", headers=headers,
                     json={"unit_code": "\u0000", "received_at": "2026-06-01T01:30:00Z"})
    assert put.status_code == 400
    # An escaped backslash followed by "u0000" is ordinary text.
    text = client.post("/api/v1/feedback", headers=headers, data='{"content": "a\\\\u0000",'
                       ' "unit_code": "TINH-SNV"}', content_type="application/json")
    assert text.status_code == 201, text.get_data(as_text=True)
