"""Working days: the calendar every deadline in the product is counted on.

Agencies work Monday to Friday. Public holidays, their observed days and the government's
yearly swaps come from the ``holidays`` package; the admin table ``calendar_overrides`` holds
local decisions it does not know yet and always wins over it.

Period counting follows the Civil Code (art. 147–148): the day of the event is not counted,
a period ends at the end of its last day, and a last day that is not a working day moves to
the next working day. Which day a receipt counts as depends on the process, so each process
names its ``ReceiptRule``: a PAKN follows the Civil Code alone (the day of receipt is never
counted, whatever day it is); a dossier follows the one-stop rule (received after the cut-off
hour, 15:00, or on a non-working day counts as received on the next working day).

``WorkCalendar`` is pure (no database); ``load_calendar`` builds one from the overrides and
caches it per app. The module-level functions use the app's calendar unless given one.
"""

from __future__ import annotations

import time as _time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays
from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session

from core.audit import record_audit, snapshot
from core.clock import LOCAL_TZ, local
from core.exceptions import NotFound, ServiceError
from core.extensions import db
from core.models import CalendarOverride

DEFAULT_CUTOFF = time(15, 0)
# Years the admin screens and the API accept (the package knows Vietnam's holidays for them).
FIRST_YEAR, LAST_YEAR = 2000, 2100
# No real calendar has this many non-working days in a row; stops a runaway loop if overrides
# were ever entered for a whole year by mistake.
MAX_CLOSED_RUN = 366
# Other processes (gunicorn workers) see a changed override after at most this long.
CACHE_SECONDS = 60.0
_CACHE_KEY = "langnghe_calendar"
_SESSION_FLAG = "calendar_changed"


@dataclass(frozen=True)
class Override:
    day: date
    is_working: bool
    reason: str = ""
    id: int | None = None


@dataclass(frozen=True)
class CalendarDay:
    """A day that differs from a plain Monday–Friday week, or carries a holiday's name."""

    day: date
    working: bool
    name: str
    override_id: int | None = None


@dataclass(frozen=True)
class ReceiptRule:
    """How the moment of receipt becomes the day a period counts from. That day is never
    counted itself (Civil Code 2015, art. 147); the rule only says which day it is, so a
    computed date can name the rule that produced it (``code``, and a label in both languages).
    """

    code: str
    label_vi: str
    label_en: str
    # Received after this local time: counts as received the next day.
    cutoff: time | None = None
    # Received on a day off (or moved onto one by the cut-off): counts as received on the
    # next working day. The one-stop rule does this; the Civil Code does not.
    day_off_moves: bool = False

    def label(self, language: str = "vi") -> str:
        return self.label_vi if language == "vi" else self.label_en


PAKN_CIVIL_CODE = ReceiptRule(
    "pakn_civil_code",
    "Tính từ ngày làm việc tiếp theo sau ngày nhận (BLDS 2015, Điều 147)",
    "Counted from the next working day after the day of receipt (Civil Code 2015, art. 147)")


@lru_cache(maxsize=64)
def pakn_receipt_rule(cutoff: time | None = None) -> ReceiptRule:
    """The PAKN rule: Civil Code art. 147 (receipt on Saturday → day 1 is Monday). No cut-off
    hour unless the agency sets one (setting ``pakn.receipt_cutoff``). A receipt after that
    hour counts as received the next calendar day, not the next working day: so a later
    receipt never gets an earlier deadline (Fri 16:00 and Sat 10:00 both start on Monday)."""
    if cutoff is None:
        return PAKN_CIVIL_CODE
    hour = cutoff.strftime("%H:%M")
    return ReceiptRule(
        "pakn_agency_cutoff",
        f"Nhận sau {hour} (giờ chốt do cơ quan quy định) tính là nhận ngày hôm sau; tính từ "
        "ngày làm việc tiếp theo sau ngày đó (BLDS 2015, Điều 147)",
        f"Received after {hour} (the agency's cut-off) counts as received the next day; "
        "counted from the next working day after it (Civil Code 2015, art. 147)",
        cutoff=cutoff)


@lru_cache(maxsize=64)
def dossier_receipt_rule(cutoff: time | None = None) -> ReceiptRule:
    """The one-stop rule for dossiers (TT 01/2018/TT-VPCP, art. 18): received after the
    cut-off hour or on a day off counts as received on the next working day, which is then
    not counted. ``cutoff=None``: only the day-off part."""
    hour = cutoff.strftime("%H:%M") if cutoff is not None else None
    when_vi = f"sau {hour} hoặc vào ngày nghỉ" if hour else "vào ngày nghỉ"
    when_en = f"after {hour} or on a day off" if hour else "on a day off"
    return ReceiptRule(
        "dossier_one_stop",
        f"Nhận {when_vi} tính là nhận ngày làm việc tiếp theo; ngày đó không tính "
        "(quy định một cửa, TT 01/2018, Điều 18)",
        f"Received {when_en} counts as received on the next working day, which is not "
        "counted (one-stop rules, TT 01/2018, art. 18)",
        cutoff=cutoff, day_off_moves=True)


