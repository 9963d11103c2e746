"""The access matrix: roles × units × actions, pinned by an explicit table (the spec), not by
reading ROLE_PERMISSIONS back."""

from __future__ import annotations

import pytest

from core.access import Permission as P
from core.access import can, can_globally, unit_scope_clause
from core.extensions import db
from core.models import AuditEntry, Role, Unit

# What each role may do on its own subtree (DOMAIN.md §1 and issue #3).
SPEC: dict[Role, set[P]] = {
    Role.UNIT_ADMIN: {P.UNITS_VIEW, P.UNITS_MANAGE, P.USERS_MANAGE, P.AUDIT_VIEW,
                      P.SETTINGS_MANAGE, P.APIKEYS_MANAGE, P.SURVEYS_MANAGE, P.QR_PRINT,
                      P.REPORTS_VIEW},
    Role.PAKN_OFFICER: {P.UNITS_VIEW, P.FEEDBACK_INTAKE, P.FEEDBACK_VIEW, P.FEEDBACK_TRIAGE,
                        P.FEEDBACK_CONTACT_VIEW},
    Role.HANDLER: {P.UNITS_VIEW, P.FEEDBACK_VIEW, P.FEEDBACK_HANDLE, P.FEEDBACK_CONTACT_VIEW},
    Role.APPROVER: {P.UNITS_VIEW, P.FEEDBACK_VIEW, P.FEEDBACK_APPROVE, P.FEEDBACK_CONTACT_VIEW,
                    P.REPORTS_VIEW},
    Role.ANALYST: {P.UNITS_VIEW, P.SURVEYS_MANAGE, P.REPORTS_VIEW, P.REPORTS_PUBLISH},
    Role.DESK_STAFF: {P.UNITS_VIEW, P.SURVEYS_ENTER, P.QR_PRINT, P.DOSSIERS_WRITE,
                      P.FEEDBACK_INTAKE},
}


@pytest.fixture
def tree(make_unit) -> dict[str, Unit]:
    ls = make_unit("LS", kind="province")
    snv = make_unit("LS-SNV", parent=ls)
    desk = make_unit("LS-SNV-Q1", parent=snv, kind="desk")
    dinhlap = make_unit("LS-DL", parent=ls, kind="commune")
    kh = make_unit("KH", kind="province")
    return {"LS": ls, "SNV": snv, "DESK": desk, "DL": dinhlap, "KH": kh}


@pytest.mark.parametrize("role", list(SPEC))
def test_role_on_its_subtree_and_nowhere_else(role, tree, make_user):
    user = make_user(role, tree["SNV"])
    for permission in P:
        expected = permission in SPEC[role]
        assert can(user, permission, tree["SNV"]) is expected, (role, permission)
        assert can(user, permission, tree["DESK"]) is expected, (role, permission, "child")
        assert can(user, permission, tree["LS"]) is False, (role, permission, "parent")
        assert can(user, permission, tree["DL"]) is False, (role, permission, "sibling")
        assert can(user, permission, tree["KH"]) is False, (role, permission, "other root")
        assert can_globally(user, permission) is False


def test_system_admin_may_do_everything_everywhere(tree, make_user):
    admin = make_user(Role.SYSTEM_ADMIN)
    assert all(can(admin, p, unit) for p in P for unit in tree.values())
    assert all(can_globally(admin, p) for p in P)


def test_disabled_account_and_inactive_unit_lose_their_rights(tree, make_user):
    user = make_user(Role.UNIT_ADMIN, tree["SNV"])
    assert can(user, P.UNITS_MANAGE, tree["DESK"])
    tree["SNV"].active = False
    db.session.commit()
    assert not can(user, P.UNITS_MANAGE, tree["DESK"])
    tree["SNV"].active = True
    user.active = False
    db.session.commit()
    assert not can(user, P.UNITS_MANAGE, tree["DESK"])


def test_scope_clause_filters_queries_to_the_subtree(tree, make_user):
    user = make_user(Role.ANALYST, tree["SNV"])
    codes = db.session.scalars(
        db.select(Unit.code).where(unit_scope_clause(user, P.REPORTS_VIEW)).order_by(Unit.code)
    ).all()
    assert codes == ["LS-SNV", "LS-SNV-Q1"]
    assert db.session.scalars(
        db.select(Unit.code).where(unit_scope_clause(user, P.FEEDBACK_TRIAGE))
    ).all() == []


