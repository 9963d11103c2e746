"""Word lists the name detectors rely on: family names, words that are not names, ordinary
words that begin with a given name."""

from __future__ import annotations

import re

# Words that start a title or an organisation, not a name, after "ông", "bà"… (compared in
# lower case with diacritics: "Chủ" (tịch) is a title, "Chu" a family name).
NOT_NAME = set("""
chủ phó giám trưởng bí chánh thủ tổng cán công viên bộ sở ủy ubnd hđnd hdnd người dân ban
đoàn đại tổ tòa phòng cục chi hội đảng nhà lãnh thanh tỉnh huyện xã phường quận thị trung
tâm một các những kính thưa ông bà anh chị em cô chú bác cháu cụ tôi cq mttq cand ca bhxh
bhyt cccd cmnd thpt thcs tt vp hcc không đã đang sẽ và hoặc là ở tại nếu khi xin cảm ơn gửi
trong ngày tháng năm hôm sau trước theo về với của do vì được bị cho có
""".split())
# A single word after an honorific that is a place or a national figure ("Bà Rịa", "Bác Hồ",
# "Cô Tô"), not a private person.
NOT_SINGLE_NAME = {"rịa", "hồ", "tô"}
# Common Vietnamese family names (for names after officials' titles and "X Văn/Thị Y").
SURNAMES = (
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Lương Nông "
    "Hà Lò Lục Vi Mã Chu Triệu Đinh Đào Cao Tạ Mai Trịnh Đoàn Lâm Tô Quách Kiều Hứa Thái "
    "Tăng Lưu Châu Lã Lạc Mạc Nghiêm Quan Tống Văn Khổng Hoàng Giàng Sùng Thào Vàng Lầu "
    "Mùa Sầm Hầu Bế Hứa Ma Lăng Nịnh Hoàng Doãn Phùng Khúc Kim La Đàm Trương Âu Ninh Bạch "
    "Vy Lộc"
).split()
SURNAME = "(?:" + "|".join(sorted({re.escape(s) for s in SURNAMES}, key=len,
                                  reverse=True)) + ")"

# Ordinary words that begin with a common given name ("An toàn", "Bình thường", "Hoa ban",
# "Lan can"): the given name alone is not redacted there, even at the start of a sentence.
COMMON_COMPOUNDS = {pair.replace("_", " ") for pair in """
an_toan an_ninh an_sinh an_tam an_cu an_duong an_ui binh_thuong binh_dang binh_yen binh_quan
binh_chon binh_xet binh_luan binh_on minh_bach minh_chung thanh_toan thanh_tra thanh_ly
thanh_lap thanh_pho thanh_nien thanh_vien thanh_cong phuc_loi phuc_vu phuc_hoi hanh_chinh
hanh_vi hoa_giai hoa_binh hoa_don hoa_ban hoa_mai hoa_dao hoa_hong hoa_sen hoa_cuc hoa_lan
hoa_qua hoa_mau hoa_chat hoa_hoc hoa_hoan hoa_nhap hoa_tang lan_can lan_toa lan_chiem
mai_sau mai_tang dung_han dung_quy tien_do tien_hanh tam_tru thuong_tru hai_long nam_nay
nam_sau nam_truoc nam_2024 nam_2025 nam_2026 quang_cao trung_tam trung_uong tuan_nay
tuan_sau tuan_truoc tuan_thu tam_thoi dung_sai dung_y hung_thinh thu_tuc thu_tuong
hung_thu huong_dan huong_ung thang_nay thang_sau thang_truoc thang_tien hieu_qua hieu_luc
tu_van duc_ket ngoc_trai son_la hai_phong long_an vinh_long
""".split()}
# Words before a place name (compared in lower case with diacritics).
ADMIN_BEFORE = {"xã", "phường", "huyện", "tỉnh", "quận", "thị", "trấn", "phố", "đường",
                "thôn", "bản", "xóm", "ấp", "sông", "núi", "cầu", "chợ", "trường", "thành",
                "tp", "tp.", "khu", "làng", "hồ", "đèo", "suối", "cửa", "khẩu"}
