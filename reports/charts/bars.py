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
    patterns,
    swatch_line,
    swatch_rect,
    target_line_h,
    text_block,
    tooltip,
    value_axis,
    value_scale,
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


@dataclass(frozen=True)
class Drawing:
    """What every mark of one bar chart shares: the id prefix of its fills and how values are
    printed."""

    cid: str
    unit: str
    decimals: int
    higher_is_better: bool

    def hover(self, mark: _Mark) -> str:
        return tooltip(hover_text(mark, self.unit, self.decimals, self.higher_is_better))

    def value(self, mark: _Mark) -> str:
        return value_text(mark, self.unit, self.decimals, self.higher_is_better)


def mark_values(marks: list[_Mark], target: float | None) -> list[float | None]:
    """Every number the value axis must hold: values, interval ends and the target."""
    return [v for m in marks for v in (m.value, m.low, m.high)] + [target]


def value_label(text: str, x: float, y: float, anchor: str) -> str:
    """A bar's printed value, haloed in white so a grid line or whisker never hides it."""
    return element("text", escape(text), x=x, y=y, text_anchor=anchor, font_weight="600",
                   fill=INK, stroke="#ffffff", stroke_width=3, paint_order="stroke",
                   class_="value-label")


COLUMN_TOP, COLUMN_PLOT_H, COLUMN_LEFT = 26.0, 220.0, 52.0


@dataclass(frozen=True)
class _Columns:
    """Layout of :func:`element_bars`: one slot per bar between the margins, labels under."""

    right: float
    width: float
    slot: float
    bar_w: float
    y: Scale
    labels: list[list[str]]
    has_n: bool

    @property
    def plot_w(self) -> float:
        return self.width - COLUMN_LEFT - self.right

    @property
    def y0(self) -> float:
        return self.y(0.0)

    @property
    def label_y(self) -> float:
        return COLUMN_TOP + COLUMN_PLOT_H + 16

    @property
    def max_lines(self) -> int:
        return max(len(lines) for lines in self.labels)

    @property
    def legend_y(self) -> float:
        return self.label_y + 13 * (self.max_lines - 1) + (13 if self.has_n else 0) + 14

    def cx(self, i: int) -> float:
        return COLUMN_LEFT + self.slot * (i + 0.5)


def _column_layout(marks: list[_Mark], target: float | None,
                   max_value: float | None) -> _Columns:
    # The right margin holds the target's label when there is one.
    right = 78.0 if target is not None else 16.0
    width = max(640.0, COLUMN_LEFT + right + 64.0 * len(marks))
    slot = (width - COLUMN_LEFT - right) / len(marks)
    y = value_scale(mark_values(marks, target), max_value, start=COLUMN_TOP,
                    length=COLUMN_PLOT_H, vertical=True)
    return _Columns(right=right, width=width, slot=slot, bar_w=min(slot * 0.62, 80.0), y=y,
                    labels=[wrap(m.bar.label, slot - 6, 11, 3) for m in marks],
                    has_n=any(m.bar.n is not None for m in marks))


def _column_axes(layout: _Columns, unit: str) -> str:
    """Grid, tick labels and the zero line."""
    end = layout.width - layout.right
    return value_axis(layout.y.ticks, layout.y, COLUMN_LEFT, end, unit) + element(
        "line", x1=COLUMN_LEFT, y1=layout.y0, x2=end, y2=layout.y0, stroke=MUTED, class_="axis")


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
    check_max_value(max_value)
    target = clean(target)
    marks = to_marks(bars, target, higher_is_better)
    if not marks:
        return empty_chart(cid=cid, kind="bars", title=title)
    layout = _column_layout(marks, target, max_value)
    drawing = Drawing(cid, unit, decimals, higher_is_better)
    parts = [_column_axes(layout, unit)]
    parts += [_column(mark, i, layout, drawing) for i, mark in enumerate(marks)]
    if target is not None:
        parts.append(target_line_h(target, layout.y(target), COLUMN_LEFT,
                                   layout.width - layout.right, unit, decimals))
    legend_svg, height = legend_below(legend_items(marks, cid, higher_is_better),
                                      x=COLUMN_LEFT, y=layout.legend_y, width=layout.plot_w)
    return frame(cid=cid, kind="bars", width=layout.width, height=height, title=title,
                 desc=desc or describe_bars(marks, target, unit, decimals, higher_is_better),
                 defs=patterns(cid), body="".join(parts) + legend_svg)


