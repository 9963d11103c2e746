"""The integrity rules on small made-up frames, every expectation worked by hand in the
comments (the chi-square also by its closed form for 4 degrees of freedom)."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.integrity import (
    IntegrityThresholds,
    all_five_runs,
    device_repeats,
    find_integrity_flags,
    outside_hours,
    peer_distribution_flags,
    response_weighted_counts,
    return_bursts,
    token_sequences,
)
from analysis.peer_test import holm_adjust, peer_distribution_tests

T = pd.Timestamp


def responses(rows: list[dict]) -> pd.DataFrame:
    """Rows with defaults: every item answered the same (16 answers of ``value``)."""
    records = []
    for number, row in enumerate(rows, start=1):
        value = row.get("value", 5)
        counts = row.get("counts") or {value: 16}
        records.append({"response_id": row.get("id", number), "desk_id": row.get("desk", 1),
                        "official_id": row.get("official"), "channel": row.get("channel",
                                                                               "desk_qr"),
                        "quality": "ok", "at": T(row.get("at", "2026-03-02 10:00")),
                        **{f"n_{v}": counts.get(v, 0) for v in range(1, 6)},
                        "device_repeat": row.get("device", False)})
    frame = pd.DataFrame(records)
    frame["official_id"] = frame["official_id"].astype("Int64")
    return frame


def minutes(start: str, count: int, step: str = "10min") -> list[str]:
    return [str(t) for t in pd.date_range(start, periods=count, freq=step)]


# --- runs of all-5 ------------------------------------------------------------------------

def run_frame() -> pd.DataFrame:
    # Desk 1 in time order: 5 all-5, one 4, 3 all-5, one 4 (10 responses); desk 2: ten 4s.
    pattern = [5, 5, 5, 5, 5, 4, 5, 5, 5, 4]
    times = minutes("2026-03-02 08:00", 10)
    rows = [{"desk": 1, "value": v, "at": t} for v, t in zip(pattern, times, strict=True)]
    rows += [{"desk": 2, "value": 4, "at": t} for t in times]
    return responses(rows)


def test_all_five_runs_uses_the_chance_threshold():
    # p0 = 8 all-5 of 20 = 0.4; desk 1 has n = 10. Expected chance runs ≥ L: 10 × 0.6 × 0.4^L.
    # alpha 0.5: 0.4^L ≤ 0.0833 → L ≥ ln(0.0833)/ln(0.4) = 2.71 → 3 (= run_min): both runs.
    flags = all_five_runs(run_frame(), "desk_id", IntegrityThresholds(run_min=3, run_alpha=0.5))
    assert flags["subject_id"].tolist() == [1]
    evidence = flags.loc[0, "evidence"]
    assert (evidence["runs"], evidence["longest"], evidence["threshold"]) == (2, 5, 3)
    assert evidence["all_five_share"] == 0.4
    assert flags.loc[0, "response_ids"] == [1, 2, 3, 4, 5, 7, 8, 9]
    assert flags.loc[0, "first_at"] == T("2026-03-02 08:00")
    # alpha 0.1: 0.4^L ≤ 0.01667 → L ≥ 4.47 → 5: only the run of five.
    flags = all_five_runs(run_frame(), "desk_id", IntegrityThresholds(run_min=3, run_alpha=0.1))
    assert flags.loc[0, "response_ids"] == [1, 2, 3, 4, 5]
    assert flags.loc[0, "evidence"]["threshold"] == 5
    # The default floor of 8 flags neither run.
    assert all_five_runs(run_frame(), "desk_id", IntegrityThresholds(run_alpha=0.5)).empty


def test_a_response_with_too_few_items_breaks_a_run():
    frame = run_frame()
    frame.loc[2, ["n_5"]] = 2  # the 3rd response answered only two items (both 5)
    flags = all_five_runs(frame, "desk_id", IntegrityThresholds(run_min=3, run_alpha=0.5))
    # Runs are now 2, 2 and 3 long; p0 = 7/20 = 0.35, threshold: 10·0.65·0.35^L ≤ 0.5 →
    # L ≥ ln(0.0769)/ln(0.35) = 2.44 → 3: only the run of three (responses 7–9).
    assert flags.loc[0, "response_ids"] == [7, 8, 9]


# --- outside opening hours ----------------------------------------------------------------

def test_outside_hours_counts_days_off_and_the_grace():
    hours = pd.DataFrame({"desk_id": [1, 2], "opens": [420, 420], "closes": [1020, 1020]})
    working = [date(2026, 3, 2) + pd.Timedelta(days=d) for d in range(5)]  # Mon–Fri
    rows = [
        {"desk": 1, "at": "2026-03-02 06:20", "channel": "kiosk"},    # 380 < 420−30: early
        {"desk": 1, "at": "2026-03-02 06:31"},                         # 391: within the grace
        {"desk": 1, "at": "2026-03-02 17:29"},                         # 1049 < 1050: grace
        {"desk": 1, "at": "2026-03-02 17:30"},                         # 1050: late
        {"desk": 1, "at": "2026-03-07 10:00"},                         # Saturday: day off
        {"desk": 1, "at": "2026-03-02 22:00", "channel": "online"},   # not a desk channel
        *({"desk": 1, "at": t} for t in minutes("2026-03-03 09:00", 5)),
        {"desk": 2, "at": "2026-03-02 05:00"}, {"desk": 2, "at": "2026-03-08 09:00"},
        *({"desk": 2, "at": t} for t in minutes("2026-03-03 09:00", 8)),
    ]
    flags = outside_hours(responses(rows), hours, working, IntegrityThresholds())
    # Desk 1: 10 desk or kiosk ratings, 3 outside (share 0.3); desk 2: only 2 (< 3).
    assert flags["subject_id"].tolist() == [1]
    evidence = flags.loc[0, "evidence"]
    assert (evidence["responses"], evidence["desk_ratings"], evidence["share"]) == (3, 10, 0.3)
    assert (evidence["day_off"], evidence["before_opening"], evidence["after_closing"]) == \
        (1, 1, 1)
    assert evidence["hours"] == "07:00–17:00"
    assert flags.loc[0, "response_ids"] == [1, 4, 5]


# --- bursts after returns -----------------------------------------------------------------

def test_a_desk_open_on_saturday_mornings():
    hours = pd.DataFrame({"desk_id": [1], "opens": [420], "closes": [1020],
                          "saturday_closes": [690]})                    # Saturdays until 11:30
    rows = [{"at": "2026-03-07 10:00"}, {"at": "2026-03-07 11:59"},     # 719 < 690+30: open
            {"at": "2026-03-07 12:00"}, {"at": "2026-03-07 15:00"},     # after closing
            {"at": "2026-03-08 10:00"}]                                 # Sunday: day off
    flags = outside_hours(responses(rows), hours, [date(2026, 3, 6)], IntegrityThresholds())
    evidence = flags.loc[0, "evidence"]
    assert flags.loc[0, "response_ids"] == [3, 4, 5]
    assert (evidence["after_closing"], evidence["day_off"]) == (2, 1)


def test_return_bursts_need_a_return_just_before_and_more_ratings_than_dossiers():
    burst = ["09:05:00", "09:05:30", "09:06:00", "09:06:50", "09:07:30"]  # gaps ≤ 60 s
    rows = [{"desk": 1, "at": f"2026-03-02 {t}"} for t in burst]
    rows += [{"desk": 2, "at": f"2026-03-02 1{t[1:]}"} for t in burst]   # 10:05…: an hour on
    rows += [{"desk": 3, "at": f"2026-03-02 {t}"} for t in burst]
    returns = pd.DataFrame({
        "desk_id": [1, 1, 2, 2, 2] + [3] * 6,
        "returned_at": [T("2026-03-02 09:00"), T("2026-03-02 09:01")]
        + [T("2026-03-02 09:00")] * 3 + list(pd.date_range("2026-03-02 08:58", periods=6,
                                                            freq="min"))})
    flags = return_bursts(responses(rows), returns, IntegrityThresholds())
    # Desk 1: 5 ratings after 2 dossiers → flagged. Desk 2: the burst starts 65 min after
    # the last return (> 15). Desk 3: 6 dossiers returned 08:58–09:03 for 5 ratings.
    assert flags["subject_id"].tolist() == [1]
    evidence = flags.loc[0, "evidence"]
    assert (evidence["largest"], evidence["dossiers_returned"]) == (5, 2)
    assert evidence["largest_from"] == "2026-03-02T09:05:00"


# --- device repeats and tokens ------------------------------------------------------------

def test_device_repeats_need_a_count_and_a_share():
    rows = [{"desk": 1, "device": n < 5} for n in range(20)]
    rows += [{"desk": 2, "device": n < 5} for n in range(200)]
    flags = device_repeats(responses(rows), IntegrityThresholds())
    # Desk 1: 5 of 20 = 25% ≥ 5%; desk 2: 5 of 200 = 2.5% < 5%.
    assert flags["subject_id"].tolist() == [1]
    assert flags.loc[0, "evidence"] == {"responses": 5, "phone_ratings": 20, "share": 0.25}


def test_token_sequences():
    base = T("2026-03-02 10:00")
    seconds = {1: [0, 10, 25, 50, 200], 2: [0, 20, 55, 70]}
    tokens = pd.DataFrame([{"response_id": desk * 100 + i, "desk_id": desk,
                            "used_at": base + pd.Timedelta(seconds=s)}
                           for desk, offsets in seconds.items()
                           for i, s in enumerate(offsets)])
    flags = token_sequences(tokens, IntegrityThresholds())
    # Desk 1: gaps 10, 15, 25 s (≤ 30) → four in a row, then 150 s; desk 2: a 35 s gap
    # splits it into 2 + 2.
    assert flags["subject_id"].tolist() == [1]
    assert flags.loc[0, "response_ids"] == [100, 101, 102, 103]
    assert flags.loc[0, "evidence"]["longest_seconds"] == 50


# --- chi-square against the peers ---------------------------------------------------------

def peer_frame() -> pd.DataFrame:
    # Desk 1: 40 responses all 5. Desks 2 and 3: 100 responses each, 10/10/20/30/30 of them
    # answering every item 1/2/3/4/5.
    rows = [{"desk": 1, "value": 5} for _ in range(40)]
    for desk in (2, 3):
        for value, count in zip(range(1, 6), (10, 10, 20, 30, 30), strict=True):
            rows += [{"desk": desk, "value": value} for _ in range(count)]
    return responses(rows)


def test_chi_square_against_the_pooled_peers_by_hand():
    tests = peer_distribution_tests(response_weighted_counts(peer_frame(), "desk_id"))
    by_desk = tests.set_index("subject_id")
    # Desk 1 (N = 40) against desks 2 + 3 (shares .1 .1 .2 .3 .3): expected 4 4 8 12 12,
    # X² = 16/4 + 16/4 + 64/8 + 144/12 + 28²/12 = 4 + 4 + 8 + 12 + 65.333 = 93.333, df 4.
    assert by_desk.loc[1, "statistic"] == pytest.approx(93.3333333, rel=1e-9)
    assert by_desk.loc[1, "df"] == 4
    # For 4 df the χ² survival function is exp(−x/2)(1 + x/2) (closed form).
    assert by_desk.loc[1, "p_value"] == pytest.approx(math.exp(-93.33333 / 2)
                                                      * (1 + 93.33333 / 2), rel=1e-5)
    assert by_desk.loc[1, "effect_w"] == pytest.approx(math.sqrt(93.3333333 / 40))
    # Desk 2 (N = 100) against desks 1 + 3 = 10 10 20 30 70 of 140: expected 7.142857 ×2,
    # 14.285714, 21.428571, 50; X² = 2 × 2.857143²/7.142857 + 5.714286²/14.285714
    # + 8.571429²/21.428571 + 20²/50 = 2.285714 + 2.285714 + 3.428571 + 8 = 16.
    assert by_desk.loc[2, "statistic"] == pytest.approx(16.0, rel=1e-9)
    p_two = math.exp(-8) * 9  # = 0.0030192
    assert by_desk.loc[2, "p_value"] == pytest.approx(p_two, rel=1e-9)
    assert by_desk.loc[3, "p_value"] == pytest.approx(p_two, rel=1e-9)
    # Holm over m = 3: desk 1 first (×3), then desks 2 and 3 (×2, then ×1 but never below
    # the previous step): both 2 × 0.0030192 = 0.0060385.
    assert by_desk.loc[1, "p_adjusted"] == pytest.approx(3 * by_desk.loc[1, "p_value"])
    assert by_desk.loc[2, "p_adjusted"] == pytest.approx(2 * p_two)
    assert by_desk.loc[3, "p_adjusted"] == pytest.approx(2 * p_two)
    assert by_desk.loc[2, "effect_w"] == pytest.approx(0.4)   # √(16/100)


def test_chi_square_agrees_with_scipy():
    # Second method: scipy.stats.chisquare on desk 2's counts with the peers' expectation.
    expected = 100 * np.array([10, 10, 20, 30, 70]) / 140
    result = stats.chisquare([10, 10, 20, 30, 30], expected)
    tests = peer_distribution_tests(
        pd.DataFrame({"subject_id": [1] * 5 + [2] * 5 + [3] * 5, "value": [1, 2, 3, 4, 5] * 3,
                      "weight": [0, 0, 0, 0, 40, 10, 10, 20, 30, 30, 10, 10, 20, 30, 30]}))
    row = tests.set_index("subject_id").loc[2]
    assert row["statistic"] == pytest.approx(result.statistic)
    assert row["p_value"] == pytest.approx(result.pvalue)


def test_peer_flags_need_the_corrected_p_and_the_effect_size():
    frame = peer_frame()
    flags = peer_distribution_flags(frame, "desk_id", IntegrityThresholds())
    assert flags["subject_id"].tolist() == [1]           # w 1.53; desks 2, 3 have w 0.4
    evidence = flags.loc[0, "evidence"]
    assert evidence["correction"] == "holm" and evidence["tested"] == 3
    assert flags.loc[0, "response_ids"] == []
    loose = IntegrityThresholds(peer_min_effect=0.3)
    assert peer_distribution_flags(frame, "desk_id", loose)["subject_id"].tolist() == [1, 2, 3]
    # At alpha 0.005 desks 2 and 3 pass unadjusted (p 0.0030) but not after Holm (0.0060).
    strict = IntegrityThresholds(peer_min_effect=0.3, peer_alpha=0.005)
    assert peer_distribution_flags(frame, "desk_id", strict)["subject_id"].tolist() == [1]


def test_no_test_without_two_peers_of_the_minimum_size():
    frame = peer_frame()
    two_desks = frame[frame["desk_id"] != 3]
    # Desk 1 has one peer (desk 2) and desk 2 one peer (desk 1): nobody is tested.
    assert peer_distribution_tests(response_weighted_counts(two_desks, "desk_id")).empty
    small = frame[(frame["desk_id"] != 3) | (frame["response_id"] % 10 == 0)]  # desk 3: 10
    assert peer_distribution_tests(response_weighted_counts(small, "desk_id")).empty


def test_holm_adjust_by_hand():
    # Sorted 0.001, 0.02, 0.03, 0.5 with m = 4: 0.004, max(0.06, .004), max(0.06, 0.06),
    # max(0.5, 0.06) → in the input order below.
    assert holm_adjust([0.03, 0.001, 0.5, 0.02]).tolist() == pytest.approx(
        [0.06, 0.004, 0.5, 0.06])
    with pytest.raises(ValueError, match="p_values"):
        holm_adjust([1.5])


def test_find_integrity_flags_names_desks_and_officials():
    frame = peer_frame()
    typed = responses([{"id": 1000 + n, "desk": 2, "official": 77, "channel": "paper",
                        "at": t} for n, t in enumerate(minutes("2026-03-04 08:00", 12))])
    frame = pd.concat([frame, typed], ignore_index=True)
    frame["response_id"] = range(1, len(frame) + 1)
    empty_returns = pd.DataFrame({"desk_id": pd.Series(dtype="int64"),
                                  "returned_at": pd.Series(dtype="datetime64[ns]")})
    empty_tokens = pd.DataFrame({"response_id": pd.Series(dtype="int64"),
                                 "desk_id": pd.Series(dtype="int64"),
                                 "used_at": pd.Series(dtype="datetime64[ns]")})
    hours = pd.DataFrame({"desk_id": [1, 2, 3], "opens": 420, "closes": 1020})
    result = find_integrity_flags(frame, empty_returns, empty_tokens, hours,
                                  [date(2026, 3, 2)], IntegrityThresholds(run_alpha=0.5))
    kinds = set(zip(result.flags["subject_kind"], result.flags["rule"], strict=True))
    assert ("desk", "peer_distribution") in kinds
    assert ("desk", "all_five_run") in kinds              # desk 1's 40 all-5s
    assert ("official", "all_five_run") in kinds          # official 77's 12 all-5 forms
    official = result.flagged[result.flagged["subject_kind"] == "official"]
    assert sorted(official["response_id"]) == list(range(len(frame) - 11, len(frame) + 1))
