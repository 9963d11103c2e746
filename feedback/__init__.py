"""Feedback (PAKN): intake on every channel, the register, classification, routing,
working-day deadlines, the workflow, answers and approval, notifications and publication.
May import ``core`` only."""


from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the feedback tables, pages, API, CLI and demo data with the app."""
    import feedback.metrics  # noqa: F401  (its counters and gauges for core.metrics)
    import feedback.models  # noqa: F401  (tables for the ORM and for migrations)
    import feedback.notifications  # noqa: F401  (hooks: messages on intake and transitions)
    from core.capabilities import register_capability
    from feedback.cli import feedback_cli
    from feedback.demo import load_feedback_demo
    from feedback.worklists import register_work_lists

    register_capability(app, "feedback", cli=feedback_cli, demo_loader=load_feedback_demo)
    register_work_lists(app)
