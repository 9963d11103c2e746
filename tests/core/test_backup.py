"""`flask core backup` / `flask core restore`: back up, wipe, restore, and get the same rows
back (SQLite's online backup API, or pg_dump/pg_restore when TEST_DATABASE_URL is set), the
uploads folder included; the contact keys are never in the backup and restore needs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from core.backup import MANIFEST, restore_backup, summarise
from core.extensions import db
from feedback.models import FeedbackCase
from surveys.models import Response
from surveys.responses import SubmittedResponse, submit_response
from tests.feedback.helpers import build_org, submit_case
from tests.surveys.survey_page_helpers import build_desk

KEY = Fernet.generate_key().decode()
OTHER_KEY = Fernet.generate_key().decode()


@pytest.fixture
def app_config():
    return {"CONTACT_KEYS": [KEY]}


@pytest.fixture
def data(app, make_unit, make_user):
    """Three PAKN cases with encrypted contact data, five survey responses, one upload.
    Returns the PAKN organisation and the uploaded file."""
    org = build_org(make_unit, make_user)
    for n in range(3):
        submit_case(org, content=f"Phản ánh số {n}: thủ tục bị chậm.")
    desk = build_desk(make_unit)
    for value in (1, 2, 3, 4, 5):
        submit_response(SubmittedResponse(version=desk.version, unit=desk.desk, channel="desk_qr",
                                          point=desk.point,
                                          answers={"q9_24": value, "q9_25": 6 - value}))
    db.session.commit()
    upload = Path(app.config["UPLOAD_FOLDER"]) / "feedback" / "ab" / "tep.pdf"
    upload.parent.mkdir(parents=True)
    upload.write_bytes(b"%PDF-1.4 attachment bytes")
    return org, upload


def _snapshot() -> dict:
    """Row counts and checksums of every table, read from the live database."""
    db.session.remove()
    with db.engine.connect() as connection:
        return summarise(connection)["tables"]


def _wipe(app) -> None:
    """Lose the database and the uploads folder, as a dead disk would."""
    db.session.remove()
    if db.engine.dialect.name == "sqlite":
        db.engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db.engine.url.database}{suffix}").unlink(missing_ok=True)
    else:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
        db.engine.dispose()
    shutil.rmtree(app.config["UPLOAD_FOLDER"])


def test_backup_wipe_restore_gives_the_same_cases_responses_and_files(app, data, tmp_path):
    runner = app.test_cli_runner()
    before = _snapshot()
    assert before["feedback_cases"]["rows"] == 3 and before["survey_responses"]["rows"] == 5
    done = runner.invoke(args=["core", "backup", str(tmp_path / "b")])
    assert done.exit_code == 0, done.output
    manifest = json.loads((tmp_path / "b" / MANIFEST).read_text())
    assert manifest["tables"] == before and manifest["revision"]
    assert list(manifest["uploads"]) == ["feedback/ab/tep.pdf"]
    assert KEY not in (tmp_path / "b" / MANIFEST).read_text()
    _wipe(app)
    with db.engine.connect() as connection:
        assert sa.inspect(connection).get_table_names() == []
    restored = runner.invoke(args=["core", "restore", str(tmp_path / "b"), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "every table matches the manifest" in restored.output
    after = _snapshot()
    for table in ("feedback_cases", "survey_responses"):
        assert after[table] == before[table]
    assert after == before
    assert data[1].read_bytes() == b"%PDF-1.4 attachment bytes"
    assert db.session.scalar(select(func.count()).select_from(FeedbackCase)) == 3
    assert db.session.scalar(select(func.count()).select_from(Response)) == 5


def test_restore_refuses_without_the_keys_and_changes_nothing(app, data, tmp_path):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["core", "backup", str(tmp_path / "b")]).exit_code == 0
    manifest = json.loads((tmp_path / "b" / MANIFEST).read_text())
    assert len(manifest["key_samples"]) >= 3  # feedback_cases.contact_enc, outbox recipients
    submit_case(data[0], content="Gửi sau bản sao lưu.")
    before = _snapshot()
    app.config["CONTACT_KEYS"] = [OTHER_KEY]
    refused = runner.invoke(args=["core", "restore", str(tmp_path / "b"), "--yes"])
    assert refused.exit_code != 0
    assert (f"cannot decrypt {len(manifest['key_samples'])} of the backup's "
            f"{len(manifest['key_samples'])} sampled contact values") in refused.output
    assert "--without-contact-keys" in refused.output
    assert _snapshot() == before and before["feedback_cases"]["rows"] == 4
    report = restore_backup(tmp_path / "b", without_contact_keys=True)
    assert report["unreadable_contact_samples"] == len(manifest["key_samples"])


def test_restore_refuses_a_tampered_backup_before_touching_the_database(app, data, tmp_path):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["core", "backup", str(tmp_path / "b")]).exit_code == 0
    assert runner.invoke(args=["core", "backup", str(tmp_path / "b")]).exit_code != 0
    (tmp_path / "b" / "uploads" / "feedback" / "ab" / "tep.pdf").write_bytes(b"changed")
    data[1].write_bytes(b"newer")
    before = _snapshot()
    refused = runner.invoke(args=["core", "restore", str(tmp_path / "b"), "--yes"])
    assert refused.exit_code != 0 and "does not match its checksum" in refused.output
    assert _snapshot() == before and data[1].read_bytes() == b"newer"
