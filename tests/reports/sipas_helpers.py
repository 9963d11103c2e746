"""A small organisation with desk ratings for the report tests: a province with two
departments (one with a desk under it), the shipped desk questionnaire (16 items, five
elements), and a helper that submits ratings through the surveys service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core.clock import LOCAL_TZ
from core.extensions import db
from core.models import Role, Unit, User
from surveys.instruments import load_shipped_instruments
from surveys.models import Instrument, InstrumentVersion
from surveys.responses import SubmittedResponse, submit_response

DESK_ITEMS = [f"q9_{number}" for number in range(24, 40)]
ELEMENT_ITEMS = {"II.A": DESK_ITEMS[0:3], "II.B": DESK_ITEMS[3:7], "II.C": DESK_ITEMS[7:10],
                 "II.D": DESK_ITEMS[10:13], "II.E": DESK_ITEMS[13:16]}


@dataclass
class Org:
    province: Unit
    dept_a: Unit
    dept_b: Unit
    desk_a: Unit
    version: InstrumentVersion
    analyst: User


def build_org(make_unit, make_user) -> Org:
    province = make_unit("TINH", name_vi="UBND tỉnh Thử")
    dept_a = make_unit("SO-A", parent=province, name_vi="Sở A")
    dept_b = make_unit("SO-B", parent=province, name_vi="Sở B")
    desk_a = make_unit("QUAY-A", parent=dept_a, name_vi="Quầy A1", kind="desk")
    load_shipped_instruments()
    db.session.commit()
    version = db.session.scalars(
        select(InstrumentVersion).join(Instrument)
        .where(Instrument.code == "sipas-desk")).one()
    analyst = make_user(Role.ANALYST, province, username="phantich")
    return Org(province, dept_a, dept_b, desk_a, version, analyst)


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=LOCAL_TZ)


def rate(org: Org, unit: Unit, value: int | dict[str, Any], when: datetime, *,
         channel: str = "online", reasons: tuple[str, ...] = ()) -> None:
    """One response: every desk item rated ``value`` (or the given answers)."""
    answers = value if isinstance(value, dict) else {code: value for code in DESK_ITEMS}
    submit_response(SubmittedResponse(version=org.version, unit=unit, channel=channel,
                                      answers=answers, submitted_at=when,
                                      quality_reasons=list(reasons)))
