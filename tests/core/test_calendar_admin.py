"""The calendar admin page: the year's days, the deadline calculator, and local overrides."""

from __future__ import annotations

import re
from datetime import date, datetime, time

import pytest
from flask_babel import refresh

from core.clock import LOCAL_TZ
from core.extensions import db
from core.models import AuditEntry, CalendarOverride, Role
from core.workdays import add_working_days

URL = "/quan-tri/lich"


def at_local_noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=LOCAL_TZ)


@pytest.fixture
def unit(make_unit):
    return make_unit("LS", kind="province", name_vi="UBND tỉnh Lạng Sơn")


@pytest.fixture
def admin(client, make_user, login):
    user = make_user(Role.SYSTEM_ADMIN)
    login(client, user)
    return user


def overrides() -> list[tuple]:
    return [(o.day, o.is_working, o.reason) for o in db.session.scalars(
        db.select(CalendarOverride).order_by(CalendarOverride.day))]


def actions(name: str) -> list[AuditEntry]:
    return list(db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == name)))


def test_year_page_lists_holidays_in_vietnamese_and_english(client_vi, make_user, login, unit):
    client = client_vi
    login(client, make_user(Role.DESK_STAFF, unit=unit))  # UNITS_VIEW is enough to look
    page = client.get(f"{URL}?year=2026").get_data(as_text=True)
    assert "Tết Nguyên Đán" in page and "Quốc khánh" in page and "22/08/2026" in page
    assert "03/09/2026" not in page  # Thu 3/9/2026 is an ordinary working day
    assert 'name="is_working"' not in page  # no CALENDAR_MANAGE: no form
    client.set_cookie("lang", "en", domain="localhost")
    refresh()  # the tests share one app context, where Flask-Babel caches the locale
    english = client.get(f"{URL}?year=2026").get_data(as_text=True)
    assert "Lunar New Year" in english and "Vietnam Cultural Day" in english


def test_other_years_and_an_impossible_year(client, admin):
    # Tết 2027 per the package: 4/2 – 10/2/2027 (7 days, Sat 6/2 and Sun 7/2 among them).
    page = client.get(f"{URL}?year=2027").get_data(as_text=True)
    assert "10/02/2027" in page and "17/02/2026" not in page
    response = client.get(f"{URL}?year=1800")
    assert response.status_code == 400
    assert "Choose a year from 2000 to 2100" in response.get_data(as_text=True)


def test_calculator_gives_the_due_date_without_javascript(client, admin):
    # Fri 13/2/2026 16:00 is after 15:00 → counts as received Mon 23/2 (after Tết) → due Tue 24/2.
    page = client.get(f"{URL}?received_on=2026-02-13&received_at=16:00&days=1").get_data(
        as_text=True)
    assert 'id="due-date">' in page
    assert page.split('id="due-date">')[1].split("</strong>")[0].endswith("24/02/2026")
    assert "23/02/2026" in page  # counts as received on
    bad = client.get(f"{URL}?received_on=2026-02-13&received_at=16:00&days=-4")
    assert bad.status_code == 400 and 'class="error"' in bad.get_data(as_text=True)


def test_people_without_units_view_are_refused(client, make_user, login):
    login(client, make_user())
    assert client.get(URL).status_code == 403


def test_admin_adds_an_extra_holiday_and_deadlines_follow(client, admin, unit):
    # Warm the cache first, so the test shows the change invalidates it.
    assert add_working_days(at_local_noon(date(2026, 3, 12)), 1) == date(2026, 3, 13)
    response = client.post(f"{URL}/ngoai-le", data={
        "day": "2026-03-13", "is_working": "0", "reason": "Quyết định 99/QĐ-UBND"})
    assert response.status_code == 302 and "year=2026" in response.headers["Location"]
    assert overrides() == [(date(2026, 3, 13), False, "Quyết định 99/QĐ-UBND")]
    [entry] = actions("calendar.override_added")
    assert entry.actor_user_id == admin.id and entry.after["day"] == "2026-03-13"
    # Thu 12/3 + 1 working day: Fri 13/3 is now off → Mon 16/3.
    assert add_working_days(at_local_noon(date(2026, 3, 12)), 1) == date(2026, 3, 16)
    page = client.get(f"{URL}?received_on=2026-03-12&received_at=09:00&days=1").get_data(
        as_text=True)
    assert "Quyết định 99/QĐ-UBND" in page and "16/03/2026" in page


def test_admin_makes_a_package_holiday_a_working_day_then_removes_it(client, admin, unit):
    client.post(f"{URL}/ngoai-le", data={"day": "2026-09-01", "is_working": "1",
                                         "reason": "Test: làm việc bù"})
    # Fri 28/8 + 1: Tue 1/9 now works → 1/9 (it would be Thu 3/9).
    assert add_working_days(at_local_noon(date(2026, 8, 28)), 1) == date(2026, 9, 1)
    [override_id] = db.session.scalars(db.select(CalendarOverride.id))
    response = client.post(f"{URL}/ngoai-le/{override_id}/xoa")
    assert response.status_code == 302
    assert overrides() == [] and len(actions("calendar.override_removed")) == 1
    assert add_working_days(at_local_noon(date(2026, 8, 28)), 1) == date(2026, 9, 3)
    assert client.post(f"{URL}/ngoai-le/{override_id}/xoa").status_code == 404


