"""The routing rule pages (feedback.views.routing): list, create, edit, reorder, activate,
delete with confirmation, dry run; scope (403/404) and bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry, Role
from feedback.models import RoutingRule
from feedback.routing import RuleData, create_rule, rules_for_agency
from tests.feedback.helpers import assign, build_org, submit_case

URL = "/quan-tri/pakn/phan-luong/"


@pytest.fixture
def org(make_unit, make_user):
    return build_org(make_unit, make_user)


def _rule(unit, **fields) -> RoutingRule:
    fields.setdefault("name", "Quy tắc")
    rule = create_rule(RuleData(handling_unit_id=unit.id, **fields))
    db.session.commit()
    return rule


def _form(org, **fields) -> dict:
    data = {"name": "Đất đai → Sở Nội vụ", "topic": "", "kind": "", "origin_unit_id": "0",
            "procedure_code": "", "keywords": "đất, nhà ở", "active": "y",
            "handling_unit_id": str(org.department.id)}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_sign_in_needed(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]


def test_list_in_order_with_menu(client, login, org):
    second = _rule(org.other_department, name="Trường học", keywords="trường")
    first = _rule(org.department, name="Đất đai", keywords="đất")
    login(client, org.officer)
    page = client.get(URL).get_data(as_text=True)
    assert "PAKN routing rules" in page           # menu item and heading
    assert page.index("Trường học") < page.index("Đất đai")
    assert "Sở Nội vụ" in page and "Sở Tài chính" in page
    assert f"/quan-tri/pakn/phan-luong/{first.id}/sua" in page
    assert f"/quan-tri/pakn/phan-luong/{second.id}/di-chuyen" in page


def test_create_rule(client, login, org):
    login(client, org.officer)
    assert client.get(URL + "moi").status_code == 200
    response = client.post(URL + "moi", data=_form(
        org, topic="economy", keywords=" đất ,, Đất,nhà   ở ", procedure_code="1.001",
        origin_unit_id=str(org.desk.id)))
    assert response.status_code == 302
    rule = db.session.execute(select(RoutingRule)).scalar_one()
    assert (rule.name, rule.topic, rule.keywords, rule.procedure_code, rule.origin_unit_id,
            rule.handling_unit_id, rule.active) == (
        "Đất đai → Sở Nội vụ", "economy", "đất, nhà ở", "1.001", org.desk.id,
        org.department.id, True)
    assert db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "feedback_routing_rule.created")).scalar_one().actor_user_id \
        == org.officer.id
    # The list shows it.
    assert "Đất đai → Sở Nội vụ" in client.get(URL).get_data(as_text=True)


@pytest.mark.parametrize(("fields", "message"), [
    ({"name": ""}, "This field is required."),
    ({"handling_unit_id": None}, "This field is required."),
    ({"handling_unit_id": "abc"}, "Invalid Choice"),
    ({"topic": "weather"}, "Not a valid choice"),
    ({"origin_unit_id": "999999"}, "Not a valid choice"),
    ({"name": "x" * 201}, "200"),
    ({"keywords": "x" * 101}, "A keyword is too long"),
    # BEL: a NUL is refused before any form is read (core.request_input).
    ({"name": "bad\x07name"}, "control characters"),
])
def test_create_rule_refuses_bad_input(client, login, org, fields, message):
    login(client, org.officer)
    response = client.post(URL + "moi", data=_form(org, **fields))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.execute(select(RoutingRule)).first() is None


def test_units_outside_the_scope_cannot_be_chosen(client, login, org, make_unit, make_user):
    elsewhere = make_unit("Q", kind="province", name_vi="UBND tỉnh Khác")
    foreign = make_unit("Q-SNV", parent=elsewhere, name_vi="Sở Nội vụ Q")
    login(client, org.officer)
    page = client.get(URL + "moi").get_data(as_text=True)
    assert "Sở Nội vụ Q" not in page
    response = client.post(URL + "moi", data=_form(org, handling_unit_id=str(foreign.id)))
    assert response.status_code == 400
    closed = make_unit("P-OLD", parent=org.province, name_vi="Sở đã giải thể", active=False)
    response = client.post(URL + "moi", data=_form(org, handling_unit_id=str(closed.id)))
    assert response.status_code == 400


def test_edit_rule(client, login, org):
    rule = _rule(org.department, name="Cũ", keywords="đất", topic="economy")
    login(client, org.officer)
    page = client.get(f"{URL}{rule.id}/sua").get_data(as_text=True)
    assert 'value="Cũ"' in page and 'value="đất"' in page
    response = client.post(f"{URL}{rule.id}/sua", data=_form(
        org, name="Mới", keywords="", handling_unit_id=str(org.other_department.id)))
    assert response.status_code == 302
    db.session.refresh(rule)
    assert (rule.name, rule.keywords, rule.topic, rule.handling_unit_id) == (
        "Mới", None, None, org.other_department.id)
    assert client.post(f"{URL}{rule.id}/sua", data=_form(org, name="")).status_code == 400
    assert client.get(f"{URL}999999/sua").status_code == 404


def test_reorder_and_activate(client, login, org):
    a = _rule(org.department, name="A")
    b = _rule(org.department, name="B")
    c = _rule(org.department, name="C")
    login(client, org.officer)
    assert client.post(f"{URL}{c.id}/di-chuyen", data={"direction": "up"}).status_code == 302
    assert [r.name for r in rules_for_agency(org.province)] == ["A", "C", "B"]
    client.post(f"{URL}{a.id}/di-chuyen", data={"direction": "down"})
    assert [r.name for r in rules_for_agency(org.province)] == ["C", "A", "B"]
    # Moving the first rule up changes nothing.
    client.post(f"{URL}{c.id}/di-chuyen", data={"direction": "up"})
    assert [r.name for r in rules_for_agency(org.province)] == ["C", "A", "B"]
    assert client.post(f"{URL}{c.id}/di-chuyen", data={"direction": "left"}).status_code == 400
    response = client.post(f"{URL}{b.id}/trang-thai", data={"active": "0"},
                           follow_redirects=True)
    assert "Rule \u201cB\u201d is now inactive." in response.get_data(as_text=True)
    assert [r.name for r in rules_for_agency(org.province)] == ["C", "A"]
    client.post(f"{URL}{b.id}/trang-thai", data={"active": "1"})
    assert [r.name for r in rules_for_agency(org.province)] == ["C", "A", "B"]
    assert client.post(f"{URL}{b.id}/trang-thai", data={"active": "x"}).status_code == 400
    # A rule whose unit was closed cannot be switched back on.
    client.post(f"{URL}{b.id}/trang-thai", data={"active": "0"})
    org.department.active = False
    db.session.commit()
    response = client.post(f"{URL}{b.id}/trang-thai", data={"active": "1"},
                           follow_redirects=True)
    assert "The handling unit is inactive" in response.get_data(as_text=True)
    db.session.refresh(b)
    assert b.active is False


def test_delete_with_confirmation(client, login, org):
    rule = _rule(org.department, name="Xoá tôi")
    login(client, org.officer)
    page = client.get(f"{URL}{rule.id}/xoa").get_data(as_text=True)
    assert "Delete the rule \u201cXoá tôi\u201d?" in page
    assert client.post(f"{URL}{rule.id}/xoa", data={}).status_code == 400
    assert db.session.get(RoutingRule, rule.id) is not None
    assert client.post(f"{URL}{rule.id}/xoa", data={"confirm": "1"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(RoutingRule, rule.id) is None
    assert client.post(f"{URL}{rule.id}/xoa", data={"confirm": "1"}).status_code == 404


def test_scope_404_and_403(client, login, org, make_unit, make_user):
    mine = _rule(org.department, name="Của Sở Nội vụ")
    theirs = _rule(org.other_department, name="Của Sở Tài chính")
    admin = make_user(Role.UNIT_ADMIN, org.department, username="qtv.snv")
    login(client, admin)
    page = client.get(URL).get_data(as_text=True)
    assert "Của Sở Nội vụ" in page and "Của Sở Tài chính" not in page
    assert "PAKN routing rules" in page   # unit admins see the menu item too
    assert client.get(f"{URL}{mine.id}/sua").status_code == 200
    # Another department: not even visible to this admin → 404, logged.
    assert client.get(f"{URL}{theirs.id}/sua").status_code == 404
    assert client.post(f"{URL}{theirs.id}/di-chuyen", data={"direction": "up"}
                       ).status_code == 404
    assert client.post(f"{URL}{theirs.id}/trang-thai", data={"active": "0"}).status_code == 404
    assert client.post(f"{URL}{theirs.id}/xoa", data={"confirm": "1"}).status_code == 404
    assert db.session.get(RoutingRule, theirs.id).active is True
    denied = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "access.denied",
        AuditEntry.object_type == "feedback_routing_rule")).scalars().all()
    assert len(denied) == 4 and {d.object_id for d in denied} == {str(theirs.id)}
    client.post("/dang-xuat")
    # A handler sees the department but may not route: 403 everywhere.
    login(client, org.handler)
    assert client.get(URL).status_code == 403
    assert client.get(URL + "moi").status_code == 403
    assert client.get(URL + "chay-thu").status_code == 403
    assert client.get(f"{URL}{mine.id}/sua").status_code == 403
    assert client.post(f"{URL}{mine.id}/xoa", data={"confirm": "1"}).status_code == 403
    assert db.session.get(RoutingRule, mine.id) is not None
    assert "PAKN routing rules" not in client.get("/quan-tri/").get_data(as_text=True)


def test_dry_run_page_shows_agreement(client, login, org):
    for text, unit in (("Tranh chấp đất đai ở thôn", org.department),
                       ("Cấp sổ đỏ cho đất ở bị chậm", org.other_department),
                       ("Đèn đường hỏng", org.department)):
        case = submit_case(org, content=text)
        assign(case, org, unit)
    _rule(org.department, name="Đất đai", keywords="đất")
    pending = _rule(org.other_department, name="Sổ đỏ (chưa bật)", keywords="sổ đỏ",
                    active=False)
    login(client, org.officer)
    page = client.get(URL + "chay-thu").get_data(as_text=True)
    assert "Dry run of the routing rules" in page
    assert "50% (1 of 2)" in page            # both land cases matched, one agrees
    assert "67%" in page                     # 2 of 3 cases matched
    assert "Sổ đỏ (chưa bật)" not in page
    # Tried first (and included although inactive), the pending rule sends the second land
    # case to the unit that actually handled it: full agreement.
    pending.position = 0
    db.session.commit()
    page = client.get(URL + f"chay-thu?agency={org.province.id}&inactive=1").get_data(
        as_text=True)
    assert "100% (2 of 2)" in page and "Sổ đỏ (chưa bật)" in page
    assert client.get(URL + "chay-thu?agency=999999").status_code == 404
