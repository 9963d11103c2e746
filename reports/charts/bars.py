"""Bar charts: vertical bars per SIPAS element, horizontal bars for rankings and KPIs.

Both draw, for each :class:`Bar`, one ``<g class="mark">`` carrying ``data-key`` and
``data-value`` (plus ``data-low``, ``data-high``, ``data-n``), a bar whose length is
proportional to the value on an axis that starts at zero, the interval low..high as a
whisker, the value printed at the bar's end, and for a bar that misses the target the striped
fill and a "▼" before its value. A bar whose value is None (suppressed, or no data) gets no
bar: a small hatched placeholder and its note ("n < 5") instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup, escape

from reports.charts.svg import (
    HATCH_STROKE,
    INK,
    MET_FILL,
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
    patterns,
    swatch_line,
    swatch_rect,
    target_line_h,
    text_block,
    tooltip,
    value_axis,
    values_summary,
    wrap,
)

MISS_STROKE = "#6b2a0a"


@dataclass(frozen=True)
class Bar:
    """One bar: ``value`` None means suppressed or no data (``note`` says why, e.g. "n < 5");
    ``low``/``high`` are its interval; ``key`` identifies it for ``data-key`` (the label
    when absent)."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    n: int | None = None
    note: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class _Mark:
    bar: Bar
    value: float | None
    low: float | None
    high: float | None
    miss: bool

    @property
    def has_ci(self) -> bool:
        return self.low is not None and self.high is not None


def to_marks(bars: Sequence[Bar], target: float | None, higher_is_better: bool) -> list[_Mark]:
    """Check the bars and clean their numbers (NaN counts as missing); shared with
    :mod:`reports.charts.ranking`, like the helpers below."""
    result = []
    for i, bar in enumerate(bars):
        if not isinstance(bar, Bar):
            raise ValueError(f"bars: item {i} is {type(bar).__name__}, not Bar")
        value, low, high = clean(bar.value), clean(bar.low), clean(bar.high)
        if low is not None and high is not None and low > high:
            raise ValueError(f"bars: {bar.label!r} has low {low} above high {high}")
        result.append(_Mark(bar, value, low, high, misses(value, target, higher_is_better)))
    return result


def mark_attrs(mark: _Mark, kind: str) -> dict[str, object]:
    classes = ["mark", kind]
    if mark.miss:
        classes.append("miss")
    if mark.value is None:
        classes.append("suppressed")
    return {
        "class_": " ".join(classes),
        "data_key": mark.bar.key if mark.bar.key is not None else mark.bar.label,
        "data_label": mark.bar.label,
        "data_value": data_number(mark.bar.value),
        "data_low": data_number(mark.bar.low) if mark.low is not None else None,
        "data_high": data_number(mark.bar.high) if mark.high is not None else None,
        "data_n": mark.bar.n,
        "data_miss": "true" if mark.miss else None,
    }


def note_text(mark: _Mark) -> str:
    return mark.bar.note or _("No data")


def hover_text(mark: _Mark, unit: str, decimals: int, higher_is_better: bool) -> str:
    if mark.value is None:
        return f"{mark.bar.label}: {note_text(mark)}"
    text = f"{mark.bar.label}: {format_value(mark.value, unit=unit, decimals=decimals)}"
    if mark.has_ci:
        text += " (" + _("confidence interval %(low)s–%(high)s",
                         low=format_value(mark.low, unit=unit, decimals=decimals),
                         high=format_value(mark.high, unit=unit, decimals=decimals)) + ")"
    if mark.bar.n is not None:
        text += f", n = {mark.bar.n}"
    if mark.miss:
        text += f"; {miss_legend(higher_is_better)}"
    if mark.bar.note:
        text += f"; {mark.bar.note}"
    return text


