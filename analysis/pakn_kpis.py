"""PAKN key figures: cases received, handled on time or late, the open backlog by age and the
median handling time by unit, topic and channel.

Pure functions on a frame shaped like ``feedback.frames.cases_frame()`` (one row per case,
times as aware UTC timestamps). The database and the working-day calendar stay outside: the
caller either passes a day counter ``working_days(start, end) -> int`` (e.g.
``core.workdays.count_working_days``) or adds the columns ``handling_working_days`` (received
to handled, for handled cases) and ``age_working_days`` (received to ``as_of``, for open ones).
Without either, days are calendar days in Vietnam's time zone.

Definitions (DOMAIN.md §3)
--------------------------
outcome
    ``answered`` (answered, published, or closed after an answer), ``not_accepted``,
    ``transferred`` (outside our competence), ``merged`` (follows its master case and is
    counted there), else ``open``.
handled at
    ``answered_at`` for an answer; ``acknowledged_at`` (the sender was told) for a case not
    accepted or transferred, falling back to ``closed_at``. A case handled after ``as_of`` is
    counted as open: the figures describe the situation at ``as_of``.
on time
    Only formal cases with the step's deadline are timed: an answer by ``answer_due_at``, a
    transfer by ``transfer_due_at`` (5 working days), a refusal by ``acknowledge_due_at`` (10
    working days). ``on_time_share = on_time / timed`` (NaN when nothing is timed).
overdue
    An open case whose deadline for the pending step is before ``as_of``.
handling days
    Days from receipt to handling; the day of receipt is not counted (Civil Code art. 147).

Example:

>>> age_bucket(pd.Series([0, 5, 40])).tolist()  # days a case has been open
['0-5', '0-5', '>20']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from analysis.pakn_followups import FOLLOWUP_COLUMNS, followup_rates

__all__ = [
    "PaknKpis",
    "age_bucket",
    "backlog_by_age",
    "calendar_days",
    "case_outcomes",
    "day_counts",
    "followup_rates",
    "handling_counts",
    "median_days_by",
    "pakn_kpis",
    "received_counts",
]

LOCAL_TZ = "Asia/Ho_Chi_Minh"
OPEN_STATES = frozenset({"received", "registered", "assigned", "in_progress", "waiting",
                         "answer_drafted", "approved"})
ANSWERED_STATES = frozenset({"answered", "published"})
OUTCOMES = ("answered", "not_accepted", "transferred")
# (label, lowest age, highest age) in days, both included; None: no upper bound.
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-5", 0, 5), ("6-10", 6, 10), ("11-20", 11, 20), (">20", 21, None))
MEDIAN_DIMENSIONS = ("handling_unit_id", "topic", "channel")
RECEIVED_DIMENSIONS = ("kind", "channel", "topic")
DEFAULT_MIN_COUNT = 5
REQUIRED_COLUMNS = ("case_id", "kind", "is_formal", "topic", "channel", "state",
                    "classification", "handling_unit_id", "received_at", "answered_at",
                    "closed_at", "acknowledged_at", "transfer_due_at", "acknowledge_due_at",
                    "answer_due_at", "due_at")

DayCounter = Callable[[datetime, datetime], int]


@dataclass
class PaknKpis:
    """Every KPI table, each a tidy DataFrame (see ``pakn_kpis``)."""

    as_of: pd.Timestamp
    day_unit: str                     # "working_days" or "calendar_days"
    min_count: int
    received: pd.DataFrame            # dimension, key, cases
    handling: pd.DataFrame            # outcome, cases, timed, on_time, late, on_time_share
    backlog: pd.DataFrame             # age_bucket, open_cases, overdue
    medians: dict[str, pd.DataFrame] = field(default_factory=dict)
    # Per handling unit then "all": the senders' satisfaction and reopen rates.
    followups: pd.DataFrame = field(default_factory=lambda: followup_rates(
        pd.DataFrame(columns=list(FOLLOWUP_COLUMNS))))


def _check(frame: pd.DataFrame, as_of: object, min_count: int) -> pd.Timestamp:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [name for name in REQUIRED_COLUMNS if name not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks the column(s) {', '.join(missing)}")
    stamp = pd.Timestamp(as_of)
    if stamp.tzinfo is None:
        raise ValueError(f"as_of must be timezone-aware, got {as_of!r}")
    if isinstance(min_count, bool) or not isinstance(min_count, int | np.integer) \
            or min_count < 1:
        raise ValueError(f"min_count must be a positive int, got {min_count!r}")
    return stamp.tz_convert("UTC")


def _utc(series: pd.Series) -> pd.Series:
    # One resolution for every time column: pandas infers seconds for some inputs and
    # microseconds for others, and filling one with the other is deprecated.
    return pd.to_datetime(series, utc=True).dt.as_unit("ns")


def case_outcomes(frame: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """Per case: ``outcome`` (see the module), ``handled_at``, ``due_for_outcome`` (the
    deadline of the step handled, or pending for an open case), ``is_open``, ``timed``,
    ``on_time`` and ``overdue`` at ``as_of``. Same index as ``frame``."""
    stamp = _check(frame, as_of, DEFAULT_MIN_COUNT)
    state = frame["state"].astype("string")
    classification = frame["classification"].astype("string")
    closed = state == "closed"
    answered_at, acknowledged_at = _utc(frame["answered_at"]), _utc(frame["acknowledged_at"])
    closed_at = _utc(frame["closed_at"])

    is_answered = state.isin(ANSWERED_STATES) | (closed & answered_at.notna())
    is_rejected = (state == "not_accepted") | (closed & (classification == "not_accepted")
                                               & ~is_answered)
    is_transferred = (state == "transferred") | (
        closed & (classification == "outside_competence") & ~is_answered)
    outcome = pd.Series("open", index=frame.index, dtype="str")
    outcome[is_answered.fillna(False)] = "answered"
    outcome[is_rejected.fillna(False)] = "not_accepted"
    outcome[is_transferred.fillna(False)] = "transferred"
    outcome[(state == "merged").fillna(False)] = "merged"
    # Closed without any trace of how (should not happen): counted as handled when closed.
    odd_closed = (closed & (outcome == "open")).fillna(False)
    outcome[odd_closed] = "answered"

    answered = outcome == "answered"
    told = outcome.isin(["not_accepted", "transferred"])
    handled_at = answered_at.fillna(closed_at).where(answered) \
        .fillna(acknowledged_at.fillna(closed_at).where(told))
    rejected, moved = outcome == "not_accepted", outcome == "transferred"
    due = _utc(frame["answer_due_at"]).where(answered) \
        .fillna(_utc(frame["acknowledge_due_at"]).where(rejected)) \
        .fillna(_utc(frame["transfer_due_at"]).where(moved))

    handled_after_as_of = outcome.isin(OUTCOMES) & (handled_at > stamp).fillna(False)
    still_open = state.isin(OPEN_STATES).fillna(False)
    is_open = still_open | handled_after_as_of
    due = due.where(~still_open, _utc(frame["due_at"]))

    formal = frame["is_formal"].astype(bool)
    handled = outcome.isin(OUTCOMES) & ~is_open
    timed = handled & formal & due.notna() & handled_at.notna()
    on_time = timed & (handled_at <= due).fillna(False)
    overdue = is_open & due.notna() & (due < stamp).fillna(False)
    return pd.DataFrame({
        "outcome": outcome.where(~is_open, "open"),
        "handled_at": handled_at.where(~is_open),
        "due_for_outcome": due,
        "is_open": is_open.astype(bool),
        "timed": timed.astype(bool),
        "on_time": on_time.astype(bool),
        "overdue": overdue.astype(bool),
    }, index=frame.index)


def calendar_days(start: pd.Series, end: pd.Series | pd.Timestamp,
                  tz: str = LOCAL_TZ) -> pd.Series:
    """Whole calendar days from ``start``'s local day to ``end``'s (the start day not counted),
    as a float Series (NaN where a moment is missing)."""
    first = _utc(start).dt.tz_convert(tz).dt.normalize().dt.tz_localize(None)
    if isinstance(end, pd.Series):
        last = _utc(end).dt.tz_convert(tz).dt.normalize().dt.tz_localize(None)
    else:
        last = pd.Timestamp(end).tz_convert(tz).normalize().tz_localize(None)
    return ((last - first).dt.days).astype("float64")


def _counted(start: pd.Series, end: pd.Series, counter: DayCounter) -> pd.Series:
    values = [float(counter(a.to_pydatetime(), b.to_pydatetime()))
              if not (pd.isna(a) or pd.isna(b)) else np.nan
              for a, b in zip(start, end, strict=True)]
    return pd.Series(values, index=start.index, dtype="float64")


def day_counts(frame: pd.DataFrame, outcomes: pd.DataFrame, as_of: datetime,
               working_days: DayCounter | None = None) -> tuple[pd.Series, pd.Series, str]:
    """(handling days of handled cases, age of open cases at ``as_of``, unit name).

    With ``working_days`` the counter is called per case; else the columns
    ``handling_working_days`` / ``age_working_days`` are used when present; else calendar
    days."""
    stamp = pd.Timestamp(as_of).tz_convert("UTC")
    received = _utc(frame["received_at"])
    handled = outcomes["outcome"].isin(OUTCOMES)
    is_open = outcomes["is_open"]
    if working_days is not None:
        end_of_open = pd.Series(stamp, index=frame.index)
        handling = _counted(received.where(handled), outcomes["handled_at"], working_days)
        age = _counted(received.where(is_open), end_of_open.where(is_open), working_days)
        return handling, age, "working_days"
    if "handling_working_days" in frame.columns and "age_working_days" in frame.columns:
        handling = pd.to_numeric(frame["handling_working_days"], errors="coerce") \
            .astype("float64").where(handled)
        age = pd.to_numeric(frame["age_working_days"], errors="coerce") \
            .astype("float64").where(is_open)
        return handling, age, "working_days"
    handling = calendar_days(received, outcomes["handled_at"]).where(handled)
    age = calendar_days(received, stamp).where(is_open)
    return handling, age, "calendar_days"


def received_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Cases received: in all, formal vs suggestions, and by kind, channel and topic.
    Columns ``dimension``, ``key``, ``cases``; keys sorted within a dimension."""
    parts = [pd.DataFrame({"dimension": ["all"], "key": ["all"], "cases": [len(frame)]})]
    formal = frame["is_formal"].astype(bool)
    parts.append(pd.DataFrame({"dimension": ["formal", "formal"],
                               "key": ["formal", "suggestion"],
                               "cases": [int(formal.sum()), int((~formal).sum())]}))
    for dimension in RECEIVED_DIMENSIONS:
        counts = frame[dimension].astype("string").value_counts(sort=False).sort_index()
        parts.append(pd.DataFrame({"dimension": dimension, "key": list(counts.index),
                                   "cases": counts.to_numpy()}))
    result = pd.concat(parts, ignore_index=True)
    result["dimension"] = result["dimension"].astype("str")
    result["key"] = result["key"].astype("str")
    result["cases"] = result["cases"].astype("int64")
    return result


