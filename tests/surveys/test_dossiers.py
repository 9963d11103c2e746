"""Dossier services and the back office: create or update by code, validation naming the
field, scope, audit; list, dossier page, receipt slip, access from another unit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.exceptions import ServiceError
from core.extensions import db
from core.models import AuditEntry, Role
from core.org import set_unit_active
from surveys.dossiers import CREATED, UNCHANGED, UPDATED, upsert_dossier
from surveys.models import Dossier, RatingToken
from tests.surveys.dossier_helpers import (
    APPOINTED,
    RECEIVED,
    build_office,
    dossier_data,
    make_dossier,
)


@pytest.fixture
def office(app, make_unit, make_user):
    return build_office(make_unit, make_user)


def test_create_then_update_by_code_with_audit(office):
    dossier, outcome = upsert_dossier(dossier_data(), actor=office.clerk)
    db.session.commit()
    assert outcome == CREATED
    assert (dossier.unit_id, dossier.desk_id) == (office.agency.id, office.desk.id)
    assert dossier.received_at == RECEIVED and dossier.legal_appointed_at == APPOINTED
    returned = datetime(2026, 6, 4, 2, 0, tzinfo=UTC)
    again, outcome = upsert_dossier(dossier_data(returned_at=returned, supplement_requests=1),
                                    actor=office.clerk)
    db.session.commit()
    assert outcome == UPDATED and again.id == dossier.id
    assert (again.returned_at, again.supplement_requests) == (returned, 1)
    _same, outcome = upsert_dossier(dossier_data(returned_at=returned, supplement_requests=1),
                                    actor=office.clerk)
    assert outcome == UNCHANGED
    actions = db.session.scalars(db.select(AuditEntry.action).where(
        AuditEntry.object_type == "dossier").order_by(AuditEntry.id)).all()
    assert actions == ["dossier.create", "dossier.update"]  # nothing for the unchanged upsert
    assert db.session.scalar(db.select(db.func.count(Dossier.id))) == 1


def test_naive_times_are_vietnam_time(office):
    # 08:30 local in Hà Nội is 01:30 UTC.
    dossier, _ = upsert_dossier(dossier_data(received_at=datetime(2026, 6, 1, 8, 30),
                                             legal_appointed_at=None), actor=office.clerk)
    assert dossier.received_at == RECEIVED


@pytest.mark.parametrize(("fields", "field", "status"), [
    ({"code": "có dấu cách"}, "code", 400),
    ({"code": ""}, "code", 400),
    ({"code": "A" * 65}, "code", 400),
    ({"unit": "NO-SUCH"}, "unit_code", 404),
    ({"unit": "SO-XD", "desk": None}, "unit_code", 404),  # exists, but outside the scope
    ({"desk": "SO-TP"}, "desk_code", 400),  # the unit itself is not a desk under it
    ({"received_at": None}, "received_at", 400),
    ({"legal_appointed_at": RECEIVED - timedelta(days=1)}, "legal_appointed_at", 400),
    ({"returned_at": RECEIVED - timedelta(minutes=1)}, "returned_at", 400),
    ({"supplement_requests": -1}, "supplement_requests", 400),
    ({"supplement_requests": True}, "supplement_requests", 400),
    ({"online": "yes"}, "online", 400),
    ({"procedure_name": "Cấp\x00phiếu"}, "procedure_name", 400),
    ({"procedure_name": "x" * 501}, "procedure_name", 400),
])
def test_bad_fields_are_refused_by_name_and_nothing_saved(office, fields, field, status):
    with pytest.raises(ServiceError) as refused:
        upsert_dossier(dossier_data(**fields), actor=office.clerk)
    assert (refused.value.field, refused.value.status) == (field, status)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Dossier.id))) == 0


def test_inactive_desk_is_refused(office):
    set_unit_active(office.desk, False)
    db.session.commit()
    with pytest.raises(ServiceError) as refused:
        upsert_dossier(dossier_data(), actor=office.clerk)
    assert (refused.value.field, refused.value.status) == ("desk_code", 400)


def test_dossier_of_another_unit_cannot_be_overwritten(office, make_user):
    make_dossier(office)
    stranger = make_user(Role.DESK_STAFF, unit=office.other)
    with pytest.raises(ServiceError) as refused:
        upsert_dossier(dossier_data(unit="SO-XD", desk=None), actor=stranger)
    assert (refused.value.field, refused.value.status) == ("code", 404)
    assert db.session.scalar(db.select(Dossier.unit_id)) == office.agency.id


def test_nfc_procedure_name(office):
    decomposed = "Ca\u0302\u0301p phie\u0302\u0301u"  # "Cấp phiếu" typed as NFD
    dossier, _ = upsert_dossier(dossier_data(procedure_name=decomposed), actor=office.clerk)
    assert dossier.procedure_name == "Cấp phiếu"


# --- back office ---------------------------------------------------------------------------

def test_list_shows_only_the_users_units_and_searches(client, login, office, make_user):
    make_dossier(office, "TP-0001")
    db.session.add(Dossier(code="XD-0001", unit_id=office.other.id, received_at=RECEIVED))
    db.session.commit()
    login(client, office.clerk)
    page = client.get("/quan-tri/ho-so/").get_data(as_text=True)
    assert "TP-0001" in page and "XD-0001" not in page
    found = client.get("/quan-tri/ho-so/?q=lý lịch").get_data(as_text=True)
    assert "TP-0001" in found
    assert "TP-0001" not in client.get("/quan-tri/ho-so/?q=nothing").get_data(as_text=True)


def test_menu_entry_for_desk_staff(client, login, office):
    login(client, office.clerk)
    assert 'href="/quan-tri/ho-so/"' in client.get("/quan-tri/").get_data(as_text=True)


def test_other_units_dossier_is_404_and_logged(client, login, office, make_user):
    dossier = make_dossier(office)
    stranger = make_user(Role.DESK_STAFF, unit=office.other)
    login(client, stranger)
    assert client.get(f"/quan-tri/ho-so/{dossier.id}").status_code == 404
    assert client.post(f"/quan-tri/ho-so/{dossier.id}/phieu").status_code == 404
    denied = db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action == "access.denied", AuditEntry.object_type == "dossier")).all()
    assert len(denied) == 2 and denied[0].object_id == str(dossier.id)
    assert db.session.scalar(db.select(db.func.count(RatingToken.id))) == 0


def test_receipt_slip_shows_the_link_once_and_issuing_again_makes_a_new_one(
        client, login, office):
    dossier = make_dossier(office)
    login(client, office.clerk)
    detail = client.get(f"/quan-tri/ho-so/{dossier.id}").get_data(as_text=True)
    assert "Cấp phiếu lý lịch tư pháp" in detail and "/d/" not in detail
    first = client.post(f"/quan-tri/ho-so/{dossier.id}/phieu")
    assert first.status_code == 200
    slip = first.get_data(as_text=True)
    url = slip.split('<p class="r-url">', 1)[1].split("</p>", 1)[0]
    assert url.startswith("https://localhost/d/")
    assert "<svg" in slip and "Quầy Tư pháp" in slip and dossier.code in slip
    assert "05/06/2026 16:00" in slip  # appointed 09:00 UTC = 16:00 in Vietnam
    assert "Scan the code to rate your dossier" in slip  # the English line of the slip
    second = client.post(f"/quan-tri/ho-so/{dossier.id}/phieu").get_data(as_text=True)
    assert url not in second
    tokens = db.session.scalars(db.select(RatingToken)).all()
    assert len(tokens) == 2
    token_part = url.rsplit("/", 1)[1]
    assert all(token_part not in t.secret_hash for t in tokens)  # only a hash is stored
    # The slip is never kept: the dossier page does not show the link again.
    assert url not in client.get(f"/quan-tri/ho-so/{dossier.id}").get_data(as_text=True)
