"""Read helpers for the bias report (reports.sample_bias): the answers given through
random-sample invitations and the period's dossiers per stratum, as pandas frames."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select

from core.extensions import db
from surveys.models import Dossier, RatingToken, Response, SampleDraw, SampleInvitation
from surveys.responses import QUALITY_OK
from surveys.sampling import period_bounds, stratum_of

INVITED_COLUMNS = ["procedure", "channel", "in_period", "item_code", "value"]


def invited_answers(unit_ids: list[int], period: str) -> pd.DataFrame:
    """One row per answer of a response given through an invitation of a draw of
    ``unit_ids`` for ``period`` (quality "ok" only): the stratum it was drawn from and
    whether it was submitted within the period (then the rollups count it too, under the
    dossier QR channel). Only whole-number answers (ratings, choices)."""
    start, end = period_bounds(period)
    rows = db.session.execute(
        select(SampleInvitation.procedure, SampleInvitation.channel, Response.submitted_at,
               Response.answers)
        .join(RatingToken, RatingToken.id == SampleInvitation.token_id)
        .join(Response, Response.id == RatingToken.response_id)
        .join(SampleDraw, SampleDraw.id == SampleInvitation.draw_id)
        .where(SampleDraw.unit_id.in_(unit_ids), SampleDraw.period == period,
               Response.quality == QUALITY_OK))
    records = []
    for procedure, channel, submitted_at, answers in rows:
        inside = start <= submitted_at < end
        records.extend((procedure, channel, inside, code, value)
                       for code, value in (answers or {}).items()
                       if isinstance(value, int) and not isinstance(value, bool))
    frame = pd.DataFrame(records, columns=INVITED_COLUMNS)
    return frame.astype({"procedure": "string", "channel": "string", "in_period": "bool",
                         "item_code": "string", "value": "int64"})


def dossier_strata(unit_ids: list[int], period: str) -> pd.DataFrame:
    """The period's dossiers (all of them, consent or not) per procedure × channel, the
    population a sample is post-stratified to: ``[procedure, channel, dossiers]``."""
    start, end = period_bounds(period)
    rows = db.session.execute(
        select(Dossier.procedure_code, Dossier.procedure_name, Dossier.online, func.count())
        .where(Dossier.unit_id.in_(unit_ids), Dossier.received_at >= start,
               Dossier.received_at < end)
        .group_by(Dossier.procedure_code, Dossier.procedure_name, Dossier.online))
    counted: dict[tuple[str, str], int] = {}
    for code, name, online, count in rows:
        key = stratum_of(code, name, online)
        counted[key] = counted.get(key, 0) + int(count)
    frame = pd.DataFrame([(*key, count) for key, count in sorted(counted.items())],
                         columns=["procedure", "channel", "dossiers"])
    return frame.astype({"procedure": "string", "channel": "string", "dossiers": "int64"})
