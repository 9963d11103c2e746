"""The dossier rating report (reports.dossier_ratings and /quan-tri/bao-cao/ho-so): scope,
filters, the PAKN and complaint inputs, and the CSV/XLSX exports checked cell by cell.

Expected figures are worked by hand below (TT 01/2018 mappings of DOMAIN.md §2.3; 2026
calendar: no holiday in April after the 27th's observed day, May after the 1st, or June).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pandas as pd
import pytest

from analysis.pakn_kpis import PaknKpis
from core.clock import LOCAL_TZ, now, today
from core.exceptions import ServiceError
from core.extensions import db
from core.models import AuditEntry, Role, SettingValue
from feedback import frames as pakn_frames
from feedback.workflow import TransitionInput, transition_case
from reports.dossier_ratings import (
    RatingQuery,
    build_dossier_ratings,
    pakn_due_counts,
    rounded,
    upheld_complaints,
)
from surveys.models import Dossier
from tests.feedback.helpers import answer_and_send, assign, build_org, submit_case

URL = "/quan-tri/bao-cao/ho-so/"
Q2 = {"year": "2026", "quarter": "2"}


def at(month: int, day: int, hour: int = 9) -> datetime:
    """A local moment in 2026, stored in UTC."""
    return datetime(2026, month, day, hour, tzinfo=LOCAL_TZ).astimezone(UTC)


def dossier(code: str, unit, received, appointed, returned=None, **fields) -> Dossier:
    row = Dossier(code=code, unit_id=unit.id, received_at=received, legal_appointed_at=appointed,
                  returned_at=returned, **fields)
    db.session.add(row)
    return row


@pytest.fixture
def org(make_unit, make_user):
    """Sở Nội vụ (department) and Sở Tài chính (other) under the province, a commune outside
    it, analysts on the province and on the department, and the dossiers of 2026 Q2."""
    pakn = build_org(make_unit, make_user)
    outside = make_unit("XA", kind="commune", name_vi="UBND xã Ngoài")
    department, other = pakn.department, pakn.other_department
    # Sở Nội vụ, all counted from the day received (09:00, before the 15:00 cut-off):
    # HS-A1 Mon 6 Apr → appointed Fri 10 Apr (4 working days), returned Thu 9 (3): early.
    dossier("HS-A1", department, at(4, 6), at(4, 10, 16), at(4, 9))
    # HS-A2 Mon 4 May → Fri 8 May (4), returned Fri 8 May (4): on time; 1 supplement; online.
    dossier("HS-A2", department, at(5, 4), at(5, 8, 16), at(5, 8, 14), supplement_requests=1,
            online=True)
    # HS-A3 Mon 1 Jun → legal date Fri 5 Jun (4), returned Tue 9 Jun (6): late, although an
    # apology letter (form 04) re-set the date to Wed 10 Jun and the result came before it
    # (DOMAIN.md §2.3: timeliness is judged against the legal date of form 01).
    dossier("HS-A3", department, at(6, 1), at(6, 5, 16), at(6, 9), apology_issued=True,
            reset_appointed_at=at(6, 10, 16), apology_number="15/PXL-SNV",
            apology_date=date(2026, 6, 4))
    # HS-A4 Mon 15 Jun → Fri 19 Jun, never returned: overdue, so late; no apology.
    dossier("HS-A4", department, at(6, 15), at(6, 19, 16))
    # Next quarter: not in Q2.
    dossier("HS-A5", department, at(7, 6), at(7, 10, 16), at(7, 9))
    # Sở Tài chính: HS-B1 Tue 7 Apr → Fri 10 Apr (3), returned Fri 10 Apr (3): on time;
    # online.
    dossier("HS-B1", other, at(4, 7), at(4, 10, 16), at(4, 10, 15), online=True)
    dossier("HS-X1", outside, at(4, 7), at(4, 10, 16), at(4, 9))
    # Indicators 5 and 6 entered for Sở Nội vụ only, in force since 1 January 2026.
    for key, value in (("dossier.desk_procedures", "all"), ("dossier.publicity_level", "2")):
        db.session.add(SettingValue(key=key, unit_id=department.id, value=value,
                                    effective_from=date(2026, 1, 1)))
    # Indicator 9's input: 20% of Sở Tài chính's eligible procedures are offered online.
    db.session.add(SettingValue(key="dossier.online_procedure_share", unit_id=other.id,
                                value="20", effective_from=date(2026, 1, 1)))
    # A formal PAKN received 1 June about HS-A1 (typed in lower case), classified as conduct,
    # handled by Sở Nội vụ and answered only now (November): late.
    case = submit_case(pakn, received_at=at(6, 1), dossier_code="hs-a1 ")
    transition_case(case, "assign", pakn.officer, TransitionInput(
        classification="conduct", handling_unit=department))
    answer_and_send(case, pakn)
    # Another received 2 June, assigned to Sở Tài chính and never answered: overdue now.
    assign(submit_case(pakn, received_at=at(6, 2)), pakn, other)
    db.session.commit()
    pakn.analyst = make_user(Role.ANALYST, pakn.province, username="analyst")
    pakn.dept_analyst = make_user(Role.ANALYST, department, username="dept_analyst")
    pakn.outside = outside
    return pakn


@pytest.fixture
def no_dossier_codes(monkeypatch):
    """An older PAKN frame without dossier codes: complaints unknown, indicator 7 missing
    (the page and exports must show it as missing, never 0)."""
    monkeypatch.setattr(pakn_frames, "CASE_COLUMNS",
                        [c for c in pakn_frames.CASE_COLUMNS if c != "dossier_code"])


def rows_by_code(report) -> dict[str, dict]:
    return {row.unit.code: row.values for row in report.rows}


def test_report_from_the_facts_settings_and_pakn(org, no_dossier_codes):
    report = build_dossier_ratings(org.analyst, RatingQuery(None, 2026, 2))
    assert (report.since, report.until) == (date(2026, 4, 1), date(2026, 6, 30))
    assert [row.unit.code for row in report.rows] == ["P-SNV", "P-STC"]  # not the commune
    assert report.complaints_known is False
    snv = rows_by_code(report)["P-SNV"]
    # 1 = 2 = (2+1+0+0)/4 = 0.75; 3 = (2+1+2+2)/4 = 1.75; 4 = (1+2+1+1)/4 = 1.25 (HS-A2
    # online); 5 = 1; 6 = 2; 7 missing; 8: one PAKN due, answered late → 0/1 → 0;
    # 9: 1 online of 4 = 25%, from 15% to 30% → 1 (TT 01/2018 Đ13; the procedure share,
    # not entered for Sở Nội vụ, only decides between 2 and 1).
    assert [snv[f"indicator_{n}"] for n in range(1, 10)] == pytest.approx(
        [0.75, 0.75, 1.75, 1.25, 1.0, 2.0, float("nan"), 0.0, 1.0], nan_ok=True)
    # Known total 0.75+0.75+1.75+1.25+1+2+0+1 = 8.5, incomplete: no grade.
    assert snv["total"] == pytest.approx(8.5)
    assert (snv["complete"], snv["missing"], snv["grade"]) == (False, "7", None)
    assert snv["official"] == pytest.approx(4.5) and snv["band"] is None
    # Late HS-A3 and HS-A4 of 4 judged; one apology of two late, HS-A3's, whose re-set date
    # was kept (returned 9 June, re-set to 10 June): it is counted there, not in 1, 2 or 7.
    assert (snv["late"], snv["late_share"], snv["apologies"], snv["apology_coverage"]) == \
        (2, 0.5, 1, 0.5)
    assert snv["reset_kept"] == 1
    stc = rows_by_code(report)["P-STC"]
    # HS-B1 on time: 1 = 2 = 1; 3 = 2; 4 = 2 (online); 9: 20% of procedures ≥ 20%, 100% of
    # dossiers online ≥ 30%, none late → 2.
    # 8: its one PAKN is open past its deadline: 0 on time of 1 due → 0.
    assert [stc[f"indicator_{n}"] for n in (1, 2, 3, 4, 8, 9)] == [1, 1, 2, 2, 0, 2]
    assert stc["missing"] == "5,6,7"
    # Targets: late share 50% is above the 1% target; apologies 50% below 100%.
    snv_row = report.rows[0]
    assert snv_row.late_over_target and snv_row.apology_under_target
    assert not report.rows[1].late_over_target and not report.rows[1].apology_under_target


def test_complaints_from_pakn_dossier_codes_complete_the_official_score(org, monkeypatch):
    """With dossier codes in the PAKN frame, a conduct PAKN answered about HS-A1 is an
    upheld complaint."""
    assert "dossier_code" in pakn_frames.CASE_COLUMNS
    report = build_dossier_ratings(org.analyst, RatingQuery(None, 2026, 2))
    assert report.complaints_known is True
    snv = rows_by_code(report)["P-SNV"]
    # 7: HS-A1 early but complained of → 0; HS-A2 on time → 1; HS-A3, HS-A4 late → 0:
    # (0+1+0+0)/4 = 0.25. Total 8.5 + 0.25 = 8.75 → average (6–<9); official
    # 4.5 + 0.25 = 4.75 → partial (3.5–<5).
    assert snv["indicator_7"] == pytest.approx(0.25)
    assert snv["total"] == pytest.approx(8.75) and snv["complete"] is True
    assert (snv["grade"], snv["band"]) == ("average", "partial")
    assert snv["official"] == pytest.approx(4.75)
    # HS-B1: no complaint, on time → 1.
    assert rows_by_code(report)["P-STC"]["indicator_7"] == 1.0


def test_whole_year_and_subtree_scope(org):
    year = build_dossier_ratings(org.analyst, RatingQuery(org.department.id, 2026, None))
    assert [row.unit.code for row in year.rows] == ["P-SNV"]
    # HS-A5 (July, early, desk) joins: 5 dossiers.
    assert year.rows[0].values["dossiers"] == 5
    assert year.rows[0].values["period"] == "2026"
    mine = build_dossier_ratings(org.dept_analyst, RatingQuery(None, 2026, 2))
    assert [row.unit.code for row in mine.rows] == ["P-SNV"]


@pytest.mark.parametrize(("query", "field"), [
    (RatingQuery(None, 2017, 2), "year"),
    (RatingQuery(None, 2026, 5), "quarter"),
])
def test_bad_queries_are_refused(org, query, field):
    with pytest.raises(ServiceError) as error:
        build_dossier_ratings(org.analyst, query)
    assert (error.value.status, error.value.field) == (400, field)


def test_a_unit_outside_the_scope_reads_as_unknown(org):
    with pytest.raises(ServiceError) as error:
        build_dossier_ratings(org.dept_analyst, RatingQuery(org.other_department.id, 2026, 2))
    assert (error.value.status, error.value.field) == (400, "unit")


def test_pakn_due_counts_add_the_overdue_backlog():
    # Handled with a deadline: 4, of which 3 on time; open past the deadline: 2. Due = 4 + 2.
    kpis = PaknKpis(
        as_of=pd.Timestamp("2026-07-01", tz="UTC"), day_unit="working_days", min_count=5,
        received=pd.DataFrame(),
        handling=pd.DataFrame({"outcome": ["answered", "total"], "timed": [4, 4],
                               "on_time": [3, 3]}),
        backlog=pd.DataFrame({"age_bucket": [">20", "total"], "open_cases": [3, 3],
                              "overdue": [2, 2]}))
    assert pakn_due_counts(kpis) == (6, 3)


def test_upheld_complaints_are_answered_conduct_cases():
    frame = pd.DataFrame({"classification": ["conduct", "in_competence", "conduct", None,
                                             "conduct"],
                          "dossier_code": [" hs-1", "HS-2", "HS-3", "HS-4", None]})
    outcomes = pd.DataFrame({"outcome": ["answered", "answered", "open", "answered",
                                         "answered"]})
    # Conduct and answered: rows 0 and 4 (no code); row 2 is still open.
    assert upheld_complaints(frame, outcomes) == {"HS-1"}


@pytest.mark.parametrize(("value", "digits", "scale", "shown"), [
    (1.25, 1, 1.0, 1.3), (0.75, 1, 1.0, 0.8), (1.75, 1, 1.0, 1.8), (2 / 3, 1, 100.0, 66.7),
    (0.005, 2, 1.0, 0.01), (float("nan"), 1, 1.0, None), (None, 1, 1.0, None)])
def test_rounded_is_half_up(value, digits, scale, shown):
    assert rounded(value, digits, scale) == shown


def test_inputs_entered_on_the_settings_page_feed_the_current_quarter(client, login, org,
                                                                      make_user):
    """An admin enters Sở Tài chính's publicity (indicator 6) on /quan-tri/cai-dat from today;
    a dossier received now is rated with it in this quarter's report."""
    admin = make_user(Role.SYSTEM_ADMIN, username="admin")
    login(client, admin)
    page = client.get("/quan-tri/cai-dat/dossier.publicity_level")
    assert page.status_code == 200 and "Not entered" in page.get_data(as_text=True)
    posted = client.post("/quan-tri/cai-dat/dossier.publicity_level", data={
        "value": "1", "effective_from": today().isoformat(),
        "unit_id": str(org.other_department.id), "note": "Niêm yết tại quầy"})
    assert posted.status_code == 302
    received = now()
    dossier("HS-B9", org.other_department, received, received + timedelta(days=7))
    db.session.commit()
    current = RatingQuery(None, today().year, (today().month - 1) // 3 + 1)
    rows = rows_by_code(build_dossier_ratings(org.analyst, current))
    # Indicator 6 is the level entered (1); 5 was never entered for it: still missing.
    assert rows["P-STC"]["indicator_6"] == 1.0
    assert "5" in rows["P-STC"]["missing"].split(",")


# --- The page. ---------------------------------------------------------------------------

def test_analyst_sees_the_table(client, login, org, no_dossier_codes):
    login(client, org.analyst)
    page = client.get(URL, query_string=Q2)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Decree 118/2025" in html  # the scheme's legal status is on the page
    assert 'data-unit="P-SNV"' in html and 'data-unit="P-STC"' in html
    assert 'data-unit="XA"' not in html and "UBND xã Ngoài" not in html
    # Sở Nội vụ's indicators as shown: one decimal, half up (1.25 → 1.3), 7 missing.
    snv = html.split('data-unit="P-SNV"', 1)[1].split("</tr>", 1)[0]
    cells = [snv.split(f'data-indicator="{n}">', 1)[1].split("<", 1)[0] for n in range(1, 10)]
    assert cells == ["0.8", "0.8", "1.8", "1.3", "1.0", "2.0", "—", "0.0", "1.0"]
    assert "8.5" in snv and "incomplete: indicator(s) 7 missing" in snv
    assert "above the 1.0% target" in snv and "below the 100.0% target" in snv
    assert 'id="complaints-note"' in html


def test_department_analyst_sees_only_their_unit(client, login, org):
    login(client, org.dept_analyst)
    html = client.get(URL, query_string=Q2).get_data(as_text=True)
    assert 'data-unit="P-SNV"' in html and 'data-unit="P-STC"' not in html
    assert "Sở Tài chính" not in html  # not even in the unit filter


def test_menu_entry_for_analysts(client, login, org):
    login(client, org.analyst)
    assert URL in client.get("/quan-tri/").get_data(as_text=True)
    assert "Dossier ratings" in client.get("/quan-tri/").get_data(as_text=True)


def test_citizen_is_sent_to_sign_in_and_staff_without_reports_get_403(client, login, org):
    page = client.get(URL, query_string=Q2)
    assert page.status_code == 302 and "/dang-nhap" in page.headers["Location"]
    login(client, org.handler)  # a handling officer: no reports permission
    assert client.get(URL, query_string=Q2).status_code == 403
    assert client.get(URL + "xuat.csv", query_string=Q2).status_code == 403
    denied = db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action == "access.denied")).all()
    assert denied


