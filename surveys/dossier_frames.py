"""Read helper: dossiers as a DataFrame for the TT 01/2018 dossier rating (analysis.dossier_rating).

One row per dossier received in a period, with local dates and working-day durations counted
here on the core calendar (analysis/ never reads it). No personal data: a dossier holds none.
The dossier code is not personal either, but it identifies one citizen's case to whoever holds
the receipt, so it is left out unless asked for (to match complaints about a dossier) and must
not reach a published table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import select

from core.clock import LOCAL_TZ, local
from core.extensions import db
from core.models import Unit
from core.settings import get_setting
from core.workdays import WorkCalendar, load_calendar
from surveys.models import Dossier

CUTOFF_SETTING = "dossier.cutoff_hour"
FRAME_COLUMNS = ["dossier_id", "unit_id", "desk_id", "procedure_code", "received_on",
                 "appointed_on", "reset_on", "returned_on", "allowed_days", "reset_days",
                 "used_days", "supplement_requests", "agencies_contacted", "online",
                 "apology_issued"]
_DTYPES = {"dossier_id": "int64", "unit_id": "int64", "desk_id": "Int64",
           "procedure_code": "string", "received_on": "datetime64[ns]",
           "appointed_on": "datetime64[ns]", "reset_on": "datetime64[ns]",
           "returned_on": "datetime64[ns]", "allowed_days": "float64", "reset_days": "float64",
           "used_days": "float64", "supplement_requests": "int64",
           "agencies_contacted": "Int64", "online": "bool", "apology_issued": "bool",
           "code": "string"}


def _bounds(since: date, until: date) -> tuple[datetime, datetime]:
    for name, day in (("since", since), ("until", until)):
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValueError(f"{name} must be a date, got {day!r}")
    if until < since:
        raise ValueError(f"until ({until}) is before since ({since})")
    return (datetime.combine(since, time.min, tzinfo=LOCAL_TZ),
            datetime.combine(until + timedelta(days=1), time.min, tzinfo=LOCAL_TZ))


def _cutoffs(unit_ids: set[int], on: date) -> dict[int, time]:
    """Each unit's one-stop cut-off hour (a per-unit setting), read once per unit."""
    units = db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))
    return {unit.id: time(int(get_setting(CUTOFF_SETTING, on=on, unit=unit)), 0)
            for unit in units}


def _day(moment: datetime | None) -> date | None:
    return local(moment).date() if moment is not None else None


def dossiers_frame(unit_ids: Sequence[int], since: date, until: date, *,
                   with_code: bool = False,
                   calendar: WorkCalendar | None = None) -> pd.DataFrame:
    """Dossiers of ``unit_ids`` received on the local days ``since`` … ``until`` (both included).

    Columns (``FRAME_COLUMNS``, then ``code`` when ``with_code``):

    - ``received_on``, ``appointed_on``, ``reset_on``, ``returned_on``: local (Vietnam) dates,
      NaT if unset. ``appointed_on`` is the legal appointment day of the receipt (form 01),
      ``reset_on`` the day an apology letter (form 04) re-set it to: timeliness is judged
      against the legal day (DOMAIN.md §2.3), the re-set day only says whether the new
      promise was kept;
    - ``allowed_days`` / ``reset_days`` / ``used_days``: working days from the day the dossier
      counts as received (after the unit's cut-off hour, ``dossier.cutoff_hour``, or on a day
      off: the next working day, TT 01/2018 Đ18; ``core.workdays.received_day``) to the legal
      appointed day / the re-set day / the return day, that start day not counted (Civil Code
      art. 147; ``core.workdays``); NaN when the end day is unset;
    - ``agencies_contacted``: offices the citizen had to deal with, the one-stop desk included:
      0 for a dossier submitted online, else 1. The one-stop system reports no other contact,
      and under the one-stop rules (Decree 61/2018, now Decree 118/2025) the desk is the only
      office a citizen deals with; a feed that knows better may replace the column.
    """
    start, end = _bounds(since, until)
    ids = sorted({int(unit_id) for unit_id in unit_ids})
    columns = FRAME_COLUMNS + (["code"] if with_code else [])
    if not ids:
        return _typed(pd.DataFrame(columns=columns), columns)
    rows = db.session.execute(
        select(Dossier.id, Dossier.code, Dossier.unit_id, Dossier.desk_id, Dossier.procedure_code,
               Dossier.received_at, Dossier.legal_appointed_at, Dossier.reset_appointed_at,
               Dossier.returned_at,
               Dossier.supplement_requests, Dossier.online, Dossier.apology_issued)
        .where(Dossier.unit_id.in_(ids), Dossier.received_at >= start,
               Dossier.received_at < end)
        .order_by(Dossier.received_at, Dossier.id)).all()
    calendar = calendar or load_calendar()
    cutoffs = _cutoffs({row.unit_id for row in rows}, until) if rows else {}

    def working_days(first: date, moment: datetime | None) -> float:
        if moment is None:
            return np.nan
        return float(calendar.count_working_days(first, local(moment)))

    records = []
    for row in rows:
        first = calendar.received_day(row.received_at, cutoff=cutoffs[row.unit_id])
        record = {
            "dossier_id": row.id, "unit_id": row.unit_id, "desk_id": row.desk_id,
            "procedure_code": row.procedure_code, "received_on": _day(row.received_at),
            "appointed_on": _day(row.legal_appointed_at),
            "reset_on": _day(row.reset_appointed_at), "returned_on": _day(row.returned_at),
            "allowed_days": working_days(first, row.legal_appointed_at),
            "reset_days": working_days(first, row.reset_appointed_at),
            "used_days": working_days(first, row.returned_at),
            "supplement_requests": row.supplement_requests,
            "agencies_contacted": 0 if row.online else 1,
            "online": row.online, "apology_issued": row.apology_issued,
        }
        if with_code:
            record["code"] = row.code
        records.append(record)
    return _typed(pd.DataFrame.from_records(records, columns=columns), columns)


def _typed(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    frame = frame.reindex(columns=columns)
    for column in columns:
        if _DTYPES[column] == "datetime64[ns]":
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
        else:
            frame[column] = frame[column].astype(_DTYPES[column])
    return frame