def handling_counts(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Handled cases per outcome and in total: ``cases`` (formal or not), ``timed`` (formal
    with a deadline), ``on_time``, ``late`` and ``on_time_share`` = on_time / timed."""
    handled = outcomes[outcomes["outcome"].isin(OUTCOMES) & ~outcomes["is_open"]]
    rows = []
    for name in (*OUTCOMES, "total"):
        part = handled if name == "total" else handled[handled["outcome"] == name]
        timed, on_time = int(part["timed"].sum()), int(part["on_time"].sum())
        rows.append({"outcome": name, "cases": len(part), "timed": timed, "on_time": on_time,
                     "late": timed - on_time,
                     "on_time_share": on_time / timed if timed else np.nan})
    result = pd.DataFrame(rows)
    for name in ("cases", "timed", "on_time", "late"):
        result[name] = result[name].astype("int64")
    result["on_time_share"] = result["on_time_share"].astype("float64")
    return result


def age_bucket(age: pd.Series) -> pd.Series:
    """The label of AGE_BUCKETS each age falls in (NaN stays missing)."""
    labels = pd.Series(pd.NA, index=age.index, dtype="object")
    for label, low, high in AGE_BUCKETS:
        inside = (age >= low) & ((age <= high) if high is not None else True)
        labels[inside.fillna(False)] = label
    return labels


def backlog_by_age(outcomes: pd.DataFrame, age: pd.Series) -> pd.DataFrame:
    """Open cases at ``as_of`` by age bucket, every bucket listed, then ``total``; with the
    overdue ones among them."""
    is_open = outcomes["is_open"]
    buckets = age_bucket(age.where(is_open))
    rows = []
    for label, _low, _high in AGE_BUCKETS:
        inside = is_open & (buckets == label).fillna(False)
        rows.append({"age_bucket": label, "open_cases": int(inside.sum()),
                     "overdue": int((inside & outcomes["overdue"]).sum())})
    rows.append({"age_bucket": "total", "open_cases": int(is_open.sum()),
                 "overdue": int((is_open & outcomes["overdue"]).sum())})
    result = pd.DataFrame(rows)
    result["open_cases"] = result["open_cases"].astype("int64")
    result["overdue"] = result["overdue"].astype("int64")
    return result


def median_days_by(frame: pd.DataFrame, handling_days: pd.Series, by: str,
                   min_count: int = DEFAULT_MIN_COUNT) -> pd.DataFrame:
    """Median handling days of handled cases per value of ``by``: columns ``by``, ``cases``,
    ``median_days`` and ``small_sample`` (fewer than ``min_count`` cases: show with care).
    Cases without a value of ``by`` (e.g. no handling unit: transferred or refused at
    triage) are left out. Sorted by ``by``."""
    if by not in frame.columns:
        raise ValueError(f"by must be a column of frame, got {by!r}")
    if isinstance(min_count, bool) or not isinstance(min_count, int | np.integer) \
            or min_count < 1:
        raise ValueError(f"min_count must be a positive int, got {min_count!r}")
    data = pd.DataFrame({by: frame[by], "days": handling_days}).dropna()
    grouped = data.groupby(by, sort=True)["days"]
    result = pd.DataFrame({
        "cases": grouped.size().astype("int64"),
        "median_days": grouped.median().astype("float64"),
    }).reset_index()
    result["small_sample"] = result["cases"] < min_count
    if by == "handling_unit_id":
        result[by] = result[by].astype("Int64")
    else:
        result[by] = result[by].astype("str")
    return result[[by, "cases", "median_days", "small_sample"]]


def pakn_kpis(frame: pd.DataFrame, as_of: datetime, *,
              working_days: DayCounter | None = None,
              min_count: int = DEFAULT_MIN_COUNT,
              followups: pd.DataFrame | None = None) -> PaknKpis:
    """All PAKN KPIs of the cases in ``frame`` (usually those received in a period) at
    ``as_of``.

    Parameters
    ----------
    frame : DataFrame shaped like ``feedback.frames.cases_frame()``; cases received after
        ``as_of`` are left out.
    as_of : aware datetime: the moment the figures describe.
    working_days : optional day counter; see ``day_counts``.
    min_count : medians over fewer cases are flagged ``small_sample``.
    followups : optional, one row per answer sent with a rating link (``followup_rates``).

    Returns
    -------
    PaknKpis
        ``received`` (dimension, key, cases), ``handling`` (outcome, cases, timed, on_time,
        late, on_time_share), ``backlog`` (age_bucket, open_cases, overdue) and ``medians``
        keyed by ``handling_unit_id``, ``topic``, ``channel`` and ``all`` (the dimension,
        cases, median_days, small_sample), and ``followups`` (``followup_rates``). Shares
        and medians of empty groups are NaN.
    """
    stamp = _check(frame, as_of, min_count)
    frame = frame[_utc(frame["received_at"]) <= stamp]
    outcomes = case_outcomes(frame, stamp)
    handling_days, age, unit = day_counts(frame, outcomes, stamp, working_days)
    medians = {by: median_days_by(frame, handling_days, by, min_count)
               for by in MEDIAN_DIMENSIONS}
    everyone = pd.Series("all", index=frame.index, dtype="str")
    medians["all"] = median_days_by(frame.assign(all=everyone), handling_days, "all",
                                    min_count)
    kpis = PaknKpis(as_of=stamp, day_unit=unit, min_count=min_count,
                    received=received_counts(frame), handling=handling_counts(outcomes),
                    backlog=backlog_by_age(outcomes, age), medians=medians)
    if followups is not None:
        kpis.followups = followup_rates(followups, min_count)
    return kpis
