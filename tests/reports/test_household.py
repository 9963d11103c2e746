"""The household survey page: Q5/Q6 shares, Q1 interest and Q10 expectations against
hand-computed values, charts against their tables, the SIPAS index by respondent group with
small groups hidden, filters (400), rights (403) and the no-data state."""

from __future__ import annotations

from datetime import date

import pytest
from statsmodels.stats.proportion import proportion_confint

from core.extensions import db
from core.models import Role
from surveys.models import Campaign, CampaignUnit
from tests.reports.household_helpers import (
    answer_household,
    chart_values,
    household_version,
    row_html,
    table_values,
)
from tests.reports.sipas_helpers import at

URL = "/quan-tri/bao-cao/ho-gia-dinh/"
H1 = {"period": "2026-H1"}

# Twelve respondents at Sở A's desk in March 2026 (one column per respondent):
Q9 = [5, 5, 4, 3, 2, 5, 5, 5, 5, 1, 5, 1]           # every Q9 item rated this
AGE = [2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 1, 1]           # 25–34 ×5, 35–49 ×5, 18–24 ×2
Q5 = [1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3]            # none 8, some 3, many 1
Q6 = [1] * 11 + [None]                               # none 11 of 11 (one blank)
Q1_1 = [4, 4, 4, 3, 3, 2, 2, 1, 1, 1, None, None]    # 3–4: 5 of 10
Q1_2 = [4] * 12                                      # 12 of 12
Q10_1 = [4, 4, 3] + [None] * 9                       # 3 answers: below the minimum of 5
Q10_2 = [3] * 9 + [1] * 3                            # 3–4: 9 of 12
SEX = [1] * 6 + [2] * 4 + [None] * 2                 # male 6, female 4 (< 5)
EDUCATION = [5] * 12                                 # one group only
ETHNICITY = [1] * 10 + [2] * 2                       # Kinh 10, other 2 (< 5)


def _pct(x: float) -> str:
    """A share as the page's data-value writes it: percent with six decimals."""
    return f"{100 * x:.6f}"


def _wilson(successes: int, n: int) -> tuple[float, float]:
    """Reference interval from statsmodels (a second implementation of Wilson 1927)."""
    low, high = proportion_confint(successes, n, alpha=0.05, method="wilson")
    return 100 * low, 100 * high




@pytest.fixture
def surveyed(org):
    for i in range(12):
        answer_household(
            org.desk_a, at(2026, 3, 10), q9=Q9[i], q5=Q5[i], q6=Q6[i], q1_1=Q1_1[i],
            q1_2=Q1_2[i], q10_1=Q10_1[i], q10_2=Q10_2[i],
            demographics={"a_age": AGE[i], "a_sex": SEX[i], "a_education": EDUCATION[i],
                          "a_ethnicity": ETHNICITY[i]})
    db.session.commit()
    return org


def _page(client, login, org, **query) -> str:
    login(client, org.analyst)
    response = client.get(URL, query_string={**H1, **query})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_harassment_and_payment_shares_match_hand_computed_values(client, login, surveyed):
    html = _page(client, login, surveyed)
    # Q5: 8, 3 and 1 of 12 → 66.67%, 25%, 8.33%.
    assert table_values(html, "table-q5") == {
        "q5:1": _pct(8 / 12), "q5:2": _pct(3 / 12), "q5:3": _pct(1 / 12)}
    assert "n = 12" in html[html.index('id="table-q5"'):]
    # Interval of 8/12 from statsmodels: 39.06–86.19 (one decimal on the page).
    low, high = _wilson(8, 12)
    row = row_html(html, "table-q5", "q5:1")
    assert f"{low:.1f}–{high:.1f}" in row
    assert (round(low, 1), round(high, 1)) == (39.1, 86.2)
    # Q6: one blank is not an answer → 11 of 11 "none" = 100%, interval up to exactly 100.
    assert table_values(html, "table-q6") == {"q6:1": _pct(1), "q6:2": _pct(0),
                                              "q6:3": _pct(0)}
    assert f"{_wilson(11, 11)[0]:.1f}–100.0" in row_html(html, "table-q6", "q6:1")


