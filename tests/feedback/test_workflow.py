"""The PAKN workflow (feedback.workflow): every transition from every state it is allowed
from, refusals (409) from the others, permissions (403, logged), reasons, the register,
deadlines across a pause, merging, reopening, publication, timeline, audit and hooks."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.clock import LOCAL_TZ
from core.db import write_intent
from core.exceptions import ServiceError
from core.extensions import db
from core.models import AuditEntry, Role, User
from core.workdays import add_working_days, count_working_days, deadline_end
from feedback import workflow
from feedback.models import (
    AnswerStatus,
    CaseState,
    FeedbackAnswer,
    FeedbackCase,
    FeedbackEvent,
    Publication,
)
from feedback.workflow import (
    TRANSITIONS,
    TransitionInput,
    TransitionRefused,
    actions,
    available_transitions,
    timeline,
    transition_case,
)
from tests.feedback.helpers import (
    answer_and_send,
    assign,
    bring_to,
    build_org,
    draft_answer,
    make_publication,
    submit_case,
)

S = CaseState


def _set_clock(monkeypatch, clock) -> None:
    """The workflow's clock: its actions stamp the case, its timeline the events."""
    for module in (actions, timeline):
        monkeypatch.setattr(module, "now", clock)


@pytest.fixture
def org(app, make_unit, make_user):
    return build_org(make_unit, make_user)


def _valid(action: str, org, case: FeedbackCase):
    """(actor, TransitionInput) that make ``action`` succeed on ``case`` in a valid state."""
    reason = "Lý do kiểm thử"
    if action == "register":
        return org.officer, TransitionInput()
    if action == "reject":
        return org.officer, TransitionInput(reason=reason)
    if action == "transfer":
        return org.officer, TransitionInput(reason=reason, transferred_to="Bộ Công an")
    if action == "assign":
        return org.officer, TransitionInput(classification="conduct",
                                            handling_unit=org.department)
    if action == "reassign":
        return org.officer, TransitionInput(reason=reason, handling_unit=org.other_department)
    if action in ("return_to_triage", "pause"):
        return org.handler, TransitionInput(reason=reason)
    if action in ("start", "resume"):
        return org.handler, TransitionInput()
    if action == "extend":
        return org.handler, TransitionInput(reason=reason, extension_days=5)
    if action == "submit_answer":
        draft_answer(case, org.handler, "Kính gửi ông/bà, đã xử lý.")
        return org.handler, TransitionInput()
    if action == "unpublish" and case.state == S.CLOSED.value:
        make_publication(case, status="published")  # a published case closed afterwards
        db.session.commit()
    if action in ("return_answer", "unpublish"):
        return org.approver, TransitionInput(reason=reason)
    if action in ("approve", "send_answer"):
        return org.approver, TransitionInput()
    if action == "publish":
        make_publication(case)
        return org.approver, TransitionInput()
    if action == "close":
        return org.officer, TransitionInput(closure_reason="insufficient_information")
    if action == "reopen":
        return org.officer, TransitionInput(reason=reason)
    if action == "sender_reopen":  # the system, on the sender's rating (feedback.followups)
        return None, TransitionInput(reason=reason)
    if action == "merge":
        return org.officer, TransitionInput(reason=reason, master=bring_to(S.REGISTERED, org))
    if action == "unmerge":
        return org.officer, TransitionInput(reason=reason)
    raise AssertionError(action)


def _expected_target(action: str, source: CaseState) -> CaseState:
    transition = TRANSITIONS[action]
    if transition.target is not None:
        return transition.target
    if action == "extend":
        return source
    if action == "unpublish":
        return S.ANSWERED if source == S.PUBLISHED else source
    if action == "sender_reopen":
        return S.IN_PROGRESS  # back to its handling unit (the default route)
    assert action == "reopen"
    # Answered (or closed after an answer) cases go back to their unit; the others to triage.
    return S.IN_PROGRESS if source in (S.ANSWERED, S.CLOSED) else S.REGISTERED


ALLOWED = sorted((action, source.value) for action, t in TRANSITIONS.items()
                 for source in t.sources)


def test_the_table_covers_every_state_and_every_action_has_an_implementation():
    reachable = {s for t in TRANSITIONS.values() for s in t.sources}
    assert reachable == set(CaseState)
    assert set(workflow.APPLY) == set(TRANSITIONS)
    assert set(workflow.STATE_LABELS) == set(CaseState)


