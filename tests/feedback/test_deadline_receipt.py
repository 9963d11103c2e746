"""The receipt day of a PAKN case (issue #15 item 4): Civil Code 2015 art. 147 — the day of
receipt is not counted, whatever day it is, and counting starts with the next working day;
no 15:00 cut-off (a one-stop rule for dossiers, TT 01/2018 art. 18) unless the agency sets
one (setting pakn.receipt_cutoff, effective-dated). The case page and the deadline rules page
name the rule.

Dates worked out by hand on a 2026 calendar (1/1/2026 is a Thursday): Tết closes Sat 14/2 –
Sun 22/2 (Mon 16 – Fri 20 are days off); the default limits are 5 working days to transfer,
10 to tell the sender and 15 to answer (core settings).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.clock import LOCAL_TZ
from core.extensions import db
from core.models import Role, SettingValue
from feedback.deadline_rules import calculate_deadlines
from feedback.deadlines import case_receipt_rule
from tests.feedback.helpers import assign, build_org, submit_case

CIVIL_CODE_EN = ("Counted from the next working day after the day of receipt "
                 "(Civil Code 2015, art. 147)")


@pytest.fixture
def org(app, make_unit, make_user):
    return build_org(make_unit, make_user)


def _at(*args) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ).astimezone(UTC)


def _end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, 999999,
                    tzinfo=LOCAL_TZ).astimezone(UTC)


def _agency_cutoff(unit, value: str, effective_from: date) -> None:
    # Scheduled in the past directly (the service refuses past dates, rightly): the test
    # needs a setting in force on a fixed 2026 date.
    db.session.add(SettingValue(key="pakn.receipt_cutoff", unit_id=unit.id,
                                effective_from=effective_from, value=value))
    db.session.commit()


def test_a_pakn_received_on_saturday(app, org):
    # Sat 7/3: not counted; Sun 8/3 is no working day → day 1 Mon 9/3.
    case = submit_case(org, received_at=_at(2026, 3, 7, 10, 0))
    assert case.transfer_due_at == _end_of(date(2026, 3, 13))      # Mon 9 … Fri 13
    assert case.acknowledge_due_at == _end_of(date(2026, 3, 20))   # … Mon 16 … Fri 20
    assign(case, org)
    assert case.answer_due_at == _end_of(date(2026, 3, 27))        # … Mon 23 … Fri 27
    # The same case received on Monday 9/3 is due a working day later.
    monday = submit_case(org, received_at=_at(2026, 3, 9, 10, 0))
    assert monday.transfer_due_at == _end_of(date(2026, 3, 16))    # Tue 10 … Mon 16


def test_a_pakn_received_on_friday_at_16_00(app, org):
    # No cut-off for PAKN: Fri 6/3 is the day of receipt, day 1 is Mon 9/3.
    case = submit_case(org, received_at=_at(2026, 3, 6, 16, 0))
    assert case.transfer_due_at == _end_of(date(2026, 3, 13))      # Mon 9 … Fri 13


def test_a_pakn_received_during_tet(app, org):
    # Wed 18/2 is a Tết day off: day 1 is Mon 23/2, the first working day after it.
    case = submit_case(org, received_at=_at(2026, 2, 18, 10, 0))
    assert case.transfer_due_at == _end_of(date(2026, 2, 27))      # Mon 23 … Fri 27
    assert case.acknowledge_due_at == _end_of(date(2026, 3, 6))    # … Mon 2 … Fri 6 March
    assign(case, org)
    assert case.answer_due_at == _end_of(date(2026, 3, 13))        # … Mon 9 … Fri 13 March


def test_an_agency_cutoff_applies_from_its_date(app, org):
    _agency_cutoff(org.province, "15:00", date(2026, 3, 10))
    # Tue 10/3 16:00, after the agency's cut-off: counts as received Wed 11/3 (not
    # counted) → day 1 Thu 12/3; five working days: Thu 12, Fri 13, Mon 16, Tue 17, Wed 18.
    late = submit_case(org, received_at=_at(2026, 3, 10, 16, 0))
    assert late.transfer_due_at == _end_of(date(2026, 3, 18))
    assert case_receipt_rule(late).code == "pakn_agency_cutoff"
    # Before the cut-off the same day: day 1 Wed 11/3 → Tue 17/3.
    early = submit_case(org, received_at=_at(2026, 3, 10, 14, 0))
    assert early.transfer_due_at == _end_of(date(2026, 3, 17))
    # Mon 9/3 16:00, before the setting took effect: the Civil Code alone → Tue 10 … Mon 16.
    before = submit_case(org, received_at=_at(2026, 3, 9, 16, 0))
    assert before.transfer_due_at == _end_of(date(2026, 3, 16))
    assert case_receipt_rule(before).code == "pakn_civil_code"


def test_the_cutoff_of_another_agency_does_not_apply(app, org, make_unit):
    other = make_unit("Q", kind="province", name_vi="UBND tỉnh khác")
    _agency_cutoff(other, "15:00", date(2026, 1, 1))
    case = submit_case(org, received_at=_at(2026, 3, 10, 16, 0))
    assert case.transfer_due_at == _end_of(date(2026, 3, 17))      # Wed 11 … Tue 17


def test_the_case_page_names_the_rule(app, client, login, org):
    case = submit_case(org, received_at=_at(2026, 3, 7, 10, 0))
    login(client, org.officer)
    html = client.get(f"/quan-tri/pakn/{case.id}").get_data(as_text=True)
    deadlines = html.split("<dt>Deadlines</dt>")[1].split("</dd>")[0]
    assert 'data-rule="pakn_civil_code"' in deadlines
    assert CIVIL_CODE_EN in deadlines


def test_the_case_page_names_the_agency_cutoff(app, client, login, org):
    _agency_cutoff(org.province, "16:30", date(2026, 1, 1))
    case = submit_case(org, received_at=_at(2026, 3, 10, 17, 0))
    login(client, org.officer)
    html = client.get(f"/quan-tri/pakn/{case.id}").get_data(as_text=True)
    deadlines = html.split("<dt>Deadlines</dt>")[1].split("</dd>")[0]
    assert 'data-rule="pakn_agency_cutoff"' in deadlines
    assert "Received after 16:30 (the agency&#39;s cut-off)" in deadlines


def test_the_deadline_page_names_the_rules(app, client, login, org, make_user):
    login(client, make_user(Role.SYSTEM_ADMIN))
    html = client.get("/quan-tri/pakn/thoi-han/").get_data(as_text=True)
    table = html.split('id="receipt-rules"')[1].split("</table>")[0]
    assert CIVIL_CODE_EN in table
    assert ("Received after 15:00 or on a day off counts as received on the next working "
            "day, which is not counted (one-stop rules, TT 01/2018, art. 18)") in table
    # The calculator: Sat 7/3 → transfer Fri 13/3, each row names the rule.
    response = client.get(f"/quan-tri/pakn/thoi-han/?kind=report&topic=&unit_id="
                          f"{org.department.id}&received_on=2026-03-07&received_time=10:00")
    assert response.status_code == 200
    calc = response.get_data(as_text=True).split('id="calculation"')[1].split("</table>")[0]
    assert "13/03/2026" in calc
    assert calc.count('data-rule="pakn_civil_code"') == 3


def test_the_calculator_uses_the_time_and_the_cutoff(app, org):
    _agency_cutoff(org.province, "15:00", date(2026, 1, 1))
    late = calculate_deadlines(kind="report", topic=None, unit=org.department,
                               received_on=date(2026, 3, 10),
                               received_time=datetime(2026, 3, 10, 16, 0).time())
    # Counts as received Wed 11/3 → transfer Thu 12 … Wed 18/3.
    assert late[0].due_at == _end_of(date(2026, 3, 18))
    assert {row.rule.code for row in late} == {"pakn_agency_cutoff"}
    morning = calculate_deadlines(kind="report", topic=None, unit=org.department,
                                  received_on=date(2026, 3, 10))
    assert morning[0].due_at == _end_of(date(2026, 3, 17))         # 09:00: Wed 11 … Tue 17
