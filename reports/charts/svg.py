"""SVG building blocks shared by every chart: escaping, number formatting, text wrapping,
fill patterns, axes, legends and the accessible ``<svg>`` frame.

Everything here returns plain ``str`` fragments whose text has already been escaped with
markupsafe; only :func:`frame` wraps the finished drawing in ``Markup``. No ``style``
attribute and no ``<style>`` element is ever written: the Content-Security-Policy forbids
inline styles, so colours are SVG presentation attributes and the rest is in
``static/css/reports.css``.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

FONT_FAMILY = 'system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif'
# Average advance of a character in a sans-serif face, in em. Used only to decide where to wrap a
# label and whether a share label fits inside its segment; a slight overestimate errs safe.
CHAR_EM = 0.58
INK = "#1b1f24"
MUTED = "#4a5360"
GRID = "#dde1e6"
MET_FILL = "#1f5fa8"
MISS_FILL = "#b3541e"
TARGET_STROKE = "#9b0016"
HATCH_STROKE = "#8a94a3"
MISS_MARK = "\u25bc"  # ▼: under a higher-is-better target
OVER_MARK = "\u25b2"  # ▲: over a lower-is-better target
EMPTY_CELL = "\u2013"  # –

_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_counter = itertools.count(1)


def new_chart_id(given: str | None, kind: str) -> str:
    """Return the id prefix for one chart; every id inside the SVG starts with it, so two
    charts on one page never share a pattern or a title id."""
    if given is None:
        return f"chart-{kind}-{next(_counter)}"
    if not _ID_RE.match(given):
        raise ValueError(f"chart_id: {given!r} is not a valid id (letter, then letters, "
                         "digits, '-' or '_', at most 64)")
    return given


def clean(value: float | int | None) -> float | None:
    """The value as a float, or None for missing, NaN and infinite values (an empty group
    arrives from ``analysis`` as NaN and is drawn as "no data", never as zero)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def data_number(value: float | int | None) -> str:
    """The exact value for ``data-value``: ``repr`` with at most 6 decimals, "" when missing."""
    number = clean(value)
    if number is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return repr(value)
    return repr(round(number, 6))


def coord(x: float) -> str:
    """A coordinate with two decimals (a hundredth of a viewBox unit is far below a pixel)."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def current_locale() -> str:
    """The request's locale, or English outside a request (tests, CLI)."""
    locale = get_locale()
    return str(locale) if locale else "en"


def format_value(value: float | int | None, *, unit: str = "%", decimals: int = 1) -> str:
    """Format a value as the charts print it: locale decimal mark (``85,3%`` in Vietnamese),
    ``decimals`` digits, then ``unit``; "–" when missing. Tables beside a chart should use
    this so both show the same figure."""
    number = clean(value)
    if number is None:
        return EMPTY_CELL
    if decimals < 0:
        raise ValueError(f"decimals: must be >= 0, got {decimals}")
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(number, format=pattern, locale=current_locale()) + unit


def tick_unit(unit: str) -> str:
    """The unit as printed on axis ticks: a symbol such as "%" is kept, a word (" ngày") is
    left to the value labels, so the axis does not repeat it at every tick."""
    return unit if len(unit.strip()) <= 1 else ""


def attrs(**values: object) -> str:
    """Render keyword arguments as escaped XML attributes; ``None`` is left out, a trailing
    ``_`` is dropped (``class_``) and ``_`` becomes ``-`` (``data_key``, ``stroke_width``)."""
    parts = []
    for name, value in values.items():
        if value is None:
            continue
        name = name.rstrip("_").replace("_", "-")
        if isinstance(value, float):
            value = coord(value)
        parts.append(f' {name}="{escape(str(value))}"')
    return "".join(parts)


def element(name: str, content: str = "", **values: object) -> str:
    """One element; ``content`` must already be escaped markup."""
    if content:
        return f"<{name}{attrs(**values)}>{content}</{name}>"
    return f"<{name}{attrs(**values)}/>"


def tooltip(text: str) -> str:
    """A ``<title>`` child: the browser shows it on hover."""
    return f"<title>{escape(text)}</title>"


def text_width(text: str, font_size: float) -> float:
    """Estimated width of ``text`` in viewBox units."""
    return len(text) * font_size * CHAR_EM


