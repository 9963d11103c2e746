"""A PostgreSQL streaming replica for the dashboards (core.replica, REPLICA_DATABASE_URL): the
replication lag under a write load, and the dashboard page read from the primary against the
replica, idle and while the primary takes writes.

    .venv/bin/python bench/bench_replica.py                        # rollups of 1M responses
    .venv/bin/python bench/bench_replica.py --responses 10000000 --repetitions 20
    .venv/bin/python bench/bench_replica.py --smoke                # CI: 50,000, 1 repetition

It builds its own pair on loopback from Debian's PostgreSQL binaries, in a temporary folder,
and removes it at the end: a primary (``--port``, default 5434, ``wal_level=replica``), the
dashboard database of bench/bench_dashboard.py loaded into it (synthetic rollups of
``--responses`` responses, ``--units`` units), then a standby made with ``pg_basebackup -R``
(``--port`` + 1, ``hot_standby``), streaming from the primary. Run as root, the servers run
as the ``postgres`` system user. The machine's own PostgreSQL on 5432 is not touched.

Measured, in this order:
1. the dashboard page and service (bench_dashboard.measure) on the primary, then with
   REPLICA_DATABASE_URL pointing at the standby; the pages' figures must be identical;
2. the same two while ``pgbench`` writes on the primary (``--writers`` clients inserting and
   updating rows, as submissions do), with the write transactions per second in each case;
3. the replication lag sampled every 100 ms during the writes: bytes of WAL not yet replayed
   (primary's ``pg_current_wal_lsn`` against the standby's ``pg_last_wal_replay_lsn``) and
   the replay delay (``now() - pg_last_xact_replay_timestamp()`` while the primary writes).

Everything runs on one machine here, so the replica does not add CPU: what this shows is that
the routing works under load, what lag a replica adds to the figures, and what the reads
cost. On separate hardware the dashboard load leaves the primary entirely. Prints the
figures and writes bench/results/replica.json (smoke runs are not kept there).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_dashboard import COMBOS, PAGE, facts, load, measure  # noqa: E402
from bench_survey_load import percentile  # noqa: E402
from synthetic import bench_app  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "replica.json"
DATABASE = "bench_replica"
# What pgbench runs per transaction: a row like a response, and a counter like a rollup.
WRITE_SCRIPT = """\
\\set unit random(1, 250)
BEGIN;
INSERT INTO bench_writes (unit, payload) VALUES (:unit, repeat('x', 200));
INSERT INTO bench_counts (unit, n) VALUES (:unit, 1)
    ON CONFLICT (unit) DO UPDATE SET n = bench_counts.n + 1;
