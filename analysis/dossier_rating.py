"""Dossier ratings under the one-stop rules (TT 01/2018/TT-VPCP; DOMAIN.md §2.3).

Nine indicators, 0–2 points each. Indicators 1, 2, 3, 4 and 7 are scored per dossier from its
facts; 5, 6, 8 and 9 are scored per unit and period (5, 6 and 8 from inputs the caller passes
as a frame, 9 from the share of the unit's procedures offered online, an input, and the share
of the group's dossiers submitted online). An indicator's score
is the sum of its points over the dossiers it could be scored for, divided by their number
(DOMAIN.md §2.3: "sum of points / dossiers"), kept unrounded; the unit's total is out of
18, its grade follows the total, and the official score is the sum of indicators 1, 2, 3, 4
and 7 (out of 10) with its band.

Missing is never zero: an indicator without the facts or the input it needs is NaN, and a
total with a NaN indicator is the sum of the known ones marked incomplete (no grade, no band).

The scoring belongs to Decree 61/2018/NĐ-CP, replaced by Decree 118/2025/NĐ-CP from 01/7/2025;
whether TT 01/2018 carries over is unverified, so the rule set is one ``RatingScheme`` value the
caller may replace. Pure: pandas and numpy only; the working-day calendar stays with the caller.

Example:

>>> grade(9.0), grade(5.0)  # TT 01/2018 grades of a unit's total points
('fair', 'weak')
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd

from analysis import periods
from analysis.dossier_scheme import INDICATORS, TT01_2018, RatingScheme, grade, official_band

__all__ = [
    "TT01_2018",
    "RatingScheme",
    "dossier_points",
    "grade",
    "official_band",
    "online_points",
    "period_labels",
    "rate_dossiers",
    "unit_points",
]

DOSSIER_INDICATORS = (1, 2, 3, 4, 7)
DOSSIER_COLUMNS = ("unit_id", "received_on", "appointed_on", "returned_on", "allowed_days",
                   "used_days", "supplement_requests", "agencies_contacted", "online",
                   "apology_issued", "upheld_complaint")
INPUT_COLUMNS = ("unit_id", "period", "all_procedures_at_desk", "publicity_level", "pakn_due",
                 "pakn_on_time")
# Optional: NaN when the caller leaves them out.
OPTIONAL_DOSSIER_COLUMNS = ("reset_days",)
OPTIONAL_INPUT_COLUMNS = ("online_procedure_share",)
PERIODS = ("quarter", "year")


def period_labels(days: pd.Series, period: str) -> pd.Series:
    """``"2026-Q2"`` (period ``"quarter"``) or ``"2026"`` (``"year"``) for each day."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}, got {period!r}")
    return periods.period_labels(days, period)  # the labels every report uses


def _as_of(as_of: object) -> pd.Timestamp:
    if isinstance(as_of, datetime) or not isinstance(as_of, date):
        raise ValueError(f"as_of must be a date (a local day), got {as_of!r}")
    return pd.Timestamp(as_of)


def _check_frame(frame: object, name: str, columns: tuple[str, ...]) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks the column(s) {', '.join(missing)}")
    return frame


def _count_points(counts: pd.Series, name: str) -> pd.Series:
    """0 → 2, 1 → 1, 2 or more → 0, missing → NaN (indicators 3 and 4)."""
    values = pd.to_numeric(counts, errors="coerce").astype("float64")
    if (values < 0).any():
        raise ValueError(f"dossiers.{name} must not be negative")
    return pd.Series(np.select([values == 0, values == 1, values >= 2], [2.0, 1.0, 0.0],
                               np.nan), index=counts.index)


