"""/api/v1/sipas: the dashboard's figures for a key with reports.view, the public figures
without a key; suppression as null, never 0; 400 on unknown filters, 404 outside scope."""

from __future__ import annotations

import pytest

from core.apikeys import issue_api_key
from core.extensions import db
from core.models import Role
from tests.reports.sipas_helpers import at, build_org, rate


@pytest.fixture
def org(app, make_unit, make_user):
    org = build_org(make_unit, make_user)
    # Sở A's desk: 5, 5, 4, 3, 2, 1 → 50% on every item; Sở B: three answers (hidden).
    for value in (5, 5, 4, 3, 2, 1):
        rate(org, org.desk_a, value, at(2026, 3, 10))
    for value in (5, 5, 4):
        rate(org, org.dept_b, value, at(2026, 3, 11))
    db.session.commit()
    return org


def _key(org, make_user, unit, permissions=("reports.view",)) -> dict[str, str]:
    admin = make_user(Role.UNIT_ADMIN, unit=unit)
    _key_row, plaintext = issue_api_key("Cổng dữ liệu", unit, list(permissions), actor=admin)
    db.session.commit()
    return {"Authorization": f"Bearer {plaintext}"}


def test_key_gets_the_dashboard_figures(client, org, make_user):
    headers = _key(org, make_user, org.province)
    response = client.get("/api/v1/sipas/TINH", query_string={"period": "2026-H1"},
                          headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["period"] == "2026-H1" and body["min_n"] == 5 and body["target"] == 85
    # Province II.A: (3 + 3) satisfied of (6 + 3) per item = 66.666…%.
    element = {row["key"]: row for row in body["elements"]}["II.A"]
    assert element["index"] == pytest.approx(200 / 3) and element["n"] == 27
    units = {row["key"]: row for row in body["units"]}
    assert units["SO-A"]["index"] == pytest.approx(50.0) and units["SO-A"]["rank"] == 1
    assert units["SO-A"]["below_target"] is True
    # Sở B rests on 3 answers per item: hidden, not 0.
    assert units["SO-B"]["suppressed"] is True and units["SO-B"]["index"] is None
    assert units["SO-B"]["ci_low"] is None and units["SO-B"]["rank"] is None


@pytest.mark.parametrize("query", [{"bogus": "1"}, {"period": "2026-Q5"},
                                   {"unit": "1"}, {"flagged": "yes"}])
def test_unknown_or_bad_filters_answer_400(client, org, make_user, query):
    headers = _key(org, make_user, org.province)
    response = client.get("/api/v1/sipas/TINH", query_string=query, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["status"] == 400


def test_units_outside_the_keys_scope_are_not_found(client, org, make_user):
    headers = _key(org, make_user, org.dept_a)
    assert client.get("/api/v1/sipas/SO-B", headers=headers).status_code == 404
    assert client.get("/api/v1/sipas/KHONG-CO", headers=headers).status_code == 404
    assert client.get("/api/v1/sipas/SO-A", headers=headers,
                      query_string={"period": "2026-H1"}).status_code == 200


def test_a_key_without_reports_view_is_refused(client, org, make_user):
    headers = _key(org, make_user, org.province, permissions=("units.view",))
    assert client.get("/api/v1/sipas/TINH", headers=headers).status_code == 403
    assert client.get("/api/v1/sipas/TINH").status_code == 401


def test_public_figures_need_no_key_and_hide_small_cells(client, org, monkeypatch):
    from datetime import date

    import reports.api.sipas as api

    monkeypatch.setattr(api, "today", lambda: date(2026, 5, 15))
    response = client.get("/api/v1/sipas/public/SO-B")
    assert response.status_code == 200
    periods = {row["period"]: row for row in response.get_json()["periods"]}
    overall = periods["2026-H1"]["overall"]
    assert overall["suppressed"] is True and overall["index"] is None and overall["n"] is None
    province = client.get("/api/v1/sipas/public/TINH").get_json()
    h1 = {row["period"]: row for row in province["periods"]}["2026-H1"]
    assert h1["overall"]["index"] == pytest.approx(200 / 3)
    assert client.get("/api/v1/sipas/public/TINH?x=1").status_code == 400
    assert client.get("/api/v1/sipas/public/KHONG-CO").status_code == 404
