"""XLSForm import and export: the lossless round trip of every shipped form, a Kobo-style file
read field by field, the per-row refusals, bad files, and pyxform (Kobo's and ODK's own
converter) reading our export."""

from __future__ import annotations

import io
import zipfile

import pytest
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pyxform.xls2xform import convert

from core.extensions import db
from core.models import AuditEntry
from surveys.instrument_files import parse_instrument, read_instrument_file
from surveys.instruments import (
    get_version,
    import_instrument_draft,
    load_shipped_instruments,
    shipped_files,
    version_content,
)
from surveys.models import Instrument, InstrumentVersion
from surveys.xlsform import export_xlsform
from surveys.xlsform_import import read_xlsform
from surveys.xlsform_sheets import XLSFormError
from tests.surveys.xlsform_helpers import (
    KOBO_CHOICES,
    KOBO_SETTINGS,
    KOBO_SURVEY,
    with_rows,
    workbook_bytes,
)

SHIPPED = [path.stem for path in shipped_files()]


@pytest.fixture(autouse=True)
def english(app):
    """Messages in English here (outside a request the app speaks Vietnamese; the pages'
    tests check both languages)."""
    with force_locale("en"):
        yield


def _problems(data: bytes, filename: str = "form.xlsx") -> list[str]:
    with pytest.raises(XLSFormError) as caught:
        read_xlsform(data, filename)
    return caught.value.problems


@pytest.mark.parametrize("code", SHIPPED)
def test_round_trip_of_each_shipped_form_is_lossless(app, code):
    """Export → import gives the same definition, and a draft built from it is equal to the
    published version (the comparison the file loader uses for "unchanged")."""
    assert set(SHIPPED) == {"pakn-followup", "quick-3", "sipas-desk", "sipas-qd1001"}
    load_shipped_instruments()
    published = get_version(code)
    spec = read_xlsform(export_xlsform(published), f"{code}.xlsx").spec
    shipped = read_instrument_file(next(p for p in shipped_files() if p.stem == code))
    assert spec.content == version_content(published) == shipped.content
    assert (spec.code, spec.name_vi, spec.name_en) == (shipped.code, shipped.name_vi,
                                                       shipped.name_en)
    draft = import_instrument_draft(spec, None, None, f"{code}.xlsx")
    db.session.commit()
    assert draft.status == "draft" and draft.number == published.number + 1
    assert version_content(draft) == version_content(published)
    # Exporting the draft again gives the same sheets (only the version number differs).
    again = load_workbook(io.BytesIO(export_xlsform(draft)))
    first = load_workbook(io.BytesIO(export_xlsform(published)))
    for name in ("survey", "choices"):
        assert list(again[name].values) == list(first[name].values)


def test_round_trip_keeps_an_item_without_the_sections_element(app, make_unit):
    """In a section that rates II.A, an item may score nothing (a text item, or a rating
    written with "element": null); the export marks it ``none`` so the import does not give
    it the section's element."""
    spec = parse_instrument({
        "format": 1, "code": "ii-a-only", "name_vi": "Phiếu II.A",
        "version": {"title_vi": "Phiếu II.A"},
        "sections": [{"code": "II.A", "title_vi": "Tiếp cận", "element": "II.A", "items": [
            {"code": "rated", "answer_type": "scale5", "text_vi": "Câu tính điểm",
             "choices": [{"value": v, "vi": f"Mức {v}"} for v in range(1, 6)]},
            {"code": "unrated", "answer_type": "scale5", "element": None,
             "text_vi": "Câu không tính điểm",
             "choices": [{"value": v, "vi": f"Mức {v}"} for v in range(1, 6)]},
            {"code": "note_text", "answer_type": "text", "element": None,
             "text_vi": "Ghi chú", "max_length": 200}]}]})
    version = import_instrument_draft(spec, make_unit("IIA"), None, "ii-a.json")
    db.session.commit()
    exported = export_xlsform(version)
    rows = {row[1]: row for row in load_workbook(io.BytesIO(exported))["survey"].values}
    assert [rows[code][8] for code in ("rated", "unrated", "note_text")] == [
        "II.A", "none", "none"]
    again = read_xlsform(exported, "ii-a.xlsx").spec
    elements = [i["element"] for i in again.content["sections"][0]["items"]]
    assert elements == ["II.A", None, None]
    assert again.content == version_content(version) == spec.content


