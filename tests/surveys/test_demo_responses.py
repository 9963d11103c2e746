"""Demo survey responses (surveys.demo_responses): loaded once, the same every time, on every
channel, with contrast between units, a small campaign cell, dossiers and rollups that agree
with the raw rows."""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from collections import Counter
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from sqlalchemy import func, select

from core.clock import local
from core.demo import load_demo_accounts, load_demo_units
from core.extensions import db
from core.models import Unit, User
from core.settings import ensure_default_settings
from surveys.demo import load_survey_demo
from surveys.demo_responses import load_demo_responses
from surveys.demo_waves import CAMPAIGN_PREFIX, wave_year
from surveys.instruments import DESK_FORM_CODE, HOUSEHOLD_FORM_CODE, get_version
from surveys.models import (
    Campaign,
    Dossier,
    RatingToken,
    Response,
    ResponseDemographics,
    ResponseText,
    RollupCount,
)
from surveys.rollups import rollup_matches_raw

# A fixed "now" (noon in Vietnam): anchor month November 2026, nothing on or after 25/11.
AT = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)
CUTOFF = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # 25/11 00:00 in Vietnam (UTC+7)
TARGET = 85.0  # the seeds' SIPAS target per element
PART_II = {"II.A": (24, 25, 26), "II.B": (27, 28, 29, 30), "II.C": (31, 32, 33),
           "II.D": (34, 35, 36), "II.E": (37, 38, 39)}


def _organisation() -> None:
    """What core.demo and the survey demo load before the responses."""
    from surveys.instruments import load_shipped_instruments
    from surveys.points import ensure_demo_points

    load_demo_units()
    load_demo_accounts()
    ensure_default_settings()
    load_shipped_instruments()
    ensure_demo_points()
    db.session.commit()


@pytest.fixture
def demo(app) -> dict[str, int]:
    _organisation()
    counts = load_demo_responses(at=AT)
    db.session.commit()
    return counts


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _codes() -> dict[int, str]:
    return dict(db.session.execute(select(Unit.id, Unit.code)).all())


def _responses() -> pd.DataFrame:
    rows = db.session.execute(select(
        Response.id, Response.unit_id, Response.campaign_id, Response.version_id,
        Response.channel, Response.quality, Response.submitted_at, Response.answers,
        Response.point_id, Response.entered_by_id, Response.dossier_id)).all()
    frame = pd.DataFrame(rows, columns=["id", "unit_id", "campaign_id", "version_id",
                                        "channel", "quality", "submitted_at", "answers",
                                        "point_id", "entered_by_id", "dossier_id"])
    frame["unit"] = frame["unit_id"].map(_codes())
    return frame


def test_wave_year_puts_both_waves_before_the_anchor():
    # October's wave is over once November starts; before that, last year's waves are shown.
    assert wave_year(date(2026, 11, 1)) == 2026
    assert wave_year(date(2026, 12, 1)) == 2026
    assert wave_year(date(2026, 10, 1)) == 2025
    assert wave_year(date(2027, 3, 1)) == 2026


def test_survey_demo_loads_the_responses_once(app):
    _organisation()
    load_survey_demo()  # the hook `make run` calls (real clock)
    db.session.commit()
    tables = (Response, Dossier, Campaign, ResponseText, ResponseDemographics, RatingToken,
              RollupCount)
    first = {model.__name__: _count(model) for model in tables}
    assert first["Response"] > 6000 and first["Dossier"] > 0 and first["Campaign"] == 2

    load_survey_demo()
    assert load_demo_responses() == {"responses": 0, "dossiers": 0, "campaigns": 0}
    db.session.commit()
    assert {model.__name__: _count(model) for model in tables} == first
    assert rollup_matches_raw()


def _snapshot() -> list[tuple]:
    """Everything that makes the demo, by codes rather than ids (ids differ between runs on
    PostgreSQL, whose sequences do not roll back)."""
    codes = _codes()
    campaigns = dict(db.session.execute(select(Campaign.id, Campaign.code)).all())
    dossiers = dict(db.session.execute(select(Dossier.id, Dossier.code)).all())
    rows = db.session.execute(select(
        Response.unit_id, Response.channel, Response.submitted_at, Response.answers,
        Response.quality, Response.quality_reasons, Response.campaign_id,
        Response.dossier_id)).all()
    return sorted(((codes[r.unit_id], r.channel, r.submitted_at, sorted(r.answers.items()),
                    r.quality, r.quality_reasons, campaigns.get(r.campaign_id),
                    dossiers.get(r.dossier_id)) for r in rows), key=repr)


def test_the_demo_is_the_same_every_time(app):
    _organisation()
    first = load_demo_responses(at=AT)
    snapshot = _snapshot()
    db.session.rollback()
    assert _count(Response) == 0

    second = load_demo_responses(at=datetime(2026, 11, 25, 16, 0, tzinfo=UTC))  # 23:00 local
    assert second == first
    assert _snapshot() == snapshot


