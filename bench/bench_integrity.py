"""Integrity page (issue 14 §3) on PostgreSQL with 1 million raw desk ratings: p50/p95 of the
page ``/quan-tri/bao-cao/toan-ven/`` over several periods, and the time of the integrity run
(``reports.integrity.compute_integrity_run``) that the page reads.

Target (issue 14): the integrity page takes ≤ 2 s p95 over 1M responses.

    .venv/bin/python bench/bench_integrity.py                  # 1,000,000 responses
    .venv/bin/python bench/bench_integrity.py --smoke          # 50,000 responses (CI)

The database ``bench_integrity`` (``bench_integrity_smoke`` with --smoke) is dropped and created
on the server of ``--postgres`` (default postgresql://postgres@127.0.0.1:5432/postgres) and
migrated; the organisation is a synthetic province with ``--units`` units, the shipped desk
form, the June and October campaigns and an analyst granted on the province
(``bench/synthetic.py``, fixed seed; two years, November 2024 – October 2026). The raw
responses are loaded with COPY (JSON answers and rating strings, as ``submit_response`` writes
them), the daily and month rollups with COPY, the response counts by the SQL of migration
0012, then the month tables are rebuilt by the product's ``refresh_month_rollups(full=True)``
and the database is analysed.

What is timed:
- ``run_<period>_seconds``: one integrity run per period (reads every response of the period,
  applies every rule, stores the flags and the flagged responses' counts). It is a job (hourly)
  and a button, never part of a page view, so it has no page target; it is reported so the
  job's cost is known;
- ``page_*``: the page, in-process through Flask's test client signed in as the analyst (no
  HTTP server: the app's and the database's own time), every period once to warm up, then
  ``--repetitions`` rounds over the periods. The page reads the stored flags, the month
  rollup and the run's stored counts, never the raw responses.

Prints ``name value unit`` lines and a verdict, writes bench/results/integrity.json. The
database is dropped at the end unless ``--keep``. Exit status non-zero when a page does not
answer 200; a missed target is reported, not fatal.
"""

from __future__ import annotations

import argparse
import importlib.util
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
    copy_responses,
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

RESULTS = ROOT / "bench" / "results" / "integrity.json"
TARGET_P95_MS = 2000
ANALYST, PASSWORD = "bench.analyst", "bench-analyst-password"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
PAGE = "/quan-tri/bao-cao/toan-ven/"
PERIODS = ("2026-09", "2026-Q3", "2026-H1", "2025")
MIGRATION_0012 = ROOT / "migrations" / "versions" / "0012_day_responses.py"

Result = tuple[str, float | int, str]


def _fill_response_counts():
    """The SQL of migration 0012 that counts the responses per day and month."""
    spec = importlib.util.spec_from_file_location("migration_0012", MIGRATION_0012)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.fill_response_counts


def load(server: str, name: str, instance: str, args: argparse.Namespace,
         results: list[Result]) -> str:
    """Create, migrate and fill the database; returns its URL."""
    import psycopg

    from core.db import write_intent
    from core.extensions import db
    from core.models import RoleGrant, User
    from core.passwords import hash_password
    from surveys.month_rollups import refresh_month_rollups
    from surveys.rating_codes import version_rated_codes

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
        codes = version_rated_codes([version_id])[version_id]
        db.session.remove()
        db.engine.dispose()
    survey = SyntheticSurvey(args.responses, tree, seed=args.seed, waves=waves)
    began = time.perf_counter()
    with psycopg.connect(psycopg_url(url)) as month, psycopg.connect(psycopg_url(url)) as day:
        written = copy_responses(month, survey, version_id, codes=codes)
        month.commit()
        copy_rollups(survey, month, day)
        month.commit()
        day.commit()
        fill = _fill_response_counts()
        fill(lambda sql: month.execute(sql), "postgresql")
        month.commit()
    with app.app_context(), write_intent():
        refresh_month_rollups(full=True)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    with psycopg.connect(psycopg_url(url)) as connection:
        connection.execute("ANALYZE")
        connection.commit()
    results += [("responses", written, "count"), ("units", args.units, "count"),
                ("load_seconds", time.perf_counter() - began, "s")]
    print(f"# loaded {written:,} responses in {time.perf_counter() - began:.0f} s", flush=True)
    return url


