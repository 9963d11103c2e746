"""Backups of the database and the uploads folder, and their restore (`flask core backup DIR`,
`flask core restore DIR`).

A backup is a new directory holding the database (SQLite: a copy made with SQLite's online
backup API, consistent while the app writes; PostgreSQL: ``pg_dump --format=custom`` of one
exported snapshot), a copy of UPLOAD_FOLDER, and ``manifest.json``: when, the migration
revision, the row count and a content checksum of every table (read from that same snapshot),
the SHA-256 of every file, and a few encrypted contact values as a key check. The manifest is
written last: a directory without one is an unfinished backup.

The contact keys (CONTACT_KEYS, core.crypto) are never in a backup: whoever holds a backup
must not be able to read citizens' contact data with it alone. Restore therefore first checks
that the configured keys decrypt the sampled values and refuses otherwise (unless told to
restore without readable contact data), then checks every file's checksum, replaces the
database and the uploads folder, and compares the restored tables with the manifest.
Stop the app nodes and job runners before a restore: it replaces the data under them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app

from core.clock import now
from core.crypto import decrypt_text
from core.extensions import db

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.dump"
UPLOADS = "uploads"
FORMAT_VERSION = 1
# Encrypted values sampled per *_enc column for the key check at restore.
KEY_SAMPLES_PER_COLUMN = 3


class BackupError(Exception):
    """A backup or restore that cannot go on; the message tells the operator why."""


# --- Backup ------------------------------------------------------------------------------------


def create_backup(target: Path) -> dict[str, Any]:
    """Back up the database and the uploads folder into ``target`` (new or empty)."""
    target = _prepare_target(Path(target))
    if _dialect() == "sqlite":
        database_file, summary = _backup_sqlite(target / SQLITE_FILE)
    else:
        database_file, summary = _backup_postgresql(target / POSTGRES_FILE)
    manifest = {
        "format": FORMAT_VERSION,
        "created_at": now().isoformat(timespec="seconds"),
        "engine": _dialect(),
        "database_file": {"name": database_file.name, "sha256": _file_digest(database_file),
                          "bytes": database_file.stat().st_size},
        "uploads": _copy_uploads(_upload_folder(), target / UPLOADS),
        "contact_keys": "not included: restore needs the CONTACT_KEYS the data was written with",
        **summary,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    return manifest


def _prepare_target(target: Path) -> Path:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} exists and is not an empty directory.")
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    return target


def _backup_sqlite(file: Path) -> tuple[Path, dict[str, Any]]:
    raw = db.engine.raw_connection()
    try:
        copy = sqlite3.connect(file)
        raw.driver_connection.backup(copy)
        copy.close()
    finally:
        raw.close()
    engine = sa.create_engine(f"sqlite:///{file}")
    try:
        with engine.connect() as connection:
            return file, summarise(connection)
    finally:
        engine.dispose()


def _backup_postgresql(file: Path) -> tuple[Path, dict[str, Any]]:
    """pg_dump reads the snapshot this transaction exported, so the manifest's counts and
    checksums describe exactly the dumped data even while the app writes."""
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        with connection.begin():
            snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
            _run_client("pg_dump", "--format=custom", f"--snapshot={snapshot}",
                        f"--file={file}")
            return file, summarise(connection)


def _copy_uploads(source: Path, target: Path) -> dict[str, str]:
    """Copy the uploads folder; returns each copied file's SHA-256 by relative path."""
    target.mkdir(mode=0o700)
    digests = {}
    if not source.is_dir():
        return digests
    for path in sorted(source.rglob("*")):
        if path.is_file() and not path.is_symlink():
            relative = path.relative_to(source).as_posix()
            copied = target / relative
            copied.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copied)
            digests[relative] = _file_digest(copied)
    return digests


# --- What a database holds -----------------------------------------------------------------


def summarise(connection: sa.Connection) -> dict[str, Any]:
    """The migration revision, every table's row count and content checksum, and samples of
    encrypted values, read through ``connection`` (one snapshot)."""
    inspector = sa.inspect(connection)
    tables, samples = {}, []
    for name in sorted(inspector.get_table_names()):
        order = inspector.get_pk_constraint(name)["constrained_columns"] or [
            column["name"] for column in inspector.get_columns(name)]
        tables[name] = _table_digest(connection, name, order)
        for column in inspector.get_columns(name):
            if column["name"].endswith("_enc"):
                samples += _key_samples(connection, name, column["name"], order)
    revision = (connection.exec_driver_sql("SELECT version_num FROM alembic_version")
                .scalars().all() if "alembic_version" in tables else [])
    return {"revision": sorted(revision), "tables": tables, "key_samples": samples}


def _table_digest(connection: sa.Connection, table: str, order: list[str]) -> dict[str, Any]:
    """Row count and SHA-256 of the rows in key order, as the driver returns them (no type
    processing, so every engine's own values are hashed the same way before and after)."""
    quote = connection.dialect.identifier_preparer.quote
    sql = f"SELECT * FROM {quote(table)} ORDER BY {', '.join(map(quote, order))}"
    digest, rows = hashlib.sha256(), 0
    for row in connection.exec_driver_sql(sql, execution_options={"yield_per": 2000}):
        digest.update(repr(tuple(_plain(value) for value in row)).encode())
        rows += 1
    return {"rows": rows, "sha256": digest.hexdigest()}


