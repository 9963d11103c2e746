"""The citizen front door: the home page and every unit page lead to each citizen action in one
tap, pre-filled for the unit on its page (core.citizen_actions)."""

from __future__ import annotations

import re

import pytest

from core.citizen_actions import citizen_actions
from core.extensions import db
from surveys.instruments import load_shipped_instruments


@pytest.fixture
def tree(make_unit):
    province = make_unit("LS", kind="province", name_vi="UBND tỉnh Lạng Sơn")
    agency = make_unit("LS-STP", parent=province, name_vi="Sở Tư pháp",
                       name_en="Department of Justice", hotline="0205 3870 000")
    division = make_unit("LS-STP-HT", parent=agency, kind="department",
                         name_vi="Phòng Hộ tịch")
    centre = make_unit("LS-TT", parent=province, kind="service_centre",
                       name_vi="Trung tâm Phục vụ hành chính công")
    desk = make_unit("LS-TT-Q05", parent=centre, kind="desk", name_vi="Quầy Sở Tư pháp")
    return {"province": province, "agency": agency, "division": division, "desk": desk}


def action_links(html: str) -> dict[str, str]:
    """{action key: href} of the big action blocks, in page order."""
    found = re.findall(r'<a class="action action-(\w+)" href="([^"]+)"', html)
    return {key: href.replace("&amp;", "&") for key, href in found}


def test_home_page_puts_every_citizen_action_first(client_vi, tree):
    html = client_vi.get("/").get_data(as_text=True)
    assert action_links(html) == {
        "rate": "/danh-gia/", "pakn": "/phan-anh/", "lookup": "/tra-cuu/",
        "answers": "/tra-loi-pakn/", "figures": "/cong-khai/"}
    # Before the agency directory, and in Vietnamese.
    assert html.index("action-rate") < html.index("UBND tỉnh Lạng Sơn")
    assert "Đánh giá sự phục vụ" in html and "Ông/Bà muốn làm gì?" in html


def test_an_agency_page_pre_fills_the_agency(client_vi, tree):
    html = client_vi.get("/don-vi/LS-STP").get_data(as_text=True)
    assert action_links(html) == {
        "rate": "/danh-gia/LS-STP", "pakn": "/phan-anh/?unit=LS-STP", "lookup": "/tra-cuu/",
        "answers": "/tra-loi-pakn/", "figures": "/cong-khai/LS-STP"}
    assert "0205 3870 000" in html


def test_a_desk_page_pre_fills_its_centre_and_desk(client_vi, tree):
    links = action_links(client_vi.get("/don-vi/LS-TT-Q05").get_data(as_text=True))
    assert links["rate"] == "/danh-gia/LS-TT-Q05"
    assert links["pakn"] == "/phan-anh/?unit=LS-TT&desk=LS-TT-Q05"
    assert links["figures"] == "/cong-khai/LS-TT"


def test_a_division_page_uses_its_agency_for_pakn_and_figures(client_vi, tree):
    links = action_links(client_vi.get("/don-vi/LS-STP-HT").get_data(as_text=True))
    assert links["pakn"] == "/phan-anh/?unit=LS-STP"
    assert links["figures"] == "/cong-khai/LS-STP"
    assert links["rate"] == "/danh-gia/LS-STP-HT"  # rated as its agency (surveys.online)


def test_each_action_of_a_unit_page_opens(client_vi, tree):
    """One tap from the page: every pre-filled link answers (a redirect to the form at most)."""
    load_shipped_instruments()  # the desk form the online point opens
    db.session.commit()
    for key, href in action_links(client_vi.get("/don-vi/LS-STP").get_data(as_text=True)
                                  ).items():
        answer = client_vi.get(href)
        assert answer.status_code in ((302,) if key == "rate" else (200,)), (key, href)


def test_the_pakn_form_arrives_with_the_unit_chosen(client_vi, tree):
    html = client_vi.get("/phan-anh/?unit=LS-STP").get_data(as_text=True)
    assert re.search(r'<option[^>]*selected[^>]*value="LS-STP"|<option[^>]*value="LS-STP"'
                     r'[^>]*selected', html)


def test_english_pages_name_the_unit_in_english(client, tree):
    html = client.get("/don-vi/LS-STP").get_data(as_text=True)
    assert "<h1>Department of Justice</h1>" in html and "Rate the service here" in html


def test_only_registered_pages_are_offered(app, tree, monkeypatch):
    monkeypatch.delitem(app.view_functions, "feedback_public.status")
    with app.test_request_context("/"):
        keys = [action.key for action in citizen_actions(tree["agency"])]
    assert keys == ["rate", "pakn", "answers", "figures"]


def test_a_desk_without_contacts_gives_its_centres(client_vi, tree, make_unit):
    tree["desk"].parent.hotline = "0205 3818 999"
    db.session.commit()
    html = client_vi.get("/don-vi/LS-TT-Q05").get_data(as_text=True)
    assert "Liên hệ qua Trung tâm Phục vụ hành chính công:" in html
    assert 'href="tel:02053818999"' in html
