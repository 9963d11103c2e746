"""The settings admin page: who may schedule what, and that refusals save nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import today
from core.extensions import db
from core.models import AuditEntry, Role, SettingValue
from core.settings import ensure_default_settings, get_setting, set_setting

URL = "/quan-tri/cai-dat"


@pytest.fixture
def tree(make_unit):
    province = make_unit("LS", kind="province", name_vi="UBND tỉnh Lạng Sơn")
    commune = make_unit("LS-DL", parent=province, kind="commune", name_vi="UBND xã Đình Lập")
    desk = make_unit("LS-DL-Q1", parent=commune, kind="desk", name_vi="Quầy Tư pháp")
    other = make_unit("KH", kind="province", name_vi="UBND tỉnh Khánh Hòa")
    return province, commune, desk, other


def stored(key: str) -> list[tuple]:
    return [(r.unit_id, r.value) for r in db.session.scalars(
        db.select(SettingValue).where(SettingValue.key == key).order_by(SettingValue.id))]


def denials() -> list[AuditEntry]:
    return list(db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action == "access.denied", AuditEntry.reason == "settings.manage")))


def post(client, key: str, **data):
    form = {"effective_from": today().isoformat(), "unit_id": "0", "note": "", **data}
    return client.post(f"{URL}/{key}", data=form)


def test_system_admin_sees_values_and_the_confirmation_mark(client, make_user, login, tree):
    ensure_default_settings()
    db.session.commit()
    login(client, make_user(Role.SYSTEM_ADMIN))
    page = client.get(URL).get_data(as_text=True)
    assert "pakn.answer_days" in page and "sipas.aggregation" in page
    answer_row = page.split('id="setting-pakn-answer_days"')[1].split("</tr>")[0]
    assert "badge-warn" in answer_row and "confirmation" in answer_row
    transfer_row = page.split('id="setting-pakn-transfer_days"')[1].split("</tr>")[0]
    assert "confirmation" not in transfer_row and "5 working days" in transfer_row


def test_system_admin_schedules_a_global_value(client, make_user, login, tree):
    admin = make_user(Role.SYSTEM_ADMIN)
    login(client, admin)
    start = today() + timedelta(days=30)
    response = post(client, "pakn.answer_days", value="20", effective_from=start.isoformat(),
                    note="Quyết định 12/QĐ-UBND")
    assert response.status_code == 302
    assert stored("pakn.answer_days") == [(None, 20)]
    assert get_setting("pakn.answer_days", on=start) == 20
    assert get_setting("pakn.answer_days") == 15  # not yet in force
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action ==
                                                          "setting.scheduled"))
    assert entry.actor_user_id == admin.id and entry.after["note"] == "Quyết định 12/QĐ-UBND"
    page = client.get(f"{URL}/pakn.answer_days").get_data(as_text=True)
    assert "Quyết định 12/QĐ-UBND" in page and "(scheduled)" in page


@pytest.mark.parametrize(("key", "data"), [
    ("pakn.transfer_days", {"value": "many"}),
    ("pakn.transfer_days", {"value": "0"}),
    ("sipas.target_element_pct", {"value": "120"}),
    ("sipas.aggregation", {"value": "median"}),
    ("pakn.transfer_days", {"value": "6", "effective_from": "2001-01-01"}),  # in the past
    ("pakn.transfer_days", {"value": "6", "effective_from": "not a date"}),
    ("pakn.transfer_days", {"value": ""}),
])
def test_bad_input_answers_400_and_saves_nothing(client, make_user, login, tree, key, data):
    login(client, make_user(Role.SYSTEM_ADMIN))
    response = post(client, key, **data)
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)
    assert stored(key) == []


def test_unit_admin_cannot_set_a_global_value(client, make_user, login, tree):
    _province, commune, _desk, _other = tree
    login(client, make_user(Role.UNIT_ADMIN, unit=commune))
    response = post(client, "pakn.answer_days", value="20", unit_id="0")
    assert response.status_code == 403
    assert stored("pakn.answer_days") == []
    assert len(denials()) == 1


def test_unit_admin_cannot_set_another_units_value(client, make_user, login, tree):
    province, commune, _desk, other = tree
    login(client, make_user(Role.UNIT_ADMIN, unit=commune))
    assert post(client, "pakn.answer_days", value="20", unit_id=str(other.id)).status_code == 404
    # The parent province is visible to nobody here either: it is outside the commune's subtree.
    assert post(client, "pakn.answer_days", value="20",
                unit_id=str(province.id)).status_code == 404
    assert post(client, "pakn.answer_days", value="20", unit_id="99999").status_code == 404
    assert stored("pakn.answer_days") == []
    assert {d.unit_id for d in denials()} == {other.id, province.id}


def test_unit_admin_sets_a_value_for_their_subtree(client, make_user, login, tree):
    _province, commune, desk, other = tree
    login(client, make_user(Role.UNIT_ADMIN, unit=commune))
    response = post(client, "pakn.answer_days", value="10", unit_id=str(commune.id))
    assert response.status_code == 302
    assert stored("pakn.answer_days") == [(commune.id, 10)]
    assert get_setting("pakn.answer_days", unit=desk) == 10  # inherited by the desk
    assert get_setting("pakn.answer_days", unit=other) == 15  # default elsewhere
    # A global-only setting cannot be set for a unit, even one they administer.
    refused = post(client, "sipas.min_cell_size", value="10", unit_id=str(commune.id))
    assert refused.status_code == 400 and stored("sipas.min_cell_size") == []


def test_unit_admin_sees_only_their_units_overrides(client, make_user, login, tree):
    _province, commune, _desk, other = tree
    with client.application.test_request_context():
        set_setting("pakn.answer_days", 11, effective_from=today(), unit=commune)
        set_setting("pakn.answer_days", 22, effective_from=today(), unit=other)
        db.session.commit()  # before the request context ends (its teardown rolls back)
    login(client, make_user(Role.UNIT_ADMIN, unit=commune))
    page = client.get(URL).get_data(as_text=True)
    assert "UBND xã Đình Lập: 11 working days" in page
    assert "Khánh Hòa" not in page
    detail = client.get(f"{URL}/pakn.answer_days").get_data(as_text=True)
    assert "Khánh Hòa" not in detail and "Every unit (global value)" not in detail


def test_staff_without_the_permission_are_refused(client, make_user, login, tree):
    _province, commune, _desk, _other = tree
    login(client, make_user(Role.DESK_STAFF, unit=commune))
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}/pakn.answer_days").status_code == 403
    assert post(client, "pakn.answer_days", value="1", unit_id=str(commune.id)).status_code == 403
    assert stored("pakn.answer_days") == []


def test_unknown_setting_is_404(client, make_user, login, tree):
    login(client, make_user(Role.SYSTEM_ADMIN))
    assert client.get(f"{URL}/no.such.key").status_code == 404
