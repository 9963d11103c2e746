"""The core's setting definitions (DOMAIN.md §2–§5), registered by ``create_app``.

``needs_confirmation`` marks a value that no legal text we could read fixes: the admin page
shows it as "needs the agency's confirmation" with the ``source`` note, until someone decides.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.settings import SettingDefinition, SettingType

WORKING_DAYS = _l("working days")
PERCENT = "%"

CORE_SETTINGS: tuple[SettingDefinition, ...] = (
    SettingDefinition(
        "sipas.target_element_pct", SettingType.PERCENT,
        _l("Target for every SIPAS element: units below it are flagged."), 85,
        minimum=0, maximum=100, per_unit=True, unit_label=PERCENT,
        source=_l("Provincial plans: every element at or above 85%.")),
    SettingDefinition(
        "sipas.min_cell_size", SettingType.INT,
        _l("Fewest answers for a figure to be published; smaller groups are hidden."), 5,
        minimum=1, maximum=1000, unit_label=_l("answers"),
        source=_l("Survey statistics practice: no figure for a cell with too few answers.")),
    SettingDefinition(
        "sipas.aggregation", SettingType.STR,
        _l("How item indices are combined into element, component and overall indices."),
        "item_mean",
        choices=(("item_mean", _l("Mean of item indices")),
                 ("pooled", _l("Pooled answers")),
                 ("weighted", _l("Weighted by strata or sample size"))),
        needs_confirmation=True,
        source=_l("The formula section of Decision 1001 could not be read, and the published "
                  "national index is not a plain mean of its components.")),
    SettingDefinition(
        "pakn.transfer_days", SettingType.INT,
        _l("Time to transfer a PAKN outside our competence and tell the sender."), 5,
        minimum=1, maximum=60, per_unit=True, unit_label=WORKING_DAYS,
        source=_l("Decree 20/2008/NĐ-CP on receiving and handling PAKN: 5 working days.")),
    SettingDefinition(
        "pakn.acknowledge_days", SettingType.INT,
        _l("Time to tell the sender that the PAKN was accepted or transferred."), 10,
        minimum=1, maximum=60, per_unit=True, unit_label=WORKING_DAYS,
        source=_l("Law on Citizen Reception: 10 working days.")),
    SettingDefinition(
        "pakn.answer_days", SettingType.INT,
        _l("Time to answer an accepted PAKN in writing."), 15,
        minimum=1, maximum=120, per_unit=True, needs_confirmation=True,
        unit_label=WORKING_DAYS,
        source=_l("No single legal limit was found (ministries use 5–10 days to report); "
                  "15 is a placeholder until the agency confirms its own limit.")),
    SettingDefinition(
        "pakn.receipt_cutoff", SettingType.STR,
        _l("PAKN received after this time count as received the next day (the day of "
           "receipt itself is never counted)."), "none",
        choices=(("none", _l("No cut-off (Civil Code)")),
                 *((f"{h:02d}:{m:02d}", f"{h:02d}:{m:02d}")
                   for h in range(11, 18) for m in (0, 30) if (h, m) != (17, 30))),
        per_unit=True,
        source=_l("Civil Code 2015 art. 147: the day of receipt is not counted and the "
                  "period starts the next day, whatever the hour. The 15:00 cut-off is a "
                  "one-stop rule for dossiers; set one here only if the agency decided it.")),
    SettingDefinition(
        "pakn.four_eyes", SettingType.BOOL,
        _l("Four eyes: whoever drafts an answer or prepares its publication cannot approve "
           "it."), True, per_unit=True,
        source=_l("Separation of duties: a second person checks what goes out and what is "
                  "made public.")),
    SettingDefinition(
        "pakn.retention_months", SettingType.INT,
        _l("Months after the last contact before a PAKN sender's personal data is deleted."),
        36, minimum=1, maximum=240, needs_confirmation=True, unit_label=_l("months"),
        source=_l("Personal Data Protection Law 91/2025/QH15 requires deletion when the data "
                  "is no longer needed; 36 months is the product's default, not a legal "
                  "figure.")),
    SettingDefinition(
        "dossier.cutoff_hour", SettingType.INT,
        _l("Dossiers received after this hour count from the next working day."), 15,
        minimum=0, maximum=23, per_unit=True, unit_label=_l("o'clock"),
        source=_l("One-stop rules (Decree 61/2018, replaced by Decree 118/2025 from "
                  "01/7/2025): received after 15:00 counts from the next working day.")),
    SettingDefinition(
        "survey.token_valid_days", SettingType.INT,
        _l("Days a dossier's rating link stays usable after it is issued."), 30,
        minimum=1, maximum=365, per_unit=True, unit_label=_l("days"),
        source=_l("Product default.")),
    SettingDefinition(
        "dossier.late_target_pct", SettingType.PERCENT,
        _l("Highest acceptable share of dossiers finished late."), 1.0,
        minimum=0, maximum=100, per_unit=True, unit_label=PERCENT,
        source=_l("Provincial plans: late dossiers under 1%.")),
    SettingDefinition(
        "pakn.on_time_target_pct", SettingType.PERCENT,
        _l("Target share of PAKN handled on time."), 100,
        minimum=0, maximum=100, per_unit=True, unit_label=PERCENT,
        source=_l("Provincial plans: every PAKN (100%) handled on time.")),
    SettingDefinition(
        "pakn.reopen_window_days", SettingType.INT,
        _l("Days after the answer is sent during which a sender who says the problem is not "
           "solved reopens the case (later, the answer is recorded but reopens nothing)."), 30,
        minimum=1, maximum=365, per_unit=True, unit_label=_l("days"),
        source=_l("Product default (issue 14): 30 days after the answer was sent.")),
    SettingDefinition(
        "pakn.reopen_route", SettingType.STR,
        _l("Where a case reopened by its sender goes."), "handler",
        choices=(("handler", _l("Back to its handling unit")),
                 ("escalate", _l("Escalated to the unit of the leader who approved the "
                                 "answer"))),
        per_unit=True, source=_l("Product default: back to the handling unit.")),
    SettingDefinition(
        "pakn.followup_link_days", SettingType.INT,
        _l("Days the rating link sent with a PAKN answer stays usable (at least the reopening "
           "window)."), 90,
        minimum=1, maximum=365, per_unit=True, unit_label=_l("days"),
        source=_l("Product default.")),
)
