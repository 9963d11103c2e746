"""Survey load: the citizen page /k/<code> (the shipped 16-item desk form) served by gunicorn
on this machine, driven over HTTP by a load generator in this process.

Targets (issue #4): (a) survey page GET >= 500/s; (b) submissions >= 300/s sustained with 0
errors, on SQLite (WAL) and on PostgreSQL; (c) at a fixed, open-loop 50 requests/s, p95 latency
<= 50 ms for GET and <= 150 ms for POST (latency counts from the moment a request was due, so a
server that falls behind is not flattered by its backlog).

    .venv/bin/python bench/bench_survey_load.py                    # SQLite, full run
    .venv/bin/python bench/bench_survey_load.py --postgres postgresql://postgres@127.0.0.1/postgres
    .venv/bin/python bench/bench_survey_load.py --smoke            # SQLite, 3 s a phase (CI)

A throwaway database is migrated and loaded with the demo data (a SQLite file in a temporary
instance folder, or a PostgreSQL database bench_<random> created with psql and dropped after).
gunicorn runs `wsgi:app` with sync workers, the per-IP submission limit lifted and the minimum
fill time at 0. Each client thread takes one signed start stamp from a GET (valid for a day)
and rates every item. Prints ``name value unit`` lines and a verdict per target,
writes bench/results/survey_load.json (one entry per backend) and exits non-zero when a request
failed or a stored response is missing; a missed speed target is reported, not fatal.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "survey_load.json"
DESK = "LS-TTPVHCC-Q01"  # a demo desk with a desk-form point (core.demo, surveys.demo)
SECRET = "bench-only-secret"
# (name, comparison, limit, unit)
TARGETS = [("get_throughput", ">=", 500, "req/s"), ("post_throughput", ">=", 300, "req/s"),
           ("post_errors", "==", 0, "count"), ("get_p95_at_50rps", "<=", 50, "ms"),
           ("post_p95_at_50rps", "<=", 150, "ms")]
OPEN_LOOP_RATE = 50
Request = Callable[["Client"], bool]


class Client:
    """One keep-alive HTTP connection. gunicorn's sync workers close after every response;
    http.client then opens a new connection for the next request by itself."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def send(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        try:
            self.conn.request(method, path, body=body, headers=headers)
            answer = self.conn.getresponse()
            return answer.status, answer.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # reconnect on the next request
            return 0, b""


@dataclass
class Tally:
    ok: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, good: bool, latency: float) -> None:
        with self.lock:
            self.ok += good
            self.errors += not good
            self.latencies.append(latency)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def _ready(port: int, make: Callable[[Client], Request],
           start: threading.Barrier) -> tuple[Client, Request]:
    """A thread's client and request, then the common start. A thread that cannot prepare
    (the page changed, the server died) breaks the barrier, so the run stops with the reason
    instead of every other thread and the main one waiting for it forever."""
    try:
        client = Client(port)
        request = make(client)
    except BaseException as error:
        print(f"# a load thread could not start: {error}", file=sys.stderr, flush=True)
        start.abort()
        raise
    start.wait()
    return client, request


def _start_together(start: threading.Barrier) -> None:
    try:
        start.wait()
    except threading.BrokenBarrierError:
        raise SystemExit("a load thread could not start (see above)") from None


def closed_loop(port: int, make: Callable[[Client], Request], threads: int,
                seconds: float) -> tuple[Tally, float]:
    """Every thread sends its next request as soon as the last one is answered."""
    tally, start = Tally(), threading.Barrier(threads + 1)
    deadline: list[float] = []

    def work() -> None:
        client, request = _ready(port, make, start)
        while time.perf_counter() < deadline[0]:
            began = time.perf_counter()
            good = request(client)
            tally.add(good, time.perf_counter() - began)

    workers = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    deadline.append(time.perf_counter() + 1e9)
    _start_together(start)
    began = time.perf_counter()
    deadline[0] = began + seconds
    for worker in workers:
        worker.join()
    return tally, time.perf_counter() - began


