"""Builders for the random-sample tests: an agency whose June 2026 dossiers are in three strata
(procedure × channel), most holders having consented to be contacted."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from core.extensions import db
from core.models import Role, User
from surveys.dossiers import upsert_dossier
from surveys.models import Dossier
from tests.surveys.dossier_helpers import RECEIVED, Office, build_office, dossier_data

# Stratum sizes of consenting dossiers: (procedure, online, how many).
STRATA = (("1.000001", False, 15), ("1.000002", False, 10), ("1.000002", True, 5))
LINK = re.compile(r"https://localhost/d/(\S+)")


@dataclass
class SampleWorld:
    office: Office
    analyst: User
    consenting: list[Dossier]
    others: list[Dossier]  # no consent, or another period


def build_sample_world(make_unit, make_user, channel: str = "sms") -> SampleWorld:
    office = build_office(make_unit, make_user)
    analyst = make_user(Role.ANALYST, unit=office.agency)
    consenting, others, number = [], [], 0
    for procedure, online, count in STRATA:
        for _ in range(count):
            number += 1
            dossier, _outcome = upsert_dossier(dossier_data(
                f"HS-{number:04d}", procedure_code=procedure, online=online,
                received_at=RECEIVED + timedelta(hours=number), contact_consent=True,
                contact_phone=f"09{number:08d}", contact_channel=channel), actor=office.clerk)
            consenting.append(dossier)
    for code, fields in (("HS-NO", {"contact_consent": False}),
                         ("HS-OLD", {"contact_consent": True, "contact_phone": "0912000111",
                                     "received_at": RECEIVED - timedelta(days=90)})):
        dossier, _outcome = upsert_dossier(dossier_data(code, procedure_code="1.000001",
                                                        **fields), actor=office.clerk)
        others.append(dossier)
    db.session.commit()
    return SampleWorld(office, analyst, consenting, others)


def link_of(body: str) -> str:
    """The /d/<token> path in an invitation's text."""
    match = LINK.search(body)
    assert match, body
    return f"/d/{match.group(1)}"
