"""Admin pages for API keys: issue (shown once), list, usage, revoke; scope of a unit admin."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from core.apikeys import issue_api_key
from core.clock import LOCAL_TZ
from core.extensions import db
from core.models import ApiKey, AuditEntry, Role

KEY = re.compile(r"ln_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}")


@pytest.fixture
def units(make_unit):
    province = make_unit("P", kind="province")
    return {"P": province, "A": make_unit("A", parent=province),
            "B": make_unit("B", parent=province)}


@pytest.fixture
def admin_a(client, units, make_user, login):
    user = make_user(Role.UNIT_ADMIN, unit=units["A"])
    login(client, user)
    return user


def _issue(client, unit, **fields):
    data = {"name": "Một cửa Sở Nội vụ", "unit_id": unit.id, "permissions": ["units.view"],
            **fields}
    return client.post("/quan-tri/khoa-api/moi", data=data)


def _key_count() -> int:
    db.session.rollback()
    return db.session.scalar(db.select(db.func.count(ApiKey.id)))


def test_unit_admin_issues_a_key_that_is_shown_once(client, units, admin_a):
    response = _issue(client, units["A"], permissions=["units.view", "reports.view"],
                      expires_at="2099-01-31")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    plaintexts = set(KEY.findall(page))
    assert len(plaintexts) == 1 and "cannot be shown again" in page
    plaintext = plaintexts.pop()
    assert response.headers["Cache-Control"] == "no-store"
    key = db.session.scalar(db.select(ApiKey))
    assert key.created_by_id == admin_a.id and key.unit_id == units["A"].id
    assert key.permissions == ["reports.view", "units.view"]
    # "Valid until 31/01/2099" means through that day in Vietnam (UTC+7).
    assert key.expires_at == datetime(2099, 1, 31, 23, 59, 59, tzinfo=LOCAL_TZ)
    # Never again: not on the list, not on the key's own page.
    for url in ("/quan-tri/khoa-api", f"/quan-tri/khoa-api/{key.id}"):
        later = client.get(url).get_data(as_text=True)
        assert key.prefix in later and plaintext not in later and not KEY.search(later)
    # And it works.
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert me.get_json()["unit_code"] == "A"


def test_cannot_issue_for_another_unit(client, units, admin_a):
    response = _issue(client, units["B"])
    assert response.status_code == 404  # B is outside A's admin: not even its existence
    assert _key_count() == 0
    denied = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "access.denied"))
    assert denied.actor_user_id == admin_a.id and denied.unit_id == units["B"].id
    form = client.get("/quan-tri/khoa-api/moi").get_data(as_text=True)
    assert f'value="{units["A"].id}"' in form and f'value="{units["B"].id}"' not in form


def test_staff_without_apikeys_manage_get_403(client, units, make_user, login):
    login(client, make_user(Role.PAKN_OFFICER, unit=units["A"]))
    assert client.get("/quan-tri/khoa-api").status_code == 403
    assert _issue(client, units["A"]).status_code == 403
    assert _key_count() == 0


@pytest.mark.parametrize("fields, field_error", [
    ({"permissions": ["units.view", "users.manage"]}, "is not a valid choice"),
    ({"permissions": []}, "Choose at least one permission"),
    ({"name": ""}, "This field is required"),
    ({"expires_at": "2001-01-01"}, "The expiry must be in the future"),
])
def test_bad_issue_form_is_400_and_saves_nothing(client, units, admin_a, fields, field_error):
    response = _issue(client, units["A"], **fields)
    assert response.status_code == 400
    assert field_error in response.get_data(as_text=True)
    assert _key_count() == 0


def test_list_shows_only_keys_in_scope_with_use_counts(client, units, admin_a, make_user):
    key_a, plain_a = issue_api_key("Cổng A", units["A"], ["units.view"], actor=admin_a)
    issue_api_key("Cổng B", units["B"], ["units.view"],
                  actor=make_user(Role.UNIT_ADMIN, unit=units["B"]))
    db.session.commit()
    for _ in range(2):
        client.get("/api/v1/me", headers={"X-API-Key": plain_a})
    page = client.get("/quan-tri/khoa-api").get_data(as_text=True)
    assert "Cổng A" in page and "Cổng B" not in page
    row = page[page.index("Cổng A"):]
    assert "<td>2</td>" in row[:row.index("</tr>")]  # two uses in the last 30 days
    usage = client.get(f"/quan-tri/khoa-api/{key_a.id}").get_data(as_text=True)
    assert usage.count("/api/v1/me") == 2


def test_another_units_key_is_404_and_cannot_be_revoked(client, units, admin_a, make_user):
    key_b, _plain = issue_api_key("Cổng B", units["B"], ["units.view"],
                                  actor=make_user(Role.UNIT_ADMIN, unit=units["B"]))
    db.session.commit()
    assert client.get(f"/quan-tri/khoa-api/{key_b.id}").status_code == 404
    revoke = client.post(f"/quan-tri/khoa-api/{key_b.id}/thu-hoi", data={"reason": "x"})
    assert revoke.status_code == 404
    db.session.rollback()
    assert db.session.get(ApiKey, key_b.id).revoked_at is None
    denied = db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action == "access.denied", AuditEntry.object_type == "api_key")).all()
    assert [entry.object_id for entry in denied] == [str(key_b.id)] * 2
    assert client.get("/quan-tri/khoa-api/999999").status_code == 404


def test_revoke_needs_a_reason_then_the_key_is_refused(client, units, admin_a):
    key, plaintext = issue_api_key("Cổng A", units["A"], ["units.view"], actor=admin_a)
    db.session.commit()
    url = f"/quan-tri/khoa-api/{key.id}/thu-hoi"
    assert client.post(url, data={"reason": ""}).status_code == 400
    response = client.post(url, data={"reason": "Hệ thống cũ ngừng hoạt động"})
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(ApiKey, key.id).revoked_at is not None
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "apikey.revoked"))
    assert entry.reason == "Hệ thống cũ ngừng hoạt động" and entry.actor_user_id == admin_a.id
    assert client.get("/api/v1/me", headers={"X-API-Key": plaintext}).status_code == 401
    page = client.get(f"/quan-tri/khoa-api/{key.id}").get_data(as_text=True)
    assert "revoked" in page and "Revoke the key" not in page


def test_menu_shows_api_keys_to_unit_admins(client, units, admin_a):
    assert 'href="/quan-tri/khoa-api"' in client.get("/quan-tri/").get_data(as_text=True)


def test_unit_admin_cannot_mint_a_key_with_permissions_they_lack(client, units, admin_a):
    # Issue 13, defect 3: through the page, a unit administrator could tick "send dossiers and
    # ask for rating tokens" and "submit citizen feedback" for their own unit.
    form = client.get("/quan-tri/khoa-api/moi").get_data(as_text=True)
    assert 'value="units.view"' in form and 'value="reports.view"' in form
    assert 'value="dossiers.write"' not in form and 'value="feedback.intake"' not in form
    for wanted in (["dossiers.write"], ["units.view", "feedback.intake"]):
        response = _issue(client, units["A"], permissions=wanted)
        assert response.status_code == 400
        assert "is not a valid choice" in response.get_data(as_text=True)
    assert _key_count() == 0
