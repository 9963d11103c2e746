"""Survey campaigns: validation, attaching responses, closing, the progress table and its
pages (list, form, progress, CSV) with their access rules."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from core.clock import now, today
from core.exceptions import ServiceError
from core.extensions import db
from core.models import AuditEntry, Role
from surveys.campaigns import (
    CampaignData,
    campaign_progress,
    close_campaign,
    create_campaign,
    open_campaigns_for,
    progress_totals,
    update_campaign,
)
from surveys.models import Campaign, CampaignUnit
from surveys.responses import SubmittedResponse, submit_response
from tests.surveys.survey_page_helpers import build_desk, build_version

BASE = "/quan-tri/dot-khao-sat"


@pytest.fixture
def tree(app, make_unit):
    """UBND phường (agency) with desks Q1 and Q2; another ward outside; an analyst of the
    first ward."""
    desk = build_desk(make_unit)
    desk2 = make_unit("UBND-PHUONG-1-Q2", parent=desk.agency, kind="desk",
                      name_vi="=Quầy số 2")  # a formula-looking name, for the CSV export
    other = make_unit("UBND-PHUONG-2", kind="commune", name_vi="UBND phường Đa Kao")
    return {"desk": desk, "agency": desk.agency, "q1": desk.desk, "q2": desk2,
            "other": other, "version": desk.version}


@pytest.fixture
def analyst(tree, make_user):
    return make_user(Role.ANALYST, tree["agency"])


def data(tree, **fields) -> CampaignData:
    values = dict(code="SIPAS-2026-1", name_vi="SIPAS 2026 – đợt 1, tháng 6",
                  owner_unit_id=tree["agency"].id, version_id=tree["version"].id,
                  starts_on=today() - timedelta(days=1), ends_on=today() + timedelta(days=30),
                  channels=["desk_qr", "paper"], quotas={tree["q1"].id: 10, tree["q2"].id: 4})
    values.update(fields)
    return CampaignData(**values)


def respond(tree, unit, channel, **fields):
    fields.setdefault("answers", {"q9_24": 4, "q9_25": 5})
    return submit_response(SubmittedResponse(version=tree["version"], unit=unit,
                                             channel=channel, **fields))


def campaign_count() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Campaign))


def test_create_stores_units_quotas_channels_and_an_audit_entry(tree, analyst):
    campaign = create_campaign(data(tree, channels=["paper", "desk_qr"]), analyst)
    db.session.commit()
    assert {(row.unit_id, row.quota) for row in campaign.units} == {
        (tree["q1"].id, 10), (tree["q2"].id, 4)}
    assert campaign.channels == ["desk_qr", "paper"]  # kept in the Channel order
    entry = db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action == "survey_campaign.created"))
    assert entry.object_id == str(campaign.id)
    assert entry.after["quotas"] == {str(tree["q1"].id): 10, str(tree["q2"].id): 4}


@pytest.mark.parametrize(("case", "field"), [
    ("end_before_start", "ends_on"),
    ("unit_outside_scope", "units.other"),
    ("quota_negative", "units.q1"),
    ("channel_unknown", "channels"),
    ("draft_version", "version_id"),
    ("unit_inside_another", "units.q1"),
    ("no_units", "units"),
    ("bad_code", "code"),
])
def test_create_refuses_bad_input_with_400_naming_the_field(tree, analyst, case, field):
    fields = {
        "end_before_start": {"ends_on": today() - timedelta(days=2)},
        "unit_outside_scope": {"quotas": {tree["q1"].id: 1, tree["other"].id: 3}},
        "quota_negative": {"quotas": {tree["q1"].id: -1}},
        "channel_unknown": {"channels": ["desk_qr", "carrier_pigeon"]},
        "draft_version": {"version_id": build_version("draft-form", status="draft").id},
        # The agency covers Q1 already: listing both would count Q1's responses twice.
        "unit_inside_another": {"quotas": {tree["agency"].id: 5, tree["q1"].id: 1}},
        "no_units": {"quotas": {}},
        "bad_code": {"code": "đợt 1; DROP"},
    }[case]
    with pytest.raises(ServiceError) as refused:
        create_campaign(data(tree, **fields), analyst)
    db.session.rollback()
    expected = f"units.{tree[field[6:]].id}" if field.startswith("units.") else field
    assert (refused.value.status, refused.value.field) == (400, expected)
    assert campaign_count() == 0


def test_duplicate_code_is_a_conflict(tree, analyst):
    create_campaign(data(tree), analyst)
    with pytest.raises(ServiceError) as refused:
        create_campaign(data(tree, quotas={tree["q2"].id: 1}), analyst)
    assert (refused.value.status, refused.value.field) == (409, "code")


def test_progress_equals_a_hand_count_over_two_units_and_two_channels(tree, analyst):
    campaign = create_campaign(data(tree), analyst)
    q1, q2 = tree["q1"], tree["q2"]
    for unit, channel in [(q1, "desk_qr"), (q1, "desk_qr"), (q1, "paper"), (q2, "desk_qr")]:
        respond(tree, unit, channel)
    respond(tree, q2, "paper", quality="flagged")  # counted apart, not in the total
    respond(tree, q2, "kiosk")  # kiosk is not open in this campaign: continuous rating
    db.session.commit()
    rows = {row.unit.code: row for row in campaign_progress(campaign)}
    # Hand count: Q1 has 2 desk QR + 1 paper of quota 10 (30 %); Q2 has 1 desk QR of 4
    # (25 %) and 1 flagged paper form.
    assert (rows[q1.code].by_channel, rows[q1.code].total, rows[q1.code].percent) == (
        {"desk_qr": 2, "paper": 1}, 3, 30)
    assert (rows[q2.code].by_channel, rows[q2.code].total, rows[q2.code].flagged,
            rows[q2.code].percent) == ({"desk_qr": 1}, 1, 1, 25)
    totals = progress_totals(list(rows.values()))
    assert (totals.quota, totals.total, totals.flagged, totals.percent) == (14, 4, 1, 28)


def test_responses_outside_the_period_are_not_attached(tree, analyst):
    campaign = create_campaign(data(tree, starts_on=today() + timedelta(days=1)), analyst)
    before = respond(tree, tree["q1"], "desk_qr")
    backdated = respond(tree, tree["q1"], "paper", submitted_at=now() - timedelta(days=3))
    assert (before.campaign_id, backdated.campaign_id) == (None, None)
    assert campaign_progress(campaign)[0].total == 0


def test_closing_stops_attaching_and_refuses_later_changes(tree, analyst):
    campaign = create_campaign(data(tree), analyst)
    first = respond(tree, tree["q1"], "desk_qr")
    assert open_campaigns_for(tree["q1"], today()) == [campaign]
    close_campaign(campaign, analyst, "quota reached")
    second = respond(tree, tree["q1"], "desk_qr")
    assert (first.campaign_id, second.campaign_id) == (campaign.id, None)
    assert open_campaigns_for(tree["q1"], today()) == []
    with pytest.raises(ServiceError) as refused:
        update_campaign(campaign, data(tree, name_vi="Đổi tên"), analyst)
    assert refused.value.status == 409
    with pytest.raises(ServiceError):
        close_campaign(campaign, analyst)


def test_update_changes_quotas_but_not_the_version_once_responses_exist(tree, analyst):
    campaign = create_campaign(data(tree), analyst)
    other_version = build_version("other-form")
    update_campaign(campaign, data(tree, version_id=other_version.id), analyst)  # no responses
    update_campaign(campaign, data(tree), analyst)
    respond(tree, tree["q1"], "desk_qr")
    updated = update_campaign(campaign, data(tree, quotas={tree["q1"].id: 50}), analyst)
    assert [(row.unit_id, row.quota) for row in updated.units] == [(tree["q1"].id, 50)]
    with pytest.raises(ServiceError) as refused:
        update_campaign(campaign, data(tree, version_id=other_version.id), analyst)
    assert (refused.value.status, refused.value.field) == (409, "version_id")


def test_open_campaigns_cover_the_subtree_only(tree, analyst):
    campaign = create_campaign(data(tree, quotas={tree["agency"].id: 20}), analyst)
    assert open_campaigns_for(tree["q2"], today()) == [campaign]
    assert open_campaigns_for(tree["other"], today()) == []
    assert open_campaigns_for(tree["q2"], today() + timedelta(days=31)) == []


# --- pages ---------------------------------------------------------------------------------

def form_data(tree, **fields) -> dict:
    values = {"code": "SIPAS-2026-1", "name_vi": "SIPAS 2026 – đợt 1",
              "owner_unit_id": tree["agency"].id, "version_id": tree["version"].id,
              "starts_on": today().isoformat(),
              "ends_on": (today() + timedelta(days=30)).isoformat(),
              "channels": ["desk_qr", "paper"], f"unit-{tree['q1'].id}": "1",
              f"quota-{tree['q1'].id}": "12"}
    values.update(fields)
    return values


def test_form_creates_a_campaign_and_lists_it(client, login, tree, analyst):
    login(client, analyst)
    page = client.get(f"{BASE}/moi")
    assert page.status_code == 200 and "=Quầy số 2" in page.get_data(as_text=True)
    saved = client.post(f"{BASE}/moi", data=form_data(tree))
    assert saved.status_code == 302
    campaign = db.session.scalar(db.select(Campaign))
    assert db.session.get(CampaignUnit, (campaign.id, tree["q1"].id)).quota == 12
    listing = client.get(f"{BASE}/").get_data(as_text=True)
    assert "SIPAS 2026 – đợt 1" in listing and "0 / 12" in listing
    assert 'href="/quan-tri/dot-khao-sat/" aria-current="page">Survey campaigns</a>' in listing


@pytest.mark.parametrize(("fields", "message"), [
    ({"ends_on": (today() - timedelta(days=1)).isoformat()},
     "The last day cannot be before the first day."),
    ({"quota-{q1}": "-5"}, "must be a whole number from 0"),
    ({"quota-{q1}": "mười"}, "Type the quota as a whole number."),
    ({"unit-{other}": "1"}, "is not under"),
    ({"channels": ["fax"]}, "Unknown channel: fax."),
])
def test_form_refusals_are_400_with_the_message_and_nothing_saved(client, login, tree, analyst,
                                                                   fields, message):
    login(client, analyst)
    ids = {"q1": tree["q1"].id, "other": tree["other"].id}
    posted = form_data(tree, **{key.format(**ids): value for key, value in fields.items()})
    answer = client.post(f"{BASE}/moi", data=posted)
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)
    assert campaign_count() == 0


def test_progress_page_and_csv_export(client, login, tree, analyst):
    campaign = create_campaign(data(tree), analyst)
    respond(tree, tree["q2"], "paper")
    db.session.commit()
    login(client, analyst)
    page = client.get(f"{BASE}/{campaign.id}").get_data(as_text=True)
    assert '<meter min="0" max="100"' in page and 'value="25"' in page  # 1 of 4 at Q2
    assert "style=" not in page  # the CSP forbids inline styles
    export = client.get(f"{BASE}/{campaign.id}/tien-do.csv")
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Unit code", "Unit", "Quota"]
    q2 = next(row for row in rows if row[0] == tree["q2"].code)
    # Quota 4, desk QR 0, paper 1, total 1, 25 %, no flagged; the name is neutralised.
    assert q2 == [tree["q2"].code, "'=Quầy số 2", "4", "0", "1", "1", "25", "0"]


def test_closing_from_the_page_then_editing_is_refused(client, login, tree, analyst):
    campaign = create_campaign(data(tree), analyst)
    db.session.commit()
    login(client, analyst)
    assert client.post(f"{BASE}/{campaign.id}/dong").status_code == 303
    assert db.session.get(Campaign, campaign.id).closed_at is not None
    assert client.post(f"{BASE}/{campaign.id}/sua", data=form_data(tree)).status_code == 409


def test_another_units_campaign_is_404_and_logged(client, login, tree, analyst, make_user):
    campaign = create_campaign(data(tree), analyst)
    db.session.commit()
    stranger = make_user(Role.ANALYST, tree["other"])
    login(client, stranger)
    assert client.get(f"{BASE}/{campaign.id}").status_code == 404
    assert client.get(f"{BASE}/{campaign.id}/tien-do.csv").status_code == 404
    assert client.get(f"{BASE}/").get_data(as_text=True).count("SIPAS-2026-1") == 0
    denied = db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action == "access.denied",
        AuditEntry.object_type == "survey_campaign")).all()
    assert [entry.object_id for entry in denied] == [str(campaign.id)] * 2


def test_desk_staff_cannot_manage_campaigns(client, login, tree, make_user):
    login(client, make_user(Role.DESK_STAFF, tree["q1"]))
    assert client.get(f"{BASE}/").status_code == 403
