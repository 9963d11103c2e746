"""The public status page (/tra-cuu/): tracking code plus the phone's last 4 digits."""

from __future__ import annotations

import re
import time
from datetime import datetime

import pytest
from sqlalchemy import select

from core.clock import LOCAL_TZ, local
from core.extensions import db
from core.models import OutboxMessage
from feedback.intake import Contact
from feedback.models import Publication
from feedback.status import find_case_for_status, public_status
from feedback.tracking import ALPHABET, check_character, format_tracking_code
from feedback.views.public import SENT_KEY
from feedback.workflow import TransitionInput, transition_case
from tests.feedback.helpers import (
    FULL_CONTACT,
    answer_and_send,
    assign,
    build_org,
    draft_answer,
    submit_case,
)

URL = "/tra-cuu/"
DIGITS = "5678"  # FULL_CONTACT's phone is 0912 345 678
PERSONAL = ("Nguyễn Văn An", "Trần Hưng Đạo", "0912", "345 678", "345678", "an.nguyen",
            "example.vn")
NOT_FOUND = "Not found, or the details do not match."


@pytest.fixture
def org(make_unit, make_user):
    return build_org(make_unit, make_user)


def lookup(client, code: str, digits: str = ""):
    return client.post(URL, data={"code": code, "digits": digits})


def refusal(response) -> str:
    return re.search(r'<div class="err-sum".*?</div>', response.get_data(as_text=True),
                     flags=re.S).group(0)


def state_of(response) -> str | None:
    found = re.search(r'<p class="pakn-state pakn-state-\w+">([^<]*)</p>',
                      response.get_data(as_text=True))
    return found.group(1) if found else None


def staff_names(org) -> list[str]:
    return [u.full_name for u in (org.officer, org.handler, org.approver)] + [
        u.username for u in (org.officer, org.handler, org.approver)]


def test_form_is_a_post_without_script(client, org):
    html = client.get(URL).get_data(as_text=True)
    assert 'method="post"' in html and "<script" not in html
    assert 'for="code"' in html and 'for="digits"' in html


def test_right_code_and_digits_show_the_state_and_nothing_personal(client, org):
    case = submit_case(org)
    typed = format_tracking_code(case.tracking_code).lower().replace("0", "o")
    response = lookup(client, f" {typed} ", "56 78")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert state_of(response) == "Received"
    assert format_tracking_code(case.tracking_code) in html
    assert local(case.received_at).strftime("%d/%m/%Y") in html
    # Before assignment: the unit the sender chose (Sở Nội vụ), not the registering province.
    assert "<dt>Sent to</dt><dd>Sở Nội vụ</dd>" in html and "UBND tỉnh" not in html
    assert ("Acceptance or transfer: you will be told by "
            f"{local(case.acknowledge_due_at).strftime('%d/%m/%Y')} at the latest.") in html
    for value in PERSONAL:
        assert value not in html, value
    assert case.tracking_code not in response.request.url


def test_wrong_digits_unknown_code_and_bad_check_character_look_the_same(client, org):
    case = submit_case(org)
    code = case.tracking_code
    other = next(c for c in ALPHABET if c != code[-1])
    unknown_data = "ZZZZZZZZ" if code[:8] != "ZZZZZZZZ" else "YYYYYYYY"
    answers = [
        lookup(client, code, "0000"),                              # wrong digits
        lookup(client, code, ""),                                  # digits left out
        lookup(client, code, "345678"),                            # too many digits
        lookup(client, unknown_data + check_character(unknown_data), DIGITS),  # unknown
        lookup(client, code[:-1] + other, DIGITS),                 # bad check character
        lookup(client, "not a code", DIGITS),
    ]
    assert [r.status_code for r in answers] == [404] * len(answers)
    assert {refusal(r) for r in answers} == {refusal(answers[0])}
    assert NOT_FOUND in refusal(answers[0])
    for response in answers:
        assert state_of(response) is None
        assert "UBND tỉnh" not in response.get_data(as_text=True)


