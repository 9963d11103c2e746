"""Email intake: RFC 5322 messages → cases (ingest_email), the `flask feedback ingest-email`
command (files, stdin, maildir) and the .eml upload page."""

from __future__ import annotations

import io
import mailbox
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from sqlalchemy import func, select

from core.clock import now
from core.crypto import decrypt_json
from core.exceptions import ServiceError
from core.extensions import db
from core.models import Role
from feedback.email_intake import html_to_text, idempotency_key_for, ingest_email
from feedback.models import FeedbackAttachment, FeedbackCase, FeedbackEvent
from tests.feedback.helpers import build_org

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
SUBJECT = "Phản ánh việc chậm trả hồ sơ đất đai"


@pytest.fixture
def org(app, make_unit, make_user):
    return build_org(make_unit, make_user)


def build_email(*, subject: str = SUBJECT, body: str | None = "Kính gửi UBND tỉnh,\n"
                "Hồ sơ của tôi nộp ngày 02/03 đến nay vẫn chưa có kết quả.",
                html: str | None = None, sender: str = '"Lê Văn Cường" <cuong.le@example.vn>',
                message_id: str | None = "<abc123@mail.example.vn>",
                attachments: list[tuple[str, str, bytes]] = ()) -> bytes:
    message = EmailMessage()
    message["Subject"] = subject  # non-ASCII: written as RFC 2047 encoded words
    message["From"] = sender
    message["To"] = "pakn@tinh.gov.vn"
    message["Date"] = format_datetime(now())
    if message_id:
        message["Message-ID"] = message_id
    if body is not None:
        message.set_content(body)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    for name, mime, content in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def _count(model=FeedbackCase) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_subject_body_and_sender_become_the_case(org):
    raw = build_email()
    assert b"=?utf-8?" in raw.lower()  # the subject really is encoded words on the wire
    case, created = ingest_email(raw, agency=org.province)
    db.session.commit()
    assert created and case.channel == "email" and case.agency_id == org.province.id
    assert case.title == SUBJECT
    assert "vẫn chưa có kết quả" in case.content
    contact = decrypt_json(case.contact_enc)
    assert contact["name"] == "Lê Văn Cường" and contact["email"] == "cuong.le@example.vn"
    assert case.reply_channel == "email"
    # No address or phone in an email: kept as a suggestion, never refused.
    assert case.kind == "suggestion" and not case.is_formal
    assert case.idempotency_key == "email:abc123@mail.example.vn"


def test_same_message_id_twice_makes_one_case(org):
    raw = build_email()
    first, created = ingest_email(raw, agency=org.province)
    db.session.commit()
    again, created_again = ingest_email(raw, agency=org.province)
    assert created and not created_again and again.id == first.id
    assert _count() == 1


def test_html_only_mail_gives_its_text(org):
    html = ("<html><head><style>p{color:red}</style><script>x()</script></head><body>"
            "<p>Đường <b>Lê Lợi</b> bị ngập &amp; hỏng</p><p>Đề nghị sửa.</p></body></html>")
    case, created = ingest_email(build_email(body=None, html=html), agency=org.province)
    assert created
    assert case.content == "Đường Lê Lợi bị ngập & hỏng\n\nĐề nghị sửa."
    assert "<" not in case.content and "color" not in case.content


def test_plain_is_preferred_over_html(org):
    case, _ = ingest_email(build_email(body="Văn bản thuần.", html="<p>HTML</p>"),
                           agency=org.province)
    assert case.content == "Văn bản thuần."


def test_html_to_text_decodes_entities_and_breaks_blocks():
    assert html_to_text("a<br>b&nbsp;c<div>d</div>") == "a\nb c\nd"


def test_good_attachments_kept_bad_ones_listed_in_a_note(org):
    raw = build_email(attachments=[
        ("anh-hien-truong.png", "image/png", PNG),
        ("bien-nhan.pdf", "application/pdf", PDF),
        ("hoso.zip", "application/zip", b"PK\x03\x04" + b"\x00" * 40),
        ("gia.png", "image/png", PDF),  # a PDF pretending to be a PNG
    ])
    case, created = ingest_email(raw, agency=org.province)
    db.session.commit()
    assert created
    kept = db.session.scalars(select(FeedbackAttachment).where(
        FeedbackAttachment.case_id == case.id).order_by(FeedbackAttachment.id)).all()
    assert [(a.filename, a.content_type) for a in kept] == [
        ("anh-hien-truong.png", "image/png"), ("bien-nhan.pdf", "application/pdf")]
    note = db.session.scalar(select(FeedbackEvent).where(
        FeedbackEvent.case_id == case.id, FeedbackEvent.action == "note"))
    assert note is not None and not note.public
    assert "hoso.zip" in note.reason and "gia.png" in note.reason
    assert "bien-nhan.pdf" not in note.reason


def test_message_without_text_is_refused(org):
    with pytest.raises(ServiceError) as refused:
        ingest_email(build_email(body=" \n ", subject="Không có nội dung"),
                     agency=org.province)
    assert refused.value.status == 400
    with pytest.raises(ServiceError):
        ingest_email(b"this is not an email at all", agency=org.province)
    assert _count() == 0


