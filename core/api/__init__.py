"""The JSON API under /api/v1, described by the OpenAPI document flask-smorest builds.

Each module of this package that defines ``blp`` (a ``core.api.Blueprint``) is
registered automatically, so a new endpoint group is one new module.
"""

from __future__ import annotations

import importlib
import pkgutil

from flask import Flask

from core.api.auth import ApiErrorSchema, init_api_auth
from core.api.base import Blueprint, LangngheApi
from core.extensions import csrf

__all__ = ["Blueprint", "register_api"]


def register_api(app: Flask) -> LangngheApi:
    api = LangngheApi()
    # Document the error envelope core.errors really sends, not flask-smorest's default.
    api.ERROR_SCHEMA = ApiErrorSchema
    api.init_app(app)
    app.extensions["langnghe_api"] = api
    init_api_auth(app, api)
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        blueprint = getattr(module, "blp", None)
        if blueprint is not None:
            # API clients authenticate with keys, not session cookies: CSRF does not apply.
            csrf.exempt(blueprint)
            api.register_blueprint(blueprint)
    return api