def dossier_points(dossiers: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Timing and the points of indicators 1, 2, 3, 4 and 7 for each dossier.

    Parameters
    ----------
    dossiers : DataFrame with the columns of ``DOSSIER_COLUMNS`` (``surveys.dossier_frames``
        plus ``upheld_complaint``). Days are local dates; ``allowed_days`` and ``used_days``
        are working days from the day the dossier counts as received to the appointed day
        and to the return day (NaN when there is no such day).
        ``appointed_on`` and ``allowed_days`` are the legal appointment day of the receipt
        (form 01); the optional ``reset_days`` counts to the day an apology letter re-set it.
    as_of : the local day the figures describe: a dossier not returned whose legal appointed
        day is before it is overdue.

    Returns
    -------
    DataFrame, same index: ``timing`` (early, on_time, late, pending, unknown), ``late``,
    ``judged`` (early, on time or late), ``apology`` (late, with an apology letter),
    ``reset_kept`` (late, with an apology letter, and returned by the re-set day) and
    ``points_1``, ``points_2``, ``points_3``, ``points_4``, ``points_7`` (float, NaN when the
    dossier cannot be scored).

    Notes
    -----
    Mappings (TT 01/2018/TT-VPCP; DOMAIN.md §2.3):

    Timeliness is judged against the legal appointed day only, never the re-set one (DOMAIN.md
    §2.3: "timeliness is still judged against the legal appointment date of the receipt, form
    01"): a dossier returned after its legal day but before the day its apology letter (form 04
    of TT 01/2018/TT-VPCP) promised is late on indicators 1, 2 and 7. The letter counts apart,
    in ``apology`` and ``reset_kept`` (the seeds' target: 100% of late dossiers with a letter).

    1. total time against the legal limit: returned with ``used_days < allowed_days`` →
       early, 2; equal → on time, 1; more, or not returned and ``appointed_on < as_of`` →
       late, 0. Not returned and not overdue → pending, not scored; no appointed day → not
       scored. Comparing working days means a result handed over on a weekend after a Friday
       appointment is on time.
    2. each unit's share of the time: the one-stop system reports one time per dossier, not
       each cooperating unit's step, so the handling unit's time is the dossier's time and
       indicator 2 takes indicator 1's points.
    3. contacts needed to complete the dossier, from ``supplement_requests``: 0 → 2, 1 → 1,
       2 or more → 0. (The rule spares the unit when the citizen was at fault; the facts do
       not say so, so every request counts.)
    4. agencies contacted, from ``agencies_contacted`` (the one-stop desk included): none → 2,
       only one (the one-stop desk) → 1, more → 0; missing → NaN.
    7. conduct: an upheld complaint → 0; otherwise early → 2, on time → 1, late → 0;
       ``upheld_complaint`` missing, or the timing pending or unknown → NaN.
    """
    _check_frame(dossiers, "dossiers", DOSSIER_COLUMNS)
    day = _as_of(as_of)
    allowed = pd.to_numeric(dossiers["allowed_days"], errors="coerce").astype("float64")
    used = pd.to_numeric(dossiers["used_days"], errors="coerce").astype("float64")
    returned = pd.to_datetime(dossiers["returned_on"]).notna()
    appointed = pd.to_datetime(dossiers["appointed_on"])
    early = returned & (used < allowed)
    on_time = returned & (used == allowed)
    overdue = ~returned & appointed.notna() & (appointed < day)
    late = (returned & (used > allowed)) | overdue
    pending = ~returned & ~overdue & appointed.notna()
    timing = pd.Series(np.select([early, on_time, late, pending],
                                 ["early", "on_time", "late", "pending"], "unknown"),
                       index=dossiers.index, dtype="string")
    timing_points = pd.Series(np.select([early, on_time, late], [2.0, 1.0, 0.0], np.nan),
                              index=dossiers.index)
    apology = late & dossiers["apology_issued"].astype(bool)
    reset = pd.to_numeric(dossiers.get("reset_days", pd.Series(np.nan, index=dossiers.index)),
                          errors="coerce").astype("float64")
    complaint = dossiers["upheld_complaint"].astype("boolean")
    conduct = timing_points.where(complaint.eq(False).fillna(False).to_numpy(bool))
    conduct = conduct.mask(complaint.eq(True).fillna(False).to_numpy(bool), 0.0)
    return pd.DataFrame({
        "timing": timing,
        "late": late.astype(bool),
        "judged": (early | on_time | late).astype(bool),
        "apology": apology.astype(bool),
        "reset_kept": (apology & returned & (used <= reset)).astype(bool),
        "points_1": timing_points,
        "points_2": timing_points.copy(),
        "points_3": _count_points(dossiers["supplement_requests"], "supplement_requests"),
        "points_4": _count_points(dossiers["agencies_contacted"], "agencies_contacted"),
        "points_7": conduct.astype("float64"),
    }, index=dossiers.index)


def unit_points(inputs: pd.DataFrame, scheme: RatingScheme = TT01_2018) -> pd.DataFrame:
    """Points of indicators 5, 6 and 8 from unit-level inputs, one row per input row.

    Parameters
    ----------
    inputs : DataFrame with the columns of ``INPUT_COLUMNS``:
        ``all_procedures_at_desk`` (nullable bool), ``publicity_level`` (0, 1, 2 or NaN),
        ``pakn_due`` (PAKN whose deadline fell due: handled with a deadline, or open past it)
        and ``pakn_on_time`` (handled by the deadline); NaN where the input is missing.

    Returns
    -------
    DataFrame ``unit_id``, ``period``, ``points_5``, ``points_6``, ``points_8`` (NaN for a
    missing input) and ``online_procedure_share`` (the optional input of indicator 9: the
    share of the unit's eligible procedures offered online, 0 to 1; NaN when missing).

    Notes
    -----
    TT 01/2018/TT-VPCP; DOMAIN.md §2.3:

    5. every procedure of the unit received at the one-stop desk → ``scheme.desk_all_points``
       (1, as DOMAIN.md states it; that makes 17 the highest total reachable), else 0.
    6. publicity: posted at the desk and online 2, one of them 1, neither 0 (the input is the
       level itself).
    8. PAKN: none fell due, or 100% on time → 2; at least ``scheme.pakn_partial_share`` (90%)
       → 1; below → 0.
    """
    _check_frame(inputs, "inputs", INPUT_COLUMNS)
    desk = inputs["all_procedures_at_desk"].astype("boolean")
    level = pd.to_numeric(inputs["publicity_level"], errors="coerce").astype("float64")
    if (level.notna() & ~level.isin([0.0, 1.0, 2.0])).any():
        raise ValueError("inputs.publicity_level must be 0, 1, 2 or missing")
    due = pd.to_numeric(inputs["pakn_due"], errors="coerce").astype("float64")
    on_time = pd.to_numeric(inputs["pakn_on_time"], errors="coerce").astype("float64")
    if ((due < 0) | (on_time < 0) | (on_time > due)).any():
        raise ValueError("inputs.pakn_on_time must be between 0 and inputs.pakn_due")
    share = on_time / due.where(due > 0)
    procedures = pd.to_numeric(inputs.get("online_procedure_share",
                                          pd.Series(np.nan, index=inputs.index)),
                               errors="coerce").astype("float64")
    if ((procedures < 0) | (procedures > 1)).any():
        raise ValueError("inputs.online_procedure_share must be a share from 0 to 1")
    pakn = np.select([due == 0, share >= 1.0, share >= scheme.pakn_partial_share,
                      share.notna()], [2.0, 2.0, 1.0, 0.0], np.nan)
    return pd.DataFrame({
        "unit_id": inputs["unit_id"].astype("int64").to_numpy(),
        "period": pd.array(inputs["period"], dtype="string"),
        "points_5": desk.map({True: scheme.desk_all_points, False: 0.0})
                        .astype("float64").to_numpy(),
        "points_6": level.to_numpy(),
        "points_8": pakn,
        "online_procedure_share": procedures.to_numpy(),
    })


def online_points(procedures: pd.Series, dossiers: pd.Series, online_late: pd.Series,
                  scheme: RatingScheme = TT01_2018) -> pd.Series:
    """Indicator 9 (online service), TT 01/2018/TT-VPCP Đ13 as DOMAIN.md §2.3 states it.

    ``procedures``: share of the unit's eligible procedures offered online; ``dossiers``: share
    of its dossiers submitted online; ``online_late``: its online dossiers that are late.
    2 points: procedures ≥ ``online_procedure_share`` (20%), dossiers ≥ ``online_full_share``
    (30%) and no online dossier late; 1 point: dossiers ≥ ``online_partial_share`` (15%) short
    of that (a share above 30% that misses a 2-point condition earns the 1 point a smaller
    share would); 0 below. NaN without dossiers, or when the procedure share is missing and
    alone decides between 2 and 1.

    >>> online_points(pd.Series([0.2, 0.19]), pd.Series([0.3, 0.3]), pd.Series([0, 0])).tolist()
    [2.0, 1.0]
    """
    full = (dossiers >= scheme.online_full_share) & (online_late == 0)
    undecided = full & procedures.isna()
    return pd.Series(np.select(
        [dossiers.isna() | undecided, full & (procedures >= scheme.online_procedure_share),
         dossiers >= scheme.online_partial_share], [np.nan, 2.0, 1.0], 0.0),
        index=dossiers.index)


def _shares(top: pd.Series, bottom: pd.Series) -> pd.Series:
    return (top / bottom.where(bottom > 0)).astype("float64")


def _dossier_groups(dossiers: pd.DataFrame, points: pd.DataFrame, period: str,
                    scheme: RatingScheme) -> pd.DataFrame:
    data = points.assign(
        unit_id=dossiers["unit_id"].astype("int64"),
        period=period_labels(dossiers["received_on"], period),
        online=dossiers["online"].astype(bool),
        online_late=dossiers["online"].astype(bool) & points["late"])
    grouped = data.groupby(["unit_id", "period"], sort=True)
    result = pd.DataFrame({
        "dossiers": grouped.size().astype("int64"),
        "judged": grouped["judged"].sum().astype("int64"),
        "late": grouped["late"].sum().astype("int64"),
        "apologies": grouped["apology"].sum().astype("int64"),
        "reset_kept": grouped["reset_kept"].sum().astype("int64"),
        "online": grouped["online"].sum().astype("int64"),
        "online_late": grouped["online_late"].sum().astype("int64"),
    })
    for number in DOSSIER_INDICATORS:
        # mean() skips NaN: sum of points over the dossiers scored, NaN when none was.
        result[f"indicator_{number}"] = grouped[f"points_{number}"].mean().astype("float64")
    return result


def rate_dossiers(dossiers: pd.DataFrame, inputs: pd.DataFrame, *, as_of: date,
                  period: str = "quarter", scheme: RatingScheme = TT01_2018) -> pd.DataFrame:
    """Indicator scores, total, grade and official score by unit and period.

    Parameters
    ----------
    dossiers : per-dossier facts, see ``dossier_points``; grouped by ``unit_id`` and the
        period of ``received_on``.
    inputs : unit-level inputs, see ``unit_points``; one row per ``unit_id`` and ``period``
        label (as ``period_labels`` writes it). A group without an input row has indicators
        5, 6 and 8 missing.
    as_of : local day the figures describe (overdue dossiers count as late).
    period : ``"quarter"`` or ``"year"``.
    scheme : the rule set.

    Returns
    -------
    DataFrame, one row per unit and period found in either frame, sorted by both:
    ``unit_id``, ``period``, ``dossiers``, ``judged`` (early, on time or late), ``late``,
    ``late_share`` = late / judged, ``apologies`` (late dossiers with an apology letter),
    ``apology_coverage`` = apologies / late, ``reset_kept`` (late dossiers with a letter
    returned by the re-set day), ``online_share`` = online / dossiers, ``online_late`` (online
    dossiers that are late), ``online_procedure_share`` (the input),
    ``indicator_1`` … ``indicator_9``, ``total`` (sum of the known indicators, out of 18),
    ``complete``, ``missing`` (e.g. ``"5,6"``; empty when complete), ``grade`` (only when
    complete), ``official`` (sum of the known official indicators, out of 10),
    ``official_complete`` and ``band`` (only when complete). Ratios over an empty group are
    NaN; nothing is rounded.

    Notes
    -----
    Indicator score = Σ points / dossiers scored (TT 01/2018/TT-VPCP; DOMAIN.md §2.3 says "one
    decimal": round only when showing it). Total = Σ of the nine scores; official = Σ of
    indicators 1, 2, 3, 4, 7.
    """
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}, got {period!r}")
    points = dossier_points(dossiers, as_of)
    groups = _dossier_groups(dossiers, points, period, scheme)
    units = unit_points(inputs, scheme).set_index(["unit_id", "period"])
    if units.index.duplicated().any():
        raise ValueError("inputs must have one row per unit_id and period")
    result = groups.join(units, how="outer").sort_index()
    for name in ("dossiers", "judged", "late", "apologies", "reset_kept", "online",
                 "online_late"):
        result[name] = result[name].fillna(0).astype("int64")
    result["late_share"] = _shares(result["late"], result["judged"])
    result["apology_coverage"] = _shares(result["apologies"], result["late"])
    result["online_share"] = _shares(result["online"], result["dossiers"])
    result["indicator_9"] = online_points(result["online_procedure_share"],
                                          result["online_share"], result["online_late"], scheme)
    for number in (5, 6, 8):
        result[f"indicator_{number}"] = result.pop(f"points_{number}").astype("float64")
    scores = result[[f"indicator_{n}" for n in INDICATORS]]
    official = scores[[f"indicator_{n}" for n in scheme.official_indicators]]
    result["total"] = scores.sum(axis=1, min_count=1)
    result["complete"] = scores.notna().all(axis=1)
    result["missing"] = pd.Series(
        [",".join(str(n) for n in INDICATORS if pd.isna(row[f"indicator_{n}"]))
         for _key, row in scores.iterrows()], index=scores.index, dtype="string")
    result["grade"] = pd.Series(
        [grade(total, scheme) if done else None
         for total, done in zip(result["total"], result["complete"], strict=True)],
        index=result.index, dtype="string")
    result["official"] = official.sum(axis=1, min_count=1)
    result["official_complete"] = official.notna().all(axis=1)
    result["band"] = pd.Series(
        [official_band(score, scheme) if done else None
         for score, done in zip(result["official"], result["official_complete"], strict=True)],
        index=result.index, dtype="string")
    result = result.reset_index()
    result["unit_id"] = result["unit_id"].astype("int64")
    result["period"] = result["period"].astype("string")
    columns = ["unit_id", "period", "dossiers", "judged", "late", "late_share", "apologies",
               "apology_coverage", "reset_kept", "online_share", "online_late",
               "online_procedure_share", *[f"indicator_{n}" for n in INDICATORS],
               "total", "complete", "missing", "grade", "official", "official_complete",
               "band"]
    return result[columns]
