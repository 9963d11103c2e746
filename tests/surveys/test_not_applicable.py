"""Issue 15, items that do not apply: the shipped desk form requires at least one rating, not
every item; the PAKN items (II.E, q9_37-q9_39) offer "Không áp dụng (chưa gửi phản ánh, kiến
nghị)", stored as 0 and counted like a blank (QĐ 1001/QĐ-BNV counts valid answers only,
DOMAIN.md §2.1); the citizen form, paper entry and file imports accept blanks; the household
form has an optional Part C."""

from __future__ import annotations

import io

import pytest

from analysis.sipas import NOT_APPLICABLE
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Role
from surveys import instruments
from surveys.instrument_files import InstrumentFileError, parse_instrument
from surveys.models import Response, RollupDayResponses
from surveys.responses import SubmittedResponse, submit_response
from surveys.rollups import response_count_differences, rollup_differences
from tests.surveys.survey_page_helpers import POINT_CODE, build_desk, old_token

URL = f"/k/{POINT_CODE}"
PAKN_ITEMS = ("q9_37", "q9_38", "q9_39")
NA_VI = "Không áp dụng (chưa gửi phản ánh, kiến nghị)"
NA_EN = "Not applicable (I have not sent a report or recommendation)"
AT_LEAST_ONE_VI = "Ông/Bà vui lòng đánh giá ít nhất một câu hỏi."
IMPORTS = "/quan-tri/nhap-tep-khao-sat"


@pytest.fixture
def desk(app, make_unit):
    instruments.load_shipped_instruments()
    return build_desk(make_unit, version=instruments.get_version(instruments.DESK_FORM_CODE))


def form(desk, **answers: str) -> dict[str, str]:
    return {"started": old_token(desk.version.id), "website": "", **answers}


def responses() -> list[Response]:
    return db.session.scalars(db.select(Response).order_by(Response.id)).all()


def test_the_shipped_forms_require_no_single_desk_item_and_offer_na_on_pakn_items(desk):
    household = instruments.get_version(instruments.HOUSEHOLD_FORM_CODE)
    for version in (desk.version, household):
        items = {item.code: item for item in version.items}
        for code in PAKN_ITEMS:
            last = items[code].choices[-1]
            assert (last["value"], last["vi"], last["en"]) == (NOT_APPLICABLE, NA_VI, NA_EN)
        # The other items keep the plain 1-5 scale.
        assert [c["value"] for c in items["q9_24"].choices] == [1, 2, 3, 4, 5]
    assert not any(item.required for item in desk.version.items)
    quick = instruments.get_version(instruments.QUICK_FORM_CODE)
    assert [item.code for item in quick.items if item.required] == ["overall3"]


def test_household_form_has_an_optional_part_c(desk):
    household = instruments.get_version(instruments.HOUSEHOLD_FORM_CODE)
    part_c = next(section for section in household.sections if section.code == "C")
    assert [(item.code, item.answer_type, item.required) for item in part_c.items] == [
        ("c_interviewer", "text", False), ("c_place", "text", False),
        ("c_date", "text", False)]
    assert [item.text_vi for item in part_c.items] == [
        "Người phỏng vấn", "Địa điểm khảo sát", "Ngày khảo sát (ngày/tháng/năm)"]


def test_the_desk_form_shows_not_applicable_apart_from_the_scale(client_vi, desk):
    html = client_vi.get(URL).get_data(as_text=True)
    assert html.count(NA_VI) == 3
    block = html[html.index('id="q9_37-q"'):html.index('id="q9_38-q"')]
    scale, _sep, apart = block.partition('<div class="opts list">')
    assert scale.count('type="radio"') == 5 and 'value="0"' not in scale
    assert 'value="0"' in apart and NA_VI in apart and "<b>" not in apart
    assert ' required' not in block  # no item is forced on the citizen


def test_one_rating_is_enough_and_na_is_stored_as_not_applicable(client_vi, desk):
    sent = client_vi.post(URL, data=form(desk, q9_24="4", q9_37="0", q9_38="0"))
    assert sent.status_code == 303
    assert "pakn=1" not in sent.headers["Location"]  # "không áp dụng" is no low rating
    [stored] = responses()
    assert stored.answers == {"q9_24": 4, "q9_37": NOT_APPLICABLE, "q9_38": NOT_APPLICABLE}
    assert client_vi.post(URL, data=form(desk, q9_31="2")).status_code == 303
    assert [r.answers for r in responses()][1] == {"q9_31": 2}
    assert rollup_differences() == [] and response_count_differences() == []


@pytest.mark.parametrize("answers", [{}, {"comment": "Không có gì"},
                                     {"q9_37": "0", "q9_38": "0", "q9_39": "0"}])
