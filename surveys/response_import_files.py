"""Uploaded survey files waiting to be mapped and imported (surveys.response_import).

The file is kept outside the web root, in UPLOAD_FOLDER/imports/, under a random name, with a
sidecar JSON holding its sha256 and the choices of step 1: the steps that follow carry only
the random name, never the file or its state in the session cookie. A file whose content no
longer matches the recorded sha256 is treated as gone. Uploads older than a day are removed.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

from flask import current_app

from core.clock import now
from core.models import Unit, User
from core.spreadsheets import Table, clean_cell, read_table
from surveys.models import InstrumentVersion
from surveys.responses import check_open

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5_000
MAX_COLUMNS = 100
KEEP_SECONDS = 24 * 3600
SAMPLES = 3
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


@dataclass
class Upload:
    token: str
    sha256: str
    filename: str
    unit_id: int
    version_id: int
    user_id: int
    uploaded_at: str
    header: list[str] = field(default_factory=list)
    samples: list[list[str]] = field(default_factory=list)  # a few values per column
    rows: int = 0


def max_bytes() -> int:
    return int(current_app.config.get("SURVEY_IMPORT_MAX_BYTES", MAX_BYTES))


def read_upload_table(content: bytes, filename: str) -> Table:
    """The first sheet, checked by content (400), with the size and row caps (413)."""
    return read_table(content, filename, max_bytes=max_bytes(), max_rows=MAX_ROWS,
                      max_columns=MAX_COLUMNS)


def _folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def store_upload(content: bytes, filename: str, unit: Unit, version: InstrumentVersion,
                 user: User) -> Upload:
    """Check the file and the questionnaire, then keep the file for the mapping step."""
    check_open(version, unit, None)
    table = read_upload_table(content, filename)
    header = [clean_cell(text) for text in table.header]
    samples = [[] for _ in header]
    for _number, cells in table.rows:
        for index, text in enumerate(cells[:len(header)]):
            value = clean_cell(text)[:80]
            if value and len(samples[index]) < SAMPLES and value not in samples[index]:
                samples[index].append(value)
    name = unicodedata.normalize("NFC", filename.replace("\\", "/").rsplit("/", 1)[-1])
    upload = Upload(token=secrets.token_urlsafe(24), sha256=hashlib.sha256(content).hexdigest(),
                    filename=name[:255] or "upload", unit_id=unit.id, version_id=version.id,
                    user_id=user.id, uploaded_at=now().isoformat(), header=header,
                    samples=samples, rows=len(table.rows))
    folder = _folder()
    _remove_stale(folder)
    (folder / f"{upload.token}.upload").write_bytes(content)
    (folder / f"{upload.token}.json").write_text(json.dumps(asdict(upload), ensure_ascii=False),
                                                 encoding="utf-8")
    return upload


def load_upload(token: str) -> tuple[Upload, bytes] | None:
    """The upload and its content, or None if the name is malformed, unknown or damaged."""
    if not _TOKEN.match(token):
        return None
    folder = _folder()
    try:
        upload = Upload(**json.loads((folder / f"{token}.json").read_text(encoding="utf-8")))
        content = (folder / f"{token}.upload").read_bytes()
    except (OSError, ValueError, TypeError):
        return None
    if upload.token != token or hashlib.sha256(content).hexdigest() != upload.sha256:
        return None
    return upload, content


def discard_upload(upload: Upload) -> None:
    folder = _folder()
    for suffix in (".upload", ".json"):
        (folder / f"{upload.token}{suffix}").unlink(missing_ok=True)


def _remove_stale(folder: Path) -> None:
    limit = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        try:
            if path.suffix in (".upload", ".json") and path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:  # another request removed it first
            continue
