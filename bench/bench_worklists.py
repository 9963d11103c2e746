"""Work lists ("Việc của tôi", the back-office landing page /quan-tri/) with 100,000 PAKN
cases: p50/p95 of the page for each demo role's account.

Target (issue #12): every work-list page p95 <= 150 ms with 100,000 cases, on SQLite and
PostgreSQL.

    .venv/bin/python bench/bench_worklists.py                    # SQLite, 100,000 cases
    .venv/bin/python bench/bench_worklists.py --postgres postgresql://postgres@127.0.0.1/postgres
    .venv/bin/python bench/bench_worklists.py --smoke            # SQLite, 2,000 cases (CI)

The database is the one bench_feedback_queue.py builds (the demo data, then the cases of
``bench_feedback_queue.fill``: every state under three registers, deadlines on open cases,
some overdue), plus what the handler's and approver's lists read besides cases: a draft answer
for each case in handling, a returned draft for one in five of those in progress, and a
publication draft for one in ten answered cases. On PostgreSQL the load is followed by VACUUM
ANALYZE, as autovacuum would do soon after: without the visibility map it sets, counting the
10,000 overdue cases reads the table (60 ms) instead of the index alone (3 ms).

The page is requested in-process with Flask's test client (the figure is the app's own time)
as each demo account in turn: the PAKN officer of the province (about two thirds of all cases
are in their registers), the handler and the approver of Sở Nội vụ, the analyst, the desk
staff, the unit administrator and the system administrator. Prints ``name value unit`` lines,
writes bench/results/worklists.json and exits non-zero when a page does not answer 200; a
missed speed target is reported, not fatal.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_feedback_queue import fill  # noqa: E402
from bench_survey_load import ROOT, SECRET, percentile, prepare  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "worklists.json"
TARGET_P95_MS = 150
ROLES = [("officer", "pakn.vanphong"), ("handler", "xuly.snv"), ("approver", "lanhdao.snv"),
         ("analyst", "phantich.snv"), ("desk_staff", "motcua.tinh"),
         ("unit_admin", "quantri.dinhlap"), ("system_admin", "admin")]


def add_answers_and_publications(seed: int = 12) -> dict[str, int]:
    """Draft answers of the cases in handling (some returned) and publication drafts."""
    from sqlalchemy import insert, select

    from core.clock import now
    from core.extensions import db
    from feedback.models import FeedbackAnswer, FeedbackCase, Publication

    rng = random.Random(seed)
    moment = now()
    handled = db.session.execute(select(FeedbackCase.id, FeedbackCase.state).where(
        FeedbackCase.state.in_(("in_progress", "answer_drafted", "approved")))).all()
    answers = []
    for case_id, state in handled:
        if state == "in_progress" and rng.random() < 0.2:
            answers.append({"case_id": case_id, "body": "Dự thảo trả lời.", "status": "returned",
                            "letter_number": None, "return_reason": "Bổ sung căn cứ.",
                            "drafted_at": moment})
        status = {"in_progress": "draft", "answer_drafted": "submitted"}.get(state, "approved")
        answers.append({"case_id": case_id, "body": "Kính gửi Ông/Bà, ...", "status": status,
                        "letter_number": "12/SNV", "return_reason": None, "drafted_at": moment})
    answered = db.session.execute(select(
        FeedbackCase.id, FeedbackCase.topic, FeedbackCase.kind, FeedbackCase.handling_unit_id)
        .where(FeedbackCase.state == "answered")).all()
    drafts = [{"case_id": row.id, "slug": f"b{row.id:x}", "title": "Công khai", "question": "…",
               "answer": "…", "topic": row.topic, "kind": row.kind,
               "unit_id": row.handling_unit_id, "status": "draft", "search_text": "",
               "created_at": moment, "updated_at": moment}
              for row in answered if row.handling_unit_id and rng.random() < 0.1]
    for table, rows in ((FeedbackAnswer.__table__, answers), (Publication.__table__, drafts)):
        for start in range(0, len(rows), 5_000):
            db.session.execute(insert(table), rows[start:start + 5_000])
    db.session.commit()
    return {"answers": len(answers), "publication_drafts": len(drafts)}


def run(args: argparse.Namespace) -> tuple[list[tuple[str, float | int, str]], int]:
    count = args.cases if not args.smoke else 2_000
    rounds = args.rounds if not args.smoke else 2
    results: list[tuple[str, float | int, str]] = [("cases", count, "count")]
    with tempfile.TemporaryDirectory(prefix="bench-worklists-") as name:
        tmp = Path(name)
        site = prepare(tmp, args.postgres)
        try:
            failures = _measure(site.database_url, tmp, count, rounds, results,
                                analyze=bool(args.postgres))
        finally:
            site.cleanup()
    return results, failures


def _load(app, count: int, analyze: bool, results: list) -> None:
    from core.extensions import db

    with app.app_context():
        began = time.perf_counter()
        fill(count)
        extra = add_answers_and_publications()
        results.append(("fill_seconds", time.perf_counter() - began, "s"))
        results += [(name, value, "count") for name, value in extra.items()]
        db.session.remove()
        if analyze:
            # As autovacuum soon would after such a load: the statistics, and the visibility
            # map that lets the counts read the (unit, state, due_at) index alone.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")


def _measure(url: str, tmp: Path, count: int, rounds: int,
             results: list[tuple[str, float | int, str]], analyze: bool) -> int:
    from core import create_app
    from core.demo import DEMO_PASSWORD
    from core.extensions import db

    os.environ["LANGNGHE_INSTANCE_PATH"] = str(tmp)
    app = create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": url,
                      "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False})
    _load(app, count, analyze, results)
    clients = {}
    for role, username in ROLES:
        client = app.test_client()
        signed = client.post("/dang-nhap", data={"username": username,
                                                 "password": DEMO_PASSWORD})
        if signed.status_code != 302:
            raise SystemExit(f"sign-in as {username} answered {signed.status_code}")
        client.get("/quan-tri/")  # warm-up: templates, caches, the month rollups
        clients[role] = client
    timings: dict[str, list[float]] = {role: [] for role, _name in ROLES}
    # CPU time of this thread: the app and SQLite run in it, so on a shared machine this is
    # the figure to compare (on PostgreSQL the server's own time is not in it).
    cpu: dict[str, list[float]] = {role: [] for role, _name in ROLES}
    failures = 0
    for _round in range(rounds):
        for role, client in clients.items():
            began, began_cpu = time.perf_counter(), time.thread_time()
            response = client.get("/quan-tri/")
            cpu[role].append(time.thread_time() - began_cpu)
            timings[role].append(time.perf_counter() - began)
            if response.status_code != 200:
                failures += 1
                print(f"# {role}: /quan-tri/ answered {response.status_code}", file=sys.stderr)
    everything = [t for values in timings.values() for t in values]
    results += [("requests", len(everything), "count"), ("failures", failures, "count"),
                ("worklists_p50", percentile(everything, 0.5) * 1000, "ms"),
                ("worklists_p95", percentile(everything, 0.95) * 1000, "ms")]
    results += [(f"{role}_p95", percentile(values, 0.95) * 1000, "ms")
                for role, values in timings.items()]
    results += [(f"{role}_cpu_p95", percentile(values, 0.95) * 1000, "ms")
                for role, values in cpu.items()]
    results.append(("load_average", os.getloadavg()[0], "processes"))
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return failures


def _save(backend: str, smoke: bool, results: list, checks: list[str]) -> None:
    key = backend + ("-smoke" if smoke else "")
    stored = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    runs = stored.get("runs", {}) if stored.get("benchmark") == "worklists" else {}
    runs[key] = {
        "at": datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "results": [{"name": n, "value": round(v, 2) if isinstance(v, float) else v, "unit": u}
                    for n, v, u in results],
        "targets": checks,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "worklists",
        "targets": [f"every role's p95 <= {TARGET_P95_MS} ms with 100000 cases"],
        "runs": runs}, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="SQLite, 2,000 cases (CI)")
    parser.add_argument("--postgres", metavar="URL",
                        help="a PostgreSQL server URL (any database): bench_<random> is "
                             "created there and dropped after")
    parser.add_argument("--cases", type=int, default=100_000, help="cases to insert")
    parser.add_argument("--rounds", type=int, default=40,
                        help="requests of the page per role")
    args = parser.parse_args()
    if args.smoke and args.postgres:
        parser.error("--smoke runs on SQLite only")
    results, failures = run(args)
    for name, value, unit in results:
        print(f"{name} {value:.1f} {unit}" if isinstance(value, float) else
              f"{name} {value} {unit}")
    values = {name: value for name, value, _unit in results}
    checks = []
    for role, _username in ROLES:
        p95 = values[f"{role}_p95"]
        checks.append(f"# target {role}_p95 <= {TARGET_P95_MS} ms with {values['cases']} "
                      f"cases: {'met' if p95 <= TARGET_P95_MS else 'MISSED'} ({p95:.1f})")
        cpu = values[f"{role}_cpu_p95"]
        checks.append(f"# {role}_cpu_p95 (the app's own time, SQLite's included) <= "
                      f"{TARGET_P95_MS} ms: {'met' if cpu <= TARGET_P95_MS else 'MISSED'} "
                      f"({cpu:.1f}; load average {values['load_average']:.1f})")
    print("\n".join(checks))
    _save("postgresql" if args.postgres else "sqlite", args.smoke, results, checks)
    if failures:
        raise SystemExit(f"{failures} work-list request(s) did not answer 200")


if __name__ == "__main__":
    main()
