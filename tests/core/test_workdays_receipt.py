"""The receipt day, per process (core.workdays.ReceiptRule).

PAKN: Civil Code 2015 (BLDS) art. 147 — a period fixed in days starts on the day after the
event, so the day of receipt is never counted, whatever day it is, and the first day counted
is the first working day after it; art. 148 — a last day that is not a working day moves to
the next working day. No cut-off hour unless the agency sets one.
Dossiers: one-stop rule (TT 01/2018/TT-VPCP art. 18) — received after 15:00 or on a day off
counts as received on the next working day, which is then not counted.

Expected dates are worked out by hand from a 2026 wall calendar (1/1/2026 is a Thursday) and
the 2026 days off the repo knows (holidays 0.109): Tết Mon 16/2 – Fri 20/2 (so Sat 14/2 –
Sun 22/2 is closed; Fri 13/2 and Mon 23/2 are working days); Hùng Kings Sun 26/4 observed
Mon 27/4; Thu 30/4; Fri 1/5; Sat 22/8 worked in exchange for Mon 31/8; Tue 1/9, Wed 2/9.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from core.clock import LOCAL_TZ
from core.workdays import (
    DEFAULT_CUTOFF,
    PAKN_CIVIL_CODE,
    WorkCalendar,
    dossier_receipt_rule,
    pakn_receipt_rule,
)

CAL = WorkCalendar()
DOSSIER = dossier_receipt_rule(DEFAULT_CUTOFF)
AGENCY_15 = pakn_receipt_rule(time(15, 0))


def at(day: int, month: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in Vietnam's local time, 2026."""
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL_TZ)


@pytest.mark.parametrize(("start", "n", "expected"), [
    # Sat 7/3 10:00: Sat not counted; Sun 8/3 is not a working day → day 1 is Mon 9/3.
    (at(7, 3), 1, date(2026, 3, 9)),
    # … day 5 is Fri 13/3 (Mon 9, Tue 10, Wed 11, Thu 12, Fri 13).
    (at(7, 3), 5, date(2026, 3, 13)),
    # Fri 6/3 16:00: no cut-off for PAKN; Fri not counted → day 1 is Mon 9/3 too.
    (at(6, 3, 16), 1, date(2026, 3, 9)),
    (at(6, 3, 16), 5, date(2026, 3, 13)),
    # Mon 9/3 10:00 → day 1 Tue 10/3.
    (at(9, 3), 1, date(2026, 3, 10)),
    # Wed 18/2 (the third day of Tết, a day off): day 1 is Mon 23/2, the first working day
    # after it; day 5 is Fri 27/2.
    (at(18, 2), 1, date(2026, 2, 23)),
    (at(18, 2), 5, date(2026, 2, 27)),
    # Sun 26/4 (Hùng Kings on a Sunday): Mon 27/4 is the observed day off → day 1 Tue 28/4;
    # day 3: Tue 28, Wed 29, then Thu 30/4 – Sun 3/5 closed → Mon 4/5.
    (at(26, 4), 1, date(2026, 4, 28)),
    (at(26, 4), 3, date(2026, 5, 4)),
    # The worked Saturday 22/8 is an ordinary receipt day → day 1 Mon 24/8.
    (at(22, 8), 1, date(2026, 8, 24)),
    # Sat 29/8: Sun 30, Mon 31 (swap), Tue 1/9, Wed 2/9 closed → day 1 Thu 3/9.
    (at(29, 8), 1, date(2026, 9, 3)),
    # n = 0 from a day off: the last day (Sat 7/3) is not a working day → Mon 9/3 (art. 148).
    (at(7, 3), 0, date(2026, 3, 9)),
])
def test_pakn_civil_code(start, n, expected):
    assert CAL.period_end(start, n, PAKN_CIVIL_CODE) == expected


