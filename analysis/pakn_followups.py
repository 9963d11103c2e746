"""PAKN senders' own figures: from the rating link sent with each answer (issue 14 §1), the
satisfaction rate and the reopen rate per handling unit. Pure pandas, like
``analysis.pakn_kpis`` which adds them to its KPIs."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["FOLLOWUP_COLUMNS", "followup_rates"]

DEFAULT_MIN_COUNT = 5  # as analysis.pakn_kpis (which imports this module)
# One row per answer sent with a rating link (feedback.frames.followups_frame).
FOLLOWUP_COLUMNS = ("handling_unit_id", "rated", "resolved", "satisfied_answers",
                    "rated_answers", "reopened")


def _rate(part: float, whole: float) -> float:
    return part / whole if whole else np.nan


def followup_rates(followups: pd.DataFrame,
                   min_count: int = DEFAULT_MIN_COUNT) -> pd.DataFrame:
    """The senders' own figures per handling unit, then a row ``all`` (unit missing).

    ``followups`` has one row per answer sent with a rating link: ``handling_unit_id``,
    ``rated`` (the sender used the link), ``resolved`` (True "Đã giải quyết", False "Chưa",
    missing when not rated), ``satisfied_answers`` / ``rated_answers`` (of the three II.E
    items, those answered 4–5 / 1–5) and ``reopened`` (the sender's "Chưa" reopened it).

    Columns: ``sent``, ``rated``, ``response_rate`` = rated / sent, ``satisfaction_rate`` =
    II.E answers 4–5 / II.E answers 1–5 (pooled, as an item index counts), ``not_resolved``,
    ``reopened``, ``reopen_rate`` = reopened / sent (answers that came back), and
    ``small_sample`` (fewer than ``min_count`` ratings). Rates of empty groups are NaN.

    >>> frame = pd.DataFrame({"handling_unit_id": [7, 7], "rated": [True, False],
    ...     "resolved": [False, None], "satisfied_answers": [1, 0], "rated_answers": [3, 0],
    ...     "reopened": [True, False]})
    >>> followup_rates(frame, min_count=1).loc[0, ["satisfaction_rate", "reopen_rate"]].tolist()
    [0.3333333333333333, 0.5]
    """
    missing = [name for name in FOLLOWUP_COLUMNS if name not in followups.columns]
    if missing:
        raise ValueError(f"followups lacks the column(s) {', '.join(missing)}")
    data = pd.DataFrame({
        "handling_unit_id": pd.array(followups["handling_unit_id"], dtype="Int64"),
        "rated": followups["rated"].astype(bool),
        "not_resolved": (followups["resolved"].astype("boolean") == False)  # noqa: E712
        .fillna(False).astype(bool),
        "satisfied_answers": pd.to_numeric(followups["satisfied_answers"]).fillna(0),
        "rated_answers": pd.to_numeric(followups["rated_answers"]).fillna(0),
        "reopened": followups["reopened"].astype(bool)})
    groups = [(unit, part) for unit, part in data.groupby("handling_unit_id", sort=True)]
    rows = []
    for unit, part in [*groups, (pd.NA, data)]:
        sent, rated = len(part), int(part["rated"].sum())
        satisfied, answers = part["satisfied_answers"].sum(), part["rated_answers"].sum()
        reopened = int(part["reopened"].sum())
        rows.append({"handling_unit_id": unit, "sent": sent, "rated": rated,
                     "response_rate": _rate(rated, sent),
                     "satisfaction_rate": _rate(float(satisfied), float(answers)),
                     "not_resolved": int(part["not_resolved"].sum()), "reopened": reopened,
                     "reopen_rate": _rate(reopened, sent), "small_sample": rated < min_count})
    result = pd.DataFrame(rows)
    result["handling_unit_id"] = result["handling_unit_id"].astype("Int64")
    for name in ("sent", "rated", "not_resolved", "reopened"):
        result[name] = result[name].astype("int64")
    for name in ("response_rate", "satisfaction_rate", "reopen_rate"):
        result[name] = result[name].astype("float64")
    result["small_sample"] = result["small_sample"].astype(bool)
    return result
