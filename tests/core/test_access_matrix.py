"""The access matrix: every route of ``app.url_map`` × every role (anonymous, each staff role
on agency A, an API key of agency A), on an object of agency A ("own") and of its sibling B
("sibling"), against the statuses in tests/core/access_matrix_expectations.py.

A route missing from the table fails the test, so a new route forces a decision; no route may
answer 5xx; GET is tried for every route, and POST for every role the table says must be
refused. The organisation is built once per module on its own database."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from core import create_app
from core.extensions import db
from tests.conftest import BASE_CONFIG, PASSWORD, TEST_DATABASE_URL, _admin_url
from tests.core.access_matrix_expectations import (
    ARGUMENTS,
    GET,
    POST,
    POST_DATA,
    SIBLING_GET,
    SIBLING_POST,
)
from tests.core.access_matrix_world import ROLES, World, build_world


@pytest.fixture(scope="module")
def matrix_database(template_db: str, tmp_path_factory) -> Iterator[str]:
    """This module's own database, cloned from the migrated template."""
    if not TEST_DATABASE_URL:
        target = tmp_path_factory.mktemp("matrix") / "matrix.sqlite3"
        shutil.copyfile(sa.make_url(template_db).database, target)
        yield f"sqlite:///{target}"
        return
    template = sa.make_url(template_db)
    name = f"{template.database.rsplit('_tmpl_', 1)[0]}_matrix_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(_admin_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template.database}"')
    yield template.set(database=name).render_as_string(hide_password=False)
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()


@pytest.fixture(scope="module")
def matrix(matrix_database: str, tmp_path_factory) -> Iterator[tuple[Flask, World, dict]]:
    """The app, the organisation, and one signed-in client per role."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": matrix_database,
                      "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("matrix_uploads")),
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        world = build_world()
    clients = {role: _client(app, world, role) for role in ROLES}
    yield app, world, clients
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _client(app: Flask, world: World, role: str) -> FlaskClient:
    client = app.test_client()
    client.set_cookie("lang", "en", domain="localhost")
    if role == "api_key":
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {world.api_key}"
    elif role != "anonymous":
        signed_in = client.post("/dang-nhap", data={"username": world.usernames[role],
                                                    "password": PASSWORD})
        assert signed_in.status_code == 302, role
    return client


def _rules(app: Flask, method: str) -> list[Rule]:
    return sorted((rule for rule in app.url_map.iter_rules() if method in rule.methods),
                  key=lambda rule: rule.rule)


def _urls(rule: Rule, values: dict) -> list[str]:
    """The rule's URL with the fixture's values (each format, for ``<fmt>``)."""
    names = ARGUMENTS.get(rule.endpoint, {})
    args = {arg: values[names.get(arg, arg)] for arg in rule.arguments if arg != "fmt"}
    formats = ["csv", "xlsx"] if "fmt" in rule.arguments else [None]
    urls = []
    for fmt in formats:
        extra = {"fmt": fmt} if fmt else {}
        urls.append(rule.build({**args, **extra}, append_unknown=False)[1])
    return urls


def _statuses(expected: str) -> dict[str, int | None]:
    """"302 200 403 …" in ROLES order; "-" means not tried."""
    cells = expected.split()
    assert len(cells) == len(ROLES), expected
    return {role: None if cell == "-" else int(cell)
            for role, cell in zip(ROLES, cells, strict=True)}


def _walk(matrix, method: str, table: dict[str, str], values: dict,
          only_objects: bool = False) -> list[str]:
    """Every mismatch as "METHOD url role: got X, expected Y". With ``only_objects``, only
    the routes whose URL names one of ``values``' objects (not the other agency's)."""
    app, world, clients = matrix
    problems = []
    for rule in _rules(app, method):
        urls = _urls(rule, values)
        if rule.endpoint not in table or (only_objects and urls == _urls(rule, world.own)):
            continue
        data = {name: value.format(**values)
                for name, value in POST_DATA.get(rule.endpoint, {}).items()}
        for role, expected in _statuses(table[rule.endpoint]).items():
            for url in urls if expected is not None else []:
                response = clients[role].open(url, method=method, data=data)
                got = response.status_code
                response.close()  # a file (static, download) stays open otherwise
                if got != expected:
                    problems.append(f"{method} {url} {role}: got {got}, expected {expected}")
    return problems


def _observed_rows(matrix, endpoints: list[str], method: str) -> str:
    """Table rows of what ``endpoints`` answer each role on agency A's objects."""
    app, world, clients = matrix
    if method != "GET":
        return ""
    rows = []
    for rule in (rule for rule in _rules(app, method) if rule.endpoint in endpoints):
        try:
            url = _urls(rule, world.own)[0]
        except KeyError as error:
            rows.append(f"    # {rule.endpoint}: no fixture value for {error} (ARGUMENTS)")
            continue
        statuses = [clients[role].get(url) for role in ROLES]
        for response in statuses:
            response.close()
        cells = " ".join(str(response.status_code) for response in statuses)
        rows.append(f'    "{rule.endpoint}": "{cells}",')
    return "\n".join(rows)


@pytest.mark.parametrize("method,table", [("GET", GET), ("POST", POST)])
def test_every_route_has_an_expectation(matrix, method, table):
    app, _world, _clients = matrix
    missing = sorted({rule.endpoint for rule in _rules(app, method)} - set(table))
    assert missing == [], (
        f"routes without an expected {method} status per role: {missing}; what they answer "
        f"now, to check before copying (GET only):\n{_observed_rows(matrix, missing, method)}")
    stale = sorted(set(table) - {rule.endpoint for rule in _rules(app, method)})
    assert stale == [], f"expectations for {method} routes that no longer exist: {stale}"


def test_get_every_route_as_every_role_on_own_objects(matrix):
    assert _walk(matrix, "GET", GET, matrix[1].own) == []


def test_get_every_route_as_every_role_on_the_sibling_units_objects(matrix):
    table = {endpoint: SIBLING_GET.get(endpoint, row) for endpoint, row in GET.items()}
    assert _walk(matrix, "GET", table, matrix[1].sibling, only_objects=True) == []


def test_post_is_refused_to_every_role_without_the_right(matrix):
    assert _walk(matrix, "POST", POST, matrix[1].own) == []


def test_post_on_the_sibling_units_objects_is_refused_to_every_scoped_role(matrix):
    table = {endpoint: SIBLING_POST.get(endpoint, row) for endpoint, row in POST.items()}
    assert _walk(matrix, "POST", table, matrix[1].sibling, only_objects=True) == []


def test_the_table_reads_in_role_order_and_allows_no_5xx():
    assert ROLES[0] == "anonymous" and ROLES[-1] == "api_key"
    for table in (GET, POST, SIBLING_GET, SIBLING_POST):
        for endpoint, row in table.items():
            assert all(status is None or status < 500
                       for status in _statuses(row).values()), endpoint
