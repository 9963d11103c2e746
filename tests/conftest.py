"""Shared fixtures: a fresh database per test (SQLite file copy, or a PostgreSQL database
cloned from a migrated template when TEST_DATABASE_URL is set), and factories that return
callables."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import flask_babel
import pytest
import redis
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient
from flask_migrate import upgrade

from core import create_app
from core.db import set_write_intent, write_intent
from core.demo import seed_demo
from core.extensions import db
from core.models import Role, RoleGrant, Unit, User
from core.org import UnitData, create_unit
from core.passwords import hash_password
from tests.app_pool import AppPool

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
PASSWORD = "correct horse battery staple"

BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-not-for-production",
    "WTF_CSRF_ENABLED": False,  # tests that check CSRF switch it back on
    "SERVER_NAME": "localhost",
    "PREFERRED_URL_SCHEME": "https",
    # Links for people outside the site (QR codes, messages) come from here, never the Host.
    "PUBLIC_BASE_URL": "https://localhost",
    # argon2-cffi's profile for tests; production keeps RFC 9106 (tests/core/test_passwords.py).
    "PASSWORD_HASH_PROFILE": "CHEAPEST",
}


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _worker_redis_url(url: str | None) -> str | None:
    """Each xdist worker gets a Redis database of its own, counting down from the one given
    (gw0 keeps /15, gw1 takes /14, …): the tests flush it, and a flush from one worker must
    not reset another worker's rate-limit counters or RQ queue mid-test."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    number = base - int(worker[2:])
    if number < 0:
        raise RuntimeError(f"REDIS_URL database /{base} leaves no database for xdist {worker}")
    return urlunsplit(parts._replace(path=f"/{number}"))


REDIS_URL = _worker_redis_url(os.environ.get("REDIS_URL"))


def _admin_url(url: str) -> sa.engine.URL:
    return sa.make_url(url).set(database="postgres")


def _build_template(tmp_root: Path) -> str:
    """Migrate an empty database once per test session; tests get copies of it."""
    if TEST_DATABASE_URL:
        base = sa.make_url(TEST_DATABASE_URL)
        name = f"{base.database}_tmpl_{_worker()}"
        engine = sa.create_engine(_admin_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
        url = base.set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_root / 'template.sqlite3'}"
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url,
                      "LANGNGHE_INSTANCE_PATH": str(tmp_root)})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("db")
    url = _build_template(root)
    yield url
    if TEST_DATABASE_URL:
        engine = sa.create_engine(_admin_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(
                f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)')
        engine.dispose()


@contextmanager
def clone_database(template_url: str, directory: Path) -> Iterator[str]:
    """A throw-away copy of a prepared database: a file copy on SQLite, ``CREATE DATABASE …
    TEMPLATE`` on PostgreSQL (dropped afterwards). Copying is what keeps a fresh database per
    test cheap: nobody migrates or seeds more than once per test process."""
    if not TEST_DATABASE_URL:
        target = directory / f"test-{uuid.uuid4().hex[:8]}.sqlite3"
        shutil.copyfile(Path(sa.make_url(template_url).database), target)
        yield f"sqlite:///{target}"
        return
    template = sa.make_url(template_url)
    name = f"{template.database.rsplit('_tmpl_', 1)[0]}_t_{_worker()}_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(_admin_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template.database}"')
    try:
        yield template.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()


@dataclass(frozen=True)
class WorkerDatabase:
    """PostgreSQL only: one database per test process, cloned once from the template and
    emptied after each test. Cloning and dropping a database per test, or a TRUNCATE of every
    table, cost close to a second each on PostgreSQL 15 (each makes and syncs new files);
    deleting the few rows a test wrote and restarting the sequences costs about 35 ms."""

    url: str
    tables: tuple[str, ...]
    sequences: tuple[tuple[str, int], ...]  # (qualified name, start value)
    revisions: tuple[str, ...]  # Alembic's stamp: a test may move it (tests/core/test_health.py)

    @classmethod
    def adopt(cls, url: str) -> WorkerDatabase:
        """Note every table but Alembic's, and every sequence with its start; the template
        must hold no rows, or emptying would not give each test what a fresh copy would."""
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            tables = tuple(name for name in sa.inspect(conn).get_table_names()
                           if name != "alembic_version")
            seeded = [name for name in tables if conn.exec_driver_sql(
                f'SELECT EXISTS (SELECT 1 FROM "{name}")').scalar()]
            sequences = tuple((name, start) for name, start in conn.exec_driver_sql(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), start_value "
                "FROM pg_sequences"))
            revisions = tuple(conn.exec_driver_sql(
                "SELECT version_num FROM alembic_version").scalars())
        engine.dispose()
        if seeded:
            raise RuntimeError(f"the migrated template holds rows in {seeded}: a database "
                               "emptied between tests would lose them")
        return cls(url, tables, sequences, revisions)

    def empty(self) -> None:
        """Back to the just-migrated state: end any session a test left behind (a server
        thread, a worker), delete every row, restart every sequence and put Alembic's stamp
        back. In the replica role
        no trigger fires: neither the foreign keys' (so the order of deletes does not matter)
        nor the audit log's append-only guard."""
        engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            conn.exec_driver_sql("; ".join(f'DELETE FROM "{name}"' for name in self.tables))
            conn.exec_driver_sql("SELECT " + ", ".join(
                f"setval('{name}', {start}, false)" for name, start in self.sequences))
            conn.exec_driver_sql("DELETE FROM alembic_version")
            for revision in self.revisions:
                conn.exec_driver_sql("INSERT INTO alembic_version (version_num) VALUES (%s)",
                                     (revision,))
        engine.dispose()


