"""Horizontal bars for rankings (units by index) and PAKN KPIs; the marks are those of
:mod:`reports.charts.bars`."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from reports.charts.bars import (
    Bar,
    bar_fill,
    describe_bars,
    hover_text,
    legend_items,
    mark_attrs,
    note_text,
    to_marks,
    value_text,
)
from reports.charts.svg import (
    HATCH_STROKE,
    INK,
    MUTED,
    TARGET_STROKE,
    clean,
    data_number,
    domain,
    element,
    empty_chart,
    frame,
    legend,
    new_chart_id,
    patterns,
    target_text,
    text_block,
    tooltip,
    value_axis,
    wrap,
)


def _whisker_h(cy: float, x_low: float, x_high: float, bar_h: float) -> str:
    cap = bar_h / 3
    return element("g", "".join([
        element("line", x1=x_low, y1=cy, x2=x_high, y2=cy, class_="ci"),
        element("line", x1=x_low, y1=cy - cap, x2=x_low, y2=cy + cap, class_="ci-cap"),
        element("line", x1=x_high, y1=cy - cap, x2=x_high, y2=cy + cap, class_="ci-cap"),
    ]), stroke=INK, stroke_width=1.5, class_="whisker")


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
    if max_value is not None and not max_value > 0:
        raise ValueError(f"max_value: must be positive, got {max_value}")
    target = clean(target)
    marks = to_marks(bars, target, higher_is_better)
    if not marks:
        return empty_chart(cid=cid, kind="ranking", title=title)

    width, label_w, right, bar_h = 640.0, 210.0, 74.0, 16.0
    left = label_w + 12
    top = 30.0 if target is not None else 10.0
    plot_w = width - left - right
    low, high, ticks = domain(
        [v for m in marks for v in (m.value, m.low, m.high)] + [target], ceiling=max_value)

    def x(v: float) -> float:
        return left + plot_w * (v - low) / (high - low)

    x0 = x(0.0)
    rows, cursor = [], top
    for mark in marks:
        lines = wrap(mark.bar.label, label_w, 12, 2)
        extra = 1 if mark.bar.n is not None else 0
        row_h = 12.0 + 13.0 * max(len(lines) + extra, 1)
        row_h = max(row_h, 28.0)
        rows.append((mark, lines, cursor, row_h))
        cursor += row_h
    bottom = cursor

    parts = [value_axis(ticks, x, top, bottom, unit, horizontal=True)]
    for mark, lines, row_top, row_h in rows:
        cy = row_top + row_h / 2
        inner = [tooltip(hover_text(mark, unit, decimals, higher_is_better))]
        n_lines = len(lines) + (1 if mark.bar.n is not None else 0)
        first = cy + 4 - 6.5 * (n_lines - 1)
        inner.append(text_block(lines, left - 8, first, line_height=13, class_="axis-label",
                                anchor="end"))
        if mark.bar.n is not None:
            inner.append(element("text", escape(f"n = {mark.bar.n}"), x=left - 8,
                                 y=first + 13 * len(lines), text_anchor="end", font_size=10,
                                 fill=MUTED, class_="n-label"))
        if mark.value is None:
            inner.append(element("rect", x=x0, y=cy - bar_h / 2, width=36, height=bar_h,
                                 fill=f"url(#{cid}-hatch)", stroke=HATCH_STROKE,
                                 stroke_dasharray="3 2", class_="placeholder"))
            inner.append(element("text", escape(note_text(mark)), x=x0 + 42, y=cy + 4,
                                 font_size=11, fill=MUTED, class_="note"))
        else:
            x_v = x(mark.value)
            inner.append(element("rect", x=min(x_v, x0), y=cy - bar_h / 2,
                                 width=abs(x_v - x0), height=bar_h, class_="bar",
                                 **bar_fill(mark, cid)))
            if mark.has_ci:
                inner.append(_whisker_h(cy, x(mark.low), x(mark.high), bar_h))
            text = escape(value_text(mark, unit, decimals, higher_is_better))
            # A negative bar grows towards the labels, so its value is printed on the empty
            # side of the zero line instead.
            at = max(x_v, x(mark.high) if mark.has_ci else x_v) + 5 if mark.value >= 0 \
                else x0 + 5
            inner.append(element("text", text, x=at, y=cy + 4, text_anchor="start",
                                 font_weight="600", fill=INK, stroke="#ffffff", stroke_width=3,
                                 paint_order="stroke", class_="value-label"))
        parts.append(element("g", "".join(inner), **mark_attrs(mark, "bar-mark")))
    parts.append(element("line", x1=x0, y1=top, x2=x0, y2=bottom, stroke=MUTED,
                         class_="axis"))
    if target is not None:
        x_t = x(target)
        parts.append(element("g", "".join([
            element("line", x1=x_t, y1=top - 6, x2=x_t, y2=bottom, stroke=TARGET_STROKE,
                    stroke_width=1.5, stroke_dasharray="6 4", class_="target-line"),
            element("text", escape(target_text(target, unit, decimals)), x=x_t, y=top - 10,
                    text_anchor="middle", font_size=11, font_weight="600",
                    fill=TARGET_STROKE, class_="target-label"),
        ]), class_="target", data_value=data_number(target)))
    legend_svg, legend_h = legend(legend_items(marks, cid, higher_is_better), x=left,
                                  y=bottom + 26, width=plot_w + right)
    height = bottom + 26 + legend_h + 4
    return frame(cid=cid, kind="ranking", width=width, height=height, title=title,
                 desc=desc or describe_bars(marks, target, unit, decimals, higher_is_better),
                 defs=patterns(cid), body="".join(parts) + legend_svg)


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