def _plain(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value


def _key_samples(connection: sa.Connection, table: str, column: str,
                 order: list[str]) -> list[str]:
    quote = connection.dialect.identifier_preparer.quote
    sql = (f"SELECT {quote(column)} FROM {quote(table)} WHERE {quote(column)} IS NOT NULL "
           f"ORDER BY {', '.join(map(quote, order))} LIMIT {KEY_SAMPLES_PER_COLUMN}")
    return [base64.b64encode(bytes(value)).decode()
            for value in connection.exec_driver_sql(sql).scalars()]


# --- Restore -------------------------------------------------------------------------------------


def restore_backup(source: Path, *, without_contact_keys: bool = False) -> dict[str, Any]:
    """Replace the database and the uploads folder with the backup in ``source``. Refuses,
    before changing anything, when a file does not match its checksum, the backup is of
    another engine or of a newer code, or the configured keys cannot read its contact data
    (unless ``without_contact_keys``). Returns what was restored."""
    source = Path(source)
    manifest = read_manifest(source)
    _check_compatible(manifest)
    _check_files(source, manifest)
    unreadable = unreadable_key_samples(manifest)
    if unreadable and not without_contact_keys:
        raise BackupError(
            f"The configured CONTACT_KEYS cannot decrypt {unreadable} of the backup's "
            f"{len(manifest['key_samples'])} sampled contact values: configure the keys the "
            "data was written with, or restore with --without-contact-keys (contact data then "
            "stays unreadable).")
    db.session.remove()
    db.engine.dispose()  # no pooled connection may hold a lock or a stale schema
    database_file = source / manifest["database_file"]["name"]
    if manifest["engine"] == "sqlite":
        _restore_sqlite(database_file)
    else:
        _run_client("pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
                    "--single-transaction", "--exit-on-error", str(database_file))
    db.engine.dispose()
    _restore_uploads(source / UPLOADS, _upload_folder())
    return _check_restored(manifest, unreadable)


def read_manifest(source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{source} holds no readable {MANIFEST}: not a finished backup.") \
            from error
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
    return manifest


def _check_compatible(manifest: dict[str, Any]) -> None:
    if manifest["engine"] != _dialect():
        raise BackupError(f"This is a {manifest['engine']} backup; the configured database is "
                          f"{_dialect()}.")
    known = {script.revision for script in _script_directory().walk_revisions()}
    unknown = sorted(set(manifest["revision"]) - known)
    if unknown:
        raise BackupError(f"The backup is at migration {', '.join(unknown)}, which this code "
                          "does not know: restore it with the release that made it.")


def _check_files(source: Path, manifest: dict[str, Any]) -> None:
    expected = {manifest["database_file"]["name"]: manifest["database_file"]["sha256"]}
    expected.update({f"{UPLOADS}/{name}": digest
                     for name, digest in manifest["uploads"].items()})
    for name, digest in expected.items():
        path = source / name
        if not path.is_file() or _file_digest(path) != digest:
            raise BackupError(f"{path} is missing or does not match its checksum.")


def unreadable_key_samples(manifest: dict[str, Any]) -> int:
    """How many sampled contact values the configured keys fail to decrypt."""
    failed = 0
    for sample in manifest["key_samples"]:
        try:
            decrypt_text(base64.b64decode(sample))
        except Exception:  # InvalidToken, or a malformed sample: unreadable either way
            failed += 1
    return failed


def _restore_sqlite(file: Path) -> None:
    backup = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    raw = db.engine.raw_connection()
    try:
        backup.backup(raw.driver_connection)
    finally:
        raw.close()
        backup.close()


def _restore_uploads(source: Path, target: Path) -> None:
    """Copy beside the folder, then swap, so a failed copy leaves the old folder in place."""
    fresh = target.with_name(target.name + ".restoring")
    old = target.with_name(target.name + ".before-restore")
    for leftover in (fresh, old):
        shutil.rmtree(leftover, ignore_errors=True)
    shutil.copytree(source, fresh)
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _check_restored(manifest: dict[str, Any], unreadable: int) -> dict[str, Any]:
    with db.engine.connect() as connection:
        restored = summarise(connection)
    different = sorted(name for name, table in manifest["tables"].items()
                       if restored["tables"].get(name) != table)
    if different:
        raise BackupError(f"Restored tables differ from the manifest: {', '.join(different)}.")
    return {"tables": len(restored["tables"]),
            "rows": sum(table["rows"] for table in restored["tables"].values()),
            "files": len(manifest["uploads"]), "revision": restored["revision"],
            "unreadable_contact_samples": unreadable}


# --- Helpers --------------------------------------------------------------------------------------


def _dialect() -> str:
    return db.engine.dialect.name


def _upload_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def _script_directory() -> ScriptDirectory:
    return ScriptDirectory(current_app.extensions["migrate"].directory)


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _run_client(program: str, *args: str) -> None:
    """Run pg_dump or pg_restore on the configured database; the password goes through the
    environment, never the command line (other users could read it in the process list)."""
    url = db.engine.url
    dsn = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = {**os.environ, **({"PGPASSWORD": str(url.password)} if url.password else {})}
    result = subprocess.run([program, *args, f"--dbname={dsn}"], env=env, capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{program} failed ({result.returncode}): "
                          f"{result.stderr.strip()[-2000:]}")