COMMIT;
"""

Result = tuple[str, float | int, str]


def binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise SystemExit("PostgreSQL server binaries not found under /usr/lib/postgresql")
    return Path(found[-1]).parent


class Pair:
    """A primary and its streaming standby in a temporary folder."""

    def __init__(self, port: int) -> None:
        self.bin = binaries()
        self.port, self.standby_port = port, port + 1
        self.folder = Path(tempfile.mkdtemp(prefix="bench-replica-"))
        self.primary_dir = self.folder / "primary"
        self.standby_dir = self.folder / "standby"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.folder, "postgres", "postgres")
        self.started: list[Path] = []

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        subprocess.run([*prefix, *command], check=True, stdout=subprocess.DEVNULL)

    def _start(self, data: Path, port: int) -> None:
        options = (f"-p {port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c wal_level=replica -c max_wal_senders=4 -c hot_standby=on "
                   "-c fsync=on -c synchronous_commit=on")
        self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-o", options,
                  "-l", str(self.folder / f"{data.name}.log"), "-w", "start")
        self.started.append(data)

    def start_primary(self) -> None:
        # initdb -A trust also trusts replication connections from loopback.
        self._run(str(self.bin / "initdb"), "-D", str(self.primary_dir), "-A", "trust",
                  "-U", "postgres", "--encoding", "UTF8", "--locale", "C.UTF-8")
        self._start(self.primary_dir, self.port)

    def start_standby(self) -> float:
        began = time.perf_counter()
        self._run(str(self.bin / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "postgres", "-D", str(self.standby_dir), "-R", "-X", "stream",
                  "-c", "fast")
        took = time.perf_counter() - began
        self._start(self.standby_dir, self.standby_port)
        return took

    def url(self, port: int, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"

    def stop(self) -> None:
        for data in reversed(self.started):
            try:
                self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def prepare_writes(url: str) -> None:
    import psycopg

    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_writes (id bigserial PRIMARY KEY, "
                     "unit int NOT NULL, at timestamptz NOT NULL DEFAULT now(), payload text)")
        conn.execute("CREATE TABLE IF NOT EXISTS bench_counts (unit int PRIMARY KEY, "
                     "n bigint NOT NULL)")


def wait_for_replay(primary: str, standby: str, timeout: float = 120) -> float:
    """Seconds until the standby has replayed everything the primary has written so far."""
    import psycopg

    began = time.perf_counter()
    with psycopg.connect(_libpq(primary), autocommit=True) as p, \
            psycopg.connect(_libpq(standby), autocommit=True) as s:
        target = p.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        while time.perf_counter() - began < timeout:
            behind = s.execute("SELECT pg_wal_lsn_diff(%s, pg_last_wal_replay_lsn())",
                               (target,)).fetchone()[0]
            if behind <= 0:
                return time.perf_counter() - began
            time.sleep(0.05)
    raise SystemExit(f"the standby did not catch up within {timeout} s")


class LagSampler(threading.Thread):
    """Samples the standby's lag every 100 ms until stopped."""

    def __init__(self, primary: str, standby: str) -> None:
        super().__init__(daemon=True)
        self.primary, self.standby = _libpq(primary), _libpq(standby)
        self.bytes: list[float] = []
        self.seconds: list[float] = []
        self.halt = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.primary, autocommit=True) as p, \
                psycopg.connect(self.standby, autocommit=True) as s:
            while not self.halt.is_set():
                written = p.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
                behind, delay = s.execute(
                    "SELECT pg_wal_lsn_diff(%s, pg_last_wal_replay_lsn()), "
                    "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())",
                    (written,)).fetchone()
                self.bytes.append(max(float(behind), 0.0))
                self.seconds.append(max(float(delay or 0), 0.0))
                time.sleep(0.1)


