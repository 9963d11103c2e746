"""The reports demo data: after `flask core seed-demo` the dashboard and the dossier rating
show real figures (a grade needs indicators 5 and 6, entered per unit as settings)."""

from __future__ import annotations

from sqlalchemy import func, select

from core.extensions import db
from core.models import SettingValue, User
from reports.demo import DEMO_DOSSIER_INPUTS
from reports.dossier_ratings import RatingQuery, build_dossier_ratings
from reports.models import ImprovementTask
from reports.setting_definitions import DESK_SETTING


def test_demo_gives_graded_dossier_ratings_and_a_catalogue(app):
    runner = app.test_cli_runner()
    for _run in range(2):  # twice: nothing is duplicated
        result = runner.invoke(args=["core", "seed-demo"])
        assert result.exit_code == 0, result.output
    desk_rows = db.session.scalar(select(func.count(SettingValue.id)).where(
        SettingValue.key == DESK_SETTING, SettingValue.unit_id.is_not(None)))
    assert desk_rows == len(DEMO_DOSSIER_INPUTS)
    assert db.session.scalar(select(func.count(ImprovementTask.id))) >= 90
    analyst = db.session.execute(select(User).where(User.username == "phantich.snv")).scalar_one()
    graded = []
    for quarter in (1, 2, 3, 4):
        report = build_dossier_ratings(analyst, RatingQuery(None, 2026, quarter))
        graded += [row.values["grade"] for row in report.rows if row.values["grade"]]
    # Every demo agency has both unit-level inputs, so some quarters grade in full.
    assert graded, "no unit got a grade from the demo data"