@pytest.mark.parametrize("code", SHIPPED)
def test_pyxform_converts_the_export(app, code, tmp_path):
    """Kobo and ODK read the export: pyxform turns it into an XForm with every item."""
    load_shipped_instruments()
    version = get_version(code)
    path = tmp_path / f"{code}.xlsx"
    path.write_bytes(export_xlsform(version))
    result = convert(xlsform=str(path), validate=False)
    for item in version.items:
        assert f"<{item.code}/>" in result.xform
    assert f'id="{code}"' in result.xform
    assert "Vietnamese (vi)" in result.xform and "English (en)" in result.xform


def test_export_sheets_follow_the_xlsform_columns(app):
    load_shipped_instruments()
    desk = get_version("sipas-desk")
    book = load_workbook(io.BytesIO(export_xlsform(desk)))
    survey = list(book["survey"].values)
    assert survey[0][:4] == ("type", "name", "label::Vietnamese (vi)", "label::English (en)")
    rows = {row[1]: row for row in reversed(survey[1:])}  # a group's begin row, not its end
    assert rows["intro"][0] == "note"
    assert rows["II.A"][0] == "begin group" and rows["II.A"][8] == "II.A"
    assert rows["q9_24"][0] == "select_one scale5" and rows["q9_24"][7] == "scale5"
    assert rows["q9_37"][0].startswith("select_one scale5_")  # the list with "not applicable"
    assert rows["comment"][0] == "text" and rows["comment"][5] == "string-length(.) <= 1000"
    choices = list(book["choices"].values)
    assert ("scale5", "5", "Rất hài lòng", "Very satisfied") in choices
    settings = list(book["settings"].values)
    assert settings[1][1] == "sipas-desk" and settings[1][2] == str(desk.number)


def test_kobo_file_imports_field_by_field(app, make_unit):
    unit = make_unit("KB")
    result = read_xlsform(workbook_bytes(), "kobo.xlsx")
    assert result.skipped == ["start", "end", "deviceid"]
    assert result.form_version == "2026-12-01"
    spec = result.spec
    assert (spec.code, spec.name_vi, spec.name_en) == ("kobo-thu", "Phiếu Kobo thử", None)
    content = spec.content
    assert content["title_vi"] == "Phiếu Kobo thử" and content["title_en"] is None
    assert (content["intro_vi"], content["intro_en"]) == ("Xin chào Ông/Bà", "Welcome")
    assert content["source"] == "XLSForm 2026-12-01"
    service, about = content["sections"]
    assert (service["code"], service["title_vi"], service["title_en"], service["element"]) == (
        "service", "Đánh giá dịch vụ", "Rating the service", None)
    polite, pakn = service["items"]
    assert polite == {
        "code": "q_polite", "element": None, "answer_type": "scale5", "required": True,
        "demographic": False, "text_vi": "Công chức lịch sự", "text_en": "Staff were polite",
        "choices": [{"value": 1, "vi": "Rất không hài lòng", "en": "Very dissatisfied"},
                    {"value": 2, "vi": "Không hài lòng", "en": "Dissatisfied"},
                    {"value": 3, "vi": "Bình thường", "en": "Neutral"},
                    {"value": 4, "vi": "Hài lòng", "en": "Satisfied"},
                    {"value": 5, "vi": "Rất hài lòng", "en": "Very satisfied"}],
        "max_length": None}
    assert pakn["answer_type"] == "scale3" and pakn["required"] is False
    assert [c["value"] for c in pakn["choices"]] == [1, 2, 3, 0]  # "na" → not applicable
    assert pakn["choices"][3] == {"value": 0, "vi": "Không áp dụng", "en": "Not applicable"}
    gender, visited, channels, comment = about["items"]
    assert gender["answer_type"] == "single"
    assert gender["choices"] == [{"value": 1, "vi": "Nam", "en": "Male"},
                                 {"value": 2, "vi": "Nữ", "en": "Female"},
                                 {"value": 3, "vi": "Khác", "en": None}]
    assert visited["answer_type"] == "yesno" and visited["required"] is True
    assert [(c["value"], c["vi"]) for c in visited["choices"]] == [(1, "Có"), (2, "Không")]
    assert channels["answer_type"] == "multi" and len(channels["choices"]) == 2
    assert comment == {"code": "comment", "element": None, "answer_type": "text",
                       "required": False, "demographic": False, "text_vi": "Góp ý",
                       "text_en": "Comments", "choices": None, "max_length": 500}
    version = import_instrument_draft(spec, unit, None, "kobo.xlsx")
    db.session.commit()
    instrument = db.session.scalar(db.select(Instrument).where(Instrument.code == "kobo-thu"))
    assert instrument.owner_unit_id == unit.id and version.status == "draft"
    assert [item.code for item in version.items] == [
        "q_polite", "q_pakn", "gender", "visited", "channels", "comment"]
    assert db.session.scalar(db.select(AuditEntry).where(
        AuditEntry.action == "survey_version.imported")).after["file"] == "kobo.xlsx"


