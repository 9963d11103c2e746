"""Random-sample invitations: the frame, the recorded and reproducible draw, proportional
allocation, single-use invitations through the outbox, delivery and response tracking."""

from __future__ import annotations

import pytest

from core.crypto import decrypt_json
from core.exceptions import ServiceError
from core.extensions import db
from core.models import AuditEntry, OutboxMessage
from core.outbox import deliver_due
from surveys.dossiers import upsert_dossier
from surveys.models import Dossier, Response, SampleInvitation
from surveys.sampling import (
    draw_sample,
    draw_status,
    repeat_draw,
    sampling_frame,
    send_invitations,
)
from tests.surveys.dossier_helpers import dossier_data, publish_desk_form, valid_form
from tests.surveys.sample_helpers import build_sample_world, link_of


@pytest.fixture
def world(app, make_unit, make_user):
    return build_sample_world(make_unit, make_user)


def _drawn(draw) -> list[int]:
    return sorted(db.session.scalars(db.select(SampleInvitation.dossier_id)
                                     .where(SampleInvitation.draw_id == draw.id)))


def test_frame_is_the_periods_consenting_dossiers(world):
    frame = sampling_frame(world.office.agency, "2026-Q2")
    assert sorted(row.dossier_id for row in frame) == sorted(d.id for d in world.consenting)
    assert {(row.procedure, row.channel) for row in frame} == {
        ("1.000001", "in_person"), ("1.000002", "in_person"), ("1.000002", "online")}


def test_consent_keeps_the_phone_encrypted_and_withdrawal_deletes_it(world):
    dossier = world.consenting[0]
    assert b"0900000001" not in dossier.contact_enc
    assert decrypt_json(dossier.contact_enc) == {"phone": "84900000001"}
    # An update that does not mention consent (a file without those columns) keeps it.
    upsert_dossier(dossier_data(dossier.code, procedure_code="1.000001",
                                received_at=dossier.received_at), actor=world.office.clerk)
    assert dossier.contact_consent and dossier.contact_enc is not None
    upsert_dossier(dossier_data(dossier.code, procedure_code="1.000001",
                                received_at=dossier.received_at, contact_consent=False),
                   actor=world.office.clerk)
    assert not dossier.contact_consent and dossier.contact_enc is None


@pytest.mark.parametrize("fields, field", [
    ({"contact_consent": True}, "contact_phone"),
    ({"contact_consent": True, "contact_phone": "12345"}, "contact_phone"),
    ({"contact_consent": True, "contact_phone": "0912345678", "contact_channel": "fax"},
     "contact_channel"),
])
def test_bad_contact_data_is_refused(world, fields, field):
    with pytest.raises(ServiceError) as raised:
        upsert_dossier(dossier_data("HS-BAD", **fields), actor=world.office.clerk)
    assert raised.value.status == 400 and raised.value.field == field


def test_allocation_is_proportional_and_recorded(world):
    # 30 consenting dossiers in strata of 15, 10 and 5; n = 7: quotas 3.5, 2.333…, 1.1667
    # → whole parts 3, 2, 1 (6), the one left over goes to the largest fraction (0.5, the
    # first stratum): 4, 2, 1.
    draw = draw_sample(world.office.agency, "2026-Q2", 7, actor=world.analyst, seed=42)
    assert (draw.frame_size, draw.sample_size, draw.seed) == (30, 7, 42)
    assert [(s["procedure"], s["channel"], s["frame"], s["sample"]) for s in draw.strata] == [
        ("1.000001", "in_person", 15, 4), ("1.000002", "in_person", 10, 2),
        ("1.000002", "online", 5, 1)]
    drawn = db.session.scalars(db.select(SampleInvitation)
                               .where(SampleInvitation.draw_id == draw.id)).all()
    counted = {}
    for invitation in drawn:
        key = (invitation.procedure, invitation.channel)
        counted[key] = counted.get(key, 0) + 1
    assert counted == {("1.000001", "in_person"): 4, ("1.000002", "in_person"): 2,
                       ("1.000002", "online"): 1}
    entry = db.session.scalars(db.select(AuditEntry)
                               .where(AuditEntry.action == "survey.sample_draw")).one()
    assert entry.after["seed"] == 42 and entry.after["frame"] == 30
    assert draw.created_by_id == world.analyst.id


