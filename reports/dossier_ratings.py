"""Dossier ratings by unit for a quarter or a year (TT 01/2018/TT-VPCP; DOMAIN.md §2.3).

Gathers what ``analysis.dossier_rating`` needs, for the units an actor may see with
REPORTS_VIEW: the dossiers (``surveys.dossier_frames``), the unit inputs of indicators 5 and 6
(per-unit settings, reports.setting_definitions), the PAKN on-time figures of indicator 8
(``feedback.kpis.pakn_kpis`` for each unit's subtree), the complaints of indicator 7
(``feedback.frames``, once it carries dossier codes) and the scheme's thresholds (settings).
Read only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from analysis.dossier_rating import TT01_2018, RatingScheme, rate_dossiers
from analysis.pakn_kpis import PaknKpis, case_outcomes
from core.access import Actor, Permission, visible_units
from core.clock import local, now, today
from core.exceptions import ServiceError
from core.models import Unit
from core.settings import get_setting
from feedback import frames as pakn_frames
from feedback.case_access import case_scope_clause
from feedback.kpis import pakn_kpis, period_bounds
from reports import setting_definitions as keys
from surveys.dossier_frames import dossiers_frame

FIRST_YEAR = 2018  # TT 01/2018 took effect in 2018
QUARTER_MONTHS = {1: (1, 3), 2: (4, 6), 3: (7, 9), 4: (10, 12)}
SCHEMES = {"tt01_2018": TT01_2018}
CONDUCT = "conduct"
GRADE_LABELS = {"excellent": _l("Excellent"), "good": _l("Good"), "fair": _l("Fair"),
                "average": _l("Average"), "weak": _l("Weak")}
BAND_LABELS = {"full": _l("All tasks done (100%)"),
               "partial": _l("Tasks done: from 70 to under 100%"),
               "low": _l("Tasks done: under 70%")}
INDICATOR_NAMES = {
    1: _l("Total time against the legal time limit (early 2, on time 1, late 0)"),
    2: _l("Time taken by each unit that handled the dossier (early 2, on time 1, late 0)"),
    3: _l("Contacts needed to complete the dossier (none 2, one 1, more 0)"),
    4: _l("Offices the citizen had to contact (none 2, only the one-stop desk 1, more 0)"),
    5: _l("Every procedure received at the one-stop desk (1 if 100%)"),
    6: _l("Procedures made public (at the desk and online 2, one of them 1, neither 0)"),
    7: _l("Conduct (early with no complaint 2, on time with no complaint 1, an upheld "
          "complaint 0)"),
    8: _l("PAKN handled on time (none due or 100% 2, at least 90% 1, less 0)"),
    9: _l("Online service (2: procedures online at least 20%, dossiers submitted online at "
          "least 30%, none late; 1: dossiers online from 15% to 30%; 0 otherwise)"),
}
INDICATOR_NOTES = {
    2: _l("The one-stop system reports one time per dossier, so each unit's time is the "
          "dossier's time: indicator 2 takes the points of indicator 1."),
    3: _l("From the supplement requests recorded for the dossier; the records do not say "
          "whether the citizen was at fault."),
    4: _l("A dossier submitted online counts as no contact, any other as the one-stop desk "
          "only: the one-stop system reports no other contact."),
    5: _l("Entered per unit in the settings."),
    6: _l("Entered per unit in the settings."),
    7: _l("A PAKN about the dossier, classified as conduct of an agency or official and "
          "answered, counts as an upheld complaint."),
    8: _l("From the PAKN register: the unit's PAKN received in the period whose deadline "
          "fell due, and those handled on time."),
    1: _l("Judged against the legal appointed date of the receipt (form 01); a date re-set by "
          "an apology letter (form 04) does not change it."),
    9: _l("TT 01/2018 Đ13 thresholds, editable in the settings; the share of procedures "
          "offered online is entered per unit in the settings."),
}


@dataclass(frozen=True)
class RatingQuery:
    """Which units (a subtree; None: every unit the actor may see) and which period."""

    unit_id: int | None
    year: int
    quarter: int | None = None  # None: the whole year

    @property
    def period(self) -> str:
        return "year" if self.quarter is None else "quarter"

    @property
    def label(self) -> str:
        """The period as analysis.dossier_rating.period_labels writes it."""
        return f"{self.year}" if self.quarter is None else f"{self.year}-Q{self.quarter}"

    def days(self) -> tuple[date, date]:
        first, last = QUARTER_MONTHS[self.quarter] if self.quarter else (1, 12)
        end = date(self.year + (last == 12), last % 12 + 1, 1)
        return date(self.year, first, 1), date.fromordinal(end.toordinal() - 1)


@dataclass
class UnitRating:
    unit: Unit
    values: dict[str, Any]
    late_target_pct: float
    apology_target_pct: float

    @property
    def late_over_target(self) -> bool:
        share = self.values["late_share"]
        return not pd.isna(share) and share * 100 > self.late_target_pct

    @property
    def apology_under_target(self) -> bool:
        share = self.values["apology_coverage"]
        return not pd.isna(share) and share * 100 < self.apology_target_pct


@dataclass
class DossierRatingReport:
    query: RatingQuery
    since: date
    until: date
    as_of: date
    scheme: RatingScheme
    complaints_known: bool
    rows: list[UnitRating] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.rows


def check_query(actor: Actor, query: RatingQuery) -> list[Unit]:
    """The units of the report: ServiceError(400) for a year, quarter or unit the actor
    cannot ask for (a unit outside their scope reads as unknown)."""
    if not FIRST_YEAR <= query.year <= today().year + 1:
        raise ServiceError(_("Choose a year from %(first)d to %(last)d.", first=FIRST_YEAR,
                             last=today().year + 1), status=400, field="year")
    if query.quarter is not None and query.quarter not in QUARTER_MONTHS:
        raise ServiceError(_("Choose a quarter from 1 to 4, or the whole year."), status=400,
                           field="quarter")
    units = visible_units(actor, Permission.REPORTS_VIEW)
    if query.unit_id is None:
        return units
    chosen = next((unit for unit in units if unit.id == query.unit_id), None)
    if chosen is None:
        raise ServiceError(_("Unknown unit."), status=400, field="unit")
    return [unit for unit in units if unit.path.startswith(chosen.path)]


def scheme_in_force(on: date) -> RatingScheme:
    """The rating scheme chosen in the settings, with the online thresholds in force."""
    scheme = SCHEMES[get_setting(keys.SCHEME_SETTING, on=on)]
    return replace(
        scheme,
        online_procedure_share=get_setting(keys.ONLINE_PROCEDURES_SETTING, on=on) / 100,
        online_full_share=get_setting(keys.ONLINE_FULL_SETTING, on=on) / 100,
        online_partial_share=get_setting(keys.ONLINE_PARTIAL_SETTING, on=on) / 100)


def _desk_input(value: str) -> object:
    return {"all": True, "not_all": False}.get(value, pd.NA)


def _publicity_input(value: str) -> float:
    return float("nan") if value == keys.NOT_ENTERED else float(value)


def _procedure_share_input(value: str) -> float:
    """The share (0 to 1) of a unit's eligible procedures offered online, NaN if not entered."""
    return float("nan") if value == keys.NOT_ENTERED else float(value) / 100