def start_writes(pair: Pair, writers: int) -> subprocess.Popen:
    """pgbench writing on the primary until terminated (its rate is counted from the rows)."""
    script = pair.folder / "writes.sql"
    script.write_text(WRITE_SCRIPT, encoding="utf-8")
    if pair.as_root:
        shutil.chown(script, "postgres", "postgres")
    pgbench = shutil.which("pgbench") or str(pair.bin / "pgbench")
    return subprocess.Popen(
        [pgbench, "-n", "-h", "127.0.0.1", "-p", str(pair.port), "-U", "postgres",
         "-c", str(writers), "-j", str(writers), "-T", "3600", "-f", str(script),
         DATABASE], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def rows_written(url: str) -> int:
    import psycopg

    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        return conn.execute("SELECT coalesce(max(id), 0) FROM bench_writes").fetchone()[0]


def page_figures(app, known: dict[str, str]) -> list[str]:
    """Every figure of every combination's page (data-value attributes), for comparison."""
    from urllib.parse import urlencode

    from bench_dashboard import ANALYST, PASSWORD

    client = app.test_client()
    client.post("/dang-nhap", data={"username": ANALYST, "password": PASSWORD})
    figures = []
    for _name, query in COMBOS:
        filled = {key: value.format(**known) for key, value in query.items()}
        html = client.get(f"{PAGE}?{urlencode(filled)}").get_data(as_text=True)
        figures += re.findall(r'data-value="([^"]*)"', html)
    return figures


def measured_while_writing(pair: Pair, app, known, args, prefix: str,
                           results: list[Result]) -> tuple[int, LagSampler]:
    primary, standby = pair.url(pair.port, DATABASE), pair.url(pair.standby_port, DATABASE)
    sampler = LagSampler(primary, standby)
    writes = start_writes(pair, args.writers)
    time.sleep(2)  # pgbench connected and writing
    if writes.poll() is not None:
        raise SystemExit(f"pgbench failed: {writes.stderr.read() if writes.stderr else ''}")
    first, began = rows_written(primary), time.perf_counter()
    sampler.start()
    failures = measure(app, known, args.repetitions, prefix, results)
    written, took = rows_written(primary) - first, time.perf_counter() - began
    sampler.halt.set()
    sampler.join()
    writes.terminate()
    writes.wait()
    results.append((f"{prefix}writes_per_second", written / took, "tps"))
    return failures, sampler


def run(args: argparse.Namespace) -> tuple[list[Result], int]:
    results: list[Result] = []
    pair = Pair(args.port)
    failures = 0
    try:
        pair.start_primary()
        with tempfile.TemporaryDirectory(prefix="bench-replica-app-") as instance:
            load_args = SimpleNamespace(responses=args.responses, units=args.units,
                                        seed=args.seed, skip_daily=True)
            primary = load(pair.url(pair.port), DATABASE, instance, load_args, results)
            prepare_writes(primary)
            results.append(("basebackup_seconds", pair.start_standby(), "s"))
            standby = pair.url(pair.standby_port, DATABASE)
            results.append(("standby_catch_up_seconds", wait_for_replay(primary, standby), "s"))

            app = bench_app(primary, instance, WTF_CSRF_ENABLED=False,
                            SESSION_COOKIE_SECURE=False)
            known = facts(app)
            on_primary = page_figures(app, known)
            failures += measure(app, known, args.repetitions, "primary_idle_", results)
            app.config["REPLICA_DATABASE_URL"] = standby
            on_replica = page_figures(app, known)
            if on_primary != on_replica or not on_primary:
                raise SystemExit("the pages' figures differ between the primary and the "
                                 "replica")
            results.append(("figures_compared", len(on_primary), "values"))
            failures += measure(app, known, args.repetitions, "replica_idle_", results)

            busy, sampler = measured_while_writing(pair, app, known, args,
                                                   "replica_writing_", results)
            failures += busy
            app.config["REPLICA_DATABASE_URL"] = None
            busy, _ = measured_while_writing(pair, app, known, args,
                                             "primary_writing_", results)
            failures += busy
            results += [
                ("lag_samples", len(sampler.bytes), "count"),
                ("lag_bytes_p50", percentile(sampler.bytes, 0.5), "bytes"),
                ("lag_bytes_p95", percentile(sampler.bytes, 0.95), "bytes"),
                ("lag_bytes_max", max(sampler.bytes), "bytes"),
                ("replay_delay_p50", percentile(sampler.seconds, 0.5) * 1000, "ms"),
                ("replay_delay_p95", percentile(sampler.seconds, 0.95) * 1000, "ms"),
                ("replay_delay_max", max(sampler.seconds) * 1000, "ms"),
            ]
            with app.app_context():
                from core.extensions import db
                from core.replica import replica_engine

                db.session.remove()
                db.engine.dispose()
                app.config["REPLICA_DATABASE_URL"] = standby
                engine = replica_engine(app)
                if engine is not None:
                    engine.dispose()
    finally:
        pair.stop()
    return results, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5434,
                        help="the primary's port (the standby takes the next one)")
    parser.add_argument("--responses", type=int, default=1_000_000,
                        help="responses whose rollups are loaded")
    parser.add_argument("--units", type=int, default=250, help="units in the synthetic tree")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repetitions", type=int, default=5,
                        help="measured calls per combination and mode")
    parser.add_argument("--writers", type=int, default=2, help="pgbench clients writing")
    parser.add_argument("--smoke", action="store_true",
                        help="CI: 50,000 responses, 30 units, 1 repetition, 1 writer")
    args = parser.parse_args()
    if args.smoke:
        args.responses, args.units, args.repetitions, args.writers = 50_000, 30, 1, 1
    print(f"# replica: rollups of {args.responses:,} responses, {args.units} units, "
          f"{args.repetitions} repetitions × {len(COMBOS)} combinations, "
          f"{args.writers} writers", flush=True)
    results, failures = run(args)
    for name, value, unit in results:
        print(f"{name} {value:.1f} {unit}" if isinstance(value, float) else
              f"{name} {value} {unit}")
    if failures:
        raise SystemExit(f"{failures} dashboard page(s) did not answer 200")
    if args.smoke:
        return
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "replica",
        "at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "responses": args.responses, "units": args.units,
        "repetitions": args.repetitions, "writers": args.writers,
        "results": [{"name": n, "value": round(v, 2) if isinstance(v, float) else v, "unit": u}
                    for n, v, u in results]}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
