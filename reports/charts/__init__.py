"""Server-rendered SVG charts for the dashboards and public pages.

Each function takes small dataclasses or lists and returns ``markupsafe.Markup`` holding one
``<svg>``: scaled by its viewBox to the container's width, announced as an image with a
``<title>`` and a generated ``<desc>``, readable in black and white (values printed on the
marks, stripes and "▼" for a value that misses its target, hatching for suppressed or missing
values), and free of inline styles (the CSP forbids them; ``static/css/reports.css`` holds the
rest). Every data mark carries ``data-key`` and ``data-value`` so a browser test can compare a
chart with the table beside it. Nothing here raises on empty input: it draws "No data".
"""

from reports.charts.bars import Bar, element_bars
from reports.charts.distribution import stacked_distribution
from reports.charts.heat import heat_map
from reports.charts.ranking import kpi_bars, ranking_bars
from reports.charts.svg import format_value
from reports.charts.trend import Series, trend_lines

__all__ = [
    "Bar",
    "Series",
    "element_bars",
    "format_value",
    "heat_map",
    "kpi_bars",
    "ranking_bars",
    "stacked_distribution",
    "trend_lines",
]
