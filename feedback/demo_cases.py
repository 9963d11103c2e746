"""The demo PAKN cases' data (feedback.demo loads them): the fictional senders, about forty
cases on every channel, kind and workflow state, the transfers, routing rules and answer
templates. Contact data is fictional (example.vn, 09xx numbers)."""

from __future__ import annotations

from dataclasses import dataclass

from feedback.intake import Contact

KEY_PREFIX = "demo-pakn-"
OFFICER, HANDLER, APPROVER = "pakn.vanphong", "xuly.snv", "lanhdao.snv"
# Channels an officer types in (hotline, letters, suggestion box, meetings).
OFFICER_CHANNELS = {"hotline", "letter", "box", "meeting"}


def _person(name: str, address: str, phone: str, email: str = "") -> Contact:
    return Contact(name=name, address=address, phone=phone, email=email)


PEOPLE = {
    "binh": _person("Nguyễn Văn Bình", "Số 15 đường Bà Triệu, phường Đông Kinh, tỉnh Lạng Sơn",
                    "0912 000 101", "binh.nguyen@example.vn"),
    "lan": _person("Hoàng Thị Lan", "Thôn Bản Chắt, xã Đình Lập, tỉnh Lạng Sơn",
                   "0983 000 202", "lan.hoang@example.vn"),
    "thang": _person("Lộc Văn Thắng", "Khối 3, phường Tam Thanh, tỉnh Lạng Sơn",
                     "0904 000 303"),
    "hoa": _person("Vy Thị Hoa", "Số 8 ngõ 12 đường Lê Lợi, phường Lương Văn Tri, tỉnh Lạng Sơn",
                   "0936 000 404", "hoa.vy@example.vn"),
    "tuan": _person("Nông Minh Tuấn", "Thôn Khòn Pịt, xã Đình Lập, tỉnh Lạng Sơn",
                    "0978 000 505"),
    "mai": _person("Lăng Thị Mai", "Số 22 đường Trần Đăng Ninh, phường Kỳ Lừa, tỉnh Lạng Sơn",
                   "0915 000 606", "mai.lang@example.vn"),
    "duc": _person("Chu Văn Đức", "Thôn Nà Pàn, xã Đồng Đăng, tỉnh Lạng Sơn", "0967 000 707",
                   "duc.chu@example.vn"),
    "company": _person("Công ty TNHH Thương mại Hữu Nghị (ví dụ)",
                       "Lô C2 Khu kinh tế cửa khẩu Đồng Đăng, tỉnh Lạng Sơn", "0945 000 808",
                       "lienhe@huunghi.example.vn"),
    "ha": _person("Hà Thị Thu", "Thôn Còn Chủ, xã Đình Lập, tỉnh Lạng Sơn", "0988 000 909"),
    "anon_email": Contact(email="nguoidan@example.vn"),
}


@dataclass(frozen=True)
class DemoCase:
    key: str
    flow: str              # the state to reach (see _FLOWS), "assigned:<unit>" or "merged:<key>"
    kind: str
    topic: str
    channel: str
    origin: str            # unit code (a desk's code for QR cases)
    days_ago: int
    content: str
    person: str | None = None
    reply: str = "none"
    title: str = ""
    handling: str = "LS-SNV"
    answer: str = ""
    # Due soon: received so that this many working days of the answer period remain.
    due_in: int | None = None