def test_suggestion_without_a_phone_needs_only_the_code(client, org):
    case = submit_case(org, kind="suggestion", contact=None)
    assert case.second_factor_hash is None
    response = lookup(client, case.tracking_code)
    assert state_of(response) == "Received"
    assert "no legal deadline" in response.get_data(as_text=True)


def test_answered_case_shows_unit_answer_and_public_timeline_without_staff(client, org):
    case = submit_case(org)
    assign(case, org)
    first = lookup(client, case.tracking_code, DIGITS)
    in_progress = first.get_data(as_text=True)
    assert state_of(first) == "Assigned to a handling unit" and "Sở Nội vụ" in in_progress
    assert "Answer: by " in in_progress
    assert local(case.answer_due_at).strftime("%d/%m/%Y") in in_progress
    assert "Sở Nội vụ đã kiểm tra" not in in_progress  # no answer before it is sent
    answer_and_send(case, org, body="Sở Nội vụ đã kiểm tra và khắc phục.\nTrân trọng.")
    response = lookup(client, case.tracking_code, DIGITS)
    html = response.get_data(as_text=True)
    assert state_of(response) == "Answered" and "Sở Nội vụ đã kiểm tra và khắc phục." in html
    timeline = re.search(r'<ol class="pakn-timeline">.*?</ol>', html, flags=re.S).group(0)
    assert timeline.count("<li>") == 3  # received, sent to the unit, answer sent
    assert "Sent to Sở Nội vụ for handling" in timeline and "Answer sent" in timeline
    for name in staff_names(org):
        assert name not in html, name
    for value in PERSONAL:
        assert value not in html, value


def test_answer_not_yet_sent_is_not_shown(client, org):
    case = submit_case(org)
    assign(case, org)

    transition_case(case, "start", org.handler)
    draft_answer(case, org.handler, "Bản nháp nội bộ chưa duyệt.")
    transition_case(case, "submit_answer", org.handler)
    transition_case(case, "approve", org.approver)
    db.session.commit()
    response = lookup(client, case.tracking_code, DIGITS)
    assert state_of(response) == "Answer approved"
    assert "Bản nháp nội bộ" not in response.get_data(as_text=True)


def test_transferred_case_names_the_agency_not_the_reason(client, org):
    case = submit_case(org)
    transition_case(case, "transfer", org.officer, TransitionInput(
        reason="Ông An hỏi về thuế, ghi chú nội bộ", transferred_to="Cục Thuế tỉnh"))
    db.session.commit()
    html = lookup(client, case.tracking_code, DIGITS).get_data(as_text=True)
    assert "Transferred to Cục Thuế tỉnh" in html
    assert "ghi chú nội bộ" not in html


def test_merged_child_shows_the_masters_progress_then_its_answer(client, org):
    master = submit_case(org)
    child = submit_case(org, content="Cũng bị chậm như trên.",
                        contact=Contact(name="Lê Thị Bình", address="Số 3 phố Huế",
                                        phone="0987 000 111"))
    assign(master, org)
    transition_case(child, "merge", org.officer, TransitionInput(reason="trùng", master=master))
    db.session.commit()
    response = lookup(client, child.tracking_code, "0111")
    html = response.get_data(as_text=True)
    assert state_of(response) == "Merged with a related case"
    assert "Progress of that case: Assigned to a handling unit." in html
    assert master.tracking_code not in html and format_tracking_code(
        master.tracking_code) not in html
    answer_and_send(master, org, body="Trả lời chung cho các phản ánh.")
    response = lookup(client, child.tracking_code, "0111")
    html = response.get_data(as_text=True)
    assert state_of(response) == "Answered" and "Trả lời chung cho các phản ánh." in html
    for value in (*PERSONAL, "Lê Thị Bình", "phố Huế", "0987"):
        assert value not in html, value