def test_same_seed_same_sample_other_seed_other_sample(world):
    first = draw_sample(world.office.agency, "2026-Q2", 10, actor=world.analyst, seed=7)
    again = draw_sample(world.office.agency, "2026-Q2", 10, actor=world.analyst, seed=7)
    other = draw_sample(world.office.agency, "2026-Q2", 10, actor=world.analyst, seed=8)
    assert _drawn(first) == _drawn(again)
    assert _drawn(first) != _drawn(other)
    assert repeat_draw(first) == (_drawn(first), True)
    # A new consenting dossier changes the frame: the repeat says so.
    upsert_dossier(dossier_data("HS-NEW", procedure_code="1.000001", contact_consent=True,
                                contact_phone="0912000222"), actor=world.office.clerk)
    assert repeat_draw(first)[1] is False


def test_random_seed_is_recorded_and_a_sample_larger_than_the_frame_takes_it_all(world):
    draw = draw_sample(world.office.agency, "2026-Q2", 500, actor=world.analyst)
    assert draw.seed > 0 and draw.sample_size == 30
    assert _drawn(draw) == sorted(d.id for d in world.consenting)


@pytest.mark.parametrize("period, size, seed, status, field", [
    ("2026-Q5", 5, None, 400, "period"),
    ("2026-Q2", 0, None, 400, "size"),
    ("2026-Q2", True, None, 400, "size"),
    ("2026-Q2", 5, -1, 400, "seed"),
    ("2025-Q1", 5, None, 409, "period"),
])
def test_bad_draw_requests_are_refused(world, period, size, seed, status, field):
    with pytest.raises(ServiceError) as raised:
        draw_sample(world.office.agency, period, size, actor=world.analyst, seed=seed)
    assert (raised.value.status, raised.value.field) == (status, field)


def test_only_survey_managers_of_the_unit_may_draw(world):
    with pytest.raises(ServiceError) as raised:
        draw_sample(world.office.agency, "2026-Q2", 5, actor=world.office.clerk)
    assert raised.value.status == 403


def test_invitations_are_single_use_links_sent_through_the_outbox(client, world):
    version = publish_desk_form()
    draw = draw_sample(world.office.agency, "2026-Q2", 3, actor=world.analyst, seed=1)
    assert send_invitations(draw, actor=world.analyst) == 3
    db.session.commit()
    assert send_invitations(draw, actor=world.analyst) == 0  # never twice
    messages = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.purpose for m in messages] == ["survey.sample_invitation"] * 3
    assert all(m.channel == "sms" and "0900" not in m.body for m in messages)
    assert deliver_due() == {"sent": 3, "retry": 0, "dead": 0, "failed": 0}  # logged (dev)
    path = link_of(messages[0].body)
    assert client.post(path, data=valid_form(version)).status_code == 303
    assert client.post(path, data=valid_form(version)).status_code == 409
    assert db.session.scalar(db.select(db.func.count()).select_from(Response)) == 1
    status = draw_status(draw)
    assert (status.drawn, status.queued, status.sent, status.answered) == (3, 3, 3, 1)
    assert status.response_rate == pytest.approx(1 / 3)


def test_a_withdrawn_consent_is_not_invited(world):
    draw = draw_sample(world.office.agency, "2026-Q2", 30, actor=world.analyst, seed=3)
    withdrawn = db.session.get(Dossier, world.consenting[0].id)
    upsert_dossier(dossier_data(withdrawn.code, procedure_code="1.000001",
                                received_at=withdrawn.received_at, contact_consent=False),
                   actor=world.office.clerk)
    assert send_invitations(draw, actor=world.analyst) == 29
