"""Attachments: images and PDF only, judged by content; size and count caps; stored outside
the web root under random names."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from flask_babel import force_locale

from core.exceptions import ServiceError
from core.extensions import db
from feedback import attachments
from feedback.models import FeedbackAttachment, FeedbackCase
from tests.feedback.helpers import build_org, submit_case
from tests.feedback.test_public_form import URL, form_data


def png_bytes() -> bytes:
    """A real 1×1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def jpeg_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 10, 10)).save(buffer, "JPEG")
    return buffer.getvalue()


PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]"
       b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 16


def zip_bytes(files: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in (files or {"a.txt": b"hello"}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    return zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


pytestmark = pytest.mark.usefixtures("english_messages")

@pytest.fixture
def org(make_unit, make_user):
    return build_org(make_unit, make_user)


@pytest.fixture
def case(org) -> FeedbackCase:
    return submit_case(org)


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("anh chụp.png", png_bytes(), "image/png"),
    ("IMG_0001.JPG", jpeg_bytes(), "image/jpeg"),
    ("giay-hen.pdf", PDF, "application/pdf"),
    ("a.webp", WEBP, "image/webp"),
    ("a.gif", GIF, "image/gif"),
    ("IMG_1.HEIC", HEIC, "image/heic"),
    ("no-extension", png_bytes(), "image/png"),
])
def test_good_files_are_recognised_by_content(app, name, content, expected):
    assert attachments.validate_attachment(name, content) == expected


