"""Files attached to a PAKN case: images and PDF only, judged by their content.

A file is accepted when its first bytes are those of a JPEG, PNG, WebP, GIF, HEIC/HEIF image
or a PDF, and when its name's extension (if it has one) agrees with that content: a PDF named
``photo.png`` is refused, whatever the browser said its type was. Archives (zip, rar, 7z, gzip,
bzip2, xz, tar) are refused, and so are office documents, which are zip or OLE2 containers;
an image or PDF with a zip archive glued to its end is refused too. Each file is at most
FEEDBACK_ATTACHMENT_MAX_BYTES (10 MiB), and a web submission carries at most
FEEDBACK_ATTACHMENT_MAX_FILES (3). An image is at most FEEDBACK_ATTACHMENT_MAX_PIXELS (40
megapixels, twice a good phone camera's): a few kilobytes of PNG can claim 20000×20000
pixels, which anyone decoding it later (a viewer, a thumbnail) would pay for in memory. The
size comes from the image's header, read by Pillow without decoding the pixels.

Accepted files are kept outside the web root, in ``<UPLOAD_FOLDER>/feedback/``, under a random
name with no extension; the original name, the detected type, the size and the SHA-256 are
recorded on a FeedbackAttachment row. Every channel (web form, email, API, officer entry)
stores files through ``store_attachment``.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import unicodedata
import warnings
from pathlib import Path, PurePosixPath

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

from core.exceptions import NotFound, ServiceError
from core.extensions import db
from feedback.models import FeedbackAttachment, FeedbackCase

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 3
MAX_PIXELS = 40_000_000
ROLES = ("sender", "answer", "evidence")

# Detected content type → the extensions a file of that type may carry.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/png": (".png",),
    "image/webp": (".webp",),
    "image/gif": (".gif",),
    "image/heic": (".heic", ".heif", ".hif"),
    "application/pdf": (".pdf",),
}
LABELS = {
    "image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP", "image/gif": "GIF",
    "image/heic": "HEIC", "application/pdf": "PDF",
}
ACCEPT = ",".join([*EXTENSIONS, *(ext for exts in EXTENSIONS.values() for ext in exts)])

# Containers refused by content: zip (and so docx/xlsx/pptx/odt/jar/apk), rar, 7z, gzip,
# bzip2, xz, zstd, cab, and OLE2 (old .doc/.xls).
_ARCHIVE_MAGIC = (
    b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08", b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c",
    b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd", b"MSCF",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
)
_ARCHIVE_EXTENSIONS = frozenset({
    ".zip", ".rar", ".7z", ".gz", ".tgz", ".tar", ".bz2", ".tbz2", ".xz", ".txz", ".zst",
    ".cab", ".jar", ".apk", ".docx", ".docm", ".xlsx", ".xlsm", ".pptx", ".odt", ".ods",
    ".odp", ".doc", ".xls", ".ppt", ".iso",
})
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm",
                          b"hevs", b"mif1", b"msf1"})
# A zip's end-of-central-directory record sits in its last 65,557 bytes.
_ZIP_TAIL = 65_536 + 22


def max_bytes() -> int:
    return int(current_app.config.get("FEEDBACK_ATTACHMENT_MAX_BYTES", MAX_BYTES))


def max_files() -> int:
    return int(current_app.config.get("FEEDBACK_ATTACHMENT_MAX_FILES", MAX_FILES))


def max_pixels() -> int:
    return int(current_app.config.get("FEEDBACK_ATTACHMENT_MAX_PIXELS", MAX_PIXELS))


def image_pixels(content: bytes) -> int | None:
    """Width × height from an image's header, without decoding it; None when Pillow cannot
    read the header (HEIC, or a damaged file: nothing here decodes it either)."""
    with warnings.catch_warnings():
        # Pillow warns, then refuses, past its own bomb limit: the caller's limit is lower.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content)) as image:
                return image.size[0] * image.size[1]
        except Image.DecompressionBombError:
            return Image.MAX_IMAGE_PIXELS * 2 + 1  # past Pillow's limit, so past ours
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            return None


def _check_pixels(name: str, content: bytes) -> None:
    pixels = image_pixels(content)
    limit = max_pixels()
    if pixels is not None and pixels > limit:
        raise ServiceError(_("\u201c%(name)s\u201d has more than %(limit)s megapixels. Send a "
                             "smaller photo (a phone's usual resolution is enough).",
                             name=name, limit=f"{limit / 1_000_000:g}"),
                           status=413, field="attachments")


def sniff_type(content: bytes) -> str | None:
    """The content type the bytes show, among the accepted ones, or None."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"RIFF") and content[8:12] == b"WEBP":
        return "image/webp"
    if content.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if content[4:8] == b"ftyp" and content[8:12] in _HEIF_BRANDS:
        return "image/heic"
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def _is_archive(content: bytes) -> bool:
    if content.startswith(_ARCHIVE_MAGIC) or content[257:262] == b"ustar":
        return True
    # An image or PDF with a zip glued to its end (a "polyglot") opens as an archive too.
    return b"PK\x05\x06" in content[-_ZIP_TAIL:]


