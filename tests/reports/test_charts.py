"""reports.charts: every chart is parsed back with xml.etree and its geometry checked against
the values drawn.

Reference values come from the definition of a linear axis that starts at zero: a mark's
length is proportional to its value, so ``length(v) / length(w) == v / w`` and a value ``v``
sits ``v / axis_max`` of the way from the baseline to the top. Each test measures the axis
from the chart itself (the baseline and the length of a known bar), never from the module's
layout constants, so it checks the proportions rather than restating the implementation.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from reports.charts import (
    Bar,
    Series,
    element_bars,
    format_value,
    heat_map,
    kpi_bars,
    ranking_bars,
    stacked_distribution,
    trend_lines,
)

SVG = "{http://www.w3.org/2000/svg}"
EVIL = "<script>alert('x')</script> & \"co\""
LEVELS = ["Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"]


def parse(markup) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == f"{SVG}svg"
    return root


def classes(el: ET.Element) -> set[str]:
    return set((el.get("class") or "").split())


def find_all(root: ET.Element, cls: str, tag: str = "*") -> list[ET.Element]:
    return [el for el in root.iter(tag if tag == "*" else f"{SVG}{tag}") if cls in classes(el)]


def one(root: ET.Element, cls: str, tag: str = "*") -> ET.Element:
    found = find_all(root, cls, tag)
    assert len(found) == 1, f"{len(found)} elements of class {cls}"
    return found[0]


def marks(root: ET.Element, cls: str = "mark") -> dict[str, ET.Element]:
    return {el.get("data-key"): el for el in find_all(root, cls, "g")}


def text_of(el: ET.Element) -> str:
    """The text of an element; the lines (tspans) of a wrapped label joined by spaces."""
    return " ".join(el.itertext())


def visible_text(el: ET.Element) -> str:
    """Text drawn on the chart, without the hover <title>s."""
    return " ".join(text_of(t) for t in el.iter(f"{SVG}text"))


def num(el: ET.Element, name: str) -> float:
    return float(el.get(name))


# --------------------------------------------------------------------------- element_bars


def test_element_bars_lengths_target_and_whiskers_follow_the_values():
    bars = [Bar("Full", 100.0), Bar("Half", 50.0, 40.0, 60.0), Bar("Quarter", 25.0),
            Bar("Zero", 0.0)]
    root = parse(element_bars(bars, target=85.0, title="Elements", chart_id="el"))
    rects = {k: one(m, "bar", "rect") for k, m in marks(root).items()}
    baseline = num(rects["Full"], "y") + num(rects["Full"], "height")
    full = num(rects["Full"], "height")
    assert full > 100  # a real plot, not a degenerate one
    for key, value in [("Half", 50.0), ("Quarter", 25.0), ("Zero", 0.0)]:
        # Every bar stands on the same baseline and is value/100 of the 100% bar.
        assert num(rects[key], "y") + num(rects[key], "height") == pytest.approx(baseline,
                                                                                 abs=0.02)
        assert num(rects[key], "height") == pytest.approx(full * value / 100, abs=0.02)
    target = one(root, "target-line", "line")
    assert num(target, "y1") == num(target, "y2") == pytest.approx(baseline - 0.85 * full,
                                                                  abs=0.02)
    assert one(root, "target", "g").get("data-value") == "85.0"
    assert "Target 85.0%" in visible_text(one(root, "target", "g"))
    ci = one(marks(root)["Half"], "ci", "line")
    # The whisker is vertical at the bar's centre and spans 40..60.
    rect = rects["Half"]
    assert num(ci, "x1") == num(ci, "x2") == pytest.approx(
        num(rect, "x") + num(rect, "width") / 2, abs=0.02)
    assert num(ci, "y1") == pytest.approx(baseline - 0.60 * full, abs=0.02)
    assert num(ci, "y2") == pytest.approx(baseline - 0.40 * full, abs=0.02)
    assert not find_all(marks(root)["Full"], "ci")


def test_element_bars_mark_bars_under_target_with_pattern_and_triangle():
    root = parse(element_bars([Bar("Met", 90.0), Bar("Missed", 84.9), Bar("Equal", 85.0)],
                              target=85, title="t", chart_id="el"))
    by_key = marks(root)
    missed = by_key["Missed"]
    assert "miss" in classes(missed) and missed.get("data-miss") == "true"
    assert one(missed, "bar", "rect").get("fill") == "url(#el-miss)"
    assert text_of(one(missed, "value-label", "text")) == "\u25bc 84.9%"
    for key in ("Met", "Equal"):  # equal to the target meets it
        assert "miss" not in classes(by_key[key])
        assert one(by_key[key], "bar", "rect").get("fill").startswith("#")
        assert "\u25bc" not in text_of(one(by_key[key], "value-label", "text"))
    assert root.find(f".//{SVG}pattern[@id='el-miss']") is not None
    assert "\u25bc Below target" in visible_text(one(root, "legend", "g"))


def test_element_bars_draw_no_bar_for_suppressed_or_missing_values():
    bars = [Bar("Small", None, note="n < 5", n=3), Bar("Empty", float("nan")),
            Bar("Shown", 80.0, n=40)]
    root = parse(element_bars(bars, target=85, title="t", chart_id="el"))
    by_key = marks(root)
    for key in ("Small", "Empty"):
        mark = by_key[key]
        assert mark.get("data-value") == ""
        assert "suppressed" in classes(mark)
        assert not find_all(mark, "bar")  # no bar, hence no bar height
        assert not find_all(mark, "value-label")
        assert "miss" not in classes(mark)  # no value cannot miss the target
        assert one(mark, "placeholder", "rect").get("fill") == "url(#el-hatch)"
    assert text_of(one(by_key["Small"], "note", "text")) == "n < 5"
    assert text_of(one(by_key["Empty"], "note", "text")) == "No data"
    assert by_key["Small"].get("data-n") == "3"
    assert text_of(one(by_key["Shown"], "n-label", "text")) == "n = 40"
    assert "No data: Small (n < 5), Empty (No data)." in text_of(root.find(f"{SVG}desc"))


def test_element_bars_data_attributes_are_exact_values_and_keys():
    bars = [Bar("A", 85.1234567, 80.0, 90.25, key="a-key"), Bar("B", np.float64(70.0)),
            Bar("C", 12)]
    root = parse(element_bars(bars, title="t"))
    by_key = marks(root)
    assert set(by_key) == {"a-key", "B", "C"}
    assert by_key["a-key"].get("data-value") == "85.123457"  # repr with 6 decimals
    assert by_key["a-key"].get("data-low") == "80.0"
    assert by_key["a-key"].get("data-high") == "90.25"
    assert by_key["a-key"].get("data-label") == "A"
    assert by_key["B"].get("data-value") == "70.0"
    assert by_key["C"].get("data-value") == "12"
    assert text_of(one(by_key["a-key"], "value-label", "text")) == "85.1%"


def test_element_bars_axis_grows_to_hold_a_value_over_max_value():
    root = parse(element_bars([Bar("Over", 120.0), Bar("Half", 60.0)], title="t"))
    rects = {k: one(m, "bar", "rect") for k, m in marks(root).items()}
    assert num(rects["Over"], "height") == pytest.approx(2 * num(rects["Half"], "height"),
                                                         abs=0.02)
    top = float(root.get("viewBox").split()[1])
    assert num(rects["Over"], "y") > top
    ticks = [text_of(t) for t in find_all(root, "tick-label", "text")]
    assert ticks[-1] == "125%"  # next round tick above 120 (steps of 25)


def test_element_bars_mean_scores_on_a_five_point_axis():
    root = parse(element_bars([Bar("Mean", 4.0), Bar("Low", 2.0)], target=4.2, max_value=5,
                              unit="", decimals=2, title="t"))
    rects = {k: one(m, "bar", "rect") for k, m in marks(root).items()}
    assert num(rects["Low"], "height") == pytest.approx(num(rects["Mean"], "height") / 2,
                                                        abs=0.02)
    assert [text_of(t) for t in find_all(root, "tick-label", "text")] == [
        "0", "1", "2", "3", "4", "5"]
    assert text_of(one(marks(root)["Mean"], "value-label", "text")) == "\u25bc 4.00"


def test_negative_values_extend_the_other_way_from_the_zero_line():
    bars = [Bar("Up", 10.0), Bar("Down", -5.0)]
    root = parse(element_bars(bars, max_value=None, unit="", title="t"))
    up, down = (one(m, "bar", "rect") for m in marks(root).values())
    zero = num(up, "y") + num(up, "height")
    assert num(down, "y") == pytest.approx(zero, abs=0.02)
    assert num(down, "height") == pytest.approx(num(up, "height") / 2, abs=0.02)
    root = parse(ranking_bars(bars, max_value=None, unit="", title="t"))
    up, down = (one(m, "bar", "rect") for m in marks(root).values())
    assert num(down, "x") + num(down, "width") == pytest.approx(num(up, "x"), abs=0.02)
    assert num(down, "width") == pytest.approx(num(up, "width") / 2, abs=0.02)


# --------------------------------------------------------------------------- ranking_bars


def test_ranking_bars_keep_order_and_lengths_proportional():
    bars = [Bar("Sở Nội vụ", 92.0, 88.0, 95.0), Bar("Sở Tài chính", 46.0),
            Bar("Xã Đình Lập", 23.0), Bar("Thanh tra tỉnh", None, note="n < 5")]
    root = parse(ranking_bars(bars, target=85, title="Ranking", chart_id="rk"))
    groups = find_all(root, "mark", "g")
    assert [g.get("data-key") for g in groups] == [b.label for b in bars]
    rects = [one(g, "bar", "rect") for g in groups[:3]]
    x0 = num(rects[0], "x")
    assert all(num(r, "x") == pytest.approx(x0, abs=0.02) for r in rects)
    assert num(rects[1], "width") == pytest.approx(num(rects[0], "width") * 46 / 92, abs=0.02)
    assert num(rects[2], "width") == pytest.approx(num(rects[0], "width") * 23 / 92, abs=0.02)
    per_unit = num(rects[0], "width") / 92.0
    target = one(root, "target-line", "line")
    assert num(target, "x1") == num(target, "x2") == pytest.approx(x0 + 85 * per_unit, abs=0.02)
    ci = one(groups[0], "ci", "line")
    assert num(ci, "x1") == pytest.approx(x0 + 88 * per_unit, abs=0.02)
    assert num(ci, "x2") == pytest.approx(x0 + 95 * per_unit, abs=0.02)
    # Rows go down the page in the order given.
    ys = [num(r, "y") for r in rects]
    assert ys == sorted(ys)
    assert [text_of(one(g, "value-label", "text")) for g in groups[1:3]] == [
        "\u25bc 46.0%", "\u25bc 23.0%"]
    assert one(groups[1], "bar", "rect").get("fill") == "url(#rk-miss)"
    suppressed = groups[3]
    assert not find_all(suppressed, "bar") and suppressed.get("data-value") == ""
    assert one(suppressed, "placeholder", "rect").get("fill") == "url(#rk-hatch)"
    assert text_of(one(suppressed, "note", "text")) == "n < 5"


def test_kpi_bars_lower_is_better_marks_values_over_the_target():
    bars = [Bar("Fast", 12.0), Bar("Slow", 17.5), Bar("Limit", 15.0)]
    root = parse(kpi_bars(bars, target=15, unit=" days", higher_is_better=False, title="t"))
    by_key = marks(root)
    assert "miss" in classes(by_key["Slow"])
    assert text_of(one(by_key["Slow"], "value-label", "text")) == "\u25b2 17.5 days"
    assert "miss" not in classes(by_key["Fast"]) and "miss" not in classes(by_key["Limit"])
    # A word unit is left off the ticks; the axis fits the data (no 100 ceiling).
    assert [text_of(t) for t in find_all(root, "tick-label", "text")] == [
        "0", "5", "10", "15", "20"]
    assert "\u25b2 Above target" in visible_text(one(root, "legend", "g"))


# --------------------------------------------------------------------------- trend_lines


def test_trend_lines_points_gaps_whiskers_and_markers():
    series = [
        Series("Province", [("2025-H1", 80.0, 76.0, 84.0), ("2025-H2", None, None, None),
                            ("2026-H1", 40.0, None, None), ("2026-H2", 60.0, None, None)]),
        Series("Commune", [("2025-H1", 70.0, None, None), ("2025-H2", 75.0, None, None)]),
    ]
    root = parse(trend_lines(series, target=85, title="Trend", chart_id="tr"))
    lines = {g.get("data-series"): g for g in find_all(root, "series", "g")}
    assert list(lines) == ["Province", "Commune"]
    assert lines["Province"].get("data-marker") != lines["Commune"].get("data-marker")
    province = {p.get("data-key"): p for p in find_all(lines["Province"], "point", "g")}
    assert list(province) == ["2025-H1", "2025-H2", "2026-H1", "2026-H2"]
    gap = province["2025-H2"]
    assert gap.get("data-value") == "" and "missing" in classes(gap)
    assert not find_all(gap, "marker")
    # The gap splits the province into a lone point and one line over the last two periods.
    paths = find_all(lines["Province"], "series-line", "path")
    assert len(paths) == 1
    assert len(find_all(lines["Commune"], "series-line", "path")) == 1

    def centre(point: ET.Element) -> tuple[float, float]:
        m = one(point, "marker")
        if m.tag == f"{SVG}circle":
            return num(m, "cx"), num(m, "cy")
        return num(m, "x") + num(m, "width") / 2, num(m, "y") + num(m, "height") / 2

    baseline = num(one(root, "axis", "line"), "y1")
    x80, y80 = centre(province["2025-H1"])
    x40, y40 = centre(province["2026-H1"])
    x60, y60 = centre(province["2026-H2"])
    assert baseline - y40 == pytest.approx((baseline - y80) / 2, abs=0.02)
    assert baseline - y60 == pytest.approx((baseline - y80) * 3 / 4, abs=0.02)
    # Periods are evenly spaced.
    assert x60 - x40 == pytest.approx((x40 - x80) / 2, abs=0.02)
    path_points = re.findall(r"([\d.]+),([\d.]+)", paths[0].get("d"))
    assert [(float(a), float(b)) for a, b in path_points] == [
        pytest.approx((x40, y40), abs=0.02), pytest.approx((x60, y60), abs=0.02)]
    ci = one(province["2025-H1"], "ci", "line")
    per_unit = (baseline - y80) / 80
    assert num(ci, "x1") == pytest.approx(x80, abs=0.02)
    assert num(ci, "y1") == pytest.approx(baseline - 84 * per_unit, abs=0.02)
    assert num(ci, "y2") == pytest.approx(baseline - 76 * per_unit, abs=0.02)
    target = one(root, "target-line", "line")
    assert num(target, "y1") == pytest.approx(baseline - 85 * per_unit, abs=0.02)
    legend = visible_text(one(root, "legend", "g"))
    assert "Province" in legend and "Commune" in legend
    # Two series: no value labels; the marker shapes differ in the SVG too.
    assert not find_all(root, "value-label")
    assert one(province["2025-H1"], "marker").tag != one(
        find_all(lines["Commune"], "point", "g")[0], "marker").tag


def test_trend_lines_single_series_prints_values_and_marks_misses():
    series = [Series("Index", [("T1", 90.0, None, None), ("T2", 80.0, None, None),
                               ("T3", None, None, None)])]
    root = parse(trend_lines(series, target=85, title="t"))
    labels = [text_of(t) for t in find_all(root, "value-label", "text")]
    assert labels == ["90.0%", "\u25bc 80.0%"]
    assert "No data" in visible_text(root)
    assert "Latest values: Index T2: 80.0%." in text_of(root.find(f"{SVG}desc"))


def test_trend_lines_reject_malformed_points():
    with pytest.raises(ValueError, match="series: .*period 'T1' twice"):
        trend_lines([Series("A", [("T1", 1.0, None, None), ("T1", 2.0, None, None)])],
                    title="t")
    with pytest.raises(ValueError, match=r"series: point 0 of 'A'"):
        trend_lines([Series("A", [("T1", 1.0)])], title="t")
    with pytest.raises(ValueError, match="series: 'A' 'T1' has low 5.0 above high 4.0"):
        trend_lines([Series("A", [("T1", 4.5, 5.0, 4.0)])], title="t")


# --------------------------------------------------------------------------- stacked


def test_stacked_distribution_segments_are_shares_of_the_full_width():
    rows = [("Q1", [10, 30, 0, 40, 20]), ("Q2", [0, 0, 0, 0, 0]), ("Q3", [1, 0, 0, 0, 99])]
    root = parse(stacked_distribution(rows, labels=LEVELS, title="Spread", chart_id="st"))
    row_groups = {g.get("data-key"): g for g in find_all(root, "row", "g")}
    q1 = row_groups["Q1"]
    assert q1.get("data-total") == "100"
    segments = find_all(q1, "segment", "g")
    assert [s.get("data-value") for s in segments] == ["10", "30", "0", "40", "20"]
    assert [s.get("data-level") for s in segments] == ["1", "2", "3", "4", "5"]
    assert segments[1].get("data-share") == "0.3"
    assert segments[1].get("data-level-label") == "Không hài lòng"
    rects = [one(s, "bar", "rect") if s.get("data-value") != "0" else None for s in segments]
    assert rects[2] is None  # a zero count draws nothing
    drawn = [r for r in rects if r is not None]
    full = sum(num(r, "width") for r in drawn)
    for rect, count in zip(drawn, [10, 30, 40, 20], strict=True):
        assert num(rect, "width") == pytest.approx(full * count / 100, abs=0.02)
    # Segments touch: each starts where the previous one ended.
    for left, right in zip(drawn, drawn[1:], strict=False):
        assert num(right, "x") == pytest.approx(num(left, "x") + num(left, "width"), abs=0.02)
    # Q3's 1% segment is too narrow for its label; Q1's 40% segment has one.
    q3 = find_all(row_groups["Q3"], "segment", "g")
    assert not find_all(q3[0], "share-label")
    assert text_of(one(q3[4], "share-label", "text")) == "99%"
    assert text_of(one(segments[3], "share-label", "text")) == "40%"
    q3_full = sum(num(one(s, "bar", "rect"), "width") for s in q3 if s.get("data-value") != "0")
    assert q3_full == pytest.approx(full, abs=0.05)
    empty = row_groups["Q2"]
    assert "empty" in classes(empty) and not find_all(empty, "segment")
    assert one(empty, "placeholder", "rect").get("fill") == "url(#st-hatch)"
    legend = visible_text(one(root, "legend", "g"))
    assert all(level in legend for level in LEVELS)
    # Neighbouring levels differ in fill (shade or texture), so print keeps them apart.
    fills = [one(s, "bar", "rect").get("fill") for s in q1.iter() if "segment" in classes(s)
             and s.get("data-value") != "0"]
    assert len(set(fills)) == len(fills)


def test_a_hidden_row_says_why_and_shows_no_count():
    # Counts of None: too few answers to publish. The row must not read as "nobody answered"
    # (n = 0, "No data") nor draw empty bars: a hatched placeholder carries the reason.
    rows = [("Q1", [1, 1, 1, 1, 1]), ("Q2", None), ("Q3", [0, 0, 0, 0, 0])]
    root = parse(stacked_distribution(rows, labels=LEVELS, title="Spread", chart_id="hd",
                                      hidden_note="fewer than 10 answers"))
    groups = {g.get("data-key"): g for g in find_all(root, "row", "g")}
    hidden = groups["Q2"]
    assert "hidden" in classes(hidden) and "empty" not in classes(hidden)
    assert hidden.get("data-total") is None and not find_all(hidden, "segment")
    assert not find_all(hidden, "n-label")
    assert text_of(one(hidden, "note", "text")) == "fewer than 10 answers"
    assert one(hidden, "placeholder", "rect").get("fill") == "url(#hd-hatch)"
    # An empty row still says "No data" with its n = 0; a full row keeps its count.
    assert text_of(one(groups["Q3"], "note", "text")) == "No data"
    assert text_of(one(groups["Q3"], "n-label", "text")) == "n = 0"
    assert text_of(one(groups["Q1"], "n-label", "text")) == "n = 5"


def test_stacked_distribution_rejects_bad_counts():
    with pytest.raises(ValueError, match="rows: 'Q1' has 2 counts for 5 labels"):
        stacked_distribution([("Q1", [1, 2])], labels=LEVELS, title="t")
    with pytest.raises(ValueError, match="rows: 'Q1' has -1"):
        stacked_distribution([("Q1", [1, 2, -1, 0, 0])], labels=LEVELS, title="t")
    with pytest.raises(ValueError, match="labels"):
        stacked_distribution([("Q1", [])], labels=[], title="t")


# --------------------------------------------------------------------------- heat_map


def _luminance(colour: str) -> float:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_heat_map_prints_every_value_shades_by_value_and_marks_misses():
    rows, cols = ["Sở Nội vụ", "Xã Đình Lập"], ["Access", "Procedure", "Result"]
    cells = [[90.0, 80.0, None], [70.0, 85.0, 100.0]]
    root = parse(heat_map(rows, cols, cells, target=85, title="Heat", chart_id="hm"))
    by_key = marks(root, "cell")
    assert len(by_key) == 6
    expected_text = {"Sở Nội vụ|Access": "90.0%", "Sở Nội vụ|Procedure": "\u25bc 80.0%",
                     "Sở Nội vụ|Result": "\u2013", "Xã Đình Lập|Access": "\u25bc 70.0%",
                     "Xã Đình Lập|Procedure": "85.0%", "Xã Đình Lập|Result": "100.0%"}
    for key, text in expected_text.items():
        assert text_of(one(by_key[key], "value-label", "text")) == text
    missing = by_key["Sở Nội vụ|Result"]
    assert missing.get("data-value") == "" and missing.get("data-column") == "Result"
    assert one(missing, "placeholder", "rect").get("fill") == "url(#hm-hatch)"
    for key in ("Sở Nội vụ|Procedure", "Xã Đình Lập|Access"):
        assert "miss" in classes(by_key[key])
        assert one(by_key[key], "miss-outline", "rect").get("fill") == "none"
    assert not find_all(by_key["Xã Đình Lập|Procedure"], "miss-outline")
    # Shade gets darker as the value rises (70 lightest, 100 darkest).
    order = ["Xã Đình Lập|Access", "Sở Nội vụ|Procedure", "Xã Đình Lập|Procedure",
             "Sở Nội vụ|Access", "Xã Đình Lập|Result"]
    lum = [_luminance(one(by_key[k], "bar", "rect").get("fill")) for k in order]
    assert lum == sorted(lum, reverse=True) and len(set(lum)) == 5
    # Cells of one row share their height and sit side by side.
    row = [one(by_key[f"Sở Nội vụ|{c}"], "bar" if c != "Result" else "placeholder", "rect")
           for c in cols]
    assert len({r.get("y") for r in row}) == 1
    assert num(row[1], "x") == pytest.approx(num(row[0], "x") + num(row[0], "width"), abs=0.02)


def test_heat_map_rejects_a_grid_that_does_not_match_its_labels():
    with pytest.raises(ValueError, match="cells: 1 rows for 2 row labels"):
        heat_map(["a", "b"], ["x"], [[1.0]], title="t")
    with pytest.raises(ValueError, match="cells: row 'a' has 2 cells for 1 columns"):
        heat_map(["a"], ["x"], [[1.0, 2.0]], title="t")
    with pytest.raises(ValueError, match="min_value"):
        heat_map(["a"], ["x"], [[1.0]], min_value=5, max_value=5, title="t")


# --------------------------------------------------------------------------- every chart

CHARTS = {
    "element_bars": lambda label, title: element_bars(
        [Bar(label, 80.0, 75.0, 85.0, n=50), Bar("b", None, note="n < 5")], target=85,
        title=title),
    "ranking_bars": lambda label, title: ranking_bars(
        [Bar(label, 80.0, 75.0, 85.0, n=50), Bar("b", None, note="n < 5")], target=85,
        title=title),
    "kpi_bars": lambda label, title: kpi_bars([Bar(label, 3.0)], target=2, title=title),
    "trend_lines": lambda label, title: trend_lines(
        [Series(label, [("T1", 80.0, 75.0, 85.0), ("T2", None, None, None)])], target=85,
        title=title),
    "stacked_distribution": lambda label, title: stacked_distribution(
        [(label, [1, 2, 3, 4, 5])], labels=[label, "2", "3", "4", "5"], title=title),
    "heat_map": lambda label, title: heat_map([label], [label, "c"], [[80.0, None]],
                                              target=85, title=title),
}

EMPTY = {
    "element_bars": lambda: element_bars([], target=85, title="Nothing"),
    "ranking_bars": lambda: ranking_bars([], title="Nothing"),
    "kpi_bars": lambda: kpi_bars([], title="Nothing"),
    "trend_lines": lambda: trend_lines([], title="Nothing"),
    "trend_lines_no_points": lambda: trend_lines([Series("A", [])], title="Nothing"),
    "stacked_distribution": lambda: stacked_distribution([], labels=LEVELS, title="Nothing"),
    "heat_map": lambda: heat_map([], [], [], title="Nothing"),
}


@pytest.mark.parametrize("name", CHARTS)
def test_every_chart_is_accessible_responsive_and_free_of_inline_style(name):
    root = parse(CHARTS[name]("Tiếp cận dịch vụ", "Chỉ số hài lòng"))
    assert root.get("role") == "img"
    assert "width" in root.attrib and root.get("width") == "100%"
    assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.get("viewBox"))
    assert "height" not in root.attrib  # the viewBox's ratio sets it
    title_id, desc_id = root.get("aria-labelledby").split()
    ids = {el.get("id"): el for el in root.iter() if el.get("id")}
    assert ids[title_id].tag == f"{SVG}title" and ids[title_id].text == "Chỉ số hài lòng"
    assert ids[desc_id].tag == f"{SVG}desc" and ids[desc_id].text.strip()
    # Every url(#…) points at a pattern defined in this SVG.
    for el in root.iter():
        for ref in re.findall(r"url\(#([^)]+)\)", el.get("fill") or ""):
            assert ids[ref].tag == f"{SVG}pattern"
    # The CSP forbids inline styles and scripts.
    assert not [el for el in root.iter() if "style" in el.attrib]
    assert not [el for el in root.iter() if el.tag in (f"{SVG}style", f"{SVG}script")]
    # Vietnamese text survives as written (NFC, no entities).
    assert "Tiếp cận dịch vụ" in str(CHARTS[name]("Tiếp cận dịch vụ", "t"))
    # Every data mark carries its key and value.
    data_marks = [el for el in root.iter() if "data-value" in el.attrib
                  and classes(el) & {"mark", "point", "segment", "cell"}]
    assert data_marks and all(el.get("data-key") for el in data_marks)


@pytest.mark.parametrize("name", CHARTS)
def test_every_chart_escapes_labels_and_titles(name):
    markup = str(CHARTS[name](EVIL, EVIL))
    assert "<script>" not in markup
    root = parse(markup)  # still well-formed XML
    assert root.find(f"{SVG}title").text == EVIL
    texts = [text_of(el) for el in root.iter(f"{SVG}text")]
    labelled = [el.get(name) for el in root.iter() for name in ("data-key", "data-series")
                if el.get(name)]
    assert any(EVIL in t or t.startswith(EVIL[:10]) for t in texts)
    assert any(EVIL in (k or "") for k in labelled)


@pytest.mark.parametrize("name", EMPTY)
def test_every_chart_draws_no_data_for_empty_input(name):
    root = parse(EMPTY[name]())
    assert "chart-empty" in classes(root)
    assert root.get("role") == "img" and root.find(f"{SVG}title").text == "Nothing"
    assert text_of(one(root, "empty-message", "text")) == "No data"


def test_chart_ids_are_unique_per_render_unless_given():
    first = parse(element_bars([Bar("a", None)], title="t"))
    second = parse(element_bars([Bar("a", None)], title="t"))
    assert first.get("id") != second.get("id")
    ids_first = {el.get("id") for el in first.iter() if el.get("id")}
    ids_second = {el.get("id") for el in second.iter() if el.get("id")}
    assert not ids_first & ids_second
    given = parse(element_bars([Bar("a", 1.0)], title="t", chart_id="sipas-elements"))
    assert given.get("id") == "sipas-elements"
    assert given.get("aria-labelledby") == "sipas-elements-title sipas-elements-desc"
    with pytest.raises(ValueError, match="chart_id"):
        element_bars([Bar("a", 1.0)], title="t", chart_id='x" onload="alert(1)')


def test_bars_reject_bad_input():
    with pytest.raises(ValueError, match="bars: 'A' has low 9.0 above high 8.0"):
        element_bars([Bar("A", 8.5, 9.0, 8.0)], title="t")
    with pytest.raises(ValueError, match="bars: item 0 is tuple, not Bar"):
        ranking_bars([("A", 1.0)], title="t")
    with pytest.raises(ValueError, match="max_value"):
        element_bars([Bar("A", 1.0)], max_value=0, title="t")


# --------------------------------------------------------------------------- locale


def test_format_value_outside_a_request_is_english():
    assert format_value(85.34) == "85.3%"
    assert format_value(1234.5, unit=" days", decimals=0) == "1,234 days"  # half to even
    assert format_value(None) == "\u2013"
    assert format_value(float("nan")) == "\u2013"
    with pytest.raises(ValueError, match="decimals"):
        format_value(1.0, decimals=-1)


def test_charts_follow_the_page_language(app):
    bars = [Bar("A", 85.34)]
    with app.test_request_context():  # Vietnamese by default
        assert format_value(85.34) == "85,3%"
        label = text_of(one(parse(element_bars(bars, title="t")), "value-label", "text"))
        assert label == "85,3%"
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        label = text_of(one(parse(element_bars(bars, title="t")), "value-label", "text"))
        assert label == "85.3%"


def test_data_values_are_locale_independent(app):
    with app.test_request_context():
        mark = marks(parse(element_bars([Bar("A", 85.34)], title="t")))["A"]
    assert mark.get("data-value") == "85.34"
    assert not math.isnan(float(mark.get("data-value")))