@pytest.mark.parametrize(("name", "content", "message"), [
    ("fake.png", PDF, "ends in .png but the file is a PDF"),
    ("photo.jpg", png_bytes(), "ends in .jpg but the file is a PNG"),
    ("holiday.jpg", zip_bytes(), "is an archive or an office document"),
    ("report.docx", docx_bytes(), "is an archive or an office document"),
    ("report.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "is an archive"),
    ("files.rar", b"Rar!\x1a\x07\x01\x00" + b"\x00" * 20, "is an archive"),
    ("files.7z", b"7z\xbc\xaf\x27\x1c" + b"\x00" * 20, "is an archive"),
    ("scan.pdf.gz", b"\x1f\x8b\x08\x00" + b"\x00" * 20, "is an archive"),
    ("polyglot.png", png_bytes() + zip_bytes(), "is an archive"),
    ("photo.png.zip", png_bytes(), "is an archive"),
    ("note.pdf", b"Just some text pretending to be a PDF", "is not a photo or a PDF"),
    ("page.html", b"<html><script>alert(1)</script></html>", "is not a photo or a PDF"),
    ("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "is not a photo or a PDF"),
    ("empty.png", b"", "is empty"),
])
def test_wrong_content_archives_and_office_files_are_refused(app, name, content, message):
    with pytest.raises(ServiceError) as refused:
        attachments.validate_attachment(name, content)
    assert refused.value.status == 400 and refused.value.field == "attachments"
    assert message in refused.value.message


@pytest.mark.parametrize("app_config", [{"FEEDBACK_ATTACHMENT_MAX_BYTES": 1000}])
def test_size_cap_is_413_and_exactly_at_the_cap_is_accepted(app):
    at_cap = PDF + b"%" * (1000 - len(PDF))
    assert attachments.validate_attachment("a.pdf", at_cap) == "application/pdf"
    with pytest.raises(ServiceError) as refused:
        attachments.validate_attachment("a.pdf", at_cap + b"%")
    assert refused.value.status == 413 and "larger than" in refused.value.message


def test_default_caps_are_10_mib_and_3_files(app):
    assert attachments.max_bytes() == 10 * 1024 * 1024 and attachments.max_files() == 3
    attachments.validate_count(3)
    with pytest.raises(ServiceError) as refused:
        attachments.validate_count(4)
    assert refused.value.status == 400 and "at most 3 files" in refused.value.message


def test_store_and_read_back_outside_the_web_root(app, case):
    content = png_bytes()
    stored = attachments.store_attachment(case, "C:\\Users\\an\\Ảnh của tôi.png", content)
    db.session.commit()
    row = db.session.get(FeedbackAttachment, stored.id)
    assert (row.case_id, row.role, row.content_type, row.size) == (
        case.id, "sender", "image/png", len(content))
    assert row.filename == "Ảnh của tôi.png"  # the last part only, shown to staff
    assert row.sha256 == hashlib.sha256(content).hexdigest()
    path = Path(app.config["UPLOAD_FOLDER"]) / "feedback" / row.stored_name
    assert path.read_bytes() == content
    assert "png" not in row.stored_name.lower() and len(row.stored_name) >= 32
    assert not path.resolve().is_relative_to(Path(app.static_folder).resolve())
    assert attachments.read_attachment(row) == content
    other = attachments.store_attachment(case, "a.png", content, role="answer")
    assert other.stored_name != row.stored_name and other.role == "answer"


def test_tampered_or_missing_file_is_not_served(app, case):
    stored = attachments.store_attachment(case, "a.pdf", PDF)
    attachments.attachment_path(stored).write_bytes(PDF + b"changed")
    with pytest.raises(ServiceError) as refused:
        attachments.read_attachment(stored)
    assert refused.value.status == 404
    attachments.discard_files([stored])
    with pytest.raises(ServiceError):
        attachments.read_attachment(stored)


def test_store_refuses_bad_files_and_roles(app, case):
    with pytest.raises(ServiceError):
        attachments.store_attachment(case, "x.jpg", zip_bytes())
    with pytest.raises(ValueError, match="role"):
        attachments.store_attachment(case, "a.png", png_bytes(), role="robot")
    assert db.session.scalar(db.select(db.func.count(FeedbackAttachment.id))) == 0


def _post(client, files, **overrides):
    data = form_data(**overrides)
    data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(URL, data=data, content_type="multipart/form-data")


def _stored_files(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_FOLDER"]) / "feedback"
    return list(folder.iterdir()) if folder.exists() else []


def test_web_form_keeps_good_files(client, app, org):
    response = _post(client, [("anh.png", png_bytes()), ("anh.jpg", jpeg_bytes()),
                              ("giay-hen.pdf", PDF)])
    assert response.status_code == 303
    case = db.session.scalars(db.select(FeedbackCase)).one()
    rows = db.session.scalars(db.select(FeedbackAttachment).where(
        FeedbackAttachment.case_id == case.id).order_by(FeedbackAttachment.id)).all()
    assert [r.content_type for r in rows] == ["image/png", "image/jpeg", "application/pdf"]
    assert len(_stored_files(app)) == 3
    # A repeated post (double click) adds neither a case nor files.
    assert _post(client, [("anh.png", png_bytes())]).status_code == 303
    assert db.session.scalar(db.select(db.func.count(FeedbackAttachment.id))) == 3
    assert len(_stored_files(app)) == 3


@pytest.mark.parametrize(("files", "status", "message"), [
    ([("fake.png", PDF)], 400, "ends in .png but the file is a PDF"),
    ([("holiday.jpg", zip_bytes())], 400, "is an archive"),
    ([("report.docx", docx_bytes())], 400, "is an archive"),
    ([("a.png", png_bytes())] * 4, 400, "Attach at most 3 files."),
    ([("a.png", png_bytes()), ("big.pdf", PDF + b"%" * 2000)], 413, "larger than"),
])
@pytest.mark.parametrize("app_config", [{"FEEDBACK_ATTACHMENT_MAX_BYTES": 2000}])
def test_web_form_refuses_bad_files_and_keeps_the_text(client, app, org, files, status,
                                                       message):
    response = _post(client, files)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert message in html
    assert "choose your files again" in html.lower()
    assert "Hồ sơ cấp phép xây dựng của tôi bị trễ hẹn 10 ngày." in html
    assert "Nguyễn Văn An" in html
    assert db.session.scalar(db.select(db.func.count(FeedbackCase.id))) == 0
    assert _stored_files(app) == []


def png_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes of PNG whose header claims ``width`` × ``height`` pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


@pytest.mark.parametrize(("width", "height"), [(20000, 20000), (8000, 5001)])
def test_images_over_40_megapixels_are_refused_from_the_header(app, width, height):
    content = png_claiming(width, height)
    assert len(content) < 1000  # tiny on the wire: only the header says how big it is
    with pytest.raises(ServiceError) as refused:
        attachments.validate_attachment("bom.png", content)
    assert refused.value.status == 413
    assert "“bom.png” has more than 40 megapixels" in refused.value.message


def test_an_image_at_the_pixel_cap_is_accepted(app):
    assert attachments.validate_attachment("ok.png", png_claiming(8000, 5000)) == "image/png"


@pytest.mark.parametrize("app_config", [{"FEEDBACK_ATTACHMENT_MAX_PIXELS": 100}])
def test_pixel_cap_is_configurable_and_applies_to_jpeg(app):
    with pytest.raises(ServiceError):
        attachments.validate_attachment("a.png", png_claiming(11, 10))
    assert attachments.validate_attachment("a.jpg", jpeg_bytes()) == "image/jpeg"  # 4×4


def test_the_pixel_message_is_in_vietnamese_for_citizens(app):
    with force_locale("vi"), pytest.raises(ServiceError) as refused:
        attachments.validate_attachment("bom.png", png_claiming(20000, 20000))
    assert refused.value.message.startswith("“bom.png” có hơn 40 megapixel. Ông/Bà vui lòng")


def test_web_form_refuses_a_pixel_bomb_and_keeps_the_text(client, app, org):
    response = _post(client, [("anh.png", png_bytes()),
                              ("bom.png", png_claiming(20000, 20000))])
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "“bom.png” has more than 40 megapixels." in html
    assert "Hồ sơ cấp phép xây dựng của tôi bị trễ hẹn 10 ngày." in html
    assert db.session.scalar(db.select(db.func.count(FeedbackCase.id))) == 0
    assert _stored_files(app) == []
