"""submit_response and the rollup: service-level validation, campaigns, quality flags, the
upsert, and the recount from raw rows."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta

import pytest

from core.clock import today
from core.exceptions import ServiceError
from core.extensions import db
from surveys.models import (
    NO_CAMPAIGN,
    Campaign,
    CampaignUnit,
    Response,
    ResponseDemographics,
    ResponseText,
    RollupCount,
)
from surveys.responses import (
    SubmittedResponse,
    recount_rollups,
    rollup_differences,
    rollup_matches_raw,
    submit_response,
)
from tests.surveys.survey_page_helpers import (
    TEXT_LIMIT,
    build_desk,
    build_version,
    stored_counts,
)


@pytest.fixture
def desk(app, make_unit):
    return build_desk(make_unit)


def submitted(desk, channel="desk_qr", point=True, **fields) -> SubmittedResponse:
    fields.setdefault("answers", {"q9_24": 4, "q9_25": 5})
    return SubmittedResponse(version=desk.version, unit=desk.desk, channel=channel,
                             point=desk.point if point else None, **fields)


def add_campaign(desk, unit=None, channels=("desk_qr",), starts=-1, ends=1, code="SIPAS-26-1"):
    campaign = Campaign(code=code, name_vi="SIPAS 2026 – đợt 1", owner_unit_id=desk.agency.id,
                        version_id=desk.version.id, starts_on=today() + timedelta(days=starts),
                        ends_on=today() + timedelta(days=ends), channels=list(channels))
    campaign.units.append(CampaignUnit(unit_id=(unit or desk.agency).id, quota=100))
    db.session.add(campaign)
    db.session.flush()
    return campaign


def rollup() -> dict[tuple, int]:
    return {(r.campaign_key, r.item_code, r.channel, r.quality, r.value): r.count
            for r in db.session.scalars(db.select(RollupCount))}


def test_response_texts_demographics_and_rollups_in_one_go(desk):
    stored = submit_response(submitted(
        desk, answers={"q9_24": 1, "q9_25": 2, "q2": [3, 1], "q8_1": 1},
        texts={"comment": "Chờ lâu"}, demographics={"a_age": 2}))
    db.session.commit()
    assert stored.answers == {"q9_24": 1, "q9_25": 2, "q2": [1, 3], "q8_1": 1}
    assert db.session.get(ResponseDemographics, stored.id).answers == {"a_age": 2}
    assert stored_counts() == (1, 1, 1, 3)  # the list is not counted
    assert rollup() == {(NO_CAMPAIGN, "q9_24", "desk_qr", "ok", 1): 1,
                        (NO_CAMPAIGN, "q9_25", "desk_qr", "ok", 2): 1,
                        (NO_CAMPAIGN, "q8_1", "desk_qr", "ok", 1): 1}


def test_no_demographics_row_when_none_given(desk):
    submit_response(submitted(desk))
    assert stored_counts() == (1, 0, 0, 2)


def test_same_answer_twice_counts_two_in_one_row(desk):
    submit_response(submitted(desk))
    submit_response(submitted(desk, answers={"q9_24": 4, "q9_25": 3}))
    db.session.commit()
    counts = rollup()
    assert counts[(NO_CAMPAIGN, "q9_24", "desk_qr", "ok", 4)] == 2
    assert counts[(NO_CAMPAIGN, "q9_25", "desk_qr", "ok", 5)] == 1
    assert counts[(NO_CAMPAIGN, "q9_25", "desk_qr", "ok", 3)] == 1


def test_rollup_day_is_the_local_date(desk):
    # 18:30 UTC on 1 June is 01:30 on 2 June in Vietnam (UTC+7).
    late = datetime(2026, 6, 1, 18, 30, tzinfo=UTC)
    submit_response(submitted(desk, channel="paper", point=False, submitted_at=late))
    days = set(db.session.scalars(db.select(RollupCount.day)))
    assert days == {date(2026, 6, 2)}


@pytest.mark.parametrize(("fields", "field"), [
    ({"answers": {"q9_24": 6, "q9_25": 5}}, "q9_24"),
    ({"answers": {"q9_24": "4", "q9_25": 5}}, "q9_24"),
    ({"answers": {"q9_24": True, "q9_25": 5}}, "q9_24"),
    ({"answers": {"q9_24": 4.0, "q9_25": 5}}, "q9_24"),
    ({"answers": {"q9_24": 4}}, "q9_25"),  # required
    ({"answers": {"q9_24": 4, "q9_25": 5, "q9_99": 3}}, "q9_99"),  # unknown
    ({"texts": {"q9_24": "rất tốt"}}, "q9_24"),  # repeated key (and in the wrong place)
    ({"answers": {"q9_24": 4, "q9_25": 5, "comment": "x"}}, "comment"),  # text among ratings
    ({"answers": {"q9_24": 4, "q9_25": 5, "a_age": 1}}, "a_age"),  # demographic among answers
    ({"answers": {"q9_24": 4, "q9_25": 5, "q2": [1, 1]}}, "q2"),
    ({"answers": {"q9_24": 4, "q9_25": 5, "q2": [1, 9]}}, "q2"),
    ({"answers": {"q9_24": 4, "q9_25": 5, "q2": 1}}, "q2"),
    ({"texts": {"comment": "x" * (TEXT_LIMIT + 1)}}, "comment"),
    ({"texts": {"comment": "a\x00b"}}, "comment"),
    ({"texts": {"comment": 5}}, "comment"),
    ({"demographics": {"a_age": 7}}, "a_age"),
])
def test_bad_answers_are_refused_with_400_and_nothing_stored(desk, fields, field):
    with pytest.raises(ServiceError) as refused:
        submit_response(submitted(desk, **fields))
    assert (refused.value.status, refused.value.field) == (400, field)
    assert stored_counts() == (0, 0, 0, 0)


def test_text_at_the_limit_is_accepted_after_nfc(desk):
    # 50 precomposed characters; NFD makes them 150 code points, NFC brings them back to 50.
    text = "ệ" * TEXT_LIMIT
    decomposed = unicodedata.normalize("NFD", text)
    assert len(decomposed) == 3 * TEXT_LIMIT
    stored = submit_response(submitted(desk, texts={"comment": decomposed}))
    assert db.session.get(ResponseText, (stored.id, "comment")).text == text


def test_retired_version_with_a_successor_still_refuses_the_old_version(desk):
    # The service stores what it is given: the page moves to the successor, not the service.
    desk.version.status = "retired"
    build_version(instrument=desk.version.instrument, number=2)
    with pytest.raises(ServiceError) as refused:
        submit_response(submitted(desk))
    assert refused.value.status == 410


@pytest.mark.parametrize(("change", "status"), [
    ("retired", 410), ("draft", 409), ("unit", 410), ("point", 410), ("rotated", 410)])
def test_closed_targets_are_refused(desk, change, status):
    if change in ("retired", "draft"):
        desk.version.status = change
    elif change == "unit":
        desk.desk.active = False
    elif change == "point":
        desk.point.active = False
    else:
        desk.point.retired_at = datetime.now(UTC)
    with pytest.raises(ServiceError) as refused:
        submit_response(submitted(desk))
    assert refused.value.status == status
    assert stored_counts() == (0, 0, 0, 0)


def test_unknown_channel_is_refused(desk):
    with pytest.raises(ServiceError) as refused:
        submit_response(submitted(desk, channel="fax"))
    assert refused.value.status == 400


def test_open_campaign_of_an_ancestor_is_attached(desk):
    campaign = add_campaign(desk)
    stored = submit_response(submitted(desk))
    assert stored.campaign_id == campaign.id
    assert {key[0] for key in rollup()} == {campaign.id}


@pytest.mark.parametrize("kind", ["channel", "future", "ended", "closed", "other_unit"])
def test_campaign_not_open_for_this_response_leaves_it_continuous(desk, make_unit, kind):
    other = make_unit("KHAC")
    campaign = add_campaign(
        desk, channels=("kiosk",) if kind == "channel" else ("desk_qr",),
        starts=1 if kind == "future" else -5, ends=-1 if kind == "ended" else 3,
        unit=other if kind == "other_unit" else None)
    if kind == "closed":
        campaign.closed_at = datetime.now(UTC)
    stored = submit_response(submitted(desk))
    assert stored.campaign_id is None
    assert {key[0] for key in rollup()} == {NO_CAMPAIGN}


def test_campaign_without_channel_list_takes_every_channel(desk):
    campaign = add_campaign(desk, channels=())
    assert submit_response(submitted(desk, channel="online", point=False)).campaign_id == \
        campaign.id


def test_explicit_closed_campaign_is_409(desk):
    campaign = add_campaign(desk, starts=-10, ends=-2)
    with pytest.raises(ServiceError) as refused:
        submit_response(submitted(desk, campaign=campaign))
    assert refused.value.status == 409
    assert stored_counts() == (0, 0, 0, 0)


@pytest.mark.parametrize("app_config", [{"SURVEY_BURST_PER_MINUTE": 3}])
def test_burst_from_one_point_is_flagged_not_dropped(desk):
    results = [submit_response(submitted(desk)) for _ in range(4)]
    assert [r.quality for r in results] == ["ok", "ok", "ok", "flagged"]
    assert results[3].quality_reasons == ["burst"]
    # Paper entry has no point: never a burst.
    assert submit_response(submitted(desk, channel="paper", point=False)).quality == "ok"
    assert db.session.scalar(db.select(db.func.count(Response.id))) == 5


def test_given_flags_make_the_response_flagged(desk):
    stored = submit_response(submitted(desk, quality_reasons=["honeypot", "honeypot"]))
    assert (stored.quality, stored.quality_reasons) == ("flagged", ["honeypot"])
    assert {key[3] for key in rollup()} == {"flagged"}


def test_rollup_equals_recount_after_a_mix_of_channels(desk):
    campaign = add_campaign(desk, channels=("kiosk", "online"))
    mix = [("desk_qr", True, {"q9_24": 5, "q9_25": 4}, []),
           ("kiosk", True, {"q9_24": 1, "q9_25": 4, "overall": 2}, []),
           ("online", False, {"q9_24": 5, "q9_25": 4, "q8_1": 2}, []),
           ("kiosk", True, {"q9_24": 5, "q9_25": 3, "q2": [2]}, ["too_fast"]),
           ("desk_qr", True, {"q9_24": 5, "q9_25": 4}, ["honeypot"])]
    for channel, at_point, answers, reasons in mix:
        submit_response(submitted(desk, channel=channel, point=at_point, answers=answers,
                                  quality_reasons=reasons))
    db.session.commit()
    assert rollup_matches_raw()
    counts = rollup()
    # desk_qr is not one of the campaign's channels: continuous (key 0).
    assert counts[(NO_CAMPAIGN, "q9_24", "desk_qr", "ok", 5)] == 1
    assert counts[(NO_CAMPAIGN, "q9_24", "desk_qr", "flagged", 5)] == 1
    assert counts[(campaign.id, "q9_25", "kiosk", "ok", 4)] == 1
    assert sum(counts.values()) == 2 + 3 + 3 + 2 + 2
    before = counts

    # Damage the rollup: the check names the difference, the recount repairs it.
    row = db.session.scalars(db.select(RollupCount).where(
        RollupCount.channel == "online", RollupCount.item_code == "q8_1")).one()
    row.count = 7
    db.session.commit()
    differences = rollup_differences()
    assert [(d.key[2], d.stored, d.recounted) for d in differences] == [("q8_1", 7, 1)]
    assert recount_rollups() == len(before)
    db.session.commit()
    assert rollup_matches_raw() and rollup() == before


def test_rollup_commands_find_and_repair_a_damaged_rollup(app, desk):
    submit_response(submitted(desk, answers={"q9_24": 5, "q9_25": 4}))
    db.session.commit()
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["surveys", "check-rollups"])
    assert ok.exit_code == 0, ok.output
    assert "match" in ok.output

    row = db.session.scalars(db.select(RollupCount).where(
        RollupCount.item_code == "q9_24")).one()
    row.count = 3
    db.session.commit()
    damaged = runner.invoke(args=["surveys", "check-rollups"])
    assert damaged.exit_code == 1
    assert "1 rollup keys differ" in damaged.output

    repaired = runner.invoke(args=["surveys", "recount-rollups"])
    assert repaired.exit_code == 0, repaired.output
    db.session.expire_all()
    assert rollup_matches_raw()
    assert db.session.scalars(db.select(RollupCount.count).where(
        RollupCount.item_code == "q9_24")).one() == 1
