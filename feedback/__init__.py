"""Feedback (PAKN): intake on every channel, the register, classification, routing,
working-day deadlines, the workflow, answers and approval, notifications and publication.
May import ``core`` only."""


from __future__ import annotations

import importlib
import importlib.util
import pkgutil

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the feedback tables, pages, CLI and demo data with the app."""
    import feedback.models  # noqa: F401  (tables for the ORM and for migrations)
    import feedback.notifications  # noqa: F401
    from core.demo import DEMO_LOADERS
    from feedback import views
    from feedback.demo import load_feedback_demo

    # Every module of feedback.views that defines ``bp`` is a blueprint: one page group, one
    # module, no central list to edit.
    for module_info in pkgutil.iter_modules(views.__path__):
        module = importlib.import_module(f"{views.__name__}.{module_info.name}")
        blueprint = getattr(module, "bp", None)
        if blueprint is not None:
            app.register_blueprint(blueprint)
    _register_api(app)
    cli = importlib.util.find_spec("feedback.cli")
    if cli is not None:
        app.cli.add_command(importlib.import_module("feedback.cli").feedback_cli)
    if load_feedback_demo not in DEMO_LOADERS:
        DEMO_LOADERS.append(load_feedback_demo)


def _register_api(app: Flask) -> None:
    from core.extensions import csrf
    from feedback import api as feedback_api

    api = app.extensions["langnghe_api"]
    for module_info in pkgutil.iter_modules(feedback_api.__path__):
        module = importlib.import_module(f"{feedback_api.__name__}.{module_info.name}")
        blueprint = getattr(module, "blp", None)
        if blueprint is not None:
            csrf.exempt(blueprint)  # API clients use keys, not session cookies
            api.register_blueprint(blueprint)
