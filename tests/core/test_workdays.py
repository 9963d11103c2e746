"""Working-day arithmetic. Expected dates are worked out by hand from a 2026 wall calendar
(1/1/2026 is a Thursday) and the holidays package 0.109's list for Vietnam in 2026:
Thu 1/1; Tết Mon 16/2 – Fri 20/2; Hùng Kings Sun 26/4, observed Mon 27/4; Thu 30/4; Fri 1/5;
the swap Mon 31/8 off / Sat 22/8 worked; National Day Tue 1/9 and Wed 2/9; Vietnam Culture Day
Tue 24/11. The issue text said National Day is "2–3/9": the package (and the 2026 decision it
follows) gives 1/9 and 2/9, so Thu 3/9/2026 is a working day, and that is what is tested."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.clock import LOCAL_TZ
from core.extensions import db
from core.models import CalendarOverride
from core.workdays import (
    Override,
    WorkCalendar,
    add_calendar_override,
    add_working_days,
    count_working_days,
    deadline_end,
    is_working_day,
    load_calendar,
    remove_calendar_override,
)

CAL = WorkCalendar()


def at(day: int, month: int, hour: int = 10, minute: int = 0, year: int = 2026) -> datetime:
    """A moment in Vietnam's local time."""
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)


@pytest.mark.parametrize(("day", "working"), [
    (date(2026, 1, 1), False),   # Thu, New Year
    (date(2026, 1, 2), True),    # Fri after New Year: no bridge day in the package
    (date(2026, 2, 13), True),   # Fri before Tết
    (date(2026, 2, 16), False),  # Mon, Lunar New Year's Eve
    (date(2026, 2, 20), False),  # Fri, fourth day of Tết
    (date(2026, 2, 23), True),   # Mon after Tết
    (date(2026, 4, 26), False),  # Sun, Hùng Kings (a Sunday anyway)
    (date(2026, 4, 27), False),  # Mon, Hùng Kings observed
    (date(2026, 4, 30), False),  # Thu, Reunification Day
    (date(2026, 5, 1), False),   # Fri, Labour Day
    (date(2026, 8, 22), True),   # Sat, worked in exchange for Mon 31/8
    (date(2026, 8, 29), False),  # Sat, an ordinary weekend
    (date(2026, 8, 31), False),  # Mon, the swapped day off
    (date(2026, 9, 1), False),   # Tue, National Day
    (date(2026, 9, 2), False),   # Wed, National Day
    (date(2026, 9, 3), True),    # Thu: a working day (not "2–3/9")
    (date(2026, 11, 24), False),  # Tue, Vietnam Culture Day
    (date(2026, 11, 25), True),
])
def test_package_facts_for_2026(day, working):
    assert CAL.is_working_day(day) is working


@pytest.mark.parametrize(("start", "n", "expected"), [
    # Fri 13/2 10:00; next working days: Mon 23/2, Tue 24/2, Wed 25/2 (14–22/2 all closed).
    (at(13, 2), 1, date(2026, 2, 23)),
    (at(13, 2), 3, date(2026, 2, 25)),
    # Fri 13/2 16:00 is after 15:00: counts as received Mon 23/2, so day 1 is Tue 24/2.
    (at(13, 2, 16), 1, date(2026, 2, 24)),
    # Fri 24/4: Sat 25, Sun 26 (Hùng Kings), Mon 27 (observed) closed → Tue 28/4.
    (at(24, 4), 1, date(2026, 4, 28)),
    # Fri 24/4 + 3: Tue 28, Wed 29, then Thu 30/4, Fri 1/5, Sat 2, Sun 3 closed → Mon 4/5.
    (at(24, 4), 3, date(2026, 5, 4)),
    (at(29, 4), 1, date(2026, 5, 4)),
    # Fri 21/8 + 1 → Sat 22/8, the worked Saturday; + 2 → Mon 24/8.
    (at(21, 8), 1, date(2026, 8, 22)),
    (at(21, 8), 2, date(2026, 8, 24)),
    # Received on the worked Saturday 22/8 before 15:00: that day counts as the receipt day.
    (at(22, 8), 1, date(2026, 8, 24)),
    # Fri 28/8: Sat 29, Sun 30, Mon 31 (swap), Tue 1/9, Wed 2/9 closed → Thu 3/9, then Fri 4/9.
    (at(28, 8), 1, date(2026, 9, 3)),
    (at(28, 8), 2, date(2026, 9, 4)),
    # Mon 23/11 + 1: Tue 24/11 is Vietnam Culture Day → Wed 25/11.
    (at(23, 11), 1, date(2026, 11, 25)),
    # Sat 7/3 (ordinary Saturday) counts as received Mon 9/3: n=0 → 9/3, n=1 → Tue 10/3.
    (at(7, 3), 0, date(2026, 3, 9)),
    (at(7, 3), 1, date(2026, 3, 10)),
    # n=0 on a working day before the cut-off: the receipt day itself.
    (at(10, 3), 0, date(2026, 3, 10)),
])
def test_add_working_days(start, n, expected):
    assert CAL.add_working_days(start, n) == expected