def test_share_charts_agree_with_their_tables(client, login, surveyed):
    html = _page(client, login, surveyed)
    for code, end in (("q5", 'id="table-q5"'), ("q6", 'id="table-q6"')):
        marks = chart_values(html, f'id="{code}"', end)
        table = table_values(html, f"table-{code}")
        assert set(marks) == set(table)
        for key, value in table.items():
            assert float(marks[key]) == pytest.approx(float(value))


def test_interest_and_expectation_indices(client, login, surveyed):
    html = _page(client, login, surveyed)
    interest = table_values(html, "table-q1")
    # q1_1: answers 3–4 are 5 of the 10 given → 50%; mean (3·4 + 2·3 + 2·2 + 3·1)/10 = 2.5.
    assert interest["q1_1"] == _pct(5 / 10)
    assert interest["q1_2"] == _pct(1)
    assert "2.50" in row_html(html, "table-q1", "q1_1")
    # Highest share first, the policies nobody rated after them (hidden, never 0).
    assert list(interest)[:2] == ["q1_2", "q1_1"]
    assert interest["q1_3"] == ""
    expectation = table_values(html, "table-q10")
    # q10_2: 9 of 12 → 75%; mean (9·3 + 3·1)/12 = 2.5. q10_1 has 3 answers < 5: hidden.
    assert expectation["q10_2"] == _pct(9 / 12)
    assert expectation["q10_1"] == ""
    assert "n&nbsp;&lt;&nbsp;5" in row_html(html, "table-q10", "q10_1")
    marks = chart_values(html, 'id="interest"', 'id="table-q1"')
    assert float(marks["q1_1"]) == pytest.approx(50.0)
    assert marks["q1_3"] in ("", None)


def test_index_by_age_band_with_the_small_band_hidden(client, login, surveyed):
    html = _page(client, login, surveyed)
    ages = table_values(html, "table-a_age")
    # 25–34: per item 3 of 5 rated 4–5 → 60% for every item, element and the index;
    # 35–49: 4 of 5 → 80%. 18–24 has 2 respondents (< 5): no figure and no exact count.
    assert ages == {"2": _pct(3 / 5), "3": _pct(4 / 5), "1": ""}
    small = row_html(html, "table-a_age", "1")
    assert "n&nbsp;&lt;&nbsp;5" in small and "&lt;&nbsp;5</td>" in small
    assert ">2<" not in small
    # The interval of the index uses about one answer per respondent (n_eff = 5):
    # Wilson on 3 of 5, from statsmodels.
    low, high = _wilson(3, 5)
    assert f"{low:.1f}–{high:.1f}" in row_html(html, "table-a_age", "2")
    # Every element column shows the band's value (all 39 items rated alike).
    band = row_html(html, "table-a_age", "3")
    assert band.count(f'data-value="{_pct(4 / 5)}"') == 1 + 9
    marks = chart_values(html, 'id="group-a_age"', 'id="table-a_age"')
    # n under a bar is the group's respondents (5), not its answers (5 × 39 items).
    assert chart_values(html, 'id="group-a_age"', 'id="table-a_age"', "data-n") == {
        "1": None, "2": "5", "3": "5"}
    assert float(marks["2"]) == pytest.approx(60.0)
    assert float(marks["3"]) == pytest.approx(80.0)
    assert marks["1"] in ("", None)


def test_characteristics_with_fewer_than_two_large_groups_are_not_broken_down(
        client, login, surveyed):
    html = _page(client, login, surveyed)
    # Sex: 6 men and 4 women; ethnicity: 10 Kinh and 2 other; education: one group only.
    for code in ("a_sex", "a_ethnicity", "a_education"):
        assert f'id="too-few-{code}"' in html
        assert f'id="table-{code}"' not in html
    assert "without identifying people" in html
    assert 'id="none-a_occupation"' in html


