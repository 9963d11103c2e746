"""The PAKN senders' satisfaction and reopen rates (analysis.pakn_followups), checked against
figures worked out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.pakn_followups import followup_rates
from analysis.pakn_kpis import pakn_kpis


def _frame() -> pd.DataFrame:
    # Unit 10 sent four answers with a link; unit 20 one.
    #   10: rated, solved, II.E 3 of 3 answers at 4–5
    #   10: rated, "Chưa", 1 of 3 at 4–5, reopened
    #   10: rated, "Chưa" outside the window, 0 of 2 (one item left blank), not reopened
    #   10: never rated
    #   20: rated, solved, 2 of 3 at 4–5
    return pd.DataFrame({
        "handling_unit_id": [10, 10, 10, 10, 20],
        "rated": [True, True, True, False, True],
        "resolved": pd.array([True, False, False, None, True], dtype="boolean"),
        "satisfied_answers": [3, 1, 0, 0, 2],
        "rated_answers": [3, 3, 2, 0, 3],
        "reopened": [False, True, False, False, False]})


def test_rates_per_unit_and_overall_match_the_hand_computation():
    rates = followup_rates(_frame(), min_count=3)
    assert rates["handling_unit_id"].tolist()[:2] == [10, 20]
    unit, other, everyone = (rates.iloc[i] for i in range(3))
    assert pd.isna(everyone["handling_unit_id"])
    # Satisfaction pools the II.E answers: (3 + 1 + 0) / (3 + 3 + 2) = 4 / 8 = 50 %.
    assert unit["satisfaction_rate"] == pytest.approx(0.5)
    # Reopened over answers sent: 1 / 4 = 25 %; rated over sent: 3 / 4.
    assert unit["reopen_rate"] == pytest.approx(0.25)
    assert unit["response_rate"] == pytest.approx(0.75)
    assert (unit["sent"], unit["rated"], unit["not_resolved"], unit["reopened"]) == \
        (4, 3, 2, 1)
    assert not unit["small_sample"]
    assert other["satisfaction_rate"] == pytest.approx(2 / 3)
    assert other["reopen_rate"] == 0.0 and other["small_sample"]  # 1 rating < 3
    # All units: (4 + 2) / (8 + 3) = 6 / 11; reopened 1 of 5 sent.
    assert everyone["satisfaction_rate"] == pytest.approx(6 / 11)
    assert everyone["reopen_rate"] == pytest.approx(0.2)
    assert everyone["sent"] == 5 and everyone["rated"] == 4


def test_no_rating_gives_missing_rates_not_zero():
    rates = followup_rates(_frame().iloc[[3]], min_count=1)
    total = rates[rates["handling_unit_id"].isna()].iloc[0]
    assert math.isnan(total["satisfaction_rate"]) and total["reopen_rate"] == 0.0
    empty = followup_rates(_frame().iloc[0:0])
    assert len(empty) == 1 and empty["sent"].tolist() == [0]
    assert math.isnan(empty["reopen_rate"].iloc[0])


def test_missing_column_is_a_clear_error():
    with pytest.raises(ValueError, match="reopened"):
        followup_rates(_frame().drop(columns="reopened"))


def test_pakn_kpis_carry_the_rates():
    cases = pd.DataFrame({name: pd.Series(dtype="object") for name in (
        "case_id", "kind", "is_formal", "topic", "channel", "state", "classification",
        "handling_unit_id", "received_at", "answered_at", "closed_at", "acknowledged_at",
        "transfer_due_at", "acknowledge_due_at", "answer_due_at", "due_at")})
    kpis = pakn_kpis(cases, pd.Timestamp("2026-07-01", tz="UTC"), followups=_frame())
    assert kpis.followups["reopened"].tolist() == [1, 0, 1]
