"""Reports demo data: the shipped improvement-task catalogue, and the unit-level inputs of
the dossier rating (indicators 5, 6 and 9) for the demo agencies, so the demo shows full
grades."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core.extensions import db
from core.models import SettingValue, Unit
from reports.plan_catalogue import load_shipped_catalogue
from reports.setting_definitions import DESK_SETTING, PROCEDURE_SHARE_SETTING, PUBLICITY_SETTING

# Indicator 5 (all procedures received at the one-stop desk), 6 (where procedures are
# posted) and 9's input (% of eligible procedures offered online) per demo agency: most fully
# compliant, one commune posting on site only and one agency below the 20% online, so the
# demo shows more than one grade.
DEMO_DOSSIER_INPUTS = {
    "LS-VP": ("all", "2", "35"), "LS-SNV": ("all", "2", "28"), "LS-SKHCN": ("all", "2", "40"),
    "LS-STC": ("not_all", "2", "18"), "LS-TT": ("all", "1", "22"),
    "LS-TTPVHCC": ("all", "2", "45"), "LS-KKTCK": ("all", "2", "25"),
    "LS-DINHLAP": ("all", "1", "20"), "KH-KKTVP": ("all", "2", "30"),
}
# Entered before the demo's dossiers start, as an agency would have when it began rating.
DEMO_INPUTS_FROM = date(2025, 1, 1)


def load_reports_demo() -> None:
    load_shipped_catalogue()
    load_demo_dossier_inputs()


def load_demo_dossier_inputs() -> None:
    """Setting rows written directly: the settings service refuses dates in the past (a new
    value must never change figures already reported), which a demo history needs."""
    for code, (desk, publicity, online) in DEMO_DOSSIER_INPUTS.items():
        unit = db.session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
        if unit is None:
            continue
        for key, value in ((DESK_SETTING, desk), (PUBLICITY_SETTING, publicity),
                           (PROCEDURE_SHARE_SETTING, online)):
            exists = db.session.execute(select(SettingValue.id).where(
                SettingValue.key == key, SettingValue.unit_id == unit.id)).first()
            if exists is None:
                db.session.add(SettingValue(key=key, unit_id=unit.id, value=value,
                                            effective_from=DEMO_INPUTS_FROM,
                                            note="Dữ liệu minh họa"))
    db.session.flush()
