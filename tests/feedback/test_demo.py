"""The PAKN demo data: `flask core seed-demo` loads it once, through the real services."""

from __future__ import annotations

import importlib.util
from datetime import timedelta

from sqlalchemy import func, select

from core.audit import acting_as
from core.clock import now, today
from core.crypto import decrypt_json
from core.extensions import db
from core.models import AuditEntry, User
from feedback.deadlines import Light, traffic_light
from feedback.demo_cases import CASES, KEY_PREFIX
from feedback.kpis import pakn_kpis
from feedback.models import CaseState, FeedbackCase, FeedbackEvent, RoutingRule


def _demo_cases() -> list[FeedbackCase]:
    return list(db.session.execute(select(FeedbackCase).where(
        FeedbackCase.idempotency_key.like(KEY_PREFIX + "%"))).scalars())


def _publication_ready() -> bool:
    if importlib.util.find_spec("feedback.publication") is None:
        return False
    import feedback.publication as publication
    return hasattr(publication, "prepare_publication")


def test_seed_demo_twice_loads_the_cases_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["core", "seed-demo"])
    assert first.exit_code == 0, first.output
    cases = _demo_cases()
    assert len(cases) == len(CASES) >= 40
    events = db.session.scalar(select(func.count(FeedbackEvent.id)))
    rules = db.session.scalar(select(func.count(RoutingRule.id)))

    second = runner.invoke(args=["core", "seed-demo"])
    assert second.exit_code == 0, second.output
    assert len(_demo_cases()) == len(CASES)
    assert db.session.scalar(select(func.count(FeedbackEvent.id))) == events
    assert db.session.scalar(select(func.count(RoutingRule.id))) == rules

    states = {case.state for case in cases}
    expected = {state.value for state in CaseState}
    if not _publication_ready():  # the publication helper's service is not there yet
        expected.discard(CaseState.PUBLISHED.value)
    assert expected <= states, sorted(expected - states)

    channels = {case.channel for case in cases}
    assert {"web", "qr", "survey", "hotline", "email", "box", "letter", "meeting",
            "portal", "api", "open311"} <= channels
    assert {case.kind for case in cases} == {"report", "recommendation", "suggestion"}
    assert len({case.topic for case in cases}) >= 10
    assert any(case.looks_like_complaint for case in cases)


def test_demo_deadlines_contacts_and_actors(app):
    result = app.test_cli_runner().invoke(args=["core", "seed-demo"])
    assert result.exit_code == 0, result.output
    cases = _demo_cases()
    lights = {traffic_light(case) for case in cases}
    assert {Light.RED, Light.AMBER, Light.GREEN, Light.NONE} <= lights
    overdue = [c for c in cases if c.due_at is not None and c.due_at < now()]
    assert len(overdue) >= 3
    due_soon = {f"{KEY_PREFIX}{spec.key}" for spec in CASES if spec.due_in is not None}
    assert due_soon and {traffic_light(c) for c in cases if c.idempotency_key in due_soon} \
        == {Light.AMBER}
    assert any(c.extended for c in cases)
    assert any(c.master_id is not None for c in cases)

    # Contact data is fictional; every step is taken by the demo account whose job it is.
    contacts = [decrypt_json(c.contact_enc) for c in cases if c.contact_enc is not None]
    assert contacts
    for contact in contacts:
        if contact["email"]:
            assert contact["email"].endswith("example.vn")
        if contact["phone"]:
            assert contact["phone"].startswith("09")
    actors = set(db.session.scalars(select(FeedbackEvent.actor_label).where(
        FeedbackEvent.case_id.in_([c.id for c in cases]),
        FeedbackEvent.action.in_(["assign", "approve", "start"]))))
    assert actors == {"Hoàng Thị Tiếp", "Vi Thị Duyệt", "Lương Văn Xử"}
    labels = set(db.session.scalars(select(AuditEntry.actor_label).where(
        AuditEntry.action == "feedback.receive")))
    assert labels == {"demo"}

    # The KPIs of the demo register: every case, some handled late, an overdue backlog.
    officer = db.session.scalar(select(User).where(User.username == "pakn.vanphong"))
    kpis = pakn_kpis(officer, period=(today() - timedelta(days=90), today()))
    assert kpis.received.loc[0, "cases"] == len(CASES)
    total = kpis.handling.set_index("outcome").loc["total"]
    assert total["late"] >= 1 and total["on_time"] >= 1
    assert kpis.backlog.set_index("age_bucket").loc["total", "overdue"] >= 3


def test_loader_does_nothing_without_the_core_demo(app):
    from feedback.demo import load_feedback_demo

    with acting_as("test"):
        load_feedback_demo()
    assert _demo_cases() == []