def test_flagged_responses_count_only_when_included(client, login, surveyed):
    for _ in range(5):
        answer_household(surveyed.desk_a, at(2026, 3, 11), q9=1, q5=3,
                         demographics={"a_age": 1}, reasons=("too_fast",))
    db.session.commit()
    html = _page(client, login, surveyed)
    assert table_values(html, "table-q5")["q5:3"] == _pct(1 / 12)
    assert table_values(html, "table-a_age")["1"] == ""
    included = _page(client, login, surveyed, flagged="include")
    # Q5 "many": 1 + 5 of 17. 18–24: 2 + 5 = 7 respondents, items 4–5 by 1 of 7.
    assert table_values(included, "table-q5")["q5:3"] == _pct(6 / 17)
    assert table_values(included, "table-a_age")["1"] == _pct(1 / 7)


def test_campaign_filter(client, login, surveyed):
    campaign = Campaign(code="hgd-2026", name_vi="SIPAS 2026 – đợt 1",
                        owner_unit_id=surveyed.province.id,
                        version_id=household_version().id, starts_on=date(2026, 5, 1),
                        ends_on=date(2026, 5, 31), channels=[])
    campaign.units.append(CampaignUnit(unit_id=surveyed.dept_a.id, quota=10))
    db.session.add(campaign)
    db.session.commit()
    for _ in range(5):  # in the campaign's window at a unit it covers: attached to it
        answer_household(surveyed.desk_a, at(2026, 5, 12), q9=4, q5=2,
                         demographics={"a_age": 4})
    db.session.commit()
    wave = _page(client, login, surveyed, campaign=str(campaign.id))
    # The wave alone: 5 of 5 answered "some".
    assert table_values(wave, "table-q5") == {"q5:1": _pct(0), "q5:2": _pct(1),
                                              "q5:3": _pct(0)}
    assert 'id="table-a_age"' not in wave  # one age band only
    outside = _page(client, login, surveyed, campaign="none")
    assert table_values(outside, "table-q5")["q5:1"] == _pct(8 / 12)
    everything = _page(client, login, surveyed)
    assert table_values(everything, "table-q5")["q5:2"] == _pct(8 / 17)


def test_vietnamese_page_uses_the_decimal_comma(client_vi, login, surveyed):
    html = _page(client_vi, login, surveyed)
    assert "66,7" in row_html(html, "table-q5", "q5:1")


def test_empty_selection_shows_no_data(client, login, surveyed):
    for query in ({"period": "2024"}, {"channel": "online"}):
        html = _page(client, login, surveyed, **query)
        assert 'id="no-data"' in html
        assert 'id="table-q5"' not in html


@pytest.mark.parametrize("query", [
    {"bogus": "1"}, {"period": "2026-H3"}, {"channel": "fax"}, {"flagged": "maybe"},
    {"campaign": "999"}, {"unit": "abc"}])
def test_bad_filters_answer_400(client, login, surveyed, query):
    login(client, surveyed.analyst)
    response = client.get(URL, query_string=query)
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)


def test_a_unit_outside_the_users_scope_is_refused(client, login, make_user, surveyed):
    staff = make_user(Role.APPROVER, surveyed.dept_b, username="lanhdao.sob")
    login(client, staff)
    html = client.get(URL, query_string=H1).get_data(as_text=True)
    assert 'id="no-data"' in html  # Sở B's own subtree holds no household answers
    outside = client.get(URL, query_string={**H1, "unit": surveyed.dept_a.id})
    assert outside.status_code == 400


def test_users_without_report_rights_are_refused(client, login, make_user, surveyed):
    login(client, make_user(None, None, username="khongquyen"))
    assert client.get(URL).status_code == 403


def test_menu_links_to_the_page(client, login, surveyed):
    html = _page(client, login, surveyed)
    menu = html[html.index('class="o-nav"'):html.index("</nav>", html.index('class="o-nav"'))]
    assert f'href="{URL}"' in menu
