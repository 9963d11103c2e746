"""Back-office questionnaire pages: list, bilingual preview, draft editor, publish, retire,
the 409 on published versions and the access rules."""

from __future__ import annotations

import pytest

from core.extensions import db
from core.models import AuditEntry, Role
from surveys.instruments import (
    DESK_FORM_CODE,
    QUICK_FORM_CODE,
    create_instrument,
    get_version,
    load_shipped_instruments,
    ordered_items,
    ordered_sections,
    version_content,
)
from surveys.models import Instrument, InstrumentVersion, Item

BASE = "/quan-tri/khao-sat"


@pytest.fixture
def setup(app, make_unit, make_user):
    load_shipped_instruments()
    province = make_unit("LS", kind="province")
    own = make_unit("LS-SNV", parent=province)
    other = make_unit("LS-STC", parent=province)
    db.session.commit()
    return {
        "own": own, "other": other,
        "admin": make_user(Role.SYSTEM_ADMIN),
        "analyst": make_user(Role.ANALYST, own),
        "stranger": make_user(Role.ANALYST, other),
        "handler": make_user(Role.HANDLER, own),
        "desk": get_version(DESK_FORM_CODE),
    }


def _own_draft(setup, code: str = "snv-quay") -> InstrumentVersion:
    draft = create_instrument(code, "Phiếu quầy Sở Nội vụ", "Home Affairs desk form",
                              setup["own"], None, from_version=get_version(QUICK_FORM_CODE))
    db.session.commit()
    return draft


def _denials() -> int:
    return db.session.scalar(db.select(db.func.count(AuditEntry.id))
                             .where(AuditEntry.action == "access.denied"))


def test_list_shows_shipped_and_own_forms_only(client, setup, login):
    _own_draft(setup)
    create_instrument("stc-quay", "Phiếu Sở Tài chính", None, setup["other"], None)
    db.session.commit()
    login(client, setup["analyst"])
    page = client.get(f"{BASE}/").get_data(as_text=True)
    assert "Questionnaires" in page  # the menu entry
    assert "sipas-qd1001" in page and "sipas-desk" in page and "quick-3" in page
    assert "snv-quay" in page and "stc-quay" not in page


def test_staff_without_the_permission_get_403(client, setup, login):
    login(client, setup["handler"])
    assert client.get(f"{BASE}/").status_code == 403
    assert "Questionnaires" not in client.get("/quan-tri/").get_data(as_text=True)


