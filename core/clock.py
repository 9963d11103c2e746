"""The one place that reads the time, so tests and jobs agree on 'now' and on the local zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def now() -> datetime:
    """Aware UTC now."""
    return datetime.now(UTC)


def local(moment: datetime) -> datetime:
    """The same moment in Vietnam's time zone (UTC+7, no daylight saving)."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(LOCAL_TZ)


def today() -> date:
    """Today's date in Vietnam, which is what deadlines and effective dates mean."""
    return local(now()).date()