def clean_filename(filename: str | None) -> str:
    """The last part of the name the sender gave, NFC, without control characters."""
    name = unicodedata.normalize("NFC", (filename or "").replace("\\", "/"))
    name = PurePosixPath(name).name if name.strip("/") else ""
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:240] + dot + ext[:14]) if dot and len(ext) <= 14 else name[:255]
    return name or "file"


def _extension(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    return suffix if 1 < len(suffix) <= 8 else ""


def validate_attachment(filename: str | None, content: bytes) -> str:
    """Check one file; return its content type (e.g. "image/png"). Raises ServiceError
    400 (wrong kind, empty, archive, name and content disagree) or 413 (too large)."""
    name = clean_filename(filename)
    limit = max_bytes()
    if len(content) > limit:
        raise ServiceError(_("\u201c%(name)s\u201d is larger than %(size)s MB. Send a smaller "
                             "file (for a photo, a lower resolution is enough).", name=name,
                             size=f"{limit / 1024 / 1024:g}"), status=413, field="attachments")
    if not content:
        raise ServiceError(_("\u201c%(name)s\u201d is empty.", name=name), status=400,
                           field="attachments")
    extension = _extension(name)
    if _is_archive(content) or extension in _ARCHIVE_EXTENSIONS:
        raise ServiceError(_("\u201c%(name)s\u201d is an archive or an office document "
                             "(zip, rar, 7z, Word, Excel…). Only photos (JPEG, PNG, WebP, "
                             "GIF, HEIC) and PDF files can be attached.", name=name),
                           status=400, field="attachments")
    content_type = sniff_type(content)
    if content_type is None:
        raise ServiceError(_("\u201c%(name)s\u201d is not a photo or a PDF file. Only photos "
                             "(JPEG, PNG, WebP, GIF, HEIC) and PDF files can be attached.",
                             name=name), status=400, field="attachments")
    if extension and extension not in EXTENSIONS[content_type]:
        raise ServiceError(_("The name of \u201c%(name)s\u201d ends in %(ext)s but the file is "
                             "a %(kind)s. Rename it or choose the right file.", name=name,
                             ext=extension, kind=LABELS[content_type]),
                           status=400, field="attachments")
    if content_type.startswith("image/"):
        _check_pixels(name, content)
    return content_type


def validate_count(count: int) -> None:
    """At most FEEDBACK_ATTACHMENT_MAX_FILES files per submission (400)."""
    if count > max_files():
        raise ServiceError(_("Attach at most %(n)d files.", n=max_files()), status=400,
                           field="attachments")


def folder() -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"]) / "feedback"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def store_attachment(case: FeedbackCase, filename: str | None, content: bytes, *,
                     role: str = "sender") -> FeedbackAttachment:
    """Check the file, write it under a random name and record it on ``case``. Flushes;
    the caller commits (and may call ``discard_files`` if it rolls back)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
    content_type = validate_attachment(filename, content)
    stored_name = secrets.token_hex(20)
    path = folder() / stored_name
    with open(path, "xb") as handle:  # "x": never overwrite another file
        handle.write(content)
    path.chmod(0o600)
    attachment = FeedbackAttachment(
        case_id=case.id, role=role, filename=clean_filename(filename),
        stored_name=stored_name, content_type=content_type, size=len(content),
        sha256=hashlib.sha256(content).hexdigest())
    db.session.add(attachment)
    db.session.flush()
    return attachment


def attachment_path(attachment: FeedbackAttachment) -> Path:
    return folder() / PurePosixPath(attachment.stored_name).name


def read_attachment(attachment: FeedbackAttachment) -> bytes:
    """The stored bytes, for a download. NotFound (404) when the file is gone (removed by
    retention, or never written because its transaction rolled back) or no longer matches
    the recorded SHA-256."""
    try:
        content = attachment_path(attachment).read_bytes()
    except FileNotFoundError as error:
        raise NotFound(_("This file is no longer available.")) from error
    if hashlib.sha256(content).hexdigest() != attachment.sha256:
        raise NotFound(_("This file is no longer available."))
    return content


def discard_files(attachments: list[FeedbackAttachment]) -> None:
    """Remove the files of attachments whose rows were rolled back (or are deleted)."""
    for attachment in attachments:
        attachment_path(attachment).unlink(missing_ok=True)