@pytest.mark.parametrize(("action", "source"), ALLOWED)
def test_every_transition_from_every_allowed_state(app, org, action, source):
    case = bring_to(source, org)
    events_before = db.session.scalar(select(func.count(FeedbackEvent.id)).where(
        FeedbackEvent.case_id == case.id))
    actor, data = _valid(action, org, case)
    if TRANSITIONS[action].system_only:  # never offered to staff
        assert action not in {t.action for t in available_transitions(case, org.approver)}
    else:
        assert action in {t.action for t in available_transitions(case, actor)}
    event = transition_case(case, action, actor, data)
    db.session.commit()
    target = _expected_target(action, S(source))
    assert case.state == target.value
    assert (event.action, event.from_state, event.to_state) == (action, source, target.value)
    assert event.actor_id == (actor.id if actor is not None else None)
    assert event.public == TRANSITIONS[action].public
    assert event.reason == data.reason
    assert db.session.scalar(select(func.count(FeedbackEvent.id)).where(
        FeedbackEvent.case_id == case.id)) > events_before
    audit = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == f"feedback.{action}",
        AuditEntry.object_id == str(case.id))).all()
    assert len(audit) == 1
    assert audit[0].before == {"state": source}
    assert audit[0].after["state"] == target.value
    assert audit[0].reason == data.reason


@pytest.fixture
def admin(app, org, make_user):
    """Holds every permission everywhere: refusals are then about the state, never access."""
    return make_user(Role.SYSTEM_ADMIN, None, username="root")


def _snapshot(case: FeedbackCase) -> tuple:
    db.session.refresh(case)
    columns = {c.key: getattr(case, c.key) for c in FeedbackCase.__table__.columns}
    events = db.session.scalar(select(func.count(FeedbackEvent.id)).where(
        FeedbackEvent.case_id == case.id))
    audit = db.session.scalar(select(func.count(AuditEntry.id)))
    answers = db.session.execute(select(FeedbackAnswer.id, FeedbackAnswer.status).where(
        FeedbackAnswer.case_id == case.id)).all()
    return columns, events, audit, answers


def test_every_action_is_refused_with_409_from_every_other_state(app, org, admin):
    cases = {state: bring_to(state, org) for state in CaseState}
    refusals = 0
    for state, case in cases.items():
        for action, transition in TRANSITIONS.items():
            if state in transition.sources or transition.system_only:
                continue  # a system-only action is refused to any person first (403)
            before = _snapshot(case)
            with pytest.raises(TransitionRefused) as refused:
                transition_case(case, action, admin, TransitionInput(
                    reason="x", classification="conduct", handling_unit=org.department,
                    transferred_to="Bộ", extension_days=3, master=cases[S.REGISTERED]))
            assert refused.value.status == 409, (state, action)
            db.session.rollback()
            assert _snapshot(case) == before, (state, action)
            refusals += 1
    assert refusals == sum(len(CaseState) - len(t.sources) for t in TRANSITIONS.values()
                           if not t.system_only)


def test_an_unknown_action_is_a_400(app, org):
    case = submit_case(org)
    with pytest.raises(ServiceError) as refused:
        transition_case(case, "explode", org.officer)
    assert refused.value.status == 400


def _denials() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "access.denied")))


def _refuse_as(app, case, action, actor, data=None) -> ServiceError:
    """Like a view: inside a request, so the refusal is logged when the request ends."""
    before = _snapshot(case)
    with app.test_request_context(), pytest.raises(ServiceError) as refused:
        transition_case(case, action, actor, data or TransitionInput(reason="x"))
    db.session.rollback()
    assert _snapshot(case)[:2] == before[:2]
    return refused.value


@pytest.mark.parametrize(("state", "action", "who"), [
    (S.RECEIVED, "register", "handler"),
    (S.RECEIVED, "register", "approver"),
    (S.RECEIVED, "register", "outsider"),
    (S.REGISTERED, "assign", "handler"),
    (S.ASSIGNED, "start", "officer"),
    (S.ASSIGNED, "start", "approver"),
    (S.ASSIGNED, "start", "outsider"),
    (S.ASSIGNED, "reassign", "handler"),
    (S.IN_PROGRESS, "pause", "outsider"),
    (S.ANSWER_DRAFTED, "approve", "handler"),
    (S.ANSWER_DRAFTED, "approve", "officer"),
    (S.ANSWER_DRAFTED, "approve", "outsider"),
    (S.APPROVED, "send_answer", "handler"),
    (S.ANSWERED, "close", "handler"),
    (S.ANSWERED, "publish", "officer"),
])
def test_actors_without_the_permission_get_403_and_it_is_logged(app, org, state, action, who):
    case = bring_to(state, org)
    actor = getattr(org, who)
    assert action not in {t.action for t in available_transitions(case, actor)}
    refused = _refuse_as(app, case, action, actor)
    assert refused.status == 403
    denials = _denials()
    assert len(denials) == 1
    assert denials[0].object_type == "feedback_case"
    assert denials[0].object_id == str(case.id)
    assert denials[0].reason == TRANSITIONS[action].permission.value
    assert denials[0].actor_user_id is None or denials[0].actor_user_id == actor.id
    assert case.state == state.value


