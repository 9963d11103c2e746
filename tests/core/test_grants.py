"""Who may grant which role where (issue 13, defect 3), who may reset whose password, and the
account forms that pre-select nothing dangerous and show each error beside its field (issue 12)."""

from __future__ import annotations

import re

import pytest

from core.access import Permission, can, grantable_roles, may_grant_role
from core.exceptions import ServiceError
from core.extensions import db
from core.models import AuditEntry, Role, RoleGrant, Unit, User
from core.users import grant_role, reset_user_password
from tests.conftest import PASSWORD

USERS = "/quan-tri/nguoi-dung"


@pytest.fixture
def tree(make_unit) -> dict[str, Unit]:
    ls = make_unit("LS", kind="province")
    dl = make_unit("LS-DL", parent=ls, kind="commune")
    return {"LS": ls, "DL": dl, "DL1": make_unit("LS-DL-1", parent=dl, kind="desk"),
            "SNV": make_unit("LS-SNV", parent=ls)}


def _grants(user: User) -> list[tuple[str, int | None]]:
    db.session.expire_all()
    return sorted((g.role, g.unit_id) for g in db.session.get(User, user.id).grants)


def _refused(app, *args) -> ServiceError:
    with app.test_request_context(), pytest.raises(ServiceError) as refused:
        grant_role(*args)
    db.session.rollback()
    return refused.value


def test_unit_admin_cannot_grant_themself_a_pakn_role(app, tree, make_user):
    admin = make_user(Role.UNIT_ADMIN, tree["DL"])
    for role in (Role.PAKN_OFFICER, Role.HANDLER, Role.APPROVER, Role.UNIT_ADMIN):
        refused = _refused(app, admin, admin, role, tree["DL1"])
        assert refused.status == 403 and refused.field == "role"
    assert _grants(admin) == [("unit_admin", tree["DL"].id)]
    assert not can(db.session.get(User, admin.id), Permission.FEEDBACK_CONTACT_VIEW, tree["DL1"])


def test_grantor_hands_out_only_roles_whose_permissions_they_hold_in_their_subtree(
        app, tree, make_user):
    admin = make_user(Role.UNIT_ADMIN, tree["DL"])
    colleague = make_user(Role.DESK_STAFF, tree["DL1"])
    for role in (Role.PAKN_OFFICER, Role.HANDLER, Role.APPROVER, Role.ANALYST,
                 Role.DESK_STAFF):
        refused = _refused(app, admin, colleague, role, tree["DL"])
        assert refused.status == 403 and refused.field == "role", role
    refused = _refused(app, admin, colleague, Role.UNIT_ADMIN, tree["SNV"])
    assert refused.status == 403 and refused.field == "unit_id"
    refused = _refused(app, admin, colleague, Role.SYSTEM_ADMIN, None)
    assert refused.status == 403 and refused.field == "role"
    with app.test_request_context():
        grant_role(admin, colleague, Role.UNIT_ADMIN, tree["DL1"])
        db.session.commit()
    assert _grants(colleague) == [("desk_staff", tree["DL1"].id), ("unit_admin", tree["DL1"].id)]
    entry = db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action == "user.role_granted"))
    assert entry.after == {"role": "unit_admin", "unit_id": tree["DL1"].id}


def test_a_role_held_beside_the_admin_role_can_be_granted_where_it_is_held(app, tree,
                                                                          make_user):
    admin = make_user(Role.UNIT_ADMIN, tree["DL"])
    db.session.add(RoleGrant(user=admin, role=Role.HANDLER.value, unit_id=tree["DL1"].id))
    db.session.commit()
    other = make_user(Role.DESK_STAFF, tree["DL1"])
    assert grantable_roles(admin) == [Role.UNIT_ADMIN, Role.HANDLER]
    assert may_grant_role(admin, Role.HANDLER, tree["DL1"])
    assert not may_grant_role(admin, Role.HANDLER, tree["DL"])
    assert _refused(app, admin, other, Role.HANDLER, tree["DL"]).field == "role"
    with app.test_request_context():
        grant_role(admin, other, Role.HANDLER, tree["DL1"])
        db.session.commit()
    assert ("handler", tree["DL1"].id) in _grants(other)