def test_publication_link_only_once_published(app, org):
    case = submit_case(org)
    assign(case, org)
    answer_and_send(case, org)
    publication = Publication(case_id=case.id, slug="tra-loi-1", title="T", question="Q",
                              answer="A", topic="other", kind="report",
                              unit_id=org.department.id, status="draft")
    db.session.add(publication)
    db.session.commit()
    assert public_status(case).publication_slug is None
    publication.status = "published"
    db.session.commit()
    assert public_status(case).publication_slug == "tra-loi-1"


def test_lookup_service_checks_the_second_factor(app, org):
    case = submit_case(org)
    assert find_case_for_status(case.tracking_code, DIGITS) is case
    assert find_case_for_status(format_tracking_code(case.tracking_code), "x5678") is case
    assert find_case_for_status(case.tracking_code, "5679") is None
    assert find_case_for_status(case.tracking_code, None) is None
    assert find_case_for_status(None, DIGITS) is None
    assert FULL_CONTACT.phone.endswith("678")


def test_missing_code_is_a_400_with_the_form(client, org):
    response = client.post(URL, data={"code": "", "digits": ""})
    assert response.status_code == 400
    assert "Enter the tracking code." in response.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"FEEDBACK_STATUS_LIMIT": "3 per minute"}])
def test_lookups_are_rate_limited_per_address(client, org):
    case = submit_case(org)
    statuses = [lookup(client, "ZZZZZZZZZ", DIGITS).status_code for _ in range(3)]
    assert statuses == [404, 404, 404]
    # The limit holds for right answers too: guessing cannot go on.
    refused = lookup(client, case.tracking_code, DIGITS)
    assert refused.status_code == 429 and state_of(refused) is None
    assert client.get(URL).status_code == 200


def test_answer_naming_a_person_is_redacted_where_the_code_alone_opens_the_page(client, org):
    # A suggestion without a phone: anyone holding the code sees the page, so the letter's
    # salutation and numbers are removed; a merged sender sees the master's answer the same way.
    letter = "Kính gửi ông Nguyễn Văn An, số điện thoại 0912 345 678. Sở đã khắc phục."
    suggestion = submit_case(org, kind="suggestion", contact=None)
    assign(suggestion, org)
    answer_and_send(suggestion, org, body=letter)
    html = lookup(client, suggestion.tracking_code).get_data(as_text=True)
    assert "Sở đã khắc phục." in html
    assert "Nguyễn Văn An" not in html and "0912 345 678" not in html

    formal = submit_case(org)  # behind the phone digits: the sender reads their own letter
    assign(formal, org)
    answer_and_send(formal, org, body=letter)
    html = lookup(client, formal.tracking_code, "5678").get_data(as_text=True)
    assert "Kính gửi ông Nguyễn Văn An" in html


# --- One deadline story (issue 12) ------------------------------------------------------------
# Received on Friday 24/04/2026. The day of receipt is not counted (Civil Code art. 147); Monday
# 27/04 is the observed Hùng Kings' day (10/3 lunar fell on Sunday 26/04), Thursday 30/04 and
# Friday 01/05 are holidays. Working days: 28, 29/04, 04, 05, 06, 07, 08, 11, 12, 13/05, so the
# 10-working-day acknowledgement (Law on Citizen Reception, pakn.acknowledge_days) ends on
# Wednesday 13/05/2026; the 5-day internal transfer limit (Decree 20/2008) would be 07/05, and
# the 15-working-day answer limit (pakn.answer_days) goes on to 14, 15, 18, 19, 20/05.
RECEIVED = datetime(2026, 4, 24, 10, 0, tzinfo=LOCAL_TZ)
ACKNOWLEDGE = "Thụ lý hoặc chuyển đơn: Ông/Bà được thông báo chậm nhất ngày 13/05/2026."
ANSWER_LATER = "Trả lời: thời hạn được xác định khi đơn vị có thẩm quyền được giao xử lý."
ANSWER = "Trả lời: chậm nhất ngày 20/05/2026."
SENTENCES = re.compile(r"(Thụ lý hoặc chuyển đơn: [^<\n]*\.|Trả lời: [^<\n]*\.)")


