"""Dashboards, charts, exports, scheduled reports, the improvement plan and the public
transparency pages. May import ``core``, the read helpers of ``surveys`` and ``feedback``, and
``analysis``."""

from __future__ import annotations

from flask import Flask

import reports.models  # noqa: F401  (its tables, for the ORM and for migrations)
from core.capabilities import register_capability
from core.settings import register_settings
from reports.contributes import CONTRIBUTION
from reports.filters import FilterError
from reports.formatting import init_formatting
from reports.page_context import filter_error_page
from reports.setting_definitions import REPORT_SETTINGS
from reports.worklists import register_work_lists


def init_app(app: Flask) -> None:
    """Register the reports tables, settings, pages, API, menu, job, CLI and demo data (pages
    to demo: all listed in reports/contributes.py) with the app."""
    register_settings(REPORT_SETTINGS)
    init_formatting(app)
    app.register_error_handler(FilterError, filter_error_page)
    register_capability(app, CONTRIBUTION)
    register_work_lists(app)
