"""Calendar periods of the reports: "2026-06" (month), "2026-Q2" (quarter), "2026-H1"
(half-year), "2026" (year). One home for the labels every figure, filter and report uses.

>>> parse_period("2026-Q2")
('quarter', datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))
>>> previous_period("2026-H1")
'2025-H2'
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd

__all__ = ["FREQUENCIES", "parse_period", "period_labels", "previous_period"]

FREQUENCIES = ("month", "quarter", "half", "year")
# Exactly the labels period_labels writes (ASCII digits only: int() would read others).
_PERIOD = re.compile(r"(19\d\d|2\d\d\d)(?:-(?:Q([1-4])|H([12])|(0[1-9]|1[0-2])))?", re.ASCII)


def period_labels(days: pd.Series, freq: str) -> pd.Series:
    """Calendar period of each day: "2026-06" (month), "2026-Q2" (quarter), "2026-H1"
    (half-year), "2026" (year). Missing days give missing labels."""
    if freq not in FREQUENCIES:
        raise ValueError(f"freq must be one of {FREQUENCIES}, got {freq!r}")
    stamps = pd.to_datetime(days)
    year = stamps.dt.year.astype("Int64").astype("string")
    month = stamps.dt.month.astype("Int64")
    if freq == "month":
        labels = year + "-" + month.astype("string").str.zfill(2)
    elif freq == "quarter":
        labels = year + "-Q" + ((month - 1) // 3 + 1).astype("string")
    elif freq == "half":
        labels = year + "-H" + ((month - 1) // 6 + 1).astype("string")
    else:
        labels = year
    return labels.astype("string")


def parse_period(label: str) -> tuple[str, date, date]:
    """"2026-Q2" → ("quarter", 2026-04-01, 2026-06-30): frequency and first and last day.

    Raises ValueError (naming ``label``) for anything else than the four forms of
    ``period_labels``.
    """
    if not isinstance(label, str):
        raise ValueError(f"label must be a period such as 2026-Q2, got {label!r}")
    match = _PERIOD.fullmatch(label)
    if match:
        year_text, quarter, half, month_text = match.groups()
        year = int(year_text)
        if quarter:
            first_month = (int(quarter) - 1) * 3 + 1
            return "quarter", date(year, first_month, 1), _month_end(year, first_month + 2)
        if half:
            first_month = (int(half) - 1) * 6 + 1
            return "half", date(year, first_month, 1), _month_end(year, first_month + 5)
        if month_text:
            month = int(month_text)
            return "month", date(year, month, 1), _month_end(year, month)
        return "year", date(year, 1, 1), date(year, 12, 31)
    raise ValueError(f"label must be a period such as 2026, 2026-H1, 2026-Q2 or 2026-06, "
                     f"got {label!r}")


def previous_period(label: str) -> str:
    """The period of the same length just before ``label`` ("2026-Q1" → "2025-Q4")."""
    freq, first, _ = parse_period(label)
    day_before = pd.Series([pd.Timestamp(first - timedelta(days=1))])
    return str(period_labels(day_before, freq).iloc[0])


def _month_end(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date(year, month + 1, 1) - timedelta(days=1)