@dataclass(frozen=True)
class _YearFacts:
    closed_weekdays: frozenset[date]  # Mon–Fri days off (holidays, observed days, swaps)
    worked_weekend: frozenset[date]  # Sat/Sun worked in exchange for a day off


@lru_cache(maxsize=64)
def _package_holidays(year: int, language: str) -> holidays.HolidayBase:
    return holidays.VN(years=year, language=language)


@lru_cache(maxsize=64)
def _year_facts(year: int) -> _YearFacts:
    package = _package_holidays(year, "en_US")
    return _YearFacts(
        closed_weekdays=frozenset(d for d in package if d.weekday() < 5),
        worked_weekend=frozenset(d for d in package.weekend_workdays if d.year == year),
    )


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got a naive one: {value!r}")


def _require_count(name: str, n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValueError(f"{name} must be an int, got {n!r}")
    if n < 0:
        raise ValueError(f"{name} must not be negative, got {n}")


def _local_day(name: str, value: date | datetime) -> date:
    if isinstance(value, datetime):
        _require_aware(name, value)
        return local(value).date()
    return value


class WorkCalendar:
    """Working days from the package plus local overrides (which take precedence)."""

    def __init__(self, overrides: Iterable[Override] = ()):
        self.overrides: dict[date, Override] = {o.day: o for o in overrides}

    def is_working_day(self, day: date) -> bool:
        override = self.overrides.get(day)
        if override is not None:
            return override.is_working
        facts = _year_facts(day.year)
        if day.weekday() >= 5:
            return day in facts.worked_weekend
        return day not in facts.closed_weekdays

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        for offset in range(1, MAX_CLOSED_RUN + 1):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise RuntimeError(f"no working day within {MAX_CLOSED_RUN} days after {day}")

    def received_day(self, received_at: datetime, *, cutoff: time | None = DEFAULT_CUTOFF
                     ) -> date:
        """The working day a dossier counts as received on (the one-stop rule)."""
        return self.receipt_day(received_at, dossier_receipt_rule(cutoff), name="received_at")

    def receipt_day(self, received_at: datetime, rule: ReceiptRule, *,
                    name: str = "received_at") -> date:
        """The day a period counts from under ``rule`` (that day itself is not counted)."""
        _require_aware(name, received_at)
        moment = local(received_at)
        day = moment.date()
        if rule.cutoff is not None and moment.time() > rule.cutoff:
            day += timedelta(days=1)
        if rule.day_off_moves and not self.is_working_day(day):
            return self.next_working_day(day)
        return day

    def period_end(self, start: datetime, n: int, rule: ReceiptRule) -> date:
        """Last day of a period of ``n`` working days from the moment ``start`` under ``rule``:
        the receipt day is not counted (art. 147), and a last day that is not a working day
        (possible only with ``n == 0`` and a receipt on a day off) moves on (art. 148)."""
        _require_count("n", n)
        day = self.receipt_day(start, rule, name="start")
        for _step in range(n):
            day = self.next_working_day(day)
        return day if self.is_working_day(day) else self.next_working_day(day)

    def add_working_days(self, start: datetime, n: int, *,
                         cutoff: time | None = DEFAULT_CUTOFF) -> date:
        """``period_end`` under the one-stop rule; with ``n == 0`` the receipt day itself."""
        return self.period_end(start, n, dossier_receipt_rule(cutoff))

    def count_working_days(self, start: date | datetime, end: date | datetime) -> int:
        """Working days after ``start``'s day up to and including ``end``'s day (0 if none)."""
        first, last = _local_day("start", start), _local_day("end", end)
        count = 0
        day = first + timedelta(days=1)
        while day <= last:
            count += self.is_working_day(day)
            day += timedelta(days=1)
        return count

    def add_calendar_days(self, start: date | datetime, n: int) -> date:
        """Last day of a period of ``n`` calendar days, moved to a working day if needed."""
        _require_count("n", n)
        last = _local_day("start", start) + timedelta(days=n)
        return last if self.is_working_day(last) else self.next_working_day(last)

    def year_days(self, year: int, language: str = "vi") -> list[CalendarDay]:
        """Holidays, worked weekend days and overrides of ``year``, in date order."""
        package = _package_holidays(year, "vi" if language == "vi" else "en_US")
        days: dict[date, CalendarDay] = {}
        for day, name in package.items():
            days[day] = CalendarDay(day, self.is_working_day(day), name)
        for day in _year_facts(year).worked_weekend:
            days[day] = CalendarDay(day, self.is_working_day(day),
                                    _("Weekend day worked in exchange for a day off"))
        for day, override in self.overrides.items():
            if day.year == year:
                days[day] = CalendarDay(day, override.is_working, override.reason, override.id)
        return [days[d] for d in sorted(days)]


def deadline_end(day: date) -> datetime:
    """The end of ``day`` in Vietnam (23:59:59.999999 local), as an aware UTC datetime."""
    return datetime.combine(day, time.max, tzinfo=LOCAL_TZ).astimezone(UTC)


# --- The app's calendar: overrides from the database, cached per app. ---------------------


def read_overrides() -> list[CalendarOverride]:
    return list(db.session.scalars(db.select(CalendarOverride).order_by(CalendarOverride.day)))


def load_calendar() -> WorkCalendar:
    """The app's calendar, rebuilt when an override changes here or the cache is stale."""
    cached = current_app.extensions.get(_CACHE_KEY)
    if cached is not None and _time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    calendar = WorkCalendar(Override(o.day, o.is_working, o.reason, o.id)
                           for o in read_overrides())
    current_app.extensions[_CACHE_KEY] = (_time.monotonic(), calendar)
    return calendar


def invalidate_calendar() -> None:
    if has_app_context():
        current_app.extensions.pop(_CACHE_KEY, None)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # Drop the cache only once the change is visible to other sessions.
    if session.info.pop(_SESSION_FLAG, False):
        invalidate_calendar()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_SESSION_FLAG, None)


