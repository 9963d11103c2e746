"""Intake (feedback.intake.submit_feedback): formal PAKN or suggestion, validation, retries,
encrypted contact data, the status page's second factor and complaint words."""

from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import func, select

from core.crypto import decrypt_json
from core.exceptions import ServiceError
from core.extensions import db
from core.models import AuditEntry
from feedback import intake
from feedback.intake import (
    MAX_CONTENT,
    Contact,
    FeedbackSubmission,
    clean_text,
    looks_like_complaint,
    phone_digits,
    register_unit_of,
    second_factor_digest,
    submit_feedback,
)
from feedback.models import FeedbackCase, FeedbackEvent
from feedback.tracking import normalise_tracking_code
from tests.feedback.helpers import FULL_CONTACT, build_org, submit_case


@pytest.fixture
def org(app, make_unit, make_user):
    return build_org(make_unit, make_user)


def _contact(**changes) -> Contact:
    return Contact(**{**vars(FULL_CONTACT), **changes})


@pytest.mark.parametrize("kind", ["report", "recommendation"])
def test_a_formal_pakn_keeps_its_kind_and_gets_deadlines(app, org, kind):
    case = submit_case(org, kind=kind, topic="health")
    assert (case.kind, case.is_formal, case.topic, case.state) == (kind, True, "health",
                                                                   "received")
    assert case.agency_id == org.province.id and case.origin_unit_id == org.department.id
    assert case.transfer_due_at is not None and case.acknowledge_due_at is not None
    assert normalise_tracking_code(case.tracking_code) == case.tracking_code
    assert case.title == "Thủ tục cấp giấy phép bị chậm 10 ngày."


@pytest.mark.parametrize("missing", ["name", "address", "phone"])
def test_without_name_address_or_phone_it_is_kept_as_a_suggestion(app, org, missing):
    case = submit_case(org, kind="report", contact=_contact(**{missing: "   "}))
    assert (case.kind, case.is_formal) == ("suggestion", False)
    assert case.transfer_due_at is None and case.due_at is None
    assert case.contact_enc is not None      # what was given is kept (encrypted)


def test_an_anonymous_suggestion_is_accepted_without_any_identity(app, org):
    case = submit_case(org, kind="suggestion", contact=None)
    assert (case.kind, case.is_formal, case.contact_enc, case.second_factor_hash) == (
        "suggestion", False, None, None)
    # A suggestion with a full contact is still a suggestion.
    named = submit_case(org, kind="suggestion")
    assert (named.kind, named.is_formal) == ("suggestion", False)


@pytest.mark.parametrize(("fields", "field"), [
    ({"content": ""}, "content"),
    ({"content": " \n\t "}, "content"),
    ({"content": "\x00\x07"}, "content"),
    ({"content": "x" * (MAX_CONTENT + 1)}, "content"),
    ({"kind": "complaint"}, "kind"),
    ({"topic": "weather"}, "topic"),
    ({"channel": "pigeon"}, "channel"),
    ({"reply_channel": "fax"}, "reply_channel"),
    ({"reply_channel": "email", "contact": Contact(name="An")}, "email"),
    ({"reply_channel": "sms", "contact": Contact(name="An", phone="123")}, "phone"),
    ({"reply_channel": "zalo", "contact": Contact()}, "phone"),
    ({"contact": Contact(name="An", address="Hà Nội", phone="số điện thoại")}, "phone"),
    ({"contact": Contact(name="An", address="Hà Nội", phone="0" * 16)}, "phone"),
    ({"origin_unit": None}, "unit"),
])
def test_bad_input_is_refused_with_the_field_to_fix(app, org, fields, field):
    sub = FeedbackSubmission(**{"content": "Nội dung", "origin_unit": org.department,
                                "contact": _contact(), **fields})
    with pytest.raises(ServiceError) as refused:
        submit_feedback(sub)
    assert (refused.value.status, refused.value.field) == (400, field)
    db.session.rollback()
    assert db.session.scalar(select(func.count(FeedbackCase.id))) == 0


def test_content_at_the_limit_is_accepted(app, org):
    case = submit_case(org, content="x" * MAX_CONTENT)
    assert len(case.content) == MAX_CONTENT


def test_the_same_idempotency_key_returns_the_same_case(app, org):
    first = FeedbackSubmission(content="Nội dung", origin_unit=org.department,
                               contact=_contact(), idempotency_key="form-123")
    case, created = submit_feedback(first)
    db.session.commit()
    again, created_again = submit_feedback(FeedbackSubmission(
        content="Nội dung (gửi lại)", origin_unit=org.department, contact=_contact(),
        idempotency_key="form-123"))
    db.session.commit()
    assert created and not created_again
    assert again.id == case.id and again.content == "Nội dung"
    assert db.session.scalar(select(func.count(FeedbackCase.id))) == 1
    assert db.session.scalar(select(func.count(FeedbackEvent.id))) == 1
    # Without a key, two submissions are two cases.
    submit_case(org)
    submit_case(org)
    assert db.session.scalar(select(func.count(FeedbackCase.id))) == 3