def wrap(text: str, width: float, font_size: float, max_lines: int) -> list[str]:
    """Greedy word wrap into at most ``max_lines`` lines of ``width`` units; a word longer
    than a line is cut, and a label that does not fit ends with "…" (the full label stays in
    the mark's tooltip and in the table beside the chart)."""
    limit = max(3, int(width / (font_size * CHAR_EM)))
    lines: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > limit:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:limit])
            word = word[limit:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= limit:
            current = f"{current} {word}"
        else:
            lines.append(current)
            current = word
    if current or not lines:
        lines.append(current)
    if len(lines) > max_lines:
        kept = lines[:max_lines]
        kept[-1] = kept[-1][: limit - 1].rstrip() + "\u2026"
        return kept
    return lines


def text_block(lines: Sequence[str], x: float, y: float, *, line_height: float,
               class_: str, anchor: str = "middle", font_size: float | None = None,
               fill: str = INK, **extra: object) -> str:
    """A ``<text>`` of one ``<tspan>`` per line; ``y`` is the first line's baseline."""
    spans = "".join(
        element("tspan", escape(line), x=x, dy=None if i == 0 else line_height)
        for i, line in enumerate(lines))
    return element("text", spans, x=x, y=y, class_=class_, text_anchor=anchor,
                   font_size=font_size, fill=fill, **extra)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering ``low``..``high`` (steps of 1, 2, 2.5 or 5 × 10^k); the
    first and last ticks become the axis ends, so bars stay proportional to their values."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * 0.999999)
    first = math.floor(low / step + 1e-9) * step
    last = math.ceil(high / step - 1e-9) * step
    steps = round((last - first) / step)
    return [first + i * step for i in range(steps + 1)]


def domain(values: Iterable[float | None], *, floor: float = 0.0,
           ceiling: float | None = None) -> tuple[float, float, list[float]]:
    """Axis range and ticks: from ``min(floor, values)`` to at least ``ceiling``, widened to
    hold every value (a figure above the nominal maximum is drawn, never clipped)."""
    finite = [v for v in values if v is not None]
    low = min([floor, *finite])
    high = max([*finite, *([ceiling] if ceiling is not None else [])], default=low + 1.0)
    ticks = nice_ticks(low, high)
    return ticks[0], ticks[-1], ticks


def check_max_value(max_value: float | None) -> None:
    if max_value is not None and not max_value > 0:
        raise ValueError(f"max_value: must be positive, got {max_value}")


@dataclass(frozen=True)
class Scale:
    """A linear value axis: ``low``..``high`` (with its ``ticks``) drawn over ``length`` units
    from ``start``. A vertical axis puts ``high`` at ``start``, since SVG's y grows downwards."""

    low: float
    high: float
    ticks: list[float]
    start: float
    length: float
    vertical: bool

    def __call__(self, v: float) -> float:
        if self.vertical:
            return self.start + self.length * (self.high - v) / (self.high - self.low)
        return self.start + self.length * (v - self.low) / (self.high - self.low)


def value_scale(values: Iterable[float | None], ceiling: float | None, *, start: float,
                length: float, vertical: bool) -> Scale:
    """The axis that holds every value, from zero (or below) to at least ``ceiling``."""
    low, high, ticks = domain(values, ceiling=ceiling)
    return Scale(low, high, ticks, start, length, vertical)


def value_axis(ticks: Sequence[float], scale, start: float, end: float, unit: str, *,
               horizontal: bool = False) -> str:
    """Grid lines and tick labels of the value axis. ``scale`` maps a value to its
    coordinate; the grid runs from ``start`` to ``end`` across the plot. Ticks are printed
    without decimals when they are all whole numbers."""
    decimals = 0 if all(float(t).is_integer() for t in ticks) else 1
    parts = []
    for t in ticks:
        text = escape(format_value(t, unit=tick_unit(unit), decimals=decimals))
        at = scale(t)
        if horizontal:
            parts.append(element("line", x1=at, y1=start, x2=at, y2=end, stroke=GRID,
                                 class_="grid"))
            parts.append(element("text", text, x=at, y=end + 14, text_anchor="middle",
                                 font_size=11, fill=MUTED, class_="tick-label"))
        else:
            parts.append(element("line", x1=start, y1=at, x2=end, y2=at, stroke=GRID,
                                 class_="grid"))
            parts.append(element("text", text, x=start - 6, y=at + 4, text_anchor="end",
                                 font_size=11, fill=MUTED, class_="tick-label"))
    return element("g", "".join(parts), class_="value-axis")


def patterns(cid: str) -> str:
    """The two shared fills: ``{cid}-hatch`` (grey diagonal hatching on white: suppressed or no
    data) and ``{cid}-miss`` (white stripes the other way on the miss colour: misses target).
    Hatching keeps the two apart when printed in black and white."""
    hatch = (
        f'<pattern id="{cid}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{HATCH_STROKE}" stroke-width="2"/>'
        "</pattern>")
    miss = (
        f'<pattern id="{cid}-miss" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(-45)"><rect width="6" height="6" fill="{MISS_FILL}"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/>'
        "</pattern>")
    return hatch + miss


def target_text(target: float, unit: str, decimals: int) -> str:
    return _("Target %(value)s", value=format_value(target, unit=unit, decimals=decimals))


def misses(value: float | None, target: float | None, higher_is_better: bool) -> bool:
    """Whether ``value`` falls short of ``target`` (under it, or over it when lower is
    better). A missing value or target never counts as a miss."""
    if value is None or target is None:
        return False
    return value < target if higher_is_better else value > target


def miss_mark(higher_is_better: bool) -> str:
    return MISS_MARK if higher_is_better else OVER_MARK


def miss_legend(higher_is_better: bool) -> str:
    return _("Below target") if higher_is_better else _("Above target")


def legend(items: Sequence[tuple[str, str]], *, x: float, y: float, width: float,
           font_size: float = 11.0) -> tuple[str, float]:
    """Lay legend items out left to right, wrapping to a new row when ``width`` is used up.
    Each item is (swatch markup drawn in a 14×14 box at the origin, label). Returns the
    markup and the height used."""
    if not items:
        return "", 0.0
    row_h = 18.0
    cx, cy = x, y
    parts = []
    for swatch, label in items:
        item_w = 14 + 6 + text_width(label, font_size) + 16
        if cx > x and cx + item_w > x + width:
            cx, cy = x, cy + row_h
        parts.append(
            f'<g class="legend-item" transform="translate({coord(cx)},{coord(cy)})">'
            f"{swatch}"
            + element("text", escape(label), x=20, y=11, font_size=font_size, fill=INK)
            + "</g>")
        cx += item_w
    return f'<g class="legend">{"".join(parts)}</g>', cy - y + row_h


def legend_below(items: Sequence[tuple[str, str]], *, x: float, y: float,
                 width: float) -> tuple[str, float]:
    """The legend at ``y`` under the plot, and the chart height that holds it."""
    markup, used = legend(items, x=x, y=y, width=width)
    return markup, y + used + 4


def swatch_rect(fill: str, *, stroke: str = INK, dash: str | None = None) -> str:
    return element("rect", x=0.5, y=0.5, width=13, height=13, fill=fill, stroke=stroke,
                   stroke_width=0.75, stroke_dasharray=dash)


def swatch_line(stroke: str, *, dash: str | None = None, width: float = 2.0) -> str:
    return element("line", x1=0, y1=7, x2=14, y2=7, stroke=stroke, stroke_width=width,
                   stroke_dasharray=dash)


def frame(*, cid: str, kind: str, width: float, height: float, title: str, desc: str,
          defs: str = "", body: str) -> Markup:
    """The accessible outer ``<svg>``: scales to its container (viewBox, width 100%), is
    announced as one image with its title and description, and carries no inline style."""
    head = (
        element("title", escape(title), id=f"{cid}-title")
        + element("desc", escape(desc), id=f"{cid}-desc"))
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg"'
        + attrs(id=cid, class_=f"chart chart-{kind}", viewBox=f"0 0 {coord(width)} "
                f"{coord(height)}", width="100%", preserveAspectRatio="xMidYMin meet",
                role="img", aria_labelledby=f"{cid}-title {cid}-desc", focusable="false",
                font_family=FONT_FAMILY, font_size=12)
        + ">" + head + (f"<defs>{defs}</defs>" if defs else "") + body + "</svg>")
    # Every piece of text above went through escape(); the markup is ours.
    return Markup(svg)


