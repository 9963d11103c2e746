"""Security baseline: headers, cookies, CSRF, body limit, error pages, redirects."""

from __future__ import annotations

import pytest
from flask import abort
from sqlalchemy.exc import OperationalError

from core.models import Role


def test_security_headers_on_pages(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert len(response.headers["X-Request-ID"]) == 16
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_when_enabled(make_app):
    response = make_app(HSTS_ENABLED=True).test_client().get("/")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_session_cookie_flags(client, make_user, login):
    user = make_user(Role.HANDLER)
    response = client.post("/dang-nhap", data={"username": user.username,
                                               "password": "correct horse battery staple"})
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_forms_refuse_posts_without_csrf_token(client, make_user):
    client.set_cookie("lang", "en", domain="localhost")
    user = make_user(Role.HANDLER)
    response = client.post("/dang-nhap", data={"username": user.username,
                                               "password": "correct horse battery staple"})
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    # With the token from the form, the same post works.
    page = client.get("/dang-nhap").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    # Over HTTPS Flask-WTF also checks that the Referer is this site.
    response = client.post("/dang-nhap", data={"username": user.username, "csrf_token": token,
                                               "password": "correct horse battery staple"},
                           headers={"Referer": "https://localhost/dang-nhap"})
    assert response.status_code == 302


def test_oversized_body_answers_413_page_and_json(make_app):
    app = make_app(MAX_CONTENT_LENGTH=2000)
    client = app.test_client()
    client.set_cookie("lang", "en", domain="localhost")
    response = client.post("/dang-nhap", data={"username": "x" * 5000, "password": "y"})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    response = client.post("/api/v1/anything", data="x" * 5000,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 413 or response.status_code == 404
    assert response.is_json


def test_api_errors_are_json_with_stable_codes(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response.is_json
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.own_app
@pytest.mark.parametrize("status", [400, 403, 404, 409, 410, 413, 429])
def test_error_pages_in_both_languages(make_app, status):
    app = make_app()

    @app.get("/boom/<int:code>")
    def boom(code):
        abort(code)

    client = app.test_client()
    vietnamese = client.get(f"/boom/{status}")
    assert vietnamese.status_code == status
    assert '<html lang="vi">' in vietnamese.get_data(as_text=True)
    client.set_cookie("lang", "en", domain="localhost")
    english = client.get(f"/boom/{status}")
    assert english.status_code == status
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert english.get_data(as_text=True) != vietnamese.get_data(as_text=True)


@pytest.mark.own_app
def test_unexpected_error_gives_a_500_page_and_keeps_saved_data(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/crash")
    def crash():
        raise RuntimeError("bug")

    response = app.test_client().get("/crash")
    assert response.status_code == 500
    assert "500" in response.get_data(as_text=True)


def test_language_switch_is_not_an_open_redirect(client):
    for target in ("//evil.example/", "https://evil.example/", "javascript:alert(1)"):
        response = client.get("/lang/en", query_string={"next": target})
        assert response.status_code == 302 and response.headers["Location"] == "/"
    response = client.get("/lang/en", query_string={"next": "/don-vi/LS"})
    assert response.headers["Location"] == "/don-vi/LS"
    assert "lang=en" in response.headers["Set-Cookie"]


def test_unknown_language_is_ignored(client):
    response = client.get("/lang/xx")
    assert "Set-Cookie" not in response.headers or "lang=" not in response.headers["Set-Cookie"]


def test_nfc_normalisation_and_control_characters(client, make_user, login):
    from core.extensions import db
    from core.models import Unit

    admin = make_user(Role.SYSTEM_ADMIN)
    login(client, admin)
    decomposed = "Sở Nội vụ".encode().decode()  # precomposed as typed here
    import unicodedata

    nfd = unicodedata.normalize("NFD", decomposed)
    assert nfd != decomposed
    response = client.post("/quan-tri/don-vi/moi", data={
        "code": "SNV", "name_vi": nfd, "kind": "agency", "parent_id": "0", "sort_order": "0"})
    assert response.status_code == 302
    unit = db.session.scalars(db.select(Unit).where(Unit.code == "SNV")).one()
    assert unit.name_vi == unicodedata.normalize("NFC", decomposed)
    response = client.post("/quan-tri/don-vi/moi", data={
        "code": "BAD", "name_vi": "Tên\x00xấu", "kind": "agency", "parent_id": "0"})
    assert response.status_code == 400
    assert db.session.scalars(db.select(Unit).where(Unit.code == "BAD")).first() is None


def test_unit_form_validates_email_without_network(client, make_user, login):
    login(client, make_user(Role.SYSTEM_ADMIN))
    bad = client.post("/quan-tri/don-vi/moi", data={
        "code": "E1", "name_vi": "Đơn vị", "kind": "agency", "parent_id": "0",
        "email": "not-an-email"})
    assert bad.status_code == 400 and "Invalid email address" in bad.get_data(as_text=True)
    good = client.post("/quan-tri/don-vi/moi", data={
        "code": "E2", "name_vi": "Đơn vị", "kind": "agency", "parent_id": "0",
        "email": "motcua@langson.gov.vn"})
    assert good.status_code == 302


@pytest.mark.own_app
def test_lost_database_gives_503_with_retry_after_not_500(make_app):
    """A PostgreSQL restart drops the pool's connections: the request that meets one is told
    to retry shortly (503, Retry-After), on pages in words and in the API as JSON."""
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    lost = OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    @app.get("/db-gone")
    @app.get("/api/v1/db-gone")
    def db_gone():
        raise lost

    page = app.test_client().get("/db-gone")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "5"
    assert "Dịch vụ đang khởi động lại" in page.get_data(as_text=True)
    api = app.test_client().get("/api/v1/db-gone")
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "unavailable"