def compute_runs(app, results: list[Result]) -> None:
    """One integrity run per period, as the hourly job does."""
    from core.db import write_intent
    from core.extensions import db
    from reports.integrity import compute_integrity_run
    from reports.models import IntegrityFlag

    for period in PERIODS:
        with app.app_context(), write_intent():
            began = time.perf_counter()
            run = compute_integrity_run(period)
            db.session.commit()
            took = time.perf_counter() - began
            flags = db.session.scalar(db.select(db.func.count()).select_from(IntegrityFlag)
                                      .where(IntegrityFlag.period == period))
            excluded = sum(n for _unit, _quality, n in run.excluded_responses)
            results += [(f"run_{period}_responses", run.responses, "count"),
                        (f"run_{period}_seconds", took, "s"),
                        (f"run_{period}_flags", flags, "count"),
                        (f"run_{period}_flagged_responses", excluded, "count")]
            print(f"# run {period}: {run.responses:,} responses in {took:.1f} s, "
                  f"{flags} flags", flush=True)
            db.session.remove()


def measure(app, repetitions: int, results: list[Result]) -> int:
    """Time the page for every period; returns the number of failed pages."""
    from core.extensions import db
    from core.models import Unit

    with app.app_context():
        root = db.session.execute(db.select(Unit.id).where(Unit.code == "SYN")).scalar_one()
        db.session.remove()
    client = app.test_client()
    signed = client.post("/dang-nhap", data={"username": ANALYST, "password": PASSWORD})
    if signed.status_code != 302:
        raise SystemExit(f"sign-in as {ANALYST} answered {signed.status_code}")
    timings: dict[str, list[float]] = {period: [] for period in PERIODS}
    cpu: list[float] = []
    failures = 0

    def page(period: str) -> tuple[float, float, int]:
        began, began_cpu = time.perf_counter(), time.thread_time()
        status = client.get(f"{PAGE}?{urlencode({'period': period, 'unit': root})}") \
            .status_code
        return time.perf_counter() - began, time.thread_time() - began_cpu, status

    logging.getLogger("core.errors").setLevel(logging.CRITICAL)
    for period in PERIODS:  # warm-up
        status = page(period)[2]
        if status != 200:
            print(f"# {period}: the page answered {status}", file=sys.stderr)
    for _round in range(repetitions):
        for period in PERIODS:
            took, took_cpu, status = page(period)
            timings[period].append(took)
            cpu.append(took_cpu)
            failures += status != 200
    everything = [t for values in timings.values() for t in values]
    results += [("page_calls", len(everything), "count"),
                ("page_p50", percentile(everything, 0.5) * 1000, "ms"),
                ("page_p95", percentile(everything, 0.95) * 1000, "ms"),
                ("page_p99", percentile(everything, 0.99) * 1000, "ms"),
                ("page_max", max(everything) * 1000, "ms"),
                ("page_cpu_p50", percentile(cpu, 0.5) * 1000, "ms")]
    for period, values in timings.items():
        results += [(f"page_{period}_p50", percentile(values, 0.5) * 1000, "ms"),
                    (f"page_{period}_p95", percentile(values, 0.95) * 1000, "ms")]
    results.append(("load_average", os.getloadavg()[0], "processes"))
    return failures


def run(args: argparse.Namespace) -> tuple[list[Result], int]:
    name = "bench_integrity_smoke" if args.smoke else "bench_integrity"
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-integrity-") as instance:
        url = load(args.postgres, name, instance, args, results)
        try:
            app = bench_app(url, instance, WTF_CSRF_ENABLED=False, SESSION_COOKIE_SECURE=False)
            compute_runs(app, results)
            failures = measure(app, args.repetitions, results)
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
                        help="a PostgreSQL server URL (any database): bench_integrity is "
                             "dropped and created there")
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=250, help="units in the synthetic tree")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repetitions", type=int, default=20,
                        help="measured page calls per period")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--smoke", action="store_true",
                        help="50,000 responses, 40 units, 3 repetitions (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.responses, args.units, args.repetitions = 50_000, 40, 3
    print(f"# integrity: {args.responses:,} responses, {args.units} units, "
          f"{args.repetitions} repetitions × {len(PERIODS)} periods", flush=True)
    results, failures = run(args)
    for name, value, unit in results:
        print(f"{name} {value:.1f} {unit}" if isinstance(value, float) else
              f"{name} {value} {unit}")
    values = {name: value for name, value, _unit in results}
    met = values["page_p95"] <= TARGET_P95_MS
    check = (f"# target page_p95 <= {TARGET_P95_MS} ms over {args.responses} responses: "
             f"{'met' if met else 'MISSED'} ({values['page_p95']:.1f})")
    print(check)
    key = "smoke" if args.smoke else f"postgresql-{args.responses}"
    stored = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    runs = stored.get("runs", {}) if stored.get("benchmark") == "integrity" else {}
    runs[key] = {
        "at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "responses": args.responses, "units": args.units,
        "repetitions": args.repetitions,
        "results": [{"name": n, "value": round(v, 2) if isinstance(v, float) else v, "unit": u}
                    for n, v, u in results],
        "targets": [check],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"benchmark": "integrity", "runs": runs}, indent=2,
                                  ensure_ascii=False) + "\n", encoding="utf-8")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
