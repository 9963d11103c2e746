"""Dashboards, charts, exports, scheduled reports, the improvement plan and the public
transparency pages. May import ``core``, the read helpers of ``surveys`` and ``feedback``, and
``analysis``."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the reports tables, pages, CLI and demo data with the app."""
    import reports.models  # noqa: F401  (tables for the ORM and for migrations)
    import reports.scheduled  # noqa: F401  (the periodic quarterly/yearly report job)
    from core.capabilities import register_capability
    from core.settings import register_settings
    from reports.cli import reports_cli
    from reports.demo import load_reports_demo
    from reports.filters import FilterError
    from reports.formatting import init_formatting
    from reports.page_context import filter_error_page
    from reports.setting_definitions import REPORT_SETTINGS
    from reports.worklists import register_work_lists

    register_settings(REPORT_SETTINGS)
    init_formatting(app)
    app.register_error_handler(FilterError, filter_error_page)

    register_capability(app, "reports", cli=reports_cli, demo_loader=load_reports_demo)
    register_work_lists(app)
