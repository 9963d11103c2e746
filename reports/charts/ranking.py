"""Horizontal bars for rankings (units by index) and PAKN KPIs; the marks are those of
:mod:`reports.charts.bars`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from reports.charts.bars import (
    Bar,
    Drawing,
    _Mark,
    bar_fill,
    describe_bars,
    legend_items,
    mark_attrs,
    mark_values,
    note_text,
    to_marks,
    value_label,
)
from reports.charts.svg import (
    HATCH_STROKE,
    INK,
    MUTED,
    Scale,
    check_max_value,
    clean,
    element,
    empty_chart,
    frame,
    legend_below,
    new_chart_id,
    patterns,
    target_line_v,
    text_block,
    value_axis,
    value_scale,
    wrap,
)

WIDTH, LABEL_W, RIGHT, BAR_H = 640.0, 210.0, 74.0, 16.0
LEFT = LABEL_W + 12
PLOT_W = WIDTH - LEFT - RIGHT


def _whisker_h(cy: float, x_low: float, x_high: float, bar_h: float) -> str:
    cap = bar_h / 3
    return element("g", "".join([
        element("line", x1=x_low, y1=cy, x2=x_high, y2=cy, class_="ci"),
        element("line", x1=x_low, y1=cy - cap, x2=x_low, y2=cy + cap, class_="ci-cap"),
        element("line", x1=x_high, y1=cy - cap, x2=x_high, y2=cy + cap, class_="ci-cap"),
    ]), stroke=INK, stroke_width=1.5, class_="whisker")


@dataclass(frozen=True)
class _Row:
    mark: _Mark
    lines: list[str]
    top: float
    height: float

    @property
    def cy(self) -> float:
        return self.top + self.height / 2


@dataclass(frozen=True)
class _Rows:
    """Layout of :func:`ranking_bars`: rows stacked from ``top``, as tall as their labels."""

    top: float
    rows: list[_Row]
    bottom: float
    x: Scale

    @property
    def x0(self) -> float:
        return self.x(0.0)


def _ranking_layout(marks: list[_Mark], target: float | None,
                    max_value: float | None) -> _Rows:
    # The target's label sits above the first row.
    top = 30.0 if target is not None else 10.0
    rows, cursor = [], top
    for mark in marks:
        lines = wrap(mark.bar.label, LABEL_W, 12, 2)
        extra = 1 if mark.bar.n is not None else 0
        row_h = max(12.0 + 13.0 * max(len(lines) + extra, 1), 28.0)
        rows.append(_Row(mark, lines, cursor, row_h))
        cursor += row_h
    x = value_scale(mark_values(marks, target), max_value, start=LEFT, length=PLOT_W,
                    vertical=False)
    return _Rows(top, rows, cursor, x)


def ranking_bars(bars: Sequence[Bar], *, target: float | None = None, title: str,
                 max_value: float | None = 100.0, unit: str = "%", decimals: int = 1,
                 higher_is_better: bool = True, chart_id: str | None = None,
                 desc: str | None = None) -> Markup:
    """Horizontal bars, one row per item, in the order given (sort before calling).

    A bar runs from the zero line for ``plot_width × |value| / (axis_high − axis_low)`` on the
    axis described in :func:`element_bars`; the target is a vertical dashed line labelled
    above the rows. Labels sit left of the bars (two lines at most, then "…"; the full label
    is in the row's tooltip), with ``n`` under them when given. Parameters and errors as in
    :func:`element_bars`.
    """
    cid = new_chart_id(chart_id, "ranking")
    check_max_value(max_value)
    target = clean(target)
    marks = to_marks(bars, target, higher_is_better)
    if not marks:
        return empty_chart(cid=cid, kind="ranking", title=title)
    layout = _ranking_layout(marks, target, max_value)
    drawing = Drawing(cid, unit, decimals, higher_is_better)
    parts = [value_axis(layout.x.ticks, layout.x, layout.top, layout.bottom, unit,
                        horizontal=True)]
    parts += [_ranking_row(row, layout, drawing) for row in layout.rows]
    parts.append(element("line", x1=layout.x0, y1=layout.top, x2=layout.x0, y2=layout.bottom,
                         stroke=MUTED, class_="axis"))
    if target is not None:
        parts.append(target_line_v(target, layout.x(target), layout.top, layout.bottom, unit,
                                   decimals))
    legend_svg, height = legend_below(legend_items(marks, cid, higher_is_better), x=LEFT,
                                      y=layout.bottom + 26, width=PLOT_W + RIGHT)
    return frame(cid=cid, kind="ranking", width=WIDTH, height=height, title=title,
                 desc=desc or describe_bars(marks, target, unit, decimals, higher_is_better),
                 defs=patterns(cid), body="".join(parts) + legend_svg)


def _ranking_row(row: _Row, layout: _Rows, drawing: Drawing) -> str:
    """One row's mark: its labels, then the bar (or its placeholder) and its hover text."""
    mark = row.mark
    inner = [drawing.hover(mark)] + _row_labels(mark, row.lines, row.cy)
    if mark.value is None:
        inner += _row_placeholder(mark, row.cy, layout.x0, drawing.cid)
    else:
        inner += _row_bar(mark, row.cy, layout, drawing)
    return element("g", "".join(inner), **mark_attrs(mark, "bar-mark"))


def _row_labels(mark: _Mark, lines: list[str], cy: float) -> list[str]:
    """The label right-aligned before the zero line, centred on the row with ``n`` under it."""
    n_lines = len(lines) + (1 if mark.bar.n is not None else 0)
    first = cy + 4 - 6.5 * (n_lines - 1)
    parts = [text_block(lines, LEFT - 8, first, line_height=13, class_="axis-label",
                        anchor="end")]
    if mark.bar.n is not None:
        parts.append(element("text", escape(f"n = {mark.bar.n}"), x=LEFT - 8,
                             y=first + 13 * len(lines), text_anchor="end", font_size=10,
                             fill=MUTED, class_="n-label"))
    return parts


def _row_placeholder(mark: _Mark, cy: float, x0: float, cid: str) -> list[str]:
    return [element("rect", x=x0, y=cy - BAR_H / 2, width=36, height=BAR_H,
                    fill=f"url(#{cid}-hatch)", stroke=HATCH_STROKE, stroke_dasharray="3 2",
                    class_="placeholder"),
            element("text", escape(note_text(mark)), x=x0 + 42, y=cy + 4, font_size=11,
                    fill=MUTED, class_="note")]


def _row_bar(mark: _Mark, cy: float, layout: _Rows, drawing: Drawing) -> list[str]:
    x, x0 = layout.x, layout.x0
    x_v = x(mark.value)
    parts = [element("rect", x=min(x_v, x0), y=cy - BAR_H / 2, width=abs(x_v - x0),
                     height=BAR_H, class_="bar", **bar_fill(mark, drawing.cid))]
    if mark.has_ci:
        parts.append(_whisker_h(cy, x(mark.low), x(mark.high), BAR_H))
    # A negative bar grows towards the labels, so its value is printed on the empty side of
    # the zero line instead.
    at = max(x_v, x(mark.high) if mark.has_ci else x_v) + 5 if mark.value >= 0 else x0 + 5
    parts.append(value_label(drawing.value(mark), at, cy + 4, "start"))
    return parts


def kpi_bars(bars: Sequence[Bar], *, target: float | None = None, title: str,
             unit: str = "", decimals: int = 1, max_value: float | None = None,
             higher_is_better: bool = True, chart_id: str | None = None,
             desc: str | None = None) -> Markup:
    """:func:`ranking_bars` for indicators that are not percentages: the axis fits the data
    unless ``max_value`` is given, and ``higher_is_better=False`` marks values over the
    target (e.g. median days to answer against a limit) with ▲."""
    return ranking_bars(bars, target=target, title=title, max_value=max_value, unit=unit,
                        decimals=decimals, higher_is_better=higher_is_better,
                        chart_id=chart_id or new_chart_id(None, "kpi"), desc=desc)
