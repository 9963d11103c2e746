"""Build XLSForm workbooks in tests, the way Kobo and ODK write them."""

from __future__ import annotations

import io

from openpyxl import Workbook

KOBO_SURVEY = [
    ("type", "name", "label::Vietnamese (vi)", "label::English (en)", "required",
     "appearance", "constraint", "$kuid"),
    ("start", "start", None, None, None, None, None, "a1"),
    ("end", "end", None, None, None, None, None, "a2"),
    ("note", "welcome", "Xin chào Ông/Bà", "Welcome", None, None, None, "a3"),
    ("begin_group", "service", "Đánh giá dịch vụ", "Rating the service", None, None, None,
     "a4"),
    ("select_one sat5", "q_polite", "Công chức lịch sự", "Staff were polite", "true",
     "likert", None, "a5"),
    ("select_one sat3na", "q_pakn", "Xử lý phản ánh", "Handling of feedback", "false",
     None, None, "a6"),
    ("end_group", None, None, None, None, None, None, "a7"),
    ("begin group", "about", "Về Ông/Bà", "About you", None, None, None, "a8"),
    ("select_one gender", "gender", "Giới tính", "Gender", None, "minimal", None, "a9"),
    ("select_one yn", "visited", "Ông/Bà đã đến trước đây?", "Been here before?", "yes",
     None, None, "a10"),
    ("select_multiple channels", "channels", "Kênh thông tin", "Channels", None, None,
     None, "a11"),
    ("text", "comment", "Góp ý", "Comments", None, "multiline",
     "string-length(.) <= 500", "a12"),
    ("end group", None, None, None, None, None, None, "a13"),
    ("deviceid", "deviceid", None, None, None, None, None, "a14"),
]
KOBO_CHOICES = [
    ("list_name", "name", "label::Vietnamese (vi)", "label::English (en)", "$autovalue"),
    ("sat5", 1, "Rất không hài lòng", "Very dissatisfied", "x"),
    ("sat5", 2, "Không hài lòng", "Dissatisfied", None),
    ("sat5", 3, "Bình thường", "Neutral", None),
    ("sat5", 4, "Hài lòng", "Satisfied", None),
    ("sat5", 5, "Rất hài lòng", "Very satisfied", None),
    ("sat3na", "1", "Không hài lòng", "Not satisfied", None),
    ("sat3na", "2", "Hài lòng", "Satisfied", None),
    ("sat3na", "3", "Rất hài lòng", "Very satisfied", None),
    ("sat3na", "na", "Không áp dụng", "Not applicable", None),
    ("gender", "male", "Nam", "Male", None),
    ("gender", "female", "Nữ", "Female", None),
    ("gender", "other", "Khác", None, None),
    ("yn", "yes", "Có", "Yes", None),
    ("yn", "no", "Không", "No", None),
    ("channels", "tv", "Truyền hình", "Television", None),
    ("channels", "web", "Trang thông tin điện tử", "Website", None),
]
KOBO_SETTINGS = [
    ("form_title", "form_id", "version", "default_language"),
    ("Phiếu Kobo thử", "kobo-thu", "2026-12-01", "Vietnamese (vi)"),
]


def workbook_bytes(survey=KOBO_SURVEY, choices=KOBO_CHOICES, settings=KOBO_SETTINGS) -> bytes:
    """An .xlsx with the given sheets (None leaves a sheet out)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in (("survey", survey), ("choices", choices), ("settings", settings)):
        if rows is None:
            continue
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_rows(*extra, at: int = 7) -> list[tuple]:
    """The Kobo survey with rows inserted before row ``at`` (Excel numbering, header = 1)."""
    rows = list(KOBO_SURVEY)
    return rows[:at - 1] + list(extra) + rows[at - 1:]