def test_the_handling_unit_acts_only_once_the_case_is_assigned_to_it(app, org):
    case = bring_to(S.ASSIGNED, org)
    # Reassigned to the other department: its handler may now act, ours may not.
    transition_case(case, "reassign", org.officer, TransitionInput(
        reason="Đúng thẩm quyền Sở Tài chính", handling_unit=org.other_department))
    db.session.commit()
    assert _refuse_as(app, case, "start", org.handler).status == 403
    transition_case(case, "start", org.outsider)
    db.session.commit()
    assert case.state == S.IN_PROGRESS.value


def test_an_anonymous_actor_is_refused_but_the_system_may_act(app, org):
    from flask_login import AnonymousUserMixin

    case = submit_case(org)
    assert _refuse_as(app, case, "register", AnonymousUserMixin()).status == 403
    transition_case(case, "register", None)   # a job: no actor
    db.session.commit()
    assert case.state == S.REGISTERED.value
    assert db.session.scalars(select(FeedbackEvent.actor_id).where(
        FeedbackEvent.case_id == case.id, FeedbackEvent.action == "register")).all() == [None]


@pytest.mark.parametrize(("state", "action", "actor"), [
    (S.RECEIVED, "reject", "officer"), (S.REGISTERED, "transfer", "officer"),
    (S.ASSIGNED, "reassign", "officer"), (S.IN_PROGRESS, "return_to_triage", "handler"),
    (S.IN_PROGRESS, "pause", "handler"), (S.IN_PROGRESS, "extend", "handler"),
    (S.ANSWER_DRAFTED, "return_answer", "approver"), (S.PUBLISHED, "unpublish", "approver"),
    (S.ANSWERED, "reopen", "officer"), (S.REGISTERED, "merge", "officer"),
    (S.MERGED, "unmerge", "officer"),
])
@pytest.mark.parametrize("reason", [None, "", "   \n "])
def test_reasons_are_required(app, org, state, action, actor, reason):
    assert TRANSITIONS[action].needs_reason
    case = bring_to(state, org)
    _ignored, data = _valid(action, org, case)
    data.reason = reason
    before = _snapshot(case)
    with pytest.raises(ServiceError) as refused:
        transition_case(case, action, getattr(org, actor), data)
    assert (refused.value.status, refused.value.field) == (400, "reason")
    db.session.rollback()
    assert _snapshot(case) == before


def test_actions_without_a_reason_flag_still_keep_one_when_given(app, org):
    case = submit_case(org)
    transition_case(case, "register", org.officer, TransitionInput(reason="  Đã vào sổ  "))
    db.session.commit()
    event = db.session.scalars(select(FeedbackEvent).where(
        FeedbackEvent.case_id == case.id, FeedbackEvent.action == "register")).one()
    assert event.reason == "Đã vào sổ"


# --- The register ---------------------------------------------------------------------

def _year_now() -> int:
    return datetime.now(LOCAL_TZ).year


def test_register_numbers_are_sequential_per_agency_and_year(app, org, make_unit, make_user,
                                                             monkeypatch):
    other_province = make_unit("Q", kind="province", name_vi="UBND tỉnh Khác")
    other_officer = make_user(Role.PAKN_OFFICER, other_province, username="officer2")
    ours = [submit_case(org) for _ in range(3)]
    theirs = [submit_case(org, origin_unit=other_province) for _ in range(2)]
    assert {c.agency_id for c in theirs} == {other_province.id}
    for first, second in zip(ours, theirs, strict=False):
        transition_case(first, "register", org.officer)
        transition_case(second, "register", other_officer)
    transition_case(ours[2], "assign", org.officer, TransitionInput(
        classification="in_competence", handling_unit=org.department))   # registers too
    db.session.commit()
    year = _year_now()
    assert [(c.register_year, c.register_seq) for c in ours] == [(year, 1), (year, 2),
                                                                 (year, 3)]
    assert [c.register_seq for c in theirs] == [1, 2]
    assert ours[0].register_number == f"00001/{year}"
    # Registering again (a reassign, a reopen) never takes a new number.
    transition_case(ours[2], "start", org.handler)
    transition_case(ours[2], "return_to_triage", org.handler, TransitionInput(reason="x"))
    transition_case(ours[2], "assign", org.officer, TransitionInput(
        classification="in_competence", handling_unit=org.department))
    db.session.commit()
    assert ours[2].register_seq == 3
    # A new year starts a new register.
    next_year = datetime(year + 1, 1, 2, 3, 0, tzinfo=UTC)
    _set_clock(monkeypatch, lambda: next_year)
    late = submit_case(org)
    transition_case(late, "register", org.officer)
    db.session.commit()
    assert (late.register_year, late.register_seq) == (year + 1, 1)
    assert late.register_number == f"00001/{year + 1}"


