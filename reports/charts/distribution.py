"""100% stacked horizontal bars: how the answers to each item spread over the scale 1..k."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup, escape

from reports.charts.svg import (
    HATCH_STROKE,
    INK,
    MUTED,
    data_number,
    element,
    empty_chart,
    format_value,
    frame,
    legend_below,
    new_chart_id,
    patterns,
    swatch_rect,
    text_block,
    text_width,
    tooltip,
    values_summary,
    wrap,
)

LIGHT = (232, 238, 247)
DARK = (11, 47, 92)
# A texture per level on top of the shade, so neighbouring levels differ in two ways and stay
# apart on a black-and-white printout.
TEXTURES = (None, "dots", "diag", "horiz", "cross", "vert", "diag2")
WIDTH, LABEL_W, RIGHT, BAR_H, TOP = 640.0, 200.0, 64.0, 20.0, 8.0
LEFT = LABEL_W + 12
PLOT_W = WIDTH - LEFT - RIGHT


def level_shade(i: int, k: int) -> str:
    """Shade of level ``i`` (0-based) of ``k``: light for the lowest level, dark for the
    highest, evenly spaced in RGB between the two ends."""
    t = i / (k - 1) if k > 1 else 1.0
    rgb = (round(a + (b - a) * t) for a, b in zip(LIGHT, DARK, strict=True))
    return "#" + "".join(f"{c:02x}" for c in rgb)


def is_dark(i: int, k: int) -> bool:
    return (i / (k - 1) if k > 1 else 1.0) > 0.45


def _level_pattern(cid: str, i: int, k: int) -> str:
    texture = TEXTURES[i % len(TEXTURES)]
    if texture is None:
        return ""
    ink = "#ffffff" if is_dark(i, k) else "#3b4a5c"
    shapes = {
        "dots": '<circle cx="4" cy="4" r="1.3" fill="{ink}" opacity="0.6"/>',
        "diag": '<path d="M-2,2 L2,-2 M0,8 L8,0 M6,10 L10,6" stroke="{ink}" '
                'stroke-width="1.2" opacity="0.6"/>',
        "diag2": '<path d="M-2,6 L2,10 M0,0 L8,8 M6,-2 L10,2" stroke="{ink}" '
                 'stroke-width="1.2" opacity="0.6"/>',
        "horiz": '<path d="M0,4 H8" stroke="{ink}" stroke-width="1.2" opacity="0.6"/>',
        "vert": '<path d="M4,0 V8" stroke="{ink}" stroke-width="1.2" opacity="0.6"/>',
        "cross": '<path d="M0,4 H8 M4,0 V8" stroke="{ink}" stroke-width="1" opacity="0.6"/>',
    }
    return (f'<pattern id="{cid}-lvl{i + 1}" width="8" height="8" '
            f'patternUnits="userSpaceOnUse"><rect width="8" height="8" '
            f'fill="{level_shade(i, k)}"/>{shapes[texture].format(ink=ink)}</pattern>')


def _level_fill(cid: str, i: int, k: int) -> str:
    if TEXTURES[i % len(TEXTURES)] is None:
        return level_shade(i, k)
    return f"url(#{cid}-lvl{i + 1})"


def _checked(rows: Sequence[tuple[str, Sequence[int] | None]], labels: Sequence[str]) -> list:
    if not labels:
        raise ValueError("labels: give the label of every scale level")
    result = []
    for r, row in enumerate(rows):
        if not isinstance(row, tuple | list) or len(row) != 2:
            raise ValueError(f"rows: item {r} is not (label, counts)")
        label, counts = row
        if counts is None:  # hidden: too few answers to show
            result.append((str(label), None))
            continue
        if len(counts) != len(labels):
            raise ValueError(f"rows: {label!r} has {len(counts)} counts for {len(labels)} "
                             "labels")
        clean = []
        for c in counts:
            if not isinstance(c, numbers.Integral) or isinstance(c, bool) or c < 0:
                raise ValueError(f"rows: {label!r} has {c!r}; counts are integers >= 0")
            clean.append(int(c))
        result.append((str(label), clean))
    return result


@dataclass(frozen=True)
class _Levels:
    """What every row of one chart shares: the id prefix of its fills, the scale's level
    labels, the decimals of printed shares and the note of a hidden row."""

    cid: str
    labels: Sequence[str]
    decimals: int
    hidden_note: str | None

    @property
    def k(self) -> int:
        return len(self.labels)


def stacked_distribution(rows: Sequence[tuple[str, Sequence[int] | None]], *,
                         labels: Sequence[str], title: str, keys: Sequence[str] | None = None,
                         decimals: int = 0, chart_id: str | None = None,
                         desc: str | None = None, hidden_note: str | None = None) -> Markup:
    """One 100% bar per row, split into the shares of the answers at each scale level.

    A segment's width is ``plot_width × count / row_total`` (so the segments of a row add up
    to the full width); its share, ``count / row_total``, is printed inside when the segment
    is wide enough. Levels go from light (1) to dark (k), each with its own texture, and the
    legend names them with ``labels``. A row whose total is 0 is hatched and says "No data";
    a hidden row (counts ``None``: too few answers to publish) is hatched and says
    ``hidden_note``, with no count beside it, so it never reads as "nobody answered".

    Parameters
    ----------
    rows : sequence of (label, counts)
        ``counts[i]`` is the number of answers at level ``i + 1``; ``None`` hides the row.
    labels : sequence of str
        The scale's level labels, lowest first.
    keys : sequence of str, optional
        ``data-key`` of each row (the row label when absent).
    decimals : int
        Decimals of the printed shares.

    Raises
    ------
    ValueError
        ``labels`` is empty, a row's counts do not match ``labels``, a count is not a
        non-negative integer, or ``keys`` has the wrong length.
    """
    cid = new_chart_id(chart_id, "distribution")
    checked = _checked(rows, labels)
    if keys is not None and len(keys) != len(checked):
        raise ValueError(f"keys: {len(keys)} keys for {len(checked)} rows")
    if not checked:
        return empty_chart(cid=cid, kind="distribution", title=title)
    levels = _Levels(cid, labels, decimals, hidden_note)
    parts, cursor = [], TOP
    for r, (label, counts) in enumerate(checked):
        row, row_h = _row(levels, label, counts, keys[r] if keys is not None else label, cursor)
        parts.append(row)
        cursor += row_h
    legend_svg, height = legend_below(_legend_items(levels), x=16, y=cursor + 10,
                                      width=WIDTH - 32)
    return frame(cid=cid, kind="distribution", width=WIDTH, height=height, title=title,
                 desc=desc or _describe(checked, labels), defs=_defs(levels),
                 body="".join(parts) + legend_svg)


def _row(levels: _Levels, label: str, counts: list[int] | None, key: str,
         top: float) -> tuple[str, float]:
    """One row at ``top``: its label, the bar (or a placeholder) and ``n``; and its height."""
    lines = wrap(label, LABEL_W, 12, 2)
    row_h = max(32.0, 14.0 + 13.0 * len(lines))
    cy = top + row_h / 2
    total = sum(counts) if counts is not None else None
    inner = [text_block(lines, LEFT - 8, cy + 4 - 6.5 * (len(lines) - 1), line_height=13,
                        class_="axis-label", anchor="end")]
    inner += _bar(levels, label, counts, total, key, cy)
    if total is not None:
        inner.append(element("text", escape(f"n = {total}"), x=WIDTH - RIGHT + 6,
                             y=cy + 4, font_size=10, fill=MUTED, class_="n-label"))
    state = " empty" if total == 0 else " hidden" if total is None else ""
    return element("g", "".join(inner), class_="row" + state, data_key=key,
                   data_label=label, data_total=total), row_h


def _bar(levels: _Levels, label: str, counts: list[int] | None, total: int | None, key: str,
         cy: float) -> list[str]:
    """The row's segments side by side, or a placeholder saying why there are none."""
    if not total:
        note = _("No data") if total == 0 else (levels.hidden_note or _("Hidden"))
        return [_placeholder(levels.cid, f"{label}: {note}", note, LEFT, cy, PLOT_W, BAR_H)]
    parts, x = [tooltip(f"{label}: n = {total}")], LEFT
    for i, count in enumerate(counts):
        share = count / total
        seg_w = PLOT_W * share
        parts.append(_segment(levels.cid, key, label, levels.labels[i], i, levels.k, count,
                              share, x, cy, seg_w, BAR_H, levels.decimals))
        x += seg_w
    return parts


