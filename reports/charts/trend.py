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
    Scale,
    check_max_value,
    clean,
    data_number,
    element,
    empty_chart,
    format_value,
    frame,
    legend_below,
    miss_legend,
    miss_mark,
    misses,
    new_chart_id,
    swatch_line,
    target_line_h,
    text_block,
    tooltip,
    value_axis,
    value_scale,
    values_summary,
    wrap,
)

TOP, PLOT_H, LEFT, WIDTH = 22.0, 220.0, 52.0, 640.0
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


@dataclass(frozen=True)
class _Plot:
    """Layout of :func:`trend_lines`: one slot per period across the plot."""

    periods: list[str]
    right: float
    y: Scale

    @property
    def slot(self) -> float:
        return (WIDTH - LEFT - self.right) / len(self.periods)

    @property
    def baseline(self) -> float:
        return self.y(self.y.low)

    def x(self, period: str) -> float:
        return LEFT + self.slot * (self.periods.index(period) + 0.5)


@dataclass(frozen=True)
class _Labels:
    """How points are labelled: the target they are judged by and whether values are printed."""

    target: float | None
    value_labels: bool
    unit: str
    decimals: int
    higher_is_better: bool


def _trend_layout(points: list[dict[str, _Point]], periods: list[str], target: float | None,
                  max_value: float | None) -> _Plot:
    # The right margin holds the target's label when there is one.
    right = 78.0 if target is not None else 16.0
    values = [v for bp in points for p in bp.values() for v in (p.value, p.low, p.high)]
    y = value_scale(values + [target], max_value, start=TOP, length=PLOT_H, vertical=True)
    return _Plot(periods, right, y)


def _trend_axes(plot: _Plot, unit: str) -> str:
    """Grid, tick labels, the baseline and the period labels under it."""
    end = WIDTH - plot.right
    parts = [value_axis(plot.y.ticks, plot.y, LEFT, end, unit),
             element("line", x1=LEFT, y1=plot.baseline, x2=end, y2=plot.baseline,
                     stroke=MUTED, class_="axis")]
    # Only every n-th period is labelled when the slots are narrower than a label.
    every = max(1, math.ceil(44 / plot.slot))
    parts += [text_block(wrap(period, max(plot.slot * every - 4, 30), 11, 2), plot.x(period),
                         TOP + PLOT_H + 16, line_height=13, class_="axis-label", font_size=11)
              for i, period in enumerate(plot.periods) if i % every == 0]
    return "".join(parts)


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
    check_max_value(max_value)
    target = clean(target)
    points = _points(series)
    periods = list(dict.fromkeys(p for by_period in points for p in by_period))
    if not periods:
        return empty_chart(cid=cid, kind="trend", title=title)
    labels = _Labels(target, len(series) == 1 if value_labels is None else value_labels, unit,
                     decimals, higher_is_better)
    plot = _trend_layout(points, periods, target, max_value)
    parts = [_trend_axes(plot, unit)]
    if target is not None:
        parts.append(target_line_h(target, plot.y(target), LEFT, WIDTH - plot.right, unit,
                                   decimals))
    parts += [_series_group(j, len(series), line, by_period, plot, labels)
              for j, (line, by_period) in enumerate(zip(series, points, strict=True))]
    legend_svg, height = legend_below(_trend_legend(series, points), x=LEFT,
                                      y=TOP + PLOT_H + 44, width=WIDTH - LEFT - 16)
    return frame(cid=cid, kind="trend", width=WIDTH, height=height, title=title,
                 desc=desc or _describe(series, points, periods, target, unit, decimals),
                 body="".join(parts) + legend_svg)


def _series_group(j: int, count: int, line: Series, by_period: dict[str, _Point],
                  plot: _Plot, labels: _Labels) -> str:
    """One series: its line runs, then a mark for every period it has."""
    colour, dash, shape = _style(j)
    # Several series at one period are nudged apart so markers and whiskers do not hide each
    # other; the nudge is a small fraction of the slot, so a point stays over its period.
    dodge = (j - (count - 1) / 2) * min(6.0, plot.slot * 0.08)

    def xs(period: str) -> float:
        return plot.x(period) + dodge

    group = [_line_paths(by_period, plot.periods, xs, plot.y, colour, dash)]
    for period in plot.periods:
        if period in by_period:
            group += _period_marks(line.label, by_period[period], xs(period), plot, colour,
                                   shape, labels)
    return element("g", "".join(group), class_="series", data_series=line.label,
                   data_marker=shape)


