"""Helpers for PAKN tests: a small organisation and cases built through the real services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.extensions import db
from core.models import Role, Unit, User
from feedback.answers import save_answer_draft
from feedback.evidence import LegalBasis, find_legal_document
from feedback.intake import Contact, FeedbackSubmission, submit_feedback
from feedback.models import FeedbackCase, LegalDocument
from feedback.workflow import TransitionInput, transition_case

FULL_CONTACT = Contact(name="Nguyễn Văn An", address="Số 12 đường Trần Hưng Đạo, phường "
                       "Đông Kinh", phone="0912 345 678", email="an.nguyen@example.vn")


@dataclass
class PaknOrg:
    province: Unit
    department: Unit        # a handling unit (Sở Nội vụ)
    other_department: Unit  # another handling unit, outside the handlers' scope
    desk: Unit
    officer: User           # PAKN officer on the province
    handler: User           # handler in the department
    approver: User          # approver (leader) of the department
    outsider: User          # handler of the other department


def build_org(make_unit, make_user) -> PaknOrg:
    province = make_unit("P", kind="province", name_vi="UBND tỉnh Thử nghiệm")
    department = make_unit("P-SNV", parent=province, kind="agency", name_vi="Sở Nội vụ")
    other = make_unit("P-STC", parent=province, kind="agency", name_vi="Sở Tài chính")
    centre = make_unit("P-HCC", parent=province, kind="service_centre",
                       name_vi="Trung tâm Phục vụ hành chính công")
    desk = make_unit("P-HCC-Q1", parent=centre, kind="desk", name_vi="Quầy số 1")
    return PaknOrg(
        province=province, department=department, other_department=other, desk=desk,
        officer=make_user(Role.PAKN_OFFICER, province, username="officer"),
        handler=make_user(Role.HANDLER, department, username="handler"),
        approver=make_user(Role.APPROVER, department, username="approver"),
        outsider=make_user(Role.HANDLER, other, username="outsider"),
    )


def submit_case(org: PaknOrg, *, content: str = "Thủ tục cấp giấy phép bị chậm 10 ngày.",
                contact: Contact | None = FULL_CONTACT, commit: bool = True,
                **fields) -> FeedbackCase:
    fields.setdefault("origin_unit", org.department)
    sub = FeedbackSubmission(content=content,
                             contact=Contact(**vars(contact)) if contact else Contact(),
                             **fields)
    case, _created = submit_feedback(sub)
    if commit:
        db.session.commit()
    return case


def assign(case: FeedbackCase, org: PaknOrg, unit: Unit | None = None) -> None:
    transition_case(case, "assign", org.officer, TransitionInput(
        classification="in_competence", handling_unit=unit or org.department))
    db.session.commit()


def answer_and_send(case: FeedbackCase, org: PaknOrg, body: str = "Kính gửi ông/bà, "
                    "Sở Nội vụ đã kiểm tra và khắc phục.") -> None:
    """Assigned → in progress → drafted → approved → answered, each by its proper actor."""
    transition_case(case, "start", org.handler)
    draft_answer(case, org.handler, body)
    transition_case(case, "submit_answer", org.handler)
    transition_case(case, "approve", org.approver)
    transition_case(case, "send_answer", org.approver)
    db.session.commit()


# --- Added by workflow-tests: a case brought to any state through the real transitions. ---

def make_publication(case: FeedbackCase, **fields):
    """A prepared (draft) Publication row for ``case``, as the publication pages would make."""
    import secrets

    from feedback.models import Publication

    fields.setdefault("status", "draft")
    publication = Publication(
        case_id=case.id, slug=secrets.token_hex(6), title=fields.pop("title", "Thủ tục chậm"),
        question=fields.pop("question", "Thủ tục cấp giấy phép bị chậm."),
        answer=fields.pop("answer", "Sở đã khắc phục."), topic=case.topic, kind=case.kind,
        unit_id=case.handling_unit_id or case.agency_id, **fields)
    db.session.add(publication)
    db.session.flush()
    return publication


def bring_to(state: str, org: PaknOrg, case: FeedbackCase | None = None,
             **submit_fields) -> FeedbackCase:
    """A (new) case in ``state`` (a CaseState value), reached the way users reach it."""
    from feedback.models import CaseState as S

    case = case or submit_case(org, **submit_fields)
    state = S(state)

    def act(action, actor, **data):
        transition_case(case, action, actor, TransitionInput(**data))
        db.session.commit()

    if state is S.RECEIVED:
        return case
    if state is S.REGISTERED:
        act("register", org.officer)
    elif state is S.NOT_ACCEPTED:
        act("reject", org.officer, reason="Không đủ thông tin")
    elif state is S.TRANSFERRED:
        act("transfer", org.officer, reason="Ngoài thẩm quyền", transferred_to="Bộ Tài chính")
    elif state is S.MERGED:
        master = bring_to(S.REGISTERED, org)
        act("merge", org.officer, reason="Trùng nội dung", master=master)
    else:
        assign(case, org)
        if state is S.ASSIGNED:
            return case
        act("start", org.handler)
        if state is S.WAITING:
            act("pause", org.handler, reason="Chờ người gửi bổ sung")
        elif state is not S.IN_PROGRESS:
            draft_answer(case, org.handler, "Kính gửi ông/bà, Sở đã khắc phục.")
            act("submit_answer", org.handler)
            if state is not S.ANSWER_DRAFTED:
                act("approve", org.approver)
                if state is not S.APPROVED:
                    act("send_answer", org.approver)
                    if state is S.PUBLISHED:
                        make_publication(case)
                        act("publish", org.approver)
                    elif state is S.CLOSED:
                        act("close", org.officer)
    assert case.state == state.value, (case.state, state)
    return case


# --- Added by evidence (issue 14): an in-scope answer is approved only with evidence. ---

def legal_basis(article: str = "Điều 12") -> LegalBasis:
    """The legal basis test answers cite: Decree 61/2018/NĐ-CP, added to the list once."""
    document = find_legal_document("61/2018/NĐ-CP")
    if document is None:
        document = LegalDocument(kind="decree", number="61/2018/NĐ-CP",
                                 number_key="61/2018/NĐ-CP", title="Về thực hiện cơ chế một "
                                 "cửa, một cửa liên thông", issued_on=date(2018, 4, 23))
        db.session.add(document)
        db.session.flush()
    return LegalBasis(document, article)


def draft_answer(case: FeedbackCase, actor, body: str, **fields):
    """save_answer_draft with a legal basis, so that the answer can be approved."""
    fields.setdefault("legal_basis", legal_basis())
    return save_answer_draft(case, actor, body, **fields)
