"""Redaction of personal data from real-looking Vietnamese PAKN text (feedback.redaction)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.text import fold_same_length
from feedback.redaction import REPLACEMENTS, redact

# (snippet, the personal string that must disappear, its category)
PERSONAL = [
    # Phones in every format.
    ("Số điện thoại của tôi là 0912345678.", "0912345678", "phone"),
    ("Liên hệ 0912 345 678 để biết thêm.", "0912 345 678", "phone"),
    ("ĐT: 0912.345.678", "0912.345.678", "phone"),
    ("gọi số 0912-345-678 giúp tôi", "0912-345-678", "phone"),
    ("Zalo +84 912 345 678", "+84 912 345 678", "phone"),
    ("số 84912345678 không liên lạc được", "84912345678", "phone"),
    ("Điện thoại (+84) 983 111 222", "(+84) 983 111 222", "phone"),
    ("máy bàn 0205 387 1234 giờ hành chính", "0205 387 1234", "phone"),
    ("nhà tôi (0205) 3871234", "(0205) 3871234", "phone"),
    ("số cố định 024.3825.1234", "024.3825.1234", "phone"),
    ("Gọi 0356789012 hoặc 0708123456", "0708123456", "phone"),
    ("gọi 0912345678 2 lần không ai nghe", "0912345678", "phone"),
    # Emails.
    ("Email: an.nguyen@example.vn", "an.nguyen@example.vn", "email"),
    ("gửi về tranthib_1985@gmail.com giúp", "tranthib_1985@gmail.com", "email"),
    # ID numbers.
    ("CCCD số 001203012345 cấp ngày 12/03/2021", "001203012345", "id_number"),
    ("Căn cước công dân: 020190004567", "020190004567", "id_number"),
    ("CMND 123456789 do Công an tỉnh cấp", "123456789", "id_number"),
    ("chứng minh nhân dân số 082345671", "082345671", "id_number"),
    ("Số CCCD: 0012 0301 2345", "0012 0301 2345", "id_number"),
    ("mã số thuế cá nhân 8012345678", "8012345678", "id_number"),
    ("số định danh 037095001234 của con tôi", "037095001234", "id_number"),
    # Dossier codes.
    ("Hồ sơ 000.00.15.H42-250312-0001 bị trễ hẹn", "000.00.15.H42-250312-0001",
     "dossier_code"),
    ("mã hồ sơ: H42.15-250312-0001", "H42.15-250312-0001", "dossier_code"),
    ("hồ sơ số 2503/2025/HS-TTHC chưa giải quyết", "2503/2025/HS-TTHC", "dossier_code"),
    ("Số biên nhận: BN-0458", "BN-0458", "dossier_code"),
    # Addresses.
    ("Nhà tôi ở số 12 đường Trần Hưng Đạo, phường Đông Kinh", "số 12 đường Trần Hưng Đạo",
     "address"),
    ("địa chỉ số nhà 45, ngõ 3, phố Lê Lợi", "số nhà 45, ngõ 3, phố Lê Lợi", "address"),
    ("Gia đình tôi ở thôn Bản Chắt, xã Đình Lập", "thôn Bản Chắt", "address"),
    ("nhà ở xóm Đồng Bục bị ngập", "xóm Đồng Bục", "address"),
    ("tổ dân phố 5 phường Chi Lăng", "tổ dân phố 5", "address"),
    ("ấp Tân Lập, xã Tân Phú", "ấp Tân Lập", "address"),
    ("bản Nà Pàn, xã Kiên Mộc", "bản Nà Pàn", "address"),
    ("hẻm 12/4 đường Lê Lai sạt lở", "hẻm 12/4 đường Lê Lai", "address"),
    # Names after honorifics and in self-introductions.
    ("Tôi tên là Nguyễn Văn An, sinh năm 1980", "Nguyễn Văn An", "name"),
    ("Tôi là Lò Thị Hương, trú tại xã Đình Lập", "Lò Thị Hương", "name"),
    ("Họ tên: Trần Thị Bích Ngọc", "Trần Thị Bích Ngọc", "name"),
    ("Ông Nguyễn Văn Bình đến nộp hồ sơ", "Nguyễn Văn Bình", "name"),
    ("bà Hoàng Thị Lan phản ánh", "Hoàng Thị Lan", "name"),
    ("anh Đặng Quốc Huy ở bộ phận một cửa", "Đặng Quốc Huy", "name"),
    ("chị Lan gọi lại cho tôi", "Lan", "name"),
    ("cháu Vi Văn Thắng bị ốm", "Vi Văn Thắng", "name"),
    ("cụ Triệu Thị Sáu 85 tuổi", "Triệu Thị Sáu", "name"),
    ("ÔNG NGUYỄN VĂN AN KÍNH GỬI", "NGUYỄN VĂN AN", "name"),
    # Officials with titles: the name is removed too.
    ("Giám đốc Sở Nội vụ Nguyễn Văn Hùng đã ký", "Nguyễn Văn Hùng", "name"),
    ("Chủ tịch UBND xã Đình Lập Hoàng Văn Minh chưa trả lời", "Hoàng Văn Minh", "name"),
    ("cán bộ địa chính Phạm Đức Long làm khó dân", "Phạm Đức Long", "name"),
    # A person named without an honorific: family name, Văn/Thị, given name.
    ("hộ gia đình do Lục Văn Páo làm chủ", "Lục Văn Páo", "name"),
    # Bank accounts and vehicle plates (issue #15 item 5).
    ("STK 0123456789 Vietcombank", "0123456789", "bank_account"),
    ("Xe biển số 12A-345.67 đỗ chắn lối", "12A-345.67", "vehicle_plate"),
]

# Text that identifies nobody and must stay.
KEPT = [
    "Ngày 12/03/2025 tôi nộp hồ sơ.",
    "Hẹn trả kết quả ngày 01/04/2025 lúc 15:00.",
    "Lệ phí 1.200.000 đồng mà không có biên lai.",
    "số tiền 150000000 đồng đã nộp đủ",
    "Năm 2024 và năm 2025 đều chậm.",
    "theo Điều 147 Bộ luật Dân sự",
    "Nghị định số 61/2018/NĐ-CP và Quyết định số 12/QĐ-UBND",
    "UBND xã Đình Lập đã tiếp nhận.",
    "Sở Nội vụ tỉnh Lạng Sơn trả lời.",
    "phường Đông Kinh, thành phố Lạng Sơn",
    "Trung tâm Phục vụ hành chính công tỉnh",
    "Kính gửi ông/bà,",
    "An toàn giao thông trên quốc lộ 4B",
    "văn bản Hướng dẫn số 5 của Sở",
    "Học tập và làm theo tấm gương Bác Hồ",
    "tỉnh Bà Rịa – Vũng Tàu",
    "đường Nguyễn Văn Cừ bị ngập",
    "ông Chủ tịch UBND xã",
    "bà con trong thôn rất vui",
    "Quầy số 3 đông người, chờ 45 phút",
    "Đường dây nóng 1022 của tỉnh",
    "hồ sơ nộp trực tuyến mức độ 4",
    "giảm 20% thời gian, 10 ngày làm việc",
    "tổ công tác của xã",
]


@pytest.mark.parametrize(("snippet", "secret", "category"), PERSONAL)
def test_personal_data_is_removed(snippet, secret, category):
    result = redact(snippet)
    assert secret not in result.text, result.text
    assert REPLACEMENTS[category] in result.text, result.text
    span = next(s for s in result.spans if secret in s.text or s.text in secret)
    assert span.category == category
    # Offsets and removed text refer to the original snippet.
    assert snippet[span.start:span.end] == span.text


def test_at_least_thirty_personal_snippets():
    assert len(PERSONAL) >= 30
    assert {c for _s, _x, c in PERSONAL} == set(REPLACEMENTS)


@pytest.mark.parametrize("snippet", KEPT)
def test_non_personal_text_is_kept(snippet):
    result = redact(snippet)
    assert result.text == snippet
    assert result.spans == []


@pytest.mark.parametrize("text", [
    "Toi la Nguyen Van An, nha o Lang Son.",
    "NGUYEN VAN AN xin kiến nghị",
    "nguyễn văn an đề nghị",
    "Tôi là Nguyễn Văn An.",
])
def test_sender_name_with_and_without_diacritics(text):
    result = redact(text, known_names=["Nguyễn Văn An"])
    assert fold_same_length("nguyen van an") not in fold_same_length(result.text)
    assert "[họ tên]" in result.text


def test_sender_given_name_alone():
    text = "Mong các anh chị trả lời sớm cho An. An toàn giao thông ở tỉnh An Giang kém."
    result = redact(text, known_names=["Nguyễn Văn An"])
    assert result.text == ("Mong các anh chị trả lời sớm cho [họ tên]. An toàn giao thông ở "
                           "tỉnh An Giang kém.")


def test_contact_values_are_removed_wherever_they_are():
    text = "Gửi về 0912-345-678, thư mai.hoang@example.vn, Số 7 phố Bà Triệu."
    result = redact(text, known_values=[("phone", "0912345678"),
                                        ("email", "Mai.Hoang@example.vn"),
                                        ("address", "Số 7 phố Bà Triệu")])
    assert result.text == "Gửi về [số điện thoại], thư [email], [địa chỉ]."


def test_spans_are_sorted_non_overlapping_and_rebuild_the_text():
    text = ("Tôi là Nguyễn Văn An (CCCD 001203012345), ở số 12 đường Trần Hưng Đạo, "
            "ĐT 0912345678, email an@example.vn, hồ sơ 000.00.15.H42-250312-0001.")
    result = redact(text)
    assert [s.category for s in result.spans] == [
        "name", "id_number", "address", "phone", "email", "dossier_code"]
    ends = [0] + [s.end for s in result.spans]
    assert all(s.start >= e for s, e in zip(result.spans, ends, strict=False))
    rebuilt, cursor = [], 0
    for span in result.spans:
        rebuilt.append(text[cursor:span.start] + span.replacement)
        cursor = span.end
    assert "".join(rebuilt) + text[cursor:] == result.text


def test_redaction_is_idempotent():
    text = "Ông Nguyễn Văn Bình, 0912345678, thôn Bản Chắt"
    once = redact(text).text
    assert redact(once).text == once
    assert redact(once).spans == []


def test_empty_text():
    assert redact("").text == ""
    assert redact("").spans == []


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=99_999_999), st.sampled_from(
    ["09", "03", "07", "08", "05"]), st.sampled_from([" ", ".", "-", ""]))
def test_any_mobile_number_is_removed(number, prefix, sep):
    digits = f"{prefix}{number:08d}"
    written = sep.join([digits[:4], digits[4:7], digits[7:]])
    result = redact(f"Liên hệ {written} nhé")
    assert result.text == "Liên hệ [số điện thoại] nhé"


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=999_999_999))
def test_money_amounts_are_kept(amount):
    written = f"{amount:,}".replace(",", ".")
    text = f"Phí {written} đồng"
    assert redact(text).text == text
