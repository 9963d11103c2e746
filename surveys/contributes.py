"""Everything the surveys package adds to the app, in one list (core.capabilities): its pages,
its API, its office menu, its periodic jobs, its CLI and its demo data."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from core.access import Permission
from core.capabilities import Contribution
from core.jobs import PeriodicJob
from core.menu import MenuGroup, MenuItem
from surveys.api import dossiers as dossiers_api
from surveys.cli import surveys_cli
from surveys.demo import load_survey_demo
from surveys.month_rollups import rebuild_month_rollups_job, refresh_month_rollups_job
from surveys.views import (  # instrument_editor, instrument_xlsform add routes to instruments.bp
    campaigns,
    dossiers,
    followup,
    instrument_editor,  # noqa: F401
    instrument_xlsform,  # noqa: F401
    instruments,
    online,
    paper,
    points,
    public,
    rate,
    response_import,
    samples,
)

CONTRIBUTION = Contribution(
    package="surveys",
    blueprints=(campaigns.bp, dossiers.bp, followup.bp, instruments.bp, online.bp, paper.bp,
                points.bp, public.bp, rate.bp, response_import.bp, samples.bp),
    api_blueprints=(dossiers_api.blp,),
    menu=(
        MenuItem("surveys_campaigns.index", _l("Survey campaigns"), Permission.SURVEYS_MANAGE,
                 group=MenuGroup.SURVEYS),
        MenuItem("surveys_dossiers.index", _l("Dossiers"), Permission.DOSSIERS_WRITE,
                 group=MenuGroup.SURVEYS),
        MenuItem("surveys_admin.instruments", _l("Questionnaires"), Permission.SURVEYS_MANAGE,
                 group=MenuGroup.SURVEYS),
        MenuItem("surveys_paper.index", _l("Type in paper forms"), Permission.SURVEYS_ENTER,
                 group=MenuGroup.SURVEYS),
        MenuItem("surveys_points.index", _l("QR codes and posters"), Permission.QR_PRINT,
                 group=MenuGroup.SURVEYS),
        MenuItem("surveys_import.upload", _l("Import survey files"), Permission.SURVEYS_MANAGE,
                 group=MenuGroup.SURVEYS),
        MenuItem("surveys_samples.index", _l("Random-sample invitations"),
                 Permission.SURVEYS_MANAGE, group=MenuGroup.SURVEYS),
    ),
    jobs=(
        PeriodicJob("surveys.month_rollups", refresh_month_rollups_job, timedelta(minutes=1)),
        PeriodicJob("surveys.month_rollups_rebuild", rebuild_month_rollups_job,
                    timedelta(hours=24)),
    ),
    cli=surveys_cli,
    demo_loader=load_survey_demo,
)
