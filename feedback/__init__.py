"""Feedback (PAKN): intake on every channel, the register, classification, routing,
working-day deadlines, the workflow, answers and approval, notifications and publication.
May import ``core`` only."""

from __future__ import annotations

from flask import Flask

import feedback.models  # noqa: F401  (its tables, for the ORM and for migrations)
from core.capabilities import register_capability
from core.followups import PAKN_CASE, register_receiver
from feedback.contributes import CONTRIBUTION, connect_hooks
from feedback.followups import RECEIVER
from feedback.worklists import register_work_lists


def init_app(app: Flask) -> None:
    """Register the feedback tables, pages, API, menu, jobs, gauges, CLI, hooks and demo data
    (all listed in feedback/contributes.py) with the app."""
    register_capability(app, CONTRIBUTION)
    connect_hooks()
    register_work_lists(app)
    # What the PAKN sender's rating does to the case (core.followups).
    register_receiver(app, PAKN_CASE, RECEIVER)