def is_working_day(day: date, *, calendar: WorkCalendar | None = None) -> bool:
    return (calendar or load_calendar()).is_working_day(day)


def received_day(received_at: datetime, *, cutoff: time | None = DEFAULT_CUTOFF,
                 calendar: WorkCalendar | None = None) -> date:
    return (calendar or load_calendar()).received_day(received_at, cutoff=cutoff)


def add_working_days(start: datetime, n: int, *, cutoff: time | None = DEFAULT_CUTOFF,
                     calendar: WorkCalendar | None = None) -> date:
    return (calendar or load_calendar()).add_working_days(start, n, cutoff=cutoff)


def period_end(start: datetime, n: int, *, rule: ReceiptRule,
               calendar: WorkCalendar | None = None) -> date:
    return (calendar or load_calendar()).period_end(start, n, rule)


def count_working_days(start: date | datetime, end: date | datetime, *,
                       calendar: WorkCalendar | None = None) -> int:
    return (calendar or load_calendar()).count_working_days(start, end)


def add_calendar_days(start: date | datetime, n: int, *,
                      calendar: WorkCalendar | None = None) -> date:
    return (calendar or load_calendar()).add_calendar_days(start, n)


# --- Override services (flush, never commit). ------------------------------------------

OVERRIDE_FIELDS = ("day", "is_working", "reason")


def _check_override(day: date, reason: str, *, other_than: int | None = None) -> str:
    """The cleaned reason, or a ServiceError for a day out of range, no reason, or a day that
    already has another entry."""
    reason = (reason or "").strip()
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ServiceError(_("Choose a day from %(first)d to %(last)d.", first=FIRST_YEAR,
                             last=LAST_YEAR), status=400, field="day")
    if not reason:
        raise ServiceError(_("Give the reason for this change (for example the decision "
                             "that set it)."), status=400, field="reason")
    existing = db.session.scalar(db.select(CalendarOverride).where(
        CalendarOverride.day == day, CalendarOverride.id != (other_than or 0)))
    if existing is not None:
        raise ServiceError(_("%(day)s already has an entry (%(reason)s): change that entry "
                             "instead.", day=day.strftime("%d/%m/%Y"), reason=existing.reason),
                           status=409, field="day")
    return reason[:255]


def add_calendar_override(day: date, is_working: bool, reason: str, *,
                          actor_id: int | None = None) -> CalendarOverride:
    reason = _check_override(day, reason)
    override = CalendarOverride(day=day, is_working=is_working, reason=reason,
                                created_by_id=actor_id)
    db.session.add(override)
    db.session.flush()
    record_audit("calendar.override_added", object_type="calendar_override",
                 object_id=override.id, after=snapshot(override, OVERRIDE_FIELDS))
    db.session.info[_SESSION_FLAG] = True
    return override


def update_calendar_override(override_id: int, day: date, is_working: bool,
                             reason: str) -> CalendarOverride:
    """Change a local entry's day, status or reason; the audit entry keeps both versions."""
    override = db.session.get(CalendarOverride, override_id)
    if override is None:
        raise NotFound(_("This calendar entry no longer exists."))
    reason = _check_override(day, reason, other_than=override.id)
    before = snapshot(override, OVERRIDE_FIELDS)
    override.day, override.is_working, override.reason = day, is_working, reason
    after = snapshot(override, OVERRIDE_FIELDS)
    if after == before:
        return override
    db.session.flush()
    record_audit("calendar.override_updated", object_type="calendar_override",
                 object_id=override.id, before=before, after=after)
    db.session.info[_SESSION_FLAG] = True
    return override


def remove_calendar_override(override_id: int, *, reason: str | None = None) -> date:
    """Delete an override; returns its day."""
    override = db.session.get(CalendarOverride, override_id)
    if override is None:
        raise NotFound(_("This calendar entry no longer exists."))
    before = snapshot(override, OVERRIDE_FIELDS)
    db.session.delete(override)
    db.session.flush()
    record_audit("calendar.override_removed", object_type="calendar_override",
                 object_id=override_id, before=before, reason=reason)
    db.session.info[_SESSION_FLAG] = True
    return override.day
