"""Dashboards, charts, exports, scheduled reports and the public transparency pages. May import
``core``, the read helpers of ``surveys`` and ``feedback``, and ``analysis``.

Built by the analysis and reports capability (issue #6).
"""
