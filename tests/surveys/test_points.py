"""Collection points, their QR codes and printable posters."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from PIL import Image
from qrcode.constants import ERROR_CORRECT_Q

from core.exceptions import ServiceError
from core.extensions import babel, db
from core.models import AuditEntry, Role
from core.qr import build_qr, qr_png, qr_svg
from surveys import points as services
from surveys.models import CollectionPoint, Instrument, InstrumentVersion

PO_PATH = Path(__file__).parents[2] / "translations" / "vi" / "LC_MESSAGES" / "messages.po"
SVG_NS = "{http://www.w3.org/2000/svg}"
PREFIX = "/quan-tri/diem-khao-sat"


@pytest.fixture
def compiled_catalogue() -> None:
    """Vietnamese pages need the compiled catalogue (`make translations`); build it if stale,
    beside and renamed, so a test reading it meanwhile never sees half a file."""
    mo_path = PO_PATH.with_suffix(".mo")
    if not mo_path.exists() or mo_path.stat().st_mtime < PO_PATH.stat().st_mtime:
        with PO_PATH.open("rb") as handle:
            catalog = read_po(handle, locale="vi")
        partial = mo_path.with_suffix(f".{os.getpid()}.tmp")
        with partial.open("wb") as handle:
            write_mo(handle, catalog)
        os.replace(partial, mo_path)
    # Flask-Babel keeps loaded catalogues for the whole process: drop one read before now.
    babel.domain_instance.cache.clear()


def make_version(code="sipas-desk", status="published", number=1, owner=None,
                 title="Phiếu đánh giá tại quầy"):
    instrument = db.session.scalar(db.select(Instrument).where(Instrument.code == code))
    if instrument is None:
        instrument = Instrument(code=code, name_vi=f"Phiếu {code}",
                                owner_unit_id=owner.id if owner else None)
        db.session.add(instrument)
    version = InstrumentVersion(instrument=instrument, number=number, status=status,
                                title_vi=title)
    db.session.add(version)
    db.session.commit()
    return version


@pytest.fixture
def version(app):
    return make_version()


@pytest.fixture
def tree(make_unit):
    ls = make_unit("LS", kind="province", name_vi="UBND tỉnh Lạng Sơn", hotline="0205 3812 345")
    centre = make_unit("LS-TT", parent=ls, kind="service_centre",
                       name_vi="Trung tâm Phục vụ hành chính công tỉnh", hotline="0205 3818 999")
    q1 = make_unit("LS-TT-Q01", parent=centre, kind="desk", name_vi="Quầy Sở Nội vụ",
                   name_en="Home Affairs desk")
    q2 = make_unit("LS-TT-Q02", parent=centre, kind="desk", name_vi="Quầy Sở Tài chính")
    kh = make_unit("KH", kind="province", name_vi="UBND tỉnh Khánh Hòa")
    kh_desk = make_unit("KH-MC", parent=kh, kind="desk", name_vi="Bộ phận Một cửa")
    return {"LS": ls, "TT": centre, "Q1": q1, "Q2": q2, "KH": kh, "KH-MC": kh_desk}


def audit_actions(object_id: int) -> list[str]:
    return list(db.session.scalars(db.select(AuditEntry.action).where(
        AuditEntry.object_type == "collection_point", AuditEntry.object_id == str(object_id))
        .order_by(AuditEntry.id)))


# --- services ---------------------------------------------------------------------------

def test_codes_are_seven_unambiguous_characters_and_unique(tree, version):
    points = [services.create_point(tree["Q1"], version, None) for _ in range(30)]
    db.session.commit()
    codes = [p.public_code for p in points]
    assert len(set(codes)) == 30
    assert all(re.fullmatch(r"[2-9A-HJKMNP-Z]{7}", code) for code in codes)
    drawn = "".join(services.new_public_code() for _ in range(500))
    assert not set(drawn) & set("01OIL")
    assert audit_actions(points[0].id) == ["survey_point.created"]


def test_a_code_clash_is_retried_with_a_new_code(tree, version, monkeypatch):
    first = services.create_point(tree["Q1"], version, None)
    db.session.commit()
    draws = iter([first.public_code, "ABCDEF2"])
    monkeypatch.setattr(services, "new_public_code", lambda: next(draws))
    second = services.create_point(tree["Q2"], version, None)
    db.session.commit()
    assert second.public_code == "ABCDEF2"
    assert db.session.scalar(db.select(db.func.count(CollectionPoint.id))) == 2


def test_point_by_code_accepts_lower_case_and_public_url_is_absolute(tree, version):
    point = services.create_point(tree["Q1"], version, None)
    db.session.commit()
    assert services.point_by_code(point.public_code.lower()) is point
    assert services.point_by_code("NOPE") is None
    # BASE_CONFIG in tests/conftest.py: SERVER_NAME localhost, scheme https.
    assert services.public_url(point) == f"https://localhost/k/{point.public_code}"


def test_create_refuses_drafts_inactive_units_and_other_agencies_forms(tree, version):
    with pytest.raises(ServiceError):
        services.create_point(tree["Q1"], make_version(number=2, status="draft"), None)
    own_form = make_version(code="kh-own", owner=tree["KH"])
    with pytest.raises(ServiceError):
        services.create_point(tree["Q1"], own_form, None)
    assert services.create_point(tree["KH-MC"], own_form, None).unit_id == tree["KH-MC"].id
    tree["Q2"].active = False
    with pytest.raises(ServiceError):
        services.create_point(tree["Q2"], version, None)


def test_rotate_retires_the_old_point_and_links_the_new_one(tree, version, make_user):
    admin = make_user(Role.UNIT_ADMIN, tree["LS"])
    old = services.create_point(tree["Q1"], version, admin)
    db.session.commit()
    new = services.rotate_point(old, admin, "poster was copied")
    db.session.commit()
    assert (new.unit_id, new.version_id, new.active) == (tree["Q1"].id, version.id, True)
    assert new.public_code != old.public_code
    assert old.retired_at is not None and old.replaced_by_id == new.id and not old.active
    assert audit_actions(old.id) == ["survey_point.created", "survey_point.rotated"]
    entry = db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action == "survey_point.rotated"))
    assert (entry.reason, entry.actor_user_id) == ("poster was copied", admin.id)
    with pytest.raises(ServiceError):
        services.rotate_point(old, admin, "again")


def test_rotating_a_point_on_a_retired_version_moves_to_the_current_one(tree, version):
    old = services.create_point(tree["Q1"], version, None)
    newer = make_version(number=2)
    version.status = "retired"
    db.session.commit()
    assert services.rotate_point(old, None, "new form").version_id == newer.id


def test_deactivate(tree, version):
    point = services.create_point(tree["Q1"], version, None)
    services.deactivate_point(point, None, "desk closed")
    db.session.commit()
    assert not point.active and point.retired_at is None
    assert audit_actions(point.id)[-1] == "survey_point.deactivated"
    with pytest.raises(ServiceError):
        services.deactivate_point(point, None)


def test_ensure_points_for_desks_is_idempotent(tree, version):
    first = services.ensure_points_for_desks(tree["LS"], version, None)
    db.session.commit()
    assert sorted(p.unit_id for p in first) == sorted([tree["Q1"].id, tree["Q2"].id])
    assert services.ensure_points_for_desks(tree["LS"], version, None) == []
    # A desk whose point was deactivated gets a new one; the province's other desk is left.
    services.deactivate_point(first[0], None)
    again = services.ensure_points_for_desks(tree["LS"], version, None)
    assert [p.unit_id for p in again] == [first[0].unit_id]
    assert len(services.points_for_unit_subtree(tree["LS"], live_only=True)) == 2
    assert len(services.points_for_unit_subtree(tree["LS"])) == 3


def test_ensure_demo_points_uses_the_desk_form(app, make_unit, version, monkeypatch):
    published: dict[str, object] = {}
    monkeypatch.setattr(services, "get_version", published.get)
    centre = make_unit("LS-TTPVHCC", kind="service_centre")
    desk = make_unit("LS-TTPVHCC-Q01", parent=centre, kind="desk")
    other = make_unit("NOT-DEMO", parent=centre, kind="desk")
    assert services.ensure_demo_points() == []  # no published desk form: nothing to do
    published["sipas-desk"] = version
    created = services.ensure_demo_points()
    # A poster point at each demo desk and centre, and a standing online point at every unit
    # that serves citizens (demo or not).
    assert sorted((p.unit_id, p.channel) for p in created) == sorted([
        (centre.id, "desk_qr"), (desk.id, "desk_qr"),
        (centre.id, "online"), (desk.id, "online"), (other.id, "online")])
    assert services.ensure_demo_points() == []


# --- QR images ----------------------------------------------------------------------------

URL = "https://localhost/k/ABCDEFG"


def test_qr_uses_error_correction_q_and_a_quiet_zone_of_4():
    code = build_qr(URL)
    assert (code.error_correction, code.border) == (ERROR_CORRECT_Q, 4)
    # 27 bytes need version 3 at level Q (capacity 32 bytes; version 2-Q holds 20;
    # ISO/IEC 18004 table 7, byte mode):
    # 29 modules + 2 × 4 quiet zone = 37, × 16 px = 592 px.
    assert code.version == 3
    assert Image.open(io.BytesIO(qr_png(URL))).size == (592, 592)


def test_png_decodes_to_the_public_url(tmp_path, tree, version):
    if shutil.which("zbarimg") is None:
        if os.environ.get("CI"):
            pytest.fail("zbarimg (Debian package zbar-tools) is required in CI")
        pytest.skip("zbarimg (Debian package zbar-tools) is not installed")
    point = services.create_point(tree["Q1"], version, None)
    path = tmp_path / "qr.png"
    path.write_bytes(qr_png(services.public_url(point)))
    result = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True,
                            text=True, timeout=30, check=True)
    assert result.stdout.strip() == f"https://localhost/k/{point.public_code}"


def test_svg_is_valid_xml_with_a_module_viewbox():
    root = ET.fromstring(qr_svg(URL))
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("viewBox") == "0 0 37 37"  # 29 modules + 2 × 4, one unit per module
    assert root.find(f"{SVG_NS}path") is not None


# --- pages ----------------------------------------------------------------------------------

@pytest.fixture
def desk_staff(make_user, tree):
    return make_user(Role.DESK_STAFF, tree["TT"])


def test_qr_endpoints_serve_images_privately(client, login, desk_staff, tree, version):
    point = services.create_point(tree["Q1"], version, None)
    db.session.commit()
    login(client, desk_staff)
    png = client.get(f"{PREFIX}/{point.id}/qr.png")
    assert png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
    assert "no-store" in png.headers["Cache-Control"]
    svg = client.get(f"{PREFIX}/{point.id}/qr.svg")
    assert svg.mimetype == "image/svg+xml"
    assert ET.fromstring(svg.data).get("viewBox") == "0 0 37 37"


def test_poster_shows_names_url_hotline_and_the_qr(compiled_catalogue, client_vi, login,
                                                   desk_staff, tree, version):
    point = services.create_point(tree["Q1"], version, None)
    db.session.commit()
    login(client_vi, desk_staff)
    for size in ("a5", "a4"):
        response = client_vi.get(f"{PREFIX}/{point.id}/poster?size={size}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert f'class="poster poster-{size}"' in html
        assert "UBND tỉnh Lạng Sơn — Trung tâm Phục vụ hành chính công tỉnh" in html
        assert "Quầy Sở Nội vụ" in html and "Home Affairs desk" in html
        assert f"https://localhost/k/{point.public_code}" in html
        assert "0205 3818 999" in html  # the desk has none: the centre's hotline
        assert "Quét mã để đánh giá" in html and "Scan to rate our service" in html
        assert f'src="/quan-tri/diem-khao-sat/{point.id}/qr.svg"' in html
    assert client_vi.get(f"{PREFIX}/{point.id}/poster?size=a3").status_code == 400


def test_bulk_print_has_one_poster_per_live_desk_point(client, login, desk_staff, tree,
                                                       version):
    q1, q2 = services.ensure_points_for_desks(tree["TT"], version, None)
    services.rotate_point(q2, None, "tampered")  # the old code must not be printed
    closed = services.create_point(tree["Q1"], version, None)
    services.deactivate_point(closed, None)
    db.session.commit()
    login(client, desk_staff)
    html = client.get(f"{PREFIX}/don-vi/{tree['TT'].id}/posters?size=a4").get_data(
        as_text=True)
    assert html.count('class="poster poster-a4"') == 2
    desks = re.findall(r'<h2 class="p-desk">([^<]+)</h2>', html)
    assert sorted(desks) == ["Quầy Sở Nội vụ", "Quầy Sở Tài chính"]
    assert q1.public_code in html and q2.public_code not in html
    assert closed.public_code not in html
    # The list offers this print job for the centre (the desks' parent).
    listing = client.get(f"{PREFIX}/").get_data(as_text=True)
    assert f"{PREFIX}/don-vi/{tree['TT'].id}/posters?size=a4" in listing


def test_desk_staff_cannot_see_another_units_points(client, login, desk_staff, tree, version):
    ours = services.create_point(tree["Q1"], version, None)
    theirs = services.create_point(tree["KH-MC"], version, None)
    db.session.commit()
    login(client, desk_staff)
    listing = client.get(f"{PREFIX}/").get_data(as_text=True)
    assert ours.public_code in listing and theirs.public_code not in listing
    for path in ("", "/qr.png", "/qr.svg", "/poster?size=a4"):
        assert client.get(f"{PREFIX}/{theirs.id}{path}").status_code == 404
    assert client.post(f"{PREFIX}/{theirs.id}/ngung").status_code == 404
    assert client.get(f"{PREFIX}/don-vi/{tree['KH'].id}/posters").status_code == 404
    denied = db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action == "access.denied", AuditEntry.object_type == "collection_point"))
    assert {e.object_id for e in denied} == {str(theirs.id)}
    assert theirs.active


def test_staff_without_qr_print_get_403(client, login, make_user, tree, version):
    point = services.create_point(tree["Q1"], version, None)
    db.session.commit()
    login(client, make_user(Role.ANALYST, tree["LS"]))
    assert client.get(f"{PREFIX}/").status_code == 403
    assert client.get(f"{PREFIX}/{point.id}/poster").status_code == 403
    assert client.get(f"{PREFIX}/don-vi/{tree['TT'].id}/posters").status_code == 403
    assert "diem-khao-sat" not in client.get("/quan-tri/").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in(client, tree, version):
    point = services.create_point(tree["Q1"], version, None)
    db.session.commit()
    response = client.get(f"{PREFIX}/{point.id}/qr.png")
    assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]


def test_create_rotate_and_deactivate_through_the_pages(client, login, desk_staff, tree,
                                                        version):
    make_version(code="kh-own", owner=tree["KH"], title="Phiếu riêng Khánh Hòa")
    login(client, desk_staff)
    assert f'href="{PREFIX}/"' in client.get("/quan-tri/").get_data(as_text=True)  # menu
    form_page = client.get(f"{PREFIX}/moi").get_data(as_text=True)
    assert "Phiếu đánh giá tại quầy (v1)" in form_page
    assert "Phiếu riêng Khánh Hòa" not in form_page  # another province's own form
    response = client.post(f"{PREFIX}/moi", data={"unit_id": tree["Q1"].id,
                                                  "version_id": version.id})
    assert response.status_code == 302
    point = db.session.scalar(db.select(CollectionPoint))
    assert point.unit_id == tree["Q1"].id and point.version_id == version.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"https://localhost/k/{point.public_code}" in page and "Change the code" in page
    # Another province's desk is not a choice: refused, nothing created.
    response = client.post(f"{PREFIX}/moi", data={"unit_id": tree["KH-MC"].id,
                                                  "version_id": version.id})
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count(CollectionPoint.id))) == 1
    # A rotation needs a reason.
    assert client.post(f"{PREFIX}/{point.id}/doi-ma", data={"reason": ""}).status_code == 400
    db.session.refresh(point)
    assert point.retired_at is None
    response = client.post(f"{PREFIX}/{point.id}/doi-ma", data={"reason": "bị dán đè"})
    assert response.status_code == 302
    db.session.refresh(point)
    successor = db.session.get(CollectionPoint, point.replaced_by_id)
    assert response.headers["Location"].endswith(f"{PREFIX}/{successor.id}")
    # The retired point's poster is not printed any more.
    assert client.get(f"{PREFIX}/{point.id}/poster").status_code == 302
    assert client.post(f"{PREFIX}/{successor.id}/ngung").status_code == 302
    db.session.refresh(successor)
    assert not successor.active
    assert client.post(f"{PREFIX}/{successor.id}/ngung").status_code == 409


def test_every_desk_option_creates_one_point_per_desk(client, login, desk_staff, tree,
                                                      version):
    login(client, desk_staff)
    data = {"unit_id": tree["TT"].id, "version_id": version.id, "every_desk": "y"}
    assert client.post(f"{PREFIX}/moi", data=data).status_code == 302
    assert client.post(f"{PREFIX}/moi", data=data).status_code == 302
    units = db.session.scalars(db.select(CollectionPoint.unit_id)).all()
    assert sorted(units) == sorted([tree["Q1"].id, tree["Q2"].id])


def test_a_second_active_point_for_a_desk_needs_confirmation(client, login, desk_staff, tree,
                                                             version):
    first = services.create_point(tree["Q1"], version, None)
    db.session.commit()
    login(client, desk_staff)
    data = {"unit_id": tree["Q1"].id, "version_id": version.id}
    asked = client.post(f"{PREFIX}/moi", data=data)
    assert asked.status_code == 409
    html = asked.get_data(as_text=True)
    assert first.public_code in html and 'name="also_active"' in html
    assert db.session.scalar(db.select(db.func.count(CollectionPoint.id))) == 1
    confirmed = client.post(f"{PREFIX}/moi", data={**data, "also_active": "y"})
    assert confirmed.status_code == 302
    assert len(services.live_desk_points(tree["Q1"])) == 2
    # A desk whose only point is its standing online one is not asked.
    services.ensure_online_point(tree["Q2"])
    db.session.commit()
    data = {"unit_id": tree["Q2"].id, "version_id": version.id}
    assert client.post(f"{PREFIX}/moi", data=data).status_code == 302


def test_the_list_gives_each_desk_point_its_kiosk_address(client, login, desk_staff, tree,
                                                         version):
    point = services.create_point(tree["Q1"], version, None)
    online = services.ensure_online_point(tree["Q2"])
    db.session.commit()
    login(client, desk_staff)
    html = client.get(f"{PREFIX}/").get_data(as_text=True)
    kiosk = f"https://localhost/k/{point.public_code}/kiosk"
    assert f'<a class="kiosk-link" href="{kiosk}" target="_blank" rel="noopener">{kiosk}</a>' \
        in html
    # The online point has no poster and no kiosk: it is reached from the rating page.
    assert f"/k/{online.public_code}/kiosk" not in html
    assert f"{PREFIX}/{online.id}/poster" not in html
    detail = client.get(f"{PREFIX}/{point.id}").get_data(as_text=True)
    assert f'href="{kiosk}"' in detail


def test_an_online_point_has_no_poster(client, login, desk_staff, tree, version):
    desk = services.create_point(tree["Q1"], version, None)
    online = services.ensure_online_point(tree["Q1"])
    db.session.commit()
    login(client, desk_staff)
    refused = client.get(f"{PREFIX}/{online.id}/poster?size=a4")
    assert refused.status_code == 302
    assert refused.headers["Location"].endswith(f"{PREFIX}/{online.id}")
    bulk = client.get(f"{PREFIX}/don-vi/{tree['TT'].id}/posters?size=a4").get_data(as_text=True)
    assert f"/k/{desk.public_code}" in bulk and f"/k/{online.public_code}" not in bulk


def test_printed_links_come_from_the_public_address_not_the_request(app, client, login,
                                                                    desk_staff, tree, version):
    # Posters are printed from the back office, often reached by an internal address; the
    # QR code must carry the site's public address (PUBLIC_BASE_URL, with its path prefix).
    app.config["PUBLIC_BASE_URL"] = "https://dichvucong.langson.gov.vn/lang-nghe/"
    point = services.create_point(tree["Q1"], version, None)
    db.session.commit()
    public = f"https://dichvucong.langson.gov.vn/lang-nghe/k/{point.public_code}"
    assert services.public_url(point) == public
    assert services.kiosk_url(point) == public + "/kiosk"
    login(client, desk_staff)
    html = client.get(f"{PREFIX}/{point.id}/poster?size=a4").get_data(as_text=True)
    assert public in html and "https://localhost/k/" not in html
    svg = client.get(f"{PREFIX}/{point.id}/qr.svg").data
    assert svg.decode() == qr_svg(public)