def _period_marks(label: str, point: _Point, px: float, plot: _Plot, colour: str, shape: str,
                  labels: _Labels) -> list[str]:
    parts = [_point(label, point, px, plot.y, colour, shape, labels)]
    if labels.value_labels and point.value is None:
        parts.append(element("text", escape(_("No data")), x=px, y=plot.baseline - 6,
                             text_anchor="middle", font_size=10, fill=MUTED, class_="note"))
    return parts


def _trend_legend(series: Sequence[Series], points: list[dict[str, _Point]]) -> list:
    """Each series' line and marker, then the interval when any point has one."""
    items = []
    for j, line in enumerate(series):
        colour, dash, shape = _style(j)
        items.append((swatch_line(colour, dash=dash) + marker(shape, 7, 7, colour, 4),
                      line.label))
    if any(p.low is not None and p.high is not None for bp in points for p in bp.values()):
        items.append((swatch_line(INK, width=1.25), _("Confidence interval")))
    return items


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


def _point(label: str, point: _Point, px: float, y: Scale, colour: str, shape: str,
           labels: _Labels) -> str:
    """One period's mark: marker and whisker, or only a tooltip when the value is missing."""
    miss = misses(point.value, labels.target, labels.higher_is_better)
    attrs = _point_attrs(label, point, miss)
    if point.value is None:
        return element("g", tooltip(f"{label} · {point.period}: {_('No data')}"), **attrs)
    shown = format_value(point.value, unit=labels.unit, decimals=labels.decimals)
    has_ci = point.low is not None and point.high is not None
    inner = [tooltip(_point_hover(label, point, shown, miss, labels))]
    if has_ci:
        inner.append(_whisker(px, y(point.low), y(point.high), colour))
    inner.append(marker(shape, px, y(point.value), colour))
    if labels.value_labels:
        top_y = min(y(point.value), y(point.high)) if has_ci else y(point.value)
        text = f"{miss_mark(labels.higher_is_better)} {shown}" if miss else shown
        inner.append(element("text", escape(text), x=px, y=top_y - 7, text_anchor="middle",
                             font_size=11, font_weight="600", fill=INK, stroke="#ffffff",
                             stroke_width=3, paint_order="stroke", class_="value-label"))
    return element("g", "".join(inner), **attrs)


def _point_attrs(label: str, point: _Point, miss: bool) -> dict[str, object]:
    classes = "point" + (" miss" if miss else "") + (" missing" if point.value is None else "")
    return {"class_": classes, "data_key": point.period, "data_series": label,
            "data_value": data_number(point.raw[1]),
            "data_low": data_number(point.raw[2]) if point.low is not None else None,
            "data_high": data_number(point.raw[3]) if point.high is not None else None,
            "data_miss": "true" if miss else None}


def _point_hover(label: str, point: _Point, shown: str, miss: bool, labels: _Labels) -> str:
    hover = f"{label} · {point.period}: {shown}"
    if point.low is not None and point.high is not None:
        hover += " (" + _("confidence interval %(low)s–%(high)s",
                          low=format_value(point.low, unit=labels.unit,
                                           decimals=labels.decimals),
                          high=format_value(point.high, unit=labels.unit,
                                            decimals=labels.decimals)) + ")"
    if miss:
        hover += f"; {miss_legend(labels.higher_is_better)}"
    return hover


def _whisker(px: float, y_low: float, y_high: float, colour: str) -> str:
    return element("g", "".join([
        element("line", x1=px, y1=y_high, x2=px, y2=y_low, class_="ci"),
        element("line", x1=px - 4, y1=y_high, x2=px + 4, y2=y_high, class_="ci-cap"),
        element("line", x1=px - 4, y1=y_low, x2=px + 4, y2=y_low, class_="ci-cap"),
    ]), stroke=colour, stroke_width=1.25, class_="whisker")
