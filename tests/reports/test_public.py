"""Public transparency pages (/cong-khai/): figures against hand-computed values, the element
chart against its table, suppression (no value, no 0 and no counts for a small cell, and no
figure that would give one back), flagged responses left out, PAKN counts without personal
data, the link to the published answers, 404/400, the cache header, no login, Vietnamese."""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

import reports.views.public as public_views
from core.extensions import db
from core.models import Role
from core.org import set_unit_active
from feedback import workflow
from feedback.intake import Contact
from reports.public import HIDDEN_DERIVED, HIDDEN_SMALL, public_figures, public_periods
from tests.feedback.helpers import PaknOrg, answer_and_send, assign, make_publication, submit_case
from tests.reports.sipas_helpers import at, build_org, rate

TODAY = date(2026, 5, 15)            # the pages show 2026-H1 (so far), 2025-H2 and 2025-H1
MOMENT = datetime(2026, 5, 15, 3, 0, tzinfo=UTC)
SENDER = Contact(name="Nguyễn Văn An", address="Số 12 đường Trần Hưng Đạo, phường Đông Kinh",
                 phone="0912 345 678", email="an.nguyen@example.vn")
CONTENT = ("Tôi là Nguyễn Văn An, điện thoại 0912 345 678, email an.nguyen@example.vn, nhà ở "
           "số 12 đường Trần Hưng Đạo. Hồ sơ của tôi bị trả chậm 10 ngày.")
SECRETS = ("Nguyễn Văn An", "Văn An", "0912 345 678", "0912345678", "345 678",
           "an.nguyen", "example.vn", "Trần Hưng Đạo", "trả chậm 10 ngày")


@pytest.fixture
def clock(monkeypatch):
    """The pages' today and now: mid-May 2026."""
    monkeypatch.setattr(public_views, "today", lambda: TODAY)
    monkeypatch.setattr(public_views, "now", lambda: MOMENT)


@pytest.fixture
def org(app, make_unit, make_user, clock):
    return build_org(make_unit, make_user)


@pytest.fixture
def rated(rated):
    # The shared ratings (tests/reports/conftest.py), 2026-H1: Sở A (its desk) 3 of 6
    # satisfied = 50%; Sở B 5 of 5 = 100%; the province 8 of 11 = 72.7272…% for every item,
    # element and overall. Added here:
    org = rated
    # Five flagged 1s at Sở B: left out of every public figure.
    for _ in range(5):
        rate(org, org.dept_b, 1, at(2026, 4, 3), reasons=("too_fast",))
    # 2025-H2: Sở B ten responses 5, 5, 5, 5, 5, 5, 4, 3, 2, 1 → 7 of 10 = 70%.
    for value in (5, 5, 5, 5, 5, 5, 4, 3, 2, 1):
        rate(org, org.dept_b, value, at(2025, 9, 15))
    # 2025-H1: Sở B three responses (5, 5, 4): fewer than 5 answers, hidden.
    for value in (5, 5, 4):
        rate(org, org.dept_b, value, at(2025, 2, 20))
    db.session.commit()
    return org


def _table(html: str, table: str) -> str:
    section = html[html.index(f'id="{table}"'):]
    return section[:section.index("</table>")]


def _row(html: str, table: str, key: str) -> str:
    section = _table(html, table)
    row = section[section.index(f'data-key="{key}"'):]
    return row[:row.index("</tr>")]


def _value(html: str, table: str, key: str) -> str:
    return re.search(r'data-value="([^"]*)"', _row(html, table, key)).group(1)


def _cells(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]


def test_the_periods_are_the_current_half_year_and_the_two_before(app):
    with app.test_request_context():
        periods = public_periods(TODAY)
    assert [p.label for p in periods] == ["2026-H1", "2025-H2", "2025-H1"]
    assert [p.complete for p in periods] == [False, True, True]
    assert periods[0].last_day == TODAY and periods[1].last_day == date(2025, 12, 31)
    # A request without a language choice is Vietnamese (the default for citizens).
    assert periods[0].title == "6 tháng đầu năm 2026 (tính đến 15/05/2026)"
    assert periods[1].title == "6 tháng cuối năm 2025"