C = DemoCase
CASES: list[DemoCase] = [
    # --- Received (nothing done yet): one fresh, one overdue for transfer. ---
    C("01", "received", "report", "procedures", "qr", "LS-TTPVHCC-Q01", 0,
      "Tôi nộp hồ sơ đăng ký tuyển dụng tại quầy nhưng cán bộ yêu cầu bổ sung giấy tờ không có "
      "trong danh mục thủ tục được niêm yết.", "binh", "email"),
    C("02", "received", "recommendation", "admin_reform", "web", "LS-SNV", 9,
      "Đề nghị Sở Nội vụ công bố rõ thời gian giải quyết từng thủ tục trên Cổng dịch vụ công "
      "và gửi tin nhắn khi hồ sơ chuyển bước.", "hoa", "email"),
    C("03", "received", "suggestion", "other", "box", "LS-TTPVHCC", 2,
      "Khu vực chờ của Trung tâm nên có thêm ghế và nước uống cho người cao tuổi."),
    C("04", "received", "suggestion", "procedures", "survey", "LS-TTPVHCC-Q02", 1,
      "Hướng dẫn nộp hồ sơ trực tuyến còn khó hiểu, nên có video ngắn."),
    # --- Registered, waiting for classification. ---
    C("05", "registered", "report", "staff_conduct", "hotline", "LS-TTPVHCC-Q03", 3,
      "Cán bộ tại quầy Sở Khoa học và Công nghệ nghe điện thoại riêng lâu trong giờ làm việc "
      "khi nhiều người đang chờ.", "thang", "sms"),
    C("06", "registered", "report", "road_traffic", "web", "LS-DINHLAP", 12,
      "Đoạn đường liên thôn Bản Chắt – Khòn Pịt bị sạt lở sau mưa lớn, xe máy đi lại nguy "
      "hiểm.", "tuan", "post"),
    # --- Not accepted (including one that is a complaint). ---
    C("07", "not_accepted", "report", "other", "email", "LS", 20,
      "Nội dung không rõ ràng, chỉ có đường dẫn đến một trang web quảng cáo.", "anon_email",
      title="Thư không rõ nội dung"),
    C("08", "not_accepted", "report", "staff_conduct", "letter", "LS-STC", 15,
      "Tôi khiếu nại quyết định xử phạt hành chính của Sở Tài chính đối với cửa hàng của gia "
      "đình tôi.", "mai", "post"),
    # --- Transferred outside our competence (then one closed). ---
    C("09", "transferred", "report", "electricity", "hotline", "LS-DINHLAP", 8,
      "Điện ở thôn Còn Chủ mất liên tục nhiều ngày trong tuần, ảnh hưởng sinh hoạt.", "ha",
      "sms"),
    C("10", "transferred", "recommendation", "water", "web", "LS", 25,
      "Nước sinh hoạt ở phường Đông Kinh có màu vàng, đề nghị kiểm tra chất lượng nước.",
      "binh", "email"),
    C("11", "closed:transferred", "report", "social_security", "portal", "LS", 40,
      "Tôi chưa nhận được tiền trợ cấp thất nghiệp tháng trước dù đã nộp đủ hồ sơ.", "lan",
      "email"),
    # --- Assigned to units that have no demo handler: they wait for the unit to start. ---
    C("12", "assigned:LS-STC", "report", "procedures", "web", "LS-STC", 4,
      "Thủ tục cấp mã số đơn vị có quan hệ với ngân sách bị trả hồ sơ hai lần mà không nêu rõ "
      "lý do.", "company", "email"),
    C("13", "assigned:LS-SKHCN", "recommendation", "admin_reform", "meeting", "LS-SKHCN", 6,
      "Tại buổi đối thoại, doanh nghiệp kiến nghị rút ngắn thời gian thẩm định công nghệ dự "
      "án đầu tư.", "company", "email"),
    C("14", "assigned:LS-KKTCK", "report", "economy", "api", "LS-KKTCK", 14,
      "Xe chở nông sản xếp hàng nhiều ngày tại cửa khẩu Hữu Nghị, đề nghị phân luồng hợp lý.",
      "duc", "email"),
    C("15", "assigned:LS-DINHLAP-VHXH", "recommendation", "education", "meeting",
      "LS-DINHLAP", 10, "Đề nghị xã bố trí thêm phòng học cho điểm trường thôn Khòn Pịt.",
      "tuan", "post"),
    C("16", "assigned:LS-DINHLAP-CA", "report", "public_order", "hotline", "LS-DINHLAP", 30,
      "Thường xuyên có nhóm thanh niên tụ tập gây ồn ào sau 23 giờ gần chợ Đình Lập.", "ha",
      "sms"),
    C("17", "assigned:LS-DINHLAP-KT", "report", "economy", "box", "LS-DINHLAP-Q02", 2,
      "Hồ sơ xin phép xây dựng nhà ở của tôi quá hạn mà chưa có kết quả.", "lan", "post"),
    C("18", "assigned:LS-TT", "report", "staff_conduct", "letter", "LS", 24,
      "Phản ánh cán bộ thu thêm tiền ngoài quy định khi làm thủ tục chứng thực.", "thang",
      "post"),
    # --- Sở Nội vụ: being handled (due soon, overdue, extended), waiting for the sender. ---
    C("19", "in_progress", "report", "procedures", "qr", "LS-TTPVHCC-Q01", 1,
      "Quầy Sở Nội vụ không có người tiếp nhận lúc 15 giờ chiều thứ Sáu.", "hoa", "email"),
    C("20", "in_progress", "report", "staff_conduct", "web", "LS-SNV", 18,
      "Công chức hướng dẫn thủ tục nâng lương thiếu nhiệt tình, nói không rõ giấy tờ cần "
      "nộp.", "mai", "email", due_in=1),
    C("21", "in_progress", "recommendation", "admin_reform", "portal", "LS-SNV", 35,
      "Đề nghị số hóa hồ sơ công chức để người lao động tra cứu quá trình công tác trực "
      "tuyến.", "binh", "email"),
    C("22", "extended", "report", "procedures", "letter", "LS-SNV", 26,
      "Hồ sơ công nhận ban vận động thành lập hội của chúng tôi đã quá hạn giải quyết.",
      "company", "post"),
    C("23", "waiting", "report", "procedures", "email", "LS-SNV", 11,
      "Tôi đã nộp hồ sơ thi tuyển công chức nhưng không thấy tên trong danh sách dự thi.",
      "duc", "email"),
    C("24", "reopened", "report", "procedures", "web", "LS-SNV", 22,
      "Kết quả trả lời trước chưa giải quyết việc cấp lại giấy chứng nhận cho tôi.", "lan",
      "email"),
    # --- Sở Nội vụ: answers awaiting approval, approved, sent, published, closed. ---
    C("25", "answer_drafted", "recommendation", "admin_reform", "meeting", "LS-SNV", 13,
      "Kiến nghị niêm yết số điện thoại đường dây nóng của lãnh đạo Sở tại bộ phận một cửa.",
      "thang", "sms", answer="template"),
    C("26", "answer_drafted", "report", "staff_conduct", "hotline", "LS-TTPVHCC-Q01", 19,
      "Cán bộ quầy Sở Nội vụ trả lời thiếu tôn trọng khi tôi hỏi lại hồ sơ.", "hoa",
      "email", due_in=2),
    C("27", "approved", "report", "procedures", "web", "LS-SNV", 16,
      "Thủ tục xác nhận thời gian công tác yêu cầu nhiều bản sao giấy tờ đã có trong cơ sở "
      "dữ liệu.", "mai", "email", answer="template"),
    C("28", "answered", "report", "procedures", "qr", "LS-TTPVHCC-Q01", 8,
      "Máy lấy số thứ tự tại quầy Sở Nội vụ bị hỏng nhiều ngày.", "binh", "email",
      answer="Trung tâm đã thay máy lấy số thứ tự tại quầy Sở Nội vụ ngày hôm qua. Xin cảm "
             "ơn ông đã phản ánh."),
    C("29", "answered", "recommendation", "admin_reform", "email", "LS-SNV", 40,
      "Đề nghị Sở Nội vụ cho phép nộp hồ sơ đề nghị khen thưởng qua mạng.", "duc", "email",
      answer="template"),
    C("30", "answered", "report", "staff_conduct", "letter", "LS-SNV", 30,
      "Cán bộ tiếp nhận hồ sơ yêu cầu nộp bản chính giấy khai sinh trái quy định.", "tuan",
      "post", answer="Sở Nội vụ đã kiểm tra, nhắc nhở công chức và hướng dẫn lại quy trình "
                     "tiếp nhận bản sao."),
    C("31", "published", "recommendation", "procedures", "web", "LS-SNV", 28,
      "Tôi là Vy Thị Hoa, số 8 ngõ 12 Lê Lợi, ĐT 0936.000.404, xin công khai hồ sơ trễ hạn.",
      "hoa", "email", answer="Sở Nội vụ tiếp thu kiến nghị: từ tháng này danh sách hồ sơ trễ "
                            "hạn và lý do được công khai hằng tuần trên Trang thông tin điện "
                            "tử của Sở."),
    C("32", "published", "report", "procedures", "qr", "LS-TTPVHCC-Q01", 21,
      "Biểu mẫu ở quầy Sở là mẫu cũ, tôi phải khai lại. Thắng, ĐT 09 04 00 03 03.", "thang",
      "sms", answer="Sở Nội vụ đã thay toàn bộ biểu mẫu tại quầy bằng mẫu mới theo quy "
                    "định hiện hành."),
    C("33", "closed", "report", "procedures", "hotline", "LS-SNV", 45,
      "Tôi gọi đường dây nóng của Sở nhiều lần nhưng không ai nghe máy.", "lan", "sms",
      answer="Sở Nội vụ đã bố trí người trực đường dây nóng trong toàn bộ giờ hành chính."),
    C("34", "closed", "suggestion", "admin_reform", "survey", "LS-TTPVHCC-Q01", 33,
      "Nên có chỗ để xe máy có mái che trước Trung tâm."),
    C("35", "answered", "suggestion", "other", "web", "LS-SNV", 6,
      "Trang thông tin của Sở nên có phiên bản dễ đọc trên điện thoại.",
      answer="Sở Nội vụ ghi nhận góp ý và sẽ nâng cấp trang thông tin trong quý tới."),
    # --- Near-duplicates merged into an open master (case 20). ---
    C("36", "merged:20", "report", "staff_conduct", "web", "LS-SNV", 17,
      "Công chức hướng dẫn thủ tục nâng lương nói không rõ, tôi phải đi lại nhiều lần.",
      "duc", "email"),
    C("37", "merged:20", "report", "staff_conduct", "hotline", "LS-SNV", 15,
      "Phản ánh giống nội dung đã gửi: hướng dẫn thủ tục nâng lương không rõ ràng.", "ha",
      "sms"),
    # --- A few more to fill the queues. ---
    C("38", "in_progress", "report", "health", "web", "LS-SNV", 5,
      "Phòng khám trong khuôn viên cơ quan không có biển chỉ dẫn giờ làm việc.", "mai",
      "email"),
    C("39", "registered", "recommendation", "economy", "open311", "LS-KKTCK", 1,
      "Đề nghị bố trí bãi đỗ xe tạm cho xe tải chờ thông quan tại cửa khẩu Tân Thanh.",
      "company", "email"),
    C("40", "received", "report", "public_order", "web", "LS-DINHLAP", 7,
      "Có hiện tượng khai thác cát trái phép ở suối gần thôn Bản Chắt.", "tuan", "post"),
]