def test_many_registrations_never_share_a_number(app, org):
    cases = [submit_case(org) for _ in range(40)]
    for index, case in enumerate(cases):
        action = ("register", "reject", "assign", "merge")[index % 4]
        data = {"register": TransitionInput(), "reject": TransitionInput(reason="x"),
                "assign": TransitionInput(classification="conduct",
                                          handling_unit=org.department),
                "merge": TransitionInput(reason="x", master=cases[index - 1])}[action]
        transition_case(case, action, org.officer, data)
        if index % 7 == 0:
            db.session.commit()
    db.session.commit()
    numbers = [c.register_seq for c in cases]
    assert sorted(numbers) == list(range(1, 41))


def test_concurrent_registrations_in_threads_never_collide(app, org):
    ids = [submit_case(org).id for _ in range(12)]
    officer_id = org.officer.id
    errors: list[BaseException] = []

    def register(chunk: list[int]) -> None:
        try:
            with app.app_context(), write_intent():
                for case_id in chunk:
                    transition_case(db.session.get(FeedbackCase, case_id), "register",
                                    db.session.get(User, officer_id))
                    db.session.commit()
                db.session.remove()
        except BaseException as error:  # reported below
            errors.append(error)

    db.session.commit()
    db.session.close()   # release the test's own connection (SQLite lock)
    threads = [threading.Thread(target=register, args=(ids[i::3],)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    numbers = db.session.scalars(select(FeedbackCase.register_seq).where(
        FeedbackCase.id.in_(ids))).all()
    assert sorted(numbers) == list(range(1, 13))


# --- Assignment ----------------------------------------------------------------------

@pytest.mark.parametrize(("classification", "unit", "field"), [
    (None, "department", "classification"),
    ("not_accepted", "department", "classification"),
    ("outside_competence", "department", "classification"),
    ("nonsense", "department", "classification"),
    ("conduct", None, "handling_unit"),
    ("in_competence", "inactive", "handling_unit"),
])
def test_assign_needs_a_classification_and_an_active_unit(app, org, make_unit,
                                                          classification, unit, field):
    case = submit_case(org)
    if unit == "inactive":
        handling = make_unit("P-OLD", parent=org.province, name_vi="Sở đã giải thể")
        handling.active = False
        db.session.commit()
    else:
        handling = getattr(org, unit) if unit else None
    before = _snapshot(case)
    with pytest.raises(ServiceError) as refused:
        transition_case(case, "assign", org.officer, TransitionInput(
            classification=classification, handling_unit=handling))
    assert (refused.value.status, refused.value.field) == (400, field)
    db.session.rollback()
    assert _snapshot(case) == before


def test_assign_sets_the_unit_the_classification_and_the_answer_deadline(app, org):
    case = submit_case(org)
    assert case.answer_due_at is None
    assert case.due_at == case.transfer_due_at
    transition_case(case, "assign", org.officer, TransitionInput(
        classification="conduct", handling_unit=org.department))
    db.session.commit()
    assert case.handling_unit_id == org.department.id
    assert case.classification == "conduct"
    assert case.assigned_at is not None and case.acknowledged_at is not None
    assert case.answer_due_at is not None and case.due_at == case.answer_due_at
    assert case.register_seq == 1


def test_reassign_to_the_same_unit_is_refused(app, org):
    case = bring_to(S.ASSIGNED, org)
    with pytest.raises(ServiceError) as refused:
        transition_case(case, "reassign", org.officer, TransitionInput(
            reason="x", handling_unit=org.department))
    assert (refused.value.status, refused.value.field) == (400, "handling_unit")


def test_transfer_names_the_agency(app, org):
    case = submit_case(org)
    with pytest.raises(ServiceError) as refused:
        transition_case(case, "transfer", org.officer, TransitionInput(reason="x"))
    assert refused.value.field == "transferred_to"
    transition_case(case, "transfer", org.officer, TransitionInput(
        reason="Ngoài thẩm quyền", transferred_to="  Bộ Xây dựng "))
    db.session.commit()
    assert case.transferred_to == "Bộ Xây dựng"
    assert case.classification == "outside_competence"
    assert case.due_at is None


# --- Deadlines: extension and pause --------------------------------------------------------

def test_the_deadline_is_extended_only_once(app, org):
    case = bring_to(S.IN_PROGRESS, org)
    due = case.answer_due_at
    for days in (0, 31, None):
        with pytest.raises(ServiceError) as refused:
            transition_case(case, "extend", org.handler, TransitionInput(
                reason="x", extension_days=days))
        assert refused.value.field == "extension_days"
        db.session.rollback()
    transition_case(case, "extend", org.handler, TransitionInput(
        reason="Cần xác minh thêm", extension_days=5))
    db.session.commit()
    assert case.extended and case.extension_reason == "Cần xác minh thêm"
    assert case.answer_due_at == deadline_end(add_working_days(due, 5, cutoff=None))
    assert case.due_at == case.answer_due_at
    assert "extend" not in {t.action for t in available_transitions(case, org.handler)}
    with pytest.raises(TransitionRefused) as again:
        transition_case(case, "extend", org.handler, TransitionInput(
            reason="Lần nữa", extension_days=5))
    assert again.value.status == 409
    db.session.rollback()
    # Still refused after a pause, a resume or a reassignment.
    transition_case(case, "pause", org.handler, TransitionInput(reason="x"))
    transition_case(case, "resume", org.handler)
    with pytest.raises(TransitionRefused):
        transition_case(case, "extend", org.handler, TransitionInput(
            reason="Lần nữa", extension_days=5))


def _at(*args) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ).astimezone(UTC)


def test_pause_and_resume_shift_the_answer_deadline_by_the_working_days_paused(
        app, org, monkeypatch):
    received = _at(2026, 6, 1, 9, 0)            # Monday
    case = submit_case(org, received_at=received)
    clock = {"now": received + timedelta(hours=1)}
    _set_clock(monkeypatch, lambda: clock["now"])
    assign(case, org)
    transition_case(case, "start", org.handler)
    db.session.commit()
    due = case.answer_due_at
    assert due == deadline_end(add_working_days(received, 15, cutoff=None))

    clock["now"] = _at(2026, 6, 3, 16, 0)       # paused on Wednesday afternoon
    transition_case(case, "pause", org.handler, TransitionInput(reason="Chờ bổ sung giấy tờ"))
    db.session.commit()
    assert case.paused_at == clock["now"]
    assert case.due_at is None                   # no clock runs while waiting for the sender

    clock["now"] = _at(2026, 6, 12, 10, 0)      # resumed on Friday of the next week
    event = transition_case(case, "resume", org.handler)
    db.session.commit()
    paused = count_working_days(_at(2026, 6, 3, 16, 0), clock["now"])
    assert paused == 7                           # Thu 4 … Fri 12 June
    assert event.data == {"paused_working_days": paused}
    assert case.answer_due_at == deadline_end(add_working_days(due, paused, cutoff=None))
    assert case.due_at == case.answer_due_at
    assert case.paused_at is None
    assert case.last_contact_at == clock["now"]


def test_a_pause_resumed_the_same_day_does_not_move_the_deadline(app, org, monkeypatch):
    case = bring_to(S.IN_PROGRESS, org)
    due = case.answer_due_at
    transition_case(case, "pause", org.handler, TransitionInput(reason="x"))
    transition_case(case, "resume", org.handler)
    db.session.commit()
    assert case.answer_due_at == due


def test_a_suggestion_never_gets_a_deadline(app, org):
    case = submit_case(org, contact=None)
    assert not case.is_formal and case.kind == "suggestion"
    assert (case.transfer_due_at, case.acknowledge_due_at, case.due_at) == (None, None, None)
    assign(case, org)
    transition_case(case, "start", org.handler)
    transition_case(case, "extend", org.handler, TransitionInput(reason="x",
                                                                 extension_days=3))
    db.session.commit()
    assert (case.answer_due_at, case.due_at) == (None, None)


# --- Answers ----------------------------------------------------------------------------

def test_submit_needs_a_draft_and_approve_needs_a_submitted_answer(app, org):
    case = bring_to(S.IN_PROGRESS, org)
    with pytest.raises(ServiceError) as empty:
        transition_case(case, "submit_answer", org.handler)
    assert (empty.value.status, empty.value.field) == (400, "body")
    db.session.rollback()
    draft_answer(case, org.handler, "Nội dung trả lời")
    transition_case(case, "submit_answer", org.handler)
    transition_case(case, "return_answer", org.approver, TransitionInput(reason="Sửa lại"))
    db.session.commit()
    assert case.state == S.IN_PROGRESS.value
    answers = db.session.scalars(select(FeedbackAnswer).where(
        FeedbackAnswer.case_id == case.id).order_by(FeedbackAnswer.id)).all()
    assert [a.status for a in answers] == ["returned", "draft"]
    assert answers[0].return_reason == "Sửa lại"
    assert answers[1].body == "Nội dung trả lời"   # the handler starts from the returned text
    transition_case(case, "submit_answer", org.handler)
    transition_case(case, "approve", org.approver, TransitionInput(
        letter_number="123/SNV-TTr", signer_title="Giám đốc"))
    transition_case(case, "send_answer", org.approver)
    db.session.commit()
    sent = workflow.current_answer(case)
    assert sent.id == answers[1].id and sent.status == AnswerStatus.SENT.value
    assert sent.approved_by_id == org.approver.id and sent.letter_number == "123/SNV-TTr"
    assert case.answered_at == sent.sent_at and case.due_at is None


def test_approve_without_a_submitted_answer_is_409(app, org, admin):
    case = bring_to(S.ANSWER_DRAFTED, org)
    answer = workflow.current_answer(case)
    answer.status = AnswerStatus.DRAFT.value   # e.g. tampered with in the database
    db.session.commit()
    with pytest.raises(TransitionRefused) as refused:
        transition_case(case, "approve", org.approver)
    assert refused.value.status == 409


# --- Merge ----------------------------------------------------------------------------

def test_answering_the_master_answers_its_merged_cases(app, org):
    master = submit_case(org, content="Đường Lê Lợi ngập nước.")
    children = [submit_case(org, content="Đường Lê Lợi ngập sau mưa.") for _ in range(2)]
    for child in children:
        transition_case(child, "merge", org.officer, TransitionInput(
            reason="Cùng nội dung", master=master))
    db.session.commit()
    assert [c.state for c in children] == ["merged", "merged"]
    assert all(c.master_id == master.id and c.register_seq for c in children)
    assign(master, org)
    answer_and_send(master, org)
    for child in children:
        db.session.refresh(child)
        assert child.state == S.ANSWERED.value
        assert child.answered_at == master.answered_at
        event = db.session.scalars(select(FeedbackEvent).where(
            FeedbackEvent.case_id == child.id, FeedbackEvent.action == "send_answer")).one()
        assert event.data == {"via_master_id": master.id} and event.public
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "feedback.send_answer")) == 3


