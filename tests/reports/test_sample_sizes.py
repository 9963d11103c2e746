"""Issue 15: items that do not apply ("không áp dụng") and true sample sizes, worked out by
hand. QĐ 1001/QĐ-BNV counts valid answers only (DOMAIN.md §2.1-2.2): a blank and a "not
applicable" answer are both outside an item's n and its index; the number of responses comes
from the responses themselves, never from the most-answered item."""

from __future__ import annotations

import importlib.util
import io
import re
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import delete, select, text

from core.extensions import db
from core.models import SettingValue
from reports.filters import ReportFilters
from reports.indices import sipas_report_for_unit
from surveys.models import RollupDayResponses, RollupMonthResponses
from surveys.month_rollups import refresh_month_rollups
from surveys.rollups import response_count_differences, rollup_differences
from tests.reports.sipas_helpers import at, rate

PAGE = "/quan-tri/bao-cao/"
XLSX = "/quan-tri/bao-cao/xuat.xlsx"
NA = 0  # the stored "không áp dụng"

# Four responses at the desk of Sở A in March 2026 (blank = the item is left out):
#            q9_24  q9_37  q9_38  q9_39  overall
#   r1         5      5      4      4
#   r2         4             2
#   r3                NA     NA     NA      4
#   r4         2      2             1
# Valid answers and satisfied (4 or 5):
#   q9_24: 5, 4, 2 → n 3, 2 satisfied → 200/3 %
#   q9_37: 5, 2    → n 2, 1 satisfied → 50 %, 1 not applicable (r3), 1 blank (r2)
#   q9_38: 4, 2    → n 2, 1 satisfied → 50 %, 1 not applicable
#   q9_39: 4, 1    → n 2, 1 satisfied → 50 %, 1 not applicable
#   II.A = q9_24 alone (its other items unanswered) = 200/3; II.E = (50 + 50 + 50) / 3 = 50
#   component II = (200/3 + 50) / 2 = 175/3; overall = component II = 175/3.
# Responses: 4. No item was answered by all four: the most-answered items have 3 answers
# (counting the "not applicable" ones), which is what the old estimate said.
ANSWERS = [
    {"q9_24": 5, "q9_37": 5, "q9_38": 4, "q9_39": 4},
    {"q9_24": 4, "q9_38": 2},
    {"q9_37": NA, "q9_38": NA, "q9_39": NA, "overall": 4},
    {"q9_24": 2, "q9_37": 2, "q9_39": 1},
]


def show_every_cell() -> None:
    """A minimum of one answer per figure from 1/1/2026 (written directly: the service
    refuses a date in the past), so the hand-worked figures are all shown."""
    db.session.add(SettingValue(key="sipas.min_cell_size", value=1,
                                effective_from=date(2026, 1, 1)))


@pytest.fixture
def four(org):
    show_every_cell()
    for answers in ANSWERS:
        rate(org, org.desk_a, answers, at(2026, 3, 10))
    db.session.commit()
    return org


def test_not_applicable_and_blank_are_outside_every_index(four):
    report = sipas_report_for_unit(four.province, ReportFilters(
        "2026-H1", four.province.id, None, None, False))
    items = report.current.items.set_index("item_code")
    assert items.loc["q9_37", ["n", "not_applicable", "invalid"]].tolist() == [2, 1, 0]
    assert items.loc["q9_37", "index"] == pytest.approx(50.0)
    assert items.loc["q9_38", ["n", "not_applicable"]].tolist() == [2, 1]
    assert items.loc["q9_39", ["n", "not_applicable"]].tolist() == [2, 1]
    assert items.loc["q9_24", ["n", "not_applicable"]].tolist() == [3, 0]
    assert items.loc["q9_24", "index"] == pytest.approx(200 / 3)
    elements = report.current.elements.set_index("element")
    assert elements.loc["II.E", "index"] == pytest.approx(50.0)
    assert elements.loc["II.E", "not_applicable"] == 3
    assert elements.loc["II.A", "index"] == pytest.approx(200 / 3)
    assert report.current.overall["index"].iloc[0] == pytest.approx(175 / 3)
    assert int(report.sample["responses"].sum()) == 4


