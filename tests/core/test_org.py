"""The organisation tree: create, move, deactivate, delete — and the refusals."""

from __future__ import annotations

import flask_babel
import pytest

from core.exceptions import ServiceError
from core.extensions import db
from core.models import AuditEntry, Role, Unit
from core.org import UnitData, create_unit, delete_unit, move_unit, set_unit_active


@pytest.fixture
def english(app):
    """Service messages in English for these assertions (the default outside a request is
    Vietnamese)."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        flask_babel.refresh()
        yield
    flask_babel.refresh()


@pytest.fixture
def tree(make_unit):
    ls = make_unit("LS", kind="province", name_vi="UBND tỉnh Lạng Sơn")
    centre = make_unit("LS-TT", parent=ls, kind="service_centre", name_vi="Trung tâm PVHCC")
    desk = make_unit("LS-TT-Q1", parent=centre, kind="desk", name_vi="Quầy 1")
    dl = make_unit("LS-DL", parent=ls, kind="commune", name_vi="UBND xã Đình Lập")
    return {"ls": ls, "centre": centre, "desk": desk, "dl": dl}


def test_paths_and_depths_follow_the_tree(tree):
    ls, centre, desk = tree["ls"], tree["centre"], tree["desk"]
    assert ls.path == f"/{ls.id}/" and ls.depth == 0
    assert centre.path == f"/{ls.id}/{centre.id}/" and centre.depth == 1
    assert desk.path == f"/{ls.id}/{centre.id}/{desk.id}/" and desk.depth == 2
    assert desk.is_within(ls) and not ls.is_within(desk)


def test_moving_a_unit_moves_its_subtree(tree):
    move_unit(tree["centre"], tree["dl"], reason="the centre now serves the commune")
    db.session.commit()
    dl, centre, desk = tree["dl"], tree["centre"], tree["desk"]
    assert centre.parent_id == dl.id
    assert desk.path == f"{dl.path}{centre.id}/{desk.id}/" and desk.depth == 3
    entry = db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action == "unit.moved")).one()
    assert entry.before["parent_id"] == tree["ls"].id and entry.after["parent_id"] == dl.id


def test_moving_under_its_own_descendant_is_refused(english, tree):
    with pytest.raises(ServiceError, match="under itself"):
        move_unit(tree["centre"], tree["desk"])
    with pytest.raises(ServiceError):
        move_unit(tree["centre"], tree["centre"])
    db.session.rollback()
    assert db.session.get(Unit, tree["centre"].id).parent_id == tree["ls"].id


def test_duplicate_codes_are_refused(english, tree):
    with pytest.raises(ServiceError, match="already used"):
        create_unit(UnitData(code="LS-DL", name_vi="Trùng mã"))


def test_deactivating_hides_the_subtree_from_citizens(tree, client):
    set_unit_active(tree["centre"], False, reason="merged")
    db.session.commit()
    assert db.session.get(Unit, tree["desk"].id).active is False
    assert client.get("/don-vi/LS-TT").status_code == 404
    assert client.get("/don-vi/LS-TT-Q1").status_code == 404
    home = client.get("/").get_data(as_text=True)
    assert "Trung tâm PVHCC" not in home and "UBND xã Đình Lập" in home


def test_deleting_a_unit_with_sub_units_or_data_is_refused(english, tree, make_user):
    with pytest.raises(ServiceError, match="sub-units"):
        delete_unit(tree["centre"])
    make_user(Role.HANDLER, tree["dl"])  # a staff role is data that refers to the unit
    with pytest.raises(ServiceError, match="already has data"):
        delete_unit(tree["dl"])
    db.session.rollback()
    assert db.session.get(Unit, tree["dl"].id) is not None
    delete_unit(tree["desk"], reason="closed")
    db.session.commit()
    assert db.session.get(Unit, tree["desk"].id) is None
    assert db.session.scalars(db.select(AuditEntry.action).where(
        AuditEntry.object_id == str(tree["desk"].id))).all()[-1] == "unit.deleted"


def test_pages_refuse_bad_moves_and_duplicates_with_a_message(tree, client, make_user, login):
    login(client, make_user(Role.SYSTEM_ADMIN))
    centre = tree["centre"]
    form = {"code": centre.code, "name_vi": centre.name_vi, "kind": centre.kind,
            "sort_order": "0"}
    # The descendant is not even offered as a parent; a forged post is refused.
    response = client.post(f"/quan-tri/don-vi/{centre.id}/sua",
                           data={**form, "parent_id": str(tree["desk"].id)})
    assert response.status_code == 400 and "Not a valid choice" in response.get_data(as_text=True)
    response = client.post(f"/quan-tri/don-vi/{centre.id}/sua",
                           data={**form, "code": "LS-DL", "parent_id": str(tree["ls"].id)})
    assert response.status_code == 409
    assert "already used by UBND xã Đình Lập" in response.get_data(as_text=True)
    response = client.post(f"/quan-tri/don-vi/{tree['ls'].id}/xoa")
    assert response.status_code == 409 and "sub-units" in response.get_data(as_text=True)
    assert db.session.get(Unit, centre.id).code == "LS-TT"


def test_unit_admin_creates_units_only_inside_their_subtree(tree, client, make_user, login):
    login(client, make_user(Role.UNIT_ADMIN, tree["dl"]))
    ok = client.post("/quan-tri/don-vi/moi", data={
        "code": "LS-DL-VHXH", "name_vi": "Phòng Văn hóa - Xã hội", "kind": "department",
        "parent_id": str(tree["dl"].id), "sort_order": "1"})
    assert ok.status_code == 302
    refused = client.post("/quan-tri/don-vi/moi", data={
        "code": "LS-TT-Q9", "name_vi": "Quầy lạ", "kind": "desk",
        "parent_id": str(tree["centre"].id)})
    assert refused.status_code == 400  # not among the parents offered to this admin
    top = client.post("/quan-tri/don-vi/moi", data={
        "code": "NEW", "name_vi": "Tỉnh mới", "kind": "province", "parent_id": "0"})
    assert top.status_code == 400
    codes = set(db.session.scalars(db.select(Unit.code)))
    assert "LS-DL-VHXH" in codes and "LS-TT-Q9" not in codes and "NEW" not in codes


def test_unit_admin_edits_but_cannot_switch_off_their_own_unit(tree, client, make_user, login):
    admin = make_user(Role.UNIT_ADMIN, tree["dl"])
    login(client, admin)
    dl = tree["dl"]
    edited = client.post(f"/quan-tri/don-vi/{dl.id}/sua", data={
        "code": dl.code, "name_vi": dl.name_vi, "kind": dl.kind, "parent_id": str(dl.parent_id),
        "hotline": "0205 3845 555", "sort_order": "0"})
    assert edited.status_code == 302
    assert client.post(f"/quan-tri/don-vi/{dl.id}/trang-thai",
                       data={"active": "0"}).status_code == 403
    assert client.get(f"/quan-tri/don-vi/{dl.id}/xoa").status_code == 403
    db.session.refresh(dl)
    assert dl.active is True and dl.hotline == "0205 3845 555"
    denial = db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action == "access.denied")).all()
    assert [d.reason for d in denial] == ["units.manage(parent)"] * 2
    page = client.get("/quan-tri/don-vi").get_data(as_text=True)
    assert f"/quan-tri/don-vi/{dl.id}/trang-thai" not in page


def test_delete_asks_for_confirmation_first(tree, client, make_user, login):
    login(client, make_user(Role.SYSTEM_ADMIN))
    desk = tree["desk"]
    tree_page = client.get("/quan-tri/don-vi").get_data(as_text=True)
    assert f'href="/quan-tri/don-vi/{desk.id}/xoa"' in tree_page  # a link, not a one-click post
    confirm = client.get(f"/quan-tri/don-vi/{desk.id}/xoa")
    assert confirm.status_code == 200 and "Delete for good" in confirm.get_data(as_text=True)
    assert db.session.get(Unit, desk.id) is not None
    assert client.post(f"/quan-tri/don-vi/{desk.id}/xoa",
                       data={"reason": "desk closed"}).status_code == 302
    assert db.session.get(Unit, desk.id) is None


def test_home_page_groups_agencies_under_their_province(client, make_unit):
    ls = make_unit("LS", kind="province", name_vi="UBND tỉnh Lạng Sơn")
    make_unit("LS-SNV", parent=ls, name_vi="Sở Nội vụ")
    kh = make_unit("KH", kind="province", name_vi="UBND tỉnh Khánh Hòa")
    make_unit("KH-VP", parent=kh, name_vi="Ban Quản lý Khu kinh tế Vân Phong")
    make_unit("LS-SNV-Q1", parent=ls, kind="desk", name_vi="Quầy riêng")
    page = client.get("/").get_data(as_text=True)
    sections = page.split('<section class="directory">')[1:]
    assert len(sections) == 2  # same sort order: alphabetical, Khánh Hòa first
    by_root = {("LS" if "Lạng Sơn" in s else "KH"): s for s in sections}
    assert "Sở Nội vụ" in by_root["LS"] and "Vân Phong" not in by_root["LS"]
    assert "Vân Phong" in by_root["KH"] and "Sở Nội vụ" not in by_root["KH"]
    assert "Quầy riêng" not in page  # desks are reached by their QR code, not listed