def test_a_system_admin_grants_anything_themself_included(app, tree, make_user):
    root = make_user(Role.SYSTEM_ADMIN)
    assert grantable_roles(root) == list(Role)
    with app.test_request_context():
        grant_role(root, root, Role.PAKN_OFFICER, tree["DL"])
        grant_role(root, make_user(Role.HANDLER, tree["SNV"]), Role.SYSTEM_ADMIN, None)
        db.session.commit()
    assert ("pakn_officer", tree["DL"].id) in _grants(root)


def test_self_grant_through_the_page_is_refused(client, tree, make_user, login):
    admin = make_user(Role.UNIT_ADMIN, tree["DL"])
    login(client, admin)
    page = client.get(f"{USERS}/{admin.id}").get_data(as_text=True)
    assert 'id="grant-form"' not in page and "ask another administrator" in page
    response = client.post(f"{USERS}/{admin.id}/vai-tro",
                           data={"g-role": "unit_admin", "g-unit_id": str(tree["DL1"].id)})
    assert response.status_code == 403
    assert "You cannot grant a role to yourself" in response.get_data(as_text=True)
    # The PAKN roles are not even offered: a forged post is a bad form.
    response = client.post(f"{USERS}/{admin.id}/vai-tro",
                           data={"g-role": "pakn_officer", "g-unit_id": str(tree["DL"].id)})
    assert response.status_code == 400
    assert _grants(admin) == [("unit_admin", tree["DL"].id)]


def test_unit_admin_resets_only_passwords_of_accounts_whose_roles_they_hold(
        app, client, tree, make_user, login):
    admin = make_user(Role.UNIT_ADMIN, tree["DL"])
    officer = make_user(Role.PAKN_OFFICER, tree["DL"])
    deputy = make_user(Role.UNIT_ADMIN, tree["DL1"])
    officer_client = app.test_client()
    login(officer_client, officer)
    login(client, admin)
    page = client.get(f"{USERS}/{officer.id}").get_data(as_text=True)
    assert 'id="reset-form"' not in page  # they may still disable the account
    data = {"r-password": "tạm thời 2026 xyz", "r-reason": "quên mật khẩu"}
    response = client.post(f"{USERS}/{officer.id}/dat-lai-mat-khau", data=data)
    assert response.status_code == 403
    assert "every permission of this account" in response.get_data(as_text=True)
    assert officer_client.get("/quan-tri/").status_code == 200  # untouched
    with app.test_request_context(), pytest.raises(ServiceError):
        reset_user_password(admin, officer, "tạm thời 2026 xyz", "quên")
    db.session.rollback()
    assert 'id="reset-form"' in client.get(f"{USERS}/{deputy.id}").get_data(as_text=True)
    assert client.post(f"{USERS}/{deputy.id}/dat-lai-mat-khau", data=data).status_code == 302


def _selected(html: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S).group(0)
    return re.findall(r'<option selected value="([^"]*)"', select)


def _options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S).group(0)
    return re.findall(r'<option(?: selected)? value="([^"]*)"', select)


def _error_of(response, field_id: str) -> str:
    """The error shown beside a field (macros/forms.html: ``<p id="<field>-err">``)."""
    found = re.search(rf'<p class="error" id="{field_id}-err">(.*?)</p>',
                      response.get_data(as_text=True), re.S)
    return found.group(1).replace("&#39;", "'") if found else ""


def test_new_user_form_preselects_no_role_and_no_unit(client, tree, make_user, login):
    login(client, make_user(Role.SYSTEM_ADMIN))
    page = client.get(f"{USERS}/moi").get_data(as_text=True)
    # Nothing selected: the browser shows the first option, the "choose…" placeholder.
    assert _selected(page, "role") == [] and _selected(page, "unit_id") == []
    assert _options(page, "role")[:2] == ["", "system_admin"]
    assert _options(page, "unit_id")[:2] == ["", "0"]  # "(all units)" offered, not chosen
    detail = client.get(f"{USERS}/{make_user(Role.HANDLER, tree['DL']).id}")
    assert _selected(detail.get_data(as_text=True), "g-role") == []
    assert _selected(detail.get_data(as_text=True), "g-unit_id") == []