@pytest.mark.parametrize("master_state", [S.ANSWERED, S.CLOSED, S.MERGED, S.NOT_ACCEPTED])
def test_merge_into_a_case_that_is_not_open_is_refused(app, org, master_state):
    master = bring_to(master_state, org)
    case = submit_case(org)
    with pytest.raises(TransitionRefused) as refused:
        transition_case(case, "merge", org.officer, TransitionInput(reason="x",
                                                                    master=master))
    assert refused.value.status == 409


def test_merge_needs_another_case_of_the_same_register(app, org, make_unit, make_user):
    case = submit_case(org)
    with pytest.raises(ServiceError) as itself:
        transition_case(case, "merge", org.officer, TransitionInput(reason="x", master=case))
    assert itself.value.field == "master"
    db.session.rollback()
    with pytest.raises(ServiceError) as none:
        transition_case(case, "merge", org.officer, TransitionInput(reason="x"))
    assert none.value.field == "master"
    db.session.rollback()
    elsewhere = make_unit("Q", kind="province")
    foreign = submit_case(org, origin_unit=elsewhere)
    with pytest.raises(ServiceError) as other:
        transition_case(case, "merge", org.officer, TransitionInput(reason="x",
                                                                    master=foreign))
    assert (other.value.status, other.value.field) == (400, "master")