def test_volume_channels_flags_rollups_and_comments(demo):
    frame = _responses()
    assert 6000 <= len(frame) <= 9000 and demo["responses"] == len(frame)
    assert frame["submitted_at"].max() < CUTOFF

    channels = frame["channel"].value_counts()
    for channel in ("desk_qr", "kiosk", "online", "paper", "dossier_qr"):
        assert channels.get(channel, 0) > 0, channel
    assert channels.idxmax() == "desk_qr"
    # Paper forms typed in by the desk's staff account; nobody else enters anything.
    clerk = db.session.scalar(select(User.id).where(User.username == "motcua.tinh"))
    entered = frame[frame["entered_by_id"].notna()]
    assert len(entered) > 0 and set(entered["channel"]) == {"paper"}
    assert set(entered["entered_by_id"]) == {clerk}
    # Desk QR and kiosk answers come through a point; paper and online ones do not.
    assert frame.loc[frame["channel"].isin(["desk_qr", "kiosk"]), "point_id"].notna().all()
    assert frame.loc[frame["channel"].isin(["paper", "online"]), "point_id"].isna().all()

    # 2–3% flagged, most of them at one desk on two days (the burst).
    flagged = frame[frame["quality"] == "flagged"]
    assert 0.02 <= len(flagged) / len(frame) <= 0.03
    days = flagged["submitted_at"].map(lambda at: local(at).date())
    by_desk_day = Counter(zip(flagged["unit"], days, strict=True)).most_common(2)
    assert by_desk_day[0][0][0] == by_desk_day[1][0][0] == "LS-TTPVHCC-Q02"
    assert by_desk_day[0][1] + by_desk_day[1][1] > len(flagged) / 2
    reasons = db.session.scalars(select(Response.quality_reasons)
                                 .where(Response.quality == "flagged")).all()
    assert all(reasons) and {"too_fast", "burst"} <= {r for rs in reasons for r in rs}
    ok_reasons = db.session.scalars(select(Response.quality_reasons)
                                    .where(Response.quality == "ok")).all()
    assert not any(ok_reasons)

    # The rollups agree with a recount, and (independently) their total is the number of
    # whole-number answers in the raw rows.
    assert rollup_matches_raw()
    answers = sum(1 for given in frame["answers"] for value in given.values()
                  if isinstance(value, int) and not isinstance(value, bool))
    assert db.session.scalar(select(func.sum(RollupCount.count))) == answers
    if importlib.util.find_spec("surveys.month_rollups") is not None:
        from surveys.models import RollupMonthCount

        assert db.session.scalar(select(func.sum(RollupMonthCount.count))) == answers

    # A few generic comments in Vietnamese (composed, NFC, as the forms store text) and no
    # contact data: no e-mail address, no run of digits like a phone number.
    texts = db.session.scalars(select(ResponseText.text)).all()
    assert len(texts) > 100
    assert not any("@" in text or re.search(r"\d{3}", text) for text in texts)
    assert all(not text.isascii() and unicodedata.is_normalized("NFC", text) for text in texts)


def test_desk_units_contrast_around_the_target(demo):
    """Element index = mean over its items of 100 × (answers 4 or 5) / answers (DOMAIN.md
    §2.2), computed here by hand from the raw continuous desk answers of good quality."""
    desk = get_version(DESK_FORM_CODE)
    frame = _responses()
    frame = frame[frame["campaign_id"].isna() & (frame["quality"] == "ok")
                  & (frame["version_id"] == desk.id)]
    long = pd.DataFrame([(unit, code, value) for unit, given in zip(
        frame["unit"], frame["answers"], strict=True) for code, value in given.items()],
        columns=["unit", "item", "value"])
    element_of = {f"q9_{n}": element for element, numbers in PART_II.items() for n in numbers}
    long["element"] = long["item"].map(element_of)
    items = (long.dropna(subset=["element"]).groupby(["unit", "element", "item"])["value"]
             .apply(lambda values: 100 * (values >= 4).mean()))
    index = items.groupby(["unit", "element"]).mean().unstack()

    assert index.min().min() < TARGET < index.max().max()
    # Within one element, some units are below the target and others above it.
    assert any(index[e].min() < TARGET < index[e].max() for e in PART_II)
    # The commune's land desk is the weakest; the Vân Phong desk the strongest.
    assert (index.loc["LS-DINHLAP-Q02"] < TARGET).all()
    assert (index.loc["KH-KKTVP-MC"] > TARGET).all()
    # Every demo desk collected on the desk form for all 14 months (Oct 2025 … Nov 2026).
    months = frame["submitted_at"].map(lambda at: local(at).strftime("%Y-%m"))
    assert months.nunique() == 14 and months.min() == "2025-10"
    assert frame["point_id"].notna().groupby(frame["unit"]).any().sum() == 9


