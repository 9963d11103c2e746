"""The questionnaire reliability page: Cronbach's alpha per element and the item–total table
against values computed by hand and by a second method (Hoyt's ANOVA, numpy's Pearson r),
the version choice, hidden small elements, filters (400), rights (403) and no data."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Role
from surveys.models import Instrument, InstrumentVersion
from tests.reports.household_helpers import answer_household, household_version, row_html
from tests.reports.sipas_helpers import at, rate

URL = "/quan-tri/bao-cao/do-tin-cay/"
H1 = {"period": "2026-H1"}

# Six household respondents, one row each. II.A (q9_24–26) hangs together; in II.C
# (q9_31–33) the third item runs against the other two.
ACCESS = np.array([[5, 5, 4], [4, 4, 4], [3, 3, 2], [2, 2, 3], [1, 2, 1], [4, 5, 5]])
STAFF = np.array([[5, 5, 1], [4, 4, 5], [3, 3, 2], [2, 2, 4], [1, 1, 3], [4, 5, 2]])
ACCESS_CODES = ["q9_24", "q9_25", "q9_26"]
STAFF_CODES = ["q9_31", "q9_32", "q9_33"]
PROCEDURE_CODES = ["q9_27", "q9_28", "q9_29", "q9_30"]


def hoyt_alpha(matrix: np.ndarray) -> float:
    """Second method: Hoyt's (1941) two-way ANOVA reliability 1 − MS_residual / MS_persons,
    which equals Cronbach's alpha (Cronbach 1951, p. 299)."""
    n, k = matrix.shape
    grand = matrix.mean()
    ss_persons = k * ((matrix.mean(axis=1) - grand) ** 2).sum()
    ss_items = n * ((matrix.mean(axis=0) - grand) ** 2).sum()
    ss_residual = ((matrix - grand) ** 2).sum() - ss_persons - ss_items
    return 1 - (ss_residual / ((n - 1) * (k - 1))) / (ss_persons / (n - 1))




@pytest.fixture
def surveyed(org):
    for i in range(6):
        answers = dict(zip(ACCESS_CODES, ACCESS[i].tolist(), strict=True))
        answers |= dict(zip(STAFF_CODES, STAFF[i].tolist(), strict=True))
        # II.B: only the first three respondents answer all four items (< 5: hidden).
        answers |= {code: 4 for code in (PROCEDURE_CODES if i < 3 else PROCEDURE_CODES[:2])}
        answer_household(org.desk_a, at(2026, 3, 10), q9=answers,
                         demographics={"a_sex": 1})
    for value in (5, 4, 3):  # three desk-form responses: another version, fewer responses
        rate(org, org.dept_b, value, at(2026, 4, 2))
    db.session.commit()
    return org


def _page(client, login, org, **query) -> str:
    login(client, org.analyst)
    response = client.get(URL, query_string={**H1, **query})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def _value(html: str, table: str, key: str, attribute: str = "data-value") -> str:
    row = row_html(html, table, key)
    start = row.index(f'{attribute}="') + len(attribute) + 2
    return row[start:row.index('"', start)]


def test_alpha_per_element_matches_hand_computed_values(client, login, surveyed):
    html = _page(client, login, surveyed)
    # II.A by hand: item variances 2.1667, 1.9, 2.1667 (sum 6.2333); totals 14, 12, 8, 7, 4, 14
    # have variance 16.9667; α = 3/2 · (1 − 6.2333/16.9667) = 0.94892.
    alpha = float(_value(html, "alpha-table", "II.A"))
    assert alpha == pytest.approx(0.948919, abs=1e-6)
    assert alpha == pytest.approx(hoyt_alpha(ACCESS), abs=1e-6)
    assert alpha == pytest.approx(float(_value(html, "alpha-table", "II.A")))
    assert "acceptable" in row_html(html, "alpha-table", "II.A")
    # II.C: α from Hoyt's ANOVA, below 0.70 and marked.
    staff = float(_value(html, "alpha-table", "II.C"))
    assert staff == pytest.approx(hoyt_alpha(STAFF), abs=1e-6)
    assert staff < 0.7
    assert "alpha-low" in row_html(html, "alpha-table", "II.C")
    assert "q9_33" in row_html(html, "alpha-table", "II.C")
    assert "Nunnally" in html and "1978" in html