def describe_bars(marks: list[_Mark], target: float | None, unit: str, decimals: int,
                  higher_is_better: bool) -> str:
    """The chart's <desc>: bar count, target, the bars that miss it and those without data."""
    def fmt(v: float | None) -> str:
        return format_value(v, unit=unit, decimals=decimals)

    missed = [f"{m.bar.label} ({fmt(m.value)})" for m in marks if m.miss]
    empty = [f"{m.bar.label} ({note_text(m)})" for m in marks if m.value is None]
    return values_summary([
        _("Bars: %(count)s.", count=len(marks)),
        _("Target: %(value)s.", value=fmt(target)) if target is not None else "",
        f"{miss_legend(higher_is_better)}: {', '.join(missed)}." if missed else "",
        _("No data: %(items)s.", items=", ".join(empty)) if empty else "",
    ])


def legend_items(marks: list[_Mark], cid: str, higher_is_better: bool) -> list:
    items = []
    if any(m.has_ci for m in marks):
        items.append((swatch_line(INK, width=1.5), _("Confidence interval")))
    if any(m.miss for m in marks):
        items.append((swatch_rect(f"url(#{cid}-miss)", stroke=MISS_STROKE),
                      f"{miss_mark(higher_is_better)} {miss_legend(higher_is_better)}"))
    if any(m.value is None for m in marks):
        items.append((swatch_rect(f"url(#{cid}-hatch)", stroke=HATCH_STROKE, dash="3 2"),
                      _("Suppressed or no data")))
    return items


def value_text(mark: _Mark, unit: str, decimals: int, higher_is_better: bool) -> str:
    text = format_value(mark.value, unit=unit, decimals=decimals)
    return f"{miss_mark(higher_is_better)} {text}" if mark.miss else text


def bar_fill(mark: _Mark, cid: str) -> dict[str, object]:
    if mark.miss:
        return {"fill": f"url(#{cid}-miss)", "stroke": MISS_STROKE, "stroke_width": 1}
    return {"fill": MET_FILL}