def test_items_outside_groups_and_plain_label_column(app):
    survey = [("type", "name", "label"),
              ("select_one r4", "q1", "Mức độ quan tâm"),
              ("text", "q2", "Ghi chú")]
    choices = [("list_name", "name", "label")] + [("r4", n, f"Mức {n}") for n in range(1, 5)]
    settings = [("form_title", "form_id"), ("Phiếu gọn", "gon")]
    content = read_xlsform(workbook_bytes(survey, choices, settings)).spec.content
    (section,) = content["sections"]
    assert (section["code"], section["title_vi"]) == ("main", "Phiếu gọn")
    assert [i["answer_type"] for i in section["items"]] == ["scale4", "text"]
    assert section["items"][1]["max_length"] == 1000


def test_unsupported_rows_are_refused_one_message_per_row(app):
    survey = with_rows(
        ("geopoint", "where", "Vị trí", "Location", None, None, None, "b1"),
        ("integer", "age", "Tuổi", "Age", None, None, None, "b2"),
        ("select_one sat5", "Q_Bad", "Câu", None, None, None, None, "b3"),
        ("select_one missing_list", "q_x", "Câu", None, None, None, None, "b4"),
        ("text", "q_cond", "Câu", None, "${age} > 18", None, None, "b5"),
        ("note", "later", "Ghi chú", None, None, None, None, "b6"),
        ("select_one gender or_other", "q_o", "Câu", None, None, None, None, "b7"),
        ("text", "q_len", "Câu", None, None, None, ". > 3", "b8"),
        ("select_one", "q_nolist", "Câu", None, None, None, None, "b9"),
    )
    problems = _problems(workbook_bytes(survey=survey))
    assert problems == [
        "Row 7 (survey sheet): type geopoint is not supported; this system stores text, "
        "select_one and select_multiple questions.",
        "Row 8 (survey sheet): type integer is not supported; this system stores text, "
        "select_one and select_multiple questions.",
        "Row 9 (survey sheet): the name Q_Bad cannot be an item code: start with a lower-case "
        "letter and use a–z, 0–9 and _ only (at most 32).",
        "Row 10 (survey sheet): the list missing_list is not in the choices sheet.",
        "Row 11 (survey sheet): required must be yes or no, not ${age} > 18 (conditions are "
        "not supported).",
        "Row 12 (survey sheet): a note is only supported as the first row (the "
        "introduction).",
        "Row 13 (survey sheet): or_other is not supported; add an \"Other\" choice and a text "
        "question.",
        "Row 14 (survey sheet): the constraint . > 3 is not supported; only "
        "string-length(.) <= N for a text question.",
        "Row 15 (survey sheet): select_one needs the name of its list in the choices sheet, "
        "e.g. select_one satisfaction.",
    ]


