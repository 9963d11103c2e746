"""PAKN work lists ("Việc của tôi"): one test per list query, scoped by the user's units and
role, most urgent first; the landing page shows each role its own lists; a case moves to the
right list after every transition."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import now
from core.extensions import db
from core.models import Role
from feedback import worklists as wl
from feedback.workflow import TransitionInput, transition_case
from tests.feedback.helpers import (
    assign,
    bring_to,
    build_org,
    draft_answer,
    make_publication,
    submit_case,
)

pytestmark = pytest.mark.usefixtures("english_messages")


@pytest.fixture
def org(make_unit, make_user):
    return build_org(make_unit, make_user)


@pytest.fixture
def elsewhere(make_unit, make_user):
    """Another province with its own officer, handler and approver: never in org's lists."""
    other = build_org(lambda code, **kw: make_unit("X" + code, **kw),
                      lambda role, unit, username: make_user(role, unit,
                                                             username="x-" + username))
    return other


def _codes(result) -> list[str]:
    return [item.code.replace("-", "") for item in result.items]


def _in(result, case) -> bool:
    return case.tracking_code in _codes(result)


def _age(case, days: float, *, due_in: float | None = None) -> None:
    case.received_at = now() - timedelta(days=days)
    if due_in is not None:
        case.due_at = now() + timedelta(days=due_in)
    db.session.commit()


def test_officer_to_register_is_scoped_and_most_urgent_first(app, org, elsewhere):
    late = submit_case(org)
    fresh = submit_case(org)
    _age(late, 9, due_in=-1)
    _age(fresh, 0, due_in=6)
    theirs = submit_case(elsewhere)
    registered = bring_to("registered", org)
    result = wl.officer_to_register(org.officer)
    assert result.count == 2
    assert _codes(result) == [late.tracking_code, fresh.tracking_code]
    assert result.items[0].overdue and not result.items[1].overdue
    assert result.items[1].new and not result.items[0].new
    assert not _in(result, theirs) and not _in(result, registered)
    assert wl.officer_to_register(org.handler).count == 0  # not an officer
    assert wl.officer_to_register(elsewhere.officer).count == 1


def test_officer_to_classify_and_to_transfer(app, org, elsewhere):
    registered = bring_to("registered", org)
    sent_back = bring_to("assigned", org)
    transition_case(sent_back, "return_to_triage", org.handler,
                    TransitionInput(reason="Không thuộc thẩm quyền của Sở"))
    db.session.commit()
    bring_to("registered", elsewhere)
    classify = wl.officer_to_classify(org.officer)
    transfer = wl.officer_to_transfer(org.officer)
    assert (_codes(classify), classify.count) == ([registered.tracking_code], 1)
    assert (_codes(transfer), transfer.count) == ([sent_back.tracking_code], 1)


def test_officer_overdue_covers_the_register_wherever_handled(app, org, elsewhere):
    late_in_handling = bring_to("in_progress", org)
    late_received = submit_case(org)
    on_time = bring_to("assigned", org)
    for case, due in ((late_in_handling, -2), (late_received, -1), (on_time, 5)):
        _age(case, 20, due_in=due)
    closed = bring_to("answered", org)
    _age(closed, 30, due_in=-10)  # answered: no longer open
    late_elsewhere = submit_case(elsewhere)
    _age(late_elsewhere, 20, due_in=-3)
    result = wl.officer_overdue(org.officer)
    assert _codes(result) == [late_in_handling.tracking_code, late_received.tracking_code]
    assert all(item.overdue for item in result.items)


def test_handler_assigned_to_my_unit(app, org, elsewhere):
    assigned = bring_to("assigned", org)
    waiting = bring_to("waiting", org)
    drafted = bring_to("answer_drafted", org)
    other_unit = submit_case(org)
    assign(other_unit, org, org.other_department)
    result = wl.handler_assigned(org.handler)
    assert set(_codes(result)) == {assigned.tracking_code, waiting.tracking_code}
    assert not _in(result, drafted) and not _in(result, other_unit)
    assert result.items[_codes(result).index(assigned.tracking_code)].new
    assert _codes(wl.handler_assigned(org.outsider)) == [other_unit.tracking_code]
    assert wl.handler_assigned(org.officer).count == 0


def test_handler_due_within_three_working_days(app, org):
    soon = bring_to("in_progress", org)
    late = bring_to("assigned", org)
    later = bring_to("in_progress", org)
    _age(soon, 10, due_in=1)
    _age(late, 10, due_in=-1)
    _age(later, 10, due_in=30)
    result = wl.handler_due_soon(org.handler)
    assert _codes(result) == [late.tracking_code, soon.tracking_code]


