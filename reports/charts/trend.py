"""Trend lines: one line per series over periods, with point markers of a different shape and
dash per series (told apart in black and white), interval whiskers, gaps where a period has no
value, the target as a dashed line and a legend."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup, escape

from reports.charts.svg import (
    INK,
    MUTED,
    clean,
    data_number,
    domain,
    element,
    empty_chart,
    format_value,
    frame,
    legend,
    miss_legend,
    miss_mark,
    misses,
    new_chart_id,
    swatch_line,
    target_line_h,
    text_block,
    tooltip,
    value_axis,
    values_summary,
    wrap,
)

COLOURS = ("#1f5fa8", "#b3541e", "#2e7d32", "#6a1b9a", "#37474f", "#00838f", "#ad1457")
DASHES = (None, "7 4", "2 3", "10 3 2 3")
MARKERS = ("circle", "square", "triangle", "diamond", "triangle-down", "cross")


@dataclass
class Series:
    """One line: ``points`` are (period label, value, low, high); value None leaves a gap."""

    label: str
    points: list[tuple[str, float | None, float | None, float | None]]


@dataclass(frozen=True)
class _Point:
    period: str
    value: float | None
    low: float | None
    high: float | None
    raw: tuple


def _points(series: Sequence[Series]) -> list[dict[str, _Point]]:
    result = []
    for j, line in enumerate(series):
        if not isinstance(line, Series):
            raise ValueError(f"series: item {j} is {type(line).__name__}, not Series")
        by_period: dict[str, _Point] = {}
        for i, point in enumerate(line.points):
            if not isinstance(point, tuple | list) or len(point) != 4:
                raise ValueError(f"series: point {i} of {line.label!r} is not "
                                 "(period, value, low, high)")
            period, value, low, high = point
            period = str(period)
            if period in by_period:
                raise ValueError(f"series: {line.label!r} has period {period!r} twice")
            low, high = clean(low), clean(high)
            if low is not None and high is not None and low > high:
                raise ValueError(f"series: {line.label!r} {period!r} has low {low} above "
                                 f"high {high}")
            by_period[period] = _Point(period, clean(value), low, high, tuple(point))
        result.append(by_period)
    return result


def marker(shape: str, x: float, y: float, colour: str, size: float = 4.5) -> str:
    """A point marker centred on (x, y)."""
    common = {"fill": colour, "stroke": "#ffffff", "stroke_width": 1, "class_": "marker"}
    s = size
    if shape == "circle":
        return element("circle", cx=x, cy=y, r=s, **common)
    if shape == "square":
        return element("rect", x=x - s, y=y - s, width=2 * s, height=2 * s, **common)
    paths = {
        "triangle": [(0, -1.2), (1.1, 0.9), (-1.1, 0.9)],
        "triangle-down": [(0, 1.2), (1.1, -0.9), (-1.1, -0.9)],
        "diamond": [(0, -1.3), (1.3, 0), (0, 1.3), (-1.3, 0)],
    }
    if shape in paths:
        d = "M" + " L".join(f"{x + dx * s:.2f},{y + dy * s:.2f}" for dx, dy in paths[shape])
        return element("path", d=d + " Z", **common)
    d = f"M{x - s:.2f},{y - s:.2f} L{x + s:.2f},{y + s:.2f} M{x - s:.2f},{y + s:.2f} " \
        f"L{x + s:.2f},{y - s:.2f}"
    return element("path", d=d, fill="none", stroke=colour, stroke_width=2.5, class_="marker")


def _style(j: int) -> tuple[str, str | None, str]:
    return COLOURS[j % len(COLOURS)], DASHES[j % len(DASHES)], MARKERS[j % len(MARKERS)]


def _describe(series: Sequence[Series], points: list[dict[str, _Point]], periods: list[str],
              target: float | None, unit: str, decimals: int) -> str:
    latest = []
    for line, by_period in zip(series, points, strict=True):
        known = [p for p in by_period.values() if p.value is not None]
        if known:
            last = max(known, key=lambda p: periods.index(p.period))
            latest.append(f"{line.label} {last.period}: "
                          f"{format_value(last.value, unit=unit, decimals=decimals)}")
    return values_summary([
        _("Series: %(names)s.", names=", ".join(s.label for s in series)),
        _("Periods: %(first)s to %(last)s.", first=periods[0], last=periods[-1]),
        _("Target: %(value)s.", value=format_value(target, unit=unit, decimals=decimals))
        if target is not None else "",
        _("Latest values: %(items)s.", items="; ".join(latest)) if latest else "",
    ])


def trend_lines(series: Sequence[Series], *, target: float | None = None, title: str,
                max_value: float | None = 100.0, unit: str = "%", decimals: int = 1,
                value_labels: bool | None = None, higher_is_better: bool = True,
                chart_id: str | None = None, desc: str | None = None) -> Markup:
    """Lines over periods (the union of every series' periods, in order of first appearance).

    A point sits at the centre of its period's slot, at height
    ``plot_height × (value − axis_low) / (axis_high − axis_low)`` on the axis of
    :func:`element_bars`; a None value breaks the line. Whiskers (nudged a few units apart
    when several series share a period) span low..high. ``value_labels`` prints each value
    over its point (default: only when there is a single series); a value that misses the
    target is then printed with ▼.

    Raises
    ------
    ValueError
        An item is not a Series, a point is not a 4-tuple, a series repeats a period, an
        interval has low > high, or ``max_value`` is not positive.
    """
    cid = new_chart_id(chart_id, "trend")
    if max_value is not None and not max_value > 0:
        raise ValueError(f"max_value: must be positive, got {max_value}")
    target = clean(target)
    points = _points(series)
    periods = list(dict.fromkeys(p for by_period in points for p in by_period))
    if not periods:
        return empty_chart(cid=cid, kind="trend", title=title)
    if value_labels is None:
        value_labels = len(series) == 1

    top, plot_h, left = 22.0, 220.0, 52.0
    right = 78.0 if target is not None else 16.0
    width = 640.0
    plot_w = width - left - right
    slot = plot_w / len(periods)
    low, high, ticks = domain(
        [v for bp in points for p in bp.values() for v in (p.value, p.low, p.high)]
        + [target], ceiling=max_value)

    def y(v: float) -> float:
        return top + plot_h * (high - v) / (high - low)

    def x(period: str) -> float:
        return left + slot * (periods.index(period) + 0.5)

    parts = [value_axis(ticks, y, left, width - right, unit)]
    parts.append(element("line", x1=left, y1=y(low), x2=width - right, y2=y(low),
                         stroke=MUTED, class_="axis"))
    every = max(1, math.ceil(44 / slot))
    for i, period in enumerate(periods):
        if i % every == 0:
            parts.append(text_block(wrap(period, max(slot * every - 4, 30), 11, 2), x(period),
                                    top + plot_h + 16, line_height=13, class_="axis-label",
                                    font_size=11))
    if target is not None:
        parts.append(target_line_h(target, y(target), left, width - right, unit, decimals))

    legend_items = []
    # Several series at one period are nudged apart so markers and whiskers do not hide each
    # other; the nudge is a small fraction of the slot, so a point stays over its period.
    spacing = min(6.0, slot * 0.08)
    for j, (line, by_period) in enumerate(zip(series, points, strict=True)):
        colour, dash, shape = _style(j)
        dodge = (j - (len(series) - 1) / 2) * spacing

        def xs(period: str, dodge: float = dodge) -> float:
            return x(period) + dodge

        group = [_line_paths(by_period, periods, xs, y, colour, dash)]
        for period in periods:
            point = by_period.get(period)
            if point is None:
                continue
            group.append(_point(line.label, point, xs(period), y, colour, shape, target,
                                value_labels, unit, decimals, higher_is_better))
            if value_labels and point.value is None:
                group.append(element("text", escape(_("No data")), x=xs(period),
                                     y=y(low) - 6, text_anchor="middle", font_size=10,
                                     fill=MUTED, class_="note"))
        parts.append(element("g", "".join(group), class_="series", data_series=line.label,
                             data_marker=shape))
        legend_items.append((swatch_line(colour, dash=dash) + marker(shape, 7, 7, colour, 4),
                             line.label))
    if any(p.low is not None and p.high is not None for bp in points for p in bp.values()):
        legend_items.append((swatch_line(INK, width=1.25), _("Confidence interval")))
    legend_svg, legend_h = legend(legend_items, x=left, y=top + plot_h + 44,
                                  width=width - left - 16)
    height = top + plot_h + 44 + legend_h + 4
    return frame(cid=cid, kind="trend", width=width, height=height, title=title,
                 desc=desc or _describe(series, points, periods, target, unit, decimals),
                 body="".join(parts) + legend_svg)


def _line_paths(by_period: dict[str, _Point], periods: list[str], x, y, colour: str,
                dash: str | None) -> str:
    """One path per run of consecutive periods with a value: a missing value or a period the
    series lacks breaks the line, so a gap is never bridged."""
    runs: list[list[str]] = [[]]
    for period in periods:
        point = by_period.get(period)
        if point is None or point.value is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append(f"{x(period):.2f},{y(point.value):.2f}")
    return "".join(
        element("path", d="M" + " L".join(run), fill="none", stroke=colour, stroke_width=2,
                stroke_dasharray=dash, stroke_linejoin="round", class_="series-line")
        for run in runs if len(run) >= 2)


def _point(label: str, point: _Point, px: float, y, colour: str, shape: str,
           target: float | None, value_labels: bool, unit: str, decimals: int,
           higher_is_better: bool) -> str:
    miss = misses(point.value, target, higher_is_better)
    classes = "point" + (" miss" if miss else "") + (" missing" if point.value is None else "")
    attrs = {"class_": classes, "data_key": point.period, "data_series": label,
             "data_value": data_number(point.raw[1]),
             "data_low": data_number(point.raw[2]) if point.low is not None else None,
             "data_high": data_number(point.raw[3]) if point.high is not None else None,
             "data_miss": "true" if miss else None}
    if point.value is None:
        return element("g", tooltip(f"{label} · {point.period}: {_('No data')}"), **attrs)
    shown = format_value(point.value, unit=unit, decimals=decimals)
    hover = f"{label} · {point.period}: {shown}"
    inner = []
    top_y = y(point.value)
    if point.low is not None and point.high is not None:
        hover += " (" + _("confidence interval %(low)s–%(high)s",
                          low=format_value(point.low, unit=unit, decimals=decimals),
                          high=format_value(point.high, unit=unit, decimals=decimals)) + ")"
        inner.append(element("g", "".join([
            element("line", x1=px, y1=y(point.high), x2=px, y2=y(point.low), class_="ci"),
            element("line", x1=px - 4, y1=y(point.high), x2=px + 4, y2=y(point.high),
                    class_="ci-cap"),
            element("line", x1=px - 4, y1=y(point.low), x2=px + 4, y2=y(point.low),
                    class_="ci-cap"),
        ]), stroke=colour, stroke_width=1.25, class_="whisker"))
        top_y = min(top_y, y(point.high))
    if miss:
        hover += f"; {miss_legend(higher_is_better)}"
    inner.insert(0, tooltip(hover))
    inner.append(marker(shape, px, y(point.value), colour))
    if value_labels:
        text = f"{miss_mark(higher_is_better)} {shown}" if miss else shown
        inner.append(element("text", escape(text), x=px, y=top_y - 7, text_anchor="middle",
                             font_size=11, font_weight="600", fill=INK, stroke="#ffffff",
                             stroke_width=3, paint_order="stroke", class_="value-label"))
    return element("g", "".join(inner), **attrs)