def test_hints_skip_logic_repeats_and_other_languages_are_refused(app):
    survey = [("type", "name", "label::Vietnamese (vi)", "hint::Vietnamese (vi)", "relevant",
               "label::French (fr)"),
              ("begin group", "g", "Nhóm", None, None, None),
              ("text", "a", "Câu a", "Gợi ý", None, None),
              ("text", "b", "Câu b", None, "${a} != ''", None),
              ("begin repeat", "r", "Lặp", None, None, None),
              ("end group", None, None, None, None, None)]
    problems = _problems(workbook_bytes(survey=survey))
    assert problems[0].startswith("Survey sheet: column label::French (fr) is in a language")
    assert problems[1:] == [
        "Row 3 (survey sheet): hints are not supported; put the hint into the label or "
        "delete it.",
        "Row 4 (survey sheet): skip logic (relevant) is not supported: every question is "
        "shown to every respondent.",
        "Row 5 (survey sheet): repeats (begin repeat) are not supported: every question is "
        "asked once.",
    ]


def test_structure_problems(app):
    survey = [("type", "name", "label"),
              ("begin group", "g1", "Một"),
              ("begin group", "g2", "Hai"),
              ("end group", None, None),
              ("end group", None, None),
              ("text", "", "Không tên")]
    problems = _problems(workbook_bytes(survey=survey, choices=None))
    assert "Row 3 (survey sheet): a group inside a group is not supported: a questionnaire "\
           "here has one level of sections." in problems
    assert "Row 2 (survey sheet): the group g1 has no questions." in problems
    assert "Row 5 (survey sheet): end group without a begin group." in problems
    assert any(p.startswith("Row 6 (survey sheet): the name — cannot") for p in problems)


def test_choice_sheet_problems_and_missing_choices_sheet(app):
    choices = list(KOBO_CHOICES) + [("sat5", 5, "Trùng", None, None),
                                    ("gender", "x", None, "Unlabelled", None)]
    problems = _problems(workbook_bytes(choices=choices))
    assert problems == [
        "Row 18 (choices sheet): the name 5 is used twice in the list sat5.",
        "Row 19 (choices sheet): the choice has no Vietnamese label.",
    ]
    problems = _problems(workbook_bytes(choices=None))
    assert ("Row 6 (survey sheet): the question uses the list sat5 but the workbook has no "
            "choices sheet.") in problems


def test_shared_checks_report_the_row(app):
    """What the questionnaire-file checks refuse (here: a rating item scoring an element on a
    4-point list, a duplicate item code) comes back with the row it is on."""
    survey = [("type", "name", "label", "sipas_element"),
              ("begin group", "g", "Nhóm", None),
              ("select_one r4", "q1", "Câu 1", "II.A"),
              ("text", "q1", "Câu 1 lần nữa", None),
              ("end group", None, None, None)]
    choices = [("list_name", "name", "label")] + [("r4", n, f"Mức {n}") for n in range(1, 5)]
    problems = _problems(workbook_bytes(survey, choices, KOBO_SETTINGS))
    assert problems == [
        "Row 3 (survey sheet): only scale3 or scale5 items can score an element",
        "Row 4 (survey sheet): duplicate item code 'q1'",
    ]


@pytest.mark.parametrize(("data", "message"), [
    (b"type,name,label\ntext,a,A\n", "This is not an Excel .xlsx file"),
    (b"\xd0\xcf\x11\xe0" + b"\0" * 100, "This is an old Excel .xls file"),
    (b"PK\x03\x04broken", "could not be read as an Excel .xlsx workbook"),
    (workbook_bytes(survey=None), "The workbook has no sheet named survey"),
])
def test_bad_files_are_refused_with_a_clear_message(app, data, message):
    assert message in _problems(data)[0]


