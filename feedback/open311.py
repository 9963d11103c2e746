"""PAKN as Open311 GeoReport v2: services (one per topic) and service requests.

A service request is a case; its ``service_request_id`` is the tracking code. What a request
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
from core.extensions import db
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
        "metadata": False,
        "type": "realtime",
        "keywords": "pakn, phản ánh, kiến nghị",
        "group": SERVICE_GROUP,
    } for topic, name in SERVICE_NAMES.items()]


@dataclass
class Open311Request:
    service_code: str
    description: str
    agency: object                 # Unit: the jurisdiction
    latitude: float | None = None
    longitude: float | None = None
    address_string: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    idempotency_key: str | None = None
    api_key: object = None


def submit_request(req: Open311Request) -> tuple[FeedbackCase, bool]:
    """Create (or, for a repeated idempotency key, find) the case. Flushes."""
    # Vietnamese names put the family name first: last_name "Nguyễn", first_name "Văn An".
    name = " ".join(part for part in (req.last_name.strip(), req.first_name.strip()) if part)
    contact = Contact(name=name, phone=req.phone, email=req.email)
    reply = ReplyChannel.EMAIL.value if req.email.strip() else ReplyChannel.NONE.value
    return submit_feedback(FeedbackSubmission(
        content=req.description, kind=Kind.REPORT.value, topic=req.service_code,
        channel=IntakeChannel.OPEN311.value, agency=req.agency, origin_unit=req.agency,
        location_text=req.address_string or None, latitude=req.latitude,
        longitude=req.longitude, contact=contact, reply_channel=reply,
        idempotency_key=req.idempotency_key, api_key=req.api_key))


def service_notice(case: FeedbackCase) -> str:
    code = format_tracking_code(case.tracking_code)
    if case.is_formal:
        return _("Received. Keep the tracking code %(code)s to follow the answer.", code=code)
    return _("Received as a suggestion (no name, address and phone were given). Tracking "
             "code: %(code)s.", code=code)


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
