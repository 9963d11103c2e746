"""Builders for the dossier, token and dossier API tests: an agency with a desk, a dossier,
and the desk questionnaire published under the code the rating page asks for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from core.apikeys import issue_api_key
from core.models import Role, Unit, User
from surveys.dossiers import DossierData, upsert_dossier
from surveys.instruments import DESK_FORM_CODE
from surveys.models import Dossier, InstrumentVersion
from tests.surveys.survey_page_helpers import build_version, old_token

# 08:30 on Monday 1 June 2026 in Hà Nội (UTC+7) is 01:30 UTC.
RECEIVED = datetime(2026, 6, 1, 1, 30, tzinfo=UTC)
APPOINTED = datetime(2026, 6, 5, 9, 0, tzinfo=UTC)


@dataclass
class Office:
    agency: Unit
    desk: Unit
    other: Unit  # a unit outside the agency's subtree
    clerk: User  # desk staff of the agency


def build_office(make_unit, make_user, prefix: str = "SO") -> Office:
    agency = make_unit(f"{prefix}-TP", kind="agency", name_vi="Sở Tư pháp",
                       hotline="0205 3812 111")
    desk = make_unit(f"{prefix}-TP-Q1", parent=agency, kind="desk", name_vi="Quầy Tư pháp")
    other = make_unit(f"{prefix}-XD", kind="agency", name_vi="Sở Xây dựng")
    clerk = make_user(Role.DESK_STAFF, unit=agency)
    return Office(agency, desk, other, clerk)


def dossier_data(code: str = "000.00.17.H36-260601-0001", unit: str = "SO-TP",
                 desk: str | None = "SO-TP-Q1", **fields) -> DossierData:
    values = {"procedure_code": "1.001234", "procedure_name": "Cấp phiếu lý lịch tư pháp",
              "received_at": RECEIVED, "legal_appointed_at": APPOINTED, **fields}
    return DossierData(code=code, unit_code=unit, desk_code=desk, **values)


def make_dossier(office: Office, code: str = "000.00.17.H36-260601-0001") -> Dossier:
    from core.extensions import db

    dossier, _outcome = upsert_dossier(dossier_data(code, office.agency.code,
                                                    office.desk.code), actor=office.clerk)
    db.session.commit()
    return dossier


def publish_desk_form() -> InstrumentVersion:
    from core.extensions import db

    version = build_version(code=DESK_FORM_CODE)
    db.session.commit()
    return version


def valid_form(version: InstrumentVersion, **answers) -> dict[str, str]:
    """A complete desk form posted a minute after it was handed out."""
    return {"started": old_token(version.id), "q9_24": "5", "q9_25": "4", **answers}


def api_key_for(make_user, unit: Unit, permissions=("dossiers.write",)) -> str:
    from core.extensions import db

    admin = make_user(Role.SYSTEM_ADMIN)
    _key, plaintext = issue_api_key("Hệ thống một cửa", unit, list(permissions), actor=admin)
    db.session.commit()
    return plaintext
