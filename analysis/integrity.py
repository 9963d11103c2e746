"""Integrity flags: patterns in a period's ratings that suggest stuffing, per desk and per
official. Flags point an analyst at something to review; they never change or drop a rating.

Input frames (built by ``surveys.integrity_frames``; times are local, naive):

responses
    ``[response_id, desk_id, official_id, channel, at, n_1 … n_5, device_repeat]``, one row per
    response: the desk is the unit the rating was given at, ``official_id`` the staff member who
    typed in a paper form (<NA> otherwise), ``n_v`` how many of its 5-point items it answered
    with v, ``device_repeat`` whether the phone's device mark had already rated there the
    allowed number of times that day (``surveys.device_marks``; the server keeps no device id).
returns
    ``[desk_id, returned_at]``: dossiers handed back at each desk.
tokens
    ``[response_id, desk_id, used_at]``: single-use dossier rating tokens redeemed.
hours
    ``[desk_id, opens, closes, saturday_closes]``: each desk's opening hours in minutes after
    midnight; ``saturday_closes`` −1 when it does not serve on Saturdays (optional column).
working_days
    The working days of the period (``core.workdays``: holidays, swaps, local overrides).

Rules (each returns one flag row per subject, with its evidence and its responses):

``all_five_run``
    consecutive responses (in time) at one subject that each gave 5 to every 5-point item.
``outside_hours``
    desk or kiosk ratings on a day off, or before opening / after closing (with a grace).
``return_burst``
    a burst of ratings starting right after the desk returned dossiers, with more ratings than
    dossiers returned.
``device_repeat``
    many ratings from phones that had already rated the desk that day.
``token_sequence``
    dossier tokens of one desk redeemed one after another within seconds.
``peer_distribution``
    the desk's answers depart from its peers' (``analysis.peer_test``: χ² with Holm).

Example: a response that answered 12 items with 5 and 4 with 4 counts once, as 0.75 of a
5 and 0.25 of a 4 (``analysis.peer_test`` explains why):

>>> frame = pd.DataFrame({"desk_id": [7], "n_1": 0, "n_2": 0, "n_3": 0, "n_4": 4, "n_5": 12})
>>> response_weighted_counts(frame, "desk_id")["weight"].tolist()
[0.0, 0.0, 0.0, 0.25, 0.75]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.integrity_rules import (
    FLAG_COLUMNS,
    IntegrityThresholds,
    all_five_runs,
    all_five_share,
    device_repeats,
    outside_hours,
    return_bursts,
    token_sequences,
)
from analysis.peer_test import peer_distribution_tests

__all__ = [
    "FLAG_COLUMNS",
    "IntegrityResult",
    "IntegrityThresholds",
    "all_five_runs",
    "device_repeats",
    "find_integrity_flags",
    "outside_hours",
    "peer_distribution_flags",
    "response_weighted_counts",
    "return_bursts",
    "token_sequences",
]

VALUES = (1, 2, 3, 4, 5)
SUBJECTS = {"desk": "desk_id", "official": "official_id"}


@dataclass
class IntegrityResult:
    """``flags``: FLAG_COLUMNS plus ``subject_kind`` ("desk" or "official"), one row per
    subject × rule. ``flagged``: ``[subject_kind, subject_id, rule, response_id]``, the
    responses each flag names (none for ``peer_distribution``, a property of the whole desk)."""

    flags: pd.DataFrame
    flagged: pd.DataFrame


def response_weighted_counts(responses: pd.DataFrame, subject: str) -> pd.DataFrame:
    """``[subject_id, value, weight]``: each response's 5-point answers weighted 1 / answered,
    so each response counts once (``analysis.peer_test``)."""
    frame = responses[responses[subject].notna()]
    counts = frame[[f"n_{v}" for v in VALUES]].to_numpy(dtype="float64")
    answered = counts.sum(axis=1)
    keep = answered > 0
    weights = counts[keep] / answered[keep, None]
    subjects = frame[subject].to_numpy()[keep].astype("int64")
    return pd.DataFrame({"subject_id": np.repeat(subjects, len(VALUES)),
                         "value": np.tile(VALUES, len(subjects)),
                         "weight": weights.ravel()})


def peer_distribution_flags(responses: pd.DataFrame, subject: str,
                            thresholds: IntegrityThresholds) -> pd.DataFrame:
    """Subjects whose answer distribution departs from their peers': Holm-adjusted
    p < ``peer_alpha`` and Cohen's w ≥ ``peer_min_effect`` (both needed: with thousands of
    responses a trivial difference is "significant", and a large one on a few ratings is
    chance)."""
    tests = peer_distribution_tests(response_weighted_counts(responses, subject),
                                    min_responses=thresholds.peer_min_responses,
                                    min_peers=thresholds.peer_min_peers)
    hits = tests[(tests["p_adjusted"] < thresholds.peer_alpha)
                 & (tests["effect_w"] >= thresholds.peer_min_effect)]
    times = responses.groupby(subject)["at"].agg(["min", "max"])
    rows = []
    for test in hits.itertuples(index=False):
        first, last = times.loc[test.subject_id]
        rows.append({
            "subject_id": int(test.subject_id), "rule": "peer_distribution",
            "responses": int(round(test.responses)), "first_at": first, "last_at": last,
            "evidence": {"responses": int(round(test.responses)),
                         "statistic": round(test.statistic, 4), "df": test.df,
                         "p_value": float(f"{test.p_value:.4g}"),
                         "p_adjusted": float(f"{test.p_adjusted:.4g}"),
                         "correction": "holm", "tested": int(len(tests)),
                         "effect_w": round(test.effect_w, 4),
                         "shares": [round(s, 4) for s in test.shares],
                         "peer_shares": [round(s, 4) for s in test.peer_shares]},
            "response_ids": []})
    return pd.DataFrame(rows, columns=FLAG_COLUMNS)


def find_integrity_flags(responses: pd.DataFrame, returns: pd.DataFrame, tokens: pd.DataFrame,
                         hours: pd.DataFrame, working_days, thresholds: IntegrityThresholds
                         | None = None) -> IntegrityResult:
    """Every rule for desks, and the rules that make sense for officials (runs of all-5 forms
    typed in, and their distribution against other officials'): a paper form's time is when
    it was typed, not when it was filled in, so hours, bursts and devices say nothing there."""
    thresholds = thresholds or IntegrityThresholds()
    parts = [
        all_five_runs(responses, "desk_id", thresholds),
        outside_hours(responses, hours, working_days, thresholds),
        return_bursts(responses, returns, thresholds),
        device_repeats(responses, thresholds),
        token_sequences(tokens, thresholds),
        peer_distribution_flags(responses, "desk_id", thresholds),
    ]
    desk_flags = _concat(parts).assign(subject_kind="desk")
    typed = responses[responses["official_id"].notna()]
    base_rate = float(all_five_share(responses, thresholds.run_min_items).mean()) \
        if len(responses) else 0.0
    official_flags = _concat([
        all_five_runs(typed, "official_id", thresholds, base_rate=base_rate),
        peer_distribution_flags(typed, "official_id", thresholds),
    ]).assign(subject_kind="official")
    flags = pd.concat([desk_flags, official_flags], ignore_index=True)
    flags = flags[["subject_kind", *FLAG_COLUMNS]].sort_values(
        ["subject_kind", "subject_id", "rule"], ignore_index=True)
    flagged = flags[["subject_kind", "subject_id", "rule", "response_ids"]].explode(
        "response_ids").dropna(subset=["response_ids"]).rename(
        columns={"response_ids": "response_id"})
    flagged["response_id"] = flagged["response_id"].astype("int64")
    return IntegrityResult(flags=flags, flagged=flagged.reset_index(drop=True))


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    kept = [part for part in parts if not part.empty]
    if not kept:
        return pd.DataFrame(columns=FLAG_COLUMNS)
    return pd.concat(kept, ignore_index=True)