def test_item_total_table_flags_the_item_that_lowers_alpha(client, login, surveyed):
    html = _page(client, login, surveyed)
    for j, code in enumerate(STAFF_CODES):
        rest = np.delete(STAFF, j, axis=1)
        # Corrected r: numpy's Pearson r between the item and the sum of the others.
        expected_r = np.corrcoef(STAFF[:, j], rest.sum(axis=1))[0, 1]
        assert float(_value(html, "items-II.C", code)) == pytest.approx(expected_r, abs=1e-6)
        assert float(_value(html, "items-II.C", code, "data-alpha")) == pytest.approx(
            hoyt_alpha(rest), abs=1e-6)
    # Dropping q9_33 leaves two items that agree: α rises, so only q9_33 is flagged.
    assert hoyt_alpha(STAFF[:, :2]) > hoyt_alpha(STAFF)
    assert 'class="look"' in row_html(html, "items-II.C", "q9_33")
    assert 'class="look"' not in row_html(html, "items-II.C", "q9_31")
    assert "review the item" in row_html(html, "items-II.C", "q9_33")
    # The alpha table names the item to review in words and links to its row.
    reading = row_html(html, "alpha-table", "II.C")
    assert 'href="#item-q9_33"' in reading and 'id="item-q9_33"' in html
    assert "Civil servants follow the rules" in reading and ">q9_33<" not in reading
    assert 'href="#item-q9_31"' not in reading


def test_alpha_chart_agrees_with_its_table(client, login, surveyed):
    import xml.etree.ElementTree as ET

    html = _page(client, login, surveyed)
    section = html[html.index('id="elements"'):html.index('id="alpha-table"')]
    root = ET.fromstring(section[section.index("<svg"):section.index("</svg>") + 6])
    marks = {node.get("data-key"): node.get("data-value") for node in root.iter()
             if "mark" in (node.get("class") or "").split()}
    for key in ("II.A", "II.C"):
        assert float(marks[key]) == pytest.approx(float(_value(html, "alpha-table", key)))
    assert marks["II.B"] in ("", None)


def test_elements_with_too_few_complete_respondents_are_hidden(client, login, surveyed):
    html = _page(client, login, surveyed)
    # II.B: three respondents answered all four items (< 5); I.A: nobody.
    procedures = row_html(html, "alpha-table", "II.B")
    assert 'data-value=""' in procedures and "&lt;&nbsp;5" in procedures
    assert 'id="items-II.B"' not in html
    assert 'data-value=""' in row_html(html, "alpha-table", "I.A")


def test_version_choice(client, login, surveyed):
    household = household_version()
    desk = surveyed.version
    html = _page(client, login, surveyed)
    start = html.index('id="versions"')
    versions = html[start:html.index("</nav>", start)]
    # Household (6 responses) is chosen by default, before the desk form (3 responses).
    assert versions.index(f"version={household.id}") < versions.index(f"version={desk.id}")
    assert 'aria-current="true"' in versions[:versions.index(f"version={desk.id}")]
    chosen = _page(client, login, surveyed, version=desk.id)
    # Desk form: 3 respondents per element, all hidden.
    assert 'id="items-II.A"' not in chosen
    assert "&lt;&nbsp;5" in row_html(chosen, "alpha-table", "II.A")
    quick = db.session.scalars(
        select(InstrumentVersion).join(Instrument)
        .where(Instrument.code.not_in(("sipas-qd1001", "sipas-desk")))).first()
    if quick is not None:  # a published version without responses here: no data, not 400
        assert 'id="no-data"' in _page(client, login, surveyed, version=quick.id)


@pytest.mark.parametrize("query", [
    {"version": "abc"}, {"version": "99999"}, {"bogus": "1"}, {"period": "2026-H3"},
    {"channel": "fax"}, {"campaign": "999"}])
def test_bad_filters_answer_400(client, login, surveyed, query):
    login(client, surveyed.analyst)
    response = client.get(URL, query_string=query)
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)


def test_version_given_twice_is_refused(client, login, surveyed):
    login(client, surveyed.analyst)
    version = household_version().id
    response = client.get(f"{URL}?version={version}&version={version}")
    assert response.status_code == 400


def test_empty_selection_shows_no_data(client, login, surveyed):
    for query in ({"period": "2024"}, {"channel": "import"}):
        html = _page(client, login, surveyed, **query)
        assert 'id="no-data"' in html
        assert 'id="alpha-table"' not in html


def test_users_without_report_rights_are_refused(client, login, make_user, surveyed):
    login(client, make_user(None, None, username="khongquyen"))
    assert client.get(URL).status_code == 403


def test_a_unit_outside_the_users_scope_is_refused(client, login, make_user, surveyed):
    login(client, make_user(Role.APPROVER, surveyed.dept_b, username="lanhdao.sob"))
    assert client.get(URL, query_string={**H1, "unit": surveyed.dept_a.id}).status_code == 400


def test_menu_links_to_both_pages(client, login, surveyed):
    html = _page(client, login, surveyed)
    menu = html[html.index('class="o-nav"'):html.index("</nav>", html.index('class="o-nav"'))]
    assert f'href="{URL}"' in menu
    assert 'href="/quan-tri/bao-cao/ho-gia-dinh/"' in menu
