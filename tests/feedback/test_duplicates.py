"""Near-duplicates among open cases of the same agency (feedback.duplicates)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import now
from core.extensions import db
from feedback.duplicates import similar_open_cases
from feedback.workflow import TransitionInput, transition_case
from tests.feedback.helpers import answer_and_send, assign, build_org, submit_case

LAMP = "Đèn đường trước nhà số 5 phố Lê Lợi bị hỏng đã một tuần, buổi tối rất tối"
LAMP_AGAIN = "Đèn đường trước số 5 phố Lê Lợi hỏng một tuần nay, buổi tối rất tối"
LAMP_PLAIN = "Den duong truoc nha so 5 pho Le Loi bi hong da mot tuan, buoi toi rat toi"


@pytest.fixture
def org(make_unit, make_user):
    return build_org(make_unit, make_user)


def test_finds_open_similar_cases_with_or_without_diacritics(org):
    case = submit_case(org, content=LAMP)
    again = submit_case(org, content=LAMP_AGAIN)
    plain = submit_case(org, content=LAMP_PLAIN)
    submit_case(org, content="Thủ tục cấp giấy phép xây dựng bị chậm 10 ngày")
    found = similar_open_cases(case)
    assert {c.id for c, _score in found} == {again.id, plain.id}
    scores = [score for _c, score in found]
    assert scores == sorted(scores, reverse=True)
    assert all(0.5 <= score <= 1 for score in scores)
    assert similar_open_cases(case, limit=1) == found[:1]
    # The same words typed without diacritics fold to the same text: a perfect match.
    assert [c.id for c, _score in similar_open_cases(case, threshold=0.99)] == [plain.id]
    assert found[0] == (plain, 1.0)


def test_only_open_recent_unmerged_cases_of_the_same_agency(org, make_unit):
    case = submit_case(org, content=LAMP)
    assigned = submit_case(org, content=LAMP_AGAIN)
    assign(assigned, org)                                         # open: found
    answered = submit_case(org, content=LAMP_AGAIN)
    assign(answered, org)
    answer_and_send(answered, org)                                # answered: not open
    merged = submit_case(org, content=LAMP_AGAIN)
    master = submit_case(org, content="Một việc khác hẳn về thuế đất")
    transition_case(merged, "merge", org.officer,
                    TransitionInput(reason="Trùng", master=master))
    db.session.commit()                                           # merged: skipped
    old = submit_case(org, content=LAMP_AGAIN, received_at=now() - timedelta(days=91))
    other_province = make_unit("Q", kind="province", name_vi="UBND tỉnh Khác")
    foreign = submit_case(org, content=LAMP_AGAIN, origin_unit=other_province)
    assert foreign.agency_id != case.agency_id and old.id
    found = [c.id for c, _score in similar_open_cases(case, limit=10)]
    assert found == [assigned.id]
    # The case itself is never its own duplicate, and a lone case finds nothing.
    assert similar_open_cases(foreign) == []


def test_the_index_is_fitted_once_until_the_open_cases_change(app, org, monkeypatch):
    from feedback import duplicates

    fits = []
    real_fit = duplicates.fit_transform
    monkeypatch.setattr(duplicates, "fit_transform",
                        lambda texts: fits.append(len(texts)) or real_fit(texts))
    text = "Đường liên xã bị sạt lở sau mưa lớn, đề nghị sửa chữa gấp."
    first = submit_case(org, content=text)
    second = submit_case(org, content=text + " Rất nguy hiểm.")
    assert [c.id for c, _s in duplicates.similar_open_cases(first)] == [second.id]
    assert [c.id for c, _s in duplicates.similar_open_cases(second)] == [first.id]
    assert fits == [2]                       # the second page view reused the index
    third = submit_case(org, content=text)   # a new open case: the index is refitted
    assert {c.id for c, _s in duplicates.similar_open_cases(first)} == {second.id, third.id}
    assert fits == [2, 3]
