"""surveys.dossier_frames: dossiers as a frame, local dates and working-day durations.

Expected durations are counted by hand on the 2026 calendar (Mon–Fri; 30/4 and 1/5 are
public holidays; the one-stop cut-off is 15:00), not with core.workdays.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from core.clock import LOCAL_TZ
from core.extensions import db
from core.models import SettingValue
from surveys.dossier_frames import FRAME_COLUMNS, dossiers_frame
from surveys.models import Dossier


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A local (Vietnam) moment, stored in UTC as the one-stop system's dates are."""
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ).astimezone(UTC)


@pytest.fixture
def units(make_unit):
    agency = make_unit("SO-TP", kind="agency", name_vi="Sở Tư pháp")
    desk = make_unit("SO-TP-Q1", parent=agency, kind="desk", name_vi="Quầy Tư pháp")
    other = make_unit("SO-XD", kind="agency", name_vi="Sở Xây dựng")
    return agency, desk, other


def add(code: str, unit, **fields) -> Dossier:
    dossier = Dossier(code=code, unit_id=unit.id, procedure_code="1.001234", **fields)
    db.session.add(dossier)
    db.session.flush()
    return dossier


def test_dates_are_local_and_durations_are_working_days(units):
    agency, desk, other = units
    # Mon 1 June 08:30, appointed Fri 5 June, returned Thu 4 June: counting from Mon 1 June,
    # allowed Tue–Fri = 4 working days, used Tue–Thu = 3.
    first = add("HS-1", agency, desk_id=desk.id, received_at=at(2026, 6, 1, 8, 30),
                legal_appointed_at=at(2026, 6, 5, 16), returned_at=at(2026, 6, 4, 10))
    # Mon 1 June 16:00 is after the 15:00 cut-off: counts from Tue 2 June, so the appointed
    # Fri 5 June allows Wed–Fri = 3. Not returned. Online: no office contacted. An apology
    # letter re-set the date to Wed 10 June: Wed 3 … Fri 5 and Mon 8 … Wed 10 June = 6.
    late_in_day = add("HS-2", agency, received_at=at(2026, 6, 1, 16),
                      legal_appointed_at=at(2026, 6, 5, 16), supplement_requests=2, online=True,
                      apology_issued=True, reset_appointed_at=at(2026, 6, 10, 16),
                      apology_number="15/PXL", apology_date=date(2026, 6, 4))
    # Received 23:30 UTC on 28 April = Wed 29 April 06:30 local; appointed Fri 8 May: Thu 30/4
    # and Fri 1/5 are holidays, then the weekend, so allowed = Mon 4 … Fri 8 May = 5.
    # Returned Sat 9 May, a day off: no working day after Fri 8, so used = 5 as well.
    holiday = add("HS-3", agency, received_at=datetime(2026, 4, 28, 23, 30, tzinfo=UTC),
                  legal_appointed_at=at(2026, 5, 8, 10), returned_at=at(2026, 5, 9, 9))
    # Outside the days asked for, and another unit.
    add("HS-4", agency, received_at=at(2026, 6, 30, 23, 59) + pd.Timedelta(minutes=2),
        legal_appointed_at=None)
    add("HS-5", other, received_at=at(2026, 6, 2, 9))
    db.session.commit()

    result = dossiers_frame([agency.id], date(2026, 4, 1), date(2026, 6, 30))
    nat = pd.NaT
    want = pd.DataFrame({
        "dossier_id": np.array([holiday.id, first.id, late_in_day.id], dtype="int64"),
        "unit_id": np.array([agency.id] * 3, dtype="int64"),
        "desk_id": pd.array([None, desk.id, None], dtype="Int64"),
        "procedure_code": pd.array(["1.001234"] * 3, dtype="string"),
        "received_on": pd.to_datetime(["2026-04-29", "2026-06-01", "2026-06-01"]),
        "appointed_on": pd.to_datetime(["2026-05-08", "2026-06-05", "2026-06-05"]),
        "reset_on": pd.to_datetime([nat, nat, "2026-06-10"]),
        "returned_on": pd.to_datetime(["2026-05-09", "2026-06-04", nat]),
        "allowed_days": [5.0, 4.0, 3.0],
        "reset_days": [np.nan, np.nan, 6.0],
        "used_days": [5.0, 3.0, np.nan],
        "supplement_requests": np.array([0, 0, 2], dtype="int64"),
        "agencies_contacted": pd.array([1, 1, 0], dtype="Int64"),
        "online": [False, False, True],
        "apology_issued": [False, False, True],
    })
    for column in ("received_on", "appointed_on", "reset_on", "returned_on"):
        want[column] = want[column].astype("datetime64[ns]")
    assert_frame_equal(result, want)
    # No code unless asked: it must not reach a published table by accident.
    assert "code" not in result.columns
    coded = dossiers_frame([agency.id], date(2026, 4, 1), date(2026, 6, 30), with_code=True)
    assert coded["code"].tolist() == ["HS-3", "HS-1", "HS-2"]


def test_a_units_own_cut_off_hour_is_used(units):
    agency, _desk, _other = units
    # The agency keeps its desk open until 17:00 (a per-unit setting in force in 2026): a
    # dossier received Mon 1 June 16:00 counts from that day, so appointed Fri 5 June
    # allows Tue–Fri = 4 working days.
    db.session.add(SettingValue(key="dossier.cutoff_hour", unit_id=agency.id,
                                effective_from=date(2026, 1, 1), value=17))
    add("HS-6", agency, received_at=at(2026, 6, 1, 16), legal_appointed_at=at(2026, 6, 5, 16))
    db.session.commit()
    result = dossiers_frame([agency.id], date(2026, 6, 1), date(2026, 6, 1))
    assert result["allowed_days"].tolist() == [4.0]


def test_no_units_or_no_dossiers_give_an_empty_typed_frame(units):
    agency, _desk, _other = units
    for frame in (dossiers_frame([], date(2026, 1, 1), date(2026, 12, 31)),
                  dossiers_frame([agency.id], date(2026, 1, 1), date(2026, 12, 31))):
        assert frame.empty
        assert list(frame.columns) == FRAME_COLUMNS
        assert frame["allowed_days"].dtype == "float64"
        assert frame["agencies_contacted"].dtype == "Int64"
        assert frame["received_on"].dtype == "datetime64[ns]"


@pytest.mark.parametrize(("since", "until", "name"), [
    (date(2026, 6, 2), date(2026, 6, 1), "until"),
    (datetime(2026, 6, 1), date(2026, 6, 1), "since"),
    (date(2026, 6, 1), "2026-06-30", "until"),
])
def test_bad_bounds_raise_value_errors_naming_them(units, since, until, name):
    with pytest.raises(ValueError, match=name):
        dossiers_frame([units[0].id], since, until)
