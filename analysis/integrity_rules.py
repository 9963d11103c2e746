"""The response-level integrity rules (``analysis.integrity`` describes the frames and runs
them). Each rule returns ``FLAG_COLUMNS``: one row per subject flagged, with ``evidence`` (a
JSON-safe dict saying what, how many and when) and the ``response_ids`` it names.

Example: desk 7 gave eight all-5 responses in a row, desk 8 eight responses of 4s; half of
all responses are all-5 (p₀ = 0.5), so a chance run at desk 7 (n = 8) reaches length L with
expected count n(1 − p₀)p₀ᴸ = 4 × 0.5ᴸ, which is ≤ 0.05 from L = 7 (4/128 = 0.031):

>>> frame = pd.DataFrame({"response_id": range(1, 17), "desk_id": [7] * 8 + [8] * 8,
...     "n_4": [0] * 8 + [16] * 8, "n_5": [16] * 8 + [0] * 8,
...     "at": list(pd.date_range("2026-03-02 09:00", periods=8, freq="min")) * 2})
>>> flags = all_five_runs(frame, "desk_id", IntegrityThresholds(run_min=3, run_alpha=0.05))
>>> flags[["subject_id", "responses"]].values.tolist(), flags.loc[0, "evidence"]["threshold"]
([[7, 8]], 7)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

__all__ = ["FLAG_COLUMNS", "IntegrityThresholds", "all_five_runs", "device_repeats",
           "outside_hours", "return_bursts", "token_sequences"]

FLAG_COLUMNS = ["subject_id", "rule", "responses", "first_at", "last_at", "evidence",
                "response_ids"]
LOWER_VALUES = ("n_1", "n_2", "n_3", "n_4")


@dataclass(frozen=True)
class IntegrityThresholds:
    """Every threshold of the rules, with the reason for its default."""

    # A run must be at least this long whatever the chance model says: a handful of
    # delighted citizens in a row is ordinary.
    run_min: int = 8
    # Longest run allowed by chance: the run length L is flagged when the expected number of
    # chance runs that long at the subject, n(1 − p₀)p₀ᴸ with p₀ the period's share of all-5
    # responses, is at most this (1%: about one false run in a hundred desks).
    run_alpha: float = 0.01
    # An "all-5" response gave 5 to at least this many 5-point items (a one-item quick
    # rating of 5 is not a pattern).
    run_min_items: int = 3
    # A citizen may finish the rating on their phone a little after the desk closes.
    hours_grace_minutes: int = 30
    # Time only tells something where the rating is given at the desk (posters and kiosks);
    # dossier links, online and paper forms are filled in or typed in at any hour.
    hours_channels: tuple[str, ...] = ("desk_qr", "kiosk")
    # One or two late ratings are a citizen at home; a habit is at least 3 and 2% of them.
    hours_min_count: int = 3
    hours_min_share: float = 0.02
    # A burst "right after" a return starts within 15 minutes of a dossier handed back.
    burst_after_minutes: int = 15
    # Ratings at most 60 s apart belong to one burst (filling the 16-item form takes longer,
    # so one person cannot give two of them within a minute at one screen).
    burst_gap_seconds: int = 60
    # Five ratings in such a burst: more than a family at the counter.
    burst_min_size: int = 5
    # Phones that rated the same desk again: 5 such ratings and 5% of its phone ratings (a
    # shared family phone gives one or two).
    device_min_count: int = 5
    device_min_share: float = 0.05
    # Dossier tokens (each on its own receipt, in a citizen's pocket) redeemed within 30 s of
    # each other, four in a row: someone working through a pile of receipts.
    token_gap_seconds: int = 30
    token_min_sequence: int = 4
    # The χ² test of the answer distribution (analysis.peer_test): at least 30 responses,
    # Holm-adjusted p below 1%, and Cohen's w of at least 0.5 ("large").
    peer_min_responses: int = 30
    # ... and at least two other subjects of that size to be its peers.
    peer_min_peers: int = 2
    peer_alpha: float = 0.01
    peer_min_effect: float = 0.5


def _iso(moment: pd.Timestamp) -> str:
    return pd.Timestamp(moment).isoformat(timespec="seconds")


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=FLAG_COLUMNS)


def _groups(frame: pd.DataFrame, key: str, time: str, gap_seconds: float) -> pd.Series:
    """Group numbers of ``frame`` (sorted by key, time): a new group at each new key or gap
    longer than ``gap_seconds``."""
    new_key = frame[key].ne(frame[key].shift())
    gap = frame[time].diff().dt.total_seconds().gt(gap_seconds)
    return (new_key | gap).cumsum()


def run_threshold(n: int, p0: float, thresholds: IntegrityThresholds) -> float:
    """The shortest run length flagged at a subject with ``n`` responses (see run_alpha)."""
    if p0 <= 0:
        return thresholds.run_min
    if p0 >= 1:
        return math.inf
    chance = math.log(thresholds.run_alpha / (n * (1 - p0))) / math.log(p0)
    return max(thresholds.run_min, math.ceil(chance))


def all_five_share(responses: pd.DataFrame, min_items: int) -> pd.Series:
    """Whether each response gave 5 to every 5-point item it answered (at least
    ``min_items`` of them)."""
    lower = responses.reindex(columns=LOWER_VALUES, fill_value=0).sum(axis=1)
    return (lower == 0) & (responses["n_5"] >= min_items)


def all_five_runs(responses: pd.DataFrame, subject: str, thresholds: IntegrityThresholds, *,
                  base_rate: float | None = None) -> pd.DataFrame:
    """Runs of consecutive all-5 responses at each subject longer than chance allows.
    ``base_rate`` is p₀, the share of all-5 responses (default: among ``responses``; for
    officials, the whole period's, since officials' typed forms are not a peer group)."""
    frame = responses[responses[subject].notna()]
    if frame.empty:
        return _empty()
    all_five = all_five_share(frame, thresholds.run_min_items)
    frame = frame.assign(_five=all_five).sort_values([subject, "at", "response_id"])
    p0 = float(all_five.mean()) if base_rate is None else base_rate
    run = (frame[subject].ne(frame[subject].shift()) | frame["_five"].ne(
        frame["_five"].shift())).cumsum()
    # Only runs reaching the floor are aggregated (most all-5 responses are runs of one).
    five_runs = run[frame["_five"]]
    long_enough = five_runs.map(five_runs.value_counts()) >= thresholds.run_min
    runs = frame[frame["_five"]][long_enough].groupby(five_runs[long_enough]).agg(
        subject_id=(subject, "first"), length=("response_id", "size"),
        first_at=("at", "min"), last_at=("at", "max"), ids=("response_id", list))
    sizes = frame.groupby(subject).size()
    runs["threshold"] = [run_threshold(int(sizes[s]), p0, thresholds) for s in runs["subject_id"]]
    runs = runs[runs["length"] >= runs["threshold"]]
    rows = []
    for subject_id, found in runs.groupby("subject_id"):
        longest = found.loc[found["length"].idxmax()]
        rows.append(_flag(subject_id, "all_five_run", found, {
            "runs": len(found), "longest": int(longest["length"]),
            "longest_from": _iso(longest["first_at"]), "longest_to": _iso(longest["last_at"]),
            "threshold": int(longest["threshold"]), "all_five_share": round(p0, 4),
            "subject_responses": int(sizes[subject_id])}))
    return pd.DataFrame(rows, columns=FLAG_COLUMNS)


def _flag(subject_id, rule: str, groups: pd.DataFrame, evidence: dict) -> dict:
    ids = sorted(int(i) for chunk in groups["ids"] for i in chunk)
    return {"subject_id": int(subject_id), "rule": rule, "responses": len(ids),
            "first_at": groups["first_at"].min(), "last_at": groups["last_at"].max(),
            "evidence": {"responses": len(ids), **evidence}, "response_ids": ids}


def outside_hours(responses: pd.DataFrame, hours: pd.DataFrame, working_days: Iterable,
                  thresholds: IntegrityThresholds) -> pd.DataFrame:
    """Desk and kiosk ratings on a day off or outside the desk's hours (± the grace)."""
    frame = responses[responses["channel"].isin(thresholds.hours_channels)]
    frame = frame.merge(hours, on="desk_id", how="inner")
    if frame.empty:
        return _empty()
    minute = frame["at"].dt.hour * 60 + frame["at"].dt.minute
    days = pd.DatetimeIndex(pd.to_datetime(sorted(working_days))).normalize()
    working = frame["at"].dt.normalize().isin(days)
    # A desk that also serves on Saturday mornings (saturday_closes ≥ 0) is open on a
    # Saturday that is not a working day, until that time.
    saturday = frame.get("saturday_closes", pd.Series(-1, index=frame.index))
    saturday_open = ~working & (frame["at"].dt.day_of_week == 5) & (saturday >= 0)
    day_off = ~working & ~saturday_open
    closes = frame["closes"].where(~saturday_open, saturday)
    grace = thresholds.hours_grace_minutes
    early = ~day_off & (minute < frame["opens"] - grace)
    late = ~day_off & (minute >= closes + grace)
    frame = frame.assign(_off=day_off, _early=early, _late=late,
                         _out=day_off | early | late)
    rows = []
    for desk_id, desk in frame.groupby("desk_id"):
        out = desk[desk["_out"]]
        share = len(out) / len(desk)
        if len(out) < thresholds.hours_min_count or share < thresholds.hours_min_share:
            continue
        groups = pd.DataFrame({"ids": [out["response_id"].tolist()],
                               "first_at": [out["at"].min()], "last_at": [out["at"].max()]})
        opens, closes = int(desk["opens"].iloc[0]), int(desk["closes"].iloc[0])
        rows.append(_flag(desk_id, "outside_hours", groups, {
            "desk_ratings": len(desk), "share": round(share, 4),
            "day_off": int(out["_off"].sum()), "before_opening": int(out["_early"].sum()),
            "after_closing": int(out["_late"].sum()),
            "hours": f"{opens // 60:02d}:{opens % 60:02d}–{closes // 60:02d}:{closes % 60:02d}",
            "grace_minutes": grace, "examples": [_iso(at) for at in out["at"].head(5)]}))
    return pd.DataFrame(rows, columns=FLAG_COLUMNS)


