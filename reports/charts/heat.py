"""Heat map: a grid (e.g. units × SIPAS elements) with the value printed in every cell."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from markupsafe import Markup, escape

from reports.charts.svg import (
    EMPTY_CELL,
    HATCH_STROKE,
    INK,
    TARGET_STROKE,
    clean,
    data_number,
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
    swatch_rect,
    text_block,
    tooltip,
    values_summary,
    wrap,
)

LIGHT = (241, 245, 251)
DARK = (11, 61, 117)
LISTED_MISSES = 10


def shade(fraction: float) -> str:
    """Fill for a cell ``fraction`` (0..1) of the way from the lowest to the highest value:
    linear in RGB from near-white to dark blue, so darker always means higher."""
    f = min(max(fraction, 0.0), 1.0)
    rgb = (round(a + (b - a) * f) for a, b in zip(LIGHT, DARK, strict=True))
    return "#" + "".join(f"{c:02x}" for c in rgb)


def _checked(row_labels: Sequence[str], column_labels: Sequence[str],
             cells: Sequence[Sequence[float | None]]) -> list[list[float | None]]:
    if len(cells) != len(row_labels):
        raise ValueError(f"cells: {len(cells)} rows for {len(row_labels)} row labels")
    result = []
    for r, row in enumerate(cells):
        if len(row) != len(column_labels):
            raise ValueError(f"cells: row {row_labels[r]!r} has {len(row)} cells for "
                             f"{len(column_labels)} columns")
        result.append([clean(v) for v in row])
    return result


def heat_map(row_labels: Sequence[str], column_labels: Sequence[str],
             cells: Sequence[Sequence[float | None]], *, target: float | None = None,
             title: str, min_value: float | None = None, max_value: float | None = None,
             unit: str = "%", decimals: int = 1, higher_is_better: bool = True,
             row_keys: Sequence[str] | None = None, column_keys: Sequence[str] | None = None,
             chart_id: str | None = None, desc: str | None = None) -> Markup:
    """A grid of ``cells[row][column]`` with every value printed in its cell.

    A cell's shade is ``(value − min_value) / (max_value − min_value)`` of the way from light
    to dark (the bounds default to the lowest and highest value shown; values outside given
    bounds take the end shade). Cells that miss ``target`` are outlined and their value is
    printed after ▼; None cells are hatched and show "–". ``data-key`` of a cell is
    ``"row key|column key"`` (keys default to labels), with ``data-row`` and ``data-column``.

    Raises
    ------
    ValueError
        ``cells`` does not match the labels, ``row_keys``/``column_keys`` have the wrong
        length, or ``min_value`` is not below ``max_value``.
    """
    cid = new_chart_id(chart_id, "heat")
    grid = _checked(row_labels, column_labels, cells)
    if row_keys is not None and len(row_keys) != len(row_labels):
        raise ValueError(f"row_keys: {len(row_keys)} keys for {len(row_labels)} rows")
    if column_keys is not None and len(column_keys) != len(column_labels):
        raise ValueError(f"column_keys: {len(column_keys)} keys for {len(column_labels)} "
                         "columns")
    if min_value is not None and max_value is not None and not min_value < max_value:
        raise ValueError(f"min_value: {min_value} is not below max_value {max_value}")
    if not row_labels or not column_labels:
        return empty_chart(cid=cid, kind="heat", title=title)
    target = clean(target)
    rkeys = [str(k) for k in (row_keys if row_keys is not None else row_labels)]
    ckeys = [str(k) for k in (column_keys if column_keys is not None else column_labels)]
    finite = [v for row in grid for v in row if v is not None]
    lo = min_value if min_value is not None else min(finite, default=0.0)
    hi = max_value if max_value is not None else max(finite, default=1.0)

    def fraction(v: float) -> float:
        return 0.5 if hi <= lo else (v - lo) / (hi - lo)

    label_w = 180.0
    left = label_w + 10
    cell_w = max(64.0, (640.0 - left - 8) / len(column_labels))
    width = left + cell_w * len(column_labels) + 8
    headers = [wrap(str(c), cell_w - 6, 11, 3) for c in column_labels]
    header_h = 8.0 + 13.0 * max(len(h) for h in headers)
    parts = [text_block(h, left + cell_w * (j + 0.5), 14, line_height=13,
                        class_="axis-label column-label", font_size=11)
             for j, h in enumerate(headers)]
    cursor = header_h
    missed = []
    for r, label in enumerate(row_labels):
        lines = wrap(str(label), label_w, 12, 2)
        row_h = max(30.0, 10.0 + 13.0 * len(lines))
        parts.append(text_block(lines, left - 8, cursor + row_h / 2 + 4 - 6.5 * (len(lines) - 1),
                                line_height=13, class_="axis-label row-label", anchor="end"))
        for j, value in enumerate(grid[r]):
            x = left + cell_w * j
            miss = misses(value, target, higher_is_better)
            if miss:
                missed.append(f"{label} · {column_labels[j]} "
                              f"({format_value(value, unit=unit, decimals=decimals)})")
            parts.append(_cell(cid, str(label), str(column_labels[j]), rkeys[r], ckeys[j],
                               cells[r][j], value, miss, x, cursor, cell_w, row_h,
                               fraction(value) if value is not None else 0.0, unit, decimals,
                               higher_is_better))
        cursor += row_h

    items = [(swatch_rect(shade(q), stroke="#8a94a3"),
              format_value(lo + (hi - lo) * q, unit=unit, decimals=decimals))
             for q in ((0.0, 0.5, 1.0) if hi > lo else (0.5,))] if finite else []
    if missed:
        items.append((swatch_rect("#ffffff", stroke=TARGET_STROKE),
                      f"{miss_mark(higher_is_better)} {miss_legend(higher_is_better)}"))
    if any(v is None for row in grid for v in row):
        items.append((swatch_rect(f"url(#{cid}-hatch)", stroke=HATCH_STROKE),
                      f"{EMPTY_CELL} {_('No data')}"))
    legend_svg, legend_h = legend(items, x=16, y=cursor + 12, width=width - 32)
    height = cursor + 12 + legend_h + 4
    shown = missed[:LISTED_MISSES] + (["…"] if len(missed) > LISTED_MISSES else [])
    summary = values_summary([
        _("Rows: %(rows)s; columns: %(columns)s.", rows=len(row_labels),
          columns=len(column_labels)),
        _("Target: %(value)s.", value=format_value(target, unit=unit, decimals=decimals))
        if target is not None else "",
        f"{miss_legend(higher_is_better)} ({len(missed)}): {', '.join(shown)}." if missed else "",
    ])
    return frame(cid=cid, kind="heat", width=width, height=height, title=title,
                 desc=desc or summary, defs=patterns(cid), body="".join(parts) + legend_svg)


def _cell(cid: str, row_label: str, column_label: str, row_key: str, column_key: str,
          raw: float | None, value: float | None, miss: bool, x: float, y: float, w: float,
          h: float, fraction: float, unit: str, decimals: int, higher_is_better: bool) -> str:
    classes = "cell" + (" miss" if miss else "") + (" missing" if value is None else "")
    attrs = {"class_": classes, "data_key": f"{row_key}|{column_key}", "data_row": row_key,
             "data_column": column_key, "data_value": data_number(raw),
             "data_miss": "true" if miss else None}
    cx, cy = x + w / 2, y + h / 2 + 4
    if value is None:
        return element("g", "".join([
            tooltip(f"{row_label} · {column_label}: {_('No data')}"),
            element("rect", x=x, y=y, width=w, height=h, fill=f"url(#{cid}-hatch)",
                    stroke="#ffffff", stroke_width=1, class_="placeholder"),
            element("text", EMPTY_CELL, x=cx, y=cy, text_anchor="middle", fill=INK,
                    font_weight="600", class_="value-label"),
        ]), **attrs)
    shown = format_value(value, unit=unit, decimals=decimals)
    text = f"{miss_mark(higher_is_better)} {shown}" if miss else shown
    hover = f"{row_label} · {column_label}: {shown}"
    if miss:
        hover += f"; {miss_legend(higher_is_better)}"
    inner = [tooltip(hover),
             element("rect", x=x, y=y, width=w, height=h, fill=shade(fraction),
                     stroke="#ffffff", stroke_width=1, class_="bar")]
    if miss:
        inner.append(element("rect", x=x + 2, y=y + 2, width=w - 4, height=h - 4, fill="none",
                             stroke=TARGET_STROKE, stroke_width=2.5, class_="miss-outline"))
    inner.append(element("text", escape(text), x=cx, y=cy, text_anchor="middle",
                         font_weight="600", fill="#ffffff" if fraction > 0.5 else INK,
                         class_="value-label"))
    return element("g", "".join(inner), **attrs)