def test_sipas_waves_with_quotas_and_a_small_cell(demo):
    waves = list(db.session.scalars(select(Campaign).order_by(Campaign.starts_on)))
    assert [w.code for w in waves] == [f"{CAMPAIGN_PREFIX}2026-1", f"{CAMPAIGN_PREFIX}2026-2"]
    assert [w.name_vi for w in waves] == ["SIPAS 2026 – đợt 1", "SIPAS 2026 – đợt 2"]
    assert [(w.starts_on, w.ends_on) for w in waves] == [
        (date(2026, 6, 1), date(2026, 6, 30)), (date(2026, 10, 1), date(2026, 10, 31))]
    household = get_version(HOUSEHOLD_FORM_CODE)
    assert all(w.closed_at is not None and w.version_id == household.id for w in waves)
    quotas = {row.unit_id: row.quota for row in waves[0].units}
    assert len(quotas) >= 5 and all(q > 0 for q in quotas.values())

    frame = _responses()
    for wave in waves:
        answers = frame[frame["campaign_id"] == wave.id]
        assert set(answers["channel"]) == {"paper", "online"}
        days = answers["submitted_at"].map(lambda at: local(at).date())
        assert days.min() >= wave.starts_on and days.max() <= wave.ends_on
        assert set(answers["unit_id"]) == set(quotas)
        # All 39 Q9 items, Q1, Q5, Q6 and Q10 are asked; Part A is never in the answers.
        asked = {code for given in answers["answers"] for code in given}
        assert {f"q9_{n}" for n in range(1, 40)} | {"q5", "q6", "q1_1", "q10_10"} <= asked
        assert not any(code.startswith("a_") for code in asked)

    per_unit = frame[frame["campaign_id"] == waves[0].id]["unit"].value_counts()
    assert 0 < per_unit["LS-TT"] < 5  # under the minimum cell size: suppressed on reports
    assert (per_unit.drop("LS-TT") >= 5).all()
    # Part A is stored apart, for most household answers, and only there.
    demographics = db.session.scalars(select(ResponseDemographics.answers)).all()
    surveyed = frame["campaign_id"].notna().sum()
    assert 0.8 * surveyed <= len(demographics) <= surveyed
    assert all(set(d) <= {"a_sex", "a_ethnicity", "a_ethnicity_other", "a_age",
                          "a_education", "a_occupation"} for d in demographics)


def test_dossiers_and_their_ratings(demo):
    dossiers = list(db.session.scalars(select(Dossier)))
    assert len(dossiers) == demo["dossiers"] > 100
    pattern = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.H\d{2}-\d{6}-\d{4}$")
    assert all(pattern.match(d.code) for d in dossiers)
    # The code's date is the local day received.
    assert all(d.code.split("-")[1] == f"{local(d.received_at):%y%m%d}" for d in dossiers)

    returned = [d for d in dossiers if d.returned_at is not None]
    outcomes = Counter(
        "late" if local(d.returned_at).date() > local(d.legal_appointed_at).date()
        else "on_time" if local(d.returned_at).date() == local(d.legal_appointed_at).date()
        else "early" for d in returned)
    assert set(outcomes) == {"early", "on_time", "late"}
    assert {d.supplement_requests for d in dossiers} == {0, 1, 2}
    assert {d.online for d in dossiers} == {True, False}
    late = [d for d in returned if local(d.returned_at).date() > local(d.legal_appointed_at).date()]
    assert {d.apology_issued for d in late} == {True, False}  # some late ones apologised
    assert not any(d.apology_issued for d in dossiers if d not in late)
    assert all(d.received_at < d.legal_appointed_at for d in dossiers)
    assert all(d.received_at < d.returned_at for d in returned)
    # An apology letter (form 04) re-sets the date once, after the legal one, with its number.
    assert {d.reset_appointed_at is not None for d in late if d.apology_issued} == {True}
    assert all(d.reset_appointed_at > d.legal_appointed_at and d.apology_number
               for d in dossiers if d.reset_appointed_at is not None)

    # Each rating is of a returned dossier, by its handling unit, through one used token.
    rated = db.session.execute(
        select(Response.id, Response.unit_id, Response.submitted_at, Dossier.unit_id,
               Dossier.returned_at, RatingToken.response_id, RatingToken.used_at)
        .join(Dossier, Dossier.id == Response.dossier_id)
        .join(RatingToken, RatingToken.dossier_id == Dossier.id)
        .where(Response.channel == "dossier_qr")).all()
    assert len(rated) == _count(Response, Response.channel == "dossier_qr") > 0
    assert len(rated) == _count(RatingToken) == _count(Response, Response.dossier_id.is_not(None))
    for rid, unit_id, at, dossier_unit, returned_at, token_response, used_at in rated:
        assert unit_id == dossier_unit and token_response == rid and used_at == at
        assert returned_at < at

