"""Working-day deadlines of PAKN cases (feedback.deadlines): which limit applies, the due
moments across Vietnamese holidays, and the traffic-light colours of the queues."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.clock import LOCAL_TZ, today
from core.extensions import db
from core.settings import set_setting
from core.workdays import add_working_days, deadline_end
from feedback.deadlines import (
    Light,
    Step,
    deadline_days,
    due_after,
    refresh_due,
    traffic_light,
)
from feedback.models import CaseState, DeadlineRule
from feedback.workflow import TransitionInput, transition_case
from tests.feedback.helpers import assign, bring_to, build_org, submit_case


@pytest.fixture
def org(app, make_unit, make_user):
    return build_org(make_unit, make_user)


def _at(*args) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ).astimezone(UTC)


def _end_of(day: date) -> datetime:
    """23:59:59.999999 in Vietnam on ``day``."""
    return datetime(day.year, day.month, day.day, 23, 59, 59, 999999,
                    tzinfo=LOCAL_TZ).astimezone(UTC)


def _rule(step: Step, days: int, *, kind=None, topic=None, unit=None,
          effective_from: date = date(2020, 1, 1)) -> DeadlineRule:
    rule = DeadlineRule(step=step.value, days=days, kind=kind, topic=topic,
                        unit_id=unit.id if unit else None, effective_from=effective_from)
    db.session.add(rule)
    db.session.flush()
    return rule


ON = date(2026, 6, 1)


def _days(org, unit=None, *, step=Step.ANSWER, kind="report", topic="health", on=ON) -> int:
    return deadline_days(step, kind=kind, topic=topic, unit=unit or org.department, on=on)


def test_without_rules_the_core_settings_apply(app, org):
    assert _days(org, step=Step.TRANSFER) == 5
    assert _days(org, step=Step.ACKNOWLEDGE) == 10
    assert _days(org, step=Step.ANSWER) == 15
    # A setting scheduled for one unit applies to its subtree only.
    set_setting("pakn.answer_days", 20, effective_from=today(), unit=org.department)
    db.session.commit()
    assert _days(org, on=today()) == 20
    assert _days(org, org.other_department, on=today()) == 15


def test_rule_precedence_unit_over_topic_over_kind_over_setting(app, org, make_unit):
    _rule(Step.ANSWER, 12, kind="report")
    assert _days(org) == 12
    assert _days(org, kind="recommendation") == 15      # the kind rule does not apply
    _rule(Step.ANSWER, 9, topic="health")
    assert _days(org) == 9                              # topic beats kind
    assert _days(org, topic="water") == 12
    _rule(Step.ANSWER, 8, topic="health", kind="report")
    assert _days(org) == 8                              # topic and kind beat topic alone
    _rule(Step.ANSWER, 7, unit=org.province)
    assert _days(org) == 7                              # a unit rule beats both
    _rule(Step.ANSWER, 6, unit=org.department)
    assert _days(org) == 6                              # the nearer unit wins
    assert _days(org, org.other_department) == 7        # its sibling follows the province
    team = make_unit("P-SNV-T1", parent=org.department, name_vi="Phòng Cải cách")
    assert _days(org, team) == 6                        # the department's rule holds below it
    outside = make_unit("Q", kind="province")
    assert _days(org, outside) == 8                     # no unit rule there
    # Another step is untouched.
    assert _days(org, step=Step.TRANSFER) == 5


def test_rules_take_effect_on_their_date(app, org):
    _rule(Step.TRANSFER, 3, effective_from=date(2026, 7, 1))
    assert _days(org, step=Step.TRANSFER, on=date(2026, 6, 30)) == 5
    assert _days(org, step=Step.TRANSFER, on=date(2026, 7, 1)) == 3
    # Equally specific: the later effective date wins once in force.
    _rule(Step.TRANSFER, 4, effective_from=date(2026, 9, 1))
    assert _days(org, step=Step.TRANSFER, on=date(2026, 8, 31)) == 3
    assert _days(org, step=Step.TRANSFER, on=date(2026, 9, 1)) == 4
    # A more specific rule that is not yet in force does not apply.
    _rule(Step.TRANSFER, 2, unit=org.department, effective_from=date(2027, 1, 1))
    assert _days(org, step=Step.TRANSFER, on=date(2026, 12, 31)) == 4
    assert _days(org, step=Step.TRANSFER, on=date(2027, 1, 1)) == 2


def test_a_case_received_before_30_april_and_1_may_2026(app, org):
    # Wednesday 29/04/2026; Thursday 30/4 and Friday 1/5 are holidays.
    case = submit_case(org, received_at=_at(2026, 4, 29, 10, 0))
    assert case.transfer_due_at == _end_of(date(2026, 5, 8))       # Mon 4 … Fri 8 May
    assert case.acknowledge_due_at == _end_of(date(2026, 5, 15))
    assert case.due_at == case.transfer_due_at
    assign(case, org)
    assert case.answer_due_at == _end_of(date(2026, 5, 22))         # 15 working days
    assert case.due_at == case.answer_due_at


def test_the_one_stop_cutoff_does_not_apply_to_pakn(app, org):
    # Received late on Wednesday: the period still starts the next day.
    case = submit_case(org, received_at=_at(2026, 4, 29, 16, 30))
    assert case.transfer_due_at == _end_of(date(2026, 5, 8))


def test_a_case_received_on_a_holiday_counts_from_the_next_working_day(app, org):
    # Civil Code art. 147: the day of receipt (Thu 30/4, a holiday) is not counted, and day 1
    # is the next working day, Mon 4/5 (Fri 1/5 holiday, then the weekend): Mon 4 … Fri 8 May.
    case = submit_case(org, received_at=_at(2026, 4, 30, 9, 0))    # Liberation Day
    assert case.transfer_due_at == _end_of(date(2026, 5, 8))


def test_a_case_received_just_before_tet_2027(app, org):
    # Tết 2027: Thu 4/2 to Wed 10/2 are closed (with the weekend in between).
    case = submit_case(org, received_at=_at(2027, 2, 3, 9, 0))
    assert case.transfer_due_at == _end_of(date(2027, 2, 17))       # Thu 11 … Wed 17 Feb
    assert case.acknowledge_due_at == _end_of(date(2027, 2, 24))


def test_due_moments_use_the_rules_in_force_on_the_day_of_receipt(app, org):
    _rule(Step.TRANSFER, 2, unit=org.department, effective_from=date(2026, 5, 1))
    before = submit_case(org, received_at=_at(2026, 4, 28, 9, 0))   # Tuesday
    after = submit_case(org, received_at=_at(2026, 5, 4, 9, 0))     # Monday
    assert before.transfer_due_at == _end_of(date(2026, 5, 7))     # 29/4, 4, 5, 6, 7 May
    assert after.transfer_due_at == _end_of(date(2026, 5, 6))      # 5, 6


def test_the_answer_limit_is_the_handling_units(app, org):
    _rule(Step.ANSWER, 5, unit=org.other_department)
    received = _at(2026, 6, 1, 9, 0)
    case = submit_case(org, received_at=received)
    assign(case, org, unit=org.other_department)
    assert case.answer_due_at == deadline_end(add_working_days(received, 5, cutoff=None))


@pytest.mark.parametrize("contact", [None, "partial"])
def test_suggestions_have_no_deadline(app, org, contact):
    from feedback.intake import Contact

    who = Contact(name="An", phone="0912345678") if contact else None
    case = submit_case(org, contact=who)
    assert case.kind == "suggestion" and not case.is_formal
    assert (case.transfer_due_at, case.acknowledge_due_at, case.answer_due_at,
            case.due_at) == (None, None, None, None)
    assert traffic_light(case) is Light.NONE
    assign(case, org)
    assert case.due_at is None


def test_the_due_column_follows_the_state(app, org):
    case = bring_to(CaseState.IN_PROGRESS, org)
    assert case.due_at == case.answer_due_at
    transition_case(case, "pause", org.handler, TransitionInput(reason="x"))
    assert case.due_at is None
    for state, expected in [(CaseState.REGISTERED, case.transfer_due_at),
                            (CaseState.ANSWER_DRAFTED, case.answer_due_at),
                            (CaseState.ANSWERED, None), (CaseState.CLOSED, None),
                            (CaseState.MERGED, None), (CaseState.TRANSFERRED, None)]:
        case.state = state.value
        refresh_due(case)
        assert case.due_at == expected, state


def test_due_after_counts_working_days_after_the_start(app):
    assert due_after(_at(2026, 6, 5, 10, 0), 1) == _end_of(date(2026, 6, 8))   # Fri → Mon
    assert due_after(_at(2026, 6, 5, 10, 0), 0) == _end_of(date(2026, 6, 5))


@pytest.mark.parametrize(("moment", "light"), [
    (_at(2026, 5, 4, 9, 0), Light.GREEN),     # 4 working days left
    (_at(2026, 5, 5, 9, 0), Light.GREEN),     # 3 left
    (_at(2026, 5, 6, 9, 0), Light.AMBER),     # 2 left
    (_at(2026, 5, 8, 23, 0), Light.AMBER),    # the last evening
    (_at(2026, 5, 9, 0, 0), Light.RED),       # Saturday: overdue
    (_at(2026, 6, 1, 9, 0), Light.RED),
])
def test_traffic_light_colours(app, org, moment, light):
    case = submit_case(org, received_at=_at(2026, 4, 29, 10, 0))   # transfer due 8/5/2026
    assert traffic_light(case, at=moment) is light


def test_traffic_light_amber_window_is_a_parameter(app, org):
    case = submit_case(org, received_at=_at(2026, 4, 29, 10, 0))
    assert traffic_light(case, at=_at(2026, 5, 4, 9, 0), amber_working_days=4) is Light.AMBER
    assert traffic_light(case, at=_at(2026, 5, 8, 9, 0), amber_working_days=0) is Light.AMBER
    assert traffic_light(case, at=_at(2026, 5, 7, 9, 0), amber_working_days=0) is Light.GREEN
    case.due_at = None
    assert traffic_light(case, at=_at(2026, 5, 4, 9, 0)) is Light.NONE
    assert traffic_light(case, at=_at(2026, 5, 4, 9, 0) + timedelta(days=365)) is Light.NONE


def test_cached_limits_follow_committed_changes_at_once(app, org):
    # deadline_days is cached per app; a change committed here drops the cache.
    assert _days(org) == 15
    assert _days(org) == 15                              # served from the cache
    _rule(Step.ANSWER, 9, topic="health")
    db.session.commit()
    assert _days(org) == 9
    from core.clock import today
    from core.settings import set_setting
    assert _days(org, topic="water", on=today()) == 15   # no rule for water: the setting
    set_setting("pakn.answer_days", 20, effective_from=today())
    db.session.commit()
    assert _days(org, topic="water", on=today()) == 20   # the commit dropped the cache