def _legend_items(levels: _Levels) -> list[tuple[str, str]]:
    return [(swatch_rect(_level_fill(levels.cid, i, levels.k), stroke=MUTED), str(text))
            for i, text in enumerate(levels.labels)]


def _defs(levels: _Levels) -> str:
    return patterns(levels.cid) + "".join(_level_pattern(levels.cid, i, levels.k)
                                          for i in range(levels.k))


def _describe(checked: list, labels: Sequence[str]) -> str:
    return values_summary([
        _("Rows: %(count)s.", count=len(checked)),
        _("Scale: %(scale)s.", scale=" → ".join(str(t) for t in labels)),
    ])


def _placeholder(cid: str, tip: str, note: str, left: float, cy: float, plot_w: float,
                 bar_h: float) -> str:
    """A hatched, dashed bar with a note in the middle: a row with nothing to draw."""
    return (tooltip(tip)
            + element("rect", x=left, y=cy - bar_h / 2, width=plot_w, height=bar_h,
                      fill=f"url(#{cid}-hatch)", stroke=HATCH_STROKE, stroke_dasharray="3 2",
                      class_="placeholder")
            + element("text", escape(note), x=left + plot_w / 2, y=cy + 4,
                      text_anchor="middle", font_size=11, fill=INK, class_="note"))


def _segment(cid: str, key: str, row_label: str, level_label: str, i: int, k: int, count: int,
             share: float, x: float, cy: float, seg_w: float, bar_h: float,
             decimals: int) -> str:
    shown = format_value(share * 100, unit="%", decimals=decimals)
    inner = [tooltip(f"{row_label} · {level_label}: {shown} ({count})")]
    if count:
        inner.append(element("rect", x=x, y=cy - bar_h / 2, width=seg_w, height=bar_h,
                             fill=_level_fill(cid, i, k), stroke="#ffffff", stroke_width=0.75,
                             class_="bar"))
        if seg_w >= text_width(shown, 11) + 6:
            dark = is_dark(i, k)
            inner.append(element("text", escape(shown), x=x + seg_w / 2, y=cy + 4,
                                 text_anchor="middle", font_size=11, font_weight="600",
                                 fill="#ffffff" if dark else INK,
                                 stroke=level_shade(i, k), stroke_width=3,
                                 paint_order="stroke", class_="share-label"))
    return element("g", "".join(inner), class_="segment", data_key=key, data_level=i + 1,
                   data_level_label=level_label, data_value=count,
                   data_share=data_number(share))
