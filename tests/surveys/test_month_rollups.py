"""The month rollup equals the daily rollup summed by month, and the watermark never skips a
response: refreshed on read when few are new, by the job otherwise, fully after a recount."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select

from core.clock import local, now
from core.extensions import db
from surveys import month_rollups
from surveys.frames import month_rollup_counts, rollup_frame
from surveys.models import Channel, RollupMonthCount
from surveys.month_rollups import (
    ensure_fresh_month_rollups,
    pending_responses,
    refresh_month_rollups,
)
from surveys.responses import SubmittedResponse, submit_response
from tests.surveys.survey_page_helpers import build_desk


@pytest.fixture
def desk(app, make_unit):
    return build_desk(make_unit)


def _submit(desk, answers, at, channel="online", reasons=()):
    submit_response(SubmittedResponse(version=desk.version, unit=desk.desk, channel=channel,
                                      answers=answers, submitted_at=at,
                                      quality_reasons=list(reasons)))


def _month_table() -> pd.DataFrame:
    frame = month_rollup_counts(group_by=["campaign_id", "unit_id", "month", "channel",
                                          "quality"])
    keys = ["unit_id", "month", "channel", "quality", "item_code", "value"]
    return frame.sort_values(keys).reset_index(drop=True)


def _days_summed_by_month() -> pd.DataFrame:
    days = rollup_frame()
    days["month"] = days.pop("day").dt.to_period("M").dt.to_timestamp().astype(
        "datetime64[ns]")
    keys = ["campaign_id", "unit_id", "month", "channel", "quality", "item_code", "value"]
    summed = days.groupby(keys, dropna=False)["count"].sum().reset_index()
    order = ["unit_id", "month", "channel", "quality", "item_code", "value"]
    return summed.sort_values(order).reset_index(drop=True)


def test_month_rows_are_the_daily_rows_summed(desk):
    # 16:59 UTC on 31 March is 23:59 in Vietnam (March); 17:00 UTC is 1 April locally.
    _submit(desk, {"q9_24": 5, "q9_25": 4}, datetime(2026, 3, 31, 16, 59, tzinfo=UTC))
    _submit(desk, {"q9_24": 5, "q9_25": 2}, datetime(2026, 3, 31, 17, 0, tzinfo=UTC))
    _submit(desk, {"q9_24": 5, "q9_25": 5}, datetime(2026, 3, 2, 3, 0, tzinfo=UTC),
            channel="paper")
    _submit(desk, {"q9_24": 1, "q9_25": 1}, datetime(2026, 4, 9, 3, 0, tzinfo=UTC),
            reasons=["too_fast"])
    db.session.commit()
    result = refresh_month_rollups()
    db.session.commit()
    assert result.months == [date(2026, 3, 1), date(2026, 4, 1)]
    stored = _month_table()
    pd.testing.assert_frame_equal(stored[_days_summed_by_month().columns],
                                  _days_summed_by_month(), check_dtype=False)
    # Hand count: q9_24 = 5 in March online once (the 23:59 one), on paper once.
    march = stored[(stored["month"] == pd.Timestamp("2026-03-01"))
                   & (stored["item_code"] == "q9_24")]
    assert sorted(march["count"].tolist()) == [1, 1]
    # 3 responses × 2 items pass the checks (the flagged April one is left out).
    assert month_rollup_counts(group_by=[], include_flagged=False)["count"].sum() == 6


def test_the_watermark_moves_past_settled_responses_only(desk, monkeypatch):
    _submit(desk, {"q9_24": 5, "q9_25": 5}, datetime(2026, 1, 5, 3, 0, tzinfo=UTC))
    db.session.commit()
    refresh_month_rollups()
    db.session.commit()
    assert pending_responses() == 0
    # Submitted just now: not settled, so it stays above the watermark and is looked at again.
    _submit(desk, {"q9_24": 4, "q9_25": 4}, now())
    db.session.commit()
    first = refresh_month_rollups()
    db.session.commit()
    assert pending_responses() == 1
    assert first.months == [local(now()).date().replace(day=1)]
    later = now() + timedelta(seconds=month_rollups.SETTLE_SECONDS + 1)
    monkeypatch.setattr(month_rollups, "now", lambda: later)  # the clock moves on
    refresh_month_rollups()
    db.session.commit()
    assert pending_responses() == 0


def test_dashboards_fold_in_few_new_responses_on_read_but_not_many(desk):
    _submit(desk, {"q9_24": 5, "q9_25": 5}, datetime(2026, 2, 5, 3, 0, tzinfo=UTC))
    _submit(desk, {"q9_24": 3, "q9_25": 3}, datetime(2026, 2, 6, 3, 0, tzinfo=UTC))
    db.session.commit()
    assert ensure_fresh_month_rollups(limit=1) is False
    assert db.session.scalar(select(func.count()).select_from(RollupMonthCount)) == 0
    assert ensure_fresh_month_rollups(limit=10) is True
    assert month_rollup_counts(group_by=[])["count"].sum() == 4


def test_full_refresh_rebuilds_after_a_recount(desk, app):
    _submit(desk, {"q9_24": 5, "q9_25": 5}, datetime(2026, 5, 5, 3, 0, tzinfo=UTC))
    db.session.commit()
    refresh_month_rollups()
    db.session.execute(RollupMonthCount.__table__.update().values(count=99))  # corrupted
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["surveys", "recount-rollups"])
    assert result.exit_code == 0, result.output
    assert "month rollup rebuilt: 1 months" in result.output
    assert month_rollup_counts(group_by=[])["count"].tolist() == [1, 1]


@pytest.mark.parametrize(("include_flagged", "campaign"),
                         [(False, None), (True, None), (False, "none")])
def test_the_summary_gives_the_same_sums_as_the_month_table(desk, include_flagged, campaign):
    _submit(desk, {"q9_24": 5, "q9_25": 4}, datetime(2026, 3, 3, 3, 0, tzinfo=UTC))
    _submit(desk, {"q9_24": 5, "q9_25": 4}, datetime(2026, 3, 4, 3, 0, tzinfo=UTC),
            channel="paper")
    _submit(desk, {"q9_24": 1, "q9_25": 1}, datetime(2026, 4, 4, 3, 0, tzinfo=UTC),
            reasons=["too_fast"])
    db.session.commit()
    refresh_month_rollups()
    db.session.commit()
    every_channel = [channel.value for channel in Channel]
    keys = ["unit_id", "month", "item_code", "value"]
    # A channel filter naming every channel reads the full month table; none reads the summary.
    full = month_rollup_counts(group_by=["unit_id", "month"], channels=every_channel,
                               include_flagged=include_flagged, campaign=campaign)
    summary = month_rollup_counts(group_by=["unit_id", "month"],
                                  include_flagged=include_flagged, campaign=campaign)
    pd.testing.assert_frame_equal(summary.sort_values(keys).reset_index(drop=True),
                                  full.sort_values(keys).reset_index(drop=True))
    # Hand count: q9_24 = 5 twice in March (online and paper); the April 1s are flagged.
    march = summary[(summary["item_code"] == "q9_24") & (summary["value"] == 5)]
    assert march["count"].tolist() == [2]
    assert bool((summary["value"] == 1).any()) == include_flagged


def test_month_response_counts_match_the_raw_responses(desk, make_unit):
    from surveys.frames import month_response_counts
    from surveys.models import Response

    at = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
    _submit(desk, {"q9_24": 5, "q9_25": 4}, at)
    _submit(desk, {"q9_24": 3, "q9_25": 4, "overall": 4}, at)   # one optional item more
    _submit(desk, {"q9_24": 2, "q9_25": 2}, at, channel="paper")
    _submit(desk, {"q9_24": 1, "q9_25": 1}, at, reasons=["too_fast"])
    _submit(desk, {"q9_24": 4, "q9_25": 4}, datetime(2026, 4, 2, 3, 0, tzinfo=UTC))
    db.session.commit()
    refresh_month_rollups()
    db.session.commit()
    # Second method: the raw responses counted per unit, channel and quality.
    raw = db.session.execute(
        select(Response.unit_id, Response.channel, Response.quality, func.count())
        .where(Response.submitted_at < datetime(2026, 3, 31, 17, 0, tzinfo=UTC))
        .group_by(Response.unit_id, Response.channel, Response.quality)).all()
    march = month_response_counts(since=date(2026, 3, 1), until=date(2026, 3, 1))
    assert sorted(map(tuple, march.itertuples(index=False))) == sorted(map(tuple, raw))
    # By hand: March online has 2 checked responses and 1 flagged one, paper 1.
    assert march.set_index(["channel", "quality"])["responses"].to_dict() == {
        ("online", "ok"): 2, ("online", "flagged"): 1, ("paper", "ok"): 1}
    both = month_response_counts(channels=["online"], unit_groups={desk.desk.id: desk.agency.id})
    assert both["unit_id"].tolist() == [desk.agency.id, desk.agency.id]
    assert both.set_index("quality")["responses"].to_dict() == {"ok": 3, "flagged": 1}
    # A full rebuild gives the same rows.
    refresh_month_rollups(full=True)
    db.session.commit()
    assert month_response_counts(since=date(2026, 3, 1), until=date(2026, 3, 1)).equals(march)