@pytest.mark.parametrize(("hour", "minute", "expected"), [
    (14, 59, date(2026, 3, 11)),  # Tue 10/3 14:59 → counts from Tue 10/3 → Wed 11/3
    (15, 0, date(2026, 3, 11)),   # exactly 15:00 is not "after" the cut-off
    (15, 1, date(2026, 3, 12)),   # 15:01 → counts as received Wed 11/3 → Thu 12/3
])
def test_cutoff_at_15_local(hour, minute, expected):
    assert CAL.add_working_days(at(10, 3, hour, minute), 1) == expected


def test_cutoff_uses_local_time_not_utc():
    # 08:01 UTC is 15:01 in Vietnam (UTC+7): after the cut-off although 08:01 looks early.
    assert CAL.add_working_days(datetime(2026, 3, 10, 8, 1, tzinfo=UTC), 1) == date(2026, 3, 12)
    # 07:59 UTC is 14:59 local: before the cut-off.
    assert CAL.add_working_days(datetime(2026, 3, 10, 7, 59, tzinfo=UTC), 1) == date(2026, 3, 11)
    # 20:00 UTC on Mon 9/3 is already 03:00 on Tue 10/3 in Vietnam → due Wed 11/3.
    assert CAL.add_working_days(datetime(2026, 3, 9, 20, 0, tzinfo=UTC), 1) == date(2026, 3, 11)


def test_no_cutoff_counts_the_calendar_day():
    # With cutoff=None a 16:00 receipt on Tue 10/3 still counts from 10/3 → Wed 11/3.
    assert CAL.add_working_days(at(10, 3, 16), 1, cutoff=None) == date(2026, 3, 11)
    # Earlier cut-off (11:00): 12:00 is late → counts from Wed 11/3 → Thu 12/3.
    assert CAL.add_working_days(at(10, 3, 12), 1, cutoff=time(11, 0)) == date(2026, 3, 12)


def test_deadline_end_is_end_of_local_day_in_utc():
    # 23:59:59.999999 on 23/2 in UTC+7 is 16:59:59.999999 UTC the same day.
    assert deadline_end(date(2026, 2, 23)) == datetime(2026, 2, 23, 16, 59, 59, 999999,
                                                       tzinfo=UTC)
    assert deadline_end(date(2026, 2, 23)).tzinfo is not None


@pytest.mark.parametrize(("start", "end", "expected"), [
    (date(2026, 2, 13), date(2026, 2, 23), 1),   # only Mon 23/2 (14–22/2 closed)
    (date(2026, 3, 9), date(2026, 3, 13), 4),    # Tue–Fri
    (date(2026, 3, 9), date(2026, 3, 9), 0),     # same day
    (date(2026, 3, 13), date(2026, 3, 9), 0),    # end before start
    (date(2026, 8, 28), date(2026, 9, 4), 2),    # Thu 3/9 and Fri 4/9
    (date(2026, 8, 21), date(2026, 8, 24), 2),   # Sat 22/8 (worked) and Mon 24/8
    # January 2026: 22 weekdays (Thu 1 – Fri 30) minus New Year's Day = 21.
    (date(2025, 12, 31), date(2026, 1, 31), 21),
    # Datetimes count by their local day: 20:00 UTC on 9/3 is already 10/3 in Vietnam.
    (datetime(2026, 3, 9, 20, 0, tzinfo=UTC), date(2026, 3, 13), 3),
])
def test_count_working_days(start, end, expected):
    assert CAL.count_working_days(start, end) == expected


@pytest.mark.parametrize(("start", "n", "expected"), [
    (date(2026, 3, 2), 7, date(2026, 3, 9)),    # Mon + 7 = Mon 9/3, a working day
    (date(2026, 2, 10), 5, date(2026, 2, 23)),  # Sun 15/2 → next working day after Tết: 23/2
    (date(2026, 4, 1), 29, date(2026, 5, 4)),   # Thu 30/4 → 1/5, 2/5, 3/5 closed → Mon 4/5
    (date(2026, 8, 15), 7, date(2026, 8, 22)),  # lands on the worked Saturday: stays
    (at(31, 8, 10), 0, date(2026, 9, 3)),       # Mon 31/8 (off) + 0 → Thu 3/9
])
def test_add_calendar_days(start, n, expected):
    assert CAL.add_calendar_days(start, n) == expected


