"""analysis.dossier_rating: TT 01/2018 dossier indicators, worked by hand on small cases.

Reference values are the arithmetic in the comments (TT 01/2018 mappings as DOMAIN.md §2.3
states them); nothing below reuses the module's own formulas.
"""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from analysis.dossier_rating import (
    TT01_2018,
    RatingScheme,
    dossier_points,
    grade,
    official_band,
    online_points,
    period_labels,
    rate_dossiers,
    unit_points,
)

AS_OF = date(2026, 7, 1)
NA = pd.NA


def dossiers(rows: list[tuple]) -> pd.DataFrame:
    """(unit, received, appointed, returned, allowed, used, supplements, agencies, online,
    apology, upheld complaint) per dossier."""
    frame = pd.DataFrame(rows, columns=[
        "unit_id", "received_on", "appointed_on", "returned_on", "allowed_days", "used_days",
        "supplement_requests", "agencies_contacted", "online", "apology_issued",
        "upheld_complaint"])
    for column in ("received_on", "appointed_on", "returned_on"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    frame["allowed_days"] = frame["allowed_days"].astype("float64")
    frame["used_days"] = frame["used_days"].astype("float64")
    frame["agencies_contacted"] = frame["agencies_contacted"].astype("Int64")
    frame["upheld_complaint"] = frame["upheld_complaint"].astype("boolean")
    return frame


def inputs(rows: list[tuple], procedure_shares: list[float] | None = None) -> pd.DataFrame:
    """(unit, period, all procedures at the desk, publicity level, PAKN due, on time), and
    optionally each row's share of procedures offered online (indicator 9)."""
    frame = pd.DataFrame(rows, columns=["unit_id", "period", "all_procedures_at_desk",
                                        "publicity_level", "pakn_due", "pakn_on_time"])
    if procedure_shares is not None:
        frame["online_procedure_share"] = pd.Series(procedure_shares, dtype="float64")
    frame["all_procedures_at_desk"] = frame["all_procedures_at_desk"].astype("boolean")
    for column in ("publicity_level", "pakn_due", "pakn_on_time"):
        frame[column] = frame[column].astype("Float64").astype("float64")
    return frame


# Unit 7, second quarter of 2026, figures as at 1 July 2026:
#   a early (5 of 7 working days), no supplement, desk only, no complaint
#   b on time (7 of 7), one supplement, online, no complaint
#   c late (6 of 4), two supplements, desk only, apology letter, upheld complaint
#   d not returned, appointed 5 June < 1 July: overdue, so late; no supplement, online
#   e not returned, appointed 3 July > 1 July: pending; online; complaint unknown
UNIT_7 = [
    (7, "2026-04-01", "2026-04-10", "2026-04-08", 7, 5, 0, 1, False, False, False),
    (7, "2026-04-06", "2026-04-15", "2026-04-15", 7, 7, 1, 0, True, False, False),
    (7, "2026-05-04", "2026-05-08", "2026-05-12", 4, 6, 2, 1, False, True, True),
    (7, "2026-06-01", "2026-06-05", None, 4, np.nan, 0, 1, True, False, False),
    (7, "2026-06-25", "2026-07-03", None, 6, np.nan, 0, 0, True, False, NA),
]
# Unit 8, same quarter: one dossier, early (3 of 6), desk only, no complaint; no input row.
UNIT_8 = [(8, "2026-04-10", "2026-04-20", "2026-04-17", 6, 3, 0, 1, False, False, False)]
COLUMNS = ["unit_id", "period", "dossiers", "judged", "late", "late_share", "apologies",
           "apology_coverage", "reset_kept", "online_share", "online_late",
           "online_procedure_share", *[f"indicator_{n}" for n in range(1, 10)],
           "total", "complete", "missing", "grade", "official", "official_complete", "band"]


def expected(rows: list[list]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for name in ("unit_id", "dossiers", "judged", "late", "apologies", "reset_kept",
                 "online_late"):
        frame[name] = frame[name].astype("int64")
    for name in ("period", "missing", "grade", "band"):
        frame[name] = frame[name].astype("string")
    for name in COLUMNS:
        if name.startswith("indicator_") or name in (
                "late_share", "apology_coverage", "online_share", "online_procedure_share",
                "total", "official"):
            frame[name] = frame[name].astype("float64")
    for name in ("complete", "official_complete"):
        frame[name] = frame[name].astype(bool)
    return frame


def test_dossier_points_follow_the_tt01_mappings():
    result = dossier_points(dossiers(UNIT_7), AS_OF)
    nan = np.nan
    want = pd.DataFrame({
        "timing": pd.array(["early", "on_time", "late", "late", "pending"], dtype="string"),
        "late": [False, False, True, True, False],
        "judged": [True, True, True, True, False],
        # c is late with an apology letter; no re-set day is given, so none kept it.
        "apology": [False, False, True, False, False],
        "reset_kept": [False, False, False, False, False],
        # 1 (and 2, which follows it): early 2, on time 1, late 0, pending not scored.
        "points_1": [2.0, 1.0, 0.0, 0.0, nan],
        "points_2": [2.0, 1.0, 0.0, 0.0, nan],
        # 3: supplements 0 → 2, 1 → 1, 2 → 0.
        "points_3": [2.0, 1.0, 0.0, 2.0, 2.0],
        # 4: offices contacted 0 → 2, 1 (the desk) → 1.
        "points_4": [1.0, 2.0, 1.0, 1.0, 2.0],
        # 7: no complaint: early 2, on time 1, late 0; upheld complaint 0; pending NaN.
        "points_7": [2.0, 1.0, 0.0, 0.0, nan],
    })
    assert_frame_equal(result, want)


def test_unknown_timing_and_counts_are_not_scored():
    frame = dossiers([
        # Returned but never given an appointed day: cannot be judged.
        (1, "2026-04-01", None, "2026-04-03", np.nan, 2, 7, NA, False, False, False),
        # Not returned, no appointed day: never overdue.
        (1, "2026-04-01", None, None, np.nan, np.nan, 1, 2, False, False, NA),
    ])
    result = dossier_points(frame, AS_OF)
    assert result["timing"].tolist() == ["unknown", "unknown"]
    assert result["judged"].tolist() == [False, False]
    assert result[["points_1", "points_2", "points_7"]].isna().all().all()
    # 7 supplements → 0; one → 1; agencies unknown → NaN, 2 → 0.
    assert result["points_3"].tolist() == [0.0, 1.0]
    assert math.isnan(result["points_4"][0]) and result["points_4"][1] == 0.0


def test_overdue_means_the_appointed_day_has_passed():
    frame = dossiers([(1, "2026-06-01", "2026-06-30", None, 5, np.nan, 0, 1, False, False,
                       False),
                      (1, "2026-06-01", "2026-07-01", None, 6, np.nan, 0, 1, False, False,
                       False)])
    # Appointed 30 June is before 1 July: late. Appointed 1 July (today): still pending.
    assert dossier_points(frame, AS_OF)["timing"].tolist() == ["late", "pending"]


def test_rating_by_unit_and_quarter_worked_by_hand():
    frame = dossiers(UNIT_7 + UNIT_8)
    given = inputs([(7, "2026-Q2", True, 1, 20, 19),
                    # Unit 9 has inputs but no dossier in the quarter.
                    (9, "2026-Q2", False, NA, 0, 0)])
    result = rate_dossiers(frame, given, as_of=AS_OF, period="quarter")
    nan = np.nan
    want = expected([
        # Unit 7: judged a, b, c, d (e pending); late c, d → 2/4 = 0.5; apologies c → 1/2.
        # online b, d, e → 3/5 = 0.6.
        # 1 = 2 = (2+1+0+0)/4 = 0.75; 3 = (2+1+0+2+2)/5 = 1.4; 4 = (1+2+1+1+2)/5 = 1.4;
        # 5: all at the desk → 1; 6: level 1; 7 = (2+1+0+0)/4 = 0.75;
        # 8: 19/20 = 95% ≥ 90% → 1; 9: 60% online ≥ 30% but d, online, is late, so not 2;
        # 60% ≥ 15% → 1 (TT 01/2018 Đ13).
        # total = 0.75+0.75+1.4+1.4+1+1+0.75+1+1 = 9.05 → fair (9–<12);
        # official = 0.75+0.75+1.4+1.4+0.75 = 5.05 → full (≥ 5).
        [7, "2026-Q2", 5, 4, 2, 0.5, 1, 0.5, 0, 0.6, 1, nan, 0.75, 0.75, 1.4, 1.4, 1.0, 1.0,
         0.75, 1.0, 1.0, 9.05, True, "", "fair", 5.05, True, "full"],
        # Unit 8: f early → 1 = 2 = 2, 3 = 2, 4 = 1, 7 = 2; online 0/1 → 9 = 0; no inputs.
        # total of the known = 2+2+2+1+2+0 = 9 but 5, 6, 8 missing: no grade.
        # official = 2+2+2+1+2 = 9 → full.
        [8, "2026-Q2", 1, 1, 0, 0.0, 0, nan, 0, 0.0, 0, nan, 2.0, 2.0, 2.0, 1.0, nan, nan,
         2.0, nan, 0.0, 9.0, False, "5,6,8", NA, 9.0, True, "full"],
        # Unit 9: no dossier: every dossier indicator and ratio NaN; 5 = 0; 8: none due → 2.
        # total of the known = 0+2 = 2; official has nothing known → NaN.
        [9, "2026-Q2", 0, 0, 0, nan, 0, nan, 0, nan, 0, nan, nan, nan, nan, nan, 0.0, nan,
         nan, 2.0, nan, 2.0, False, "1,2,3,4,6,7,9", NA, nan, False, NA],
    ])
    assert_frame_equal(result, want)


def test_rating_by_year_pools_the_quarters():
    # Unit 8's dossier in Q2 and another in Q3 (on time, 4 of 4, online): by quarter two rows,
    # by year one.
    frame = dossiers(UNIT_8 + [(8, "2026-08-03", "2026-08-07", "2026-08-07", 4, 4, 0, 0,
                                True, False, False)])
    quarters = rate_dossiers(frame, inputs([]), as_of=date(2026, 9, 1), period="quarter")
    assert quarters["period"].tolist() == ["2026-Q2", "2026-Q3"]
    year = rate_dossiers(frame, inputs([(8, "2026", True, 2, 3, 3)], [0.25]),
                         as_of=date(2026, 9, 1), period="year")
    row = year.iloc[0]
    # 1 = 2 = (2+1)/2 = 1.5; 3 = 2; 4 = (1+2)/2 = 1.5; 5 = 1; 6 = 2; 7 = 1.5; 8: 3/3 → 2;
    # 9: 25% of procedures ≥ 20%, 1/2 = 50% of dossiers ≥ 30%, none late → 2.
    # Total = 1.5+1.5+2+1.5+1+2+1.5+2+2 = 15 → excellent (≥ 15).
    assert (row["period"], row["dossiers"]) == ("2026", 2)
    assert row["total"] == pytest.approx(15.0)
    assert row["grade"] == "excellent"
    # Official = 1.5+1.5+2+1.5+1.5 = 8 → full.
    assert row["official"] == pytest.approx(8.0) and row["band"] == "full"


def test_empty_frames_give_an_empty_table_with_every_column():
    result = rate_dossiers(dossiers([]), inputs([]), as_of=AS_OF)
    assert_frame_equal(result, expected([]))


@pytest.mark.parametrize(("total", "label"), [
    (18.0, "excellent"), (15.0, "excellent"), (14.999, "good"), (12.0, "good"),
    (11.999, "fair"), (9.0, "fair"), (8.999, "average"), (6.0, "average"),
    (5.999, "weak"), (0.0, "weak"), (float("nan"), None)])
def test_grade_boundaries(total, label):
    # ≥15 Xuất sắc, 12–<15 Tốt, 9–<12 Khá, 6–<9 Trung bình, <6 Yếu (DOMAIN.md §2.3).
    assert grade(total) == label


@pytest.mark.parametrize(("score", "label"), [
    (10.0, "full"), (5.0, "full"), (4.999, "partial"), (3.5, "partial"), (3.499, "low"),
    (0.0, "low"), (float("nan"), None)])
def test_official_band_boundaries(score, label):
    # ≥5 → 100% of tasks, 3.5–<5 → 70–<100%, <3.5 → under 70% (DOMAIN.md §2.3).
    assert official_band(score) == label


def test_unit_points_thresholds():
    result = unit_points(inputs([
        (1, "2026", True, 2, 0, 0),     # 8: nothing due → 2
        (2, "2026", False, 0, 10, 10),  # 8: 100% → 2
        (3, "2026", NA, 1, 10, 9),      # 8: exactly 90% → 1
        (4, "2026", True, NA, 10, 8),   # 8: 80% → 0
        (5, "2026", NA, NA, NA, NA),    # nothing entered
    ]))
    nan = np.nan
    want = pd.DataFrame({
        "unit_id": np.array([1, 2, 3, 4, 5], dtype="int64"),
        "period": pd.array(["2026"] * 5, dtype="string"),
        "points_5": [1.0, 0.0, nan, 1.0, nan],
        "points_6": [2.0, 0.0, 1.0, nan, nan],
        "points_8": [2.0, 2.0, 1.0, 0.0, nan],
        "online_procedure_share": [nan] * 5,
    })
    assert_frame_equal(result, want)


# Indicator 9, TT 01/2018 Đ13: 2 points when at least 20% of the eligible procedures are
# online and at least 30% of the dossiers were submitted online with none (online) late; 1
# point for an online share of 15% to 30%; 0 otherwise.
@pytest.mark.parametrize(("procedures", "share", "late", "points"), [
    (0.20, 0.30, 0, 2.0),    # both thresholds met exactly
    (0.19, 0.30, 0, 1.0),    # procedures short of 20%: 30% of dossiers is in 15–30% → 1
    (0.20, 0.30, 1, 1.0),    # one online dossier late: not 2
    (0.20, 0.15, 0, 1.0),    # 15% of dossiers → 1
    (0.20, 0.149, 0, 0.0),   # 14.9% → 0
    (0.19, 0.149, 0, 0.0),
    (np.nan, 0.15, 0, 1.0),  # the procedure share only decides between 2 and 1
    (np.nan, 0.30, 0, np.nan),
    (0.50, np.nan, 0, np.nan),  # no dossier in the period
])
def test_online_points_follow_tt01_article_13(procedures, share, late, points):
    result = online_points(pd.Series([procedures]), pd.Series([share]), pd.Series([late]))
    assert result.tolist() == pytest.approx([points], nan_ok=True)


def online_frame(online: int, late_online: int = 0) -> pd.DataFrame:
    """Twenty dossiers of unit 1: ``online`` of them online, the first ``late_online`` of
    those late (8 of 7 working days), every other one early (5 of 7)."""
    return dossiers([(1, "2026-04-01", "2026-04-10", "2026-04-08", 7,
                      8 if i < late_online else 5, 0, 1, i < online, False, False)
                     for i in range(20)])


@pytest.mark.parametrize(("online", "late_online", "procedures", "points"), [
    (6, 0, 0.20, 2.0),  # 6/20 = 30% online, 20% of procedures → 2
    (6, 0, 0.19, 1.0),  # 19% of procedures → 1
    (6, 1, 0.20, 1.0),  # an online dossier late → 1
    (3, 0, 0.20, 1.0),  # 3/20 = 15% → 1
    (2, 0, 0.20, 0.0),  # 2/20 = 10% → 0
])
def test_online_service_by_unit_and_quarter(online, late_online, procedures, points):
    given = inputs([(1, "2026-Q2", True, 2, 0, 0)], [procedures])
    row = rate_dossiers(online_frame(online, late_online), given, as_of=AS_OF).iloc[0]
    assert (row["online_share"], row["online_procedure_share"]) == (online / 20, procedures)
    assert row["indicator_9"] == points


def test_online_thresholds_come_from_the_scheme():
    # 30% online, 20% of procedures: 2 by default; a scheme asking 40% of dossiers gives 1, one
    # asking 25% of procedures gives 1, one asking 35% for 1 point (and 40% for 2) gives 0.
    given = inputs([(1, "2026-Q2", True, 2, 0, 0)], [0.20])

    def points(scheme: RatingScheme) -> float:
        return rate_dossiers(online_frame(6), given, as_of=AS_OF, scheme=scheme)[
            "indicator_9"][0]

    assert points(TT01_2018) == 2.0
    assert points(RatingScheme(online_full_share=0.4)) == 1.0
    assert points(RatingScheme(online_procedure_share=0.25)) == 1.0
    assert points(RatingScheme(online_full_share=0.4, online_partial_share=0.35)) == 0.0


# A dossier received Monday 1 June 2026, legal appointed day Friday 5 June (4 working days),
# re-set by an apology letter to Wednesday 10 June (7 working days). Timeliness is judged
# against the legal day (DOMAIN.md §2.3, form 01 of TT 01/2018): returned Thursday 4 June
# (3 days) early → 2; Friday 5 June (4) on time → 1; Monday 8 June (5) late → 0; Tuesday
# 9 June (6), before the re-set day, still late → 0, the promise kept; Thursday 11 June (8)
# late, the promise broken.
RESET = [(1, "2026-06-01", "2026-06-05", returned, 4, used, 0, 1, False, letter, False)
         for returned, used, letter in (("2026-06-04", 3, False), ("2026-06-05", 4, False),
                                        ("2026-06-08", 5, False), ("2026-06-09", 6, True),
                                        ("2026-06-11", 8, True))]


def test_timeliness_is_judged_against_the_legal_date_not_the_reset_one():
    frame = dossiers(RESET).assign(reset_days=[np.nan, np.nan, np.nan, 7.0, 7.0])
    result = dossier_points(frame, AS_OF)
    assert result["timing"].tolist() == ["early", "on_time", "late", "late", "late"]
    assert result["points_1"].tolist() == [2.0, 1.0, 0.0, 0.0, 0.0]
    assert result["points_2"].tolist() == [2.0, 1.0, 0.0, 0.0, 0.0]
    assert result["points_7"].tolist() == [2.0, 1.0, 0.0, 0.0, 0.0]
    assert result["apology"].tolist() == [False, False, False, True, True]
    assert result["reset_kept"].tolist() == [False, False, False, True, False]
    row = rate_dossiers(frame, inputs([]), as_of=AS_OF).iloc[0]
    # 3 late (8, 9 and 11 June), 2 with a letter → 2/3; 1 = (2+1+0+0+0)/5 = 0.6.
    assert (row["late"], row["apologies"], row["reset_kept"]) == (3, 2, 1)
    assert row["apology_coverage"] == pytest.approx(2 / 3)
    assert row["indicator_1"] == pytest.approx(0.6)


def test_unreturned_dossier_past_the_legal_date_is_late_before_the_reset_date():
    # Legal day 5 June, re-set to 10 June, not returned as at Monday 8 June: overdue.
    frame = dossiers([(1, "2026-06-01", "2026-06-05", None, 4, np.nan, 0, 1, False, True,
                       False)]).assign(reset_days=[7.0])
    result = dossier_points(frame, date(2026, 6, 8))
    assert result["timing"].tolist() == ["late"]
    assert result["apology"].tolist() == [True]
    assert result["reset_kept"].tolist() == [False]


def test_period_labels():
    days = pd.Series(pd.to_datetime(["2026-01-01", "2026-03-31", "2026-04-01", "2025-12-31"]))
    assert_series_equal(period_labels(days, "quarter"), pd.Series(
        ["2026-Q1", "2026-Q1", "2026-Q2", "2025-Q4"], dtype="string"))
    assert period_labels(days, "year").tolist() == ["2026", "2026", "2026", "2025"]


@pytest.mark.parametrize(("call", "name"), [
    (lambda: rate_dossiers(dossiers(UNIT_8), inputs([]), as_of=datetime(2026, 7, 1)),
     "as_of"),
    (lambda: rate_dossiers(dossiers(UNIT_8), inputs([]), as_of=AS_OF, period="month"),
     "period"),
    (lambda: rate_dossiers(dossiers(UNIT_8).drop(columns="online"), inputs([]), as_of=AS_OF),
     "dossiers lacks the column"),
    (lambda: rate_dossiers([], inputs([]), as_of=AS_OF), "dossiers must be a pandas"),
    (lambda: rate_dossiers(dossiers(UNIT_8), inputs([]).drop(columns="pakn_due"),
                           as_of=AS_OF), "inputs lacks the column"),
    (lambda: dossier_points(dossiers([(1, "2026-04-01", None, None, np.nan, np.nan, -1, 1,
                                       False, False, False)]), AS_OF),
     "supplement_requests"),
    (lambda: unit_points(inputs([(1, "2026", True, 3, 0, 0)])), "publicity_level"),
    (lambda: unit_points(inputs([(1, "2026", True, 2, 5, 6)])), "pakn_on_time"),
    (lambda: unit_points(inputs([(1, "2026", True, 2, 0, 0)], [1.2])),
     "online_procedure_share"),
    (lambda: RatingScheme(online_procedure_share=20.0), "online_procedure_share"),
    (lambda: rate_dossiers(dossiers(UNIT_8), inputs([(8, "2026-Q2", True, 2, 0, 0)] * 2),
                           as_of=AS_OF), "one row per unit_id and period"),
    (lambda: RatingScheme(online_full_share=0.2, online_partial_share=0.5),
     "online_partial_share"),
    (lambda: RatingScheme(pakn_partial_share=1.5), "pakn_partial_share"),
    (lambda: RatingScheme(official_indicators=(1, 10)), "official_indicators"),
    (lambda: period_labels(pd.Series([], dtype="datetime64[ns]"), "week"), "period"),
])
def test_bad_arguments_raise_value_errors_naming_them(call, name):
    with pytest.raises(ValueError, match=name):
        call()
