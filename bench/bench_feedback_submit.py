"""PAKN submission load: the public form /phan-anh/ served by gunicorn on this machine, driven
over HTTP by a load generator in this process.

Targets: public submissions >= 200/s with 0 errors, with gunicorn on SQLite (WAL) and on
PostgreSQL (issue #5); the citizen flow (GET the form, then POST it) at least twice as fast as
when every GET listed every unit (issue #13: the blank form is now rendered once per unit-list
version, feedback/public_form_page.py). On a shared machine compare runs back to back, and
read ``form_get_server_cpu`` (the flow's server CPU per submission minus the POST's) and
``flow_to_post_ratio``, which the machine's other load moves much less than the throughputs.

    .venv/bin/python bench/bench_feedback_submit.py                    # SQLite, full run
    .venv/bin/python bench/bench_feedback_submit.py --postgres postgresql://postgres@127.0.0.1/postgres
    .venv/bin/python bench/bench_feedback_submit.py --smoke            # SQLite, 3 s a phase (CI)

A throwaway database is migrated and loaded with the demo data (bench_survey_load.prepare),
and gunicorn runs `wsgi:app` with 4 sync workers and the per-IP submission limit lifted
(LANGNGHE_FEEDBACK_POST_LIMIT). Each submission is a formal PAKN with contact data (so the
contact is encrypted and the "received" email is queued in the outbox), posted like a
browser: the form's CSRF token comes from a GET with the session cookie it sets, and every
POST carries a fresh idempotency key. Phases: (1) POST, closed loop, each thread reading the
form once and posting again and again (the target); (2) the whole citizen flow, GET the form
then POST it, closed loop. At the end the cases in the database are counted: none may be
missing. Prints ``name value unit`` lines and a verdict per target, writes
bench/results/feedback_submit.json (one entry per backend) and exits non-zero when a request
failed or a case is missing; a missed speed target is reported, not fatal.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_survey_load import (  # noqa: E402  (the shared load generator)
    ROOT,
    SECRET,
    Client,
    closed_loop,
    free_port,
    percentile,
    prepare,
    server_cpu,
    start_gunicorn,
)

RESULTS = ROOT / "bench" / "results" / "feedback_submit.json"
FORM = "/phan-anh/"
UNIT = "LS-SNV"  # a demo agency (core.demo)
# (name, comparison, limit, unit)
TARGETS = [("post_throughput", ">=", 200, "req/s"), ("post_errors", "==", 0, "count"),
           ("flow_errors", "==", 0, "count"), ("cases_lost", "==", 0, "count")]
CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
Request = Callable[[Client], bool]


def exchange(client: Client, method: str, path: str, body: str | None = None,
             cookie: str = "") -> tuple[int, str, list[str]]:
    """One request; returns (status, body text, Set-Cookie headers). Status 0: no answer."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    if cookie:
        headers["Cookie"] = cookie
    try:
        client.conn.request(method, path, body=body, headers=headers)
        answer = client.conn.getresponse()
        text = answer.read().decode("utf-8", "replace")
        return answer.status, text, answer.headers.get_all("Set-Cookie") or []
    except (OSError, Exception):  # noqa: BLE001  (any failure is an error to count)
        client.conn.close()
        return 0, "", []


def read_form(client: Client) -> tuple[str, str] | None:
    """(Cookie header, CSRF token) from a GET of the form."""
    status, page, set_cookies = exchange(client, "GET", FORM)
    token = CSRF.search(page) if status == 200 else None
    if token is None:
        return None
    jar = SimpleCookie()
    for header in set_cookies:
        jar.load(header)
    return "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items()), token.group(1)


def submission(token: str, number: int) -> str:
    return urlencode({
        "csrf_token": token, "kind": "report", "topic": "procedures", "unit": UNIT,
        "title": f"Hồ sơ chậm trả kết quả {number}",
        "content": "Tôi nộp hồ sơ tại bộ phận một cửa Sở Nội vụ đã quá hạn trả kết quả "
                   "nhưng chưa nhận được thông báo lý do. Đề nghị kiểm tra và trả lời.",
        "sender_type": "person", "name": "Nguyễn Văn Thử", "phone": "0912 000 111",
        "address": "Số 1 đường Thử nghiệm, phường Đông Kinh, tỉnh Lạng Sơn",
        "email": "thu.nghiem@example.vn", "reply_channel": "email", "consent": "y",
        "channel": "web", "idempotency_key": secrets.token_urlsafe(24)})


def post_again() -> Callable[[Client], Request]:
    """Each thread reads the form once, then posts it again and again with fresh keys."""

    def make(client: Client) -> Request:
        got = read_form(client)
        if got is None:
            raise SystemExit(f"GET {FORM} gave no form with a CSRF token")
        cookie, token = got
        counter = iter(range(1, 10**9))

        def post(c: Client) -> bool:
            status, _text, _cookies = exchange(c, "POST", FORM, submission(token, next(counter)),
                                               cookie)
            return status == 303
        return post
    return make


def citizen_flow() -> Callable[[Client], Request]:
    """GET the form (new session, token and key), then POST it: what a citizen does."""

    def make(_client: Client) -> Request:
        counter = iter(range(1, 10**9))

        def flow(c: Client) -> bool:
            got = read_form(c)
            if got is None:
                return False
            cookie, token = got
            status, _text, _cookies = exchange(c, "POST", FORM, submission(token, next(counter)),
                                               cookie)
            return status == 303
        return flow
    return make


