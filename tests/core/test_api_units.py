"""GET /api/v1/units: scope of the key, filters, pagination; the OpenAPI document."""

from __future__ import annotations

import json

import pytest

from core.apikeys import issue_api_key
from core.extensions import db
from core.models import AuditEntry, Role
from core.org import set_unit_active


@pytest.fixture
def tree(make_unit):
    """P (province) → A (agency) → A1 (desk), A2 (department); P → B (agency)."""
    province = make_unit("P", kind="province", name_vi="UBND tỉnh")
    unit_a = make_unit("A", parent=province, name_vi="Sở Nội vụ", hotline="0205 3812 345",
                       email="snv@langson.gov.vn", address="Số 1 Hoàng Văn Thụ",
                       opening_hours="Thứ Hai – Thứ Sáu")
    desk = make_unit("A1", parent=unit_a, kind="desk", name_vi="Quầy 1")
    office = make_unit("A2", parent=unit_a, kind="department", name_vi="Phòng CCHC")
    unit_b = make_unit("B", parent=province, name_vi="Sở Y tế")
    return {"P": province, "A": unit_a, "A1": desk, "A2": office, "B": unit_b}


@pytest.fixture
def key_for(make_user):
    def issue(unit, permissions=("units.view",)) -> dict[str, str]:
        # A unit administrator may not give a key feedback.intake, which they lack.
        admin = make_user(Role.SYSTEM_ADMIN)
        _key, plaintext = issue_api_key("Cổng dịch vụ công", unit, list(permissions),
                                        actor=admin)
        db.session.commit()
        return {"Authorization": f"Bearer {plaintext}"}

    return issue


def test_list_holds_the_keys_subtree_only(client, tree, key_for):
    response = client.get("/api/v1/units", headers=key_for(tree["A"]))
    assert response.status_code == 200
    # Tree order by materialised path: A, then its children in creation (id) order.
    assert [unit["code"] for unit in response.get_json()] == ["A", "A1", "A2"]
    pagination = json.loads(response.headers["X-Pagination"])
    assert pagination["total"] == 3 and pagination["page"] == 1


def test_unit_in_scope_has_public_contacts_and_hides_parent_outside(client, tree, key_for):
    headers = key_for(tree["A"])
    own = client.get("/api/v1/units/A", headers=headers).get_json()
    assert own == {
        "code": "A", "name_vi": "Sở Nội vụ", "name_en": None, "kind": "agency", "depth": 1,
        "parent_code": None,  # P exists but is outside the key's scope
        "active": True, "hotline": "0205 3812 345", "email": "snv@langson.gov.vn",
        "address": "Số 1 Hoàng Văn Thụ", "opening_hours": "Thứ Hai – Thứ Sáu"}
    child = client.get("/api/v1/units/A1", headers=headers).get_json()
    assert child["parent_code"] == "A" and child["kind"] == "desk"


def test_other_units_answer_404_like_unknown_codes(client, tree, key_for):
    headers = key_for(tree["A"])
    outside = client.get("/api/v1/units/B", headers=headers)
    parent = client.get("/api/v1/units/P", headers=headers)
    unknown = client.get("/api/v1/units/NO-SUCH", headers=headers)
    assert outside.status_code == parent.status_code == unknown.status_code == 404
    assert outside.get_json() == unknown.get_json() == parent.get_json()
    assert outside.get_json()["error"]["code"] == "not_found"
    db.session.rollback()
    denied = db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action == "access.denied")).all()
    # The two refusals of existing units are audited; the unknown code has nothing to log.
    assert sorted(entry.object_id for entry in denied) == sorted(
        [str(tree["B"].id), str(tree["P"].id)])
    assert all(entry.actor_api_key_id is not None for entry in denied)


def test_key_on_the_root_sees_everything_below(client, tree, key_for):
    codes = [u["code"] for u in client.get("/api/v1/units", headers=key_for(tree["P"]))
             .get_json()]
    assert sorted(codes) == ["A", "A1", "A2", "B", "P"]


def test_filters_by_kind_and_active(client, tree, key_for):
    headers = key_for(tree["P"])
    desks = client.get("/api/v1/units?kind=desk", headers=headers).get_json()
    assert [u["code"] for u in desks] == ["A1"]
    set_unit_active(tree["A2"], False)
    db.session.commit()
    inactive = client.get("/api/v1/units?active=false", headers=headers).get_json()
    assert [(u["code"], u["active"]) for u in inactive] == [("A2", False)]
    active = client.get("/api/v1/units?active=true", headers=headers).get_json()
    assert sorted(u["code"] for u in active) == ["A", "A1", "B", "P"]


def test_bad_filter_is_422_with_field_details(client, tree, key_for):
    response = client.get("/api/v1/units?kind=castle", headers=key_for(tree["P"]))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and "kind" in error["details"]["query"]


def test_pagination_pages_and_caps_the_size(client, tree, key_for):
    headers = key_for(tree["P"])
    first = client.get("/api/v1/units?page=1&page_size=2", headers=headers)
    second = client.get("/api/v1/units?page=2&page_size=2", headers=headers)
    third = client.get("/api/v1/units?page=3&page_size=2", headers=headers)
    pages = [[u["code"] for u in r.get_json()] for r in (first, second, third)]
    assert [len(page) for page in pages] == [2, 2, 1]  # 5 units in pages of 2
    assert sorted(sum(pages, [])) == ["A", "A1", "A2", "B", "P"]
    assert json.loads(first.headers["X-Pagination"])["total_pages"] == 3
    too_big = client.get("/api/v1/units?page_size=1000", headers=headers)
    assert too_big.status_code == 422  # max_page_size is 200


def test_units_need_the_units_view_permission(client, tree, key_for):
    headers = key_for(tree["A"], permissions=["feedback.intake"])
    assert client.get("/api/v1/units", headers=headers).status_code == 403
    assert client.get("/api/v1/units/A", headers=headers).status_code == 403
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_openapi_document_lists_paths_schemas_and_security(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = json.loads(response.get_data(as_text=True))
    assert doc["openapi"] == "3.0.3"
    assert {"/api/v1/units", "/api/v1/units/{code}", "/api/v1/me"} <= set(doc["paths"])
    schemes = doc["components"]["securitySchemes"]
    assert (schemes["ApiKey"]["type"], schemes["ApiKey"]["scheme"]) == ("http", "bearer")
    assert schemes["ApiKeyHeader"]["name"] == "X-API-Key"
    operation = doc["paths"]["/api/v1/units"]["get"]
    assert {"ApiKey": []} in operation["security"]
    assert {"401", "403", "429", "200"} <= set(operation["responses"])
    assert {"page", "page_size", "kind", "active"} <= {p["name"] for p in operation["parameters"]}
    assert {"Unit", "Me", "ApiError"} <= set(doc["components"]["schemas"])
    # The documented error envelope is the one core.errors sends.
    assert set(doc["components"]["schemas"]["ApiError"]["properties"]) == {"error"}