def test_unmerge_sends_the_case_back_to_triage(app, org):
    case = bring_to(S.ASSIGNED, org)
    master = bring_to(S.REGISTERED, org)
    transition_case(case, "merge", org.officer, TransitionInput(reason="x", master=master))
    transition_case(case, "unmerge", org.officer, TransitionInput(reason="Khác nội dung"))
    db.session.commit()
    assert case.state == S.REGISTERED.value
    assert (case.master_id, case.handling_unit_id, case.classification) == (None, None, None)


def test_merging_a_master_moves_its_merged_cases_to_the_new_master(app, org):
    first = bring_to(S.REGISTERED, org)
    child = submit_case(org)
    transition_case(child, "merge", org.officer, TransitionInput(reason="x", master=first))
    final = bring_to(S.REGISTERED, org)
    transition_case(first, "merge", org.officer, TransitionInput(reason="x", master=final))
    db.session.commit()
    db.session.refresh(child)
    assert child.master_id == final.id and child.state == S.MERGED.value
    assign(final, org)
    answer_and_send(final, org)
    db.session.refresh(child)
    db.session.refresh(first)
    assert child.state == first.state == S.ANSWERED.value


@pytest.mark.parametrize(("action", "data", "state"), [
    ("reject", {"reason": "Không đủ điều kiện"}, S.NOT_ACCEPTED),
    ("transfer", {"reason": "Ngoài thẩm quyền", "transferred_to": "Bộ Y tế"}, S.TRANSFERRED),
])
def test_merged_cases_follow_a_master_that_is_rejected_or_transferred(app, org, action,
                                                                       data, state):
    master = bring_to(S.REGISTERED, org)
    child = submit_case(org)
    transition_case(child, "merge", org.officer, TransitionInput(reason="x", master=master))
    transition_case(master, action, org.officer, TransitionInput(**data))
    db.session.commit()
    db.session.refresh(child)
    assert child.state == state.value
    assert child.classification == master.classification
    assert child.transferred_to == master.transferred_to
    assert db.session.scalars(select(FeedbackEvent.data).where(
        FeedbackEvent.case_id == child.id, FeedbackEvent.action == action)).all() == [
        {"via_master_id": master.id}]