@pytest.fixture(scope="session")
def worker_database(template_db: str, tmp_path_factory) -> Iterator[WorkerDatabase | None]:
    """This process's emptied-between-tests PostgreSQL database; None on SQLite."""
    if not TEST_DATABASE_URL:
        yield None
        return
    with clone_database(template_db, tmp_path_factory.mktemp("worker-db")) as url:
        yield WorkerDatabase.adopt(url)


@pytest.fixture(scope="session")
def worker_sqlite_path(tmp_path_factory) -> Path:
    """SQLite: the one file path this process's tests use, so that an app kept by the pool
    (tests/app_pool.py) finds each new test's database where it looked before."""
    return tmp_path_factory.mktemp("worker-sqlite") / "test.sqlite3"


def replace_sqlite_file(template: Path, target: Path) -> None:
    """Put a copy of ``template`` at ``target``: written beside it and renamed over it (a
    handle still open on the old file keeps the old file), after removing the old file's
    write-ahead log, which SQLite would otherwise replay into the new one."""
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(template, partial)
    os.replace(partial, target)


@pytest.fixture
def database_url(template_db: str, worker_database: WorkerDatabase | None,
                 worker_sqlite_path: Path) -> Iterator[str]:
    """A fresh, migrated, empty database for one test, always at the same address within a
    test process: on SQLite the template file copied to the process's path; on PostgreSQL the
    process's own database, emptied when the test ends."""
    if worker_database is None:
        replace_sqlite_file(Path(sa.make_url(template_db).database), worker_sqlite_path)
        yield f"sqlite:///{worker_sqlite_path}"
        return
    try:
        yield worker_database.url
    finally:
        worker_database.empty()


@pytest.fixture(scope="session")
def demo_template_db(template_db: str, tmp_path_factory) -> Iterator[str]:
    """The migrated template with the whole demo loaded (`make run`'s data), built once per
    test process for the tests that need it (the browser tests); they get copies of it."""
    root = tmp_path_factory.mktemp("demo-db")
    with clone_database(template_db, root) as url:
        app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url,
                          "LANGNGHE_INSTANCE_PATH": str(root),
                          "UPLOAD_FOLDER": str(root / "uploads")})
        with app.app_context(), write_intent():
            seed_demo()
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        yield url


