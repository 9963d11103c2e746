"""/healthz (the process) and /readyz (database, Redis when configured, migrations at head):
200 with a small JSON body, or 503 naming the failed check, never cached."""

from __future__ import annotations

from sqlalchemy import text

from core.extensions import db


def test_healthz_answers_without_a_database_round_trip(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ok_on_a_migrated_database(client, app):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok" and body["checks"]["migrations"] == "ok"
    assert ("redis" in body["checks"]) == bool(app.config.get("REDIS_URL"))
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_fails_when_the_schema_is_behind_the_code(client, app):
    db.session.execute(text("UPDATE alembic_version SET version_num = '0006_response_ratings'"))
    db.session.commit()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failed"] == ["migrations"] and body["checks"]["database"] == "ok"
    assert "0006" not in response.get_data(as_text=True)


def test_readyz_fails_when_redis_is_unreachable(client, app):
    app.config["REDIS_URL"] = "redis://:secret@127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["failed"] == ["redis"]
    page = response.get_data(as_text=True)
    assert "secret" not in page and "127.0.0.1" not in page


def test_readyz_fails_when_the_database_is_unreachable(make_app, tmp_path):
    broken = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/x.sqlite3")
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failed"] == ["database", "migrations"]
    assert "sqlite" not in response.get_data(as_text=True)
