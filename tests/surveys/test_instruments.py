"""Questionnaires as versioned data: the shipped files, loading, versions, draft editing and
the file checks."""

from __future__ import annotations

import json
import shutil
import unicodedata
from collections import Counter

import flask_babel
import pytest

from core.exceptions import ServiceError
from core.extensions import db
from core.models import AuditEntry
from surveys.followups import FOLLOWUP_FORM_CODE
from surveys.instrument_files import InstrumentFileError, parse_instrument, read_instrument_file
from surveys.instruments import (
    DATA_DIR,
    DESK_FORM_CODE,
    HOUSEHOLD_FORM_CODE,
    QUICK_FORM_CODE,
    ItemData,
    SectionData,
    add_item,
    add_section,
    create_draft,
    create_instrument,
    delete_item,
    element_summary,
    get_version,
    load_instrument_file,
    load_shipped_instruments,
    move_item,
    ordered_items,
    ordered_sections,
    publish_version,
    retire_version,
    update_item,
    version_content,
)
from surveys.models import InstrumentVersion, Item, VersionStatus


@pytest.fixture
def english(app):
    """Service messages in English (the default outside a request is Vietnamese)."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        flask_babel.refresh()
        yield
    flask_babel.refresh()


@pytest.fixture
def shipped(app):
    results = load_shipped_instruments()
    db.session.commit()
    return {result.version.instrument.code: result.version for result in results}


def _items(version: InstrumentVersion) -> dict[str, Item]:
    return {item.code: item for item in version.items}


def test_each_shipped_file_loads_as_a_published_version(shipped):
    assert set(shipped) == {HOUSEHOLD_FORM_CODE, DESK_FORM_CODE, QUICK_FORM_CODE,
                            FOLLOWUP_FORM_CODE}
    for code, version in shipped.items():
        assert version.status == VersionStatus.PUBLISHED.value and version.number == 1
        assert get_version(code) is version


def test_shipped_files_are_nfc_utf8_json():
    for path in sorted(DATA_DIR.glob("*.json")):
        text = path.read_bytes().decode("utf-8")
        assert unicodedata.normalize("NFC", text) == text, path.name
        json.loads(text)


def test_household_form_has_every_part_with_the_right_counts(shipped):
    version = shipped[HOUSEHOLD_FORM_CODE]
    items = _items(version)
    q9 = [code for code in items if code.startswith("q9_")]
    assert q9 == [f"q9_{n}" for n in range(1, 40)]
    # SIPAS_ITEMS.md Q9 table: I.A 1–2, I.B 3–4, I.C 5–13, I.D 14–23, II.A 24–26, II.B 27–30,
    # II.C 31–33, II.D 34–36, II.E 37–39.
    assert element_summary(version) == {"I.A": 2, "I.B": 2, "I.C": 9, "I.D": 10, "II.A": 3,
                                        "II.B": 4, "II.C": 3, "II.D": 3, "II.E": 3}
    assert all(not items[code].required and items[code].answer_type == "scale5" for code in q9)
    by_prefix = Counter(code.split("_")[0] for code in items)
    assert by_prefix["q1"] == 9 and by_prefix["q3"] == 7 and by_prefix["q7"] == 3
    assert by_prefix["q8"] == 7 and by_prefix["q10"] == 10
    assert items["q2"].answer_type == "multi" and len(items["q2"].choices) == 7
    assert items["q4"].answer_type == "single" and len(items["q4"].choices) == 4
    assert [len(items[c].choices) for c in ("q5", "q6")] == [3, 3]
    assert {items[f"q8_{n}"].answer_type for n in range(1, 8)} == {"yesno"}
    assert {items[f"q10_{n}"].answer_type for n in range(1, 11)} == {"scale4"}
    assert items["comment"].answer_type == "text" and items["comment"].max_length
    demographic = [item for item in version.items if item.demographic]
    assert {item.code for item in demographic} >= {"a_sex", "a_age", "a_education",
                                                    "a_occupation", "a_ethnicity"}
    assert all(not item.required for item in demographic)
    assert "không bắt buộc" in version.intro_vi  # the purpose notice for Part A


def test_household_scales_use_the_national_wording(shipped):
    items = _items(shipped[HOUSEHOLD_FORM_CODE])
    # SIPAS_ITEMS.md "Scales": interest, suitability, satisfaction, expectation.
    assert [c["vi"] for c in items["q1_1"].choices] == [
        "Không quan tâm theo dõi", "Khá quan tâm theo dõi", "Quan tâm theo dõi",
        "Rất quan tâm theo dõi"]
    assert items["q3_1"].choices[3]["vi"] == "Rất phù hợp"
    assert [c["vi"] for c in items["q9_1"].choices] == [
        "Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"]
    assert items["q10_1"].choices[0]["vi"] == "Không mong muốn"
    assert items["q1_9"].text_vi == "Cải cách hành chính"


def test_q9_texts_match_the_reference(shipped):
    # Copied from /work/shared/SIPAS_ITEMS.md, Q9 table.
    expected = {
        "q9_24": "Trung tâm/Điểm phục vụ HCC có biển hiệu, hướng dẫn rõ ràng, dễ tìm, dễ thấy",
        "q9_31": "Công chức có thái độ giao tiếp lịch sự, tôn trọng người dân",
        "q9_39": "Thông báo kết quả xử lý phản ánh, kiến nghị kịp thời",
        "q9_2": "Chính quyền cung cấp thông tin chính sách đầy đủ, dễ hiểu",
    }
    for form in (HOUSEHOLD_FORM_CODE, DESK_FORM_CODE):
        items = _items(shipped[form])
        for code, text in expected.items():
            if code in items:
                assert items[code].text_vi == text, (form, code)
                assert items[code].text_en


def test_desk_form_is_part_two_with_overall_and_comment(shipped):
    version = shipped[DESK_FORM_CODE]
    items = _items(version)
    assert element_summary(version) == {"II.A": 3, "II.B": 4, "II.C": 3, "II.D": 3, "II.E": 3}
    element_items = [item for item in version.items if item.element]
    assert sorted(item.code for item in element_items) == sorted(
        f"q9_{n}" for n in range(24, 40))
    # Issue 15: no item is forced on a respondent it may not concern (QĐ 1001 counts valid
    # answers only); the form asks for at least one rating instead (surveys.responses).
    assert all(not item.required and item.answer_type == "scale5" for item in element_items)
    assert set(items) - {item.code for item in element_items} == {"overall", "comment"}
    assert items["overall"].answer_type == "scale5" and items["overall"].element is None
    assert not items["overall"].required
    assert items["comment"].answer_type == "text" and items["comment"].max_length == 1000
    # One section per element, so the citizen page shows one fieldset per element.
    assert [s.element for s in ordered_sections(version)][:5] == [
        "II.A", "II.B", "II.C", "II.D", "II.E"]


def test_quick_form_has_three_levels(shipped):
    items = _items(shipped[QUICK_FORM_CODE])
    assert set(items) == {"overall3", "comment"}
    assert items["overall3"].answer_type == "scale3" and items["overall3"].required
    assert [c["vi"] for c in items["overall3"].choices] == [
        "Không hài lòng", "Hài lòng", "Rất hài lòng"]
    assert not items["comment"].required


def test_loading_twice_changes_nothing(shipped):
    before = db.session.scalar(db.select(db.func.count(InstrumentVersion.id)))
    again = load_shipped_instruments()
    assert {result.outcome for result in again} == {"unchanged"}
    assert {result.version.id for result in again} == {v.id for v in shipped.values()}
    assert db.session.scalar(db.select(db.func.count(InstrumentVersion.id))) == before == 4


def test_changed_file_makes_version_two_and_retires_version_one(app, tmp_path):
    path = tmp_path / "desk.json"
    shutil.copy(DATA_DIR / "sipas-desk.json", path)
    first = load_instrument_file(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["sections"][0]["items"][0]["text_en"] = "Clear signs"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    second = load_instrument_file(path)
    db.session.commit()
    assert (first.number, first.status) == (1, "retired") and first.retired_at is not None
    assert (second.number, second.status) == (2, "published")
    assert _items(first)["q9_24"].text_en != "Clear signs"  # version 1 kept as it was
    assert get_version(DESK_FORM_CODE) is second
    assert load_instrument_file(path) is second
    actions = db.session.scalars(db.select(AuditEntry.action)).all()
    assert actions.count("survey_version.loaded") == 2
    assert actions.count("survey_version.retired") == 1


def test_broken_file_reports_every_problem(app, tmp_path):
    data = json.loads((DATA_DIR / "quick-3.json").read_text(encoding="utf-8"))
    items = data["sections"][0]["items"]
    items[0]["answer_type"] = "scale7"
    items.append({"code": "overall3", "answer_type": "scale5", "text_vi": "Lặp lại"})
    items.append({"code": "q9_99", "answer_type": "scale5", "element": "III.Z",
                  "text_vi": "Không có thang", "required": True})
    items.append({"code": "nhan_xet", "answer_type": "text", "text_en": "No Vietnamese",
                  "max_length": 100})
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InstrumentFileError) as caught:
        load_instrument_file(path)
    message = str(caught.value)
    assert "unknown answer type 'scale7'" in message
    assert "duplicate item code 'overall3'" in message
    assert "scale5 is a rating type but the item has no scale or choices" in message
    assert "element 'III.Z' is not one of" in message
    assert "text_vi is missing" in message
    # One problem each for scale7, q9_99's element and nhan_xet's text; two for the repeated
    # overall3 (duplicate, no scale) and q9_99 (bad element, no scale): 6 in all.
    assert len(caught.value.problems) == 6
    assert isinstance(caught.value, ValueError)
    assert db.session.scalar(db.select(db.func.count(InstrumentVersion.id))) == 0


def test_file_rules_on_flags_elements_and_lengths():
    data = json.loads((DATA_DIR / "sipas-qd1001.json").read_text(encoding="utf-8"))
    sections = {section["code"]: section for section in data["sections"]}
    sections["A"]["items"][0]["required"] = True
    sections["Q1"]["items"][0]["element"] = "II.A"
    sections["Q2"]["items"][0]["max_length"] = 5
    sections["Q3"]["items"][0]["choices"] = [{"value": 1, "vi": "a"}, {"value": 1, "vi": "b"}]
    with pytest.raises(InstrumentFileError) as caught:
        parse_instrument(data)
    assert caught.value.problems == [
        "section A, items[0] (a_sex): demographic items must be optional",
        "section Q1, items[0] (q1_1): only scale3 or scale5 items can score an element",
        "section Q2, items[0] (q2): max_length is only for text items",
        "section Q3, items[0] (q3_1) choices[1]: duplicate value 1",
    ]


@pytest.mark.parametrize(("raw", "problem"), [
    (b"\xff\xfe{", "not valid UTF-8"),
    (b'{"format": 1,', "not valid JSON"),
    (b'{"format": 2, "typo": 1}', "unknown field 'typo'"),
])
def test_unreadable_files_say_why(tmp_path, raw, problem):
    path = tmp_path / "bad.json"
    path.write_bytes(raw)
    with pytest.raises(InstrumentFileError, match=problem):
        read_instrument_file(path)


def test_decomposed_text_loads_as_the_same_content(app, tmp_path):
    first = load_instrument_file(DATA_DIR / "quick-3.json")
    text = (DATA_DIR / "quick-3.json").read_text(encoding="utf-8")
    path = tmp_path / "quick-nfd.json"
    path.write_text(unicodedata.normalize("NFD", text), encoding="utf-8")
    assert load_instrument_file(path) is first


def test_published_version_cannot_be_edited(shipped, english):
    version = shipped[DESK_FORM_CODE]
    item = _items(version)["q9_24"]
    before = version_content(version)
    section_id = ordered_sections(version)[0].id
    attempts = [
        lambda: add_item(version, ItemData(code="new", section_id=section_id,
                                           answer_type="scale5", text_vi="Mới")),
        lambda: update_item(item, ItemData(code="q9_24", section_id=section_id,
                                           answer_type="scale5", text_vi="Đổi")),
        lambda: move_item(item, +1),
        lambda: delete_item(item),
        lambda: add_section(version, SectionData(code="x", title_vi="X")),
        lambda: publish_version(version, None),
    ]
    for attempt in attempts:
        with pytest.raises(ServiceError) as caught:
            attempt()
        assert caught.value.status == 409
        assert "no longer a draft" in caught.value.message
    db.session.rollback()
    assert version_content(db.session.get(InstrumentVersion, version.id)) == before


def test_draft_copy_edit_and_publish_retires_the_old_version(shipped, english):
    old = shipped[QUICK_FORM_CODE]
    draft = create_draft(old, None)
    assert (draft.number, draft.status) == (2, "draft")
    section = ordered_sections(draft)[0]
    item = add_item(draft, ItemData(code="wait", section_id=section.id, answer_type="yesno",
                                    text_vi="Ông/Bà có phải chờ lâu không?"))
    assert [c["vi"] for c in item.choices] == ["Có", "Không"]  # default yes/no labels
    move_item(item, -1)
    assert [i.code for i in ordered_items(section)] == ["overall3", "wait", "comment"]
    published = publish_version(draft, None)
    db.session.commit()
    assert published.status == "published" and old.status == "retired"
    assert get_version(QUICK_FORM_CODE) is published
    assert "wait" not in _items(old)


def test_publish_checks_the_draft(make_unit, english):
    unit = make_unit()
    draft = create_instrument("ls-quick", "Phiếu nhanh", None, unit, None)
    with pytest.raises(ServiceError, match="at least one item"):
        publish_version(draft, None)
    section = ordered_sections(draft)[0]
    add_item(draft, ItemData(code="q1", section_id=section.id, answer_type="scale3",
                             text_vi="Hài lòng?"))
    add_section(draft, SectionData(code="empty", title_vi="Trống"))
    with pytest.raises(ServiceError, match="empty"):
        publish_version(draft, None)
    assert draft.status == "draft"


def test_item_checks_refuse_bad_input(make_unit, english):
    draft = create_instrument("ls-own", "Phiếu riêng", "Own form", make_unit(), None)
    section = ordered_sections(draft)[0]
    base = {"section_id": section.id, "text_vi": "Câu hỏi"}
    add_item(draft, ItemData(code="q1", answer_type="scale5", **base))
    cases = [
        (ItemData(code="q1", answer_type="scale5", **base), "code", 409),
        (ItemData(code="Q 1", answer_type="scale5", **base), "code", 400),
        (ItemData(code="q2", answer_type="scale4", **base), "choices", 400),
        (ItemData(code="q2", answer_type="single", choices=[{"value": 1, "vi": "A"}], **base),
         "choices", 400),
        (ItemData(code="q2", answer_type="yesno", element="II.A", **base), "element", 400),
        (ItemData(code="q2", answer_type="scale5", element="II.Z", **base), "element", 400),
        (ItemData(code="q2", answer_type="single", demographic=True, required=True,
                  choices=[{"value": 1, "vi": "A"}, {"value": 2, "vi": "B"}], **base),
         "required", 400),
    ]
    for data, field, status in cases:
        with pytest.raises(ServiceError) as caught:
            add_item(draft, data)
        assert (caught.value.field, caught.value.status) == (field, status), data


def test_new_version_is_refused_for_an_agency_code(make_unit, tmp_path, english):
    create_instrument("quick-3", "Phiếu của sở", None, make_unit(), None)
    with pytest.raises(ServiceError, match="agency's own questionnaire"):
        load_instrument_file(DATA_DIR / "quick-3.json")


def test_retire_only_published(shipped, english):
    version = retire_version(shipped[QUICK_FORM_CODE], None)
    assert version.status == "retired" and get_version(QUICK_FORM_CODE) is None
    with pytest.raises(ServiceError, match="Only a published version"):
        retire_version(version, None)


def test_cli_loads_the_shipped_files_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["surveys", "load-instruments"])
    assert first.exit_code == 0, first.output
    assert "sipas-desk: version 1 (created, 18 items)" in first.output  # 16 + overall + comment
    # Part A 6 + Q1 9 + Q2 1 + Q3 7 + Q4–Q6 3 + Q7 3 + Q8 7 + Q9 39 + Q10 10 + comment 1
    # + Part C 3 (interviewer, place, date) = 89
    assert "sipas-qd1001: version 1 (created, 89 items)" in first.output
    # The PAKN follow-up form: the three II.E items and "solved?" (issue 14 §1).
    assert "pakn-followup: version 1 (created, 4 items)" in first.output
    second = runner.invoke(args=["surveys", "load-instruments"])
    assert second.output.count("(unchanged") == 4
    entry = db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action == "survey_version.loaded"))
    assert entry.actor_label == "cli:surveys load-instruments"


def test_cli_reports_every_problem_and_loads_nothing(app, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": 1, "code": "Bad Code", "sections": []}', encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["surveys", "load-instruments", str(DATA_DIR / "quick-3.json"), str(bad)])
    assert result.exit_code == 1
    for problem in ("code: must be lower-case", "name_vi is missing", "version: must be an "
                    "object", "sections: must be a non-empty list"):
        assert problem in result.output
    assert db.session.scalar(db.select(db.func.count(InstrumentVersion.id))) == 0
