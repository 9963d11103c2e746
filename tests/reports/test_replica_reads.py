"""Dashboards, exports and the figures API read from a replica when REPLICA_DATABASE_URL is
set (core.replica). The "replica" here is a read-only connection to the test database itself
(SQLite ``mode=ro``, PostgreSQL ``default_transaction_read_only``): a write sent to it fails,
and the statements each engine runs show where every read went."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import event, insert, select, text
from sqlalchemy.engine import Engine

from core.extensions import db
from core.models import AuditEntry, Unit
from core.replica import primary_reads, replica_engine, replica_reads
from surveys.models import Response
from tests.reports.sipas_helpers import at, rate

PAGE = "/quan-tri/bao-cao/"
FIGURES = "survey_rollup_month_summary"    # what the dashboard reads its indices from
QUERY = {"period": "2026-H1"}


def _read_only_url(engine: Engine) -> str:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///file:{url.database}?mode=ro&uri=true"
    return url.update_query_dict({"options": "-c default_transaction_read_only=on"}) \
        .render_as_string(hide_password=False)


class Statements:
    """The SQL each engine ran since the replica was switched on."""

    def __init__(self) -> None:
        self.primary: list[str] = []
        self.replica: list[str] = []

    def on(self, side: str, table: str) -> list[str]:
        return [s for s in getattr(self, side) if table in s]


@pytest.fixture
def use_replica(app) -> Iterator:
    listeners: list[tuple[Engine, object]] = []
    replicas: list[Engine] = []

    def switch_on() -> Statements:
        seen = Statements()
        app.config["REPLICA_DATABASE_URL"] = _read_only_url(db.engine)
        replica = replica_engine(app)
        replicas.append(replica)
        for engine, log in ((db.engine, seen.primary), (replica, seen.replica)):
            def listen(_conn, _cursor, statement, *_args, log=log) -> None:
                log.append(statement)
            event.listen(engine, "before_cursor_execute", listen)
            listeners.append((engine, listen))
        return seen

    yield switch_on
    for engine, listen in listeners:
        event.remove(engine, "before_cursor_execute", listen)
    for replica in replicas:
        replica.dispose()


def _figures(html: str) -> list[str]:
    return re.findall(r'data-value="([^"]*)"', html)


def test_the_dashboard_reads_its_figures_from_the_replica(client, login, rated, use_replica):
    login(client, rated.analyst)
    on_primary = client.get(PAGE, query_string=QUERY)
    assert on_primary.status_code == 200
    seen = use_replica()
    on_replica = client.get(PAGE, query_string=QUERY)
    assert on_replica.status_code == 200
    assert _figures(on_replica.get_data(as_text=True)) == \
        _figures(on_primary.get_data(as_text=True)) != []
    assert seen.on("replica", FIGURES)
    assert not seen.on("primary", FIGURES)
    # Sign-in checks stay on the primary: a fresh login never meets replication lag.
    assert seen.on("primary", "login_sessions") and not seen.on("replica", "login_sessions")


def test_an_export_reads_from_the_replica_and_audits_on_the_primary(client, login, rated,
                                                                   use_replica):
    login(client, rated.analyst)
    seen = use_replica()
    response = client.get("/quan-tri/bao-cao/xuat.csv", query_string=QUERY)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert seen.on("replica", FIGURES)
    # The audit entry is written (a write sent to the read-only replica would have failed).
    assert db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "reports.export")).one()
    assert seen.on("primary", "INSERT INTO audit")


def test_new_responses_are_folded_in_on_the_primary_before_the_figures_are_read(
        client, login, rated, use_replica):
    login(client, rated.analyst)
    assert client.get(PAGE, query_string=QUERY).status_code == 200   # month tables fresh
    rate(rated, rated.dept_b, 1, at(2026, 4, 3))                    # one more, unfolded
    db.session.commit()
    seen = use_replica()
    html = client.get(PAGE, query_string=QUERY).get_data(as_text=True)
    # The refresh looked for new responses and wrote the month table on the primary (a
    # lagging replica would have let it move its watermark past responses it never saw)...
    assert seen.on("primary", "FROM survey_responses")
    assert not seen.on("replica", "FROM survey_responses")
    assert seen.on("primary", f"INSERT INTO {FIGURES}")
    # ...and the page counts the new response: 12 responses, 8 satisfied per item (8/12).
    assert 'data-value="66.666667"' in html


def test_pages_outside_the_reports_never_touch_the_replica(client, login, rated, use_replica):
    login(client, rated.analyst)
    seen = use_replica()
    assert client.get("/quan-tri/").status_code == 200
    assert seen.replica == []


def test_only_plain_reads_inside_the_block_are_routed(app, use_replica):
    primary = db.engine
    assert db.session.get_bind(clause=select(Unit)) is primary      # no replica configured
    with replica_reads():
        assert db.session.get_bind(clause=select(Unit)) is primary
    use_replica()
    replica = replica_engine(app)
    assert replica is not None and replica is not primary
    assert db.session.get_bind(clause=select(Unit)) is primary      # outside the block
    with replica_reads():
        assert db.session.get_bind(clause=select(Unit)) is replica
        assert db.session.get_bind(clause=select(Unit).with_for_update()) is primary
        assert db.session.get_bind(clause=text("SELECT 1")) is primary
        assert db.session.get_bind(clause=insert(Unit)) is primary
        assert db.session.get_bind() is primary
        with primary_reads():
            assert db.session.get_bind(clause=select(Response)) is primary
        assert db.session.get_bind(clause=select(Response)) is replica
