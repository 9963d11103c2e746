"""Surveys: questionnaire versions, campaigns, collection points and their QR codes,
responses and their rollups. May import ``core`` only."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the surveys tables, pages, API, CLI and demo data with the app."""
    import surveys.metrics  # noqa: F401  (its counters and gauges for core.metrics)
    import surveys.models  # noqa: F401  (tables for the ORM and for migrations)
    import surveys.month_rollups  # noqa: F401  (the periodic month-rollup refresh)
    from core.capabilities import register_capability
    from surveys.cli import surveys_cli
    from surveys.demo import load_survey_demo
    from surveys.worklists import register_work_lists

    register_capability(app, "surveys", cli=surveys_cli, demo_loader=load_survey_demo)
    register_work_lists(app)
