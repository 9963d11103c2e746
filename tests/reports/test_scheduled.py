"""Scheduled quarterly and yearly reports: which units and periods, exactly one run per unit and
period (a second pass produces none), a failure stored without stopping the others and tried
again, the workbook's content, the PAKN reader's scope, the periodic job, the CLI, and the
runs page with its download (403 without rights, 404 outside scope)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from core import jobs
from core.access import Permission, can
from core.clock import today
from core.extensions import db
from core.models import ApiKey, AuditEntry, Role
from reports import scheduled
from reports.models import ReportRun
from reports.scheduled import (
    kind_of_period,
    last_complete_period,
    produce_period_reports,
    report_reader,
    report_units,
)

RUNS = "/quan-tri/bao-cao/ky-bao-cao/"
TODAY = date(2026, 7, 15)  # last complete quarter 2026-Q2, last complete year 2025






def _runs() -> list[tuple[str, str, str]]:
    from core.models import Unit

    rows = db.session.execute(select(Unit.code, ReportRun.kind, ReportRun.period_label,
                                     ReportRun.status)
                              .join(Unit, Unit.id == ReportRun.unit_id)
                              .order_by(ReportRun.kind, Unit.code)).all()
    return [tuple(row) for row in rows]


@pytest.mark.parametrize(("kind", "day", "expected"), [
    ("quarterly", date(2026, 7, 15), "2026-Q2"), ("quarterly", date(2026, 1, 1), "2025-Q4"),
    ("quarterly", date(2026, 3, 31), "2025-Q4"), ("yearly", date(2026, 7, 15), "2025"),
    ("yearly", date(2026, 1, 1), "2025")])
def test_last_complete_period(kind, day, expected):
    assert last_complete_period(kind, day) == expected


def test_period_kinds():
    assert kind_of_period("2026-Q3") == "quarterly" and kind_of_period("2026") == "yearly"
    for label in ("2026-H1", "2026-06", "2026-Q5"):
        with pytest.raises(ValueError, match="period"):
            kind_of_period(label)


def test_report_units_are_roots_agencies_and_communes(org, make_unit):
    commune = make_unit("XA", parent=org.province, kind="commune")
    make_unit("XA-TT", parent=commune, kind="service_centre")
    closed = make_unit("SO-C", parent=org.province)
    closed.active = False
    db.session.commit()
    # make_unit's default kind is "agency": the province root is one too.
    assert [unit.code for unit in report_units()] == ["TINH", "SO-A", "SO-B", "XA"]


def test_one_run_per_unit_and_period_and_a_second_pass_makes_none(rated):
    first = produce_period_reports(TODAY)
    assert first.summary() == {"done": 6, "failed": 0, "exists": 0}
    assert _runs() == [
        ("SO-A", "quarterly", "2026-Q2", "done"), ("SO-B", "quarterly", "2026-Q2", "done"),
        ("TINH", "quarterly", "2026-Q2", "done"), ("SO-A", "yearly", "2025", "done"),
        ("SO-B", "yearly", "2025", "done"), ("TINH", "yearly", "2025", "done")]
    second = produce_period_reports(TODAY)
    assert second.summary() == {"done": 0, "failed": 0, "exists": 6}
    assert db.session.scalar(select(func.count(ReportRun.id))) == 6
    # The next quarter adds its own runs and leaves the others alone.
    third = produce_period_reports(date(2026, 10, 1), kinds=("quarterly",))
    assert third.summary()["done"] == 3
    assert db.session.scalar(select(func.count(ReportRun.id))) == 9
    # No API key row was ever stored for the PAKN reader.
    assert db.session.scalar(select(func.count(ApiKey.id))) == 0


def test_the_stored_workbook_holds_the_periods_figures(rated):
    produce_period_reports(TODAY, kinds=("quarterly",), units=[rated.province])
    run = db.session.scalars(select(ReportRun)).one()
    assert (run.period_start, run.period_end) == (date(2026, 4, 1), date(2026, 6, 30))
    assert run.filename == "sipas-TINH-2026-Q2.xlsx" and run.size_bytes == len(run.content)
    assert run.created_by_id is None and run.error is None
    book = openpyxl.load_workbook(io.BytesIO(run.content))
    summary = {row[0]: row[1] for row in book.worksheets[0].iter_rows(values_only=True)}
    # Outside a request the workbook is in Vietnamese: look the rows up by position.
    values = list(summary.values())
    assert "2026-Q2" in values and "TINH" in values
    elements = list(book.worksheets[1].iter_rows(values_only=True))
    # Q2 holds only Sở B's five 5s: 100% for every element (Sở A's ratings are in Q1).
    assert [row[2] for row in elements[1:]] == [100.0] * 5
    assert book.sheetnames[-1] == "PAKN"


def test_a_failure_is_stored_and_does_not_stop_the_others(rated, monkeypatch):
    real = scheduled.period_workbook

    def flaky(unit, label):
        if unit.code == "SO-A":
            raise RuntimeError("disk full")
        return real(unit, label)

    monkeypatch.setattr(scheduled, "period_workbook", flaky)
    result = produce_period_reports(TODAY, kinds=("quarterly",))
    assert result.summary() == {"done": 2, "failed": 1, "exists": 0}
    failed = db.session.scalars(select(ReportRun).where(ReportRun.status == "failed")).one()
    assert failed.unit_id == rated.dept_a.id
    assert failed.error == "RuntimeError: disk full"
    assert failed.content is None and failed.filename is None

    # The next pass tries the failed one again (and only it).
    monkeypatch.setattr(scheduled, "period_workbook", real)
    retry = produce_period_reports(TODAY, kinds=("quarterly",))
    assert retry.summary() == {"done": 1, "failed": 0, "exists": 2}
    assert {run.status for run in db.session.scalars(select(ReportRun))} == {"done"}
    assert db.session.scalar(select(func.count(ReportRun.id))) == 3


def test_the_pakn_reader_sees_only_its_units_subtree(rated):
    reader = report_reader(rated.dept_a)
    assert can(reader, Permission.REPORTS_VIEW, rated.desk_a)
    assert not can(reader, Permission.REPORTS_VIEW, rated.dept_b)
    assert not can(reader, Permission.REPORTS_VIEW, rated.province)
    assert not can(reader, Permission.FEEDBACK_VIEW, rated.dept_a)
    assert reader not in db.session


def test_the_periodic_job_is_registered(app):
    job = jobs.PERIODIC_JOBS["reports.period"]
    assert job.every == timedelta(hours=6)
    assert job.func is scheduled.produce_period_reports_job


def test_cli_produce(app, rated):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reports", "produce", "--period", "2026-Q2", "--unit", "SO-A"])
    assert result.exit_code == 0, result.output
    assert "SO-A quarterly 2026-Q2: done (sipas-SO-A-2026-Q2.xlsx" in result.output
    assert "1 produced, 0 already there, 0 failed" in result.output
    again = runner.invoke(args=["reports", "produce", "--period", "2026-Q2", "--unit", "SO-A"])
    assert "SO-A quarterly 2026-Q2: exists" in again.output
    forced = runner.invoke(args=["reports", "produce", "--period", "2026-Q2", "--unit", "SO-A",
                                 "--force"])
    assert "1 produced" in forced.output
    assert db.session.scalar(select(func.count(ReportRun.id))) == 1

    yearly = runner.invoke(args=["reports", "produce", "--kind", "yearly", "--unit", "SO-B"])
    assert yearly.exit_code == 0, yearly.output
    assert f"SO-B yearly {today().year - 1}: done" in yearly.output


@pytest.mark.parametrize(("args", "message"), [
    (["--period", "2026-H1"], "quarter"), (["--period", "soon"], "quarter"),
    (["--kind", "yearly", "--period", "2026-Q2"], "not a yearly period"),
    (["--unit", "NOPE"], "no unit has the code"), (["--kind", "weekly"], "weekly")])
def test_cli_produce_refuses_bad_options(app, rated, args, message):
    result = app.test_cli_runner().invoke(args=["reports", "produce", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert db.session.scalar(select(func.count(ReportRun.id))) == 0


def test_cli_produce_exits_1_when_a_report_fails(app, rated, monkeypatch):
    def broken(unit, label):
        raise RuntimeError("boom")

    monkeypatch.setattr(scheduled, "period_workbook", broken)
    result = app.test_cli_runner().invoke(args=["reports", "produce", "--period", "2026",
                                                "--unit", "TINH"])
    assert result.exit_code == 1
    assert "TINH yearly 2026: failed (RuntimeError: boom)" in result.output


def test_cli_refresh_rollups(app, rated):
    from surveys.frames import month_rollup_counts

    result = app.test_cli_runner().invoke(args=["reports", "refresh-rollups", "--full"])
    assert result.exit_code == 0, result.output
    assert "month rollup refreshed: 2 months" in result.output  # March and April 2026
    # 16 items × (6 + 5) answers.
    assert int(month_rollup_counts(group_by=[])["count"].sum()) == 16 * 11
    plain = app.test_cli_runner().invoke(args=["reports", "refresh-rollups"])
    assert plain.exit_code == 0 and "month rollup refreshed" in plain.output


# --- the runs page ----------------------------------------------------------------------------

@pytest.fixture
def produced(rated):
    produce_period_reports(TODAY, kinds=("quarterly",))
    return rated


def _run_of(unit) -> ReportRun:
    return db.session.scalars(select(ReportRun).where(ReportRun.unit_id == unit.id)).one()


def test_runs_page_lists_the_runs_in_scope(client, login, make_user, produced):
    login(client, produced.analyst)
    html = client.get(RUNS).get_data(as_text=True)
    for unit in (produced.province, produced.dept_a, produced.dept_b):
        assert f'data-run="{_run_of(unit).id}"' in html
    assert "sipas-TINH-2026-Q2.xlsx" in html

    leader = make_user(Role.APPROVER, produced.dept_a, username="lanhdao.soa")
    other = client.application.test_client()
    other.set_cookie("lang", "en", domain="localhost")
    login(other, leader)
    html = other.get(RUNS).get_data(as_text=True)
    assert f'data-run="{_run_of(produced.dept_a).id}"' in html
    assert f'data-run="{_run_of(produced.province).id}"' not in html
    assert f'data-run="{_run_of(produced.dept_b).id}"' not in html
    assert other.get(RUNS, query_string={"kind": "monthly"}).status_code == 400
    assert other.get(RUNS, query_string={"page": "x"}).status_code == 400
    assert other.get(RUNS, query_string={"kind": "yearly"}).get_data(
        as_text=True).count("data-run=") == 0


def test_download_of_a_run(client, login, produced):
    login(client, produced.analyst)
    run = _run_of(produced.dept_b)
    response = client.get(f"{RUNS}{run.id}/tai-ve")
    assert response.status_code == 200
    assert response.data == run.content
    assert 'filename="sipas-SO-B-2026-Q2.xlsx"' in response.headers["Content-Disposition"]
    assert openpyxl.load_workbook(io.BytesIO(response.data)).sheetnames[-1] == "PAKN"
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "reports.run_downloaded")).one()
    assert entry.object_id == str(run.id) and entry.actor_user_id == produced.analyst.id


def test_a_run_outside_scope_is_404_and_without_rights_403(client, login, make_user,
                                                           produced):
    leader = make_user(Role.APPROVER, produced.dept_a, username="lanhdao.soa")
    login(client, leader)
    assert client.get(f"{RUNS}{_run_of(produced.dept_b).id}/tai-ve").status_code == 404
    assert client.get(f"{RUNS}{_run_of(produced.province).id}/tai-ve").status_code == 404
    assert client.get(f"{RUNS}{_run_of(produced.dept_a).id}/tai-ve").status_code == 200
    assert client.get(f"{RUNS}999999/tai-ve").status_code == 404


def test_users_without_report_rights_get_403(client, login, make_user, produced):
    desk = make_user(Role.DESK_STAFF, produced.dept_a, username="motcua")
    login(client, desk)
    assert client.get(RUNS).status_code == 403
    # The unit is visible to them (UNITS_VIEW), the report is not theirs to read.
    assert client.get(f"{RUNS}{_run_of(produced.dept_a).id}/tai-ve").status_code == 403


def test_a_failed_run_has_nothing_to_download(client, login, produced):
    run = _run_of(produced.dept_a)
    run.status, run.content, run.error = "failed", None, "RuntimeError: disk full"
    db.session.commit()
    login(client, produced.analyst)
    assert "RuntimeError: disk full" in client.get(RUNS).get_data(as_text=True)
    assert client.get(f"{RUNS}{run.id}/tai-ve").status_code == 404


def test_pakn_figures_count_the_cases_of_the_units_subtree(make_unit, make_user):
    from surveys.instruments import load_shipped_instruments
    from tests.feedback.helpers import assign, submit_case
    from tests.feedback.helpers import build_org as build_pakn_org

    pakn = build_pakn_org(make_unit, make_user)
    load_shipped_instruments()
    # Three cases in the province's register, received now: two handled by Sở Nội vụ, one
    # by Sở Tài chính.
    for topic in ("procedures", "health"):
        assign(submit_case(pakn, topic=topic), pakn)
    assign(submit_case(pakn, topic="water"), pakn, pakn.other_department)
    day = today()
    quarter = f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    result = produce_period_reports(period=quarter, units=[pakn.province, pakn.department])
    assert result.summary()["done"] == 2

    def received(unit) -> int:
        run = db.session.scalars(select(ReportRun).where(ReportRun.unit_id == unit.id)).one()
        sheet = openpyxl.load_workbook(io.BytesIO(run.content))["PAKN"]
        # Row 2 is "Received" (Vietnamese label outside a request): its value.
        return sheet["B2"].value

    assert received(pakn.province) == 3     # the whole province
    assert received(pakn.department) == 2   # only the cases Sở Nội vụ handles
    assert db.session.scalar(select(func.count(ApiKey.id))) == 0
