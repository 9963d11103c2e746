"""The integrity page: rights (403/404), the flags and their evidence, the index with and
without the flagged responses (worked by hand), reviews stored and audited, flags never
deleting anything, and bad input (400 with a message)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditEntry, Role
from reports.integrity import compute_integrity_run
from reports.models import IntegrityFlag, IntegrityRun
from surveys.models import Response
from tests.reports.sipas_helpers import at, rate

URL = "/quan-tri/bao-cao/toan-ven/"
Q1 = {"period": "2026-Q1"}


@pytest.fixture
def stuffed(org):
    """Desk A1: twelve all-5 kiosk ratings in a row on Mon 9 March 2026 (09:00–09:55, 5 min
    apart), then three rated 1 at 22:00 on Tue 10 March (after closing). Sở B: thirty online
    ratings, fifteen all 4 and fifteen all 2.

    Runs: p₀ = 12 / 45 = 0.2667; at the desk (n = 15) a chance run reaches L with expected
    count 15 × 0.7333 × 0.2667ᴸ ≤ 0.01 from L = 6, so the floor of 8 applies: the run of 12
    is flagged. Hours: 3 of the desk's 15 kiosk ratings (20%) after 17:00 + 30 min.

    Index (every item alike, so every item, element and the overall index are equal):
    all responses 12 + 15 satisfied of 45 = 60%; without the 15 flagged ones 15 / 30 = 50%.
    """
    for minute in range(0, 60, 5):
        rate(org, org.desk_a, 5, at(2026, 3, 9, 9).replace(minute=minute), channel="kiosk")
    for second in range(3):
        rate(org, org.desk_a, 1, at(2026, 3, 10, 22).replace(second=second), channel="kiosk")
    for n in range(30):
        rate(org, org.dept_b, 4 if n % 2 else 2, at(2026, 3, 11, 9 + n % 8))
    db.session.commit()
    return org


def _flags(rule: str | None = None) -> list[IntegrityFlag]:
    stmt = select(IntegrityFlag).order_by(IntegrityFlag.id)
    if rule:
        stmt = stmt.where(IntegrityFlag.rule == rule)
    return list(db.session.scalars(stmt))


def _cell(html: str, row: int, column: int) -> str:
    found = re.search(rf'<tr data-key="{row}">(.*?)</tr>', html, re.S)
    return re.findall(r'data-value="([^"]*)"', found.group(1))[column]


def test_recompute_stores_flags_and_the_page_lists_them(client, login, stuffed):
    login(client, stuffed.analyst)
    response = client.get(URL, query_string=Q1)
    assert response.status_code == 200
    assert 'id="not-computed"' in response.get_data(as_text=True)

    response = client.post(URL + "tinh-lai", data={**Q1, "unit": stuffed.province.id})
    assert response.status_code == 302
    rules = {(f.subject_kind, f.subject_id, f.rule) for f in _flags()}
    assert ("desk", stuffed.desk_a.id, "all_five_run") in rules
    assert ("desk", stuffed.desk_a.id, "outside_hours") in rules
    run_flag = _flags("all_five_run")[0]
    assert run_flag.responses == 12 and run_flag.evidence["longest"] == 12
    assert run_flag.evidence["threshold"] == 8
    hours_flag = _flags("outside_hours")[0]
    assert hours_flag.evidence["after_closing"] == 3 and hours_flag.evidence["share"] == 0.2

    html = client.get(URL, query_string=Q1).get_data(as_text=True)
    assert f'id="flag-{run_flag.id}"' in html and f'id="flag-{hours_flag.id}"' in html
    assert "Quầy A1" in html and "Runs of identical all-5 ratings" in html
    # Overall index: 60% with every response, 50% without the 15 flagged (hand count above).
    assert float(_cell(html, 0, 0)) == pytest.approx(60.0)
    assert float(_cell(html, 0, 1)) == pytest.approx(50.0)
    assert "45 responses; 30 without the flagged ones" in html
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action ==
                                                       "integrity.recompute"))
    assert audit.after["responses"] == 45


def test_review_is_stored_audited_and_kept_by_a_recompute(client, login, stuffed):
    compute_integrity_run("2026-Q1")
    db.session.commit()
    flag = _flags("all_five_run")[0]
    login(client, stuffed.analyst)
    response = client.post(URL + f"co/{flag.id}/xem-xet", data={"note": "Gọi quầy: đã xác minh"})
    assert response.status_code == 303
    db.session.expire_all()
    flag = db.session.get(IntegrityFlag, flag.id)
    assert flag.review_note == "Gọi quầy: đã xác minh"
    assert flag.reviewed_by_id == stuffed.analyst.id and flag.reviewed_at is not None
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "integrity.flag_reviewed"))
    assert entry.object_id == str(flag.id) and entry.unit_id == stuffed.desk_a.id
    assert entry.before["review_note"] is None
    assert entry.after["review_note"] == "Gọi quầy: đã xác minh"
    assert entry.actor_user_id == stuffed.analyst.id

    compute_integrity_run("2026-Q1")  # found again: same row, review kept
    db.session.commit()
    again = _flags("all_five_run")
    assert [f.id for f in again] == [flag.id] and again[0].review_note
    html = client.get(URL, query_string=Q1).get_data(as_text=True)
    assert "Gọi quầy: đã xác minh" in html


def test_an_empty_note_is_refused_and_nothing_is_audited(client, login, stuffed):
    compute_integrity_run("2026-Q1")
    db.session.commit()
    flag = _flags("all_five_run")[0]
    login(client, stuffed.analyst)
    response = client.post(URL + f"co/{flag.id}/xem-xet", data={"note": "  "},
                           follow_redirects=True)
    assert "Write a note saying what the review found." in response.get_data(as_text=True)
    assert db.session.get(IntegrityFlag, flag.id).reviewed_at is None
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "integrity.flag_reviewed")) == 0


def test_flags_never_delete_or_change_a_response(client, login, stuffed):
    before = db.session.execute(select(Response.id, Response.quality, Response.answers)
                                .order_by(Response.id)).all()
    compute_integrity_run("2026-Q1")
    db.session.commit()
    flag = _flags("all_five_run")[0]
    login(client, stuffed.analyst)
    client.post(URL + f"co/{flag.id}/xem-xet", data={"note": "xác minh"})
    after = db.session.execute(select(Response.id, Response.quality, Response.answers)
                               .order_by(Response.id)).all()
    assert after == before
    # The stuffing is corrected at the source afterwards (every other rating of the run
    # becomes 4s): the old flag is no longer found, and stays stored, inactive.
    for response in db.session.scalars(select(Response).where(
            Response.id.in_(flag.response_ids[::2]))):
        response.ratings = response.ratings.replace("5", "4")
    db.session.commit()
    compute_integrity_run("2026-Q1")
    db.session.commit()
    kept = db.session.get(IntegrityFlag, flag.id)
    assert kept is not None and kept.active is False and kept.review_note == "xác minh"
    assert db.session.scalar(select(func.count()).select_from(Response)) == 45


def test_the_responses_of_a_flag_are_listed(client, login, stuffed):
    compute_integrity_run("2026-Q1")
    db.session.commit()
    flag = _flags("outside_hours")[0]
    login(client, stuffed.analyst)
    html = client.get(URL + f"co/{flag.id}/phan-hoi").get_data(as_text=True)
    listed = [int(i) for i in re.findall(r'data-response="(\d+)"', html)]
    assert listed == flag.response_ids and len(listed) == 3
    assert "22:00:0" in html and "q9_24=1" in html
    assert client.get(URL + f"co/{flag.id}/phan-hoi?page=x").status_code == 400


def test_rights(client, login, stuffed, make_user):
    compute_integrity_run("2026-Q1")
    db.session.commit()
    flag = _flags("all_five_run")[0]
    assert client.get(URL, query_string=Q1).status_code == 302  # not signed in
    desk_staff = make_user(Role.DESK_STAFF, stuffed.province)
    login(client, desk_staff)
    assert client.get(URL, query_string=Q1).status_code == 403
    assert client.post(URL + "tinh-lai", data=Q1).status_code == 403

    approver = make_user(Role.APPROVER, stuffed.province)  # may read, not review
    login(client, approver)
    assert client.get(URL, query_string=Q1).status_code == 200
    assert client.post(URL + f"co/{flag.id}/xem-xet", data={"note": "x"}).status_code == 403

    other = make_user(Role.ANALYST, stuffed.dept_b)  # Sở B's analyst: desk A1 is not theirs
    login(client, other)
    assert client.get(URL + f"co/{flag.id}/phan-hoi").status_code == 404
    assert client.post(URL + f"co/{flag.id}/xem-xet", data={"note": "x"}).status_code == 404
    html = client.get(URL, query_string={**Q1, "unit": stuffed.dept_b.id}).get_data(
        as_text=True)
    assert f'id="flag-{flag.id}"' not in html
    assert client.get(URL, query_string={**Q1, "unit": stuffed.province.id}).status_code == 400
    assert db.session.get(IntegrityFlag, flag.id).reviewed_at is None


@pytest.mark.parametrize("query", [{"period": "2026-Q7"}, {"period": "quý 1"},
                                   {"period": "2026-Q1", "channel": "kiosk"},
                                   {"period": "2026-Q1", "bogus": "1"}])
def test_bad_filters_answer_400_with_a_message(client, login, stuffed, query):
    login(client, stuffed.analyst)
    response = client.get(URL, query_string=query)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Unknown period" in text or "remove the campaign and channel" in text \
        or "Unknown filter" in text


def test_bad_period_on_recompute(client, login, stuffed):
    login(client, stuffed.analyst)
    response = client.post(URL + "tinh-lai", data={"period": "2026-13"})
    assert response.status_code == 400
    assert "Unknown period" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(IntegrityRun)) == 0


def test_page_in_vietnamese(client_vi, login, stuffed):
    compute_integrity_run("2026-Q1")
    db.session.commit()
    login(client_vi, stuffed.analyst)
    html = client_vi.get(URL, query_string=Q1).get_data(as_text=True)
    assert "Cờ cảnh báo bất thường" in html
