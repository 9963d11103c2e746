"""API keys: issuing, authentication over HTTP, the use log, the rate limit, JSON errors."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest

from core.apikeys import authenticate_api_key, issue_api_key, revoke_api_key
from core.clock import now
from core.db import write_intent
from core.exceptions import ServiceError
from core.extensions import db
from core.models import ApiKey, ApiKeyUse, AuditEntry, Role, RoleGrant, User
from core.org import UnitData, create_unit, set_unit_active
from core.passwords import hash_password

KEY_FORMAT = re.compile(r"^ln_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{43})$")  # 32 bytes → 43 chars


@pytest.fixture
def issue(make_user):
    def build(unit, permissions=("units.view",), **fields):
        # A system administrator: a unit administrator may give a key only permissions they
        # hold themselves (tests below), and some of these keys carry feedback.intake.
        admin = make_user(Role.SYSTEM_ADMIN)
        key, plaintext = issue_api_key("Hệ thống một cửa", unit, list(permissions),
                                       actor=admin, **fields)
        db.session.commit()
        return key, plaintext

    return build


def bearer(plaintext: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plaintext}"}


def uses_of(key: ApiKey) -> list[tuple[str, str, int]]:
    db.session.rollback()  # see what the request's own transaction committed
    return [(u.method, u.path, u.status) for u in db.session.scalars(
        db.select(ApiKeyUse).where(ApiKeyUse.api_key_id == key.id).order_by(ApiKeyUse.id))]


def test_only_the_hash_of_the_secret_is_stored(make_unit, issue):
    key, plaintext = issue(make_unit("A"))
    match = KEY_FORMAT.match(plaintext)
    assert match, plaintext
    prefix, secret = match.groups()
    assert key.prefix == prefix
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = db.session.execute(db.text("SELECT * FROM api_keys")).one()
    assert all(secret not in str(value) for value in stored)
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "apikey.issued"))
    assert entry.after["prefix"] == prefix and secret not in str(entry.after)


def test_permissions_must_be_those_a_key_may_carry(app, make_unit, make_user):
    unit = make_unit("A")
    admin = make_user(Role.UNIT_ADMIN, unit=unit)
    with app.test_request_context(), pytest.raises(ServiceError) as refused:
        issue_api_key("x", unit, ["units.view", "users.manage"], actor=admin)
    assert refused.value.status == 400 and "users.manage" in refused.value.message
    with app.test_request_context(), pytest.raises(ServiceError) as empty:
        issue_api_key("x", unit, [], actor=admin)
    assert empty.value.status == 400
    assert db.session.scalar(db.select(db.func.count(ApiKey.id))) == 0


def test_issuer_needs_apikeys_manage_on_the_unit(app, make_unit, make_user):
    unit_a, unit_b = make_unit("A"), make_unit("B")
    admin_a = make_user(Role.UNIT_ADMIN, unit=unit_a)
    officer = make_user(Role.PAKN_OFFICER, unit=unit_b)
    for actor, unit in ((admin_a, unit_b), (officer, unit_b)):
        with app.test_request_context(), pytest.raises(ServiceError) as refused:
            issue_api_key("x", unit, ["units.view"], actor=actor)
        assert refused.value.status == 403


def test_issued_key_works_end_to_end_with_either_header(client, make_unit, issue):
    key, plaintext = issue(make_unit("A"))
    for headers in (bearer(plaintext), {"X-API-Key": plaintext},
                    {"Authorization": f"bearer  {plaintext} "}):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json() == {
            "name": "Hệ thống một cửa", "prefix": key.prefix, "unit_code": "A",
            "unit_name": "Đơn vị A", "permissions": ["units.view"], "expires_at": None}
    assert authenticate_api_key(f"Bearer {plaintext}").id == key.id


@pytest.mark.parametrize("header", [
    {}, {"Authorization": "Bearer"}, {"Authorization": "Basic dXNlcjpwYXNz"},
    {"X-API-Key": "ln_short"}, {"X-API-Key": "ln_abcdefgh_wrongsecret"},
])
def test_missing_or_malformed_key_is_401_json(client, header):
    response = client.get("/api/v1/me", headers=header)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_wrong_secret_for_a_real_prefix_is_refused_and_not_logged(client, make_unit, issue):
    key, plaintext = issue(make_unit("A"))
    forged = plaintext[:-4] + ("aaaa" if not plaintext.endswith("aaaa") else "bbbb")
    assert client.get("/api/v1/me", headers=bearer(forged)).status_code == 401
    # Someone who only knows the prefix must not fill the key's log (or its last use).
    assert uses_of(key) == []
    assert db.session.get(ApiKey, key.id).last_used_at is None


def test_revoked_key_is_refused_and_the_attempt_logged(client, make_unit, issue, make_user):
    unit = make_unit("A")
    key, plaintext = issue(unit)
    assert client.get("/api/v1/me", headers=bearer(plaintext)).status_code == 200
    revoke_api_key(key, reason="leaked in a ticket", actor=make_user(Role.UNIT_ADMIN, unit=unit))
    db.session.commit()
    response = client.get("/api/v1/me", headers=bearer(plaintext))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert "revoked" in response.get_json()["error"]["message"]
    assert uses_of(key) == [("GET", "/api/v1/me", 200), ("GET", "/api/v1/me", 401)]
    assert authenticate_api_key(plaintext) is None
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "apikey.revoked"))
    assert entry.reason == "leaked in a ticket" and entry.object_id == str(key.id)


def test_revoking_twice_is_a_conflict(app, make_unit, issue, make_user):
    unit = make_unit("A")
    key, _plaintext = issue(unit)
    admin = make_user(Role.UNIT_ADMIN, unit=unit)
    revoke_api_key(key, reason="done", actor=admin)
    with app.test_request_context(), pytest.raises(ServiceError) as again:
        revoke_api_key(key, reason="again", actor=admin)
    assert again.value.status == 409


def test_expired_key_is_refused(client, make_unit, issue):
    key, plaintext = issue(make_unit("A"), expires_at=now() + timedelta(days=1))
    assert client.get("/api/v1/me", headers=bearer(plaintext)).status_code == 200
    key.expires_at = now() - timedelta(seconds=1)
    db.session.commit()
    response = client.get("/api/v1/me", headers=bearer(plaintext))
    assert response.status_code == 401 and "expired" in response.get_json()["error"]["message"]
    assert [status for _m, _p, status in uses_of(key)] == [200, 401]


def test_expiry_in_the_past_is_refused_at_issue(app, make_unit, make_user):
    unit = make_unit("A")
    with app.test_request_context(), pytest.raises(ServiceError) as refused:
        issue_api_key("x", unit, ["units.view"], expires_at=now() - timedelta(minutes=1),
                      actor=make_user(Role.UNIT_ADMIN, unit=unit))
    assert refused.value.status == 400 and refused.value.field == "expires_at"


def test_key_of_an_inactive_unit_is_refused(client, make_unit, issue):
    parent = make_unit("P")
    child = make_unit("C", parent=parent)
    _key, plaintext = issue(child)
    set_unit_active(parent, False)  # deactivates the whole subtree
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(plaintext)).status_code == 401


def test_missing_permission_is_403_logged_and_audited(client, make_unit, issue):
    key, plaintext = issue(make_unit("A"), permissions=["feedback.intake"])
    response = client.get("/api/v1/units", headers=bearer(plaintext))
    assert response.status_code == 403
    body = response.get_json()["error"]
    assert body["code"] == "forbidden" and "units.view" in body["message"]
    assert uses_of(key) == [("GET", "/api/v1/units", 403)]
    denied = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "access.denied"))
    assert denied.actor_api_key_id == key.id and denied.reason == "units.view"


def test_every_use_is_logged_without_query_string(client, make_unit, issue):
    unit = make_unit("A")
    key, plaintext = issue(unit)
    make_unit("A1", parent=unit)
    headers = {**bearer(plaintext), "X-Request-ID": "req-0001-abcd"}
    assert client.get("/api/v1/units?kind=agency&token=secret", headers=headers).status_code == 200
    assert client.get("/api/v1/units/NOPE", headers=bearer(plaintext)).status_code == 404
    assert client.get("/api/v1/units?kind=bogus", headers=bearer(plaintext)).status_code == 422
    assert uses_of(key) == [("GET", "/api/v1/units", 200), ("GET", "/api/v1/units/NOPE", 404),
                            ("GET", "/api/v1/units", 422)]
    first = db.session.scalars(db.select(ApiKeyUse).order_by(ApiKeyUse.id)).first()
    assert first.request_id == "req-0001-abcd"
    assert db.session.get(ApiKey, key.id).last_used_at is not None


def test_api_key_does_not_leak_into_the_next_request(client, make_unit, issue):
    # In tests ``g`` outlives a request; a key from one call must not act in the next.
    unit = make_unit("A")
    _key, plaintext = issue(unit)
    assert client.get("/api/v1/me", headers=bearer(plaintext)).status_code == 200
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("method, path, status, code", [
    ("GET", "/api/v1/nope", 404, "not_found"),
    ("POST", "/api/v1/me", 405, "method_not_allowed"),
    ("GET", "/api/v1/units", 401, "unauthorized"),
])
def test_api_errors_are_json_never_html(client, method, path, status, code):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert "<html" not in response.get_data(as_text=True).lower()
    body = response.get_json()["error"]
    assert body["code"] == code and body["status"] == status and body["message"]


def _setup_in(app) -> tuple[str, str, int]:
    """A unit, an admin and two keys, made through ``app``'s own session."""
    with app.app_context(), write_intent():
        unit = create_unit(UnitData(code="RL", name_vi="Đơn vị RL"))
        admin = User(username="rl-admin", full_name="Quản trị", password_hash=hash_password(
            "correct horse battery staple"))
        db.session.add_all([admin, RoleGrant(user=admin, role=Role.UNIT_ADMIN.value,
                                             unit_id=unit.id)])
        db.session.flush()
        first, first_plain = issue_api_key("one", unit, ["units.view"], actor=admin)
        _second, second_plain = issue_api_key("two", unit, ["units.view"], actor=admin)
        db.session.commit()
        first_id = first.id
        db.session.remove()
    return first_plain, second_plain, first_id


