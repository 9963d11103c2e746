"""Config precedence: defaults → instance/config.py → LANGNGHE_* env → test_config."""

from __future__ import annotations

import pytest

from core import create_app
from core.config import normalise_database_url
from core.extensions import limiter


def _build(tmp_path, monkeypatch, instance_text=None, env=None, test_config=None):
    instance = tmp_path / "instance"
    instance.mkdir()
    if instance_text is not None:
        (instance / "config.py").write_text(instance_text)
    monkeypatch.setenv("LANGNGHE_INSTANCE_PATH", str(instance))
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    return create_app(test_config)


def test_each_layer_overrides_the_one_before(tmp_path, monkeypatch):
    app = _build(tmp_path, monkeypatch,
                 instance_text="SECRET_KEY = 'from-instance'\nAPI_RATE_LIMIT = 'instance'\n"
                               "PASSWORD_MIN_LENGTH = 10\n",
                 env={"LANGNGHE_API_RATE_LIMIT": "env", "LANGNGHE_SESSION_COOKIE_SECURE": "false"},
                 test_config={"PASSWORD_MIN_LENGTH": 12})
    assert app.config["SECRET_KEY"] == "from-instance"      # instance over default
    assert app.config["API_RATE_LIMIT"] == "env"            # env over instance
    assert app.config["SESSION_COOKIE_SECURE"] is False     # env values are parsed as JSON
    assert app.config["PASSWORD_MIN_LENGTH"] == 12          # test_config over everything
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True    # untouched default
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        f"sqlite:///{tmp_path / 'instance' / 'langnghe.sqlite3'}")


def test_conventional_variables(tmp_path, monkeypatch):
    app = _build(tmp_path, monkeypatch, env={
        "SECRET_KEY": "s", "DATABASE_URL": "postgres://u@db/x", "REDIS_URL": "redis://r:6379/1"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/x"
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://r:6379/1"


def test_missing_secret_key_stops_start_up(tmp_path, monkeypatch):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        _build(tmp_path, monkeypatch)


@pytest.mark.parametrize(("given", "expected"), [
    ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
    ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
    ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_database_url_normalisation(given, expected):
    assert normalise_database_url(given) == expected


def test_an_app_with_limits_off_leaves_the_next_app_limited(make_app):
    """Flask-Limiter's one Limiter keeps the last app's setting when a config lacks the key;
    the defaults state it, so an app built with limits off (a test, a bench) never switches
    them off for the next one."""
    make_app(RATELIMIT_ENABLED=False)
    assert limiter.enabled is False
    make_app()
    assert limiter.enabled is True
