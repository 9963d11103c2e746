"""The public moderation log (issue 14, section 5): the decision not to publish (fixed reasons,
audited), the counts of a hand-made example with its median, the public page's filters, bad
input, and that it shows no content."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from core.clock import LOCAL_TZ
from core.exceptions import ServiceError
from core.extensions import db
from core.models import AuditEntry, Role
from feedback.models import CaseState, NonPublication
from feedback.moderation import decide_not_to_publish, moderation_log, non_publication_of
from feedback.publication import prepare_publication, publish_case
from feedback.workflow import TransitionInput, transition_case
from tests.feedback.helpers import bring_to, build_org, make_publication, submit_case

S = CaseState
SECRET = "Bí mật riêng của người gửi về thửa đất 123"
URL = "/cong-khai/kiem-duyet"


@pytest.fixture
def org(app, make_unit, make_user):
    return build_org(make_unit, make_user)


def _local(*parts) -> datetime:
    return datetime(*parts, tzinfo=LOCAL_TZ)


# --- the decision -------------------------------------------------------------------------

def test_deciding_not_to_publish_is_audited_and_can_change_its_reason(org):
    case = bring_to(S.ANSWERED, org)
    decide_not_to_publish(case, org.officer, "personal_data")
    decide_not_to_publish(case, org.officer, "abusive")
    db.session.commit()
    assert non_publication_of(case).reason == "abusive"
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "feedback.not_published").order_by(AuditEntry.id)).all()
    assert [(e.before, e.after) for e in entries] == [
        (None, {"reason": "personal_data"}),
        ({"reason": "personal_data"}, {"reason": "abusive"})]


def test_the_decision_takes_only_listed_reasons_and_allowed_people(org):
    case = bring_to(S.NOT_ACCEPTED, org)
    with pytest.raises(ServiceError) as refused:
        decide_not_to_publish(case, org.officer, "boring")
    assert refused.value.status == 400
    with pytest.raises(ServiceError) as refused:
        decide_not_to_publish(case, org.outsider, "duplicate")
    assert refused.value.status == 403
    with pytest.raises(ServiceError) as refused:
        decide_not_to_publish(bring_to(S.IN_PROGRESS, org), org.officer, "duplicate")
    assert refused.value.status == 409


def test_a_published_case_is_withdrawn_first_and_publishing_drops_the_decision(org):
    case = bring_to(S.ANSWERED, org)
    decide_not_to_publish(case, org.officer, "duplicate")
    prepare_publication(case, org.officer)
    publish_case(case, org.approver)
    db.session.commit()
    assert non_publication_of(case) is None
    with pytest.raises(ServiceError) as refused:
        decide_not_to_publish(case, org.officer, "duplicate")
    assert refused.value.status == 409
    db.session.rollback()
    transition_case(case, "unpublish", org.approver, TransitionInput(reason="Lộ thông tin"))
    decide_not_to_publish(case, org.approver, "personal_data")
    assert non_publication_of(case).reason == "personal_data"


def test_the_publication_page_offers_the_decision(client, login, org, make_user):
    case = bring_to(S.ANSWERED, org)
    login(client, org.officer)
    page = client.get(f"/quan-tri/pakn/{case.id}/cong-khai").get_data(as_text=True)
    assert 'id="not-publish-form"' in page and "Abusive or offensive" in page
    url = f"/quan-tri/pakn/{case.id}/cong-khai/khong-dang"
    assert client.post(url, data={"reason": "nonsense"}).status_code == 400
    assert client.post(url, data={"reason": "withdrawn"}).status_code == 303
    assert non_publication_of(case).reason == "withdrawn"
    page = client.get(f"/quan-tri/pakn/{case.id}/cong-khai").get_data(as_text=True)
    assert "Decided not to publish: Withdrawn by the sender" in page
    client.post("/dang-xuat")
    login(client, make_user(Role.ANALYST, org.province))
    assert client.post(url, data={"reason": "duplicate"}).status_code in (403, 404)
    assert non_publication_of(case).reason == "withdrawn"


# --- the counts ---------------------------------------------------------------------------

def _decision(case, reason: str, at: datetime) -> None:
    db.session.add(NonPublication(case_id=case.id, reason=reason, decided_at=at))


def _published(org, answered: datetime, days: float, *, removed: bool = False,
               status: str = "published") -> None:
    case = submit_case(org, content=SECRET, title="Tiêu đề riêng tư")
    make_publication(case, status=status, answered_at=answered,
                     published_at=answered + timedelta(days=days), question=SECRET,
                     redactions=[{"field": "question", "category": "phone", "start": 0,
                                  "end": 3}] if removed else [])


@pytest.fixture
def example(org, make_unit):
    """A hand-made second quarter of 2026 for the province P (and one case of another
    province Q). Expected for P in 2026-Q2, counted by hand:
    - not published: personal data 2, duplicate 1, withdrawn 1 (the decision of 1 July at
      00:10 local time falls in Q3, the one of 30 June at 23:30 in Q2); out of scope,
      abusive 0; total 4;
    - published in Q2: four answers (delays 1, 2, 4 and 9.5 days), two with text removed,
      one since withdrawn; the one published on 2 July and the draft do not count;
    - median of 1, 2, 4, 9.5 = (2 + 4) / 2 = 3.0 days."""
    cases = [submit_case(org, content=SECRET) for _ in range(5)]
    _decision(cases[0], "personal_data", _local(2026, 4, 2, 9))
    _decision(cases[1], "personal_data", _local(2026, 5, 20, 15))
    _decision(cases[2], "duplicate", _local(2026, 6, 1, 8))
    _decision(cases[3], "withdrawn", _local(2026, 6, 30, 23, 30))
    _decision(cases[4], "abusive", _local(2026, 7, 1, 0, 10))
    _published(org, _local(2026, 4, 10, 9), 1, removed=True)
    _published(org, _local(2026, 5, 4, 10), 2)
    _published(org, _local(2026, 5, 27, 14), 4, removed=True, status="withdrawn")
    _published(org, _local(2026, 6, 12, 8), 9.5)
    _published(org, _local(2026, 6, 30, 8), 2)  # published 2 July: Q3
    draft = submit_case(org)
    make_publication(draft, answered_at=_local(2026, 5, 1))
    other = make_unit("Q", kind="province", name_vi="UBND tỉnh Khác")
    foreign = submit_case(org, origin_unit=other, content=SECRET)
    _decision(foreign, "abusive", _local(2026, 5, 5, 9))
    db.session.commit()
    return org


def test_the_hand_made_quarter_is_counted_as_worked_out(example):
    log = moderation_log(example.province, date(2026, 4, 1), date(2026, 6, 30))
    assert log.not_published == {"personal_data": 2, "out_of_scope": 0, "duplicate": 1,
                                 "abusive": 0, "withdrawn": 1}
    assert log.not_published_total == 4
    assert (log.published, log.published_with_removals, log.withdrawn) == (4, 2, 1)
    assert log.median_days == 3.0


def test_the_next_quarter_and_the_other_agency(example):
    july = moderation_log(example.province, date(2026, 7, 1), date(2026, 9, 30))
    assert july.not_published["abusive"] == 1 and july.not_published_total == 1
    assert (july.published, july.median_days) == (1, 2.0)
    empty = moderation_log(example.province, date(2025, 1, 1), date(2025, 3, 31))
    assert (empty.not_published_total, empty.published, empty.median_days) == (0, 0, None)


def _cells(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-key="([\w-]+)"><th scope="row">[^<]*</th>'
                           r'<td class="num" data-value="([^"]*)"', html))


def test_the_public_page_shows_the_counts_and_no_content(client, example):
    response = client.get(f"{URL}?don_vi=P&ky=2026-Q2")
    assert response.status_code == 200
    assert "public" in response.headers["Cache-Control"]
    html = response.get_data(as_text=True)
    assert _cells(html) == {"personal_data": "2", "out_of_scope": "0", "duplicate": "1",
                            "abusive": "0", "withdrawn": "1", "total": "4", "published": "4",
                            "with-removals": "2", "withdrawn-since": "1",
                            "median-days": "3.0"}
    for private in (SECRET, "Tiêu đề riêng tư", "Nguyễn Văn An", "0912 345 678"):
        assert private not in html
    assert "<script" not in html


def test_the_agency_and_the_period_filter_the_page(client, example):
    other = _cells(client.get(f"{URL}?don_vi=Q&ky=2026-Q2").get_data(as_text=True))
    assert (other["abusive"], other["total"], other["published"]) == ("1", "1", "0")
    july = _cells(client.get(f"{URL}?don_vi=P&ky=2026-Q3").get_data(as_text=True))
    assert (july["abusive"], july["total"], july["published"]) == ("1", "1", "1")
    year = _cells(client.get(f"{URL}?don_vi=P&ky=2026").get_data(as_text=True))
    assert (year["total"], year["published"]) == ("5", "5")


@pytest.mark.parametrize(("query", "status", "message"), [
    ("don_vi=P&ky=2026-13", 400, "is not a period"),
    ("don_vi=P&ky=Q2-2026", 400, "is not a period"),
    ("don_vi=P&ky=2999", 400, "has not begun"),
    ("don_vi=NOPE&ky=2026-Q2", 404, "No agency has the code"),
    ("don_vi=P&ky=2026&sort=1", 400, "Unknown parameter: sort"),
])
def test_bad_input_gets_a_clear_message_and_its_status(client, example, query, status,
                                                       message):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert message in html and 'id="moderation-filter"' in html
    assert 'id="not-published"' not in html


def test_the_page_is_vietnamese_first_and_linked_from_the_transparency_pages(client_vi,
                                                                             example):
    html = client_vi.get(f"{URL}?don_vi=P&ky=2026-13").get_data(as_text=True)
    assert "không phải là một kỳ" in html
    html = client_vi.get(f"{URL}?don_vi=P&ky=2026-Q2").get_data(as_text=True)
    assert "Nhật ký kiểm duyệt" in html and "Quý 2 năm 2026" in html
    assert "Chứa dữ liệu cá nhân không thể lược bỏ" in html
    assert "kiem-duyet?don_vi=P" in client_vi.get("/cong-khai/P").get_data(as_text=True)
    assert "/cong-khai/kiem-duyet" in client_vi.get("/cong-khai/").get_data(as_text=True)
    chooser = client_vi.get(URL)
    assert chooser.status_code == 200 and 'value="P"' in chooser.get_data(as_text=True)