TRANSFERRED_TO = {
    "electricity": "Công ty Điện lực Lạng Sơn",
    "water": "Công ty Cổ phần Cấp thoát nước Lạng Sơn",
    "social_security": "Bảo hiểm xã hội tỉnh Lạng Sơn",
}
RULES = [
    ("Thái độ, tác phong công chức → Sở Nội vụ", "LS-SNV", "staff_conduct", None),
    ("Cải cách hành chính → Sở Nội vụ", "LS-SNV", "admin_reform", None),
    ("Cửa khẩu, thông quan → Ban Quản lý Khu KTCK", "LS-KKTCK", None, "cửa khẩu, thông quan"),
    ("An ninh trật tự xã Đình Lập → Công an xã", "LS-DINHLAP-CA", "public_order", None),
]
TEMPLATES = [
    ("Tiếp thu kiến nghị", None,
     "Kính gửi ông/bà,\n\n{don_vi} đã nhận kiến nghị (mã tra cứu {ma_tra_cuu}, số vào sổ "
     "{so_vao_so}, nhận ngày {ngay_nhan}). {don_vi} tiếp thu và sẽ triển khai trong thời gian "
     "tới.\n\nTrân trọng."),
    ("Đã kiểm tra và khắc phục", "procedures",
     "Kính gửi ông/bà,\n\nVề phản ánh nhận ngày {ngay_nhan} (mã tra cứu {ma_tra_cuu}), "
     "{don_vi} đã kiểm tra, chấn chỉnh và khắc phục. Xin cảm ơn ông/bà đã phản ánh.\n\n"
     "Trân trọng."),
]
