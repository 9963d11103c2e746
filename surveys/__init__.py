"""Surveys: questionnaire versions, campaigns, collection points and their QR codes,
responses and their rollups. May import ``core`` only."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the survey tables, pages, CLI and demo data with the app."""
    import surveys.models  # noqa: F401  (tables for the ORM and for migrations)
    from core.demo import DEMO_LOADERS
    from surveys import views
    from surveys.demo import load_survey_demo

    # Every module of surveys.views that defines ``bp`` is a blueprint: one page group, one
    # module, no central list to edit.
    for module_info in pkgutil.iter_modules(views.__path__):
        module = importlib.import_module(f"{views.__name__}.{module_info.name}")
        blueprint = getattr(module, "bp", None)
        if blueprint is not None:
            app.register_blueprint(blueprint)
    _register_api(app)
    cli = importlib.util.find_spec("surveys.cli")
    if cli is not None:
        app.cli.add_command(importlib.import_module("surveys.cli").surveys_cli)
    if load_survey_demo not in DEMO_LOADERS:
        DEMO_LOADERS.append(load_survey_demo)


def _register_api(app: Flask) -> None:
    from core.extensions import csrf
    from surveys import api as survey_api

    api = app.extensions["langnghe_api"]
    for module_info in pkgutil.iter_modules(survey_api.__path__):
        module = importlib.import_module(f"{survey_api.__name__}.{module_info.name}")
        blueprint = getattr(module, "blp", None)
        if blueprint is not None:
            csrf.exempt(blueprint)  # API clients use keys, not session cookies
            api.register_blueprint(blueprint)
