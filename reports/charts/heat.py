"""Heat map: a grid (e.g. units × SIPAS elements) with the value printed in every cell."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
    legend_below,
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
LABEL_W = 180.0
LEFT = LABEL_W + 10


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


def _keys(keys: Sequence[str] | None, labels: Sequence[str]) -> list[str]:
    return [str(k) for k in (keys if keys is not None else labels)]


def _check_options(row_labels: Sequence[str], column_labels: Sequence[str],
                   row_keys: Sequence[str] | None, column_keys: Sequence[str] | None,
                   min_value: float | None, max_value: float | None) -> None:
    if row_keys is not None and len(row_keys) != len(row_labels):
        raise ValueError(f"row_keys: {len(row_keys)} keys for {len(row_labels)} rows")
    if column_keys is not None and len(column_keys) != len(column_labels):
        raise ValueError(f"column_keys: {len(column_keys)} keys for {len(column_labels)} "
                         "columns")
    if min_value is not None and max_value is not None and not min_value < max_value:
        raise ValueError(f"min_value: {min_value} is not below max_value {max_value}")


def _shade_bounds(grid: list[list[float | None]], min_value: float | None,
                  max_value: float | None) -> tuple[float, float]:
    """The values the lightest and darkest shades stand for: the bounds given, else the
    lowest and highest value shown."""
    finite = [v for row in grid for v in row if v is not None]
    lo = min_value if min_value is not None else min(finite, default=0.0)
    hi = max_value if max_value is not None else max(finite, default=1.0)
    return lo, hi


@dataclass(frozen=True)
class _Heat:
    """What every row of one heat map shares: its columns, their width, the shading bounds and
    how values are judged and printed."""

    cid: str
    columns: Sequence[str]
    column_keys: list[str]
    lo: float
    hi: float
    target: float | None
    unit: str
    decimals: int
    higher_is_better: bool

    @property
    def cell_w(self) -> float:
        return max(64.0, (640.0 - LEFT - 8) / len(self.columns))

    @property
    def width(self) -> float:
        return LEFT + self.cell_w * len(self.columns) + 8

    @property
    def headers(self) -> list[list[str]]:
        return [wrap(str(c), self.cell_w - 6, 11, 3) for c in self.columns]

    @property
    def header_h(self) -> float:
        return 8.0 + 13.0 * max(len(h) for h in self.headers)

    def fraction(self, v: float) -> float:
        return 0.5 if self.hi <= self.lo else (v - self.lo) / (self.hi - self.lo)

    def misses_target(self, value: float | None) -> bool:
        return misses(value, self.target, self.higher_is_better)

    def shown(self, value: float | None) -> str:
        return format_value(value, unit=self.unit, decimals=self.decimals)


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
    _check_options(row_labels, column_labels, row_keys, column_keys, min_value, max_value)
    if not row_labels or not column_labels:
        return empty_chart(cid=cid, kind="heat", title=title)
    heat = _Heat(cid, column_labels, _keys(column_keys, column_labels),
                 *_shade_bounds(grid, min_value, max_value), clean(target), unit, decimals,
                 higher_is_better)
    rows, bottom = _heat_rows(heat, row_labels, _keys(row_keys, row_labels), cells, grid)
    missed = _missed(heat, row_labels, grid)
    legend_svg, height = legend_below(_heat_legend(heat, grid, missed), x=16, y=bottom + 12,
                                      width=heat.width - 32)
    return frame(cid=cid, kind="heat", width=heat.width, height=height, title=title,
                 desc=desc or _describe(heat, len(row_labels), missed), defs=patterns(cid),
                 body=_column_headers(heat) + "".join(rows) + legend_svg)


def _column_headers(heat: _Heat) -> str:
    return "".join(text_block(h, LEFT + heat.cell_w * (j + 0.5), 14, line_height=13,
                              class_="axis-label column-label", font_size=11)
                   for j, h in enumerate(heat.headers))


def _heat_rows(heat: _Heat, row_labels: Sequence[str], row_keys: list[str],
               cells: Sequence[Sequence[float | None]],
               grid: list[list[float | None]]) -> tuple[list[str], float]:
    """Each row's label and cells, stacked under the column headers; returns the markup and
    the bottom of the last row."""
    parts, cursor = [], heat.header_h
    for r, label in enumerate(row_labels):
        lines = wrap(str(label), LABEL_W, 12, 2)
        row_h = max(30.0, 10.0 + 13.0 * len(lines))
        parts.append(text_block(lines, LEFT - 8, cursor + row_h / 2 + 4 - 6.5 * (len(lines) - 1),
                                line_height=13, class_="axis-label row-label", anchor="end"))
        parts += [_cell(heat, str(label), row_keys[r], j, cells[r][j], value,
                        (LEFT + heat.cell_w * j, cursor, heat.cell_w, row_h))
                  for j, value in enumerate(grid[r])]
        cursor += row_h
    return parts, cursor


def _missed(heat: _Heat, row_labels: Sequence[str],
            grid: list[list[float | None]]) -> list[str]:
    """The cells that miss the target, row by row, as the description lists them."""
    return [f"{label} · {heat.columns[j]} ({heat.shown(value)})"
            for label, values in zip(row_labels, grid, strict=True)
            for j, value in enumerate(values) if heat.misses_target(value)]


def _heat_legend(heat: _Heat, grid: list[list[float | None]], missed: list[str]) -> list:
    """The shades at the low end, middle and high end (one when every value is equal), then
    the miss outline and the no-data hatching when the grid has them."""
    lo, hi = heat.lo, heat.hi
    has_values = any(v is not None for row in grid for v in row)
    items = [(swatch_rect(shade(q), stroke="#8a94a3"), heat.shown(lo + (hi - lo) * q))
             for q in ((0.0, 0.5, 1.0) if hi > lo else (0.5,))] if has_values else []
    if missed:
        items.append((swatch_rect("#ffffff", stroke=TARGET_STROKE),
                      f"{miss_mark(heat.higher_is_better)} {miss_legend(heat.higher_is_better)}"))
    if any(v is None for row in grid for v in row):
        items.append((swatch_rect(f"url(#{heat.cid}-hatch)", stroke=HATCH_STROKE),
                      f"{EMPTY_CELL} {_('No data')}"))
    return items


def _describe(heat: _Heat, row_count: int, missed: list[str]) -> str:
    shown = missed[:LISTED_MISSES] + (["…"] if len(missed) > LISTED_MISSES else [])
    return values_summary([
        _("Rows: %(rows)s; columns: %(columns)s.", rows=row_count, columns=len(heat.columns)),
        _("Target: %(value)s.", value=heat.shown(heat.target))
        if heat.target is not None else "",
        f"{miss_legend(heat.higher_is_better)} ({len(missed)}): {', '.join(shown)}."
        if missed else "",
    ])


def _cell(heat: _Heat, row_label: str, row_key: str, j: int, raw: float | None,
          value: float | None, box: tuple[float, float, float, float]) -> str:
    """One cell's mark at ``box`` (x, y, width, height)."""
    miss = heat.misses_target(value)
    classes = "cell" + (" miss" if miss else "") + (" missing" if value is None else "")
    column_key = heat.column_keys[j]
    attrs = {"class_": classes, "data_key": f"{row_key}|{column_key}", "data_row": row_key,
             "data_column": column_key, "data_value": data_number(raw),
             "data_miss": "true" if miss else None}
    where = f"{row_label} · {heat.columns[j]!s}"
    if value is None:
        return element("g", _missing_cell(heat.cid, where, box), **attrs)
    return element("g", _value_cell(heat, where, value, miss, box), **attrs)


