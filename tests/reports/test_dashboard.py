"""The SIPAS dashboard: figures against hand-computed values, the chart against its table,
suppression, flagged responses, filters (400 on anything unknown), scope and the no-data
state."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from core.extensions import db
from core.models import Role
from tests.reports.sipas_helpers import at, rate

URL = "/quan-tri/bao-cao/"






def _cell(html: str, table: str, key: str) -> str:
    """The first data-value of the row ``key`` in table ``table``."""
    section = html[html.index(f'id="{table}"'):]
    section = section[:section.index("</table>")]
    row = section[section.index(f'data-key="{key}"'):]
    return re.search(r'data-value="([^"]*)"', row).group(1)


def test_dashboard_figures_match_hand_computed_values(client, login, rated):
    login(client, rated.analyst)
    response = client.get(URL, query_string={"period": "2026-H1"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # 8/11 = 0.727272… → 72.727273 with six decimals.
    assert _cell(html, "elements-table", "II.A") == "72.727273"
    assert _cell(html, "elements-table", "II.E") == "72.727273"
    assert _cell(html, "units-table", str(rated.dept_b.id)) == "100.000000"
    assert _cell(html, "units-table", str(rated.dept_a.id)) == "50.000000"
    # Sở A is below the 85% target by 35 points; Sở B ranks first.
    units = html[html.index('id="units-table"'):]
    assert units.index("Sở B") < units.index("Sở A")
    assert "<td class=\"num\">35.0</td>" in units[units.index("Sở A"):units.index(
        "</tr>", units.index("Sở A"))]


def test_vietnamese_page_uses_the_decimal_comma(client_vi, login, rated):
    login(client_vi, rated.analyst)
    html = client_vi.get(URL, query_string={"period": "2026-H1"}).get_data(as_text=True)
    assert "Chỉ số SIPAS" in html
    units = html[html.index('id="units-table"'):]
    assert "<td class=\"num\">35,0</td>" in units


def test_element_chart_agrees_with_its_table(client, login, rated):
    login(client, rated.analyst)
    html = client.get(URL, query_string={"period": "2026-H1"}).get_data(as_text=True)
    section = html[html.index('id="elements"'):html.index('id="elements-table"')]
    svg = section[section.index("<svg"):section.index("</svg>") + 6]
    root = ET.fromstring(svg)
    marks = {node.get("data-key"): node.get("data-value")
             for node in root.iter() if node.get("data-key") and node.get("data-value")}
    assert set(marks) >= {"II.A", "II.B", "II.C", "II.D", "II.E"}
    for key in ("II.A", "II.B", "II.C", "II.D", "II.E"):
        assert float(marks[key]) == pytest.approx(float(_cell(html, "elements-table", key)))


def test_small_groups_are_hidden_not_zero(client, login, org):
    for value in (5, 5, 4):
        rate(org, org.dept_b, value, at(2026, 5, 5))
    db.session.commit()
    login(client, org.analyst)
    html = client.get(URL, query_string={"period": "2026-H1"}).get_data(as_text=True)
    assert _cell(html, "elements-table", "II.A") == ""
    assert "n&nbsp;&lt;&nbsp;5" in html
    assert 'id="suppression-note"' in html
    # The distribution chart says why a row is empty instead of drawing empty bars at n = 0.
    svg = re.search(r'<svg[^>]*class="chart chart-distribution".*?</svg>', html, re.S)
    rows = [g for g in ET.fromstring(svg.group(0)).iter("{http://www.w3.org/2000/svg}g")
            if (g.get("class") or "").startswith("row")]
    assert rows and all(g.get("class") == "row hidden" for g in rows)  # every element hidden
    notes = {"".join(t.itertext()) for g in rows for t in g.iter()
             if t.get("class") == "note"}
    assert notes == {"fewer than 5 answers"}
    assert "n = 0" not in svg.group(0) and 'class="segment"' not in svg.group(0)


def test_flagged_responses_are_left_out_by_default_but_counted_in_the_sample(
        client, login, rated):
    for _ in range(5):
        rate(rated, rated.dept_b, 1, at(2026, 4, 3), reasons=("too_fast",))
    db.session.commit()
    login(client, rated.analyst)
    left_out = client.get(URL, query_string={"period": "2026-H1"}).get_data(as_text=True)
    assert _cell(left_out, "units-table", str(rated.dept_b.id)) == "100.000000"
    assert 'id="flagged-note"' in left_out
    sample = left_out[left_out.index('id="sample-table"'):]
    assert "Flagged for review" in sample
    included = client.get(URL, query_string={"period": "2026-H1", "flagged": "include"})
    # Sở B: 5 satisfied of 10 once the five flagged 1s count.
    assert _cell(included.get_data(as_text=True), "units-table",
                 str(rated.dept_b.id)) == "50.000000"


def test_trend_by_month(client, login, rated):
    login(client, rated.analyst)
    html = client.get(URL, query_string={"period": "2026-04"}).get_data(as_text=True)
    trend = html[html.index('id="trend-table"'):]
    assert "2026-03" in trend and "2026-04" in trend
    # March: Sở A only (50%); April: Sở B only (100%).
    row = trend[trend.index('data-key="overall"'):trend.index("</tr>",
                                                             trend.index('data-key="overall"'))]
    values = re.findall(r'data-value="([^"]*)"', row)
    assert values[-2:] == ["50.000000", "100.000000"]


@pytest.mark.parametrize("query", [
    {"bogus": "1"}, {"period": "2026-H3"}, {"period": "nam-ngoai"}, {"channel": "fax"},
    {"flagged": "maybe"}, {"campaign": "999"}, {"unit": "abc"}])
def test_bad_filters_answer_400(client, login, rated, query):
    login(client, rated.analyst)
    response = client.get(URL, query_string=query)
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)


def test_empty_selection_shows_no_data(client, login, rated):
    login(client, rated.analyst)
    response = client.get(URL, query_string={"period": "2024"})
    assert response.status_code == 200
    assert 'id="no-data"' in response.get_data(as_text=True)


def test_a_units_leader_sees_only_its_subtree(client, login, make_user, rated):
    staff = make_user(Role.APPROVER, rated.dept_a, username="lanhdao.soa")
    login(client, staff)
    html = client.get(URL, query_string={"period": "2026-H1"}).get_data(as_text=True)
    assert "Sở A" in html and "Sở B" not in html
    assert _cell(html, "elements-table", "II.A") == "50.000000"
    outside = client.get(URL, query_string={"period": "2026-H1", "unit": rated.dept_b.id})
    assert outside.status_code == 400


def test_users_without_report_rights_are_refused(client, login, make_user, rated):
    nobody = make_user(None, None, username="khongquyen")
    login(client, nobody)
    assert client.get(URL).status_code == 403


def test_pakn_headline_figures_are_the_total_rows_not_sums(monkeypatch, org):
    """The KPI tables end with a "total" row; summing every row counted each case twice."""
    from datetime import date
    from types import SimpleNamespace

    import pandas as pd

    from analysis.pakn_kpis import PaknKpis
    from reports import dashboard

    # By hand: 6 answered cases with a deadline (2 on time), 3 transferred (1 on time), so 9
    # with a deadline and 3 on time; 4 open cases, 1 of them overdue.
    kpis = PaknKpis(
        as_of=pd.Timestamp("2026-07-01", tz="UTC"), day_unit="working_days", min_count=1,
        received=pd.DataFrame({"dimension": ["kind", "kind"], "key": ["phan_anh", "kien_nghi"],
                               "cases": [7, 3]}),
        handling=pd.DataFrame({"outcome": ["answered", "transferred", "total"],
                               "cases": [6, 3, 9], "timed": [6, 3, 9], "on_time": [2, 1, 3],
                               "late": [4, 2, 6], "on_time_share": [2 / 6, 1 / 3, 3 / 9]}),
        backlog=pd.DataFrame({"age_bucket": ["0-5", ">20", "total"], "open_cases": [3, 1, 4],
                              "overdue": [0, 1, 1]}),
        medians={"all": pd.DataFrame({"median_days": [4.0]})})
    monkeypatch.setattr(dashboard, "pakn_kpis", lambda *args, **kwargs: kpis)
    report = SimpleNamespace(root=org.province, filters=SimpleNamespace(
        first_day=date(2026, 1, 1), last_day=date(2026, 6, 30)))
    panel = dashboard._pakn_panel(org.analyst, report)
    assert (panel.received, panel.answered, panel.timed, panel.on_time, panel.late) == (
        10, 6, 9, 3, 6)
    assert (panel.open_cases, panel.overdue) == (4, 1)
    assert panel.on_time_share == pytest.approx(100 * 3 / 9)
    assert panel.backlog[-1] == ("Tổng", 4, 1)  # the label in the default language


def test_the_effective_sample_size_is_explained_beside_the_element_figures(client, login,
                                                                           rated):
    login(client, rated.analyst)
    html = client.get(URL, query_string={"period": "2026-H1"}).get_data(as_text=True)
    elements = html[html.index('id="elements"'):html.index('id="trend"')]
    assert 'id="effective-n-note"' in elements
    assert "effective number of answers (about the number of respondents)" in elements
