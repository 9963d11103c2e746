"""Everything the reports package adds to the app, in one list (core.capabilities): its pages,
its API, its office menu, its periodic job, its CLI and its demo data."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from core.access import Permission
from core.capabilities import Contribution
from core.jobs import PeriodicJob
from core.menu import MenuGroup, MenuItem
from reports.api import sipas as sipas_api
from reports.cli import reports_cli
from reports.demo import load_reports_demo
from reports.integrity import integrity_recent_job
from reports.scheduled import produce_period_reports_job
from reports.views import (
    dashboard,
    dossier_ratings,
    exports,
    household,
    integrity,
    league,
    plan_catalogue,
    plans,
    public,
    public_league,
    reliability,
    report_runs,
    sample_bias,
    survey_report,
)

CONTRIBUTION = Contribution(
    package="reports",
    blueprints=(dashboard.bp, dossier_ratings.bp, exports.bp, household.bp, integrity.bp,
                league.bp, plan_catalogue.bp, plans.bp, public.bp, public_league.bp,
                reliability.bp, report_runs.bp, sample_bias.bp, survey_report.bp),
    api_blueprints=(sipas_api.blp,),
    menu=(
        MenuItem("reports_dashboard.index", _l("SIPAS dashboard"), Permission.REPORTS_VIEW,
                 group=MenuGroup.REPORTS),
        MenuItem("reports_dossiers.index", _l("Dossier ratings"), Permission.REPORTS_VIEW,
                 group=MenuGroup.REPORTS),
        MenuItem("reports_household.index", _l("Household survey"), Permission.REPORTS_VIEW,
                 group=MenuGroup.REPORTS),
        MenuItem("reports_integrity.index", _l("Integrity flags"), Permission.REPORTS_VIEW,
                 group=MenuGroup.REPORTS),
        MenuItem("reports_league.index", _l("League tables"), Permission.REPORTS_VIEW,
                 group=MenuGroup.REPORTS),
        MenuItem("reports_plans.index", _l("Improvement plans"), Permission.REPORTS_VIEW,
                 group=MenuGroup.REPORTS),
        MenuItem("reports_reliability.index", _l("Questionnaire reliability"),
                 Permission.REPORTS_VIEW, group=MenuGroup.REPORTS),
        MenuItem("reports_runs.index", _l("Periodic reports"), Permission.REPORTS_VIEW,
                 group=MenuGroup.REPORTS),
        MenuItem("reports_sample_bias.index", _l("Bias of self-selected ratings"),
                 Permission.REPORTS_VIEW, group=MenuGroup.REPORTS),
    ),
    jobs=(PeriodicJob("reports.period", produce_period_reports_job, timedelta(hours=6)),
          PeriodicJob("reports.integrity", integrity_recent_job, timedelta(hours=1))),
    cli=reports_cli,
    demo_loader=load_reports_demo,
)