def pakn_due_counts(kpis: PaknKpis) -> tuple[int, int]:
    """(due, on time) for indicator 8 from a unit's PAKN KPIs: cases whose deadline fell due
    (handled with a deadline, or still open past it) and those handled by the deadline."""
    handled = kpis.handling.set_index("outcome").loc["total"]
    overdue = kpis.backlog.set_index("age_bucket").loc["total", "overdue"]
    return int(handled["timed"]) + int(overdue), int(handled["on_time"])


def upheld_complaints(frame: pd.DataFrame, outcomes: pd.DataFrame) -> set[str]:
    """Dossier codes (upper case) named by a PAKN classified as conduct of an agency or
    official and answered: the closest the register comes to an upheld complaint (TT 01/2018
    indicator 7), since it does not record whether the answer found the complaint justified."""
    upheld = (frame["classification"] == CONDUCT).fillna(False) & \
        (outcomes["outcome"] == "answered")
    codes = frame.loc[upheld, "dossier_code"].dropna().astype(str)
    return {code.strip().upper() for code in codes if code.strip()}


def _complaint_codes(actor: Actor, since: date, moment: datetime) -> set[str] | None:
    """Upheld complaints about dossiers of the period (received from ``since`` up to
    ``moment``: a complaint may come after the period), or None while the PAKN frame carries
    no dossier codes (indicator 7 is then missing, not zero)."""
    if "dossier_code" not in pakn_frames.CASE_COLUMNS:
        return None
    start, _end = period_bounds((since, since))
    frame = pakn_frames.cases_frame(case_scope_clause(actor, Permission.REPORTS_VIEW),
                                    received_from=start, received_before=moment)
    return upheld_complaints(frame, case_outcomes(frame, moment))