def test_figures_equal_hand_computed_values(client, rated):
    response = client.get(f"/cong-khai/{rated.province.code}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # Overall and every element: 8/11 = 0.727272… → 72.727273 with six decimals.
    assert _value(html, "trend-table", "2026-H1") == "72.727273"
    for element in ("II.A", "II.B", "II.C", "II.D", "II.E"):
        assert _value(html, "elements-2026-H1", element) == "72.727273"
    # Wilson 95% interval of 8 of 11 (every item of every respondent: n_eff = 11), from
    # statsmodels, printed with one decimal.
    low, high = proportion_confint(8, 11, alpha=0.05, method="wilson")
    overall = _cells(_row(html, "trend-table", "2026-H1"))
    assert overall == ["72.7", f"{100 * low:.1f}–{100 * high:.1f}", "176"]  # 16 items × 11
    assert _cells(_row(html, "elements-2026-H1", "II.A"))[2] == "33"      # 3 items × 11
    assert _cells(_row(html, "elements-2026-H1", "II.B"))[2] == "44"      # 4 items × 11
    # Answers by level for II.A (3 items): 1, 2, 3 and 4 once per item, 5 seven times.
    assert _cells(_row(html, "distribution-2026-H1", "II.A")) == ["3", "3", "3", "3", "21"]
    assert _value(html, "trend-table", "2025-H2") == "70.000000"

    dept_a = client.get(f"/cong-khai/{rated.dept_a.code}").get_data(as_text=True)
    assert _value(dept_a, "trend-table", "2026-H1") == "50.000000"           # 3 of 6
    dept_b = client.get(f"/cong-khai/{rated.dept_b.code}").get_data(as_text=True)
    # 5 of 5: the five flagged 1s of April are left out (with them it would be 5 of 10).
    assert _value(dept_b, "trend-table", "2026-H1") == "100.000000"
    assert _value(dept_b, "trend-table", "2025-H2") == "70.000000"           # 7 of 10
    assert _value(dept_b, "elements-2025-H2", "II.C") == "70.000000"


def test_element_chart_agrees_with_its_table(client, rated):
    html = client.get(f"/cong-khai/{rated.province.code}").get_data(as_text=True)
    section = html[html.index('id="period-2026-H1"'):html.index('id="elements-2026-H1"')]
    root = ET.fromstring(section[section.index("<svg"):section.index("</svg>") + 6])
    marks = {node.get("data-key"): node.get("data-value") for node in root.iter()
             if node.get("data-key") and node.get("data-value")}
    assert set(marks) == {"II.A", "II.B", "II.C", "II.D", "II.E"}
    for key, value in marks.items():
        assert float(value) == pytest.approx(float(_value(html, "elements-2026-H1", key)))
    trend = html[html.index('id="sipas"'):html.index('id="trend-table"')]
    points = {node.get("data-key"): node.get("data-value") for node in
              ET.fromstring(trend[trend.index("<svg"):trend.index("</svg>") + 6]).iter()
              if node.get("data-series")}
    assert float(points["First half of 2026 (so far, to 15/05/2026)"]) == pytest.approx(
        72.727273)
    assert points["First half of 2025"] == ""    # hidden: no point drawn


def test_small_cells_show_no_value_no_zero_and_no_counts(client, rated):
    html = client.get(f"/cong-khai/{rated.dept_b.code}").get_data(as_text=True)
    hidden = "fewer than 5 answers"
    for table, key in (("trend-table", "2025-H1"), ("elements-2025-H1", "II.A"),
                       ("distribution-2025-H1", "II.A")):
        row = _row(html, table, key)
        cells = _cells(row)
        assert cells == [hidden], (table, cells)
        # Nothing but the message: no index, interval, n, 0 or count (3 answers of 5 and 4),
        # neither as text nor in an attribute.
        cells_html = row.split("</th>", 1)[1]
        assert not re.search(r"\d", re.sub(r"<[^>]+>", "", cells_html).replace(hidden, ""))
        assert set(re.findall(r'data-[a-z]+="([^"]*)"', cells_html)) <= {""}, row
    assert _value(html, "trend-table", "2025-H1") == ""
    svg = html[html.index('id="period-2025-H1"'):html.index('id="elements-2025-H1"')]
    assert 'data-value=""' in svg and 'data-n="' not in svg
    # A period without any rating says so, rather than 0.
    assert "No ratings" in _row(client.get(f"/cong-khai/{rated.dept_a.code}").get_data(
        as_text=True), "trend-table", "2025-H1")


def _indices(suppressed: list[bool]) -> tuple[pd.Series, pd.DataFrame]:
    codes = ["II.A", "II.B", "II.C", "II.D", "II.E"][:len(suppressed)]
    elements = pd.DataFrame({
        "element": codes, "n": [12] * len(codes),
        "n_eff": [4.0 if hide else 20.0 for hide in suppressed],
        "index": [float("nan") if hide else 80.0 for hide in suppressed],
        "ci_low": [float("nan") if hide else 70.0 for hide in suppressed],
        "ci_high": [float("nan") if hide else 90.0 for hide in suppressed],
        "suppressed": suppressed,
        **{f"n_{level}": [1] * len(codes) for level in range(1, 6)}})
    overall = pd.Series({"n": 60, "n_eff": 16.8, "index": 78.0, "ci_low": 60.0,
                         "ci_high": 90.0, "suppressed": False,
                         **{f"n_{level}": 5 for level in range(1, 6)}})
    return overall, elements


def test_the_overall_index_is_hidden_when_it_would_reveal_a_single_hidden_element(app):
    with app.test_request_context():
        # One hidden element: overall = mean of the five, so the overall and the four shown
        # would give it back (5 × 78 − 4 × 80 = 70): the overall index is hidden too.
        overall, elements = public_figures(*_indices([True, False, False, False, False]))
        assert overall.hidden == HIDDEN_DERIVED and overall.index is None and overall.n is None
        assert [e.hidden for e in elements] == [HIDDEN_SMALL, None, None, None, None]
        assert elements[0].distribution == () and elements[0].n is None
        assert elements[1].distribution == (1, 1, 1, 1, 1) and elements[1].n == 12
        # Two hidden elements: only their sum could be inferred; the overall stays.
        overall, _elements = public_figures(*_indices([True, True, False, False, False]))
        assert overall.hidden is None and overall.index == 78.0


def _pakn_org(org, make_user) -> PaknOrg:
    return PaknOrg(
        province=org.province, department=org.dept_a, other_department=org.dept_b,
        desk=org.desk_a,
        officer=make_user(Role.PAKN_OFFICER, org.province, username="vanphong"),
        handler=make_user(Role.HANDLER, org.dept_a, username="xuly"),
        approver=make_user(Role.APPROVER, org.dept_a, username="lanhdao"),
        outsider=make_user(Role.HANDLER, org.dept_b, username="xuly.b"))


@pytest.fixture
def pakn(org, make_user, monkeypatch):
    """2026-H1: three cases assigned to Sở A and a suggestion in the province's register
    (a case is an agency's once it is registered or handled there); 2025-H2: one case about
    Sở B, still in the province's register."""
    people = _pakn_org(org, make_user)

    def handled_on(day: datetime) -> None:
        for module in (workflow.actions, workflow.timeline):
            monkeypatch.setattr(module, "now", lambda: day)

    # Received Mon 2 March; answered Thu 5 March, well within the 15 working days.
    quick = submit_case(people, content=CONTENT, contact=SENDER,
                        received_at=at(2026, 3, 2, 9))
    handled_on(at(2026, 3, 3, 9))
    assign(quick, people)
    handled_on(at(2026, 3, 5, 9))
    answer_and_send(quick, people)
    # Received 2 March, answered 30 April: 40-odd working days, past its deadline.
    slow = submit_case(people, content=CONTENT, contact=SENDER, received_at=at(2026, 3, 2, 10))
    handled_on(at(2026, 3, 3, 10))
    assign(slow, people)
    handled_on(at(2026, 4, 29, 10))
    answer_and_send(slow, people)
    # Received 20 April, assigned, not answered yet; and a suggestion without contact data.
    waiting = submit_case(people, content=CONTENT, contact=SENDER, received_at=at(2026, 4, 20))
    handled_on(at(2026, 4, 21))
    assign(waiting, people)
    submit_case(people, content="Nên có thêm ghế chờ.", contact=None,
                received_at=at(2026, 5, 4))
    submit_case(people, content=CONTENT, contact=SENDER, origin_unit=org.dept_b,
                received_at=at(2025, 11, 3))
    db.session.commit()
    assert quick.answer_due_at is not None and quick.answered_at <= quick.answer_due_at
    assert slow.answered_at > slow.answer_due_at
    return {"people": people, "quick": quick, "slow": slow, "waiting": waiting}


def test_pakn_counts_by_period(client, rated, pakn):
    html = client.get(f"/cong-khai/{rated.dept_a.code}").get_data(as_text=True)
    # 2026-H1 at Sở A: the three cases assigned to it (the suggestion is still in the
    # province's register, not yet Sở A's), 2 answered (2 of 3 = 66.7%); both had a
    # deadline and one met it: 1 of 2 = 50%.
    assert _cells(_row(html, "pakn-table", "2026-H1")) == ["3", "2 (66.7%)", "50.0% (1 of 2)"]
    assert _value(html, "pakn-table", "2026-H1") == "3"
    assert _cells(_row(html, "pakn-table", "2025-H2")) == ["0", "0", "—"]
    # The province counts the cases of its register and of its whole subtree: all four, and
    # in 2025-H2 the one about Sở B (not Sở B's own until assigned there).
    province = client.get(f"/cong-khai/{rated.province.code}").get_data(as_text=True)
    assert _cells(_row(province, "pakn-table", "2026-H1")) == ["4", "2 (50.0%)", "50.0% (1 of 2)"]
    assert _cells(_row(province, "pakn-table", "2025-H2")) == ["1", "0 (0.0%)", "—"]
    dept_b = client.get(f"/cong-khai/{rated.dept_b.code}").get_data(as_text=True)
    assert _cells(_row(dept_b, "pakn-table", "2025-H2")) == ["0", "0", "—"]


def test_no_personal_data_and_no_tracking_code(client, client_vi, rated, pakn):
    codes = [case.tracking_code for case in (pakn["quick"], pakn["slow"], pakn["waiting"])]
    assert all(codes)
    for reader in (client, client_vi):
        for path in ("/cong-khai/", f"/cong-khai/{rated.dept_a.code}",
                     f"/cong-khai/{rated.province.code}"):
            html = reader.get(path).get_data(as_text=True)
            for secret in (*SECRETS, *codes):
                assert secret not in html, (path, secret)


def test_links_to_the_agencys_published_answers(client, rated, pakn):
    html = client.get(f"/cong-khai/{rated.dept_a.code}").get_data(as_text=True)
    assert "No answer of this agency has been published yet." in html
    make_publication(pakn["quick"], status="published", published_at=MOMENT)
    db.session.commit()
    html = client.get(f"/cong-khai/{rated.dept_a.code}").get_data(as_text=True)
    link = f'href="/tra-loi-pakn/?unit={rated.dept_a.code}"'
    assert link in _table(html.replace("</ul>", "</table>"), "answer-links")
    # The link is a filter the answers page accepts, and it finds the answer.
    answers = client.get(f"/tra-loi-pakn/?unit={rated.dept_a.code}")
    assert answers.status_code == 200
    assert 'id="result-count">1 ' in answers.get_data(as_text=True)
    # Sở B has none; the province lists Sở A's.
    assert link not in client.get(f"/cong-khai/{rated.dept_b.code}").get_data(as_text=True)
    assert link in client.get(f"/cong-khai/{rated.province.code}").get_data(as_text=True)


def test_the_list_shows_agencies_with_ratings_or_pakn(client, make_unit, rated, make_user,
                                                       monkeypatch):
    quiet = make_unit("SO-C", parent=rated.province, name_vi="Sở C")
    with_pakn = make_unit("SO-D", parent=rated.province, name_vi="Sở D")
    people = _pakn_org(rated, make_user)
    case = submit_case(people, content="Giờ làm việc không đúng niêm yết.",
                       origin_unit=with_pakn, received_at=at(2026, 4, 1))
    assign(case, people, with_pakn)     # now Sở D's case
    response = client.get("/cong-khai/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # agency pages, not their league table nor the moderation log (linked from the list)
    hrefs = [href for href in re.findall(r'href="/cong-khai/([^"/]+)"', html)
             if href != "kiem-duyet"]
    assert hrefs == [rated.province.code, rated.dept_a.code, rated.dept_b.code, "SO-D"]
    assert quiet.code not in hrefs and rated.desk_a.code not in hrefs   # no data; a desk
    # Agency pages open from the list.
    assert client.get(f"/cong-khai/{with_pakn.code}").status_code == 200


def test_unknown_desk_or_inactive_units_answer_the_citizen_404(client_vi, make_unit, rated):
    gone = make_unit("SO-CU", parent=rated.province, name_vi="Sở cũ")
    set_unit_active(gone, False)
    db.session.commit()
    for code in ("KHONG-CO", rated.desk_a.code, gone.code):
        response = client_vi.get(f"/cong-khai/{code}")
        assert response.status_code == 404, code
        html = response.get_data(as_text=True)
        assert "Không tìm thấy trang" in html and 'class="error-page"' in html
        assert "public" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("path", ["/cong-khai/?period=2026-H1", "/cong-khai/TINH?x=1",
                                  "/cong-khai/TINH?unit=SO-A&unit=SO-B",
                                  "/cong-khai/SO-A?utm_source=zalo"])
def test_unknown_query_parameters_answer_400(client, rated, path):
    response = client.get(path)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Unknown parameter" in html and 'class="error-page"' in html


def test_cacheable_by_anyone_for_five_minutes_and_no_login_needed(client_vi, rated):
    for path in ("/cong-khai/", f"/cong-khai/{rated.province.code}"):
        response = client_vi.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "public, max-age=300"
        assert "Cookie" in response.headers["Vary"]
        assert "Set-Cookie" not in response.headers


def test_signed_in_staff_see_the_same_public_page(client, login, rated):
    before = client.get(f"/cong-khai/{rated.dept_a.code}").get_data(as_text=True)
    login(client, rated.analyst)
    after = client.get(f"/cong-khai/{rated.dept_a.code}").get_data(as_text=True)
    assert _table(before, "trend-table") == _table(after, "trend-table")


def test_vietnamese_by_default_with_diacritics_and_decimal_comma(client_vi, rated):
    response = client_vi.get(f"/cong-khai/{rated.province.code}")
    html = response.get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert unicodedata.is_normalized("NFC", html)
    # Catalogue words (Element, Received, Answered) and the units' own names.
    for text in ("Tiêu chí", "Tiếp nhận", "Đã trả lời", "UBND tỉnh Thử", "II.A. Tiếp cận dịch vụ"):
        assert text in html, text
    assert _cells(_row(html, "trend-table", "2026-H1"))[0] == "72,7"
    assert 'href="/lang/en?next=/cong-khai/TINH"' in html


def test_below_target_mark_only_when_the_whole_interval_is_below(app):
    """An index under the target whose 95% interval still reaches it is not marked: the
    difference may be chance (hand-set figures, target 85)."""
    from flask import render_template_string

    from reports.public import PublicFigure

    template = ('{% from "reports/public/_figures.html" import figure_cells %}'
                "{{ figure_cells(figure, 5, 85) }}")
    with app.test_request_context():
        reaching = render_template_string(template, figure=PublicFigure(
            key="II.A", label="II.A", index=82.0, ci_low=76.0, ci_high=86.5, n=120))
        below = render_template_string(template, figure=PublicFigure(
            key="II.B", label="II.B", index=78.0, ci_low=71.0, ci_high=84.0, n=120))
        above = render_template_string(template, figure=PublicFigure(
            key="II.C", label="II.C", index=90.0, ci_low=86.0, ci_high=94.0, n=120))
    assert "▼" not in reaching and "pf-below" not in reaching
    assert "▼" in below and "pf-below" in below
    assert "▼" not in above