def test_version_page_previews_both_languages_without_edit_controls(client, setup, login):
    login(client, setup["admin"])
    desk = setup["desk"]
    response = client.get(f"{BASE}/phien-ban/{desk.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Công chức có thái độ giao tiếp lịch sự, tôn trọng người dân" in page
    assert "Civil servants are polite and respectful towards citizens" in page
    assert "Rất hài lòng" in page and "Very satisfied" in page
    assert "/cau-hoi/" not in page and "/phan/" not in page  # no editor links
    assert "Copy to a new draft" in page


def test_posts_to_a_published_version_answer_409_and_change_nothing(client, setup, login):
    login(client, setup["admin"])
    desk = setup["desk"]
    before = version_content(desk)
    section = ordered_sections(desk)[0]
    item = ordered_items(section)[0]
    form = {"code": "q9_24", "section_id": section.id, "answer_type": "scale5",
            "text_vi": "Đổi nội dung", "element": "II.A"}
    requests = [
        (f"{BASE}/cau-hoi/{item.id}/sua", form),
        (f"{BASE}/cau-hoi/{item.id}/xoa", {}),
        (f"{BASE}/cau-hoi/{item.id}/di-chuyen", {"direction": "down"}),
        (f"{BASE}/phien-ban/{desk.id}/cau-hoi/moi", {**form, "code": "moi"}),
        (f"{BASE}/phien-ban/{desk.id}/phan/moi", {"code": "X", "title_vi": "Mới"}),
        (f"{BASE}/phan/{section.id}/sua", {"code": "X", "title_vi": "Mới"}),
        (f"{BASE}/phan/{section.id}/di-chuyen", {"direction": "down"}),
        (f"{BASE}/phien-ban/{desk.id}/cong-bo", {}),
        (f"{BASE}/phien-ban/{desk.id}/xoa", {}),
    ]
    for url, data in requests:
        response = client.post(url, data=data)
        assert response.status_code == 409, url
        assert "cannot be changed" in response.get_data(as_text=True), url
    assert client.get(f"{BASE}/cau-hoi/{item.id}/sua").status_code == 409
    db.session.expire_all()
    assert version_content(db.session.get(InstrumentVersion, desk.id)) == before


def test_copy_edit_and_publish_the_national_form(client, setup, login):
    login(client, setup["admin"])
    desk = setup["desk"]
    response = client.post(f"{BASE}/phien-ban/{desk.id}/sao-chep")
    draft = db.session.scalars(db.select(InstrumentVersion).where(
        InstrumentVersion.instrument_id == desk.instrument_id,
        InstrumentVersion.status == "draft")).one()
    assert response.headers["Location"].endswith(f"/phien-ban/{draft.id}")
    assert draft.number == 2 and len(draft.items) == len(desk.items)
    assert "Edit section" in client.get(f"{BASE}/phien-ban/{draft.id}").get_data(as_text=True)
    assert client.post(f"{BASE}/phien-ban/{draft.id}/cong-bo").status_code == 302
    db.session.expire_all()
    assert get_version(DESK_FORM_CODE).id == draft.id
    assert db.session.get(InstrumentVersion, desk.id).status == "retired"


def test_agency_builds_and_publishes_its_own_form(client, setup, login):
    login(client, setup["analyst"])
    response = client.post(f"{BASE}/moi", data={
        "code": "snv-quay", "name_vi": "Phiếu quầy Sở Nội vụ", "name_en": "Desk form",
        "owner_unit_id": setup["own"].id, "from_version_id": 0})
    draft = db.session.scalars(db.select(InstrumentVersion).join(Instrument)
                               .where(Instrument.code == "snv-quay")).one()
    assert response.status_code == 302 and draft.instrument.owner_unit_id == setup["own"].id
    section = ordered_sections(draft)[0]
    new_item = f"{BASE}/phien-ban/{draft.id}/cau-hoi/moi"
    for code, answer_type in (("q_thai_do", "scale5"), ("q_cho", "yesno")):
        response = client.post(new_item, data={
            "code": code, "section_id": section.id, "answer_type": answer_type,
            "element": "II.C" if answer_type == "scale5" else "", "required": "y",
            "text_vi": f"Câu {code}", "text_en": f"Question {code}"})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    wait = db.session.scalars(db.select(Item).where(Item.code == "q_cho")).one()
    assert client.post(f"{BASE}/cau-hoi/{wait.id}/di-chuyen",
                       data={"direction": "up"}).status_code == 302
    response = client.post(f"{BASE}/cau-hoi/{wait.id}/sua", data={
        "code": "q_cho", "section_id": section.id, "answer_type": "single",
        "text_vi": "Thời gian chờ", "choices": "1|Dưới 15 phút|Under 15 minutes\n"
                                             "2|Trên 15 phút|Over 15 minutes"})
    assert response.status_code == 302
    db.session.expire_all()
    assert [i.code for i in ordered_items(section)] == ["q_cho", "q_thai_do"]
    assert wait.choices[1] == {"value": 2, "vi": "Trên 15 phút", "en": "Over 15 minutes"}
    page = client.get(f"{BASE}/phien-ban/{draft.id}").get_data(as_text=True)
    assert "Dưới 15 phút" in page and "Under 15 minutes" in page
    assert client.post(f"{BASE}/phien-ban/{draft.id}/cong-bo").status_code == 302
    assert get_version("snv-quay").id == draft.id


def test_bad_item_input_is_shown_beside_the_field_and_nothing_is_saved(client, setup, login):
    draft = _own_draft(setup)
    section = ordered_sections(draft)[0]
    count = len(draft.items)
    login(client, setup["analyst"])
    response = client.post(f"{BASE}/phien-ban/{draft.id}/cau-hoi/moi", data={
        "code": "q_loai", "section_id": section.id, "answer_type": "single",
        "text_vi": "Loại hồ sơ", "choices": "một|Đất đai"})
    assert response.status_code == 400
    assert "Line 1: write value|Vietnamese|English" in response.get_data(as_text=True)
    response = client.post(f"{BASE}/phien-ban/{draft.id}/cau-hoi/moi", data={
        "code": "overall3", "section_id": section.id, "answer_type": "scale3",
        "text_vi": "Lặp mã"})
    assert response.status_code == 409
    assert "already used in this version" in response.get_data(as_text=True)
    db.session.expire_all()
    assert len(db.session.get(InstrumentVersion, draft.id).items) == count


def test_publishing_an_empty_draft_is_refused(client, setup, login):
    login(client, setup["analyst"])
    draft = create_instrument("snv-trong", "Phiếu trống", None, setup["own"], None)
    db.session.commit()
    response = client.post(f"{BASE}/phien-ban/{draft.id}/cong-bo")
    assert response.status_code == 409
    assert "Add at least one item before publishing" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(InstrumentVersion, draft.id).status == "draft"


def test_another_units_analyst_gets_404_and_the_attempt_is_logged(client, setup, login):
    draft = _own_draft(setup)
    item = draft.items[0]
    before = version_content(draft)
    login(client, setup["stranger"])
    assert client.get(f"{BASE}/phien-ban/{draft.id}").status_code == 404
    response = client.post(f"{BASE}/cau-hoi/{item.id}/sua", data={
        "code": "hack", "section_id": item.section_id, "answer_type": "scale3",
        "text_vi": "Đổi"})
    assert response.status_code == 404
    assert client.post(f"{BASE}/phien-ban/{draft.id}/cong-bo").status_code == 404
    assert "snv-quay" not in client.get(f"{BASE}/").get_data(as_text=True)
    assert _denials() == 3
    db.session.expire_all()
    assert version_content(db.session.get(InstrumentVersion, draft.id)) == before


def test_only_a_system_wide_grant_changes_a_national_form(client, setup, login):
    login(client, setup["analyst"])
    desk = setup["desk"]
    assert client.get(f"{BASE}/phien-ban/{desk.id}").status_code == 200
    assert client.post(f"{BASE}/phien-ban/{desk.id}/sao-chep").status_code == 403
    assert client.post(f"{BASE}/phien-ban/{desk.id}/ngung").status_code == 403
    assert _denials() == 2
    db.session.expire_all()
    assert len(db.session.get(Instrument, desk.instrument_id).versions) == 1
    assert get_version(DESK_FORM_CODE).id == desk.id


def test_an_analyst_cannot_create_a_form_for_another_unit(client, setup, login):
    login(client, setup["analyst"])
    response = client.post(f"{BASE}/moi", data={
        "code": "stc-gia", "name_vi": "Giả", "owner_unit_id": setup["other"].id,
        "from_version_id": 0})
    assert response.status_code == 400  # not among the units offered
    assert db.session.scalar(db.select(Instrument).where(Instrument.code == "stc-gia")) is None


def test_retire_from_the_page(client, setup, login):
    login(client, setup["admin"])
    quick = get_version(QUICK_FORM_CODE)
    assert client.post(f"{BASE}/phien-ban/{quick.id}/ngung").status_code == 302
    db.session.expire_all()
    assert get_version(QUICK_FORM_CODE) is None
    page = client.get(f"{BASE}/phien-ban/{quick.id}").get_data(as_text=True)
    assert "Retired" in page and "Retire this version" not in page


def test_editor_pages_open_with_the_current_values(client_vi, setup, login):
    draft = _own_draft(setup)
    section = ordered_sections(draft)[0]
    overall = next(item for item in draft.items if item.code == "overall3")
    login(client_vi, setup["analyst"])
    page = client_vi.get(f"{BASE}/cau-hoi/{overall.id}/sua").get_data(as_text=True)
    assert "1|Không hài lòng|Not satisfied" in page  # choices as editable lines
    for url in (f"{BASE}/phien-ban/{draft.id}/cau-hoi/moi?section={section.id}",
                f"{BASE}/phien-ban/{draft.id}/phan/moi", f"{BASE}/phan/{section.id}/sua",
                f"{BASE}/moi?from={setup['desk'].id}", f"{BASE}/phien-ban/{draft.id}"):
        assert client_vi.get(url).status_code == 200, url
    page = client_vi.get(f"{BASE}/phien-ban/{draft.id}").get_data(as_text=True)
    assert f"/cau-hoi/{overall.id}/sua" in page  # a draft shows its edit controls


def test_moving_and_deleting_sections(client, setup, login):
    draft = _own_draft(setup)
    login(client, setup["analyst"])
    response = client.post(f"{BASE}/phien-ban/{draft.id}/phan/moi",
                           data={"code": "II.C", "title_vi": "Công chức", "element": "II.C"})
    assert response.status_code == 302
    first, second = ordered_sections(draft)
    assert client.post(f"{BASE}/phan/{second.id}/di-chuyen",
                       data={"direction": "up"}).status_code == 302
    db.session.expire_all()
    assert [s.code for s in ordered_sections(draft)] == ["II.C", "main"]
    response = client.post(f"{BASE}/phan/{first.id}/xoa")
    assert response.status_code == 409  # it still has items
    assert "Move or delete the items of this section first" in response.get_data(as_text=True)
    assert client.post(f"{BASE}/phan/{second.id}/xoa").status_code == 302
    db.session.expire_all()
    assert [s.code for s in ordered_sections(db.session.get(InstrumentVersion, draft.id))] == [
        first.code]


def test_a_draft_can_be_thrown_away(client, setup, login):
    draft = _own_draft(setup)
    draft_id, item_ids = draft.id, [item.id for item in draft.items]
    login(client, setup["analyst"])
    response = client.post(f"{BASE}/phien-ban/{draft_id}/xoa")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{BASE}/")
    db.session.expire_all()
    assert db.session.get(InstrumentVersion, draft_id) is None
    assert all(db.session.get(Item, item_id) is None for item_id in item_ids)
    assert client.get(f"{BASE}/phien-ban/{draft_id}").status_code == 404


def test_deleting_an_item_of_a_draft_in_a_fresh_session(client, setup, login):
    """The request loads nothing but the item: removing it from its version must not flush a
    half-removed row (it answered 500, found by tests/core/test_access_matrix.py)."""
    draft = _own_draft(setup)
    first, second = ordered_items(draft.sections[0])[:2]
    ids = (draft.id, first.id, second.id)
    login(client, setup["analyst"])
    db.session.remove()
    assert client.post(f"{BASE}/cau-hoi/{ids[1]}/xoa").status_code == 302
    assert db.session.get(Item, ids[1]) is None
    remaining = ordered_items(db.session.get(InstrumentVersion, ids[0]).sections[0])
    assert remaining[0].id == ids[2] and remaining[0].position == 1