# --- Reopen, close, publish --------------------------------------------------------------

def test_reopening_an_answered_case_gives_the_unit_a_fresh_period(app, org, monkeypatch):
    case = bring_to(S.ANSWERED, org)
    moment = _at(2026, 7, 6, 9, 0)   # Monday
    _set_clock(monkeypatch, lambda: moment)
    transition_case(case, "reopen", org.officer, TransitionInput(reason="Người gửi chưa rõ"))
    db.session.commit()
    assert case.state == S.IN_PROGRESS.value
    assert case.answered_at is None and case.closed_at is None
    assert case.answer_due_at == deadline_end(add_working_days(moment, 15, cutoff=None))
    assert case.due_at == case.answer_due_at
    # A new answer is written and sent again.
    draft_answer(case, org.handler, "Trả lời bổ sung")
    transition_case(case, "submit_answer", org.handler)
    transition_case(case, "approve", org.approver)
    transition_case(case, "send_answer", org.approver)
    db.session.commit()
    assert case.state == S.ANSWERED.value
    assert workflow.current_answer(case).body == "Trả lời bổ sung"


@pytest.mark.parametrize("state", [S.NOT_ACCEPTED, S.TRANSFERRED])
def test_reopening_a_case_never_assigned_returns_it_to_triage(app, org, state):
    case = bring_to(state, org)
    transition_case(case, "close", org.officer, TransitionInput(closure_reason="withdrawn"))
    transition_case(case, "reopen", org.officer, TransitionInput(reason="Đủ thông tin"))
    db.session.commit()
    assert case.state == S.REGISTERED.value
    assert case.classification is None and case.closed_at is None
    assert case.transferred_to is None
    assert case.due_at == case.transfer_due_at


def test_close_stamps_the_time(app, org):
    case = bring_to(S.ANSWERED, org)
    transition_case(case, "close", org.officer)
    db.session.commit()
    assert case.closed_at is not None and case.due_at is None


def test_publish_requires_a_prepared_publication(app, org):
    case = bring_to(S.ANSWERED, org)
    with pytest.raises(TransitionRefused) as refused:
        transition_case(case, "publish", org.approver)
    assert refused.value.status == 409
    db.session.rollback()
    publication = make_publication(case, redactions=[
        {"field": "question", "category": "phone", "start": 1, "end": 5,
         "text": "0912345678"}])
    db.session.commit()
    transition_case(case, "publish", org.approver)
    db.session.commit()
    assert case.state == S.PUBLISHED.value
    assert publication.status == "published" and publication.published_at is not None
    assert publication.approved_by_id == org.approver.id
    assert publication.redactions == [{"field": "question", "category": "phone", "start": 1,
                                       "end": 5}]   # the removed text is gone
    transition_case(case, "unpublish", org.approver, TransitionInput(reason="Sai sót"))
    db.session.commit()
    assert case.state == S.ANSWERED.value
    assert publication.status == "withdrawn" and publication.withdrawn_at is not None
    transition_case(case, "publish", org.approver)   # a withdrawn text may be published again
    db.session.commit()
    assert publication.status == "published" and publication.withdrawn_at is None


def test_a_published_publication_cannot_be_published_twice(app, org):
    case = bring_to(S.ANSWERED, org)
    make_publication(case, status="published")
    with pytest.raises(TransitionRefused):
        transition_case(case, "publish", org.approver)


def test_publication_before_approval_is_impossible(app, org):
    for state in (S.IN_PROGRESS, S.ANSWER_DRAFTED, S.APPROVED):
        case = bring_to(state, org)
        publication_id = make_publication(case).id
        db.session.commit()
        with pytest.raises(TransitionRefused):
            transition_case(case, "publish", org.approver)
        db.session.rollback()
        assert db.session.get(Publication, publication_id).status == "draft"
        assert case.state == state.value