APP_POOL = AppPool()


@pytest.fixture
def make_app(request, database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """An app on this test's database, with extra config: lent by the process's pool
    (tests/app_pool.py) unless the test is marked ``own_app``."""
    apps: list[Flask] = []
    own = request.node.get_closest_marker("own_app") is not None
    if REDIS_URL:
        # Rate-limit counters live in Redis here: start every test from zero. The test Redis
        # database (e.g. /15) belongs to the test run.
        redis.Redis.from_url(REDIS_URL).flushdb()

    def build(**overrides) -> Flask:
        config = {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            **({"REDIS_URL": REDIS_URL} if REDIS_URL else {}),
            **overrides,
        }
        per_test = {"UPLOAD_FOLDER": overrides.get("UPLOAD_FOLDER", str(tmp_path / "uploads"))}
        app = (_build_app({**config, **per_test}) if own
               else APP_POOL.borrow(config, _build_app, per_test=per_test))
        apps.append(app)
        return app

    yield build
    for app in apps:
        APP_POOL.give_back(app)


def _build_app(config: dict) -> Flask:
    app = create_app(config)
    app.teardown_request(_end_request_transaction)
    return app


def _end_request_transaction(_error) -> None:
    """Tests share one app context (and so one session) with the requests they make; end the
    request's transaction here as production's per-request session teardown would, so a
    request never leaves a SQLite write lock behind for the test or the next request."""
    db.session.rollback()
    set_write_intent(True)
    # ``g`` belongs to the shared app context too: forget who the request's user or key was.
    for name in ("_login_user", "api_key", "csrf_token"):
        g.pop(name, None)
    flask_babel.refresh()  # the language is chosen per request


@pytest.fixture
def app_config() -> dict:
    """Extra config for the ``app`` fixture; override with
    ``@pytest.mark.parametrize("app_config", [{...}])``."""
    return {}


@pytest.fixture
def app(make_app, app_config) -> Iterator[Flask]:
    built = make_app(**app_config)
    with built.app_context(), write_intent():
        yield built
        db.session.rollback()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A client reading English: message ids are English, so assertions on text stay stable
    when the Vietnamese wording is improved. Vietnamese pages are checked with ``client_vi``
    and by tests/core/test_translations.py."""
    english = app.test_client()
    english.set_cookie("lang", "en", domain="localhost")
    return english


@pytest.fixture
def client_vi(app: Flask) -> FlaskClient:
    """A client in the default language (Vietnamese), like a citizen's first visit."""
    return app.test_client()


@pytest.fixture
def make_unit(app) -> Callable[..., Unit]:
    counter = iter(range(1, 10_000))

    def build(code: str | None = None, parent: Unit | None = None, kind: str = "agency",
              **fields) -> Unit:
        code = code or f"U{next(counter):04d}"
        unit = create_unit(UnitData(code=code, name_vi=fields.pop("name_vi", f"Đơn vị {code}"),
                                    kind=kind, parent_id=parent.id if parent else None,
                                    **fields))
        db.session.commit()
        return unit

    return build


@pytest.fixture
def make_user(app) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def build(role: Role | None = None, unit: Unit | None = None,
              username: str | None = None, password: str = PASSWORD, **fields) -> User:
        name = username or f"user{next(counter)}"
        user = User(username=name, full_name=fields.pop("full_name", f"Cán bộ {name}"),
                    password_hash=hash_password(password), **fields)
        db.session.add(user)
        if role is not None:
            db.session.add(RoleGrant(user=user, role=role.value,
                                     unit_id=unit.id if unit else None))
        db.session.commit()
        return user

    return build


@pytest.fixture
def login(app) -> Callable[[FlaskClient, User], None]:
    def sign_in(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
        response = client.post("/dang-nhap", data={"username": user.username,
                                                   "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]

    return sign_in