def open_loop(port: int, make: Callable[[Client], Request], rate: int, seconds: float,
              threads: int = 8) -> Tally:
    """Request i is due at start + i/rate, whatever happened to the others; its latency runs
    from that moment (no coordinated omission)."""
    tally, total, start = Tally(), int(rate * seconds), threading.Barrier(threads + 1)
    next_index, lock, t0 = [0], threading.Lock(), [0.0]

    def work() -> None:
        client, request = _ready(port, make, start)
        while True:
            with lock:
                index = next_index[0]
                next_index[0] += 1
            if index >= total:
                return
            due = t0[0] + index / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            good = request(client)
            tally.add(good, time.perf_counter() - due)

    workers = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    t0[0] = time.perf_counter() + 0.05
    _start_together(start)
    for worker in workers:
        worker.join()
    return tally


def get_page(path: str) -> Callable[[Client], Request]:
    def make(_client: Client) -> Request:
        return lambda client: client.send("GET", path)[0] == 200
    return make


def post_form(path: str) -> Callable[[Client], Request]:
    """Each thread reads the form once: its signed start stamp and the rated items (none is
    required on the desk form; each gets a rating from 1 to 5)."""

    def make(client: Client) -> Request:
        status, page = client.send("GET", path)
        if status != 200:
            raise SystemExit(f"GET {path} answered {status}")
        html = page.decode()
        started = re.search(r'name="started" value="([^"]+)"', html)
        rated = sorted(set(re.findall(r'type="radio" [^>]*name="([\w.]+)" value="[1-5]"', html)))
        if started is None or not rated:
            raise SystemExit("the survey page has no start stamp or no rated item")
        stamp, rng = started.group(1), random.Random(secrets.randbits(32))

        def post(c: Client) -> bool:
            body = urlencode({"started": stamp, "website": "",
                              **{name: rng.randint(1, 5) for name in rated}})
            return c.send("POST", path, body)[0] == 303
        return post
    return make


@dataclass
class Site:
    env: dict[str, str]
    database_url: str
    code: str
    cleanup: Callable[[], None]


