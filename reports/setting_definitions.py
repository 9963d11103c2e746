"""Settings of the dossier rating (TT 01/2018; DOMAIN.md §2.3), imported by
reports.dossier_ratings. They appear on /quan-tri/cai-dat like the core's.

Indicators 5 and 6 are facts about a unit that no dossier carries, entered here per unit
(effective-dated: a report for a past quarter reads the value in force at its end). Their
default is "not entered", so a unit nobody has assessed shows the indicator as missing
instead of a made-up score.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.settings import SettingDefinition, SettingType

NOT_ENTERED = "not_entered"
SCHEME_SETTING = "dossier.rating_scheme"
DESK_SETTING = "dossier.desk_procedures"
PUBLICITY_SETTING = "dossier.publicity_level"
# TT 01/2018 Đ13 thresholds of indicator 9 (new keys: the placeholders stored under
# dossier.online_full_pct / online_partial_pct meant something else and are no longer read).
ONLINE_PROCEDURES_SETTING = "dossier.online_procedures_full_pct"
ONLINE_FULL_SETTING = "dossier.online_dossiers_full_pct"
ONLINE_PARTIAL_SETTING = "dossier.online_dossiers_partial_pct"
# The input of indicator 9 per unit: share of its eligible procedures offered online.
PROCEDURE_SHARE_SETTING = "dossier.online_procedure_share"
APOLOGY_TARGET_SETTING = "dossier.apology_target_pct"
# Opening hours of a desk (integrity checks: ratings given at the desk outside them).
OPENS_SETTING = "desk.opens_at"
CLOSES_SETTING = "desk.closes_at"
SATURDAY_SETTING = "desk.saturday_closes_at"
CLOSED = "closed"
LATE_TARGET_SETTING = "dossier.late_target_pct"  # registered by the core
DECREE_NOTE = _l("TT 01/2018/TT-VPCP implements Decree 61/2018/NĐ-CP, which Decree "
                 "118/2025/NĐ-CP replaced on 01/7/2025; whether its scoring carries over is "
                 "not verified.")
PERCENT = "%"
HOURS_SOURCE = _l("No national rule fixes one-stop opening hours: offices commonly work "
                  "7:00–11:30 and 13:00–17:00 on working days. Set each desk's own hours "
                  "(the working-day calendar decides which days are open).")
ONLINE_SOURCE = _l("TT 01/2018/TT-VPCP Đ13, indicator 9: 2 points when the eligible procedures "
                   "offered online reach 20% and the dossiers submitted online reach 30%, none "
                   "of them late; 1 point when the online dossiers are from 15% to 30%; else 0.")

REPORT_SETTINGS: tuple[SettingDefinition, ...] = (
    SettingDefinition(
        SCHEME_SETTING, SettingType.STR,
        _l("Rating scheme used to score dossiers (nine indicators, grade and official "
           "score)."), "tt01_2018",
        choices=(("tt01_2018", _l("TT 01/2018/TT-VPCP: nine indicators, 18 points")),),
        needs_confirmation=True, source=DECREE_NOTE),
    SettingDefinition(
        DESK_SETTING, SettingType.STR,
        _l("Dossier rating, indicator 5: are all of the unit's procedures received and "
           "returned at the one-stop desk?"), NOT_ENTERED,
        choices=((NOT_ENTERED, _l("Not entered")),
                 ("all", _l("Yes, all procedures (100%)")),
                 ("not_all", _l("No, not all of them"))),
        per_unit=True,
        source=_l("TT 01/2018/TT-VPCP, indicator 5: 1 point when every procedure (100%) goes "
                  "through the one-stop desk.")),
    SettingDefinition(
        PUBLICITY_SETTING, SettingType.STR,
        _l("Dossier rating, indicator 6: where the unit's procedures are posted."),
        NOT_ENTERED,
        choices=((NOT_ENTERED, _l("Not entered")),
                 ("2", _l("At the desk and online (2 points)")),
                 ("1", _l("Only at the desk or only online (1 point)")),
                 ("0", _l("Not posted (0 points)"))),
        per_unit=True,
        source=_l("TT 01/2018/TT-VPCP, indicator 6: 2 posted on site and online, 1 one of "
                  "them, 0 none.")),
    SettingDefinition(
        ONLINE_PROCEDURES_SETTING, SettingType.PERCENT,
        _l("Dossier rating, indicator 9: share of the unit's eligible procedures offered "
           "online, needed for 2 points."),
        20, minimum=0, maximum=100, unit_label=PERCENT, source=ONLINE_SOURCE),
    SettingDefinition(
        ONLINE_FULL_SETTING, SettingType.PERCENT,
        _l("Dossier rating, indicator 9: share of dossiers submitted online, none of them "
           "late, needed for 2 points."),
        30, minimum=0, maximum=100, unit_label=PERCENT, source=ONLINE_SOURCE),
    SettingDefinition(
        ONLINE_PARTIAL_SETTING, SettingType.PERCENT,
        _l("Dossier rating, indicator 9: share of dossiers submitted online for 1 point."),
        15, minimum=0, maximum=100, unit_label=PERCENT, source=ONLINE_SOURCE),
    SettingDefinition(
        PROCEDURE_SHARE_SETTING, SettingType.STR,
        _l("Dossier rating, indicator 9: share of the unit's eligible procedures offered "
           "online (enter it for each unit; a report uses the value in force at the end of "
           "its period)."), NOT_ENTERED,
        choices=((NOT_ENTERED, _l("Not entered")),
                 *((str(pct), f"{pct}%") for pct in range(101))),
        per_unit=True, source=ONLINE_SOURCE),
    SettingDefinition(
        APOLOGY_TARGET_SETTING, SettingType.PERCENT,
        _l("Target share of late dossiers with an apology letter."), 100,
        minimum=0, maximum=100, per_unit=True, unit_label=PERCENT,
        source=_l("Provincial plans: every late dossier (100%) gets an apology letter.")),
    SettingDefinition(
        OPENS_SETTING, SettingType.STR,
        _l("Opening time of the desk on working days (ratings given at the desk long before "
           "it are flagged for review)."), "07:00",
        choices=tuple((f"{h:02d}:{m:02d}", f"{h:02d}:{m:02d}")
                      for h in range(5, 11) for m in (0, 30)),
        per_unit=True, needs_confirmation=True, source=HOURS_SOURCE),
    SettingDefinition(
        CLOSES_SETTING, SettingType.STR,
        _l("Closing time of the desk on working days (ratings given at the desk long after "
           "it are flagged for review)."), "17:00",
        choices=tuple((f"{h:02d}:{m:02d}", f"{h:02d}:{m:02d}")
                      for h in range(14, 22) for m in (0, 30)),
        per_unit=True, needs_confirmation=True, source=HOURS_SOURCE),
    SettingDefinition(
        SATURDAY_SETTING, SettingType.STR,
        _l("Saturday service: the time the desk closes on Saturdays that are not working "
           "days, or closed (it opens at its weekday time)."), CLOSED,
        choices=((CLOSED, _l("Closed on Saturdays")),
                 *((f"{h:02d}:{m:02d}", f"{h:02d}:{m:02d}")
                   for h in range(10, 18) for m in (0, 30))),
        per_unit=True, needs_confirmation=True, source=HOURS_SOURCE),
)