def _denials() -> list[AuditEntry]:
    return list(db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "access.denied")))


def test_other_units_objects_answer_404_and_the_attempt_is_logged(client, tree, make_user, login):
    admin_dl = make_user(Role.UNIT_ADMIN, tree["DL"])
    login(client, admin_dl)
    response = client.get(f"/quan-tri/don-vi/{tree['SNV'].id}/sua")
    assert response.status_code == 404
    response = client.post(f"/quan-tri/don-vi/{tree['SNV'].id}/xoa")
    assert response.status_code == 404
    assert db.session.get(Unit, tree["SNV"].id) is not None
    denials = _denials()
    assert len(denials) == 2
    assert {d.object_id for d in denials} == {str(tree["SNV"].id)}
    assert all(d.actor_user_id == admin_dl.id and d.reason == "units.manage" for d in denials)


def test_visible_unit_without_the_permission_answers_403(client, tree, make_user, login):
    handler = make_user(Role.HANDLER, tree["SNV"])
    login(client, handler)
    assert client.get("/quan-tri/don-vi").status_code == 200  # may look at the tree
    response = client.get(f"/quan-tri/don-vi/{tree['DESK'].id}/sua")
    assert response.status_code == 403
    assert [d.reason for d in _denials()] == ["units.manage"]


def test_staff_pages_need_sign_in(client, tree):
    response = client.get("/quan-tri/don-vi")
    assert response.status_code == 302
    assert "/dang-nhap" in response.headers["Location"]


def test_unit_admin_cannot_see_or_touch_accounts_of_other_units(client, tree, make_user, login):
    admin_dl = make_user(Role.UNIT_ADMIN, tree["DL"])
    snv_handler = make_user(Role.HANDLER, tree["SNV"], full_name="Người của Sở Nội vụ")
    dl_handler = make_user(Role.HANDLER, tree["DL"], full_name="Người của xã Đình Lập")
    login(client, admin_dl)
    listing = client.get("/quan-tri/nguoi-dung").get_data(as_text=True)
    assert "Người của xã Đình Lập" in listing and "Người của Sở Nội vụ" not in listing
    assert client.get(f"/quan-tri/nguoi-dung/{snv_handler.id}").status_code == 404
    response = client.post(f"/quan-tri/nguoi-dung/{snv_handler.id}/trang-thai",
                           data={"active": "0", "reason": "x"})
    assert response.status_code == 404
    db.session.refresh(snv_handler)
    assert snv_handler.active is True
    assert client.get(f"/quan-tri/nguoi-dung/{dl_handler.id}").status_code == 200


def test_unit_admin_cannot_grant_system_admin_or_roles_elsewhere(client, tree, make_user, login):
    admin_dl = make_user(Role.UNIT_ADMIN, tree["DL"])
    target = make_user(Role.HANDLER, tree["DL"])
    login(client, admin_dl)
    client.post(f"/quan-tri/nguoi-dung/{target.id}/vai-tro",
                data={"g-role": "system_admin", "g-unit_id": "0"})
    client.post(f"/quan-tri/nguoi-dung/{target.id}/vai-tro",
                data={"g-role": "unit_admin", "g-unit_id": str(tree["SNV"].id)})
    # Approving PAKN is a power the unit administrator does not hold, so cannot hand out.
    client.post(f"/quan-tri/nguoi-dung/{target.id}/vai-tro",
                data={"g-role": "approver", "g-unit_id": str(tree["DL"].id)})
    db.session.refresh(target)
    assert [(g.role, g.unit_id) for g in target.grants] == [("handler", tree["DL"].id)]
    client.post(f"/quan-tri/nguoi-dung/{target.id}/vai-tro",
                data={"g-role": "unit_admin", "g-unit_id": str(tree["DL"].id)})
    db.session.refresh(target)
    assert sorted(g.role for g in target.grants) == ["handler", "unit_admin"]