def count_cases(url: str) -> int:
    from core import create_app
    from core.extensions import db
    from feedback.models import FeedbackCase

    app = create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        count = db.session.scalar(db.select(db.func.count(FeedbackCase.id))) or 0
        db.session.remove()
        db.engine.dispose()
    return count


def run(args: argparse.Namespace) -> tuple[list[tuple[str, float | int, str]], bool]:
    seconds = 3.0 if args.smoke else args.seconds
    results: list[tuple[str, float | int, str]] = [("workers", args.workers, "count"),
                                                   ("client_threads", args.threads, "count")]
    with tempfile.TemporaryDirectory(prefix="bench-pakn-") as name:
        tmp = Path(name)
        site = prepare(tmp, args.postgres)
        try:
            site.env["LANGNGHE_FEEDBACK_POST_LIMIT"] = json.dumps("1000000 per minute")
            before = count_cases(site.database_url)
            port = free_port()
            server = start_gunicorn(site.env, args.workers, port)
            try:
                accepted = _measure(port, server.pid, args.threads, seconds, results)
            finally:
                server.terminate()
                server.wait(timeout=30)
            stored = count_cases(site.database_url) - before
        finally:
            site.cleanup()
    results += [("cases_stored", stored, "count"), ("cases_lost", accepted - stored, "count")]
    return results, accepted == stored


def _measure(port: int, master: int, threads: int, seconds: float,
             results: list[tuple[str, float | int, str]]) -> int:
    """Run the phases; returns how many submissions the server accepted (303)."""
    closed_loop(port, lambda _c: (lambda c: exchange(c, "GET", FORM)[0] == 200), threads, 1.0)
    accepted = 0
    cpu_per: dict[str, float] = {}
    rates: dict[str, float] = {}
    for name, make in (("post", post_again()), ("flow", citizen_flow())):
        cpu, own = server_cpu(master), time.process_time()
        tally, took = closed_loop(port, make, threads, seconds)
        cpu, own = server_cpu(master) - cpu, time.process_time() - own
        accepted += tally.ok
        per_request = cpu / max(1, tally.ok)
        cpu_per[name], rates[name] = per_request, tally.ok / took
        results += [(f"{name}_throughput", tally.ok / took, "req/s"),
                    (f"{name}_errors", tally.errors, "count"),
                    (f"{name}_p50_closed_loop", percentile(tally.latencies, 0.5) * 1000, "ms"),
                    (f"{name}_p95_closed_loop", percentile(tally.latencies, 0.95) * 1000, "ms"),
                    (f"{name}_server_cpu_per_submission", per_request * 1000, "ms"),
                    (f"{name}_client_cpu_share", own / took / (os.cpu_count() or 1) * 100, "%"),
                    # The rate if the server had every core to itself and nothing else ran.
                    (f"{name}_cpu_ceiling", (os.cpu_count() or 1) / max(per_request, 1e-6),
                     "req/s")]
    results += [("form_get_server_cpu", (cpu_per["flow"] - cpu_per["post"]) * 1000, "ms"),
                ("flow_to_post_ratio", rates["flow"] / max(rates["post"], 1e-9), "x")]
    return accepted


def verdicts(values: dict[str, float | int]) -> list[str]:
    lines = []
    for name, op, limit, unit in TARGETS:
        value = values[name]
        met = {">=": value >= limit, "<=": value <= limit, "==": value == limit}[op]
        lines.append(f"# target {name} {op} {limit} {unit}: {'met' if met else 'MISSED'} "
                     f"({value:.1f})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="SQLite, 3 s a phase (CI)")
    parser.add_argument("--postgres", metavar="URL",
                        help="a PostgreSQL server URL (any database): bench_<random> is "
                             "created there and dropped after")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--threads", type=int, default=8, help="client threads")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    args = parser.parse_args()
    if args.smoke and args.postgres:
        parser.error("--smoke runs on SQLite only")
    backend = "postgresql" if args.postgres else "sqlite"
    print(f"# {backend}, gunicorn -w {args.workers}, {args.threads} client threads, "
          f"{3.0 if args.smoke else args.seconds:g} s a phase", flush=True)
    results, complete = run(args)
    for name, value, unit in results:
        print(f"{name} {value:.1f} {unit}" if isinstance(value, float) else
              f"{name} {value} {unit}")
    values = {name: value for name, value, _unit in results}
    checks = verdicts(values)
    print("\n".join(checks))
    key = backend + ("-smoke" if args.smoke else "")
    stored = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    runs = stored.get("runs", {}) if stored.get("benchmark") == "feedback_submit" else {}
    runs[key] = {
        "at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "workers": args.workers, "client_threads": args.threads,
        "seconds_per_phase": 3.0 if args.smoke else args.seconds,
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "results": [{"name": n, "value": round(v, 2) if isinstance(v, float) else v, "unit": u}
                    for n, v, u in results],
        "targets": checks,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "feedback_submit",
        "targets": [f"{n} {op} {limit} {unit}" for n, op, limit, unit in TARGETS],
        "runs": runs}, indent=2) + "\n", encoding="utf-8")
    errors = int(values["post_errors"]) + int(values["flow_errors"])
    if errors or not complete:
        raise SystemExit(f"{errors} failed request(s); stored cases complete: {complete}")


if __name__ == "__main__":
    main()
