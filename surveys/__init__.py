"""Surveys: questionnaire versions, campaigns, collection points and their QR codes,
responses and their rollups. May import ``core`` only."""

from __future__ import annotations

from flask import Flask

import surveys.metrics  # noqa: F401  (its counter of stored responses, for /metrics)
import surveys.models  # noqa: F401  (its tables, for the ORM and for migrations)
from core.capabilities import register_capability
from core.followups import register_links
from surveys.contributes import CONTRIBUTION
from surveys.followups import LINKS
from surveys.worklists import register_work_lists


def init_app(app: Flask) -> None:
    """Register the surveys tables, pages, API, menu, jobs, CLI and demo data (all listed in
    surveys/contributes.py) with the app, and the follow-up rating links (core.followups)."""
    register_capability(app, CONTRIBUTION)
    register_work_lists(app)
    register_links(app, LINKS)  # the rating links PAKN answers carry (core.followups)
