"""Dashboard exports: the XLSX workbook cell by cell against the dashboard page's own figures
(its data-value attributes) and hand-computed values, hidden figures as text (never 0), a unit
name starting with "=" kept as text, the CSV (BOM, parsed back with the csv module), the
filters (400), rights (403), unknown formats (404) and the audit entry."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from sqlalchemy import select

from core.clock import today
from core.extensions import db
from core.models import AuditEntry, Role
from core.settings import set_setting
from core.spreadsheets import UTF8_BOM
from tests.reports.sipas_helpers import ELEMENT_ITEMS, at, rate

PAGE = "/quan-tri/bao-cao/"
XLSX = "/quan-tri/bao-cao/xuat.xlsx"
CSV = "/quan-tri/bao-cao/xuat.csv"
ELEMENTS = list(ELEMENT_ITEMS)
# 8 satisfied answers of 11 for every item (3 of Sở A's six, all five of Sở B's), so every
# item, element and the overall index is 800/11 = 72.7272…% (see ``rated``).
PROVINCE_INDEX = 800 / 11






def _page_values(html: str, table: str) -> dict[str, str]:
    """data-key → the first data-value of that row in table ``table`` of the page."""
    section = html[html.index(f'id="{table}"'):]
    section = section[:section.index("</table>")]
    values = {}
    for match in re.finditer(r'<tr data-key="([^"]+)"[^>]*>(.*?)</tr>', section, re.S):
        cell = re.search(r'data-value="([^"]*)"', match.group(2))
        values[match.group(1)] = cell.group(1) if cell else None
    return values


def _workbook(response) -> openpyxl.Workbook:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return openpyxl.load_workbook(io.BytesIO(response.data))


def _records(sheet) -> tuple[list[str], list[list[object]]]:
    rows = list(sheet.iter_rows(values_only=True))
    return list(rows[0]), [list(row) for row in rows[1:]]


def test_workbook_matches_the_dashboard_cell_by_cell(client, login, rated):
    login(client, rated.analyst)
    query = {"period": "2026-H1"}
    html = client.get(PAGE, query_string=query).get_data(as_text=True)
    response = client.get(XLSX, query_string=query)
    assert response.mimetype == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="sipas-TINH-2026-H1.xlsx"' in response.headers["Content-Disposition"]
    book = _workbook(response)
    assert book.sheetnames == ["Summary", "By element", "By item", "Unit ranking",
                               "Units × elements", "Trend", "Answer distribution", "Sample",
                               "Targets missed", "PAKN"]

    sheet = book["By element"]
    header, rows = _records(sheet)
    page = _page_values(html, "elements-table")
    assert [row[0] for row in rows] == ELEMENTS
    index_col = header.index("Index (%)")
    for row_number, row in enumerate(rows, start=2):
        # The cell keeps the unrounded value; the page's data-value has six decimals.
        assert row[index_col] == pytest.approx(PROVINCE_INDEX, abs=1e-12)
        assert row[index_col] == pytest.approx(float(page[row[0]]), abs=5e-7)
        cell = sheet.cell(row=row_number, column=index_col + 1)
        assert cell.number_format == "0.0" and cell.data_type == "n"
        # n = valid answers: 11 per item.
        assert row[header.index("Answers (n)")] == 11 * len(ELEMENT_ITEMS[row[0]])
        assert row[header.index("Target (%)")] == 85
        assert row[header.index("Below target")] is True
        assert row[header.index("Gap (points)")] == pytest.approx(85 - PROVINCE_INDEX)
    # II.B has four items, 11 answers each; II.A three.
    # Header: bold, frozen.
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width >= 8

    units_header, units = _records(book["Unit ranking"])
    page_units = _page_values(html, "units-table")
    assert [row[units_header.index("Unit")] for row in units] == ["Sở B", "Sở A"]
    for row in units:
        key = str({"SO-B": rated.dept_b.id, "SO-A": rated.dept_a.id}[
            row[units_header.index("Unit code")]])
        assert row[units_header.index("Index (%)")] == pytest.approx(float(page_units[key]),
                                                                      abs=5e-7)
    assert units[0][units_header.index("Rank")] == 1
    assert units[1][units_header.index("Gap (points)")] == pytest.approx(35.0)

    heat_header, heat = _records(book["Units × elements"])
    assert heat_header[2:] == ELEMENTS
    assert heat[1][2:] == [pytest.approx(50.0)] * 5

    trend_header, trend = _records(book["Trend"])
    assert trend_header[-1] == "2026-H1" and trend[0][0] == "SIPAS index"
    assert trend[0][-1] == pytest.approx(float(_page_values(html, "trend-table")["overall"]))

    dist_header, dist = _records(book["Answer distribution"])
    # II.A: three items × (5, 5, 4, 3, 2, 1 and five 5s) → level 5: 3 × 7 = 21, level 1: 3;
    # no answer "not applicable" (issue 15: its own column, before n).
    assert dist_header[7] == "Not applicable"
    assert dist[0][2:9] == [3, 3, 3, 3, 21, 0, 33]

    items_header, items = _records(book["By item"])
    assert items[0][:3] == ["q9_24", items[0][1], "II.A"]
    assert items[0][items_header.index("Index (%)")] == pytest.approx(PROVINCE_INDEX)
    assert items_header[-1] == "Not applicable"
    assert items[0][-6:] == [1, 1, 1, 1, 7, 0]

    sample_header, sample = _records(book["Sample"])
    assert sample[-1][0] == "Total" and sample[-1][-1] == 11

    gaps_header, gaps = _records(book["Targets missed"])
    assert len(gaps) == 5 + 1  # five elements and Sở A
    assert max(row[-1] for row in gaps) == pytest.approx(35.0)

    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)}
    assert summary["Period"] == "2026-H1" and summary["Unit code"] == "TINH"
    assert summary["Compared with"] == "2025-H2"
    assert summary["Minimum answers for a figure"] == 5
    assert summary["Responses flagged for review"] == "Left out"
    pakn = {row[0]: row[1] for row in book["PAKN"].iter_rows(values_only=True)}
    assert pakn["Received"] == 0


def test_hidden_figures_are_text_never_zero(client, login, org):
    for value in (5, 5, 4):  # three responses: below the minimum of 5
        rate(org, org.dept_b, value, at(2026, 5, 5))
    db.session.commit()
    login(client, org.analyst)
    book = _workbook(client.get(XLSX, query_string={"period": "2026-H1"}))
    sheet = book["By element"]
    header, rows = _records(sheet)
    for row_number, row in enumerate(rows, start=2):
        cell = sheet.cell(row=row_number, column=header.index("Index (%)") + 1)
        assert cell.value == "n < 5" and cell.data_type == "s"
        assert row[header.index("95% CI, low")] is None
        assert row[header.index("Mean score")] is None
        assert row[header.index("Answers (n)")] > 0  # n stays visible
    _header, dist = _records(book["Answer distribution"])
    assert all(value is None for value in dist[0][2:7])  # the counts would reveal the index
    heat_header, heat = _records(book["Units × elements"])
    assert "n < 5" in heat[0]
    assert 0 not in [value for row in heat for value in row[2:]]


def test_hidden_text_carries_the_minimum_in_force(client, login, org):
    # A minimum of 10 from today on: the current year's figures read it (on its last day).
    day = today()
    set_setting("sipas.min_cell_size", 10, effective_from=day)
    for _ in range(6):
        rate(org, org.dept_b, 5, at(day.year, 1, 15))
    db.session.commit()
    login(client, org.analyst)
    book = _workbook(client.get(XLSX, query_string={"period": str(day.year)}))
    assert book["By element"]["C2"].value == "n < 10"
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)}
    assert summary["Minimum answers for a figure"] == 10


def test_a_formula_in_a_unit_name_stays_text(client, login, make_unit, rated):
    evil = make_unit("EVIL", parent=rated.province, name_vi="=HYPERLINK(\"http://x\",\"a\")")
    for _ in range(5):
        rate(rated, evil, 4, at(2026, 4, 3))
    db.session.commit()
    login(client, rated.analyst)
    book = _workbook(client.get(XLSX, query_string={"period": "2026-H1"}))
    sheet = book["Unit ranking"]
    header, rows = _records(sheet)
    names = [row[header.index("Unit")] for row in rows]
    assert "'=HYPERLINK(\"http://x\",\"a\")" in names
    for row in sheet.iter_rows(min_row=2):
        assert row[header.index("Unit")].data_type == "s"
    sample = [row[0] for row in book["Sample"].iter_rows(values_only=True)]
    assert "'=HYPERLINK(\"http://x\",\"a\")" in sample

    text = client.get(CSV, query_string={"period": "2026-H1", "table": "units"}).data
    parsed = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert any(row[2] == "'=HYPERLINK(\"http://x\",\"a\")" for row in parsed[1:])


def test_csv_has_a_bom_and_parses_back(client, login, rated):
    login(client, rated.analyst)
    html = client.get(PAGE, query_string={"period": "2026-H1"}).get_data(as_text=True)
    response = client.get(CSV, query_string={"period": "2026-H1"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="sipas-TINH-2026-H1-elements.csv"' in \
        response.headers["Content-Disposition"]
    assert response.data.startswith(UTF8_BOM.encode("utf-8"))
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8")[1:])))
    header = rows[0]
    assert header[:3] == ["Code", "Element", "Index (%)"]
    page = _page_values(html, "elements-table")
    assert [row[0] for row in rows[1:]] == ELEMENTS
    for row in rows[1:]:
        # Full precision with a dot decimal: 72.72727272727273, not 72.7 nor 72,7.
        assert row[2] == repr(PROVINCE_INDEX)
        assert float(row[2]) == pytest.approx(float(page[row[0]]), abs=5e-7)
        assert row[header.index("Below target")] == "true"

    units = list(csv.reader(io.StringIO(client.get(CSV, query_string={
        "period": "2026-H1", "table": "units"}).data.decode("utf-8-sig"))))
    assert [row[2] for row in units[1:]] == ["Sở B", "Sở A"]
    assert [row[3] for row in units[1:]] == ["100", "50"]

    sample = list(csv.reader(io.StringIO(client.get(CSV, query_string={
        "period": "2026-H1", "table": "sample"}).data.decode("utf-8-sig"))))
    assert sample[0] == ["Unit", "Channel", "Checks", "Responses"]
    assert "Total" not in [row[0] for row in sample]  # data rows only
    assert sum(int(row[3]) for row in sample[1:]) == 11


@pytest.mark.parametrize("table", ["elements", "items", "units", "heat", "trend",
                                   "distribution", "sample", "gaps"])
def test_every_csv_table_is_served(client, login, rated, table):
    login(client, rated.analyst)
    response = client.get(CSV, query_string={"period": "2026-H1", "table": table})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) >= 2 and rows[0]


def test_hidden_figure_in_csv_is_text(client, login, org):
    for value in (5, 4):
        rate(org, org.dept_b, value, at(2026, 5, 5))
    db.session.commit()
    login(client, org.analyst)
    rows = list(csv.reader(io.StringIO(client.get(CSV, query_string={
        "period": "2026-H1", "table": "distribution"}).data.decode("utf-8-sig"))))
    # The counts of a hidden cell are blank; "not applicable" (0 here) is outside the index.
    assert rows[1][2:7] == ["", "", "", "", ""] and rows[1][7:9] == ["0", "6"]
    elements = list(csv.reader(io.StringIO(client.get(CSV, query_string={
        "period": "2026-H1"}).data.decode("utf-8-sig"))))
    assert elements[1][2] == "n < 5"


@pytest.mark.parametrize("query", [
    {"bogus": "1"}, {"period": "2026-H3"}, {"channel": "fax"}, {"flagged": "maybe"},
    {"campaign": "999"}, {"unit": "abc"}, {"table": "secrets"},
    [("table", "units"), ("table", "items")]])
def test_bad_filters_answer_400_as_text(client, login, rated, query):
    login(client, rated.analyst)
    for url in (XLSX, CSV):
        response = client.get(url, query_string=query)
        assert response.status_code == 400
        assert response.mimetype == "text/plain"
        assert response.get_data(as_text=True)


def test_a_unit_out_of_scope_is_refused(client, login, make_user, rated):
    leader = make_user(Role.APPROVER, rated.dept_a, username="lanhdao.soa")
    login(client, leader)
    assert client.get(XLSX, query_string={"period": "2026-H1",
                                          "unit": rated.dept_b.id}).status_code == 400
    book = _workbook(client.get(XLSX, query_string={"period": "2026-H1"}))
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)}
    assert summary["Unit code"] == "SO-A"
    header, rows = _records(book["By element"])
    assert rows[0][header.index("Index (%)")] == pytest.approx(50.0)


def test_users_without_report_rights_get_403(client, login, make_user, rated):
    nobody = make_user(Role.DESK_STAFF, rated.desk_a, username="motcua")
    login(client, nobody)
    assert client.get(XLSX).status_code == 403
    assert client.get(CSV).status_code == 403


def test_unknown_format_is_404(client, login, rated):
    login(client, rated.analyst)
    assert client.get("/quan-tri/bao-cao/xuat.pdf").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, rated):
    response = client.get(XLSX)
    assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]


def test_each_export_is_audited(client, login, rated):
    login(client, rated.analyst)
    client.get(CSV, query_string={"period": "2026-H1", "table": "units"})
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "reports.export")).one()
    assert entry.actor_user_id == rated.analyst.id
    assert entry.unit_id == rated.province.id
    assert entry.after["format"] == "csv" and entry.after["table"] == "units"
    assert entry.after["period"] == "2026-H1"


def test_vietnamese_workbook_keeps_numbers_as_numbers(client_vi, login, rated):
    login(client_vi, rated.analyst)
    book = _workbook(client_vi.get(XLSX, query_string={"period": "2026-H1"}))
    sheet = book.worksheets[1]
    assert sheet["C2"].value == pytest.approx(PROVINCE_INDEX)
    assert sheet["C2"].number_format == "0.0"
