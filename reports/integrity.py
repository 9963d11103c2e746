"""Integrity checks per period (issue 14 §3): run the rules of ``analysis.integrity`` over a
period's responses, store what they found, and record reviews.

A run reads every response of the period (seconds on a large install), so it is a job
(``integrity_recent_job``, hourly, for the current and previous month, quarter and half-year)
and a button on the page; the page only reads what the last run stored. Flags never change or
remove a response: the index "without flagged responses" is computed beside the usual one by
subtracting the flagged responses' answer counts, stored with the run.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, time, timedelta

import pandas as pd
from flask_babel import gettext as _
from sqlalchemy import func, select

from analysis.integrity import IntegrityThresholds, find_integrity_flags
from analysis.periods import parse_period, previous_period
from core.audit import acting_as, record_audit
from core.clock import LOCAL_TZ, now, today
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit
from core.settings import get_setting
from core.workdays import load_calendar
from reports.models import IntegrityFlag, IntegrityRun
from reports.setting_definitions import CLOSED, CLOSES_SETTING, OPENS_SETTING, SATURDAY_SETTING
from surveys.integrity_frames import (
    dossier_returns,
    integrity_responses,
    period_bounds,
    redeemed_tokens,
    responses_answer_counts,
)
from surveys.models import Response

MAX_NOTE = 2000


def _minutes(value: str) -> int:
    parsed = time.fromisoformat(value)
    return parsed.hour * 60 + parsed.minute


def desk_hours(desk_ids: list[int], on: date) -> pd.DataFrame:
    """``[desk_id, opens, closes, saturday_closes]`` (minutes after midnight; −1: closed on
    Saturdays), the settings in force ``on``."""
    units = db.session.scalars(select(Unit).where(Unit.id.in_(desk_ids))).all()
    rows = []
    for unit in units:
        saturday = get_setting(SATURDAY_SETTING, on=on, unit=unit)
        rows.append((unit.id, _minutes(get_setting(OPENS_SETTING, on=on, unit=unit)),
                     _minutes(get_setting(CLOSES_SETTING, on=on, unit=unit)),
                     -1 if saturday == CLOSED else _minutes(saturday)))
    return pd.DataFrame(rows, columns=["desk_id", "opens", "closes", "saturday_closes"]
                        ).astype("int64")


def working_days(first: date, last: date) -> list[date]:
    calendar = load_calendar()
    days = (first + timedelta(days=offset) for offset in range((last - first).days + 1))
    return [day for day in days if calendar.is_working_day(day)]


def compute_integrity_run(period: str, *,
                          thresholds: IntegrityThresholds | None = None) -> IntegrityRun:
    """Run every rule over ``period`` ("2026-Q1" …) and store the flags; flushes."""
    thresholds = thresholds or IntegrityThresholds()
    _freq, first, last = parse_period(period)
    responses = integrity_responses(first, last)
    result = find_integrity_flags(
        responses,
        dossier_returns(first, last, lead=timedelta(minutes=thresholds.burst_after_minutes)),
        redeemed_tokens(first, last),
        desk_hours(responses["desk_id"].unique().tolist(), last),
        working_days(first, last), thresholds)
    _store_flags(period, result.flags, responses)
    flagged = responses[responses["response_id"].isin(result.flagged["response_id"])]
    excluded = [[int(u), str(q), str(i), int(v), int(c)] for u, q, i, v, c in
                responses_answer_counts(flagged).itertuples(index=False)]
    run = db.session.scalar(select(IntegrityRun).where(IntegrityRun.period == period))
    if run is None:
        run = IntegrityRun(period=period)
        db.session.add(run)
    run.computed_at = now()
    run.responses = len(responses)
    run.last_response_id = int(responses["response_id"].max()) if len(responses) else 0
    run.thresholds = {key: list(value) if isinstance(value, tuple) else value
                      for key, value in asdict(thresholds).items()}
    run.excluded_counts = excluded
    per_unit = flagged.groupby(["desk_id", "quality"]).size()
    run.excluded_responses = [[int(u), str(q), int(n)] for (u, q), n in per_unit.items()]
    db.session.flush()
    return run


def _aware(moment) -> object:
    if moment is None or pd.isna(moment):
        return None
    return pd.Timestamp(moment).tz_localize(LOCAL_TZ).tz_convert("UTC").to_pydatetime()


def _store_flags(period: str, flags: pd.DataFrame, responses: pd.DataFrame) -> None:
    """Insert new flags, refresh those found again (their review stays), and mark those no
    longer found inactive (never deleted)."""
    existing = {(flag.subject_kind, flag.subject_id, flag.rule): flag for flag in
                db.session.scalars(select(IntegrityFlag).where(IntegrityFlag.period == period))}
    home = (responses.dropna(subset=["official_id"]).groupby("official_id")["desk_id"]
            .agg(lambda desks: int(desks.mode().iloc[0])))
    stamp = now()
    seen = set()
    for row in flags.itertuples(index=False):
        key = (row.subject_kind, int(row.subject_id), row.rule)
        seen.add(key)
        flag = existing.get(key)
        if flag is None:
            unit_id = int(row.subject_id) if row.subject_kind == "desk" else \
                int(home[row.subject_id])
            flag = IntegrityFlag(period=period, subject_kind=row.subject_kind,
                                 subject_id=int(row.subject_id), rule=row.rule,
                                 unit_id=unit_id, found_at=stamp)
            db.session.add(flag)
        flag.responses = int(row.responses)
        flag.first_at, flag.last_at = _aware(row.first_at), _aware(row.last_at)
        flag.evidence = row.evidence
        flag.response_ids = [int(i) for i in row.response_ids]
        flag.active = True
        flag.updated_at = stamp
    for key, flag in existing.items():
        if key not in seen and flag.active:
            flag.active = False
            flag.updated_at = stamp


def recompute_integrity(period: str) -> IntegrityRun:
    """``compute_integrity_run`` asked for by an analyst: audited; flushes."""
    run = compute_integrity_run(period)
    record_audit("integrity.recompute", object_type="integrity_run", object_id=run.id,
                 after={"period": period, "responses": run.responses})
    return run


def review_flag(flag: IntegrityFlag, note: str, *, reviewer_id: int) -> IntegrityFlag:
    """Mark ``flag`` reviewed with ``note`` (audited, before and after); flushes. Reviewing
    changes nothing else: the responses stay as they are."""
    note = (note or "").strip()
    if not note:
        raise ServiceError(_("Write a note saying what the review found."), status=400,
                           field="note")
    if len(note) > MAX_NOTE:
        raise ServiceError(_("The note is too long (at most %(n)d characters).", n=MAX_NOTE),
                           status=400, field="note")
    before = {"reviewed_at": flag.reviewed_at, "review_note": flag.review_note}
    flag.reviewed_at = now()
    flag.reviewed_by_id = reviewer_id
    flag.review_note = note
    record_audit("integrity.flag_reviewed", object_type="integrity_flag", object_id=flag.id,
                 unit_id=flag.unit_id, before=before,
                 after={"reviewed_at": flag.reviewed_at, "review_note": note,
                        "rule": flag.rule, "period": flag.period})
    db.session.flush()
    return flag


def responses_since(run: IntegrityRun) -> int:
    """Responses of the run's period stored after it (the page says the flags are stale)."""
    _freq, first, last = parse_period(run.period)
    start, end = period_bounds(first, last)
    return db.session.scalar(select(func.count()).select_from(Response).where(
        Response.submitted_at >= start, Response.submitted_at < end,
        Response.id > run.last_response_id)) or 0


def recent_periods(day: date) -> list[str]:
    """The current and previous month, quarter and half-year of ``day``."""
    labels = [f"{day.year}-{day.month:02d}", f"{day.year}-Q{(day.month - 1) // 3 + 1}",
              f"{day.year}-H{(day.month - 1) // 6 + 1}"]
    return [*labels, *(previous_period(label) for label in labels)]


def integrity_recent_job() -> None:
    """Periodic job: recompute the recent periods, each in its own transaction."""
    with acting_as("job:integrity"):
        for period in recent_periods(today()):
            compute_integrity_run(period)
            db.session.commit()