# --- Timeline, audit and hooks -------------------------------------------------------------

def test_the_timeline_tells_the_whole_story(app, org):
    case = bring_to(S.PUBLISHED, org)
    events = db.session.scalars(select(FeedbackEvent).where(
        FeedbackEvent.case_id == case.id).order_by(FeedbackEvent.id)).all()
    assert [e.action for e in events] == [
        "receive", "assign", "start", "draft_answer", "submit_answer", "approve",
        "send_answer", "publish"]
    assert [e.to_state for e in events if e.action != "draft_answer"] == [
        "received", "assigned", "in_progress", "answer_drafted", "approved", "answered",
        "published"]
    assert [e.actor_id for e in events[1:]] == [
        org.officer.id, org.handler.id, org.handler.id, org.handler.id, org.approver.id,
        org.approver.id, org.approver.id]
    public = [e.action for e in events if e.public]
    assert public == ["receive", "assign", "send_answer"]
    audit = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "feedback_case", AuditEntry.object_id == str(case.id))
        .order_by(AuditEntry.id)).all()
    assert audit == ["feedback.receive", "feedback.assign", "feedback.start",
                     "feedback.submit_answer", "feedback.approve", "feedback.send_answer",
                     "feedback.publish"]


def test_notes_are_internal_and_need_text_and_access(app, org):
    case = bring_to(S.ASSIGNED, org)
    note = workflow.add_note(case, org.handler, "  Đã gọi điện cho người gửi ")
    assert note.reason == "Đã gọi điện cho người gửi" and not note.public
    with pytest.raises(ServiceError) as empty:
        workflow.add_note(case, org.handler, "   ")
    assert empty.value.status == 400
    with pytest.raises(ServiceError) as outsider:
        workflow.add_note(case, org.outsider, "xem trộm")
    assert outsider.value.status == 403


def test_hooks_are_called_with_each_event_in_the_same_transaction(app, org, monkeypatch):
    seen: list[tuple[int, str, str]] = []

    def hook(case, event):
        assert event.id is not None        # flushed, so a hook can point at it
        seen.append((case.id, event.action, case.state))

    monkeypatch.setattr(timeline, "TRANSITION_HOOKS", [*timeline.TRANSITION_HOOKS, hook])
    master = bring_to(S.REGISTERED, org)
    child = submit_case(org)
    transition_case(child, "merge", org.officer, TransitionInput(reason="x", master=master))
    assign(master, org)
    answer_and_send(master, org)
    assert seen == [
        (master.id, "register", "registered"), (child.id, "merge", "merged"),
        (master.id, "assign", "assigned"), (master.id, "start", "in_progress"),
        (master.id, "submit_answer", "answer_drafted"), (master.id, "approve", "approved"),
        (child.id, "send_answer", "answered"), (master.id, "send_answer", "answered")]


def test_a_refused_transition_calls_no_hook(app, org, monkeypatch):
    case = bring_to(S.REGISTERED, org)
    seen = []
    monkeypatch.setattr(timeline, "TRANSITION_HOOKS", [lambda c, e: seen.append(e)])
    with pytest.raises(TransitionRefused):
        transition_case(case, "register", org.officer)
    with pytest.raises(ServiceError):
        transition_case(case, "reject", org.officer, TransitionInput(reason=" "))
    assert seen == []


def test_state_labels_exist_for_every_state(app):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert workflow.state_label("answered") == "Answered"
        assert all(workflow.state_label(s) for s in CaseState)


def test_a_closed_case_keeps_its_public_page_and_can_still_withdraw_it(app, org):
    case = bring_to(S.ANSWERED, org)
    publication = make_publication(case)
    db.session.commit()
    transition_case(case, "publish", org.approver)
    transition_case(case, "close", org.officer)
    db.session.commit()
    assert publication.status == "published"
    assert "unpublish" in [t.action for t in available_transitions(case, org.approver)]
    transition_case(case, "unpublish", org.approver, TransitionInput(reason="Lộ thông tin"))
    db.session.commit()
    assert case.state == S.CLOSED.value and publication.status == "withdrawn"
    # Nothing left to withdraw: not offered, and refused if asked.
    assert "unpublish" not in [t.action for t in available_transitions(case, org.approver)]
    with pytest.raises(TransitionRefused):
        transition_case(case, "unpublish", org.approver, TransitionInput(reason="lại"))


def test_a_closed_case_that_was_never_published_offers_no_withdrawal(app, org):
    case = bring_to(S.ANSWERED, org)
    transition_case(case, "close", org.officer)
    db.session.commit()
    assert "unpublish" not in [t.action for t in available_transitions(case, org.approver)]