def test_a_form_without_any_rating_is_refused_in_vietnamese(client_vi, desk, answers):
    refused = client_vi.post(URL, data=form(desk, **answers))
    assert refused.status_code == 400
    assert AT_LEAST_ONE_VI in refused.get_data(as_text=True)
    assert responses() == [] and db.session.scalar(
        db.select(db.func.count()).select_from(RollupDayResponses)) == 0


def test_not_applicable_only_where_the_item_offers_it(desk):
    with pytest.raises(ServiceError, match="q9_24"):
        submit_response(SubmittedResponse(version=desk.version, unit=desk.desk,
                                          channel="online", answers={"q9_24": 0}))


def test_paper_entry_takes_blanks_and_0_for_not_applicable(client, login, desk, make_user):
    login(client, make_user(Role.DESK_STAFF, desk.desk))
    page = f"/quan-tri/nhap-phieu/{desk.desk.id}/{desk.version.id}"
    html = client.get(page).get_data(as_text=True)
    assert f"1–5 · 0 = {NA_VI}" in html
    saved = client.post(page, data={"i_q9_27": "5", "i_q9_39": "0"})
    assert saved.status_code == 303
    assert responses()[0].answers == {"q9_27": 5, "q9_39": NOT_APPLICABLE}
    empty = client.post(page, data={"i_q9_39": "0"})
    assert empty.status_code == 400
    assert "Please rate at least one question." in empty.get_data(as_text=True)
    assert len(responses()) == 1


def _import(client, desk, content: bytes, action: str):
    sent = client.post(f"{IMPORTS}/", data={
        "file": (io.BytesIO(content), "phieu.csv"), "unit_id": desk.agency.id,
        "version_id": desk.version.id}, content_type="multipart/form-data")
    assert sent.status_code == 302, sent.get_data(as_text=True)[:500]
    token = sent.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    return client.post(f"{IMPORTS}/{token}", data={"action": action})


def test_an_import_with_blank_cells_and_not_applicable_imports_whole(client, login, desk,
                                                                     make_user):
    login(client, make_user(Role.UNIT_ADMIN, desk.agency))
    content = ("q9_24,q9_25,q9_37,q9_38,q9_39\n"
               '5,,"Không áp dụng (chưa gửi phản ánh, kiến nghị)",,\n'
               ",4,2,0,\n"
               "3,,,,N/A\n").encode()
    done = _import(client, desk, content, "import")
    assert done.status_code == 302, done.get_data(as_text=True)[:800]
    assert [r.answers for r in responses()] == [
        {"q9_24": 5, "q9_37": NOT_APPLICABLE},
        {"q9_25": 4, "q9_37": 2, "q9_38": NOT_APPLICABLE},
        {"q9_24": 3, "q9_39": NOT_APPLICABLE},
    ]
    assert response_count_differences() == []


def test_an_import_row_without_any_rating_is_refused_with_its_row(client, login, desk,
                                                                  make_user):
    login(client, make_user(Role.UNIT_ADMIN, desk.agency))
    content = "q9_24,q9_37,comment\n5,,\n,Không áp dụng,Không có ý kiến\n".encode()
    refused = _import(client, desk, content, "import")
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    errors = page.split('id="import-errors"')[1].split("</table>")[0]
    rows = [cell.split("</td>")[0] for cell in errors.split("<tr><td>")[1:]]
    assert rows == ["3"]  # the header is row 1; row 2 is fine
    assert "Please rate at least one question." in errors
    assert responses() == []  # all or nothing


def _spec(choices: list[dict], answer_type: str = "scale5") -> dict:
    return {"format": 1, "code": "thu", "name_vi": "Phiếu thử",
            "version": {"title_vi": "Phiếu thử"},
            "sections": [{"code": "s", "title_vi": "Phần", "items": [
                {"code": "q", "answer_type": answer_type, "text_vi": "Câu hỏi",
                 "choices": choices}]}]}


SCALE = [{"value": v, "vi": str(v)} for v in range(1, 6)]
NA_CHOICE = {"value": 0, "vi": "Không áp dụng"}


def test_the_file_checker_takes_na_after_a_rating_scale_only():
    parse_instrument(_spec([*SCALE, NA_CHOICE]))  # loads
    with pytest.raises(InstrumentFileError, match="comes last"):
        parse_instrument(_spec([NA_CHOICE, *SCALE]))
    with pytest.raises(InstrumentFileError, match="only for rating scales"):
        parse_instrument(_spec([{"value": 1, "vi": "A"}, {"value": 2, "vi": "B"}, NA_CHOICE],
                               answer_type="single"))
