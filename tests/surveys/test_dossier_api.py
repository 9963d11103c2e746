"""/api/v1/dossiers: create and update by PUT, facts by GET, rating links by POST; scope of
the key's subtree (404 elsewhere), 422 on bad fields, JSON errors, the OpenAPI document."""

from __future__ import annotations

import pytest

from core.extensions import db
from surveys.models import Dossier, RatingToken
from tests.surveys.dossier_helpers import api_key_for, build_office, publish_desk_form

CODE = "000.00.17.H36-260601-0001"
BODY = {
    "unit_code": "SO-TP", "desk_code": "SO-TP-Q1", "procedure_code": "1.001234",
    "procedure_name": "Cấp phiếu lý lịch tư pháp", "received_at": "2026-06-01T08:30:00+07:00",
    "appointed_at": "2026-06-05T16:00:00", "supplement_requests": 0, "online": True,
}


@pytest.fixture
def office(app, make_unit, make_user):
    return build_office(make_unit, make_user)


@pytest.fixture
def headers(office, make_user):
    return {"Authorization": f"Bearer {api_key_for(make_user, office.agency)}"}


def test_put_creates_then_updates(client, headers):
    created = client.put(f"/api/v1/dossiers/{CODE}", json=BODY, headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["code"] == CODE and created.json["desk_code"] == "SO-TP-Q1"
    # 08:30+07:00 is 01:30 UTC; the naive appointed time is read as Vietnam time (16:00+07).
    assert created.json["received_at"].startswith("2026-06-01T01:30:00")
    assert created.json["appointed_at"].startswith("2026-06-05T09:00:00")
    updated = client.put(f"/api/v1/dossiers/{CODE}", json={**BODY, "supplement_requests": 2,
                                                             "apology_issued": True},
                         headers=headers)
    assert updated.status_code == 200
    assert (updated.json["supplement_requests"], updated.json["apology_issued"]) == (2, True)
    assert db.session.scalar(db.select(db.func.count(Dossier.id))) == 1
    fetched = client.get(f"/api/v1/dossiers/{CODE}", headers=headers)
    assert fetched.status_code == 200 and fetched.json["source"] == "api"
    assert "token" not in fetched.get_data(as_text=True)


def test_key_of_unit_a_cannot_touch_unit_b(client, office, make_user, headers):
    other = {"Authorization": f"Bearer {api_key_for(make_user, office.other)}"}
    # Key of SO-XD writing a dossier for SO-TP: 404, as for an unknown unit.
    refused = client.put(f"/api/v1/dossiers/{CODE}", json=BODY, headers=other)
    assert refused.status_code == 404 and refused.json["error"]["code"] == "not_found"
    assert client.put(f"/api/v1/dossiers/{CODE}", json=BODY, headers=headers).status_code == 201
    # …nor read it, nor take it over, nor get a rating link for it.
    assert client.get(f"/api/v1/dossiers/{CODE}", headers=other).status_code == 404
    takeover = {**BODY, "unit_code": "SO-XD", "desk_code": None}
    assert client.put(f"/api/v1/dossiers/{CODE}", json=takeover, headers=other).status_code \
        == 404
    assert client.post(f"/api/v1/dossiers/{CODE}/rating-token",
                       headers=other).status_code == 404
    assert db.session.scalar(db.select(Dossier.unit_id)) == office.agency.id
    assert db.session.scalar(db.select(db.func.count(RatingToken.id))) == 0


@pytest.mark.parametrize(("change", "field"), [
    ({"received_at": "01/06/2026"}, "received_at"),
    ({"received_at": "2026-13-01T08:00:00"}, "received_at"),
    ({"appointed_at": "2026-05-01T08:00:00"}, "legal_appointed_at"),  # before it was received
    ({"supplement_requests": -1}, "supplement_requests"),
    ({"supplement_requests": "2"}, "supplement_requests"),
    ({"online": "maybe"}, "online"),
    ({"citizen_name": "Nguyễn Văn A"}, "citizen_name"),  # no personal data accepted
    ({"desk_code": "SO-TP"}, "desk_code"),
])
def test_bad_fields_are_422_naming_the_field(client, headers, change, field):
    answer = client.put(f"/api/v1/dossiers/{CODE}", json={**BODY, **change}, headers=headers)
    assert answer.status_code == 422, answer.json
    assert answer.json["error"]["code"] == "validation_failed"
    assert field in answer.json["error"]["details"]["json"]
    assert db.session.scalar(db.select(db.func.count(Dossier.id))) == 0


def test_bad_code_in_the_path_is_422(client, headers):
    answer = client.put("/api/v1/dossiers/has%20space", json=BODY, headers=headers)
    assert answer.status_code == 422 and "code" in answer.json["error"]["details"]["json"]


def test_rating_token_endpoint(client, headers):
    client.put(f"/api/v1/dossiers/{CODE}", json=BODY, headers=headers)
    issued = client.post(f"/api/v1/dossiers/{CODE}/rating-token", headers=headers)
    assert issued.status_code == 201
    assert issued.json["url"].startswith("https://localhost/d/")
    assert issued.json["expires_at"]
    token = db.session.scalar(db.select(RatingToken))
    assert token.secret_hash not in issued.json["url"]
    path = issued.json["url"].removeprefix("https://localhost")
    # No desk questionnaire published yet: the friendly "no longer in use" page.
    assert client.get(path).status_code == 410
    publish_desk_form()
    assert client.get(path).status_code == 200  # the link opens the desk form
    assert client.post("/api/v1/dossiers/NO-SUCH/rating-token",
                       headers=headers).status_code == 404


def test_key_without_the_permission_and_no_key(client, office, make_user):
    viewer = {"Authorization": f"Bearer {api_key_for(make_user, office.agency, ('units.view',))}"}
    assert client.put(f"/api/v1/dossiers/{CODE}", json=BODY, headers=viewer).status_code == 403
    answer = client.put(f"/api/v1/dossiers/{CODE}", json=BODY)
    assert answer.status_code == 401 and answer.json["error"]["code"] == "unauthorized"


def test_documented_in_openapi(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"put", "get"} <= set(paths["/api/v1/dossiers/{code}"])
    assert "post" in paths["/api/v1/dossiers/{code}/rating-token"]
    assert "201" in paths["/api/v1/dossiers/{code}"]["put"]["responses"]
