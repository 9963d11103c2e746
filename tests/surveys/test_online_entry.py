"""Rating without a QR code (/danh-gia/): the search by name without accents and without
JavaScript, the standing online point of each unit, and online ratings counted under their
own channel with the same flags and rollups as the desk QR."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import now
from core.extensions import db
from surveys import points as services
from surveys.models import CollectionPoint, Dossier, Response, RollupCount
from surveys.online import find_rateable_units, procedure_named
from tests.surveys.survey_page_helpers import build_version, old_token


@pytest.fixture
def version(app):
    version = build_version(code="sipas-desk")  # the shipped desk form's code
    db.session.commit()
    return version


@pytest.fixture
def tree(app, make_unit, version):
    province = make_unit("LS", kind="province", name_vi="UBND tỉnh Lạng Sơn")
    justice = make_unit("LS-STP", parent=province, name_vi="Sở Tư pháp",
                        name_en="Department of Justice")
    division = make_unit("LS-STP-HT", parent=justice, kind="department",
                         name_vi="Phòng Hộ tịch")
    centre = make_unit("LS-TT", parent=province, kind="service_centre",
                       name_vi="Trung tâm Phục vụ hành chính công")
    desk = make_unit("LS-TT-Q05", parent=centre, kind="desk", name_vi="Quầy Sở Tư pháp")
    make_unit("LS-SNV", parent=province, name_vi="Sở Nội vụ")
    closed = make_unit("LS-CU", parent=province, name_vi="Sở Tư pháp cũ")
    closed.active = False
    db.session.commit()
    return {"province": province, "justice": justice, "division": division,
            "centre": centre, "desk": desk}


def names(query: str) -> list[str]:
    return [found.unit.code for found in find_rateable_units(query).results]


def test_search_ignores_accents_case_and_word_order(tree):
    expected = ["LS-STP", "LS-TT-Q05"]  # the agency, and the desk of the same name
    assert names("tư pháp") == expected
    assert names("TU PHAP") == expected
    assert names("pháp  TƯ") == expected
    # English names and a desk's centre match too; divisions and closed units never show.
    assert names("justice") == ["LS-STP"]
    assert names("trung tam quay") == ["LS-TT-Q05"]
    assert names("ho tich") == []
    assert names("xyz") == []


def test_an_empty_search_lists_agencies_and_centres_not_desks(tree):
    assert names("") == ["LS-STP", "LS-TT", "LS-SNV"]


def test_entry_page_is_a_plain_get_form_with_links_to_each_unit(client_vi, tree):
    page = client_vi.get("/danh-gia/?q=tu+phap")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    assert '<form method="get" action="/danh-gia/"' in html and 'name="q"' in html
    assert "<script" not in html
    assert 'href="/danh-gia/LS-STP">Sở Tư pháp</a>' in html
    assert ('href="/danh-gia/LS-TT-Q05">Trung tâm Phục vụ hành chính công · Quầy Sở Tư pháp'
            in html)
    assert "Sở Nội vụ" not in html


def test_entry_page_in_english_names_units_in_english(client, tree):
    html = client.get("/danh-gia/?q=tu+phap").get_data(as_text=True)
    assert ">Department of Justice</a>" in html


def test_odd_queries_are_answered_not_failed(client_vi, tree):
    for query in ("x" * 5000, "%00", "<script>", "'; DROP TABLE units; --"):
        page = client_vi.get("/danh-gia/", query_string={"q": query})
        assert page.status_code == 200
        assert "Không có cơ quan hoặc quầy nào khớp" in page.get_data(as_text=True)


def test_picking_a_unit_makes_its_online_point_once(client_vi, tree):
    first = client_vi.get("/danh-gia/LS-STP")
    assert first.status_code == 302
    point = db.session.scalar(db.select(CollectionPoint).where(
        CollectionPoint.unit_id == tree["justice"].id))
    assert point.channel == "online" and point.active
    assert first.headers["Location"] == f"/k/{point.public_code}"
    assert client_vi.get("/danh-gia/LS-STP").headers["Location"] == first.headers["Location"]
    assert db.session.scalar(db.select(db.func.count(CollectionPoint.id))) == 1
    # The online form asks for the procedure (optional): no QR code says what was rated.
    html = client_vi.get(first.headers["Location"]).get_data(as_text=True)
    assert 'name="procedure"' in html and "Sở Tư pháp" in html


def test_a_division_is_rated_as_its_agency_and_a_province_leads_to_the_search(client_vi,
                                                                               tree):
    went = client_vi.get("/danh-gia/LS-STP-HT")
    point = services.online_point(tree["justice"])
    assert went.headers["Location"] == f"/k/{point.public_code}"
    assert client_vi.get("/danh-gia/LS").headers["Location"] == "/danh-gia/"
    assert client_vi.get("/danh-gia/NO-SUCH").status_code == 404
    assert client_vi.get("/danh-gia/LS-CU").status_code == 404  # closed unit


def test_a_switched_off_online_point_says_so(client_vi, tree):
    point = services.ensure_online_point(tree["justice"])
    services.deactivate_point(point, None)
    db.session.commit()
    assert client_vi.get("/danh-gia/LS-STP").status_code == 410
    assert services.ensure_online_point(tree["justice"]).id == point.id  # not a second one


def test_standing_points_are_made_for_every_unit_that_serves_citizens(tree, version):
    made = services.ensure_online_points()
    assert sorted(p.unit.code for p in made) == ["LS-SNV", "LS-STP", "LS-TT", "LS-TT-Q05"]
    assert {p.channel for p in made} == {"online"}
    assert services.ensure_online_points() == []  # idempotent
    # An online point is no desk's poster: the desk still gets its own.
    created = services.ensure_points_for_desks(tree["province"], version, None)
    assert [(p.unit.code, p.channel) for p in created] == [("LS-TT-Q05", "desk_qr")]


def test_a_rotated_online_point_stays_the_units_online_point(tree):
    point = services.ensure_online_point(tree["justice"])
    successor = services.rotate_point(point, None, "test")
    db.session.commit()
    assert successor.channel == "online"
    assert services.online_point(tree["justice"]).id == successor.id


def rate(client, code: str, version, **extra):
    data = {"started": old_token(version.id), "website": "", "q9_24": "4", "q9_25": "5"}
    data.update(extra)
    return client.post(f"/k/{code}", data=data)


def test_an_online_rating_is_counted_under_online_with_its_procedure(app, client_vi, tree,
                                                                      version):
    code = client_vi.get("/danh-gia/LS-STP").headers["Location"].rsplit("/", 1)[1]
    sent = rate(client_vi, code, version, procedure="  Đăng ký   khai sinh ")
    assert sent.status_code == 303 and sent.headers["Location"] == f"/k/{code}/cam-on"
    # The citizen's own phone: the same per-device mark as a desk QR rating.
    assert "ln_rated=" in sent.headers["Set-Cookie"]
    response = db.session.scalars(db.select(Response)).one()
    assert (response.channel, response.quality) == ("online", "ok")
    assert response.procedure_name == "Đăng ký khai sinh"
    assert response.unit_id == tree["justice"].id
    counted = db.session.scalar(db.select(db.func.sum(RollupCount.count)).where(
        RollupCount.channel == "online", RollupCount.item_code == "q9_24",
        RollupCount.value == 4))
    assert counted == 1
    assert services.online_point(tree["justice"]) is not None


def test_online_ratings_get_the_same_quality_flags(app, client_vi, tree, version):
    code = client_vi.get("/danh-gia/LS-STP").headers["Location"].rsplit("/", 1)[1]
    assert rate(client_vi, code, version, website="http://spam").status_code == 303
    fast = {"started": old_token(version.id, seconds_ago=0)}
    assert rate(client_vi, code, version, **fast).status_code == 303
    reasons = db.session.scalars(db.select(Response.quality_reasons)
                                 .order_by(Response.id)).all()
    assert reasons == [["honeypot"], ["too_fast"]]
    assert set(db.session.scalars(db.select(Response.channel))) == {"online"}


def test_a_too_long_procedure_comes_back_with_a_message_and_nothing_stored(client_vi, tree,
                                                                          version):
    code = client_vi.get("/danh-gia/LS-STP").headers["Location"].rsplit("/", 1)[1]
    sent = rate(client_vi, code, version, procedure="x" * 300)
    assert sent.status_code == 400
    assert "255" in sent.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Response.id))) == 0


def test_a_dossier_code_is_stored_as_its_procedure_never_as_the_code(tree):
    db.session.add(Dossier(code="000.00.12.H35-261201-0007", procedure_name="Cấp bản sao",
                           unit_id=tree["justice"].id, received_at=now() - timedelta(days=3)))
    db.session.flush()
    assert procedure_named(tree["justice"], "000.00.12.H35-261201-0007") == "Cấp bản sao"
    # Another agency's dossier code is only text: it does not reveal that dossier.
    assert procedure_named(tree["centre"], "000.00.12.H35-261201-0007") == \
        "000.00.12.H35-261201-0007"
    assert procedure_named(tree["justice"], "   ") is None


def test_a_desk_qr_rating_stays_desk_qr_and_ignores_a_procedure(client_vi, tree, version):
    point = services.create_point(tree["desk"], version, None)
    db.session.commit()
    html = client_vi.get(f"/k/{point.public_code}").get_data(as_text=True)
    assert 'name="procedure"' not in html
    assert rate(client_vi, point.public_code, version, procedure="x").status_code == 303
    response = db.session.scalars(db.select(Response)).one()
    assert (response.channel, response.procedure_name) == ("desk_qr", None)


def test_two_citizens_picking_a_unit_at_once_share_one_online_point(tree, monkeypatch):
    """The loser of the race (it looked before the winner's insert) reads the winner's point:
    the unique index on live online points refuses a second one."""
    winner = services.ensure_online_point(tree["justice"])
    db.session.commit()
    real = services.online_point
    calls = iter([None])  # the first look, made before the winner's insert was visible
    monkeypatch.setattr(services, "online_point",
                        lambda unit: next(calls, None) or real(unit))
    assert services.ensure_online_point(tree["justice"]).id == winner.id
    db.session.commit()
    count = db.session.scalar(db.select(db.func.count(CollectionPoint.id)).where(
        CollectionPoint.unit_id == tree["justice"].id))
    assert count == 1
