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
from feedback.demo_cases import (
    APPROVER,
    CASES,
    HANDLER,
    KEY_PREFIX,
    OFFICER,
    OFFICER_CHANNELS,
    PEOPLE,
    RULES,
    TEMPLATES,
    TRANSFERRED_TO,
    DemoCase,
)
from feedback.demo_evidence import NOT_PUBLISHED, load_legal_documents
from feedback.intake import Contact, FeedbackSubmission, submit_feedback
from feedback.models import FeedbackCase
from feedback.moderation import decide_not_to_publish
from feedback.workflow import TransitionInput, transition_case


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
        bases = load_legal_documents(users[APPROVER])
        made: dict[str, FeedbackCase] = {}
        for index, spec in enumerate(CASES):
            made[spec.key] = _submit(index, spec, users[OFFICER])
        for spec in CASES:
            _Flow(spec, made, users, templates, bases).run()
        for key, reason in NOT_PUBLISHED.items():
            decide_not_to_publish(made[key], users[OFFICER], reason)
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
                 users: dict[str, User], templates: list, bases: dict):
        self.spec, self.made, self.templates = spec, made, templates
        self.bases = bases
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
                self.act("close", self.officer, closure_reason="outside_competence")
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
        # Every demo answer cites its legal basis (issue 14: evidence to close).
        basis = self.bases.get(self.spec.topic, self.bases[""])
        save_answer_draft(self.case, self.handler, body, legal_basis=basis)

    def _publish(self) -> None:
        # Four eyes (feedback.four_eyes): the PAKN office prepares, the leader publishes.
        publication.prepare_publication(self.case, self.officer)
        # A last automatic check of the public text, then "publish".
        publication.publish_case(self.case, self.approver)