def test_rate_limit_per_key_answers_429_json(make_app):
    app = make_app(API_RATE_LIMIT="3 per minute")
    first, second, first_id = _setup_in(app)
    client = app.test_client()
    statuses = [client.get("/api/v1/me", headers=bearer(first)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]  # "3 per minute": the fourth call is refused
    limited = client.get("/api/v1/units", headers=bearer(first))  # one bucket for all endpoints
    assert limited.status_code == 429 and limited.mimetype == "application/json"
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    assert client.get("/api/v1/me", headers=bearer(second)).status_code == 200  # own bucket
    with app.app_context():
        statuses = db.session.scalars(db.select(ApiKeyUse.status).where(
            ApiKeyUse.api_key_id == first_id).order_by(ApiKeyUse.id)).all()
        db.session.remove()
    assert statuses == [200, 200, 200, 429, 429]


def test_a_key_carries_only_permissions_its_creator_holds_on_its_unit(app, make_unit, make_user):
    # Issue 13, defect 3: a unit administrator could mint a key issuing dossier rating tokens
    # (dossiers.write) and taking in PAKN (feedback.intake) for their unit, which they lack.
    parent = make_unit("A")
    desk = make_unit("A1", parent=parent, kind="desk")
    admin = make_user(Role.UNIT_ADMIN, unit=parent)
    for wanted in (["dossiers.write"], ["units.view", "feedback.intake"], ["feedback.view"]):
        with app.test_request_context(), pytest.raises(ServiceError) as refused:
            issue_api_key("Một cửa", parent, wanted, actor=admin)
        assert refused.value.status == 403 and refused.value.field == "permissions"
        assert wanted[-1] in refused.value.message
    assert db.session.scalar(db.select(db.func.count(ApiKey.id))) == 0
    # Held on the desk only (desk staff there): a key for the desk, not for the parent unit.
    db.session.add(RoleGrant(user=admin, role=Role.DESK_STAFF.value, unit_id=desk.id))
    db.session.commit()
    with app.test_request_context():
        key, _plain = issue_api_key("Một cửa", desk, ["dossiers.write", "units.view"],
                                    actor=admin)
        assert key.permissions == ["dossiers.write", "units.view"]
        with pytest.raises(ServiceError) as wider:
            issue_api_key("Một cửa", parent, ["dossiers.write"], actor=admin)
    assert wider.value.status == 403
    # A system administrator holds everything everywhere.
    with app.test_request_context():
        issue_api_key("Cổng", parent, ["dossiers.write", "feedback.intake", "feedback.view"],
                      actor=make_user(Role.SYSTEM_ADMIN))
