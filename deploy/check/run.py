"""`make deploy-check`: run the deploy/ stack on loopback and prove it (issue 13).

    .venv/bin/python deploy/check/run.py --quick      # CI: about two minutes in all
    .venv/bin/python deploy/check/run.py              # long: 10 min soak at 100 submissions/s
    .venv/bin/python bench/bench_deploy.py [...]      # the same, as a benchmark

It starts the stack of deploy/check/stack.py (nginx with a self-signed certificate, two gunicorn
nodes, two RQ workers, two job runners, a fresh PostgreSQL database, Redis database 11, an SMTP
sink), waits for /readyz on both nodes, then proves, through nginx over TLS:

  soak    desk ratings (GET /k/<code>, POST the form) and PAKN (GET /phan-anh/, POST the form),
          one in five a PAKN, open loop at --rate submissions/s from 1,000 loopback addresses:
          errors, lost and duplicated rows (stored vs acknowledged, matched by marker), p95,
          RSS growth of the app nodes;
  crash   the same load while one gunicorn worker, one whole node and one RQ worker are killed
          with SIGKILL (the node is restarted as systemd would, the worker by gunicorn), and in
          the long mode PostgreSQL is restarted: nothing acknowledged lost or duplicated, the
          killed node and the site answer again within 10 s;
  slow    200 slowloris connections (header and body dribblers) through nginx while normal
          traffic runs: its p95 and errors;
  limits  one client hammering POST /tra-cuu/ with forged X-Forwarded-For headers gets 429
          and at most the app's per-minute limit through, while a second client (127.0.0.2)
          gets 200; no answer says "Server: gunicorn" or nginx's version;
  scale   the same closed-loop load with two nodes, then with one;
  outbox  every PAKN receipt queued is sent exactly once (the SMTP sink counts Message-IDs).

Prints ``name value unit`` lines (with the load average), a verdict per target, writes
bench/results/deploy.json, tears everything down (also on failure or Ctrl-C) and exits non-zero
when a correctness target (errors, lost, duplicated, limits, headers, outbox, recovery) fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from proof import Proof, load_average  # noqa: E402  (this folder is not a package)
from stack import ROOT, Stack  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "deploy.json"
REDIS_DB = 11
# (name, comparison, limit, unit, fatal): a fatal target failing fails the check. Speed and
# restart times depend on the CPU the machine has free: reported (with the load average), not
# fatal, as in the other benchmarks; correctness is fatal.
TARGETS = [
    ("soak_errors", "==", 0, "count", True), ("soak_not_sent", "==", 0, "count", False),
    ("soak_lost", "==", 0, "count", True),
    ("soak_duplicated", "==", 0, "count", True), ("soak_p95", "<=", 300, "ms", False),
    ("soak_pss_growth", "<=", 10, "%", False),
    ("crash_lost", "==", 0, "count", True), ("crash_duplicated", "==", 0, "count", True),
    ("crash_site_back", "<=", 10, "s", True), ("crash_worker_back", "<=", 10, "s", False),
    ("crash_node_back", "<=", 10, "s", False),
    ("slow_errors", "==", 0, "count", True), ("slow_p95", "<=", 1000, "ms", False),
    ("limits_hammer_429", ">=", 1, "count", True),
    ("limits_hammer_through", "<=", 10, "count", True),
    ("limits_second_client_200", "==", 3, "count", True),
    ("headers_server_leaks", "==", 0, "count", True),
    ("access_log_lines", ">=", 1, "count", True),
    ("access_log_tracking_codes", "==", 0, "count", True),
    ("outbox_duplicates", "==", 0, "count", True), ("outbox_missing", "==", 0, "count", True),
]


def verdicts(values: dict[str, float | int]) -> tuple[list[str], list[str]]:
    lines, failed = [], []
    for name, op, limit, unit, fatal in TARGETS:
        if name not in values:
            continue
        value = values[name]
        met = {">=": value >= limit, "<=": value <= limit, "==": value == limit}[op]
        lines.append(f"# target {name} {op} {limit} {unit}: {'met' if met else 'MISSED'} "
                     f"({value:.1f})")
        if not met and fatal:
            failed.append(name)
    return lines, failed


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="CI: short phases at 10 submissions/s, no PostgreSQL restart")
    parser.add_argument("--rate", type=float, help="soak and crash submissions/s (100)")
    parser.add_argument("--soak", type=float, help="soak seconds (600)")
    parser.add_argument("--crash", type=float, help="crash phase seconds (60)")
    parser.add_argument("--slow", type=float, help="slowloris phase seconds (60)")
    parser.add_argument("--slow-rate", type=float, help="normal traffic during it (50)")
    parser.add_argument("--slowloris", type=int, default=200, help="slow connections (200)")
    parser.add_argument("--direct-slowloris", type=int,
                        help="then slowloris straight at a node, for comparison (50; quick: 0)")
    parser.add_argument("--scale", type=float, help="seconds per node count (30)")
    parser.add_argument("--threads", type=int, default=32, help="client threads (32)")
    parser.add_argument("--drain", type=float, default=30.0, help="outbox drain wait, s")
    parser.add_argument("--restart-postgres", action=argparse.BooleanOptionalAction,
                        help="restart the shared PostgreSQL cluster in the crash phase "
                             "(default: in the long mode only)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    args = parser.parse_args(argv)
    quick = {"rate": 10.0, "soak": 20.0, "crash": 20.0, "slow": 12.0, "slow_rate": 10.0,
             "scale": 8.0, "direct_slowloris": 0}
    long = {"rate": 100.0, "soak": 600.0, "crash": 60.0, "slow": 60.0, "slow_rate": 50.0,
            "scale": 30.0, "direct_slowloris": 50}
    for name, value in (quick if args.quick else long).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.restart_postgres is None:
        args.restart_postgres = not args.quick
    return args


def main(argv: list[str] | None = None, label: str | None = None) -> int:
    args = parse(argv)
    mode = label or ("quick" if args.quick else f"long-{args.rate:g}/s-{args.soak:g}s")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = Path(tempfile.mkdtemp(prefix="deploy-check-"))
    stack = Stack(tmp, REDIS_DB, say=lambda line: print(line, flush=True))
    began = time.monotonic()
    values: dict[str, float | int] = {}
    proof: Proof | None = None
    try:
        print(f"# deploy check ({mode}) in {tmp}; load average {load_average():.2f}", flush=True)
        stack.up()
        print(f"# stack ready in {time.monotonic() - began:.0f} s", flush=True)
        proof = Proof(stack, args)
        for phase in (proof.limits, proof.soak, proof.crash, proof.slow, proof.scale,
                      proof.outbox):
            phase()
    finally:
        stack.down()
        if proof is not None:
            values = {name: value for name, value, _unit in proof.figures}
        if args.keep:
            print(f"# kept {tmp}", flush=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    checks, failed = verdicts(values)
    print("\n".join(checks))
    save(mode, args, proof.figures if proof else [], checks, time.monotonic() - began)
    print(f"# deploy check ({mode}) done in {time.monotonic() - began:.0f} s: "
          + ("OK" if not failed else f"FAILED ({', '.join(failed)})"), flush=True)
    return 1 if failed else 0


def save(mode: str, args: argparse.Namespace, figures: list, checks: list[str],
         took: float) -> None:
    stored = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    runs = stored.get("runs", {})
    runs[mode] = {
        "at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "options": {k: v for k, v in vars(args).items() if k != "keep"},
        "seconds": round(took), "cpus": os.cpu_count(), "python": platform.python_version(),
        "results": [{"name": n, "value": round(v, 2) if isinstance(v, float) else v, "unit": u}
                    for n, v, u in figures],
        "targets": checks,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "deploy",
        "targets": [f"{n} {op} {limit} {unit}" for n, op, limit, unit, _f in TARGETS],
        "runs": runs}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
