"""SIPAS dashboard on PostgreSQL with the rollups of 10 million desk ratings: p50/p95 of the
dashboard data service (``reports.indices.build_sipas_report``) and of the whole page
``/quan-tri/bao-cao/``, over a set of filter combinations.

Target (issue #6): dashboards read the rollup tables; p95 ≤ 1 s with 10 million responses in
PostgreSQL.

    .venv/bin/python bench/bench_dashboard.py                      # 10M responses' rollups
    .venv/bin/python bench/bench_dashboard.py --postgres postgresql://postgres@127.0.0.1/postgres
    .venv/bin/python bench/bench_dashboard.py --smoke              # 300,000 responses (CI)

The database ``bench_dashboard`` (``bench_dashboard_smoke`` with --smoke) is dropped and
created on the server of ``--postgres`` (default postgresql://postgres@127.0.0.1:5432/postgres)
and migrated; the organisation is a synthetic province with ``--units`` units (departments and
their desks), the shipped desk form, a campaign in every June and October, and an analyst
granted on the province. The rollups of ``--responses`` synthetic responses
(``bench/synthetic.py``, fixed seed; two years, November 2024 – October 2026) are then loaded
with COPY: the month table the dashboards read and (unless ``--skip-daily``) the daily table
it is rebuilt from, primary keys built after the load, then ANALYZE (as autovacuum would do
soon after). The raw responses themselves are not loaded (tens of minutes for 10 million; the
dashboard reads them only to count the responses newer than the month table's watermark, an
index range scan that finds none when the job is up to date, which is the case measured here).

Then, in-process (no HTTP server, so the figure is the app's and the database's own time),
every filter combination in COMBOS is requested once to warm up and ``--repetitions`` times
round-robin: the service (a fresh database session each time, as a request has) and the page
through Flask's test client signed in as the analyst. Prints the load figures, overall
``service_p50/p95/p99`` and ``page_p50/p95/p99`` (ms), the CPU time of this process per call
(the app's share; PostgreSQL's own time is not in it), and per combination p50/p95, a verdict,
and writes bench/results/dashboard.json. ``--extra-index`` then adds an index on the month
table's (month, unit_id) and measures again (``indexed_*``), to show what it would change.
The database is dropped at the end unless ``--keep``; ``--reuse`` measures a kept one again.
Exit status: non-zero when a page does not answer 200; a missed target is reported, not fatal.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_survey_load import percentile  # noqa: E402
from synthetic import (  # noqa: E402
    SyntheticSurvey,
    bench_app,
    copy_rollups,
    create_campaigns,
    create_units,
    default_waves,
    drop_database,
    load_desk_form,
    migrate,
    psycopg_url,
    recreate_database,
    unit_tree,
)

RESULTS = ROOT / "bench" / "results" / "dashboard.json"
TARGET_P95_MS = 1000
ANALYST, PASSWORD = "bench.analyst", "bench-analyst-password"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
PAGE = "/quan-tri/bao-cao/"
# (name, query). {root}, {department} and {wave} are filled in after the load; {wave} is the
# June 2026 campaign, inside 2026-Q2 and 2026-H1.
COMBOS = [
    ("all_month", {"unit": "{root}", "period": "2026-09"}),
    ("all_quarter", {"unit": "{root}", "period": "2026-Q3"}),
    ("all_half", {"unit": "{root}", "period": "2026-H1"}),
    ("all_year", {"unit": "{root}", "period": "2025"}),
    ("all_quarter_flagged", {"unit": "{root}", "period": "2026-Q3", "flagged": "include"}),
    ("all_quarter_campaign", {"unit": "{root}", "period": "2026-Q2", "campaign": "{wave}"}),
    ("all_half_no_campaign", {"unit": "{root}", "period": "2026-H1", "campaign": "none"}),
    ("all_quarter_channel", {"unit": "{root}", "period": "2026-Q3", "channel": "desk_qr"}),
    ("dept_month", {"unit": "{department}", "period": "2026-09"}),
    ("dept_quarter", {"unit": "{department}", "period": "2026-Q3"}),
    ("dept_half", {"unit": "{department}", "period": "2026-H1"}),
    ("dept_year", {"unit": "{department}", "period": "2025"}),
    ("dept_half_campaign_flagged", {"unit": "{department}", "period": "2026-H1",
                                     "campaign": "{wave}", "flagged": "include"}),
]

Result = tuple[str, float | int, str]


def load(server: str, name: str, instance: str, args: argparse.Namespace,
         results: list[Result]) -> str:
    """Create, migrate and fill the database; returns its URL."""
    import psycopg

    from core.db import write_intent
    from core.extensions import db
    from core.models import RoleGrant, User
    from core.passwords import hash_password

    url = recreate_database(server, name)
    app = bench_app(url, instance)
    migrate(app)
    with app.app_context(), write_intent():
        tree = create_units(unit_tree(args.units))
        version_id = load_desk_form()
        waves = create_campaigns(default_waves(), tree.root, version_id, tree)
        user = User(username=ANALYST, full_name="Bench analyst",
                    password_hash=hash_password(PASSWORD))
        db.session.add(user)
        db.session.add(RoleGrant(user=user, role="analyst", unit_id=tree.root))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    survey = SyntheticSurvey(args.responses, tree, seed=args.seed, waves=waves)
    began = time.perf_counter()
    with psycopg.connect(psycopg_url(url)) as month, psycopg.connect(psycopg_url(url)) as day:
        keys = {table: _drop_primary_key(month, table) for table in
                ("survey_rollup_month_counts", "survey_rollup_counts")}
        month.commit()
        month_rows, day_rows = copy_rollups(survey, month, None if args.skip_daily else day)
        month.commit()
        day.commit()
        copied = time.perf_counter() - began
        for table, definition in keys.items():
            month.execute(f"ALTER TABLE {table} ADD {definition}")
        month.commit()
    # The summary table (no campaign or channel dimension) is built from the month table as
    # the refresh job builds it; it is part of the load.
    with app.app_context(), write_intent():
        from surveys.month_rollups import rebuild_month_summary

        rebuild_month_summary()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    with psycopg.connect(psycopg_url(url)) as month:
        month.execute("ANALYZE")
        month.commit()
        keys["survey_rollup_month_summary"] = ""
        sizes = {table: month.execute("SELECT pg_total_relation_size(%s::regclass)",
                                      (table,)).fetchone()[0] for table in keys}
        summary_rows = month.execute(
            "SELECT count(*) FROM survey_rollup_month_summary").fetchone()[0]
    results += [("responses", args.responses, "count"), ("units", args.units, "count"),
                ("month_rollup_rows", month_rows, "rows"), ("daily_rollup_rows", day_rows, "rows"),
                ("month_rollup_size", sizes["survey_rollup_month_counts"] / 2**20, "MB"),
                ("month_summary_rows", summary_rows, "rows"),
                ("month_summary_size", sizes["survey_rollup_month_summary"] / 2**20, "MB"),
                ("daily_rollup_size", sizes["survey_rollup_counts"] / 2**20, "MB"),
                ("load_copy_seconds", copied, "s"),
                ("load_total_seconds", time.perf_counter() - began, "s")]
    print(f"# loaded {month_rows:,} month rows and {day_rows:,} daily rows in "
          f"{time.perf_counter() - began:.0f} s", flush=True)
    return url


def _drop_primary_key(connection, table: str) -> str:
    """Drop the table's primary key (COPY into an unindexed table, index once after) and
    return its definition to add back."""
    name, definition = connection.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'p'", (table,)).fetchone()
    connection.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return f'CONSTRAINT "{name}" {definition}'


def facts(app) -> dict[str, str]:
    """Ids the combinations need: the province, its largest department, the June 2026 wave."""
    from sqlalchemy import func, select

    from core.extensions import db
    from core.models import Unit
    from surveys.models import Campaign

    with app.app_context():
        root = db.session.execute(select(Unit).where(Unit.code == "SYN")).scalar_one()
        department = db.session.execute(
            select(Unit.parent_id).where(Unit.kind == "desk", Unit.path.like(root.path + "%"))
            .group_by(Unit.parent_id).order_by(func.count().desc(), Unit.parent_id)
            .limit(1)).scalar_one()
        wave = db.session.execute(select(Campaign.id).where(
            Campaign.code.like("SYN-2026-06-%"))).scalar_one()
        db.session.remove()
    return {"root": str(root.id), "department": str(department), "wave": str(wave)}


def measure(app, known: dict[str, str], repetitions: int, prefix: str,
            results: list[Result]) -> int:
    """Time the service and the page for every combination; returns the failed pages."""
    from core.extensions import db
    from core.models import User
    from reports.filters import parse_filters
    from reports.indices import build_sipas_report

    combos = [(name, {key: value.format(**known) for key, value in query.items()})
              for name, query in COMBOS]
    client = app.test_client()
    signed = client.post("/dang-nhap", data={"username": ANALYST, "password": PASSWORD})
    if signed.status_code != 302:
        raise SystemExit(f"sign-in as {ANALYST} answered {signed.status_code}")
    timings: dict[str, dict[str, list[float]]] = {
        mode: {name: [] for name, _ in combos} for mode in ("service", "page")}
    cpu: dict[str, list[float]] = {"service": [], "page": []}
    failures = 0

    def service(query: dict[str, str]) -> tuple[float, float]:
        with app.app_context():
            actor = db.session.execute(db.select(User).where(User.username == ANALYST)) \
                .scalar_one()
            filters = parse_filters(query, actor)
            began, began_cpu = time.perf_counter(), time.thread_time()
            build_sipas_report(actor, filters)
            took, took_cpu = time.perf_counter() - began, time.thread_time() - began_cpu
            db.session.remove()
        return took, took_cpu

    def page(query: dict[str, str]) -> tuple[float, float, int]:
        began, began_cpu = time.perf_counter(), time.thread_time()
        status = client.get(f"{PAGE}?{urlencode(query)}").status_code
        return time.perf_counter() - began, time.thread_time() - began_cpu, status

    # A failing page logs its traceback through core.errors on every call: once is enough.
    logging.getLogger("core.errors").setLevel(logging.CRITICAL)
    for name, query in combos:  # warm-up: imports, templates, caches, the server's cache
        service(query)
        status = page(query)[2]
        if status != 200:
            print(f"# {name}: {PAGE}?{urlencode(query)} answered {status}", file=sys.stderr)
    for _round in range(repetitions):
        for name, query in combos:
            took, took_cpu = service(query)
            timings["service"][name].append(took)
            cpu["service"].append(took_cpu)
            took, took_cpu, status = page(query)
            timings["page"][name].append(took)
            cpu["page"].append(took_cpu)
            failures += status != 200
    for mode in ("service", "page"):
        everything = [t for values in timings[mode].values() for t in values]
        results += [(f"{prefix}{mode}_calls", len(everything), "count"),
                    (f"{prefix}{mode}_p50", percentile(everything, 0.5) * 1000, "ms"),
                    (f"{prefix}{mode}_p95", percentile(everything, 0.95) * 1000, "ms"),
                    (f"{prefix}{mode}_p99", percentile(everything, 0.99) * 1000, "ms"),
                    (f"{prefix}{mode}_max", max(everything) * 1000, "ms"),
                    (f"{prefix}{mode}_cpu_p50", percentile(cpu[mode], 0.5) * 1000, "ms"),
                    (f"{prefix}{mode}_cpu_p95", percentile(cpu[mode], 0.95) * 1000, "ms")]
        for name, values in timings[mode].items():
            results += [(f"{prefix}{mode}_{name}_p50", percentile(values, 0.5) * 1000, "ms"),
                        (f"{prefix}{mode}_{name}_p95", percentile(values, 0.95) * 1000, "ms")]
    results.append((f"{prefix}load_average", os.getloadavg()[0], "processes"))
    return failures


def run(args: argparse.Namespace) -> tuple[list[Result], int]:
    name = "bench_dashboard_smoke" if args.smoke else "bench_dashboard"
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as instance:
        if args.reuse:
            import sqlalchemy as sa

            url = sa.make_url(args.postgres).set(drivername="postgresql+psycopg",
                                                 database=name) \
                .render_as_string(hide_password=False)
        else:
            url = load(args.postgres, name, instance, args, results)
        try:
            app = bench_app(url, instance, WTF_CSRF_ENABLED=False,
                            SESSION_COOKIE_SECURE=False)
            known = facts(app)
            failures = measure(app, known, args.repetitions, "", results)
            if args.extra_index:
                from core.extensions import db

                with app.app_context():
                    db.session.execute(db.text(
                        "CREATE INDEX IF NOT EXISTS bench_month_unit "
                        "ON survey_rollup_month_counts (month, unit_id)"))
                    db.session.execute(db.text("ANALYZE survey_rollup_month_counts"))
                    db.session.commit()
                failures += measure(app, known, args.indexed_repetitions or args.repetitions,
                                    "indexed_", results)
            with app.app_context():
                from core.extensions import db

                db.session.remove()
                db.engine.dispose()
        finally:
            if not args.keep:
                drop_database(args.postgres, name)
    return results, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", default=DEFAULT_SERVER,
                        help="a PostgreSQL server URL (any database): bench_dashboard is "
                             "dropped and created there")
    parser.add_argument("--responses", type=int, default=10_000_000,
                        help="responses whose rollups are loaded")
    parser.add_argument("--units", type=int, default=250, help="units in the synthetic tree")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repetitions", type=int, default=20,
                        help="measured calls per combination and mode")
    parser.add_argument("--skip-daily", action="store_true",
                        help="load only the month rollup (the dashboards never read the "
                             "daily one)")
    parser.add_argument("--extra-index", action="store_true",
                        help="measure again with an index on the month table's "
                             "(month, unit_id)")
    parser.add_argument("--indexed-repetitions", type=int,
                        help="repetitions of the --extra-index pass (default: --repetitions)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true",
                        help="measure a database kept by an earlier --keep run (no load)")
    parser.add_argument("--smoke", action="store_true",
                        help="300,000 responses, 60 units, 3 repetitions (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.responses, args.units, args.repetitions = 300_000, 60, 3
    print(f"# dashboard: rollups of {args.responses:,} responses, {args.units} units, "
          f"{args.repetitions} repetitions × {len(COMBOS)} combinations", flush=True)
    results, failures = run(args)
    for name, value, unit in results:
        print(f"{name} {value:.1f} {unit}" if isinstance(value, float) else
              f"{name} {value} {unit}")
    values = {name: value for name, value, _unit in results}
    checks = []
    for prefix in ("", "indexed_"):
        for mode in ("service", "page"):
            key = f"{prefix}{mode}_p95"
            if key in values:
                met = values[key] <= TARGET_P95_MS
                checks.append(f"# target {key} <= {TARGET_P95_MS} ms with the rollups of "
                              f"{args.responses} responses: {'met' if met else 'MISSED'} "
                              f"({values[key]:.1f})")
    print("\n".join(checks))
    # One entry per size; a run with fewer than 20 repetitions is marked quick and never
    # replaces a full one.
    key = "smoke" if args.smoke else (f"postgresql-{args.responses}"
                                      + ("-quick" if args.repetitions < 20 else ""))
    stored = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    runs = stored.get("runs", {}) if stored.get("benchmark") == "dashboard" else {}
    runs[key] = {
        "at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "responses": args.responses, "units": args.units,
        "repetitions": args.repetitions, "extra_index": args.extra_index,
        "daily_loaded": not args.skip_daily and not args.reuse,
        "results": [{"name": n, "value": round(v, 2) if isinstance(v, float) else v, "unit": u}
                    for n, v, u in results],
        "targets": checks,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "dashboard",
        "targets": [f"service_p95 and page_p95 <= {TARGET_P95_MS} ms with the rollups of "
                    "10000000 responses in PostgreSQL"],
        "runs": runs}, indent=2) + "\n", encoding="utf-8")
    if failures:
        raise SystemExit(f"{failures} dashboard page(s) did not answer 200")


if __name__ == "__main__":
    main()