def test_handler_returned_by_the_approver(app, org):
    returned = bring_to("answer_drafted", org)
    transition_case(returned, "return_answer", org.approver,
                    TransitionInput(reason="Bổ sung căn cứ pháp lý"))
    db.session.commit()
    plain = bring_to("in_progress", org)
    result = wl.handler_returned(org.handler)
    assert (_codes(result), result.count) == ([returned.tracking_code], 1)
    assert not _in(result, plain)
    # Submitted again: it leaves the list and waits for the approver.
    draft_answer(returned, org.handler, "Kính gửi ông/bà, đã bổ sung căn cứ.")
    transition_case(returned, "submit_answer", org.handler)
    db.session.commit()
    assert wl.handler_returned(org.handler).count == 0
    assert _in(wl.approver_to_approve(org.approver), returned)


def test_approver_waiting_for_approval_and_to_send(app, org, elsewhere):
    drafted = bring_to("answer_drafted", org)
    approved = bring_to("approved", org)
    bring_to("answer_drafted", elsewhere)
    waiting = wl.approver_to_approve(org.approver)
    to_send = wl.approver_to_send(org.approver)
    assert (_codes(waiting), waiting.count) == ([drafted.tracking_code], 1)
    assert (_codes(to_send), to_send.count) == ([approved.tracking_code], 1)
    assert wl.approver_to_approve(org.handler).count == 0  # a handler does not approve


def test_approver_publication_drafts(app, org, elsewhere):
    answered = bring_to("answered", org)
    make_publication(answered)
    no_draft = bring_to("answered", org)
    theirs = bring_to("answered", elsewhere)
    make_publication(theirs)
    db.session.commit()
    result = wl.approver_publications(org.approver)
    assert _codes(result) == [answered.tracking_code]
    assert result.items[0].url.endswith(f"/{answered.id}/cong-khai")
    assert not _in(result, no_draft)


def test_landing_page_shows_each_role_its_lists(client, login, org, make_user):
    case = submit_case(org)
    login(client, org.officer)
    html = client.get("/quan-tri/").get_data(as_text=True)
    assert 'id="wl-officer_register"' in html and 'id="wl-handler_assigned"' not in html
    assert f"/quan-tri/pakn/{case.id}" in html
    assign(case, org)
    login(client, org.handler)
    html = client.get("/quan-tri/").get_data(as_text=True)
    assert 'id="wl-handler_assigned"' in html and 'id="wl-officer_register"' not in html
    assert f"/quan-tri/pakn/{case.id}" in html
    login(client, org.approver)
    html = client.get("/quan-tri/").get_data(as_text=True)
    assert 'id="wl-approver_approve"' in html
    admin = make_user(Role.SYSTEM_ADMIN)
    login(client, admin)
    html = client.get("/quan-tri/").get_data(as_text=True)
    assert 'id="wl-setup_system_admin"' in html and 'id="wl-officer_register"' not in html


# Where a case waits in each open state: whose list, which list.
EXPECTED_LIST = {
    "received": ("officer", wl.officer_to_register),
    "registered": ("officer", wl.officer_to_classify),
    "assigned": ("handler", wl.handler_assigned),
    "in_progress": ("handler", wl.handler_assigned),
    "waiting": ("handler", wl.handler_assigned),
    "answer_drafted": ("approver", wl.approver_to_approve),
    "approved": ("approver", wl.approver_to_send),
}


def test_every_open_state_waits_in_exactly_the_right_list(app, org):
    """After each transition a case shows in the list of whoever must act next, and in no
    other role's list of that kind (overdue and due-soon lists aside)."""
    queries = {wl.officer_to_register, wl.officer_to_classify, wl.officer_to_transfer,
               wl.handler_assigned, wl.handler_returned, wl.approver_to_approve,
               wl.approver_to_send, wl.approver_publications}
    for state, (who, query) in EXPECTED_LIST.items():
        case = bring_to(state, org)
        found = {other for other in queries
                 if _in(other(getattr(org, who)), case)}
        assert found == {query}, (state, found)
        others = [user for name, user in (("officer", org.officer), ("handler", org.handler),
                                          ("approver", org.approver)) if name != who]
        for user in others:
            assert not any(_in(other(user), case) for other in queries), (state, user)
    answered = bring_to("answered", org)
    assert not any(_in(query(user), answered) for query in queries
                   for user in (org.officer, org.handler, org.approver))
    make_publication(answered)
    db.session.commit()
    assert _in(wl.approver_publications(org.approver), answered)