@pytest.mark.parametrize(("start", "n", "expected"), [
    # The same moments under the one-stop rule: a day-off or after-15:00 receipt counts as
    # received on the next working day, and that day is not counted.
    (at(7, 3), 1, date(2026, 3, 10)),        # Sat → received Mon 9/3 → Tue 10/3
    (at(6, 3, 16), 1, date(2026, 3, 10)),    # Fri 16:00 → received Mon 9/3 → Tue 10/3
    (at(18, 2), 5, date(2026, 3, 2)),        # Tết → received Mon 23/2 → Tue 24 … Mon 2/3
    (at(9, 3), 1, date(2026, 3, 10)),        # an ordinary Monday morning: the same as PAKN
])
def test_dossier_one_stop(start, n, expected):
    assert CAL.period_end(start, n, DOSSIER) == expected
    # add_working_days keeps its meaning: the one-stop rule with the given cut-off.
    assert CAL.add_working_days(start, n) == expected


def test_a_pakn_received_on_saturday_is_a_day_ahead_of_the_one_stop_rule():
    # The problem the rule fixes: before, a Saturday PAKN was due with a Monday one.
    saturday, monday = at(7, 3), at(9, 3)
    assert CAL.period_end(saturday, 5, PAKN_CIVIL_CODE) == date(2026, 3, 13)
    assert CAL.period_end(monday, 5, PAKN_CIVIL_CODE) == date(2026, 3, 16)


@pytest.mark.parametrize(("start", "expected"), [
    (at(10, 3, 14, 59), date(2026, 3, 11)),  # before 15:00: Tue not counted → Wed 11/3
    (at(10, 3, 15, 0), date(2026, 3, 11)),   # exactly 15:00 is not after the cut-off
    (at(10, 3, 16, 0), date(2026, 3, 12)),   # counts as received Wed 11/3 → Thu 12/3
    # Fri 13/3 16:00 counts as received Sat 14/3, itself not counted → Mon 16/3: the same as
    # a Saturday receipt (a later receipt never gets an earlier deadline).
    (at(13, 3, 16, 0), date(2026, 3, 16)),
    (at(14, 3, 10, 0), date(2026, 3, 16)),   # Sat: the cut-off changes nothing
    # Thu 12/2 16:00 counts as received Fri 13/2 (a working day before Tết) → Mon 23/2.
    (at(12, 2, 16, 0), date(2026, 2, 23)),
    # 09:30 UTC on Tue 10/3 is 16:30 in Vietnam: after the cut-off.
    (datetime(2026, 3, 10, 9, 30, tzinfo=UTC), date(2026, 3, 12)),
])
def test_pakn_with_an_agency_cutoff(start, expected):
    assert CAL.period_end(start, 1, AGENCY_15) == expected


def test_without_the_agency_cutoff_a_late_pakn_still_counts_from_the_next_day():
    assert CAL.period_end(at(10, 3, 16), 1, PAKN_CIVIL_CODE) == date(2026, 3, 11)
    assert CAL.period_end(at(12, 2, 16), 1, PAKN_CIVIL_CODE) == date(2026, 2, 13)


def test_receipt_day_is_the_day_not_counted():
    assert CAL.receipt_day(at(7, 3), PAKN_CIVIL_CODE) == date(2026, 3, 7)
    assert CAL.receipt_day(at(7, 3), DOSSIER) == date(2026, 3, 9)
    assert CAL.receipt_day(at(10, 3, 16), AGENCY_15) == date(2026, 3, 11)
    # received_day keeps its signature and meaning (the one-stop rule).
    assert CAL.received_day(at(6, 3, 16)) == date(2026, 3, 9)
    assert CAL.received_day(at(6, 3, 16), cutoff=None) == date(2026, 3, 6)
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.receipt_day(datetime(2026, 3, 7, 10, 0), PAKN_CIVIL_CODE)


def test_rules_name_themselves_in_both_languages():
    assert PAKN_CIVIL_CODE.code == "pakn_civil_code"
    assert PAKN_CIVIL_CODE.label("vi") == ("Tính từ ngày làm việc tiếp theo sau ngày nhận "
                                           "(BLDS 2015, Điều 147)")
    assert "Civil Code 2015, art. 147" in PAKN_CIVIL_CODE.label("en")
    assert pakn_receipt_rule(None) is PAKN_CIVIL_CODE
    assert AGENCY_15.code == "pakn_agency_cutoff"
    assert "Nhận sau 15:00" in AGENCY_15.label("vi")
    assert DOSSIER.code == "dossier_one_stop"
    assert "TT 01/2018, Điều 18" in DOSSIER.label("vi")
    assert "after 15:00 or on a day off" in DOSSIER.label("en")
