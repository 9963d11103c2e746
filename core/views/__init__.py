"""Blueprints of the core package (pages). The JSON API lives in ``core.api``."""

from __future__ import annotations

from flask import Flask

from core.views import admin, auth, health, public


def register_views(app: Flask) -> None:
    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(health.bp)
    admin.register(app)
