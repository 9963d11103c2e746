"""Routing rules, the suggestion model learned from past routed cases, routing decisions and
the dry run (feedback.routing)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.exceptions import ServiceError
from core.extensions import db
from core.models import AuditEntry
from feedback import routing_model
from feedback.models import RoutingDecision, RoutingRule
from feedback.routing import (
    RuleData,
    create_rule,
    delete_rule,
    dry_run_rules,
    dry_run_summary,
    first_matching_rule,
    move_rule,
    recent_routed_cases,
    record_routing_decision,
    rule_matches,
    rules_for_agency,
    rules_visible_to,
    set_rule_active,
    suggest_handling_units,
    update_rule,
)
from feedback.workflow import TransitionInput, transition_case
from tests.feedback.helpers import assign, build_org, submit_case

ROADS = ["Mặt đường liên xã bị hỏng nhiều ổ gà, xe máy đi rất nguy hiểm",
         "Đường vào thôn Nà Phai xuống cấp, ổ gà sâu sau mưa",
         "Xe tải chở quá tải làm hỏng mặt đường bê tông của xã"]
SCHOOLS = ["Trường tiểu học thu thêm các khoản tiền ngoài quy định",
           "Giáo viên ép học sinh tiểu học đi học thêm có thu tiền",
           "Nhà trường thu tiền quỹ phụ huynh quá cao so với quy định"]


pytestmark = pytest.mark.usefixtures("english_messages")

@pytest.fixture
def org(make_unit, make_user):
    return build_org(make_unit, make_user)


def _rule(org, unit=None, commit=True, **fields) -> RoutingRule:
    fields.setdefault("name", "Quy tắc")
    rule = create_rule(RuleData(handling_unit_id=(unit or org.department).id, **fields))
    if commit:
        db.session.commit()
    return rule


def _routed(org, texts, unit, **fields):
    cases = []
    for text in texts:
        case = submit_case(org, content=text, **fields)
        assign(case, org, unit)
        cases.append(case)
    return cases


# --- Rules -----------------------------------------------------------------------------------

def test_rules_are_tried_in_order_and_the_first_match_wins(org):
    first = _rule(org, org.department, name="Đất đai", keywords="đất")
    second = _rule(org, org.other_department, name="Mọi việc")   # no condition: catch-all
    land = submit_case(org, content="Tranh chấp đất đai giữa hai hộ.")
    other = submit_case(org, content="Đèn đường không sáng.")
    assert first.position < second.position
    assert first_matching_rule(land) == first
    assert first_matching_rule(other) == second
    assert move_rule(second, "up") is True
    db.session.commit()
    assert [r.id for r in rules_for_agency(org.province)] == [second.id, first.id]
    assert first_matching_rule(land) == second
    assert move_rule(second, "up") is False     # already first


@pytest.mark.parametrize(("keywords", "content", "matches"), [
    ("đất", "Tranh chấp đất đai ở thôn", True),
    ("đất", "Tranh chap dat dai o thon", True),      # the citizen typed without diacritics
    ("dat", "Tranh chấp ĐẤT ĐAI ở thôn", True),      # the admin typed without diacritics
    ("đất", "Kết quả đạt yêu cầu", False),           # đạt is not đất
    ("điện, nước sạch", "Thiếu NƯỚC SẠCH sinh hoạt", True),
    ("điện, nước sạch", "Đường hỏng", False),
])
def test_keyword_conditions(org, keywords, content, matches):
    rule = _rule(org, keywords=keywords)
    assert rule_matches(rule, submit_case(org, content=content)) is matches


def test_topic_kind_procedure_and_origin_subtree(org):
    centre = org.desk.parent
    rule = _rule(org, topic="procedures", kind="report", procedure_code="1.00309",
                 origin_unit_id=centre.id)
    good = dict(topic="procedures", kind="report", procedure_code=" 1.00309 ",
                origin_unit=None, desk=org.desk)
    assert rule_matches(rule, submit_case(org, **good))
    # The origin unit itself also matches (not only what lies under it).
    assert rule_matches(rule, submit_case(org, **{**good, "desk": None,
                                                  "origin_unit": centre}))
    for change in ({"topic": "health"}, {"kind": "recommendation"},
                   {"procedure_code": "2.000"}, {"desk": None, "origin_unit": org.department}):
        assert not rule_matches(rule, submit_case(org, **{**good, **change})), change


def test_inactive_rules_and_units_and_other_agencies_are_skipped(org, make_unit):
    inactive = _rule(org, name="Tắt", keywords="đất", active=False)
    elsewhere_province = make_unit("Q", kind="province", name_vi="UBND tỉnh Khác")
    elsewhere_unit = make_unit("Q-SNV", parent=elsewhere_province, name_vi="Sở Nội vụ Q")
    foreign = _rule(org, elsewhere_unit, name="Tỉnh khác", keywords="đất")
    case = submit_case(org, content="Tranh chấp đất đai")
    assert first_matching_rule(case) is None
    assert not any(s.source == "rule" for s in suggest_handling_units(case))
    set_rule_active(inactive, True)
    db.session.commit()
    assert first_matching_rule(case) == inactive
    # A rule whose handling unit has been deactivated is not tried.
    org.department.active = False
    db.session.commit()
    assert first_matching_rule(case) is None
    assert foreign not in rules_for_agency(org.province, include_inactive=True)


def test_rule_services_validate_and_audit(org, make_unit):
    rule = _rule(org, name=" Đất đai → Sở Nội vụ ", keywords="đất,  Đất , đất   đai,,")
    assert rule.name == "Đất đai → Sở Nội vụ"
    assert rule.keywords == "đất, đất đai"
    update_rule(rule, RuleData(name="Đất", handling_unit_id=org.other_department.id,
                               topic="economy"))
    set_rule_active(rule, False)
    move_rule(rule, "down")
    db.session.commit()
    assert rule.handling_unit == org.other_department and rule.keywords is None
    rule_id = rule.id
    delete_rule(rule)
    db.session.commit()
    assert db.session.get(RoutingRule, rule_id) is None
    actions = db.session.execute(select(AuditEntry.action).where(
        AuditEntry.object_type == "feedback_routing_rule",
        AuditEntry.object_id == str(rule_id)).order_by(AuditEntry.id)).scalars().all()
    assert actions == ["feedback_routing_rule.created", "feedback_routing_rule.updated",
                       "feedback_routing_rule.deactivated", "feedback_routing_rule.deleted"]
    closed = make_unit("P-OLD", parent=org.province, active=False)
    for bad, field in ((dict(name=""), "name"), (dict(name="x" * 201), "name"),
                       (dict(handling_unit_id=closed.id), "handling_unit_id"),
                       (dict(handling_unit_id=999999), "handling_unit_id"),
                       (dict(topic="weather"), "topic"), (dict(kind="complaint"), "kind"),
                       (dict(origin_unit_id=999999), "origin_unit_id"),
                       (dict(keywords="x" * 101), "keywords"),
                       (dict(procedure_code="1" * 65), "procedure_code")):
        data = {"name": "Quy tắc", "handling_unit_id": org.department.id, **bad}
        with pytest.raises(ServiceError) as error:
            create_rule(RuleData(**data))
        assert error.value.status == 400 and error.value.field == field
    with pytest.raises(ServiceError):
        move_rule(_rule(org), "sideways")


def test_rules_visible_to_follow_the_admins_scope(org, make_unit, make_user):
    from core.models import Role
    mine = _rule(org, org.department)
    theirs = _rule(org, org.other_department)
    assert {r.id for r in rules_visible_to(org.officer)} == {mine.id, theirs.id}
    unit_admin = make_user(Role.UNIT_ADMIN, org.department, username="qtv")
    assert [r.id for r in rules_visible_to(unit_admin)] == [mine.id]
    assert rules_visible_to(org.handler) == []   # handlers do not route


def test_dry_run_reports_agreement(org):
    roads = _routed(org, ROADS[:2], org.department)
    schools = _routed(org, SCHOOLS[:2], org.other_department)
    unmatched = submit_case(org, content="Góp ý chung về thái độ phục vụ")
    assign(unmatched, org, org.department)
    wrong = _rule(org, org.other_department, name="Đường → sai", keywords="đường")
    right = _rule(org, org.other_department, name="Trường", keywords="trường, học sinh")
    cases = recent_routed_cases(org.province)
    assert [c.id for c in cases] == sorted((c.id for c in [*roads, *schools, unmatched]),
                                           reverse=True)
    rows = dry_run_rules(rules_for_agency(org.province), cases)
    by_case = {row.case.id: row for row in rows}
    assert all(by_case[c.id].rule == wrong and by_case[c.id].agree is False for c in roads)
    assert all(by_case[c.id].rule == right and by_case[c.id].agree is True for c in schools)
    assert by_case[unmatched.id].rule is None and by_case[unmatched.id].agree is None
    assert by_case[schools[0].id].actual_unit == org.other_department
    summary = dry_run_summary(rows)
    assert (summary.cases, summary.matched, summary.agreed) == (5, 4, 2)
    assert summary.agreement == pytest.approx(0.5)
    assert summary.coverage == pytest.approx(0.8)
    assert recent_routed_cases(org.province, limit=2) == cases[:2]


# --- The model -------------------------------------------------------------------------------

def test_model_suggests_the_unit_of_similar_past_cases_when_no_rule_matches(org):
    _routed(org, ROADS, org.department)
    _routed(org, SCHOOLS, org.other_department)
    road = submit_case(org, content="Duong lien thon hong nang, nhieu o ga nguy hiem")
    suggestions = suggest_handling_units(road)
    assert suggestions[0].source == "model"
    assert suggestions[0].unit == org.department
    assert 0.5 < suggestions[0].confidence <= 1
    assert suggestions[0].suggested_by == "model"
    assert "Sở Nội vụ" in suggestions[0].reason and "most similar past cases" in \
        suggestions[0].reason
    assert set(suggestions[0].similar_case_ids) <= {
        c.id for c in recent_routed_cases(org.province) if c.handling_unit == org.department}
    school = submit_case(org, content="Trường thu thêm tiền của học sinh ngoài quy định")
    assert suggest_handling_units(school)[0].unit == org.other_department
    # Nothing similar: no suggestion rather than a guess.
    assert suggest_handling_units(submit_case(org, content="Xin cảm ơn")) == []


def test_rule_comes_first_then_the_model(org):
    _routed(org, ROADS, org.department)
    rule = _rule(org, org.other_department, name="Giao thông", keywords="ổ gà",
                 topic="road_traffic")
    case = submit_case(org, content="Đường có nhiều ổ gà", topic="road_traffic")
    suggestions = suggest_handling_units(case)
    assert [s.source for s in suggestions] == ["rule", "model"]
    assert suggestions[0].unit == org.other_department and suggestions[0].rule == rule
    assert suggestions[0].confidence == 1.0
    assert suggestions[0].suggested_by == f"rule:{rule.id}"
    assert suggestions[0].reason == "Rule 1 \u201cGiao thông\u201d: topic, keyword \u201cổ gà\u201d"
    assert suggestions[1].unit == org.department


def test_units_outside_the_agency_or_inactive_are_never_suggested(org, make_unit):
    elsewhere = make_unit("Q", kind="province", name_vi="UBND tỉnh Khác")
    outside = make_unit("Q-SGT", parent=elsewhere, name_vi="Sở Giao thông Q")
    closed = make_unit("P-SGT", parent=org.province, name_vi="Sở GTVT cũ")
    _routed(org, ROADS, outside)               # mis-routed in the past, outside our tree
    _routed(org, ROADS[:2], closed)
    closed.active = False
    db.session.commit()
    case = submit_case(org, content=ROADS[0])
    units = {s.unit.id for s in suggest_handling_units(case)}
    assert outside.id not in units and closed.id not in units
    _routed(org, ROADS[1:], org.department)
    assert suggest_handling_units(case)[0].unit == org.department


def test_a_reassigned_case_does_not_vote_for_itself(org):
    _routed(org, SCHOOLS, org.other_department)
    road = _routed(org, ROADS[:1], org.department)[0]
    units = [s.unit for s in suggest_handling_units(road)]
    assert org.department not in units   # its only similar case is itself


def test_decisions_record_overrides_that_then_weigh_double(app, org, monkeypatch):
    # Two kinds of past cases about the same words, one each: a tie the weights break.
    first = _routed(org, ["Đèn chiếu sáng công cộng trên phố chính bị hỏng"], org.department)[0]
    second = _routed(org, ["Đèn chiếu sáng công cộng trên phố chính không sáng"],
                     org.other_department)[0]
    case = submit_case(org, content="Đèn chiếu sáng công cộng trên phố chính hỏng, không sáng")
    before = suggest_handling_units(case)
    assert len(before) == 2
    top_unit = before[0].unit
    other_unit = before[1].unit
    # The officer agrees with the top suggestion on ``first``'s twin: not an override.
    agreed = record_routing_decision(first, first.handling_unit, org.officer, before)
    assert agreed.overridden is (before[0].unit != first.handling_unit)
    # An override: the officer chose the other unit.
    decision = record_routing_decision(case, other_unit, org.officer, before)
    db.session.commit()
    assert decision.overridden is True
    assert decision.suggested_unit_id == top_unit.id
    assert decision.suggested_by == "model"
    assert decision.confidence == pytest.approx(before[0].confidence)
    assert decision.chosen_unit_id == other_unit.id
    assert decision.decided_by_id == org.officer.id
    # No suggestion at all is never an override.
    lonely = record_routing_decision(second, second.handling_unit, None, [])
    assert lonely.overridden is False and lonely.suggested_unit_id is None
    db.session.commit()
    # Route the overridden case as decided: it now counts twice for its unit.
    assign(case, org, other_unit)
    model = routing_model.routing_model(org.province.id)
    weight = dict(zip(model.case_ids, model.weights, strict=True))
    assert weight[case.id] == 2.0 and weight[second.id] == 1.0
    twin = submit_case(org, content="Đèn chiếu sáng công cộng trên phố chính hỏng, không sáng")
    after = suggest_handling_units(twin)
    assert after[0].unit == other_unit
    # The same vote with the override counted once gives the unit a smaller share.
    monkeypatch.setattr(routing_model, "OVERRIDE_WEIGHT", 1.0)
    app.extensions.pop("feedback_routing_models")
    once = suggest_handling_units(twin)
    assert once[0].unit == other_unit
    assert after[0].confidence > once[0].confidence
    assert db.session.execute(select(RoutingDecision).where(
        RoutingDecision.case_id == case.id)).scalar_one().overridden


def test_model_is_cached_and_updated_without_refitting(org, monkeypatch):
    roads = _routed(org, ROADS, org.department)
    calls = []
    real_fit = routing_model.fit_routing_model

    def counting_fit(*args, **kwargs):
        calls.append(args)
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(routing_model, "fit_routing_model", counting_fit)
    first = routing_model.routing_model(org.province.id)
    again = routing_model.routing_model(org.province.id)
    assert again is first and len(calls) == 1
    # A new case that is not routed changes nothing.
    submit_case(org, content="Một phản ánh mới")
    assert routing_model.routing_model(org.province.id) is first and len(calls) == 1
    # A newly routed case is added with the fitted vocabulary: no refit.
    school = _routed(org, SCHOOLS[:1], org.other_department)[0]
    updated = routing_model.routing_model(org.province.id)
    assert updated is not first and len(calls) == 1
    assert updated.case_ids == [c.id for c in roads] + [school.id]
    assert updated.matrix.shape[0] == 4 and updated.model is first.model
    query = submit_case(org, content="Giáo viên ép học sinh tiểu học đi học thêm")
    assert suggest_handling_units(query)[0].unit == org.other_department
    # A reassignment corrects the label; a case returned to triage leaves the training set.
    transition_case(roads[0], "reassign", org.officer, TransitionInput(
        reason="Nhầm đơn vị", handling_unit=org.other_department))
    transition_case(roads[1], "return_to_triage", org.handler,
                    TransitionInput(reason="Không thuộc thẩm quyền"))
    db.session.commit()
    relabelled = routing_model.routing_model(org.province.id)
    assert len(calls) == 1
    assert dict(zip(relabelled.case_ids, relabelled.labels, strict=True)) == {
        roads[0].id: org.other_department.id, roads[2].id: org.department.id,
        school.id: org.other_department.id}
    # Too many new rows since the fit: fitted afresh.
    monkeypatch.setattr(routing_model, "REFIT_MIN_ROWS", 0)
    monkeypatch.setattr(routing_model, "REFIT_SHARE", 0.0)
    _routed(org, SCHOOLS[1:2], org.other_department)
    refitted = routing_model.routing_model(org.province.id)
    assert len(calls) == 2 and refitted.fitted_rows == 4


def test_training_is_capped_to_the_latest_cases(org, monkeypatch):
    cases = _routed(org, ROADS + SCHOOLS, org.department)
    monkeypatch.setattr(routing_model, "MAX_TRAINING", 4)
    fitted = routing_model.fit_routing_model(org.province.id)
    assert fitted.case_ids == [c.id for c in cases[-4:]]
    assert routing_model.fit_routing_model(org.desk.id) is None  # no routed cases
