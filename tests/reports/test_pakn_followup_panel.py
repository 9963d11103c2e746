"""The dashboard's PAKN panel with the senders' own verdict (issue 14 §1): satisfaction and
reopen rates per handling unit, and element II.E from the senders beside II.E from the other
rating channels, against hand-computed values."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Role, SettingValue
from surveys.instruments import load_shipped_instruments
from surveys.models import Instrument, InstrumentVersion
from surveys.responses import SubmittedResponse, submit_response
from tests.feedback.followup_helpers import (
    SENT,
    answered_case,
    install_clock,
    link_path,
    rating_form,
    rating_link,
)
from tests.feedback.helpers import build_org

URL = "/quan-tri/bao-cao/"


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch)


@pytest.fixture
def app_config():
    return {"PUBLIC_BASE_URL": "https://pakn.example.gov.vn"}


@pytest.fixture
def org(app, make_unit, make_user):
    org = build_org(make_unit, make_user)
    org.analyst = make_user(Role.ANALYST, org.province, username="phantich")
    # Every figure shown, however few the answers (the default hides cells under 5).
    db.session.add(SettingValue(key="sipas.min_cell_size", unit_id=None, value=1,
                                effective_from=date(2026, 1, 1)))
    load_shipped_instruments()
    db.session.commit()
    return org


def _desk_rating(org, value: int) -> None:
    version = db.session.scalars(select(InstrumentVersion).join(Instrument).where(
        Instrument.code == "sipas-desk")).one()
    submit_response(SubmittedResponse(
        version=version, unit=org.department, channel="desk_qr", submitted_at=SENT,
        answers={"q9_37": value, "q9_38": value, "q9_39": value}))


def _row(html: str, table: str, attribute: str, key: str) -> list[str]:
    section = html[html.index(f'id="{table}"'):]
    section = section[:section.index("</table>")]
    row = section[section.index(f'{attribute}="{key}"'):]
    row = row[:row.index("</tr>")]
    return re.findall(r'data-value="([^"]*)"', row)


def test_panel_shows_the_senders_rates_and_both_element_e_figures(client, login, org,
                                                                  clock):
    # Desk ratings of II.E: all 5 and all 2 → each item 1 of 2 satisfied = 50 %.
    _desk_rating(org, 5)
    _desk_rating(org, 2)
    db.session.commit()
    # Senders: (4, 5, 2) "Chưa" → reopened; (4, 5, 5) solved. Items: q9_37 2/2, q9_38 2/2,
    # q9_39 1/2 → mean of item indices (100 + 100 + 50) / 3 = 83.333…; satisfaction pooled
    # 5 of 6 answers = 83.333…; reopened 1 of 2 answers sent = 50 %.
    first, second = answered_case(org, clock), answered_case(org, clock)
    client.post(link_path(rating_link(first)), data=rating_form(2, "Chưa khắc phục."))
    client.post(link_path(rating_link(second)), data=rating_form(1, q9_39="5"))
    login(client, org.analyst)
    html = client.get(URL, query_string={"period": "2026-H1", "unit": org.province.id}) \
        .get_data(as_text=True)
    assert _row(html, "element-e-sources", "data-key", "senders") == ["83.333333"]
    assert _row(html, "element-e-sources", "data-key", "others") == ["50.000000"]
    assert _row(html, "pakn-followups", "data-unit", str(org.department.id)) == \
        ["83.333333", "50.000000"]
    assert _row(html, "pakn-followups", "data-unit", "all") == ["83.333333", "50.000000"]
    # The channel has its label in the sample table and the filter.
    assert "PAKN senders (after the answer)" in html


def test_handler_cannot_open_the_dashboard(client, login, org):
    login(client, org.handler)
    assert client.get(URL).status_code in (302, 403)