def _missing_cell(cid: str, where: str, box: tuple[float, float, float, float]) -> str:
    x, y, w, h = box
    return "".join([
        tooltip(f"{where}: {_('No data')}"),
        element("rect", x=x, y=y, width=w, height=h, fill=f"url(#{cid}-hatch)",
                stroke="#ffffff", stroke_width=1, class_="placeholder"),
        element("text", EMPTY_CELL, x=x + w / 2, y=y + h / 2 + 4, text_anchor="middle",
                fill=INK, font_weight="600", class_="value-label"),
    ])


def _value_cell(heat: _Heat, where: str, value: float, miss: bool,
                box: tuple[float, float, float, float]) -> str:
    """The shaded cell with its value, outlined (and the value marked) when it misses."""
    x, y, w, h = box
    fraction = heat.fraction(value)
    shown = heat.shown(value)
    hover = f"{where}: {shown}" + (f"; {miss_legend(heat.higher_is_better)}" if miss else "")
    inner = [tooltip(hover),
             element("rect", x=x, y=y, width=w, height=h, fill=shade(fraction),
                     stroke="#ffffff", stroke_width=1, class_="bar")]
    if miss:
        inner.append(element("rect", x=x + 2, y=y + 2, width=w - 4, height=h - 4, fill="none",
                             stroke=TARGET_STROKE, stroke_width=2.5, class_="miss-outline"))
    text = f"{miss_mark(heat.higher_is_better)} {shown}" if miss else shown
    inner.append(element("text", escape(text), x=x + w / 2, y=y + h / 2 + 4,
                         text_anchor="middle", font_weight="600",
                         fill="#ffffff" if fraction > 0.5 else INK, class_="value-label"))
    return "".join(inner)