def empty_chart(*, cid: str, kind: str, title: str, message: str | None = None) -> Markup:
    """What every chart draws when it has nothing to show: a framed "No data" message, so a
    dashboard never fails because a filter matched nothing."""
    text = message or _("No data")
    body = (
        element("rect", x=1, y=1, width=638, height=78, fill="#ffffff", stroke=GRID,
                class_="empty-frame", rx=4)
        + element("text", escape(text), x=320, y=45, text_anchor="middle",
                  class_="empty-message", fill=MUTED, font_size=14))
    return frame(cid=cid, kind=f"{kind} chart-empty", width=640, height=80, title=title,
                 desc=text, body=body)


def values_summary(parts: Iterable[str]) -> str:
    """Join the description's sentences."""
    return " ".join(p for p in parts if p)


def target_line_h(target: float, y_t: float, x1: float, x2: float, unit: str,
                  decimals: int) -> str:
    """A horizontal dashed target line labelled in the right margin."""
    lines = wrap(target_text(target, unit, decimals), 70, 11, 2)
    label = text_block(lines, x2 + 6, y_t + 4 - 6.5 * (len(lines) - 1), line_height=13,
                       class_="target-label", anchor="start", font_size=11,
                       fill=TARGET_STROKE, font_weight="600")
    line = element("line", x1=x1, y1=y_t, x2=x2, y2=y_t, stroke=TARGET_STROKE,
                   stroke_width=1.5, stroke_dasharray="6 4", class_="target-line")
    return element("g", line + label, class_="target", data_value=data_number(target))


def target_line_v(target: float, x_t: float, top: float, bottom: float, unit: str,
                  decimals: int) -> str:
    """A vertical dashed target line from just above ``top`` to ``bottom``, labelled above."""
    return element("g", "".join([
        element("line", x1=x_t, y1=top - 6, x2=x_t, y2=bottom, stroke=TARGET_STROKE,
                stroke_width=1.5, stroke_dasharray="6 4", class_="target-line"),
        element("text", escape(target_text(target, unit, decimals)), x=x_t, y=top - 10,
                text_anchor="middle", font_size=11, font_weight="600",
                fill=TARGET_STROKE, class_="target-label"),
    ]), class_="target", data_value=data_number(target))