def _damaged_sheet() -> bytes:
    """A real workbook whose survey sheet XML is cut in the middle."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[:len(data) // 2]
            target.writestr(info, data)
    return out.getvalue()


def test_damaged_sheet_is_refused_not_a_crash(app):
    assert _problems(_damaged_sheet()) == [
        "The file could not be read as an Excel .xlsx workbook."]


def test_without_settings_the_file_name_is_the_code(app):
    spec = read_xlsform(workbook_bytes(settings=None), "phieu-quay.xlsx").spec
    assert (spec.code, spec.name_vi, spec.content["title_vi"]) == (
        "phieu-quay", "phieu-quay", "phieu-quay")


def test_too_large_file_is_413(app):
    with pytest.raises(XLSFormError) as caught:
        read_xlsform(b"PK\x03\x04" + b"\0" * 5_000_000)
    assert caught.value.status == 413
    assert caught.value.problems == ["The file is larger than 5 MB."]


def test_settings_problems(app):
    settings = [("form_title", "form_id", "default_language"), ("T", "Kobo Form", "French")]
    problems = _problems(workbook_bytes(settings=settings))
    assert problems == ["Settings sheet: default_language French is neither Vietnamese (vi) "
                        "nor English (en)."]
    settings = [("form_title", "form_id"), ("T", "Kobo Form")]
    assert _problems(workbook_bytes(settings=settings)) == [
        "Settings sheet: form_id Kobo Form cannot be a questionnaire code: use lower-case "
        "letters, digits, dot, dash or underscore (at most 64)."]


def test_refused_file_changes_nothing(app, make_unit):
    make_unit("KB")
    before = db.session.scalar(db.select(db.func.count(InstrumentVersion.id)))
    with pytest.raises(XLSFormError):
        read_xlsform(workbook_bytes(survey=with_rows(("integer", "n", "Số"))))
    assert db.session.scalar(db.select(db.func.count(InstrumentVersion.id))) == before


def test_kobo_survey_rows_used_by_the_tests_are_as_numbered():
    # Row numbers in the messages above count from this list: header = row 1.
    assert KOBO_SURVEY[5][1] == "q_polite" and KOBO_CHOICES[0][0] == "list_name"


CELL = st.one_of(st.none(), st.sampled_from([
    "text", "select_one sat5", "select_multiple gender", "begin group", "end group", "note",
    "integer", "select_one", "yes", "no", "II.A", "none", "scale5", "multi", "0", "na",
    "string-length(.) <= 5", "q_a", "Q b", "=1+1", ""]),
    # Control characters cannot be written into a workbook at all (openpyxl refuses them).
    st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=12),
    st.integers(-3, 7))


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(*[CELL] * 8), max_size=12))
def test_any_survey_sheet_is_imported_or_refused_never_a_crash(app, rows):
    """Whatever the cells hold, the import gives content that passed the shared checks or an
    XLSFormError with messages; nothing else escapes."""
    data = workbook_bytes(survey=[KOBO_SURVEY[0], *rows])
    try:
        result = read_xlsform(data, "fuzz.xlsx")
    except XLSFormError as error:
        assert error.problems and all(isinstance(p, str) and p for p in error.problems)
    else:
        assert parse_instrument({**_as_file(result.spec)}).content == result.spec.content


def _as_file(spec) -> dict:
    """A checked spec back in the questionnaire-file shape (what parse_instrument reads)."""
    content = spec.content
    return {"format": 1, "code": spec.code, "name_vi": spec.name_vi, "name_en": spec.name_en,
            "source": content["source"],
            "version": {key: content[key] for key in ("title_vi", "title_en", "intro_vi",
                                                      "intro_en")},
            "sections": content["sections"]}
