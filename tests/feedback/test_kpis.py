"""feedback.kpis: the KPIs of the cases an actor may see, on cases made through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import now, today
from core.extensions import db
from core.workdays import count_working_days
from feedback.kpis import pakn_kpis, period_bounds
from feedback.workflow import TransitionInput, transition_case
from tests.feedback.helpers import answer_and_send, assign, build_org, submit_case


@pytest.fixture
def org(make_unit, make_user):
    return build_org(make_unit, make_user)


@pytest.fixture
def register(org):
    """Five cases received in the last 90 days and one long before."""
    answered = submit_case(org, topic="procedures", channel="web")
    assign(answered, org)
    answer_and_send(answered, org)
    # Received 60 days ago, still waiting for triage: the 5-day transfer limit has passed.
    old_open = submit_case(org, topic="health", channel="hotline",
                           received_at=now() - timedelta(days=60))
    # Assigned to the other department, in progress.
    elsewhere = submit_case(org, topic="water", channel="email")
    assign(elsewhere, org, org.other_department)
    # Transferred at once: handled on time.
    moved = submit_case(org, topic="other", channel="letter")
    transition_case(moved, "transfer", org.officer, TransitionInput(
        reason="Thuộc thẩm quyền UBND xã", transferred_to="UBND xã Đình Lập"))
    # A suggestion (no contact data): no deadline.
    suggestion = submit_case(org, topic="procedures", channel="box", contact=None)
    # Outside the period.
    submit_case(org, topic="health", channel="web", received_at=now() - timedelta(days=200))
    db.session.commit()
    return {"answered": answered, "old_open": old_open, "elsewhere": elsewhere,
            "moved": moved, "suggestion": suggestion}


def period():
    return (today() - timedelta(days=90), today())


def test_officer_sees_the_whole_register_of_the_period(org, register):
    kpis = pakn_kpis(org.officer, period=period())
    assert kpis.day_unit == "working_days"
    received = kpis.received.set_index(["dimension", "key"])["cases"]
    assert received["all", "all"] == 5          # the 200-day-old case is outside the period
    assert received["formal", "formal"] == 4
    assert received["formal", "suggestion"] == 1
    assert received["channel", "hotline"] == 1
    assert received["topic", "procedures"] == 2
    handling = kpis.handling.set_index("outcome")
    # answered (1, on time, same day) and transferred (1, on time); both formal and timed.
    assert handling.loc["answered", ["cases", "timed", "on_time", "late"]].tolist() == \
        [1, 1, 1, 0]
    assert handling.loc["transferred", ["cases", "on_time"]].tolist() == [1, 1]
    assert handling.loc["total", "on_time_share"] == 1.0
    backlog = kpis.backlog.set_index("age_bucket")
    # Open: old_open (>20 working days, overdue), elsewhere and the suggestion (0-5).
    assert backlog.loc["total"].tolist() == [3, 1]
    assert backlog.loc[">20"].tolist() == [1, 1]
    assert backlog.loc["0-5", "open_cases"] == 2
    age = count_working_days(register["old_open"].received_at, now())
    assert age > 20
    by_unit = kpis.medians["handling_unit_id"].set_index("handling_unit_id")
    # Only the answered case reached a handling unit and was handled: 0 working days, 1 case.
    assert by_unit.loc[org.department.id, ["cases", "median_days"]].tolist() == [1, 0.0]
    assert bool(by_unit.loc[org.department.id, "small_sample"]) is True


def test_handler_sees_only_the_cases_of_its_unit(org, register):
    kpis = pakn_kpis(org.handler, period=period())
    received = kpis.received.set_index(["dimension", "key"])["cases"]
    assert received["all", "all"] == 1
    assert kpis.handling.set_index("outcome").loc["answered", "cases"] == 1
    outsider = pakn_kpis(org.outsider, period=period())
    assert outsider.received.loc[0, "cases"] == 1
    assert outsider.backlog.set_index("age_bucket").loc["total", "open_cases"] == 1


def test_as_of_in_the_past_and_min_count(org, register):
    before_answer = register["answered"].received_at - timedelta(seconds=1)
    kpis = pakn_kpis(org.officer, period=period(), as_of=before_answer, min_count=1)
    # Only the 60-day-old case had been received by then.
    assert kpis.received.loc[0, "cases"] == 1
    assert kpis.min_count == 1


@pytest.mark.parametrize("bad", [None, (1, 2), (today(),), (today(), today() - timedelta(1)),
                                 (now(), now())])
def test_bad_period(bad):
    with pytest.raises(ValueError, match="period"):
        period_bounds(bad)
