"""Working-day arithmetic speed: a baseline, with no hard target.

Deadlines are computed on every PAKN and dossier write and on every late-list page, so this
records how fast the calendar is (package holidays + database overrides) to spot regressions.

    .venv/bin/python bench/bench_workdays.py [--quick | --smoke]

Prints ``name value unit`` lines and writes bench/results/workdays.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time as clock
from datetime import date, datetime, time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "workdays.json"


def _moments(step_minutes: int) -> list[datetime]:
    """Start moments across the whole of 2026, local time, every ``step_minutes``."""
    from core.clock import LOCAL_TZ

    start = datetime(2026, 1, 1, tzinfo=LOCAL_TZ)
    count = 365 * 24 * 60 // step_minutes
    return [start + timedelta(minutes=step_minutes * i) for i in range(count)]


def _rate(func, items) -> float:
    began = clock.perf_counter()
    for item in items:
        func(item)
    return len(items) / (clock.perf_counter() - began)


def run(quick: bool) -> list[tuple[str, float, str]]:
    from flask_migrate import upgrade

    from core import create_app
    from core.db import write_intent
    from core.extensions import db
    from core.workdays import (
        _package_holidays,
        _year_facts,
        add_calendar_override,
        invalidate_calendar,
        load_calendar,
    )

    results: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LANGNGHE_INSTANCE_PATH"] = tmp
        app = create_app({"SECRET_KEY": "bench-only-secret", "RATELIMIT_ENABLED": False,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3"})
        with app.app_context(), write_intent():
            upgrade()
            add_calendar_override(date(2026, 3, 13), False, "bench: extra day off")
            add_calendar_override(date(2026, 9, 1), True, "bench: extra working day")
            db.session.commit()

            _year_facts.cache_clear()
            _package_holidays.cache_clear()
            began = clock.perf_counter()
            load_calendar().is_working_day(date(2026, 6, 1))
            results.append(("year_facts_cold", (clock.perf_counter() - began) * 1000, "ms"))

            calendar = load_calendar()
            moments = _moments(60 if quick else 15)
            results.append(("start_moments", len(moments), "count"))
            for n in (10, 60):
                rate = _rate(lambda m, n=n: calendar.add_working_days(m, n), moments)
                results.append((f"add_working_days_n{n}", rate, "calls/s"))
            pairs = [(m, m + timedelta(days=30)) for m in moments]
            results.append(("count_working_days_30d",
                            _rate(lambda p: calendar.count_working_days(*p), pairs), "calls/s"))
            days = [m.date() for m in moments]
            results.append(("add_calendar_days_30",
                            _rate(lambda d: calendar.add_calendar_days(d, 30), days), "calls/s"))
            results.append(("load_calendar_cached",
                            _rate(lambda _i: load_calendar(), range(20_000)), "calls/s"))

            def reload(_i: int) -> None:
                invalidate_calendar()
                load_calendar()

            loads = 50 if quick else 300
            began = clock.perf_counter()
            for i in range(loads):
                reload(i)
            results.append(("load_calendar_from_db",
                            (clock.perf_counter() - began) / loads * 1000, "ms"))

            client = app.test_client()
            url = ("/api/v1/calendar/deadline?received_at=2026-02-13T16:00:00%2B07:00"
                   "&working_days={}")
            first = client.get(url.format(1))
            if first.status_code != 200 or first.get_json()["due_date"] != "2026-02-24":
                raise SystemExit(f"deadline API answered {first.status_code}: {first.data!r}")
            requests = 100 if quick else 1000
            rate = _rate(lambda i: client.get(url.format(i % 60)), range(requests))
            results.append(("api_deadline", rate, "requests/s"))
            with app.test_request_context():
                results.append(("year_days_2026",
                                _rate(lambda _i: calendar.year_days(2026, "vi"), range(200)),
                                "calls/s"))
            db.session.remove()
            db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", "--smoke", dest="quick", action="store_true",
                        help="smaller sizes (the smoke run CI does)")
    args = parser.parse_args()
    results = run(args.quick)
    for name, value, unit in results:
        print(f"{name} {value:.3f} {unit}" if isinstance(value, float) else
              f"{name} {value} {unit}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "workdays",
        "target": None,
        "note": "baseline only: no hard target",
        "quick": args.quick,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "cutoff": time(15, 0).isoformat(),
        "results": [{"name": n, "value": round(v, 3), "unit": u} for n, v, u in results],
    }, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