def test_duplicate_day_is_refused_with_409(client, admin, unit):
    data = {"day": "2026-03-13", "is_working": "0", "reason": "first"}
    assert client.post(f"{URL}/ngoai-le", data=data).status_code == 302
    response = client.post(f"{URL}/ngoai-le", data={**data, "reason": "second"})
    assert response.status_code == 409
    assert "already has an entry" in response.get_data(as_text=True)
    assert overrides() == [(date(2026, 3, 13), False, "first")]


@pytest.mark.parametrize("data", [
    {"day": "2026-03-13", "is_working": "0", "reason": ""},
    {"day": "2026-03-13", "is_working": "0", "reason": "   "},
    {"day": "13/03/2026", "is_working": "0", "reason": "x"},
    {"day": "2026-03-13", "is_working": "maybe", "reason": "x"},
    {"day": "1800-03-13", "is_working": "0", "reason": "x"},  # outside 2000–2100
])
def test_bad_override_input_is_400(client, admin, unit, data):
    response = client.post(f"{URL}/ngoai-le", data=data)
    assert response.status_code == 400 and 'class="error"' in response.get_data(as_text=True)
    assert overrides() == [] and actions("calendar.override_added") == []


def test_unit_admin_cannot_change_the_calendar(client, make_user, login, unit):
    login(client, make_user(Role.UNIT_ADMIN, unit=unit))
    assert client.get(URL).status_code == 200
    response = client.post(f"{URL}/ngoai-le", data={
        "day": "2026-03-13", "is_working": "0", "reason": "not allowed"})
    assert response.status_code == 403
    assert overrides() == []
    assert [e.reason for e in actions("access.denied")] == ["calendar.manage"]


def _add(client, day: str, is_working: str, reason: str) -> int:
    assert client.post(f"{URL}/ngoai-le", data={"day": day, "is_working": is_working,
                                                "reason": reason}).status_code == 302
    return db.session.scalar(db.select(CalendarOverride.id).where(
        CalendarOverride.day == date.fromisoformat(day)))


def test_an_override_is_edited_in_place_and_audited(client, admin, unit):
    override_id = _add(client, "2026-03-13", "0", "Quyết định 12/QĐ-UBND")
    page = client.get(URL, query_string={"year": 2026}).get_data(as_text=True)
    assert f'href="/quan-tri/lich/ngoai-le/{override_id}/sua"' in page
    form = client.get(f"{URL}/ngoai-le/{override_id}/sua").get_data(as_text=True)
    assert 'value="2026-03-13"' in form and 'value="Quyết định 12/QĐ-UBND"' in form
    assert '<option selected value="0">' in form
    # Fri 13/3 off → Thu 12/3 + 1 working day is Mon 16/3; worked again it is Fri 13/3.
    assert add_working_days(at_local_noon(date(2026, 3, 12)), 1) == date(2026, 3, 16)
    response = client.post(f"{URL}/ngoai-le/{override_id}/sua", data={
        "day": "2026-03-20", "is_working": "0", "reason": "Quyết định 15/QĐ-UBND (thay 12)"})
    assert response.status_code == 302
    assert overrides() == [(date(2026, 3, 20), False, "Quyết định 15/QĐ-UBND (thay 12)")]
    assert db.session.scalar(db.select(CalendarOverride.id)) == override_id
    assert add_working_days(at_local_noon(date(2026, 3, 12)), 1) == date(2026, 3, 13)
    [entry] = actions("calendar.override_updated")
    assert entry.before == {"day": "2026-03-13", "is_working": False,
                            "reason": "Quyết định 12/QĐ-UBND"}
    assert entry.after == {"day": "2026-03-20", "is_working": False,
                           "reason": "Quyết định 15/QĐ-UBND (thay 12)"}
    assert entry.actor_user_id == admin.id and entry.object_id == str(override_id)


def test_editing_onto_another_entry_or_with_bad_input_changes_nothing(client, admin, unit):
    first = _add(client, "2026-03-13", "0", "first")
    _add(client, "2026-03-20", "1", "second")
    response = client.post(f"{URL}/ngoai-le/{first}/sua", data={
        "day": "2026-03-20", "is_working": "0", "reason": "moved"})
    assert response.status_code == 409
    assert "already has an entry (second)" in response.get_data(as_text=True)
    response = client.post(f"{URL}/ngoai-le/{first}/sua", data={
        "day": "2026-03-13", "is_working": "0", "reason": " "})
    assert response.status_code == 400
    assert re.search(r'<p class="error" id="reason-err">', response.get_data(as_text=True))
    assert overrides() == [(date(2026, 3, 13), False, "first"), (date(2026, 3, 20), True,
                                                                  "second")]
    assert actions("calendar.override_updated") == []
    assert client.get(f"{URL}/ngoai-le/999999/sua").status_code == 404


def test_only_calendar_managers_edit_overrides(client, admin, make_user, login, unit):
    override_id = _add(client, "2026-03-13", "0", "first")
    login(client, make_user(Role.UNIT_ADMIN, unit=unit))
    assert client.get(f"{URL}/ngoai-le/{override_id}/sua").status_code == 403
    response = client.post(f"{URL}/ngoai-le/{override_id}/sua", data={
        "day": "2026-03-13", "is_working": "1", "reason": "not allowed"})
    assert response.status_code == 403
    assert overrides() == [(date(2026, 3, 13), False, "first")]