def return_bursts(responses: pd.DataFrame, returns: pd.DataFrame,
                  thresholds: IntegrityThresholds) -> pd.DataFrame:
    """Bursts of ratings that start within ``burst_after_minutes`` of the desk returning
    dossiers and hold more ratings than the dossiers it returned from that long before the
    burst to its end (more ratings than citizens who came for their results)."""
    if responses.empty or returns.empty:
        return _empty()
    frame = responses.sort_values(["desk_id", "at", "response_id"])
    burst = _groups(frame, "desk_id", "at", thresholds.burst_gap_seconds)
    big = burst.map(burst.value_counts()) >= thresholds.burst_min_size
    bursts = frame[big].groupby(burst[big]).agg(
        desk_id=("desk_id", "first"), size=("response_id", "size"), first_at=("at", "min"),
        last_at=("at", "max"), ids=("response_id", list))
    bursts = bursts[bursts["size"] >= thresholds.burst_min_size]
    if bursts.empty:
        return _empty()
    after = pd.Timedelta(minutes=thresholds.burst_after_minutes)
    pairs = bursts.reset_index(drop=True).reset_index(names="burst").merge(
        returns[["desk_id", "returned_at"]], on="desk_id")
    pairs["_before"] = ((pairs["returned_at"] <= pairs["first_at"])
                        & (pairs["returned_at"] >= pairs["first_at"] - after))
    pairs["_window"] = ((pairs["returned_at"] >= pairs["first_at"] - after)
                        & (pairs["returned_at"] <= pairs["last_at"]))
    summary = pairs.groupby("burst").agg(
        desk_id=("desk_id", "first"), size=("size", "first"), first_at=("first_at", "first"),
        last_at=("last_at", "first"), ids=("ids", "first"), after_return=("_before", "any"),
        returned=("_window", "sum"))
    hits = summary[summary["after_return"] & (summary["size"] > summary["returned"])]
    rows = []
    for desk_id, found in hits.groupby("desk_id"):
        largest = found.loc[found["size"].idxmax()]
        rows.append(_flag(desk_id, "return_burst", found, {
            "bursts": len(found), "largest": int(largest["size"]),
            "largest_from": _iso(largest["first_at"]), "largest_to": _iso(largest["last_at"]),
            "dossiers_returned": int(largest["returned"]),
            "after_minutes": thresholds.burst_after_minutes,
            "gap_seconds": thresholds.burst_gap_seconds}))
    return pd.DataFrame(rows, columns=FLAG_COLUMNS)


