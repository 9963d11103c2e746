"""The application factory: a short list of steps, each a small function."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from core import config as config_module
from core.api import register_api
from core.auth import load_session_user
from core.cli import core_cli
from core.db import configure_engine
from core.errors import init_error_handlers
from core.extensions import babel, csrf, db, limiter, login_manager, migrate
from core.i18n import select_locale
from core.jobs import jobs_cli
from core.metrics import init_metrics
from core.passwords import PASSWORD_HASH_PROFILES
from core.request_input import init_request_input
from core.request_log import init_request_log
from core.security import init_request_hooks
from core.setting_definitions import CORE_SETTINGS
from core.settings import register_settings
from core.templating import init_templating
from core.views import register_views

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        "core",
        instance_path=os.environ.get("LANGNGHE_INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    load_config(app, test_config)
    init_extensions(app)
    register_settings(CORE_SETTINGS)
    register_blueprints(app)
    register_capabilities(app)
    register_templating(app)
    register_cli(app)
    register_error_handlers(app)
    register_request_hooks(app)
    register_observability(app)
    trust_proxies(app)
    return app


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """defaults → instance/config.py → LANGNGHE_* and conventional env vars → test_config."""
    app.config.from_object(config_module.Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env(config_module.ENV_PREFIX)
    app.config.update(config_module.env_overrides())
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'langnghe.sqlite3'}"
        )
    app.config["SQLALCHEMY_DATABASE_URI"] = config_module.normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A file has no server that could drop an idle connection: the ping before every
        # checkout (a SELECT 1, twice per citizen submission) would buy nothing.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
    if app.config.get("REDIS_URL") and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    if not app.config.get("UPLOAD_FOLDER"):
        app.config["UPLOAD_FOLDER"] = str(Path(app.instance_path) / "uploads")
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError(
            "SECRET_KEY is not set: put it in instance/config.py (make run writes one) "
            "or the LANGNGHE_SECRET_KEY environment variable."
        )
    refuse_unshared_rate_limits(app)
    refuse_weak_password_hashing(app)


def refuse_weak_password_hashing(app: Flask) -> None:
    """CHEAPEST exists for the test suite: a stolen table hashed with it would fall at once."""
    profile = app.config["PASSWORD_HASH_PROFILE"]
    if profile not in PASSWORD_HASH_PROFILES:
        raise RuntimeError(f"PASSWORD_HASH_PROFILE {profile!r} is not one of "
                           f"{', '.join(PASSWORD_HASH_PROFILES)}.")
    if profile == "CHEAPEST" and not app.testing:
        raise RuntimeError("PASSWORD_HASH_PROFILE CHEAPEST is for tests only.")


def refuse_unshared_rate_limits(app: Flask) -> None:
    """In production, several workers must share their rate-limit counters: in memory each
    worker counts apart, which multiplies every limit by the number of workers."""
    if app.testing or app.debug:
        return
    workers = int(app.config["WORKERS"])
    if workers > 1 and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        raise RuntimeError(
            f"{workers} workers (LANGNGHE_WORKERS) would each keep their own rate-limit "
            "counters in memory. Set REDIS_URL (shared limiter storage), or run one worker."
        )


def init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(load_session_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = None  # sessions are server-side rows (core.auth)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=str(
        ROOT / "translations"))
    limiter.init_app(app)


def register_blueprints(app: Flask) -> None:
    register_views(app)
    register_api(app)


def register_capabilities(app: Flask) -> None:
    """Load surveys, feedback, reports… by name, so the core never imports them."""
    for name in app.config["CAPABILITY_PACKAGES"]:
        importlib.import_module(name).init_app(app)


def register_templating(app: Flask) -> None:
    init_templating(app)


def register_cli(app: Flask) -> None:
    app.cli.add_command(core_cli)
    app.cli.add_command(jobs_cli)


def register_error_handlers(app: Flask) -> None:
    init_error_handlers(app)


def register_request_hooks(app: Flask) -> None:
    init_request_input(app)
    init_request_hooks(app)


def register_observability(app: Flask) -> None:
    init_metrics(app)
    init_request_log(app)


def trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXY_HOPS proxies, take the client's address, scheme and host from
    exactly that many X-Forwarded-* entries (counted from the right: entries a client added
    in front are ignored). Rate limits key on this address."""
    hops = int(app.config["TRUSTED_PROXY_HOPS"])
    if hops < 0:
        raise RuntimeError("TRUSTED_PROXY_HOPS must be 0 (no proxy) or more.")
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
