"""The printable survey report: the seven sections in order, figures equal to the dashboard's
(and to hand-computed values), the sample with flagged counts, the comparison with the previous
period and its significance, the generated recommendations with the catalogue tasks, print
CSS, and the same filters (400) and rights (403) as the dashboard."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from analysis.intervals import two_proportion_test
from core.extensions import db
from core.models import Role
from reports.models import ImprovementTask
from reports.plan_catalogue import load_shipped_catalogue
from tests.reports.sipas_helpers import ELEMENT_ITEMS, at, rate

URL = "/quan-tri/bao-cao/bao-cao-khao-sat"
DASHBOARD = "/quan-tri/bao-cao/"
SECTIONS = ["section-method", "section-sample", "section-results", "section-comparison",
            "section-ranking", "section-pakn", "section-recommendations"]




@pytest.fixture
def current(org):
    # 2026-H1: Sở A six responses 5, 5, 4, 3, 2, 1 (50%), Sở B five 5s (100%), so the
    # province has 8 of 11 = 72.73% for every item and element; two flagged 1s at Sở B.
    for value in (5, 5, 4, 3, 2, 1):
        rate(org, org.desk_a, value, at(2026, 3, 10))
    for _ in range(5):
        rate(org, org.dept_b, 5, at(2026, 4, 2))
    for _ in range(2):
        rate(org, org.dept_b, 1, at(2026, 4, 3), reasons=("too_fast",))
    db.session.commit()
    return org


@pytest.fixture
def rated(current):
    # And 2025-H2 (the previous half): Sở B, twenty responses all 5 → 100%.
    for _ in range(20):
        rate(current, current.dept_b, 5, at(2025, 10, 1))
    db.session.commit()
    return current


def _values(html: str, table: str) -> dict[str, str]:
    section = html[html.index(f'id="{table}"'):]
    section = section[:section.index("</table>")]
    values = {}
    for match in re.finditer(r'<tr data-key="([^"]+)"[^>]*>(.*?)</tr>', section, re.S):
        values[match.group(1)] = re.findall(r'data-value="([^"]*)"', match.group(2))
    return values


def _section(html: str, name: str) -> str:
    start = html.index(f'id="{name}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_sections_in_order_with_the_dashboards_figures(client, login, current):
    rated = current  # no previous period here: see the comparison test
    login(client, rated.analyst)
    query = {"period": "2026-H1"}
    response = client.get(URL, query_string=query)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    positions = [html.index(f'id="{name}"') for name in SECTIONS]
    assert positions == sorted(positions)
    assert "reports-print.css" in html

    dashboard = client.get(DASHBOARD, query_string=query).get_data(as_text=True)
    for table in ("elements-table", "items-table", "units-table"):
        assert _values(html, table) == _values(dashboard, table)
    # 800/11 with six decimals.
    assert _values(html, "elements-table")["II.A"][0] == "72.727273"
    # The charts of the dashboard are in the report.
    assert _section(html, "section-results").count("<svg") == 2   # elements, distribution
    assert "<svg" in _section(html, "section-comparison")          # trend
    assert _section(html, "section-ranking").count("<svg") == 2   # ranking, heat map


def test_method_section_names_the_questionnaire_and_the_rules(client, login, rated):
    login(client, rated.analyst)
    html = client.get(URL, query_string={"period": "2026-H1"}).get_data(as_text=True)
    method = _section(html, "section-method")
    version = rated.version
    assert version.instrument.name_vi in method
    assert "11 responses" in method  # the two flagged ones are left out
    assert "fewer than 5 answers" in method
    assert "left out of the figures: 2 in this period" in method
    assert "2025-H2" in html[:html.index('id="section-method"')]


def test_sample_by_unit_and_channel_counts_flagged_responses(client, login, rated):
    login(client, rated.analyst)
    html = client.get(URL, query_string={"period": "2026-H1"}).get_data(as_text=True)
    sample = html[html.index('id="sample-by-channel"'):]
    sample = sample[:sample.index("</table>")]
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td class=\"num\">(\d+)</td>"
                      r"<td class=\"num\">(\d+)</td><td class=\"num\">(\d+)</td></tr>", sample)
    assert rows == [("Sở A", "Online link", "6", "0", "6"),
                    ("Sở B", "Online link", "5", "2", "7")]
    assert '<td class="num">11</td><td class="num">2</td><td class="num">13</td>' in sample


def test_comparison_with_the_previous_period_marks_significance(client, login, rated):
    login(client, rated.analyst)
    html = client.get(URL, query_string={"period": "2026-H1"}).get_data(as_text=True)
    table = _values(html, "comparison-table")
    assert table["II.A"] == ["72.727273", "100.000000"]
    # Independent check of the test: 8/11 against 20/20 answers per item (n_eff = 11 and 20).
    _z, p_value = two_proportion_test(8.0, 11.0, 20.0, 20.0)
    assert float(p_value) < 0.05
    row = html[html.index('id="comparison-table"'):]
    row = row[row.index('data-key="II.A"'):]
    row = row[:row.index("</tr>")]
    assert "−27.3" in row and 'class="sig"' in row


def test_recommendations_list_gaps_falls_and_catalogue_tasks(client, login, make_unit,
                                                             rated):
    load_shipped_catalogue()
    own = ImprovementTask(element="II.A", position=1, task_vi="Nhiệm vụ riêng của tỉnh",
                          owner_unit_id=rated.province.id)
    other = ImprovementTask(element="II.A", position=1, task_vi="Nhiệm vụ của Sở B",
                            owner_unit_id=rated.dept_b.id)
    retired = ImprovementTask(element="II.A", position=2, task_vi="Nhiệm vụ đã bỏ",
                              owner_unit_id=rated.province.id, active=False)
    db.session.add_all([own, other, retired])
    db.session.commit()
    login(client, rated.analyst)
    html = client.get(URL, query_string={"period": "2026-H1"}).get_data(as_text=True)
    section = _section(html, "section-recommendations")
    found = re.findall(r'data-element="([^"]+)"', section)
    assert found == list(ELEMENT_ITEMS)  # every element is under 85% and fell
    block = section[section.index('data-element="II.A"'):section.index('data-element="II.B"')]
    # 72.7% against 85%: 12.3 points short, 33 answers; fell 27.3 points (see above).
    assert "72.7% satisfied against a target of 85%: 12.3 points short (n = 33 answers)." \
        in block
    assert "Fell by 27.3 points against 2025-H2" in block
    assert "Nhiệm vụ riêng của tỉnh" in block
    assert "Nhiệm vụ của Sở B" not in block  # another agency's own task
    assert "Nhiệm vụ đã bỏ" not in block      # inactive
    shipped = db.session.scalars(db.select(ImprovementTask).where(
        ImprovementTask.element == "II.A", ImprovementTask.owner_unit_id.is_(None))).all()
    assert shipped and all(str(escape(task.task_vi)) in block for task in shipped)
    # The same task text (shipped by two plans) is listed once.
    assert block.count("<tr><td>") == len({" ".join(t.task_vi.casefold().split())
                                           for t in shipped}) + 1


def test_no_recommendation_when_every_element_meets_its_target(client, login, org):
    for _ in range(6):
        rate(org, org.dept_b, 5, at(2026, 4, 2))
    db.session.commit()
    login(client, org.analyst)
    html = client.get(URL, query_string={"period": "2026-H1"}).get_data(as_text=True)
    assert 'id="no-recommendations"' in html


def test_a_period_without_data_still_prints(client, login, rated):
    login(client, rated.analyst)
    response = client.get(URL, query_string={"period": "2024"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="no-data"' in html and 'id="section-pakn"' in html


def test_vietnamese_report_uses_the_decimal_comma(client_vi, login, rated):
    login(client_vi, rated.analyst)
    html = client_vi.get(URL, query_string={"period": "2026-H1"}).get_data(as_text=True)
    assert "72,7" in _section(html, "section-results")


@pytest.mark.parametrize("query", [{"bogus": "1"}, {"period": "2026-H3"}, {"channel": "fax"},
                                   {"unit": "abc"}, {"table": "units"}])
def test_bad_filters_answer_400(client, login, rated, query):
    login(client, rated.analyst)
    response = client.get(URL, query_string=query)
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)


def test_a_leader_sees_only_their_subtree(client, login, make_user, rated):
    leader = make_user(Role.APPROVER, rated.dept_a, username="lanhdao.soa")
    login(client, leader)
    html = client.get(URL, query_string={"period": "2026-H1"}).get_data(as_text=True)
    assert _values(html, "elements-table")["II.A"][0] == "50.000000"
    assert client.get(URL, query_string={"unit": rated.dept_b.id}).status_code == 400


def test_users_without_report_rights_get_403(client, login, make_user, rated):
    nobody = make_user(Role.PAKN_OFFICER, rated.province, username="pakn")
    login(client, nobody)
    assert client.get(URL).status_code == 403
