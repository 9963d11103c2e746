"""Demo PAKN cases for `make run`: about forty cases sent to the Lạng Sơn units of core.demo,
on every channel, of every kind and in every workflow state, some overdue and some due soon.

Everything goes through the real services (submit_feedback, transition_case,
save_answer_draft, the routing rules and answer templates, publication when present), acting
as the demo accounts pakn.vanphong (PAKN officer, LS), xuly.snv (handler, LS-SNV) and
lanhdao.snv (approver, LS-SNV). Cases assigned to other units stay with them as "assigned":
those units have no demo handler. Idempotent: nothing is done when demo cases exist (their
idempotency keys start with ``demo-``). Contact data is fictional (example.vn, 09xx numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select

from core.audit import acting_as
from core.clock import LOCAL_TZ, now, today
from core.extensions import db
from core.models import Unit, User
from core.org import unit_by_code
from core.workdays import count_working_days, is_working_day
from feedback import publication, routing
from feedback.answers import TemplateData, apply_template, create_template, save_answer_draft
from feedback.deadlines import Step, deadline_days
from feedback.intake import Contact, FeedbackSubmission, submit_feedback
from feedback.models import FeedbackCase
from feedback.workflow import TransitionInput, transition_case

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


def _received_at(index: int, spec: DemoCase) -> datetime:
    if spec.due_in is not None:
        limit = deadline_days(Step.ANSWER, kind=spec.kind, topic=spec.topic,
                              unit=unit_by_code(spec.handling), on=today())
        day = today()
        while count_working_days(day, today()) < limit - spec.due_in \
                or not is_working_day(day):
            day -= timedelta(days=1)
    elif spec.days_ago == 0:
        return now() - timedelta(minutes=30 + index)
    else:
        day = today() - timedelta(days=spec.days_ago)
    return datetime.combine(day, time(7 + index % 9, (index * 7) % 60), tzinfo=LOCAL_TZ)


def _users() -> dict[str, User] | None:
    names = {OFFICER: OFFICER, HANDLER: HANDLER, APPROVER: APPROVER}
    users = {key: db.session.scalar(select(User).where(User.username == name))
             for key, name in names.items()}
    return None if None in users.values() else users


def demo_cases_exist() -> bool:
    return db.session.scalar(select(FeedbackCase.id).where(
        FeedbackCase.idempotency_key.like(KEY_PREFIX + "%")).limit(1)) is not None


def load_feedback_demo() -> None:
    """Create the demo rules, templates and cases (skipped when demo cases exist). Flushes;
    the caller (``flask core seed-demo``) commits."""
    if demo_cases_exist() or unit_by_code("LS-SNV") is None:
        return
    users = _users()
    if users is None:
        return
    with acting_as("demo"):
        _load_rules()
        templates = _load_templates(users[APPROVER])
        made: dict[str, FeedbackCase] = {}
        for index, spec in enumerate(CASES):
            made[spec.key] = _submit(index, spec, users[OFFICER])
        for spec in CASES:
            _Flow(spec, made, users, templates).run()
        db.session.flush()


def _load_rules() -> None:
    for name, unit_code, topic, keywords in RULES:
        unit = unit_by_code(unit_code)
        if unit is not None:
            routing.create_rule(routing.RuleData(name=name, handling_unit_id=unit.id,
                                                 topic=topic, keywords=keywords))


def _load_templates(approver: User) -> list:
    unit = unit_by_code("LS-SNV")
    return [create_template(approver, TemplateData(
        title=title, body=body, unit=unit, topic=topic)) for title, topic, body in TEMPLATES]


def _submit(index: int, spec: DemoCase, officer: User) -> FeedbackCase:
    origin = unit_by_code(spec.origin)
    desk = origin if origin is not None and origin.kind == "desk" else None
    contact = PEOPLE[spec.person] if spec.person else Contact()
    case, _created = submit_feedback(FeedbackSubmission(
        content=spec.content, title=spec.title, kind=spec.kind, topic=spec.topic,
        channel=spec.channel, origin_unit=None if desk else origin, desk=desk,
        contact=Contact(**vars(contact)), reply_channel=spec.reply,
        idempotency_key=f"{KEY_PREFIX}{spec.key}",
        received_at=_received_at(index, spec),
        created_by=officer if spec.channel in OFFICER_CHANNELS else None))
    return case


class _Flow:
    """Moves one demo case to its target state, each step by its proper actor."""

    def __init__(self, spec: DemoCase, made: dict[str, FeedbackCase],
                 users: dict[str, User], templates: list):
        self.spec, self.made, self.templates = spec, made, templates
        self.case = made[spec.key]
        self.officer, self.handler = users[OFFICER], users[HANDLER]
        self.approver = users[APPROVER]

    def act(self, action: str, actor: User, **data) -> None:
        transition_case(self.case, action, actor, TransitionInput(**data))

    def run(self) -> None:
        flow, _sep, arg = self.spec.flow.partition(":")
        if flow == "received":
            return
        if flow == "merged":
            master = self.made[arg]
            self.act("merge", self.officer, master=master,
                     reason="Cùng nội dung với phản ánh đang giải quyết")
            return
        if flow == "registered":
            self.act("register", self.officer)
            return
        if flow == "not_accepted":
            reason = ("Nội dung là khiếu nại, được hướng dẫn gửi theo thủ tục giải quyết khiếu "
                      "nại" if self.case.looks_like_complaint
                      else "Nội dung không rõ ràng, không đủ điều kiện xử lý")
            self.act("reject", self.officer, reason=reason)
            return
        if flow == "transferred" or (flow == "closed" and arg == "transferred"):
            self.act("transfer", self.officer, reason="Không thuộc thẩm quyền của tỉnh",
                     transferred_to=TRANSFERRED_TO.get(self.spec.topic, "Cơ quan có thẩm quyền"))
            if flow == "closed":
                self.act("close", self.officer)
            return
        handling = arg if flow == "assigned" else self.spec.handling
        self._assign(unit_by_code(handling))
        if flow == "assigned":
            return
        self.act("start", self.handler)
        if flow == "waiting":
            self.act("pause", self.handler, reason="Đề nghị ông/bà bổ sung số báo danh và "
                                                  "ngày nộp hồ sơ")
            return
        if flow == "extended":
            self.act("extend", self.handler, extension_days=10,
                     reason="Cần xác minh với cơ quan khác")
            return
        if flow == "in_progress":
            return
        self._answer()
        self.act("submit_answer", self.handler)
        if flow == "answer_drafted":
            return
        self.act("approve", self.approver, letter_number=f"{100 + int(self.spec.key)}/SNV-VP",
                 signer_title="Giám đốc Sở Nội vụ")
        if flow == "approved":
            return
        self.act("send_answer", self.approver)
        if flow == "reopened":
            self.act("reopen", self.officer, reason="Người gửi phản hồi chưa được giải quyết")
        elif flow == "published":
            self._publish()
        elif flow == "closed":
            self.act("close", self.officer)

    def _assign(self, unit: Unit | None) -> None:
        suggestions = routing.suggest_handling_units(self.case)
        classification = "conduct" if self.spec.topic == "staff_conduct" else "in_competence"
        self.act("assign", self.officer, classification=classification, handling_unit=unit)
        routing.record_routing_decision(self.case, unit, self.officer, suggestions)

    def _answer(self) -> None:
        body = self.spec.answer
        if body == "template" and self.templates:
            fitting = [t for t in self.templates if t.topic == self.spec.topic]
            body = apply_template((fitting or self.templates)[0], self.case)
        elif not body or body == "template":
            body = ("Kính gửi ông/bà,\n\nSở Nội vụ đã tiếp nhận và đang kiểm tra nội dung "
                    "phản ánh. Kết quả sẽ được thông báo đến ông/bà.\n\nTrân trọng.")
        save_answer_draft(self.case, self.handler, body)

    def _publish(self) -> None:
        # Four eyes (feedback.four_eyes): the PAKN office prepares, the leader publishes.
        publication.prepare_publication(self.case, self.officer)
        # A last automatic check of the public text, then "publish".
        publication.publish_case(self.case, self.approver)
