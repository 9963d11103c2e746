"""The unit import's file format: which headers name which field, which words name a kind,
and how one cell is checked and read. ``core.unit_import`` checks rows against the database.

Headers are matched folded (lower case, no accents, "_" and "-" as spaces), so "Mã đơn vị cha",
"ma don vi cha" and "parent_code" all name the parent column.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _

from core.models import UnitKind
from core.spreadsheets import text_problem
from core.text import fold

# Kept equal to core.views.admin.units.CODE_PATTERN (services do not import views; a test checks).
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
MAX_SORT_ORDER = 100_000

# Header (folded: lower case, no accents, "_" and "-" as spaces) → field.
COLUMN_ALIASES = {
    "code": "code", "ma": "code", "ma don vi": "code",
    "parent code": "parent_code", "ma don vi cha": "parent_code", "ma cha": "parent_code",
    "name vi": "name_vi", "name": "name_vi", "ten": "name_vi", "ten don vi": "name_vi",
    "name en": "name_en", "ten tieng anh": "name_en",
    "kind": "kind", "loai": "kind", "loai don vi": "kind",
    "hotline": "hotline", "duong day nong": "hotline", "dien thoai": "hotline",
    "email": "email", "e mail": "email", "thu dien tu": "email",
    "address": "address", "dia chi": "address",
    "opening hours": "opening_hours", "gio lam viec": "opening_hours",
    "sort order": "sort_order", "thu tu": "sort_order",
    "active": "active", "hoat dong": "active",
}
# The header row of the downloadable template, by locale.
TEMPLATE_HEADERS = {
    "vi": ["Mã", "Mã đơn vị cha", "Tên", "Tên tiếng Anh", "Loại", "Đường dây nóng", "Email",
           "Địa chỉ", "Giờ làm việc", "Thứ tự", "Hoạt động"],
    "en": ["code", "parent_code", "name_vi", "name_en", "kind", "hotline", "email", "address",
           "opening_hours", "sort_order", "active"],
}
# Vietnamese labels (folded) accepted for each kind, besides the UnitKind values themselves:
# tỉnh/thành phố → province; sở, ban, ngành, cơ quan → agency; phòng → department;
# trung tâm (phục vụ hành chính công), bộ phận một cửa → service_centre;
# xã, phường, thị trấn, đặc khu → commune; quầy → desk; khác → other.
KIND_ALIASES = {
    **{kind.value.replace("_", " "): kind.value for kind in UnitKind},
    **dict.fromkeys(["tinh", "thanh pho", "tinh/thanh pho"], UnitKind.PROVINCE.value),
    **dict.fromkeys(["so", "ban", "nganh", "co quan", "so/ban/nganh"], UnitKind.AGENCY.value),
    **dict.fromkeys(["phong", "phong ban"], UnitKind.DEPARTMENT.value),
    **dict.fromkeys(["trung tam", "trung tam phuc vu hanh chinh cong", "bo phan mot cua",
                     "mot cua"], UnitKind.SERVICE_CENTRE.value),
    **dict.fromkeys(["xa", "phuong", "thi tran", "dac khu", "xa/phuong"],
                    UnitKind.COMMUNE.value),
    **dict.fromkeys(["quay", "quay giao dich", "quay tiep nhan"], UnitKind.DESK.value),
    "khac": UnitKind.OTHER.value,
}
# The same words with their accents, as the import page lists them.
KIND_WORDS_VI = {
    UnitKind.PROVINCE.value: "tỉnh, thành phố", UnitKind.AGENCY.value: "sở, ban, ngành, cơ quan",
    UnitKind.DEPARTMENT.value: "phòng", UnitKind.SERVICE_CENTRE.value:
    "trung tâm, bộ phận một cửa", UnitKind.COMMUNE.value: "xã, phường, thị trấn, đặc khu",
    UnitKind.DESK.value: "quầy", UnitKind.OTHER.value: "khác",
}
TRUE_WORDS = {"1", "true", "yes", "y", "x", "co", "hoat dong"}
FALSE_WORDS = {"0", "false", "no", "n", "khong", "ngung", "ngung hoat dong"}
MAX_LENGTHS = {"code": 40, "parent_code": 40, "name_vi": 255, "name_en": 255, "kind": 64,
               "hotline": 40, "email": 254, "address": 500, "opening_hours": 500,
               "sort_order": 12, "active": 20}
MULTILINE = {"address", "opening_hours"}
DATA_FIELDS = ("name_vi", "name_en", "kind", "hotline", "email", "address", "opening_hours",
               "sort_order")


def parse_cell(name: str, text: str) -> tuple[str | None, Any]:
    """(problem, value) for one non-empty cell; problem is a translated message or None."""
    problem = text_problem(text, MAX_LENGTHS[name], multiline=name in MULTILINE)
    if problem:
        return problem, None
    if name in ("code", "parent_code") and not re.match(CODE_PATTERN, text):
        return _("Use letters, digits, dot, dash or underscore only."), None
    if name == "email" and not re.match(EMAIL_PATTERN, text):
        return _("This is not a valid email address."), None
    if name == "kind":
        kind = KIND_ALIASES.get(fold(text))
        if kind is None:
            return _("Unknown kind. Use one of: %(kinds)s.",
                     kinds=", ".join(kind.value for kind in UnitKind)), None
        return None, kind
    if name == "sort_order":
        if not text.isascii() or not text.isdigit() or int(text) > MAX_SORT_ORDER:
            return _("Use a whole number from 0 to %(max)s.", max=MAX_SORT_ORDER), None
        return None, int(text)
    if name == "active":
        word = fold(text)
        if word not in TRUE_WORDS | FALSE_WORDS:
            return _("Use 1 (active) or 0 (inactive)."), None
        return None, word in TRUE_WORDS
    return None, text
