"""analysis.pakn_kpis on a small hand-built register; every expected value is worked out by
hand in the comments (calendar days, and working days with a plain Monday–Friday counter)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from analysis.pakn_kpis import (
    case_outcomes,
    median_days_by,
    pakn_kpis,
)

# 03:00 UTC is 10:00 in Vietnam: every moment below falls on the same day in both zones.
AS_OF = datetime(2026, 3, 16, 3, 0, tzinfo=UTC)  # Monday 16/3/2026


def t(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 3, 0, tzinfo=UTC)


# id kind formal topic channel state classification unit received answered acknowledged
# closed | answer_due acknowledge_due transfer_due due_at
ROWS = [
    (1, "report", True, "procedures", "web", "answered", "in_competence", 10, t(3, 2),
     t(3, 9), None, None, t(3, 20), None, None, None),
    (2, "recommendation", True, "procedures", "hotline", "answered", "in_competence", 10,
     t(2, 2), t(3, 6), None, None, t(3, 2), None, None, None),
    (3, "report", True, "health", "web", "published", "in_competence", 20, t(3, 2),
     t(3, 5), None, None, t(3, 20), None, None, None),
    (4, "suggestion", False, "health", "box", "closed", "in_competence", 20, t(2, 20),
     t(2, 25), None, t(2, 26), None, None, None, None),
    (5, "report", True, "other", "email", "not_accepted", "not_accepted", None, t(3, 3),
     None, t(3, 4), None, None, t(3, 17), None, None),
    (6, "report", True, "water", "web", "transferred", "outside_competence", None, t(2, 2),
     None, t(2, 20), None, None, None, t(2, 9), None),
    (7, "recommendation", True, "water", "hotline", "closed", "outside_competence", None,
     t(3, 2), None, t(3, 4), t(3, 5), None, None, t(3, 9), None),
    (8, "report", True, "procedures", "web", "in_progress", "in_competence", 10, t(1, 5),
     None, t(1, 6), None, t(2, 13), None, None, t(2, 13)),
    (9, "suggestion", False, "other", "web", "received", None, None, t(3, 13),
     None, None, None, None, None, None, None),
    (10, "recommendation", True, "economy", "qr", "registered", None, None, t(3, 9),
     None, None, None, None, None, t(3, 20), t(3, 20)),
    # Answered on 18/3, after AS_OF: still open at AS_OF, and overdue (due 13/3).
    (11, "report", True, "procedures", "qr", "answered", "in_competence", 10, t(3, 2),
     t(3, 18), None, None, t(3, 13), None, None, None),
    (12, "report", True, "health", "web", "merged", None, None, t(3, 2),
     None, None, None, None, None, None, None),
    # Received after AS_OF: left out of everything.
    (13, "report", True, "other", "web", "received", None, None, t(3, 17),
     None, None, None, None, None, t(3, 24), t(3, 24)),
]


def cases() -> pd.DataFrame:
    """Shaped like feedback.frames.cases_frame(): same columns, same dtypes."""
    names = ["case_id", "kind", "is_formal", "topic", "channel", "state", "classification",
             "handling_unit_id", "received_at", "answered_at", "acknowledged_at", "closed_at",
             "answer_due_at", "acknowledge_due_at", "transfer_due_at", "due_at"]
    frame = pd.DataFrame.from_records(ROWS, columns=names)
    frame["agency_id"] = 1
    for name in ("origin_unit_id", "desk_id", "master_id"):
        frame[name] = pd.array([None] * len(frame), dtype="Int64")
    frame["procedure_code"] = None
    frame["assigned_at"] = None
    frame["extended"] = False
    frame["handling_unit_id"] = frame["handling_unit_id"].astype("Int64")
    for name in ("received_at", "answered_at", "acknowledged_at", "closed_at", "assigned_at",
                 "answer_due_at", "acknowledge_due_at", "transfer_due_at", "due_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    return frame


def weekdays(start: datetime, end: datetime) -> int:
    """Monday–Friday days after start's day up to and including end's day (no holidays):
    the same counting rule as core.workdays.count_working_days."""
    first = start.date() + timedelta(days=1)
    return int(np.busday_count(first, end.date() + timedelta(days=1)))


def test_weekday_counter_follows_the_civil_code_rule():
    assert weekdays(t(3, 13), t(3, 16)) == 1       # Fri → Mon: only Monday counts
    assert weekdays(t(3, 2), t(3, 2)) == 0
    assert date(2026, 3, 16).weekday() == 0


def test_received_counts():
    result = pakn_kpis(cases(), AS_OF).received
    # 12 cases (13 was received after AS_OF). Formal: all but 4 and 9.
    # kind: report 1,3,5,6,8,11,12 = 7; recommendation 2,7,10 = 3; suggestion 4,9 = 2.
    # channel: box 4 = 1; email 5 = 1; hotline 2,7 = 2; qr 10,11 = 2; web 1,3,6,8,9,12 = 6.
    # topic: economy 10 = 1; health 3,4,12 = 3; other 5,9 = 2; procedures 1,2,8,11 = 4;
    #        water 6,7 = 2.
    expected = pd.DataFrame({
        "dimension": ["all", "formal", "formal", "kind", "kind", "kind",
                      "channel", "channel", "channel", "channel", "channel",
                      "topic", "topic", "topic", "topic", "topic"],
        "key": ["all", "formal", "suggestion", "recommendation", "report", "suggestion",
                "box", "email", "hotline", "qr", "web",
                "economy", "health", "other", "procedures", "water"],
        "cases": [12, 10, 2, 3, 7, 2, 1, 1, 2, 2, 6, 1, 3, 2, 4, 2],
    })
    expected["cases"] = expected["cases"].astype("int64")
    assert_frame_equal(result, expected)


def test_handling_on_time_and_late():
    result = pakn_kpis(cases(), AS_OF).handling
    # answered: 1, 2, 3, 4 (11 was answered after AS_OF). Timed (formal with a due date):
    #   1: 9/3 <= 20/3 on time; 2: 6/3 > 2/3 late; 3: 5/3 <= 20/3 on time; 4 is a suggestion.
    #   → cases 4, timed 3, on time 2, late 1, share 2/3.
    # not accepted: 5, told 4/3 <= 17/3 → 1, 1, 1, 0, share 1.
    # transferred: 6 told 20/2 > due 9/2 late; 7 (closed) told 4/3 <= 9/3 on time
    #   → 2, 2, 1, 1, share 1/2.
    # total: 7 cases, 6 timed, 4 on time, 2 late, share 4/6.
    expected = pd.DataFrame({
        "outcome": ["answered", "not_accepted", "transferred", "total"],
        "cases": [4, 1, 2, 7], "timed": [3, 1, 2, 6], "on_time": [2, 1, 1, 4],
        "late": [1, 0, 1, 2], "on_time_share": [2 / 3, 1.0, 0.5, 4 / 6],
    })
    for name in ("cases", "timed", "on_time", "late"):
        expected[name] = expected[name].astype("int64")
    assert_frame_equal(result, expected)


def test_backlog_by_calendar_age():
    kpis = pakn_kpis(cases(), AS_OF)
    assert kpis.day_unit == "calendar_days"
    # Open at AS_OF: 8, 9, 10, 11 (12 is merged, counted with its master).
    #   8: 5/1 → 16/3 = 26 (rest of Jan) + 28 (Feb) + 16 = 70 days, >20, due 13/2: overdue.
    #   9: 13/3 → 16/3 = 3 days, 0-5, no deadline (suggestion).
    #  10: 9/3 → 16/3 = 7 days, 6-10, due 20/3: not overdue.
    #  11: 2/3 → 16/3 = 14 days, 11-20, answer due 13/3: overdue.
    expected = pd.DataFrame({"age_bucket": ["0-5", "6-10", "11-20", ">20", "total"],
                             "open_cases": [1, 1, 1, 1, 4], "overdue": [0, 0, 1, 1, 2]})
    expected[["open_cases", "overdue"]] = expected[["open_cases", "overdue"]].astype("int64")
    assert_frame_equal(kpis.backlog, expected)


def test_backlog_by_working_age():
    kpis = pakn_kpis(cases(), AS_OF, working_days=weekdays)
    assert kpis.day_unit == "working_days"
    # Mon 5/1 → Mon 16/3: 70 days = 10 weeks = 50 working days (>20, overdue).
    # Fri 13/3 → Mon 16/3: 1 (0-5). Mon 9/3 → Mon 16/3: 5 (0-5).
    # Mon 2/3 → Mon 16/3: 10 (6-10, overdue).
    expected = pd.DataFrame({"age_bucket": ["0-5", "6-10", "11-20", ">20", "total"],
                             "open_cases": [2, 1, 0, 1, 4], "overdue": [0, 1, 0, 1, 2]})
    expected[["open_cases", "overdue"]] = expected[["open_cases", "overdue"]].astype("int64")
    assert_frame_equal(kpis.backlog, expected)


def _medians(by: str, keys: list, cases_: list[int], medians: list[float],
             min_count: int) -> pd.DataFrame:
    frame = pd.DataFrame({by: keys, "cases": cases_, "median_days": medians})
    frame[by] = frame[by].astype("Int64" if by == "handling_unit_id" else "str")
    frame["cases"] = frame["cases"].astype("int64")
    frame["median_days"] = frame["median_days"].astype("float64")
    frame["small_sample"] = frame["cases"] < min_count
    return frame


def test_median_calendar_days_by_unit_topic_channel():
    kpis = pakn_kpis(cases(), AS_OF, min_count=3)
    # Handling days (receipt → answer or telling the sender), calendar:
    #   1: 2/3→9/3 = 7; 2: 2/2→6/3 = 32; 3: 2/3→5/3 = 3; 4: 20/2→25/2 = 5;
    #   5: 3/3→4/3 = 1; 6: 2/2→20/2 = 18; 7: 2/3→4/3 = 2.
    # Unit 10: 1, 2 → median(7, 32) = 19.5; unit 20: 3, 4 → median(3, 5) = 4.
    # (5, 6, 7 never reached a handling unit: left out.) Both have 2 < 3 cases: flagged.
    assert_frame_equal(kpis.medians["handling_unit_id"],
                       _medians("handling_unit_id", [10, 20], [2, 2], [19.5, 4.0], 3))
    # Topic: health 3, 4 → 4; other 5 → 1; procedures 1, 2 → 19.5; water 6, 7 → 10.
    assert_frame_equal(kpis.medians["topic"], _medians(
        "topic", ["health", "other", "procedures", "water"], [2, 1, 2, 2],
        [4.0, 1.0, 19.5, 10.0], 3))
    # Channel: box 4 → 5; email 5 → 1; hotline 2, 7 → median(32, 2) = 17;
    #          web 1, 3, 6 → median(7, 3, 18) = 7 with 3 cases: not flagged.
    assert_frame_equal(kpis.medians["channel"], _medians(
        "channel", ["box", "email", "hotline", "web"], [1, 1, 2, 3], [5.0, 1.0, 17.0, 7.0], 3))
    # All: 1, 2, 3, 5, 7, 18, 32 → 5.
    assert_frame_equal(kpis.medians["all"], _medians("all", ["all"], [7], [5.0], 3))


def test_median_working_days_by_unit_from_a_counter_or_from_columns():
    # Working days (Mon–Fri): 1: Mon 2/3→Mon 9/3 = 5; 2: Mon 2/2→Fri 6/3 = 4 weeks (20) + Tue
    # 3/3..Fri 6/3 (4) = 24; 3: Mon 2/3→Thu 5/3 = 3; 4: Fri 20/2→Wed 25/2 = Mon, Tue, Wed = 3;
    # 5: 1; 6: Mon 2/2→Fri 20/2 = 10 + 4 = 14; 7: 2.
    # Unit 10: median(5, 24) = 14.5; unit 20: median(3, 3) = 3. All: 1,2,3,3,5,14,24 → 3.
    kpis = pakn_kpis(cases(), AS_OF, working_days=weekdays)
    expected = _medians("handling_unit_id", [10, 20], [2, 2], [14.5, 3.0], 5)
    assert_frame_equal(kpis.medians["handling_unit_id"], expected)
    assert_frame_equal(kpis.medians["all"], _medians("all", ["all"], [7], [3.0], 5))

    # The caller may instead add the counts as columns (what feedback.kpis does).
    frame = cases()
    outcomes = case_outcomes(frame, AS_OF)
    frame["handling_working_days"] = [
        weekdays(r.received_at, h) if not pd.isna(h) else np.nan
        for r, h in zip(frame.itertuples(), outcomes["handled_at"], strict=True)]
    frame["age_working_days"] = [
        weekdays(r.received_at, AS_OF) if is_open else np.nan
        for r, is_open in zip(frame.itertuples(), outcomes["is_open"], strict=True)]
    from_columns = pakn_kpis(frame, AS_OF)
    assert from_columns.day_unit == "working_days"
    assert_frame_equal(from_columns.medians["handling_unit_id"], expected)
    assert_frame_equal(from_columns.backlog, kpis.backlog)


def test_outcomes_per_case():
    outcomes = case_outcomes(cases(), AS_OF)
    assert list(outcomes["outcome"]) == [
        "answered", "answered", "answered", "answered", "not_accepted", "transferred",
        "transferred", "open", "open", "open", "open", "merged", "open"]
    assert list(outcomes["overdue"]) == [False] * 7 + [True, False, False, True, False, False]
    assert pd.isna(outcomes.loc[10, "handled_at"])  # case 11: answered only after AS_OF


def test_empty_frame_gives_zeros_and_nan_shares():
    kpis = pakn_kpis(cases().iloc[0:0], AS_OF)
    assert kpis.received.loc[0, "cases"] == 0
    assert kpis.handling["cases"].tolist() == [0, 0, 0, 0]
    assert kpis.handling["on_time_share"].isna().all()
    assert kpis.backlog["open_cases"].tolist() == [0, 0, 0, 0, 0]
    assert kpis.medians["topic"].empty


def test_as_of_in_the_past_sees_the_register_as_it_was():
    # On 1/3, cases 1, 3, 5, 7, 9-13 had not been received yet.
    kpis = pakn_kpis(cases(), datetime(2026, 3, 1, 3, 0, tzinfo=UTC))
    # Received by 1/3: 2, 4, 6, 8 = 4 cases.
    assert kpis.received.loc[0, "cases"] == 4
    # Handled by 1/3: 4 (answered 25/2), 6 (transferred 20/2) → open: 2, 8.
    assert kpis.handling.set_index("outcome")["cases"].to_dict() == {
        "answered": 1, "not_accepted": 0, "transferred": 1, "total": 2}
    # 2's answer is due 2/3 (not yet overdue on 1/3); 8's was due 13/2: overdue.
    assert kpis.backlog.set_index("age_bucket").loc["total"].tolist() == [2, 1]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"as_of": datetime(2026, 3, 16)}, "as_of must be timezone-aware"),
    ({"min_count": 0}, "min_count must be a positive int"),
    ({"min_count": True}, "min_count must be a positive int"),
])
def test_bad_arguments(kwargs, message):
    arguments = {"as_of": AS_OF, **kwargs}
    with pytest.raises(ValueError, match=message):
        pakn_kpis(cases(), **arguments)


def test_bad_frame():
    with pytest.raises(ValueError, match="frame lacks the column"):
        pakn_kpis(cases().drop(columns=["answer_due_at"]), AS_OF)
    with pytest.raises(ValueError, match="frame must be a pandas DataFrame"):
        pakn_kpis([1, 2], AS_OF)
    with pytest.raises(ValueError, match="by must be a column"):
        median_days_by(cases(), pd.Series(dtype="float64"), "nope")