def _outbox_body(case, purpose: str) -> str:
    [message] = db.session.execute(select(OutboxMessage).where(
        OutboxMessage.object_id == str(case.id), OutboxMessage.purpose == purpose)).scalars()
    return message.body


def _sent_page(client, case) -> str:
    with client.session_transaction() as sess:
        sess[SENT_KEY] = {"case": case.id, "asked": case.kind, "at": int(time.time())}
    return client.get("/phan-anh/da-gui").get_data(as_text=True)


def test_sent_page_messages_and_status_state_the_same_dates(client_vi, org):
    case = submit_case(org, reply_channel="email", received_at=RECEIVED)
    places = {"sent page": _sent_page(client_vi, case),
              "received message": _outbox_body(case, "feedback.received"),
              "status page": lookup(client_vi, case.tracking_code, DIGITS).get_data(
                  as_text=True)}
    for place, text in places.items():
        assert SENTENCES.findall(text) == [ACKNOWLEDGE, ANSWER_LATER], place
        assert "07/05/2026" not in text and "14/12/2026" not in text, place
    assign(case, org)
    places = {"assigned message": _outbox_body(case, "feedback.assigned"),
              "status page": lookup(client_vi, case.tracking_code, DIGITS).get_data(
                  as_text=True)}
    for place, text in places.items():
        assert SENTENCES.findall(text) == [ANSWER], place


def test_links_the_sender_gets_carry_the_code_and_fill_it_in(client_vi, org):
    case = submit_case(org, reply_channel="email")
    code = format_tracking_code(case.tracking_code)
    assert f"/tra-cuu/?ma={code}" in _outbox_body(case, "feedback.received")
    sent = _sent_page(client_vi, case)
    link = re.search(r'<a class="button" href="([^"]+)">', sent).group(1)
    assert link == f"/tra-cuu/?ma={code}"
    form = client_vi.get(link).get_data(as_text=True)
    assert re.search(rf'<input[^>]*id="code"[^>]*value="{code}"', form)
    assert re.search(r'<input[^>]*id="digits"[^>]*value=""', form)
    assert "4 chữ số cuối" in sent  # only the digits are left to type


def test_before_assignment_the_status_names_the_chosen_unit(client, org):
    case = submit_case(org, origin_unit=org.other_department)
    assert case.agency_id == org.province.id  # registered by the province's PAKN office
    html = lookup(client, case.tracking_code, DIGITS).get_data(as_text=True)
    assert "<dt>Sent to</dt><dd>Sở Tài chính</dd>" in html
    assign(case, org)  # the office sends it to Sở Nội vụ
    html = lookup(client, case.tracking_code, DIGITS).get_data(as_text=True)
    assert "<dt>Handled by</dt><dd>Sở Nội vụ</dd>" in html


# --- Attempts per tracking code (issue 13) ------------------------------------------------------
LOCKED = "Too many wrong attempts for this tracking code."


@pytest.mark.parametrize("app_config", [{"FEEDBACK_STATUS_LIMIT": "100 per minute"}])
def test_five_wrong_digits_lock_that_code_only(client, org):
    case = submit_case(org)
    other = submit_case(org, content="Một phản ánh khác.")
    for wrong in ("0000", "1111", "2222", "3333", "4444"):
        assert lookup(client, case.tracking_code, wrong).status_code == 404
    refused = lookup(client, case.tracking_code, DIGITS)  # even the right digits now
    assert refused.status_code == 429 and state_of(refused) is None
    assert LOCKED in refused.get_data(as_text=True)
    assert lookup(client, other.tracking_code, DIGITS).status_code == 200


@pytest.mark.parametrize("app_config", [{"FEEDBACK_STATUS_LIMIT": "100 per minute"}])
def test_an_unknown_code_locks_the_same_way(client, org):
    # A lock must not tell a real code from an unknown one.
    data = "ZZZZZZZZ"
    unknown = data + check_character(data)
    assert find_case_for_status(unknown, DIGITS) is None
    answers = [lookup(client, unknown, DIGITS).status_code for _ in range(6)]
    assert answers == [404] * 5 + [429]