def test_dashboard_shows_each_items_own_n_and_the_true_sample(client, login, four):
    login(client, four.analyst)
    html = client.get(PAGE, query_string={"period": "2026-H1"}).get_data(as_text=True)
    items = html[html.index('id="items-table"'):]
    items = items[:items.index("</table>")]
    row = re.search(r'<tr data-key="q9_37">(.*?)</tr>', items, re.S).group(1)
    cells = re.findall(r'<td class="num[^"]*"[^>]*>(.*?)</td>', row, re.S)
    # index, interval, n, mean score, target, 1…5, not applicable: q9_37 has a 5 and a 2,
    # and one "not applicable"
    assert cells[2].strip() == "2"
    assert [cell.strip() for cell in cells[-6:]] == ["0", "1", "0", "0", "1", "1"]
    sample = html[html.index('id="sample-table"'):]
    sample = sample[:sample.index("</table>")]
    total = re.search(r"<tfoot>.*?<td class=\"num\">(\d+)</td>", sample, re.S).group(1)
    assert total == "4"


def test_export_sample_table_and_item_counts(client, login, four):
    login(client, four.analyst)
    response = client.get(XLSX, query_string={"period": "2026-H1"})
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sample = list(book["Sample"].iter_rows(values_only=True))
    assert sample[0] == ("Unit", "Channel", "Checks", "Responses")
    assert sample[-1][0] == "Total" and sample[-1][-1] == 4
    rows = list(book["By item"].iter_rows(values_only=True))
    header = list(rows[0])
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert by_code["q9_37"]["Answers (n)"] == 2
    assert by_code["q9_37"]["Not applicable"] == 1
    assert by_code["q9_24"]["Answers (n)"] == 3
    assert by_code["q9_24"]["Not applicable"] == 0
    distribution = list(book["Answer distribution"].iter_rows(values_only=True))
    header = list(distribution[0])
    element_e = next(dict(zip(header, row, strict=True)) for row in distribution[1:]
                     if row[0] == "II.E")
    # II.E: the answers 5, 4, 4, 2, 2, 1 of q9_37-q9_39, and three "not applicable".
    assert element_e["Not applicable"] == 3 and element_e["Answers (n)"] == 6


def test_counts_match_a_recount_from_the_responses(four):
    assert rollup_differences() == []
    assert response_count_differences() == []


def month_sample_rows() -> list[tuple]:
    return sorted(tuple(row) for row in db.session.execute(
        select(RollupMonthResponses.__table__)))


def test_the_migration_counts_the_responses_of_an_upgraded_install(four):
    # Migration 0012 fills the response counts from the responses in SQL of its own (one per
    # dialect): run it on emptied tables and compare with the counts kept live.
    path = Path(__file__).parents[2] / "migrations/versions/0012_day_responses.py"
    spec = importlib.util.spec_from_file_location("migration_0012", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    refresh_month_rollups(full=True)
    live = month_sample_rows()
    db.session.execute(delete(RollupDayResponses))
    db.session.execute(delete(RollupMonthResponses))
    migration.fill_response_counts(lambda sql: db.session.execute(text(sql)),
                                   db.session.get_bind().dialect.name)
    assert response_count_differences() == []
    filled = month_sample_rows()
    assert filled == live and sum(row[-1] for row in filled) == 4


def test_sample_counts_every_response_whatever_it_answered(org):
    # 2,000 responses in the issue; the same rule on 7: each leaves some item blank, and no
    # item has more than 4 answers, yet there are 7 responses.
    show_every_cell()
    desk_items = ["q9_24", "q9_25", "q9_26", "q9_27", "q9_28", "q9_29", "q9_30"]
    for number in range(7):
        # response k rates items k, k+1, k+2, k+3 (mod 7): every item is answered 4 times
        answered = {desk_items[(number + step) % 7]: 5 for step in range(4)}
        rate(org, org.desk_a, answered, at(2026, 2, 3))
    db.session.commit()
    report = sipas_report_for_unit(org.province, ReportFilters(
        "2026-H1", org.province.id, None, None, False))
    assert report.current.items["n"].max() == 4
    assert int(report.sample["responses"].sum()) == 7