def _column(mark: _Mark, i: int, layout: _Columns, drawing: Drawing) -> str:
    """One bar's mark: the bar (or its placeholder), its labels and its hover text."""
    cx = layout.cx(i)
    inner = [drawing.hover(mark)]
    if mark.value is None:
        inner += _column_placeholder(mark, cx, layout, drawing.cid)
    else:
        inner += _column_bar(mark, cx, layout, drawing)
    inner += _column_labels(mark, cx, layout.labels[i], layout)
    return element("g", "".join(inner), **mark_attrs(mark, "bar-mark"))


def _column_placeholder(mark: _Mark, cx: float, layout: _Columns, cid: str) -> list[str]:
    """A short hatched box on the zero line with the note above it, instead of a bar."""
    y0, bar_w = layout.y0, layout.bar_w
    box_top = max(COLUMN_TOP, y0 - 30.0)
    note = wrap(note_text(mark), layout.slot - 4, 11, 2)
    return [element("rect", x=cx - bar_w / 2, y=box_top, width=bar_w, height=y0 - box_top,
                    fill=f"url(#{cid}-hatch)", stroke=HATCH_STROKE, stroke_dasharray="3 2",
                    class_="placeholder"),
            text_block(note, cx, box_top - 6 - 13 * (len(note) - 1), line_height=13,
                       class_="note", font_size=11, fill=MUTED)]


def _column_bar(mark: _Mark, cx: float, layout: _Columns, drawing: Drawing) -> list[str]:
    y, y0, bar_w = layout.y, layout.y0, layout.bar_w
    y_v = y(mark.value)
    parts = [element("rect", x=cx - bar_w / 2, y=min(y_v, y0), width=bar_w,
                     height=abs(y0 - y_v), class_="bar", **bar_fill(mark, drawing.cid))]
    if mark.has_ci:
        parts.append(_whisker_v(cx, y(mark.low), y(mark.high), bar_w))
    parts.append(value_label(drawing.value(mark), cx, _value_label_y(mark, y), "middle"))
    return parts


def _value_label_y(mark: _Mark, y: Scale) -> float:
    """Clear of the bar's end and its whisker: above a positive bar, below a negative one."""
    y_v = y(mark.value)
    if mark.value >= 0:
        return min(y_v, y(mark.high) if mark.has_ci else y_v) - 5
    return max(y_v, y(mark.low) if mark.has_ci else y_v) + 14


def _column_labels(mark: _Mark, cx: float, lines: list[str], layout: _Columns) -> list[str]:
    """The wrapped label under the slot, then ``n`` on one line for every bar."""
    parts = [text_block(lines, cx, layout.label_y, line_height=13, class_="axis-label",
                        font_size=11)]
    if mark.bar.n is not None:
        parts.append(element("text", escape(f"n = {mark.bar.n}"), x=cx,
                             y=layout.label_y + 13 * layout.max_lines, text_anchor="middle",
                             font_size=10, fill=MUTED, class_="n-label"))
    return parts


def _whisker_v(cx: float, y_low: float, y_high: float, bar_w: float) -> str:
    cap = min(bar_w / 4, 8.0)
    return element("g", "".join([
        element("line", x1=cx, y1=y_high, x2=cx, y2=y_low, class_="ci"),
        element("line", x1=cx - cap, y1=y_high, x2=cx + cap, y2=y_high, class_="ci-cap"),
        element("line", x1=cx - cap, y1=y_low, x2=cx + cap, y2=y_low, class_="ci-cap"),
    ]), stroke=INK, stroke_width=1.5, class_="whisker")