@pytest.mark.parametrize("args", [
    {"year": "abc"}, {"year": "2017"}, {"year": "2026", "quarter": "5"},
    {"year": "2026", "unit": "999999"}, {"year": "2026", "unit": "x"}, {"quarter": "2"}])
def test_bad_filters_answer_400(client, login, org, args):
    login(client, org.analyst)
    page = client.get(URL, query_string=args)
    assert page.status_code == 400
    assert "Some filters are not valid" in page.get_data(as_text=True)
    assert client.get(URL + "xuat.csv", query_string=args).status_code == 400


def test_unit_outside_the_scope_is_a_bad_filter(client, login, org):
    login(client, org.dept_analyst)
    query = {**Q2, "unit": str(org.other_department.id)}
    assert client.get(URL, query_string=query).status_code == 400
    query["unit"] = str(org.outside.id)
    assert client.get(URL, query_string=query).status_code == 400


def test_no_data_state(client, login, org):
    login(client, org.analyst)
    page = client.get(URL, query_string={"year": "2025", "quarter": "1"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="no-data"' in html and 'id="dossier-ratings"' not in html
    assert client.get(URL).status_code == 200  # no filters: the current quarter


def test_vietnamese_page_renders(client_vi, login, org):
    login(client_vi, org.analyst)
    page = client_vi.get(URL, query_string=Q2)
    assert page.status_code == 200
    assert "Sở Nội vụ" in page.get_data(as_text=True)


# --- Exports. -----------------------------------------------------------------------------

HEADER = ["Unit code", "Unit", "Period", "Dossiers", *[f"Indicator {n}" for n in range(1, 10)],
          "Total (of 18)", "Complete", "Missing indicators", "Grade", "Official score (of 10)",
          "Official band", "Late dossiers", "Late share (%)", "Late dossiers with an apology",
          "Apology coverage (%)", "Late dossiers returned by the re-set date",
          "Online share (%)", "Procedures offered online (%)"]
# Sở Nội vụ as worked above, rounded half up to one decimal; 7 missing (empty cell).
SNV = ["P-SNV", "Sở Nội vụ", "2026-Q2", 4, 0.8, 0.8, 1.8, 1.3, 1.0, 2.0, None, 0.0, 1.0, 8.5,
       "No", "7", None, 4.5, None, 2, 50.0, 1, 50.0, 1, 25.0, None]
# Sở Tài chính, renamed to start with "=": the cell is neutralised with an apostrophe.
# Total of the known: 1+1+2+2+0+2 = 8.
STC = ["P-STC", "'=Sở Tài chính", "2026-Q2", 1, 1.0, 1.0, 2.0, 2.0, None, None, None, 0.0, 2.0,
       8.0, "No", "5,6,7", None, 6.0, None, 0, 0.0, 0, None, 0, 100.0, 20.0]


@pytest.fixture
def formula_name(org):
    org.other_department.name_vi = "=Sở Tài chính"
    db.session.commit()


def test_xlsx_export_cell_by_cell(client, login, org, formula_name, no_dossier_codes):
    login(client, org.analyst)
    response = client.get(URL + "xuat.xlsx", query_string=Q2)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "danh-gia-ho-so-2026-Q2" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADER
    assert len(rows) == 3
    for got, want in ((rows[1], SNV), (rows[2], STC)):
        assert len(got) == len(want)
        for index, (cell, expected) in enumerate(zip(got, want, strict=True)):
            assert cell == expected, (HEADER[index], cell, expected)
    audit = db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action == "reports.dossier_ratings_exported")).all()
    assert len(audit) == 1 and audit[0].after["format"] == "xlsx"


def test_csv_export_has_a_bom_and_the_same_cells(client, login, org, formula_name,
                                                  no_dossier_codes):
    login(client, org.analyst)
    response = client.get(URL + "xuat.csv", query_string=Q2)
    assert response.status_code == 200
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == HEADER

    def text(value) -> str:
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    assert rows[1] == [text(value) for value in SNV]
    assert rows[2] == [text(value) for value in STC]


def test_export_of_an_unknown_format_is_404(client, login, org):
    login(client, org.analyst)
    assert client.get(URL + "xuat.pdf", query_string=Q2).status_code == 404