def element_bars(bars: Sequence[Bar], *, target: float | None = None, title: str,
                 max_value: float | None = 100.0, unit: str = "%", decimals: int = 1,
                 higher_is_better: bool = True, chart_id: str | None = None,
                 desc: str | None = None) -> Markup:
    """Vertical bars, one per element, in the order given.

    The value axis runs from 0 (or the lowest value, if negative) to ``max_value``, widened
    to the next round tick when a value, an interval end or the target lies above it. A bar
    rises from the zero line by ``plot_height × |value| / (axis_high − axis_low)``; the
    target is a dashed line at the same scale, labelled with its value in the right margin.

    Parameters
    ----------
    bars : sequence of Bar
    target : float, optional
        Bars under it (over it when ``higher_is_better`` is False) are striped and marked ▼.
    title : str
        The chart's accessible name (``<title>``).
    max_value : float or None
        Nominal top of the axis (100 for percentages, 5 for mean scores); None: from data.
    unit, decimals : str, int
        How values are printed (see :func:`format_value`).
    chart_id : str, optional
        Id prefix of the SVG's internal ids; unique per page by default.
    desc : str, optional
        Replaces the generated description (bar count, target, bars that miss it).

    Raises
    ------
    ValueError
        ``bars`` holds something other than Bar, or an interval with low > high;
        ``max_value`` is not positive.
    """
    cid = new_chart_id(chart_id, "bars")
    if max_value is not None and not max_value > 0:
        raise ValueError(f"max_value: must be positive, got {max_value}")
    target = clean(target)
    marks = to_marks(bars, target, higher_is_better)
    if not marks:
        return empty_chart(cid=cid, kind="bars", title=title)

    top, plot_h, left = 26.0, 220.0, 52.0
    right = 78.0 if target is not None else 16.0
    width = max(640.0, left + right + 64.0 * len(marks))
    plot_w = width - left - right
    slot = plot_w / len(marks)
    bar_w = min(slot * 0.62, 80.0)
    low, high, ticks = domain(
        [v for m in marks for v in (m.value, m.low, m.high)] + [target], ceiling=max_value)

    def y(v: float) -> float:
        return top + plot_h * (high - v) / (high - low)

    y0 = y(0.0)
    parts = [value_axis(ticks, y, left, width - right, unit)]
    parts.append(element("line", x1=left, y1=y0, x2=width - right, y2=y0, stroke=MUTED,
                         class_="axis"))

    label_y = top + plot_h + 16
    labels = [wrap(m.bar.label, slot - 6, 11, 3) for m in marks]
    max_lines = max(len(lines) for lines in labels)
    has_n = any(m.bar.n is not None for m in marks)
    for i, mark in enumerate(marks):
        cx = left + slot * (i + 0.5)
        inner = [tooltip(hover_text(mark, unit, decimals, higher_is_better))]
        if mark.value is None:
            box_top = max(top, y0 - 30.0)
            inner.append(element("rect", x=cx - bar_w / 2, y=box_top, width=bar_w,
                                 height=y0 - box_top, fill=f"url(#{cid}-hatch)",
                                 stroke=HATCH_STROKE, stroke_dasharray="3 2",
                                 class_="placeholder"))
            note = wrap(note_text(mark), slot - 4, 11, 2)
            inner.append(text_block(note, cx, box_top - 6 - 13 * (len(note) - 1),
                                    line_height=13, class_="note", font_size=11, fill=MUTED))
        else:
            y_v = y(mark.value)
            inner.append(element("rect", x=cx - bar_w / 2, y=min(y_v, y0), width=bar_w,
                                 height=abs(y0 - y_v), class_="bar", **bar_fill(mark, cid)))
            if mark.has_ci:
                inner.append(_whisker_v(cx, y(mark.low), y(mark.high), bar_w))
            if mark.value >= 0:
                label_at = min(y_v, y(mark.high) if mark.has_ci else y_v) - 5
            else:
                label_at = max(y_v, y(mark.low) if mark.has_ci else y_v) + 14
            inner.append(element("text", escape(value_text(mark, unit, decimals,
                                                            higher_is_better)),
                                 x=cx, y=label_at, text_anchor="middle", font_weight="600",
                                 fill=INK, stroke="#ffffff", stroke_width=3,
                                 paint_order="stroke", class_="value-label"))
        lines = labels[i]
        inner.append(text_block(lines, cx, label_y, line_height=13, class_="axis-label",
                                font_size=11))
        if mark.bar.n is not None:
            inner.append(element("text", escape(f"n = {mark.bar.n}"), x=cx,
                                 y=label_y + 13 * max_lines, text_anchor="middle",
                                 font_size=10, fill=MUTED, class_="n-label"))
        parts.append(element("g", "".join(inner), **mark_attrs(mark, "bar-mark")))

    if target is not None:
        parts.append(target_line_h(target, y(target), left, width - right, unit, decimals))
    legend_svg, legend_h = legend(legend_items(marks, cid, higher_is_better), x=left,
                                  y=label_y + 13 * (max_lines - 1) + (13 if has_n else 0) + 14,
                                  width=plot_w)
    height = label_y + 13 * (max_lines - 1) + (13 if has_n else 0) + 14 + legend_h + 4
    return frame(cid=cid, kind="bars", width=width, height=height, title=title,
                 desc=desc or describe_bars(marks, target, unit, decimals, higher_is_better),
                 defs=patterns(cid), body="".join(parts) + legend_svg)


def _whisker_v(cx: float, y_low: float, y_high: float, bar_w: float) -> str:
    cap = min(bar_w / 4, 8.0)
    return element("g", "".join([
        element("line", x1=cx, y1=y_high, x2=cx, y2=y_low, class_="ci"),
        element("line", x1=cx - cap, y1=y_high, x2=cx + cap, y2=y_high, class_="ci-cap"),
        element("line", x1=cx - cap, y1=y_low, x2=cx + cap, y2=y_low, class_="ci-cap"),
    ]), stroke=INK, stroke_width=1.5, class_="whisker")
