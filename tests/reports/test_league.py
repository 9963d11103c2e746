"""League tables: the public page (/cong-khai/<code>/xep-hang: no login, figures against hand
values, suppression and complementary suppression, bad period and unknown agency) and the
internal one (/quan-tri/bao-cao/xep-hang/: role checks, sample sizes of hidden units, the
PAKN column, exports), on the small organisation of tests/reports/sipas_helpers.py."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime

import openpyxl
import pytest
from statsmodels.stats.proportion import proportion_confint

import reports.views.league as league_views
import reports.views.public_league as public_views
from core.extensions import db
from core.models import Role
from core.settings import SettingValue
from tests.feedback.helpers import PaknOrg, answer_and_send, assign, submit_case
from tests.reports.sipas_helpers import at, rate

TODAY = date(2026, 5, 15)            # public periods: 2026-H1 (so far), 2025-H2, 2025-H1
MOMENT = datetime(2026, 5, 15, 3, 0, tzinfo=UTC)
PUBLIC = "/cong-khai/TINH/xep-hang?period=2026-H1"
INTERNAL = "/quan-tri/bao-cao/xep-hang/"


@pytest.fixture
def clock(monkeypatch):
    for module in (public_views, league_views):
        monkeypatch.setattr(module, "today", lambda: TODAY)
        monkeypatch.setattr(module, "now", lambda: MOMENT)


@pytest.fixture
def league(rated, make_unit, clock):
    """2026-H1, every desk item rated alike by each response (so n_eff = responses):
    Sở A (its desk) 3 of 6 satisfied = 50%, Wilson 18.8–81.2; Sở B 5 of 5 = 100%, 56.6–100;
    Sở C 20 of 20 = 100%, 83.9–100; Sở D 3 responses: fewer than 5, hidden.

    Hand-worked (analysis.league): the median of 50, 100, 100 is 100. Sở A's interval lies
    below it ("below"); B and C contain it. Bands: A: C's low 83.9 > A's high 81.2, so best 2,
    none wholly below, worst 3 → "2–3"; B: none above, none below → "1–3"; C: A's high 81.2
    < C's low 83.9, worst 3 − 1 = 2 → "1–2". Public (complementary suppression): D is the
    only small unit, so the shown unit with the fewest answers, B (5 × 16 = 80 answers), is
    hidden too; A and C are left: C "1", A "2", no median test with two units."""
    org = rated
    org.dept_c = make_unit("SO-C", parent=org.province, name_vi="Sở C")
    org.dept_d = make_unit("SO-D", parent=org.province, name_vi="Sở D")
    for _ in range(20):
        rate(org, org.dept_c, 5, at(2026, 4, 8))
    for _ in range(3):
        rate(org, org.dept_d, 5, at(2026, 4, 9))
    db.session.commit()
    return org


def _row(html: str, table: str, unit_id: int) -> str:
    section = html[html.index(f'id="{table}"'):]
    section = section[:section.index("</table>")]
    row = section[section.index(f'data-key="{unit_id}"'):]
    return row[:row.index("</tr>")]


def _keys(html: str, table: str) -> list[str]:
    section = html[html.index(f'id="{table}"'):]
    return re.findall(r'<tr data-key="(\d+)"', section[:section.index("</table>")])


def _cells(row: str) -> list[str]:
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]


def _wilson(x: int, n: int) -> str:
    low, high = proportion_confint(x, n, method="wilson")
    return f"{100 * low:.1f}–{100 * high:.1f}"


def test_the_public_league_needs_no_login_and_shows_hand_values(client, league):
    response = client.get(PUBLIC)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert "Set-Cookie" not in response.headers
    html = response.get_data(as_text=True)
    ids = {name: unit.id for name, unit in (("a", league.dept_a), ("b", league.dept_b),
                                            ("c", league.dept_c), ("d", league.dept_d))}
    # Ranked C (100%), A (50%); then the hidden ones, by id.
    assert _keys(html, "league-sipas") == [str(ids["c"]), str(ids["a"]), str(ids["b"]),
                                           str(ids["d"])]
    assert _cells(_row(html, "league-sipas", ids["c"])) == [
        "1", "100.0", _wilson(20, 20), "320", "—"]
    assert _cells(_row(html, "league-sipas", ids["a"])) == [
        "2", "50.0", _wilson(3, 6), "96", "—"]
    # B is hidden only because it would give D back; D is small. Neither shows a value, an
    # interval, a rank or even its number of answers.
    for key, message in (("b", "hidden: it would reveal a figure resting on fewer than 5 "
                               "answers"), ("d", "fewer than 5 answers")):
        row = _row(html, "league-sipas", ids[key])
        assert _cells(row) == [message]
        assert not re.search(r"\d", _cells(row)[0].replace("5", "")), row
        assert "data-n=" not in row and "data-best" not in row
    assert "Median unit" not in html[:html.index('id="pakn"')]   # two units: no test


def test_the_internal_league_shows_bands_markers_and_hidden_sample_sizes(client, login,
                                                                         league):
    login(client, league.analyst)
    html = client.get(INTERNAL, query_string={"period": "2026-H1",
                                              "unit": league.province.id}).get_data(
        as_text=True)
    ids = {key: unit.id for key, unit in (("a", league.dept_a), ("b", league.dept_b),
                                          ("c", league.dept_c), ("d", league.dept_d))}
    assert _keys(html, "league-sipas") == [str(ids[k]) for k in "bcad"]
    assert _cells(_row(html, "league-sipas", ids["b"])) == [
        "1–3", "100.0", _wilson(5, 5), "80", "no significant difference"]
    assert _cells(_row(html, "league-sipas", ids["c"])) == [
        "1–2", "100.0", _wilson(20, 20), "320", "no significant difference"]
    assert _cells(_row(html, "league-sipas", ids["a"])) == [
        "2–3", "50.0", _wilson(3, 6), "96", "▼ below the median"]
    assert 'data-versus="below"' in _row(html, "league-sipas", ids["a"])
    # Internal: the small unit's figure stays hidden, its number of answers is shown.
    assert _cells(_row(html, "league-sipas", ids["d"])) == ["fewer than 5 answers (n = 48)"]
    assert "Median unit: 100.0%." in html


@pytest.mark.parametrize("role", [Role.HANDLER, Role.DESK_STAFF, Role.PAKN_OFFICER])
def test_roles_without_reports_may_not_see_the_internal_league(client, login, make_user,
                                                                league, role):
    login(client, make_user(role, league.province, username=f"u-{role.value}"))
    assert client.get(INTERNAL).status_code == 403
    assert client.get(INTERNAL + "xuat.csv").status_code == 403


def test_the_internal_league_needs_a_sign_in(client, league):
    response = client.get(INTERNAL)
    assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]
    assert client.get(INTERNAL + "xuat.xlsx").status_code == 302


def test_a_leader_sees_only_their_subtree(client, login, make_user, league):
    leader = make_user(Role.APPROVER, league.dept_a, username="lanhdao.a")
    login(client, leader)
    assert client.get(INTERNAL, query_string={"unit": league.dept_a.id}).status_code == 200
    refused = client.get(INTERNAL, query_string={"unit": league.province.id})
    assert refused.status_code == 400 and "Unknown unit" in refused.get_data(as_text=True)


@pytest.mark.parametrize("query, message", [
    ({"period": "2026-H3"}, "Unknown period “2026-H3”"),
    ({"period": "2026-H1", "unit": "999999"}, "Unknown unit “999999”"),
    ({"period": "2026-H1", "sort": "name"}, "Unknown filter “sort”"),
])
def test_bad_internal_filters_answer_400_with_the_reason(client, login, league, query,
                                                         message):
    login(client, league.analyst)
    response = client.get(INTERNAL, query_string=query)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize("path, message", [
    ("/cong-khai/TINH/xep-hang?period=2024-H1",
     "Unknown period “2024-H1”: choose one of 2026-H1, 2025-H2, 2025-H1."),
    ("/cong-khai/TINH/xep-hang?period=tuan-nay", "Unknown period “tuan-nay”"),
    ("/cong-khai/TINH/xep-hang?period=2026-H1&period=2025-H2", "given twice"),
    ("/cong-khai/TINH/xep-hang?unit=SO-A", "Unknown parameter: unit"),
])
def test_bad_public_parameters_answer_400_with_the_reason(client, league, path, message):
    response = client.get(path)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and 'class="error-page"' in html
    assert "public" not in response.headers.get("Cache-Control", "")


def test_bad_public_period_is_explained_in_vietnamese(client_vi, league):
    response = client_vi.get("/cong-khai/TINH/xep-hang?period=2024-H1")
    assert response.status_code == 400
    assert "Kỳ “2024-H1” không có" in response.get_data(as_text=True)


def test_unknown_or_desk_agency_answers_404(client_vi, league):
    for code in ("KHONG-CO", league.desk_a.code):
        response = client_vi.get(f"/cong-khai/{code}/xep-hang")
        assert response.status_code == 404, code
        assert "Không tìm thấy trang" in response.get_data(as_text=True)


def test_the_default_period_is_the_last_complete_half_year(client, league):
    html = client.get("/cong-khai/TINH/xep-hang").get_data(as_text=True)
    assert 'aria-current="page" class="lg-current">Second half of 2025' in html
    # No rating in 2025-H2: every unit says so, none is ranked.
    assert _cells(_row(html, "league-sipas", league.dept_c.id)) == ["No ratings"]


def test_linked_from_the_public_pages(client, league):
    agency = client.get("/cong-khai/TINH").get_data(as_text=True)
    assert 'id="league-link" href="/cong-khai/TINH/xep-hang"' in agency
    assert 'href="/cong-khai/TINH/xep-hang"' in client.get("/cong-khai/").get_data(
        as_text=True)
    # A unit with no sub-units has no league link.
    assert "league-link" not in client.get("/cong-khai/SO-B").get_data(as_text=True)


def test_vietnamese_first(client_vi, league):
    html = client_vi.get(PUBLIC).get_data(as_text=True)
    assert '<html lang="vi">' in html
    for text in ("Bảng xếp hạng các đơn vị thuộc UBND tỉnh Thử", "Cách đọc",
                 "Chỉ số hài lòng (SIPAS)", "50,0"):
        assert text in html, text


# --- PAKN -------------------------------------------------------------------------------------

@pytest.fixture
def pakn(league, make_user, monkeypatch):
    """2026-H1: two cases handled by Sở A, one on time (answered in 3 days) and one late
    (answered after 40-odd working days): 1 of 2 on time."""
    from feedback import workflow

    people = PaknOrg(
        province=league.province, department=league.dept_a, other_department=league.dept_b,
        desk=league.desk_a,
        officer=make_user(Role.PAKN_OFFICER, league.province, username="vanphong"),
        handler=make_user(Role.HANDLER, league.dept_a, username="xuly"),
        approver=make_user(Role.APPROVER, league.dept_a, username="lanhdao"),
        outsider=make_user(Role.HANDLER, league.dept_b, username="xuly.b"))

    def handled_on(day: datetime) -> None:
        for module in (workflow.actions, workflow.timeline):
            monkeypatch.setattr(module, "now", lambda: day)

    for answered in (at(2026, 3, 5, 9), at(2026, 4, 29, 10)):
        case = submit_case(people, received_at=at(2026, 3, 2, 9))
        handled_on(at(2026, 3, 3, 9))
        assign(case, people)
        handled_on(answered)
        answer_and_send(case, people)
    db.session.commit()
    return league


def test_pakn_on_time_is_hidden_below_the_minimum_cell_size(client, login, pakn):
    html = client.get(PUBLIC).get_data(as_text=True)
    assert _cells(_row(html, "league-pakn", pakn.dept_a.id)) == ["fewer than 5 cases"]
    assert _cells(_row(html, "league-pakn", pakn.dept_b.id)) == [
        "No handled case with a deadline"]
    login(client, pakn.analyst)
    internal = client.get(INTERNAL, query_string={"period": "2026-H1"}).get_data(as_text=True)
    assert _cells(_row(internal, "league-pakn", pakn.dept_a.id)) == [
        "fewer than 5 cases (n = 2)"]


def test_pakn_on_time_follows_the_same_minimum_setting(client, pakn):
    # The public pages' minimum cell size, lowered to 2 from 1/1/2026 (written directly: the
    # service refuses a past date): Sở A's 1 of 2 is shown, Wilson 9.5–90.5.
    db.session.add(SettingValue(key="sipas.min_cell_size", value=2,
                                effective_from=date(2026, 1, 1)))
    db.session.commit()
    html = client.get(PUBLIC).get_data(as_text=True)
    assert _cells(_row(html, "league-pakn", pakn.dept_a.id)) == [
        "1", "50.0", _wilson(1, 2), "1 of 2", "—"]


def test_exports_carry_both_tables_unrounded(client, login, pakn):
    login(client, pakn.analyst)
    query = {"period": "2026-H1", "unit": pakn.province.id}
    response = client.get(INTERNAL + "xuat.csv", query_string=query)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header = rows[0]
    by_unit = {(row[0], row[1]): dict(zip(header, row, strict=True)) for row in rows[1:]}
    a = by_unit[("SIPAS index", "Sở A")]
    assert float(a["Value (%)"]) == 50.0
    assert (a["Rank band (best)"], a["Rank band (worst)"]) == ("2", "3")
    assert a["Against the median unit"] == "significantly below the median unit"
    assert by_unit[("SIPAS index", "Sở D")]["Value (%)"] == "n < 5"
    assert by_unit[("SIPAS index", "Sở D")]["Sample size (n)"] == "48"
    pakn_a = by_unit[("PAKN handled on time", "Sở A")]
    assert pakn_a["Value (%)"] == "n < 5" and pakn_a["Sample size (n)"] == "2"
    book = openpyxl.load_workbook(io.BytesIO(
        client.get(INTERNAL + "xuat.xlsx", query_string=query).data))
    sheet_rows = list(book.active.iter_rows(values_only=True))
    assert sheet_rows[0] == tuple(header) and len(sheet_rows) == len(rows)
    assert client.get(INTERNAL + "xuat.pdf", query_string=query).status_code == 404