def test_message_without_message_id_or_sender_still_registered(org):
    raw = build_email(message_id=None, sender="")
    case, created = ingest_email(raw, agency=org.province)
    assert created and case.idempotency_key is None and case.contact_enc is None
    assert case.reply_channel == "none"


def test_long_message_id_is_digested():
    key = idempotency_key_for("x" * 300 + "@example.vn")
    assert key.startswith("email:sha256:") and len(key) <= 80


# -- the command ---------------------------------------------------------------------------


def test_cli_files_and_stdin(app, org, tmp_path):
    first = tmp_path / "one.eml"
    first.write_bytes(build_email(message_id="<one@x>"))
    bad = tmp_path / "bad.eml"
    bad.write_bytes(build_email(message_id="<bad@x>", body=""))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["feedback", "ingest-email", "--unit", "P", str(first),
                                 str(bad)])
    assert result.exit_code == 1, result.output
    assert "1 created, 0 already registered, 1 failed" in result.output
    assert "bad.eml: refused" in result.output
    piped = runner.invoke(args=["feedback", "ingest-email", "--unit", "P", "-"],
                          input=build_email(message_id="<two@x>"))
    assert piped.exit_code == 0, piped.output
    assert "1 created, 0 already registered, 0 failed" in piped.output
    again = runner.invoke(args=["feedback", "ingest-email", "--unit", "P", str(first)])
    assert "0 created, 1 already registered, 0 failed" in again.output
    assert _count() == 2


def test_cli_unknown_unit(app, org):
    result = app.test_cli_runner().invoke(args=["feedback", "ingest-email", "--unit", "NOPE",
                                                "-"], input=build_email())
    assert result.exit_code != 0 and "NOPE" in result.output
    assert _count() == 0


def test_cli_maildir_moves_processed_messages_to_cur(app, org, tmp_path):
    box = mailbox.Maildir(str(tmp_path / "pakn"), create=True)
    good = box.add(mailbox.MaildirMessage(build_email(message_id="<m1@x>")))
    also = box.add(mailbox.MaildirMessage(build_email(
        message_id="<m2@x>", attachments=[("a.png", "image/png", PNG)])))
    bad = box.add(mailbox.MaildirMessage(build_email(message_id="<m3@x>", body="")))
    result = app.test_cli_runner().invoke(args=[
        "feedback", "ingest-email", "--unit", "P", "--maildir", str(tmp_path / "pakn")])
    assert result.exit_code == 1
    assert "2 created, 0 already registered, 1 failed" in result.output
    box = mailbox.Maildir(str(tmp_path / "pakn"), create=False)
    assert box.get_message(good).get_subdir() == "cur"
    assert box.get_message(also).get_subdir() == "cur" and "S" in box.get_message(also).get_flags()
    assert box.get_message(bad).get_subdir() == "new"  # left for a person to look at
    assert _count() == 2 and _count(FeedbackAttachment) == 1
    # A second run reads only what is still new: nothing is registered twice.
    rerun = app.test_cli_runner().invoke(args=[
        "feedback", "ingest-email", "--unit", "P", "--maildir", str(tmp_path / "pakn")])
    assert "0 created, 0 already registered, 1 failed" in rerun.output
    assert _count() == 2


# -- the upload page -----------------------------------------------------------------------

UPLOAD = "/quan-tri/pakn/nhap-email/"


def test_upload_page_reports_each_file(client, login, org):
    login(client, org.officer)
    assert client.get(UPLOAD).status_code == 200
    files = [(io.BytesIO(build_email(message_id="<u1@x>")), "mot.eml"),
             (io.BytesIO(build_email(message_id="<u1@x>")), "mot-lan-nua.eml"),
             (io.BytesIO(build_email(message_id="<u2@x>", body="")), "rong.eml"),
             (io.BytesIO(b"hello"), "ghichu.txt")]
    response = client.post(UPLOAD, data={"unit_id": str(org.department.id), "files": files},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "1 registered, 1 already registered, 2 refused." in page
    assert "The message has no text to register." in page and "Not an .eml file." in page
    case = db.session.scalar(select(FeedbackCase))
    assert _count() == 1 and case.agency_id == org.province.id  # the department's register
    code = case.tracking_code
    assert f"{code[:3]}-{code[3:6]}-{code[6:]}" in page


def test_upload_needs_a_file_and_intake_permission(client, login, org, make_user):
    login(client, org.officer)
    assert client.post(UPLOAD, data={"unit_id": str(org.province.id)}).status_code == 400
    client.post("/dang-xuat")
    clerk = make_user(Role.DESK_STAFF, org.desk)
    other = client.application.test_client()
    other.set_cookie("lang", "en", domain="localhost")
    login(other, clerk)
    refused = other.post(UPLOAD, data={"unit_id": str(org.other_department.id),
                                       "files": [(io.BytesIO(build_email()), "a.eml")]},
                         content_type="multipart/form-data")
    assert refused.status_code == 404
    assert _count() == 0
