"""The small organisation the access matrix walks: a province with two sibling agencies, A and
B, each with a desk and one of every object a route can name (questionnaire version, point,
campaign, dossier and rating token, PAKN case with an attachment, template, routing rule, plan,
catalogue task, report run, API key, account…), one user per role on agency A, and the ids
and codes the routes' arguments take, for A ("own") and for B ("sibling")."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from PIL import Image

from core.apikeys import issue_api_key
from core.clock import today
from core.extensions import db
from core.models import AuditEntry, Role, RoleGrant, Unit, User
from core.org import UnitData, create_unit
from core.outbox import queue_message
from core.passwords import hash_password
from core.settings import ensure_default_settings
from core.workdays import add_calendar_override
from feedback.answers import TemplateData, create_template
from feedback.attachments import store_attachment
from feedback.intake import Contact, FeedbackSubmission, submit_feedback
from feedback.models import FeedbackCase
from feedback.publication import prepare_publication
from feedback.routing import RuleData, create_rule
from feedback.workflow import TransitionInput, transition_case
from reports.indices import ElementGap
from reports.models import IntegrityFlag, ReportRun
from reports.plan_catalogue import TaskData, create_task
from reports.plans import draft_plan
from surveys.campaigns import CampaignData, create_campaign
from surveys.dossiers import DossierData, upsert_dossier
from surveys.instruments import DESK_FORM_CODE, create_draft
from surveys.points import create_point
from surveys.response_import_files import store_upload
from surveys.sampling import draw_sample
from surveys.tokens import issue_rating_token
from tests.conftest import PASSWORD
from tests.feedback.helpers import draft_answer
from tests.surveys.survey_page_helpers import build_version

STAFF_ROLES = tuple(role.value for role in Role)
# Columns of the expectation table, in this order.
ROLES = ("anonymous", *STAFF_ROLES, "api_key")


@dataclass
class World:
    usernames: dict[str, str]
    api_key: str
    own: dict[str, object] = field(default_factory=dict)
    sibling: dict[str, object] = field(default_factory=dict)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    return buffer.getvalue()


def _user(name: str, role: str, unit: Unit | None) -> User:
    user = User(username=name, full_name=f"Cán bộ {name}", password_hash=hash_password(PASSWORD))
    db.session.add(user)
    db.session.add(RoleGrant(user=user, role=role, unit_id=unit.id if unit else None))
    db.session.flush()
    return user


def _case(agency: Unit, admin: User, text: str) -> FeedbackCase:
    contact = Contact(name="Nguyễn Văn An", phone="0912 345 678", email="an@example.vn")
    case, _created = submit_feedback(FeedbackSubmission(content=text, origin_unit=agency,
                                                        contact=contact))
    transition_case(case, "assign", admin, TransitionInput(classification="in_competence",
                                                           handling_unit=agency))
    return case


def _publish(case: FeedbackCase, admin: User, approver: User) -> str:
    """Answer and publish ``case``: the administrator drafts and prepares, a second person
    approves and publishes (four eyes, pakn.four_eyes)."""
    for action in ("start", "submit_answer", "approve", "send_answer"):
        if action == "submit_answer":
            draft_answer(case, admin, "Kính gửi Ông/Bà, Sở đã khắc phục.")
        transition_case(case, action, approver if action == "approve" else admin)
    publication = prepare_publication(case, admin)
    transition_case(case, "publish", approver)
    return publication.slug


def _unit_objects(letter: str, province: Unit, admin: User) -> dict[str, object]:
    """Agency ``letter`` and one of every object in it; returns the route arguments."""
    agency = create_unit(UnitData(code=f"AG-{letter}", name_vi=f"Sở {letter}", kind="agency",
                                  parent_id=province.id))
    desk = create_unit(UnitData(code=f"AG-{letter}-Q1", name_vi=f"Quầy {letter}", kind="desk",
                                parent_id=agency.id))
    version = build_version(code=f"form-{letter.lower()}")
    version.instrument.owner_unit_id = agency.id
    db.session.flush()
    draft = create_draft(version, admin)
    point = create_point(desk, version, admin)
    campaign = create_campaign(CampaignData(
        code=f"SIPAS-{letter}", name_vi=f"Đợt {letter}", owner_unit_id=agency.id,
        version_id=version.id, starts_on=today() - timedelta(days=1),
        ends_on=today() + timedelta(days=30), quotas={desk.id: 10}), admin)
    dossier, _ = upsert_dossier(DossierData(
        code=f"000.00.17.H36-260601-000{ord(letter)}", unit_code=agency.code,
        desk_code=desk.code, received_at=datetime(2026, 6, 1, 1, 30, tzinfo=UTC),
        procedure_code="1.001234", procedure_name="Cấp phiếu lý lịch tư pháp",
        contact_consent=True, contact_phone="0912345678"), actor=admin)
    _token, rating = issue_rating_token(dossier)
    draw = draw_sample(agency, "2026-Q2", 1, actor=admin, seed=1)
    case = _case(agency, admin, f"Thủ tục ở Sở {letter} bị chậm 10 ngày.")
    attachment = store_attachment(case, "anh.png", _png())
    template = create_template(admin, TemplateData(title=f"Mẫu {letter}", body="Kính gửi Ông/Bà",
                                                   unit=agency))
    rule = create_rule(RuleData(name=f"Luật {letter}", handling_unit_id=agency.id,
                                keywords="giấy phép"))
    plan = draft_plan(agency, [ElementGap("II.A", 80.0, 85.0, 50)], period_label="2026-H1",
                      campaign_id=None, actor=admin).plan
    task = create_task(agency, TaskData(element="II.A", task_vi=f"Việc của Sở {letter}"), admin)
    run = ReportRun(unit_id=agency.id, kind="quarterly", period_label="2026-Q2",
                    period_start=date(2026, 4, 1), period_end=date(2026, 6, 30),
                    filename="bao-cao.xlsx", content=b"PK", size_bytes=2)
    db.session.add(run)
    flag = IntegrityFlag(period="2026-Q2", subject_kind="desk", subject_id=desk.id,
                         unit_id=desk.id, rule="all_five_run", responses=0, evidence={},
                         response_ids=[])
    db.session.add(flag)
    key, _plain = issue_api_key(f"Khóa {letter}", agency, ["units.view"], actor=admin)
    staff = _user(f"canbo.{letter.lower()}", Role.HANDLER.value, agency)
    upload = store_upload(b"q9_24,q9_25\n4,5\n", "phieu.csv", desk, version, admin)
    db.session.flush()
    audit = db.session.scalar(db.select(AuditEntry.id).where(AuditEntry.unit_id == agency.id)
                              .order_by(AuditEntry.id))
    return {
        "unit": agency, "unit_id": agency.id, "unit_code": agency.code, "desk_id": desk.id,
        "version_id": draft.id, "published_version_id": version.id,
        "section_id": draft.sections[0].id, "item_id": draft.items[0].id,
        "point_id": point.id, "point_code": point.public_code, "campaign_id": campaign.id,
        "dossier_id": dossier.id, "dossier_code": dossier.code, "rating_token": rating,
        "draw_id": draw.id,
        "case_id": case.id, "tracking_code": case.tracking_code,
        "attachment_id": attachment.id, "template_id": template.id, "rule_id": rule.id,
        "plan_id": plan.id, "task_id": task.id, "run_id": run.id, "key_id": key.id,
        "flag_id": flag.id,
        "user_id": staff.id, "grant_id": staff.grants[0].id, "entry_id": audit,
        "import_token": upload.token,
        "service_code": "procedures",  # an Open311 service: one per topic, the same for all
    }


def build_world() -> World:
    ensure_default_settings()
    province = create_unit(UnitData(code="TINH", name_vi="UBND tỉnh Thử", kind="province"))
    admin = _user("quantri.he.thong", Role.SYSTEM_ADMIN.value, None)
    build_version(code=DESK_FORM_CODE)  # the form a dossier's rating token opens
    own = _unit_objects("A", province, admin)
    sibling = _unit_objects("B", province, admin)
    staff = {role: _user(f"vaitro.{role}", role, own["unit"]) for role in STAFF_ROLES[1:]}
    _key, plaintext = issue_api_key("Khóa hệ thống", own["unit"], [
        "units.view", "dossiers.write", "feedback.intake", "feedback.view", "reports.view"],
        actor=admin)
    message = queue_message("sms", "0912345678", subject="", body="x", purpose="test.matrix")
    db.session.flush()
    shared = {
        "slug": _publish(_case(own["unit"], admin, "Giấy phép xây dựng chậm."), admin,
                         staff[Role.APPROVER.value]),
        "message_id": message.id,
        "override_id": add_calendar_override(date(2026, 3, 13), False, "Quyết định tỉnh").id,
        "setting_key": "sipas.min_cell_size", "language": "en", "action": "start",
        "filename": "css/citizen.css",
    }
    for values in (own, sibling):
        del values["unit"]  # plain values only: the session ends here
        values.update(shared)
    db.session.commit()
    usernames = {role: f"vaitro.{role}" for role in STAFF_ROLES[1:]}
    return World(usernames={Role.SYSTEM_ADMIN.value: admin.username, **usernames},
                 api_key=plaintext, own=own, sibling=sibling)