def device_repeats(responses: pd.DataFrame, thresholds: IntegrityThresholds) -> pd.DataFrame:
    """Desks where phones keep rating again (the device mark's ``device_repeat``)."""
    frame = responses[responses["channel"] == "desk_qr"]
    rows = []
    for desk_id, desk in frame.groupby("desk_id"):
        repeated = desk[desk["device_repeat"].astype(bool)]
        share = len(repeated) / len(desk)
        if len(repeated) < thresholds.device_min_count or share < thresholds.device_min_share:
            continue
        groups = pd.DataFrame({"ids": [repeated["response_id"].tolist()],
                               "first_at": [repeated["at"].min()],
                               "last_at": [repeated["at"].max()]})
        rows.append(_flag(desk_id, "device_repeat", groups, {
            "phone_ratings": len(desk), "share": round(share, 4)}))
    return pd.DataFrame(rows, columns=FLAG_COLUMNS)


def token_sequences(tokens: pd.DataFrame, thresholds: IntegrityThresholds) -> pd.DataFrame:
    """Dossier tokens of one desk redeemed in tight sequence (each within
    ``token_gap_seconds`` of the previous, ``token_min_sequence`` or more in a row)."""
    if tokens.empty:
        return _empty()
    frame = tokens.sort_values(["desk_id", "used_at", "response_id"])
    group = _groups(frame, "desk_id", "used_at", thresholds.token_gap_seconds)
    long_enough = group.map(group.value_counts()) >= thresholds.token_min_sequence
    runs = frame[long_enough].groupby(group[long_enough]).agg(
        desk_id=("desk_id", "first"), size=("response_id", "size"),
        first_at=("used_at", "min"), last_at=("used_at", "max"), ids=("response_id", list))
    runs = runs[runs["size"] >= thresholds.token_min_sequence]
    rows = []
    for desk_id, found in runs.groupby("desk_id"):
        longest = found.loc[found["size"].idxmax()]
        seconds = (longest["last_at"] - longest["first_at"]).total_seconds()
        rows.append(_flag(desk_id, "token_sequence", found, {
            "sequences": len(found), "longest": int(longest["size"]),
            "longest_from": _iso(longest["first_at"]), "longest_seconds": int(seconds),
            "gap_seconds": thresholds.token_gap_seconds}))
    return pd.DataFrame(rows, columns=FLAG_COLUMNS)