def test_unit_admin_form_defaults_to_their_unit_without_the_all_units_option(
        client, tree, make_user, login):
    admin = make_user(Role.UNIT_ADMIN, tree["DL"])
    login(client, admin)
    page = client.get(f"{USERS}/moi").get_data(as_text=True)
    assert _selected(page, "unit_id") == [str(tree["DL"].id)]
    assert _options(page, "unit_id") == ["", str(tree["DL"].id), str(tree["DL1"].id)]
    assert _options(page, "role") == ["", "unit_admin"]
    assert _selected(page, "role") == []
    detail = client.get(f"{USERS}/{make_user(Role.UNIT_ADMIN, tree['DL1']).id}")
    assert _selected(detail.get_data(as_text=True), "g-unit_id") == [str(tree["DL"].id)]


def _new_user(client, **fields):
    data = {"username": "nguoimoi", "full_name": "Người Mới", "password": PASSWORD,
            "role": "", "unit_id": "", **fields}
    return client.post(f"{USERS}/moi", data=data)


def test_new_user_errors_appear_beside_their_field(client, tree, make_user, login):
    admin = make_user(Role.UNIT_ADMIN, tree["DL"])
    login(client, admin)
    response = _new_user(client)
    assert response.status_code == 400
    assert _error_of(response, "role") == "Choose a role."
    assert _error_of(response, "unit_id") == "Choose a unit."
    assert _error_of(response, "username") == ""
    response = _new_user(client, role="unit_admin", unit_id="0")  # all units: not theirs
    assert response.status_code == 400 and "Not a valid choice" in _error_of(response, "unit_id")
    assert _error_of(response, "username") == "" and _error_of(response, "role") == ""
    response = _new_user(client, role="unit_admin", unit_id=str(tree["SNV"].id))
    assert response.status_code == 400 and "Not a valid choice" in _error_of(response, "unit_id")
    assert db.session.scalar(db.select(User).where(User.username == "nguoimoi")) is None
    response = _new_user(client, role="unit_admin", unit_id=str(tree["DL1"].id))
    assert response.status_code == 302
    created = db.session.scalar(db.select(User).where(User.username == "nguoimoi"))
    assert _grants(created) == [("unit_admin", tree["DL1"].id)]


def test_system_admin_role_error_on_a_unit_grant_sits_beside_the_role(client, tree,
                                                                      make_user, login):
    login(client, make_user(Role.SYSTEM_ADMIN))
    target = make_user(Role.HANDLER, tree["DL"], username="dacoquyen")
    response = client.post(f"{USERS}/{target.id}/vai-tro",
                           data={"g-role": "handler", "g-unit_id": str(tree["DL"].id)})
    assert response.status_code == 409
    assert "already has that role" in _error_of(response, "g-role")
    response = client.post(f"{USERS}/{target.id}/vai-tro",
                           data={"g-role": "handler", "g-unit_id": "0"})
    assert response.status_code == 400
    assert "Choose the unit" in _error_of(response, "g-unit_id")
    assert _grants(target) == [("handler", tree["DL"].id)]


def test_built_in_form_messages_are_vietnamese_on_vietnamese_pages(client_vi, tree, make_user,
                                                                   login):
    login(client_vi, make_user(Role.UNIT_ADMIN, tree["DL"]))
    response = client_vi.post(f"{USERS}/moi", data={"username": "ab", "full_name": "",
                                                    "password": "", "role": "",
                                                    "unit_id": "0"})
    assert response.status_code == 400
    assert _error_of(response, "username") == "Phải có từ 3 đến 64 ký tự."
    assert _error_of(response, "full_name") == "Vui lòng nhập thông tin này."
    assert _error_of(response, "unit_id") == "Lựa chọn không hợp lệ."
    assert _error_of(response, "role") == "Chọn vai trò."
