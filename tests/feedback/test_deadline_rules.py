"""The deadline rules page: rules in force and scheduled, the fallback settings (and which
need the agency's confirmation), adding a rule in one's scope, and the calculator."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from core.clock import LOCAL_TZ, today
from core.extensions import db
from core.models import AuditEntry, Role
from core.templating import format_date
from feedback.deadline_rules import calculate_deadlines
from feedback.deadlines import due_after
from feedback.models import DeadlineRule
from tests.feedback.helpers import build_org

URL = "/quan-tri/pakn/thoi-han/"


@pytest.fixture
def org(app, make_unit, make_user):
    return build_org(make_unit, make_user)


def _form(unit_id, **overrides) -> dict:
    data = {"step": "answer", "kind": "", "topic": "", "unit_id": str(unit_id), "days": "7",
            "effective_from": today().isoformat(), "reason": "Quyết định 12/QĐ-UBND"}
    data.update(overrides)
    return data


def test_page_shows_settings_and_the_ones_to_confirm(app, client, org, make_user, login):
    login(client, make_user(Role.SYSTEM_ADMIN))
    response = client.get(URL)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    settings = html.split('id="deadline-settings"')[1].split("</table>")[0]
    assert "pakn.transfer_days" in settings and "pakn.answer_days" in settings
    # Only the answer limit is unconfirmed.
    assert settings.count('class="needs-confirmation"') == 1
    answer_row = settings.split("pakn.answer_days")[1].split("</tr>")[0]
    assert "Needs the agency" in answer_row
    assert "No rule: the settings above apply." in html


def test_admin_adds_rules_now_and_later(app, client, org, make_user, login):
    login(client, make_user(Role.SYSTEM_ADMIN))
    response = client.post(URL, data=_form(org.department.id))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    later = (today() + timedelta(days=30)).isoformat()
    assert client.post(URL, data=_form(0, step="transfer", days="3", effective_from=later,
                                       kind="report", topic="health")).status_code == 302
    rules = db.session.execute(select(DeadlineRule).order_by(DeadlineRule.id)).scalars().all()
    assert [(r.step, r.unit_id, r.days, r.kind, r.topic) for r in rules] == [
        ("answer", org.department.id, 7, None, None), ("transfer", None, 3, "report", "health")]
    assert rules[0].reason == "Quyết định 12/QĐ-UBND"
    entries = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "feedback.deadline_rule_added")).scalars().all()
    assert len(entries) == 2
    html = client.get(URL).get_data(as_text=True)
    in_force = html.split('id="rules-in-force"')[1].split("</table>")[0]
    future = html.split('id="rules-future"')[1].split("</table>")[0]
    assert "Sở Nội vụ" in in_force and "Quyết định 12/QĐ-UBND" in in_force
    assert format_date(date.fromisoformat(later)) in future and "Every unit" in future


@pytest.mark.parametrize("overrides, field_error", [
    ({"days": "0"}, "days"),
    ({"days": "abc"}, "days"),
    ({"days": "121"}, "days"),  # above pakn.answer_days' maximum
    ({"effective_from": "2000-01-01"}, "effective_from"),
    ({"reason": ""}, "reason"),
    ({"step": "decide"}, "step"),
    ({"kind": "suggestion"}, "kind"),
])
def test_bad_input_is_refused(app, client, org, make_user, login, overrides, field_error):
    login(client, make_user(Role.SYSTEM_ADMIN))
    response = client.post(URL, data=_form(org.department.id, **overrides))
    assert response.status_code == 400
    assert f'id="{field_error}-err"' in response.get_data(as_text=True)
    assert db.session.execute(select(DeadlineRule)).first() is None


def test_scope_of_a_unit_admin(app, client, org, make_user, login):
    admin = make_user(Role.UNIT_ADMIN, org.department)
    login(client, admin)
    assert client.post(URL, data=_form(org.department.id)).status_code == 302
    # Another unit: not visible → 404; every unit: only a system-wide admin → 403.
    assert client.post(URL, data=_form(org.other_department.id)).status_code == 404
    assert client.post(URL, data=_form(0)).status_code == 403
    assert client.post(URL, data=_form(999999)).status_code == 404
    assert len(db.session.execute(select(DeadlineRule)).all()) == 1
    assert client.get(URL + f"?kind=report&unit_id={org.other_department.id}"
                            f"&received_on={today().isoformat()}").status_code == 404


def test_staff_without_the_permission_are_refused(app, client, org, login):
    login(client, org.handler)
    assert client.get(URL).status_code == 403
    assert client.post(URL, data=_form(org.department.id)).status_code == 403
    anonymous = app.test_client()
    assert anonymous.get(URL).status_code == 302


def test_calculator_uses_the_rules(app, client, org, make_user, login):
    login(client, make_user(Role.SYSTEM_ADMIN))
    assert client.post(URL, data=_form(org.department.id, days="7")).status_code == 302
    # The rule is in force from today: a case received from today on gets it.
    received = today() + timedelta(days=1)
    response = client.get(URL + f"?kind=report&topic=&unit_id={org.department.id}"
                                f"&received_on={received.isoformat()}")
    assert response.status_code == 200
    table = response.get_data(as_text=True).split('id="calculation"')[1]
    start = datetime.combine(received, time(9, 0), tzinfo=LOCAL_TZ)
    assert format_date(due_after(start, 7)) in table
    assert format_date(due_after(start, 5)) in table  # transfer: the setting's 5 days
    rows = calculate_deadlines(kind="report", topic=None, unit=org.department,
                               received_on=received)
    assert [(r.step.value, r.days) for r in rows] == [("transfer", 5), ("acknowledge", 10),
                                                     ("answer", 7)]
    # The other department has no rule, nor has a case received before the rule: the
    # setting (15) applies.
    other = calculate_deadlines(kind="report", topic=None, unit=org.other_department,
                                received_on=received)
    assert other[-1].days == 15
    earlier = calculate_deadlines(kind="report", topic=None, unit=org.department,
                                  received_on=today() - timedelta(days=1))
    assert earlier[-1].days == 15
    bad = client.get(URL + f"?kind=report&unit_id={org.department.id}&received_on=x")
    assert bad.status_code == 400