def test_overrides_take_precedence_both_ways():
    calendar = WorkCalendar([
        Override(date(2026, 3, 13), False, "Provincial decision: extra day off"),
        Override(date(2026, 9, 1), True, "Made a working day"),
    ])
    # Extra holiday Fri 13/3: Thu 12/3 + 1 → Mon 16/3 (it would be 13/3 without it).
    assert CAL.add_working_days(at(12, 3), 1) == date(2026, 3, 13)
    assert calendar.add_working_days(at(12, 3), 1) == date(2026, 3, 16)
    # Tue 1/9 made a working day: Fri 28/8 + 1 → Tue 1/9 (it would be Thu 3/9).
    assert calendar.add_working_days(at(28, 8), 1) == date(2026, 9, 1)
    assert calendar.is_working_day(date(2026, 9, 1)) and not calendar.is_working_day(
        date(2026, 3, 13))


NAIVE = datetime(2026, 3, 10, 10, 0)


@pytest.mark.parametrize(("call", "argument"), [
    (lambda: CAL.add_working_days(NAIVE, 1), "start"),
    (lambda: CAL.received_day(NAIVE), "received_at"),
    (lambda: CAL.count_working_days(NAIVE, date(2026, 3, 12)), "start"),
    (lambda: CAL.count_working_days(date(2026, 3, 9), NAIVE), "end"),
    (lambda: CAL.add_calendar_days(NAIVE, 3), "start"),
])
def test_naive_datetimes_are_refused_naming_the_argument(call, argument):
    with pytest.raises(ValueError, match=f"^{argument} must be a timezone-aware datetime"):
        call()


def test_negative_or_non_int_n_is_refused():
    with pytest.raises(ValueError, match="n must not be negative"):
        CAL.add_working_days(at(10, 3), -1)
    with pytest.raises(ValueError, match="n must not be negative"):
        CAL.add_calendar_days(date(2026, 3, 10), -3)
    with pytest.raises(ValueError, match="n must be an int"):
        CAL.add_working_days(at(10, 3), 1.5)


@settings(max_examples=200, deadline=None)
@given(moment=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)),
       n=st.integers(min_value=0, max_value=60))
def test_counting_back_gives_n(moment, n):
    start = moment.replace(tzinfo=LOCAL_TZ)
    assume(CAL.is_working_day(start.date()) and start.time() <= time(15, 0))
    due = CAL.add_working_days(start, n)
    assert CAL.count_working_days(start, due) == n
    assert CAL.is_working_day(due)


@settings(max_examples=200, deadline=None)
@given(moment=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)),
       n=st.integers(min_value=0, max_value=60))
def test_any_start_counts_from_its_receipt_day(moment, n):
    start = moment.replace(tzinfo=LOCAL_TZ)
    counted_from = CAL.received_day(start)
    due = CAL.add_working_days(start, n)
    assert CAL.is_working_day(counted_from) and counted_from >= start.date()
    assert CAL.count_working_days(counted_from, due) == n


# --- The app's calendar: overrides from the database ---------------------------------------


def test_module_functions_use_db_overrides_and_cache_is_invalidated(app):
    assert is_working_day(date(2026, 3, 13))
    first = load_calendar()
    assert load_calendar() is first  # cached per app
    override = add_calendar_override(date(2026, 3, 13), False, "Provincial decision")
    db.session.commit()  # the commit, not the flush, drops the cache
    assert not is_working_day(date(2026, 3, 13))
    assert add_working_days(at(12, 3), 1) == date(2026, 3, 16)
    assert count_working_days(date(2026, 3, 12), date(2026, 3, 16)) == 1
    remove_calendar_override(override.id)
    db.session.commit()
    assert is_working_day(date(2026, 3, 13))


def test_rolled_back_override_changes_nothing(app):
    load_calendar()
    add_calendar_override(date(2026, 3, 13), False, "Never saved")
    db.session.rollback()
    assert is_working_day(date(2026, 3, 13))
    assert db.session.scalar(db.select(db.func.count(CalendarOverride.id))) == 0


def test_year_days_lists_holidays_swaps_and_overrides():
    calendar = WorkCalendar([Override(date(2026, 3, 13), False, "Extra day off", 7)])
    days = {d.day: d for d in calendar.year_days(2026, "vi")}
    assert days[date(2026, 2, 17)].name == "Tết Nguyên Đán" and not days[date(2026, 2, 17)].working
    assert days[date(2026, 8, 22)].working  # the worked Saturday is listed
    assert days[date(2026, 3, 13)].override_id == 7
    assert date(2026, 9, 3) not in days  # an ordinary Thursday
    english = {d.day: d.name for d in calendar.year_days(2026, "en")}
    assert english[date(2026, 11, 24)] == "Vietnam Cultural Day"
    assert sorted(days) == list(days)  # date order
    assert all(d.year == 2026 for d in days) and len(days) == 16


def test_runaway_closure_is_reported():
    closed = [Override(date(2026, 1, 1) + timedelta(days=i), False, "x") for i in range(400)]
    with pytest.raises(RuntimeError):
        WorkCalendar(closed).next_working_day(date(2025, 12, 31))
