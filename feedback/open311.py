"""PAKN as Open311 GeoReport v2: services (one per topic) and service requests.

A service request is a case; its ``service_request_id`` is the tracking code. Every service
has ``metadata`` true: its definition declares, as ``attribute[code]`` values of a POST, what
a formal PAKN needs beyond GeoReport's own fields (the sender's postal address, the kind, the
unit it is about, the consent to use the contact details). What a request
shows is public by construction: states, dates, the topic and the unit answering; the
citizen's own text only as the redacted question of a published answer (feedback
.publication), never the address, the position or the sender. Which cases a caller may list
is decided by the API layer (feedback.api.open311).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, select

from core.clock import local
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Unit, UnitKind
from feedback.intake import Contact, FeedbackSubmission, submit_feedback
from feedback.models import (
    CaseState,
    FeedbackCase,
    IntakeChannel,
    Kind,
    Publication,
    ReplyChannel,
    Topic,
)
from feedback.tracking import format_tracking_code
from feedback.workflow import OPEN_STATES, state_label

# Vietnamese service names (service_name is data for Open311 clients, shown as is).
SERVICE_NAMES = {
    Topic.PROCEDURES: "Thủ tục hành chính",
    Topic.STAFF_CONDUCT: "Thái độ, hành vi của cán bộ, công chức",
    Topic.ECONOMY: "Kinh tế",
    Topic.HEALTH: "Y tế",
    Topic.EDUCATION: "Giáo dục",
    Topic.PUBLIC_ORDER: "An ninh, trật tự",
    Topic.ROAD_TRAFFIC: "Giao thông đường bộ",
    Topic.ELECTRICITY: "Điện",
    Topic.WATER: "Cấp nước",
    Topic.SOCIAL_SECURITY: "An sinh xã hội",
    Topic.ADMIN_REFORM: "Cải cách hành chính",
    Topic.OTHER: "Khác",
}
SERVICE_GROUP = "Phản ánh, kiến nghị"
OPEN, CLOSED = "open", "closed"


def services() -> list[dict]:
    return [{
        "service_code": topic.value,
        "service_name": name,
        "description": "Phản ánh, kiến nghị về: " + (
            name.lower() if topic != Topic.OTHER else "các vấn đề khác"),
        "metadata": True,
        "type": "realtime",
        "keywords": "pakn, phản ánh, kiến nghị",
        "group": SERVICE_GROUP,
    } for topic, name in SERVICE_NAMES.items()]


# The attributes of every service definition (GeoReport v2 "GET Service Definition"). The
# datatypes are the specification's; a consent is a one-value list, as it has no boolean.
SENDER_ADDRESS, KIND, UNIT, SENDER_TYPE, CONSENT = (
    "sender_address", "kind", "unit", "sender_type", "consent")
CONSENT_GIVEN = "true"
MAX_ADDRESS = 300
KIND_NAMES = {
    Kind.REPORT: "Phản ánh",
    Kind.RECOMMENDATION: "Kiến nghị",
    Kind.SUGGESTION: "Góp ý (không cần danh tính, không có thời hạn giải quyết)",
}
SENDER_TYPE_NAMES = {
    "person": "Cá nhân",
    "organisation": "Cơ quan, tổ chức, doanh nghiệp",
    "overseas_vn": "Người Việt Nam ở nước ngoài",
    "foreigner": "Người nước ngoài",
}


def _attribute(code: str, order: int, datatype: str, description: str, note: str,
               values: dict | None = None) -> dict:
    return {"variable": True, "code": code, "datatype": datatype, "required": False,
            "datatype_description": note, "order": order, "description": description,
            "values": [{"key": key, "name": name} for key, name in (values or {}).items()]}


ATTRIBUTES = (
    _attribute(SENDER_ADDRESS, 1, "string", "Địa chỉ của người gửi",
               "Địa chỉ liên hệ hoặc địa chỉ bưu chính, tối đa 300 ký tự. Phản ánh, kiến nghị "
               "chính thức cần họ tên (first_name, last_name), địa chỉ này và số điện thoại "
               "(phone); thiếu một trong ba thì được tiếp nhận là góp ý, không có thời hạn "
               "giải quyết."),
    _attribute(KIND, 2, "singlevaluelist", "Loại", "Mặc định: phản ánh.",
               {kind.value: name for kind, name in KIND_NAMES.items()}),
    _attribute(UNIT, 3, "string", "Cơ quan, đơn vị bị phản ánh, kiến nghị",
               "Mã đơn vị thuộc jurisdiction_id. Mặc định: chính jurisdiction_id."),
    _attribute(SENDER_TYPE, 4, "singlevaluelist", "Người gửi là",
               "Mặc định: cá nhân.", SENDER_TYPE_NAMES),
    _attribute(CONSENT, 5, "singlevaluelist",
               "Người gửi đồng ý cho sử dụng thông tin liên hệ để xử lý phản ánh, kiến nghị",
               "Bắt buộc khi gửi bất kỳ thông tin liên hệ nào (họ tên, địa chỉ, điện thoại, "
               "email), như trên biểu mẫu của cổng.",
               {CONSENT_GIVEN: "Đồng ý"}),
)


def service_definition(service_code: str) -> dict | None:
    if service_code not in Topic._value2member_map_:
        return None
    return {"service_code": service_code, "attributes": [dict(a) for a in ATTRIBUTES]}


@dataclass
class Open311Request:
    service_code: str
    description: str
    agency: Unit                   # the jurisdiction
    latitude: float | None = None
    longitude: float | None = None
    address_string: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    sender_address: str = ""
    kind: str = Kind.REPORT.value
    unit: Unit | None = None       # the unit it is about, within the jurisdiction
    sender_type: str = "person"
    consent: bool = False
    idempotency_key: str | None = None
    api_key: object = None


def contact_of(req: Open311Request) -> Contact:
    # Vietnamese names put the family name first: last_name "Nguyễn", first_name "Văn An".
    name = " ".join(part for part in (req.last_name.strip(), req.first_name.strip()) if part)
    return Contact(name=name, address=req.sender_address, phone=req.phone, email=req.email)


def submit_request(req: Open311Request) -> tuple[FeedbackCase, bool]:
    """Create (or, for a repeated idempotency key, find) the case. Flushes.

    Formal or suggestion is intake's rule for every channel (feedback.intake: a kind other
    than suggestion with name, address and phone; DOMAIN.md §3, "a valid PAKN"). Contact
    details without consent are refused, as the public web form refuses them
    (feedback.views.public._check_extra), never silently kept."""
    contact = contact_of(req)
    if not contact.is_empty() and not req.consent:
        raise ServiceError(_("Contact details were given without the sender's consent: send "
                             "attribute[consent]=true, or leave the contact details out."),
                           status=400, field=f"attribute[{CONSENT}]")
    is_desk = req.unit is not None and req.unit.kind == UnitKind.DESK.value
    reply = ReplyChannel.EMAIL.value if req.email.strip() else ReplyChannel.NONE.value
    return submit_feedback(FeedbackSubmission(
        content=req.description, kind=req.kind, topic=req.service_code,
        channel=IntakeChannel.OPEN311.value, agency=req.agency,
        origin_unit=None if is_desk else (req.unit or req.agency),
        desk=req.unit if is_desk else None, location_text=req.address_string or None,
        latitude=req.latitude, longitude=req.longitude, sender_type=req.sender_type,
        contact=contact, reply_channel=reply, idempotency_key=req.idempotency_key,
        api_key=req.api_key))


def service_notice(case: FeedbackCase) -> str:
    code = format_tracking_code(case.tracking_code)
    if case.is_formal:
        return _("Received. Keep the tracking code %(code)s to follow the answer.", code=code)
    return _("Received as a suggestion, with no legal deadline: a formal PAKN needs the "
             "sender's name, phone and attribute[sender_address]. Tracking code: %(code)s.",
             code=code)


def status_clause(status: str) -> ColumnElement[bool]:
    open_values = [s.value for s in OPEN_STATES] + [CaseState.MERGED.value]
    if status == OPEN:
        return FeedbackCase.state.in_(open_values)
    return FeedbackCase.state.not_in(open_values)


def _iso(moment: datetime | None) -> str | None:
    return local(moment).isoformat(timespec="seconds") if moment is not None else None


def published_questions(case_ids: list[int]) -> dict[int, str]:
    if not case_ids:
        return {}
    rows = db.session.execute(select(Publication.case_id, Publication.question).where(
        Publication.case_id.in_(case_ids), Publication.status == "published"))
    return {case_id: question for case_id, question in rows}


def request_record(case: FeedbackCase, question: str | None) -> dict:
    """One service request as the GeoReport v2 list shows it: public fields only."""
    status = OPEN if case.state in {s.value for s in OPEN_STATES} | {
        CaseState.MERGED.value} else CLOSED
    unit = case.handling_unit or case.agency
    record = {
        "service_request_id": format_tracking_code(case.tracking_code),
        "status": status,
        "status_notes": state_label(case.state),
        "service_name": SERVICE_NAMES.get(Topic(case.topic), case.topic)
        if case.topic in Topic._value2member_map_ else case.topic,
        "service_code": case.topic,
        "agency_responsible": unit.name_vi,
        "service_notice": None,
        "requested_datetime": _iso(case.received_at),
        "updated_datetime": _iso(case.updated_at),
        "expected_datetime": _iso(case.answer_due_at or case.due_at),
    }
    if question:
        record["description"] = question
    return record


def request_records(cases: list[FeedbackCase]) -> list[dict]:
    questions = published_questions([case.id for case in cases])
    return [request_record(case, questions.get(case.id)) for case in cases]
