"""100% stacked horizontal bars: how the answers to each item spread over the scale 1..k."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

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
    legend,
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

    k = len(labels)
    width, label_w, right, bar_h, top = 640.0, 200.0, 64.0, 20.0, 8.0
    left = label_w + 12
    plot_w = width - left - right
    parts, cursor = [], top
    for r, (label, counts) in enumerate(checked):
        lines = wrap(label, label_w, 12, 2)
        row_h = max(32.0, 14.0 + 13.0 * len(lines))
        cy = cursor + row_h / 2
        total = sum(counts) if counts is not None else None
        key = keys[r] if keys is not None else label
        inner = [text_block(lines, left - 8, cy + 4 - 6.5 * (len(lines) - 1), line_height=13,
                            class_="axis-label", anchor="end")]
        if not total:
            note = _("No data") if total == 0 else (hidden_note or _("Hidden"))
            inner.append(_placeholder(cid, f"{label}: {note}", note, left, cy, plot_w, bar_h))
        else:
            inner.append(tooltip(f"{label}: n = {total}"))
            x = left
            for i, count in enumerate(counts):
                share = count / total
                seg_w = plot_w * share
                inner.append(_segment(cid, key, label, labels[i], i, k, count, share,
                                      x, cy, seg_w, bar_h, decimals))
                x += seg_w
        if total is not None:
            inner.append(element("text", escape(f"n = {total}"), x=width - right + 6,
                                 y=cy + 4, font_size=10, fill=MUTED, class_="n-label"))
        state = " empty" if total == 0 else " hidden" if total is None else ""
        parts.append(element("g", "".join(inner), class_="row" + state, data_key=key,
                             data_label=label, data_total=total))
        cursor += row_h

    items = [(swatch_rect(_level_fill(cid, i, k), stroke=MUTED), str(text))
             for i, text in enumerate(labels)]
    legend_svg, legend_h = legend(items, x=16, y=cursor + 10, width=width - 32)
    height = cursor + 10 + legend_h + 4
    defs = patterns(cid) + "".join(_level_pattern(cid, i, k) for i in range(k))
    summary = values_summary([
        _("Rows: %(count)s.", count=len(checked)),
        _("Scale: %(scale)s.", scale=" → ".join(str(t) for t in labels)),
    ])
    return frame(cid=cid, kind="distribution", width=width, height=height, title=title,
                 desc=desc or summary, defs=defs, body="".join(parts) + legend_svg)


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