def test_contact_data_is_encrypted_and_normalised(app, org):
    decomposed = unicodedata.normalize("NFD", "Nguyễn Văn An")
    case = submit_case(org, contact=_contact(name=f"  {decomposed} ", email="an@example.vn"))
    stored = bytes(case.contact_enc)
    for secret in (b"Nguy", b"0912", b"345 678", b"an@example", b"Tr\xe1\xba\xa7n",
                   "Nguyễn".encode()):
        assert secret not in stored
    assert decrypt_json(stored) == {"name": "Nguyễn Văn An", "address": FULL_CONTACT.address,
                                    "phone": "0912 345 678", "email": "an@example.vn"}
    assert decrypt_json(stored)["name"] == unicodedata.normalize("NFC", "Nguyễn Văn An")
    # Nothing personal lands in clear columns, the timeline or the audit log.
    db.session.expire_all()
    row = db.session.get(FeedbackCase, case.id)
    clear = " ".join(str(getattr(row, c.key)) for c in FeedbackCase.__table__.columns
                     if c.key != "contact_enc")
    audit = " ".join(str((a.before, a.after, a.reason)) for a in db.session.scalars(
        select(AuditEntry)))
    # The whole phone number, not a fragment: "0912" alone turns up by chance in
    # microsecond timestamps and hex digests.
    for text in (clear, audit):
        for secret in ("Nguyễn Văn An", "0912 345 678", "0912345678", "an@example.vn"):
            assert secret not in text


def test_second_factor_is_a_keyed_digest_of_the_phones_last_four_digits(app, org):
    case = submit_case(org, contact=_contact(phone="+84 (912) 345-678"))
    assert case.second_factor_hash == second_factor_digest(case.tracking_code, "5678")
    assert case.second_factor_hash != second_factor_digest(case.tracking_code, "5679")
    other = submit_case(org, contact=_contact(phone="+84 (912) 345-678"))
    assert other.second_factor_hash != case.second_factor_hash   # bound to the code
    no_phone = submit_case(org, contact=Contact(name="An", email="an@example.vn"))
    assert no_phone.second_factor_hash is None


@pytest.mark.parametrize(("text", "expected"), [
    ("Tôi muốn KHIẾU NẠI quyết định xử phạt", True),
    ("Đơn tố cáo cán bộ nhận hối lộ", True),
    ("Tố Cáo hành vi sai phạm", True),
    ("khieu nai ve thu tuc", True),
    ("I file a complaint", True),
    ("Thủ tục cấp giấy phép bị chậm", False),
    ("Máy photo cao cấp ở bộ phận một cửa bị hỏng", False),
    ("Đề nghị bổ sung quầy tiếp nhận", False),
])
def test_complaint_words_are_recognised(app, text, expected):
    assert looks_like_complaint(text) is expected


def test_a_case_that_looks_like_a_complaint_is_flagged(app, org):
    assert submit_case(org, content="Tôi khiếu nại việc trả hồ sơ.").looks_like_complaint
    assert not submit_case(org).looks_like_complaint


def test_register_unit_of_finds_the_nearest_province_or_commune(app, org, make_unit):
    assert register_unit_of(org.desk) == org.province
    assert register_unit_of(org.department) == org.province
    assert register_unit_of(org.province) == org.province
    commune = make_unit("P-XA", parent=org.province, kind="commune", name_vi="UBND xã A")
    office = make_unit("P-XA-BP1C", parent=commune, kind="service_centre")
    assert register_unit_of(office) == commune
    assert register_unit_of(commune) == commune
    root = make_unit("BO", kind="agency", name_vi="Bộ Thử")
    child = make_unit("BO-V", parent=root, kind="department")
    assert register_unit_of(child) == root      # no province or commune above: the root


def test_a_desk_alone_names_its_unit_and_agency(app, org):
    case = submit_case(org, origin_unit=None, desk=org.desk, channel="qr")
    assert case.desk_id == org.desk.id
    assert case.origin_unit_id == org.desk.parent_id
    assert case.agency_id == org.province.id


def test_an_explicit_agency_wins(app, org, make_unit):
    elsewhere = make_unit("Q", kind="province")
    case = submit_case(org, agency=elsewhere)
    assert case.agency_id == elsewhere.id


def test_receipt_is_on_the_timeline_and_in_the_audit_log_and_hooks_run(app, org,
                                                                        monkeypatch):
    seen = []
    monkeypatch.setattr(intake, "INTAKE_HOOKS", [lambda case: seen.append(case.id)])
    case = submit_case(org, channel="hotline", created_by=org.officer)
    assert seen == [case.id]
    event = db.session.scalars(select(FeedbackEvent).where(
        FeedbackEvent.case_id == case.id)).one()
    assert (event.action, event.to_state, event.public, event.actor_id) == (
        "receive", "received", True, org.officer.id)
    assert event.data == {"channel": "hotline", "formal": True}
    audit = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "feedback.receive")).one()
    assert audit.object_id == str(case.id) and audit.unit_id == org.province.id
    assert case.created_by_id == org.officer.id


def test_fields_are_cleaned_and_trimmed(app, org):
    case = submit_case(org, content="  Dòng một\x00\n\nDòng hai\x1b  ", title=" Tiêu đề \x07",
                       dossier_code="  H12.34-260101-0001  ", location_text=" Phường A ",
                       procedure_code="", topic="water")
    assert case.content == "Dòng một\n\nDòng hai"
    assert case.title == "Tiêu đề"
    assert case.dossier_code == "H12.34-260101-0001"
    assert case.location_text == "Phường A"
    assert case.procedure_code is None
    assert case.search_text == "tieu de dong mot dong hai"


def test_a_long_first_line_is_summarised_as_the_title(app, org):
    case = submit_case(org, content="a" * 200 + "\nchi tiết")
    assert len(case.title) == 120 and case.title.endswith("…")


def test_clean_text_and_phone_digits(app):
    assert clean_text(None) == ""
    assert clean_text(unicodedata.normalize("NFD", " Hà Nội\u200b ")) == "Hà Nội"
    assert clean_text("a\r\nb\tc") == "a\nb\tc"
    assert phone_digits("+84 (0)912-345.678") == "840912345678"
