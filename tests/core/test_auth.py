"""Sign-in, throttling, session rotation and timeouts, disabled accounts, passwords."""

from __future__ import annotations

from datetime import timedelta

from core.auth import SESSION_KEY
from core.clock import now
from core.extensions import db
from core.models import AuditEntry, LoginFailure, LoginSession, Role, User
from core.passwords import verify_password
from tests.conftest import PASSWORD


def _signed_in(client) -> bool:
    response = client.get("/quan-tri/")
    return response.status_code == 200


def _post_login(client, username, password):
    return client.post("/dang-nhap", data={"username": username, "password": password})


def test_wrong_password_and_unknown_account_look_the_same(client, make_user):
    make_user(Role.HANDLER, username="real")
    wrong = _post_login(client, "real", "not the password")
    unknown = _post_login(client, "ghost", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    text_wrong = wrong.get_data(as_text=True)
    assert text_wrong == unknown.get_data(as_text=True).replace("ghost", "real")
    assert db.session.scalar(db.select(db.func.count(LoginFailure.id))) == 2


def test_account_throttled_after_five_failures_even_with_the_right_password(client, make_user):
    user = make_user(Role.HANDLER, username="target")
    for _ in range(5):
        assert _post_login(client, "target", "wrong password!").status_code == 401
    assert _post_login(client, "target", PASSWORD).status_code == 429
    assert not _signed_in(client)
    # Case and spaces do not get around it: the key is the normalised account name.
    assert _post_login(client, "  TARGET ", PASSWORD).status_code == 429
    # The window passes: move the failures back in time.
    for failure in db.session.scalars(db.select(LoginFailure)):
        failure.at = now() - timedelta(minutes=16)
    db.session.commit()
    assert _post_login(client, "target", PASSWORD).status_code == 302
    assert user.id is not None


def test_unknown_accounts_are_throttled_the_same_way(client):
    statuses = [_post_login(client, "nobody", "guess number one").status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]


def test_per_address_limit_on_the_login_form(make_app):
    app = make_app(LOGIN_RATE_LIMIT_PER_IP="3 per minute")
    client = app.test_client()
    client.set_cookie("lang", "en", domain="localhost")
    responses = [_post_login(client, f"user{i}", "wrong password!") for i in range(4)]
    assert [r.status_code for r in responses] == [401, 401, 401, 429]
    assert "Too many requests" in responses[-1].get_data(as_text=True)
    assert client.get("/dang-nhap").status_code == 200  # only POSTs count


def test_sign_in_rotates_the_session(client, make_user, login):
    user = make_user(Role.HANDLER)
    with client.session_transaction() as session:
        session["planted"] = "attacker value"
        session[SESSION_KEY] = "attacker-chosen-token"
    login(client, user)
    with client.session_transaction() as session:
        assert "planted" not in session
        token = session[SESSION_KEY]
    assert token != "attacker-chosen-token" and len(token) >= 40
    rows = db.session.scalars(db.select(LoginSession)).all()
    assert len(rows) == 1 and rows[0].user_id == user.id and rows[0].ended_at is None
    # A second sign-in gets a different token.
    login(client, user)
    with client.session_transaction() as session:
        assert session[SESSION_KEY] != token


def test_idle_timeout_ends_the_session(client, make_user, login):
    user = make_user(Role.HANDLER)
    login(client, user)
    assert _signed_in(client)
    row = db.session.scalars(db.select(LoginSession)).one()
    row.last_seen_at = now() - timedelta(minutes=31)
    db.session.commit()
    assert client.get("/quan-tri/").status_code == 302
    db.session.refresh(row)
    assert row.ended_at is not None and row.end_reason == "idle_timeout"


def test_activity_keeps_the_session_alive_until_the_absolute_timeout(client, make_user, login):
    user = make_user(Role.HANDLER)
    login(client, user)
    row = db.session.scalars(db.select(LoginSession)).one()
    row.last_seen_at = now() - timedelta(minutes=20)
    db.session.commit()
    assert _signed_in(client)  # 20 idle minutes < 30: still in, and the visit is recorded
    db.session.refresh(row)
    assert now() - row.last_seen_at < timedelta(minutes=1)
    row.created_at = now() - timedelta(hours=10, minutes=1)
    db.session.commit()
    assert not _signed_in(client)
    db.session.refresh(row)
    assert row.end_reason == "absolute_timeout"


def test_disabled_account_loses_its_sessions_at_once(app, make_user, login, make_unit):
    unit = make_unit("A")
    admin = make_user(Role.SYSTEM_ADMIN, username="boss")
    staff = make_user(Role.HANDLER, unit, username="worker")
    staff_client, admin_client = app.test_client(), app.test_client()
    login(staff_client, staff)
    login(admin_client, admin)
    assert _signed_in(staff_client)
    response = admin_client.post(f"/quan-tri/nguoi-dung/{staff.id}/trang-thai",
                                 data={"active": "0", "reason": "left the agency"})
    assert response.status_code == 302
    assert not _signed_in(staff_client)
    assert _post_login(staff_client, "worker", PASSWORD).status_code == 401
    assert db.session.scalars(db.select(LoginSession).where(
        LoginSession.user_id == staff.id)).one().end_reason == "disabled"
    entry = db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action == "user.disabled")).one()
    assert entry.reason == "left the agency" and entry.actor_user_id == admin.id


