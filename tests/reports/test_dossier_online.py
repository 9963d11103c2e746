"""Dossier ratings: indicator 9's input entered per unit and its TT 01/2018 Đ13 thresholds,
and the apology letter counted apart on the page (the fixtures are test_dossier_ratings')."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import now, today
from core.extensions import db
from core.models import Role
from core.settings import definition_of
from reports.dossier_ratings import RatingQuery, build_dossier_ratings
from tests.reports import test_dossier_ratings as ratings
from tests.reports.test_dossier_ratings import Q2, URL, dossier, rows_by_code

# The organisation, its Q2 dossiers and the PAKN frame switch, as test_dossier_ratings builds
# them (pytest finds fixtures by name in this module).
org = ratings.org
no_dossier_codes = ratings.no_dossier_codes


def test_procedure_share_entered_per_unit_decides_two_points_or_one(client, login, org,
                                                                    make_user):
    """An admin enters 19% for Sở Tài chính from today on the settings page: below the 20%
    threshold, so HS-B9 (100% online, not late) earns 1 point, not 2; with 20% entered for
    a later quarter the report for it would give 2 (as test_dossier_ratings shows)."""
    admin = make_user(Role.SYSTEM_ADMIN, username="admin")
    login(client, admin)
    page = client.get("/quan-tri/cai-dat/dossier.online_procedure_share")
    assert page.status_code == 200 and "19%" in page.get_data(as_text=True)
    posted = client.post("/quan-tri/cai-dat/dossier.online_procedure_share", data={
        "value": "19", "effective_from": today().isoformat(),
        "unit_id": str(org.other_department.id), "note": ""})
    assert posted.status_code == 302
    received = now()
    dossier("HS-B9", org.other_department, received, received + timedelta(days=7),
            online=True)
    db.session.commit()
    current = RatingQuery(None, today().year, (today().month - 1) // 3 + 1)
    rows = rows_by_code(build_dossier_ratings(org.analyst, current))
    assert rows["P-STC"]["online_procedure_share"] == pytest.approx(0.19)
    assert rows["P-STC"]["indicator_9"] == 1.0


def test_thresholds_default_to_tt01_article_13():
    assert [definition_of(key).default for key in (
        "dossier.online_procedures_full_pct", "dossier.online_dossiers_full_pct",
        "dossier.online_dossiers_partial_pct")] == [20.0, 30.0, 15.0]


def test_page_shows_the_apology_apart(client, login, org, no_dossier_codes):
    login(client, org.analyst)
    html = client.get(URL, query_string=Q2).get_data(as_text=True)
    assert "1 returned by the re-set date" in html
