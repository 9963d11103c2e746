"""Household survey responses for the report tests: the shipped QĐ 1001 household form
(``sipas-qd1001``), submitted through the surveys service with Part A kept apart."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core.extensions import db
from core.models import Unit
from surveys.models import Instrument, InstrumentVersion
from surveys.responses import SubmittedResponse, submit_response

Q9_ITEMS = [f"q9_{number}" for number in range(1, 40)]


def household_version() -> InstrumentVersion:
    return db.session.scalars(
        select(InstrumentVersion).join(Instrument)
        .where(Instrument.code == "sipas-qd1001")).one()


def answer_household(unit: Unit, when: datetime, *, q9: int | dict[str, int] | None = None,
                     demographics: dict[str, Any] | None = None, channel: str = "paper",
                     reasons: tuple[str, ...] = (), version: InstrumentVersion | None = None,
                     **answers: int | None) -> None:
    """One household response: every Q9 item rated ``q9`` (or the given Q9 answers), plus
    the other answers given by item code (``q5=1``, ``q1_1=4``; None leaves one blank)."""
    given: dict[str, Any] = {}
    if isinstance(q9, int):
        given.update({code: q9 for code in Q9_ITEMS})
    elif q9 is not None:
        given.update(q9)
    given.update({code: value for code, value in answers.items() if value is not None})
    submit_response(SubmittedResponse(
        version=version or household_version(), unit=unit, channel=channel, answers=given,
        demographics={k: v for k, v in (demographics or {}).items() if v is not None},
        submitted_at=when, quality_reasons=list(reasons)))


def table_values(html: str, table_id: str) -> dict[str, str]:
    """data-key → the first data-value of that row, for the table ``table_id``."""
    section = html[html.index(f'id="{table_id}"'):]
    section = section[:section.index("</table>")]
    values = {}
    for row in re.findall(r"<tr data-key=\"([^\"]*)\">(.*?)</tr>", section, re.S):
        found = re.search(r'data-value="([^"]*)"', row[1])
        values[row[0]] = found.group(1) if found else None
    return values


def row_html(html: str, table_id: str, key: str) -> str:
    section = html[html.index(f'id="{table_id}"'):]
    section = section[:section.index("</table>")]
    start = section.index(f'data-key="{key}"')
    return section[start:section.index("</tr>", start)]


def chart_values(html: str, start_marker: str, end_marker: str,
                 attribute: str = "data-value") -> dict[str, str]:
    """data-key → ``attribute`` of the data marks of the first SVG between two markers."""
    section = html[html.index(start_marker):html.index(end_marker)]
    svg = section[section.index("<svg"):section.index("</svg>") + 6]
    root = ET.fromstring(svg)
    return {node.get("data-key"): node.get(attribute)
            for node in root.iter() if node.get("data-key") and "mark" in (
                node.get("class") or "").split()}