def _inputs(actor: Actor, units: dict[int, Unit], query: RatingQuery, on: date,
            moment: datetime) -> pd.DataFrame:
    rows = []
    for unit in units.values():
        due, on_time = pakn_due_counts(pakn_kpis(
            actor, period=query.days(), as_of=moment, perm=Permission.REPORTS_VIEW,
            within=unit))
        rows.append({
            "unit_id": unit.id, "period": query.label,
            "all_procedures_at_desk": _desk_input(get_setting(keys.DESK_SETTING, on=on,
                                                              unit=unit)),
            "publicity_level": _publicity_input(get_setting(keys.PUBLICITY_SETTING, on=on,
                                                            unit=unit)),
            "pakn_due": float(due), "pakn_on_time": float(on_time),
            "online_procedure_share": _procedure_share_input(get_setting(
                keys.PROCEDURE_SHARE_SETTING, on=on, unit=unit))})
    frame = pd.DataFrame(rows, columns=["unit_id", "period", "all_procedures_at_desk",
                                        "publicity_level", "pakn_due", "pakn_on_time",
                                        "online_procedure_share"])
    frame["all_procedures_at_desk"] = frame["all_procedures_at_desk"].astype("boolean")
    return frame


def build_dossier_ratings(actor: Actor, query: RatingQuery, *,
                          moment: datetime | None = None) -> DossierRatingReport:
    """The rating table of ``query``: one row per unit in scope with dossiers received in the
    period, sorted as the organisation tree. Figures stand as at ``moment`` (default now)."""
    units = {unit.id: unit for unit in check_query(actor, query)}
    moment = moment or now()
    since, until = query.days()
    as_of = local(moment).date()
    on = min(until, as_of)  # settings in force at the period's end, or today for this one
    scheme = scheme_in_force(on)
    dossiers = dossiers_frame(list(units), since, until, with_code=True)
    report = DossierRatingReport(query, since, until, as_of, scheme, complaints_known=False)
    if dossiers.empty:
        return report
    rated_units = {uid: units[uid] for uid in sorted(set(dossiers["unit_id"]))}
    complaints = _complaint_codes(actor, since, moment)
    report.complaints_known = complaints is not None
    dossiers["upheld_complaint"] = pd.array(
        [pd.NA if complaints is None else code.upper() in complaints
         for code in dossiers.pop("code")], dtype="boolean")
    table = rate_dossiers(dossiers, _inputs(actor, rated_units, query, on, moment),
                          as_of=as_of, period=query.period, scheme=scheme)
    for record in table.to_dict("records"):
        # pd.NA has no truth value: templates test these fields, so missing text is None.
        values = {key: None if value is pd.NA else value for key, value in record.items()}
        unit = rated_units[values["unit_id"]]
        report.rows.append(UnitRating(
            unit, values,
            late_target_pct=get_setting(keys.LATE_TARGET_SETTING, on=on, unit=unit),
            apology_target_pct=get_setting(keys.APOLOGY_TARGET_SETTING, on=on, unit=unit)))
    report.rows.sort(key=lambda row: row.unit.path)
    return report


def rounded(value: float | None, digits: int = 1, scale: float = 1.0) -> float | None:
    """``value × scale`` rounded half up for a person (the page and the exports; Python's
    ``round`` would turn 1.25 into 1.2), or None when missing."""
    if value is None or pd.isna(value):
        return None
    step = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(float(value) * scale)).quantize(step, rounding=ROUND_HALF_UP))


def table_rows(report: DossierRatingReport) -> list[list[object]]:
    """The table as the exports write it: a header, then one row per unit. Scores have one
    decimal (DOMAIN.md §2.3), shares are percentages with one decimal; missing is empty."""
    header = [_("Unit code"), _("Unit"), _("Period"), _("Dossiers"),
              *[_("Indicator %(number)s", number=n) for n in range(1, 10)],
              _("Total (of 18)"), _("Complete"), _("Missing indicators"), _("Grade"),
              _("Official score (of 10)"), _("Official band"), _("Late dossiers"),
              _("Late share (%)"), _("Late dossiers with an apology"),
              _("Apology coverage (%)"), _("Late dossiers returned by the re-set date"),
              _("Online share (%)"), _("Procedures offered online (%)")]
    rows: list[list[object]] = [header]
    for row in report.rows:
        v = row.values
        rows.append([
            row.unit.code, row.unit.name_vi, report.query.label, v["dossiers"],
            *[rounded(v[f"indicator_{n}"]) for n in range(1, 10)],
            rounded(v["total"]), _("Yes") if v["complete"] else _("No"),
            v["missing"] or "",
            str(GRADE_LABELS[v["grade"]]) if v["grade"] else "",
            rounded(v["official"]),
            str(BAND_LABELS[v["band"]]) if v["band"] else "",
            v["late"], rounded(v["late_share"], scale=100), v["apologies"],
            rounded(v["apology_coverage"], scale=100), v["reset_kept"],
            rounded(v["online_share"], scale=100),
            rounded(v["online_procedure_share"], scale=100)])
    return rows