def prepare(tmp: Path, postgres: str | None) -> Site:
    """A migrated throwaway database with the demo data, and the desk's public code."""
    import sqlalchemy as sa

    env = {**os.environ, "LANGNGHE_SECRET_KEY": json.dumps(SECRET),
           "LANGNGHE_INSTANCE_PATH": str(tmp),
           "LANGNGHE_SURVEY_POST_LIMIT": json.dumps("100000 per minute"),
           "LANGNGHE_SURVEY_MIN_FILL_SECONDS": "0"}
    env.pop("DATABASE_URL", None)
    cleanup: Callable[[], None] = lambda: None  # noqa: E731
    if postgres:
        admin = sa.make_url(postgres)
        name = f"bench_{secrets.token_hex(4)}"
        psql = ["psql", admin.set(drivername="postgresql").render_as_string(hide_password=False),
                "-v", "ON_ERROR_STOP=1", "-qc"]
        subprocess.run([*psql, f'CREATE DATABASE "{name}"'], check=True)

        def cleanup() -> None:
            subprocess.run([*psql, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                           check=False)

        url = admin.set(drivername="postgresql+psycopg", database=name) \
            .render_as_string(hide_password=False)
        env["DATABASE_URL"] = url
    else:
        url = f"sqlite:///{tmp / 'langnghe.sqlite3'}"
    try:
        code = _migrate_and_seed(url, tmp)
    except BaseException:
        cleanup()
        raise
    return Site(env, url, code, cleanup)


def _migrate_and_seed(url: str, tmp: Path) -> str:
    from flask_migrate import upgrade

    from core import create_app
    from core.db import write_intent
    from core.demo import seed_demo
    from core.extensions import db
    from core.models import Unit
    from surveys.models import CollectionPoint

    os.environ["LANGNGHE_INSTANCE_PATH"] = str(tmp)
    app = create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        with write_intent():
            seed_demo()
            db.session.commit()
        code = db.session.scalar(db.select(CollectionPoint.public_code).join(Unit).where(
            Unit.code == DESK, CollectionPoint.active.is_(True)))
        db.session.remove()
        db.engine.dispose()
    if not code:
        raise SystemExit(f"no collection point for {DESK} in the demo data")
    return code


def stored_responses(url: str, tmp: Path) -> int:
    from core import create_app
    from core.extensions import db
    from surveys.models import Response

    app = create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        count = db.session.scalar(db.select(db.func.count(Response.id))) or 0
        db.session.remove()
        db.engine.dispose()
    return count


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict[str, str], workers: int, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        if Client(port).send("GET", "/healthz")[0] == 200:
            return server
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


def server_cpu(master: int) -> float:
    """CPU seconds (user + system) used so far by the gunicorn workers of ``master``."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for task in Path(f"/proc/{master}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def run(args: argparse.Namespace) -> tuple[list[tuple[str, float | int, str]], bool]:
    seconds = 3.0 if args.smoke else args.seconds
    results: list[tuple[str, float | int, str]] = [("workers", args.workers, "count"),
                                                   ("client_threads", args.threads, "count")]
    with tempfile.TemporaryDirectory(prefix="bench-survey-") as name:
        tmp = Path(name)
        site = prepare(tmp, args.postgres)
        try:
            # The demo data already holds responses: count only what this run stores.
            before = stored_responses(site.database_url, tmp)
            port = free_port()
            server = start_gunicorn(site.env, args.workers, port)
            path = f"/k/{site.code}"
            try:
                posted = _measure(port, server.pid, path, args.threads, seconds, results)
            finally:
                server.terminate()
                server.wait(timeout=30)
            stored = stored_responses(site.database_url, tmp) - before
        finally:
            site.cleanup()
    results += [("responses_stored", stored, "count"), ("responses_lost", posted - stored,
                                                         "count")]
    return results, posted == stored


def _measure(port: int, master: int, path: str, threads: int, seconds: float,
             results: list[tuple[str, float | int, str]]) -> int:
    """Run the phases; returns how many submissions the server accepted (303). Besides the
    rates, the CPU time the server spent per request and the share of the CPUs the load
    generator itself took: on a shared 2-core machine these say what the rate would be alone."""
    closed_loop(port, get_page(path), threads, 1.0)  # warm-up: imports, caches, pools
    posted = 0
    for name, make in (("get", get_page(path)), ("post", post_form(path))):
        cpu, own = server_cpu(master), time.process_time()
        tally, took = closed_loop(port, make, threads, seconds)
        cpu, own = server_cpu(master) - cpu, time.process_time() - own
        posted += tally.ok if name == "post" else 0
        results += [(f"{name}_throughput", tally.ok / took, "req/s"),
                    (f"{name}_errors", tally.errors, "count"),
                    (f"{name}_p95_closed_loop", percentile(tally.latencies, 0.95) * 1000, "ms"),
                    (f"{name}_server_cpu_per_request", cpu / max(1, tally.ok) * 1000, "ms"),
                    (f"{name}_client_cpu_share", own / took / (os.cpu_count() or 1) * 100, "%"),
                    # The rate if the server had every core to itself and nothing else ran.
                    (f"{name}_cpu_ceiling", (os.cpu_count() or 1) / max(cpu / max(1, tally.ok),
                                                                        1e-6), "req/s")]
    for name, make in (("get", get_page(path)), ("post", post_form(path))):
        tally = open_loop(port, make, OPEN_LOOP_RATE, seconds)
        posted += tally.ok if name == "post" else 0
        results += [(f"{name}_p50_at_50rps", percentile(tally.latencies, 0.5) * 1000, "ms"),
                    (f"{name}_p95_at_50rps", percentile(tally.latencies, 0.95) * 1000, "ms"),
                    (f"{name}_p99_at_50rps", percentile(tally.latencies, 0.99) * 1000, "ms"),
                    (f"{name}_errors_at_50rps", tally.errors, "count")]
    return posted


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
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
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
    runs = stored.get("runs", {}) if stored.get("benchmark") == "survey_load" else {}
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
        "benchmark": "survey_load",
        "targets": [f"{n} {op} {limit} {unit}" for n, op, limit, unit in TARGETS],
        "runs": runs}, indent=2) + "\n", encoding="utf-8")
    errors = sum(int(values[n]) for n in values if n.endswith("errors") or "errors_at" in n)
    if errors or not complete:
        raise SystemExit(f"{errors} failed request(s); stored responses complete: {complete}")


if __name__ == "__main__":
    main()