def test_sign_out_ends_the_session_server_side(client, make_user, login):
    user = make_user(Role.HANDLER)
    login(client, user)
    stolen = client.get_cookie("ln_session").value
    assert client.post("/dang-xuat").status_code == 302
    assert not _signed_in(client)
    client.set_cookie("ln_session", stolen, domain="localhost")  # replay the old cookie
    assert not _signed_in(client)


def test_password_change_enforces_the_policy(client, make_user, login):
    user = make_user(Role.HANDLER, username="nguyenvana", full_name="Nguyễn Văn An")
    login(client, user)

    def change(new, current=PASSWORD):
        return client.post("/tai-khoan/mat-khau",
                           data={"current": current, "new": new, "confirm": new})

    assert change("short").status_code == 400
    common = change("password1")
    assert common.status_code == 400 and "too common" in common.get_data(as_text=True)
    assert change("nguyenvana-2026").status_code == 400  # contains the account name
    assert change("a long enough phrase", current="wrong").status_code == 400
    # No composition rules: a long lower-case phrase is fine.
    assert change("mùa xuân trên núi cao").status_code == 302
    db.session.refresh(user)
    assert verify_password(user.password_hash, "mùa xuân trên núi cao")


def test_admin_reset_forces_a_change_and_signs_out(app, make_user, login, make_unit):
    unit = make_unit("A")
    admin = make_user(Role.SYSTEM_ADMIN)
    staff = make_user(Role.HANDLER, unit)
    staff_client, other_device, admin_client = (app.test_client(), app.test_client(),
                                                app.test_client())
    login(staff_client, staff)
    login(other_device, staff)
    login(admin_client, admin)
    response = admin_client.post(f"/quan-tri/nguoi-dung/{staff.id}/dat-lai-mat-khau",
                                 data={"r-password": "tạm thời 2026 xyz", "r-reason": "forgot"})
    assert response.status_code == 302
    assert not _signed_in(staff_client) and not _signed_in(other_device)
    db.session.rollback()
    ended = db.session.scalars(db.select(LoginSession.end_reason).where(
        LoginSession.user_id == staff.id)).all()
    assert ended == ["password_reset", "password_reset"]
    login(staff_client, staff, password="tạm thời 2026 xyz")
    response = staff_client.get("/quan-tri/don-vi")
    assert response.status_code == 302 and "/tai-khoan/mat-khau" in response.headers["Location"]
    user = db.session.get(User, staff.id)
    assert user.must_change_password is True


def test_a_password_change_ends_every_other_session_of_the_account(app, make_user, login):
    # Issue 13, defect 4: the sessions on other devices stayed signed in.
    user = make_user(Role.HANDLER, username="doimatkhau")
    here, laptop, phone = app.test_client(), app.test_client(), app.test_client()
    someone_else = app.test_client()
    for client in (here, laptop, phone):
        login(client, user)
    login(someone_else, make_user(Role.HANDLER, username="dongnghiep"))
    response = here.post("/tai-khoan/mat-khau", data={
        "current": PASSWORD, "new": "mùa thu Lạng Sơn 2026", "confirm": "mùa thu Lạng Sơn 2026"})
    assert response.status_code == 302
    assert _signed_in(here)
    assert not _signed_in(laptop) and not _signed_in(phone)
    assert _signed_in(someone_else)
    db.session.rollback()
    reasons = db.session.scalars(db.select(LoginSession.end_reason).where(
        LoginSession.user_id == user.id).order_by(LoginSession.id)).all()
    assert reasons == [None, "password_changed", "password_changed"]
    # A wrong current password changes nothing and signs no one out.
    login(laptop, user, password="mùa thu Lạng Sơn 2026")
    refused = here.post("/tai-khoan/mat-khau", data={
        "current": "wrong", "new": "một mật khẩu khác hẳn", "confirm": "một mật khẩu khác hẳn"})
    assert refused.status_code == 400
    assert _signed_in(laptop)
