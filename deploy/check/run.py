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
import http.client
import json
import os
import platform
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import (  # noqa: E402  (this folder is not a package)
    PHONE,
    Citizen,
    Crowd,
    Slowloris,
    Tally,
    closed_loop,
    open_loop,
    percentile,
)
from stack import ROOT, Stack  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "deploy.json"
DESK = "LS-TTPVHCC-Q01"  # a demo desk with a desk-form point (core.demo)
REDIS_DB = 11
# (name, comparison, limit, unit, fatal): a fatal target failing fails the check. Speed and
# restart times depend on the CPU the machine has free: reported (with the load average), not
# fatal, as in the other benchmarks; correctness is fatal.
TARGETS = [
    ("soak_errors", "==", 0, "count", True), ("soak_lost", "==", 0, "count", True),
    ("soak_duplicated", "==", 0, "count", True), ("soak_p95", "<=", 300, "ms", False),
    ("soak_rss_growth", "<=", 10, "%", False),
    ("crash_lost", "==", 0, "count", True), ("crash_duplicated", "==", 0, "count", True),
    ("crash_site_back", "<=", 10, "s", True), ("crash_worker_back", "<=", 10, "s", False),
    ("crash_node_back", "<=", 10, "s", False),
    ("slow_errors", "==", 0, "count", True), ("slow_p95", "<=", 1000, "ms", False),
    ("limits_hammer_429", ">=", 1, "count", True),
    ("limits_hammer_through", "<=", 10, "count", True),
    ("limits_second_client_200", "==", 3, "count", True),
    ("headers_server_leaks", "==", 0, "count", True),
    ("outbox_duplicates", "==", 0, "count", True), ("outbox_missing", "==", 0, "count", True),
]


def load_average() -> float:
    return os.getloadavg()[0]


class Proof:
    def __init__(self, stack: Stack, args: argparse.Namespace):
        self.stack, self.args = stack, args
        self.figures: list[tuple[str, float | int, str]] = []
        self.tls = ssl.create_default_context(cafile=str(stack.tmp / "tls" / "fullchain.pem"))
        self.port = stack.ports.https
        self.run_id = secrets.token_hex(3)
        self.desk = stack.sql(
            "SELECT p.public_code FROM survey_collection_points p JOIN units u "
            f"ON u.id = p.unit_id WHERE u.code = '{DESK}' AND p.active LIMIT 1")[0][0]

    def say(self, name: str, value: float | int, unit: str) -> None:
        self.figures.append((name, value, unit))
        print(f"{name} {value:.1f} {unit}" if isinstance(value, float) else
              f"{name} {value} {unit}", flush=True)

    def crowd(self, phase: str, first: int = 0) -> Crowd:
        return Crowd(self.port, self.tls, self.desk, f"{self.run_id}-{phase}", first=first)

    # --- accounting -------------------------------------------------------------------------

    def reconcile(self, phase: str, tally: Tally) -> None:
        """Stored rows against acknowledged submissions, by marker."""
        like = f"check {self.run_id}-{phase}-%"
        stored = Counter(row[0] for row in self.stack.sql(
            f"SELECT text FROM survey_response_texts WHERE text LIKE '{like}'"))
        stored += Counter(row[0] for row in self.stack.sql(
            f"SELECT title FROM feedback_cases WHERE title LIKE '{like}'"))
        acked = set(tally.acked["survey"]) | set(tally.acked["pakn"])
        self.say(f"{phase}_acknowledged", len(acked), "count")
        self.say(f"{phase}_lost", len(acked - set(stored)), "count")
        self.say(f"{phase}_duplicated", sum(1 for n in stored.values() if n > 1), "count")
        # Sent, stored, but the answer never came back (in flight when a process died).
        self.say(f"{phase}_stored_unacknowledged", len(set(stored) - acked), "count")

    def report_load(self, phase: str, tally: Tally, seconds: float) -> None:
        self.say(f"{phase}_submissions", tally.done, "count")
        self.say(f"{phase}_throughput", tally.done / max(seconds, 1e-9), "submissions/s")
        self.say(f"{phase}_errors", tally.errors, "count")
        for kind, count in sorted(tally.failed.items()):
            print(f"# {phase}: {count} × {kind}", flush=True)
        self.say(f"{phase}_p50", percentile(tally.latencies, 0.5) * 1000, "ms")
        self.say(f"{phase}_p95", percentile(tally.latencies, 0.95) * 1000, "ms")
        self.say(f"{phase}_load_1m", load_average(), "load")

    # --- phases -----------------------------------------------------------------------------

    def soak(self) -> None:
        args = self.args
        print(f"# soak: {args.rate:g} submissions/s for {args.soak:g} s through nginx", flush=True)
        open_loop(self.crowd("warm"), args.rate, 3.0, args.threads)
        rss = [self.stack.node_rss()]
        crowd = self.crowd("soak")
        tally = open_loop(crowd, args.rate, args.soak, args.threads)
        rss.append(self.stack.node_rss())
        self.report_load("soak", tally, args.soak)
        self.say("soak_rss_start", rss[0] / 2**20, "MiB")
        self.say("soak_rss_end", rss[1] / 2**20, "MiB")
        self.say("soak_rss_growth", (rss[1] - rss[0]) / rss[0] * 100, "%")
        self.reconcile("soak", tally)

    def crash(self) -> None:
        args, stack = self.args, self.stack
        seconds = args.crash
        print(f"# crash: {args.rate:g} submissions/s for {seconds:g} s; SIGKILL to a worker of "
              f"app1, all of app2 and rq1 at {seconds / 5:.0f} s"
              + (f", PostgreSQL restarted at {seconds / 2:.0f} s" if args.restart_postgres
                 else ""), flush=True)
        events: dict[str, float] = {}
        done: list[str] = []

        def during(elapsed: float) -> None:
            if elapsed >= seconds / 5 and "kill" not in done:
                done.append("kill")
                threading.Thread(target=self._kill, args=(events,), daemon=True).start()
            if args.restart_postgres and elapsed >= seconds / 2 and "pg" not in done:
                done.append("pg")
                threading.Thread(target=self._restart_postgres, args=(events,),
                                 daemon=True).start()

        tally = open_loop(self.crowd("crash"), args.rate, seconds, args.threads, during)
        deadline = time.monotonic() + 30
        while len(events) < (5 if args.restart_postgres else 3) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.report_load("crash", tally, seconds)
        # The site through nginx; app1 with its killed worker replaced by gunicorn; app2
        # restarted by the supervisor (a whole node boots: imports, then its workers).
        self.say("crash_worker_back", events.get("worker", 99.0), "s")
        self.say("crash_node_back", events.get("node", 99.0), "s")
        self.say("crash_site_back", max(events.get("site", 99.0), events.get("pg_site", 0.0)),
                 "s")
        if args.restart_postgres:
            self.say("crash_postgres_restart", events.get("pg_restart", 99.0), "s")
            self.say("crash_site_back_after_postgres", events.get("pg_site", 99.0), "s")
        self.say("crash_app2_restarts", stack.services["app2"].restarts, "count")
        self.say("crash_rq1_restarts", stack.services["rq1"].restarts, "count")
        self.reconcile("crash", tally)

    def _kill(self, events: dict[str, float]) -> None:
        stack = self.stack
        worker = stack.services["app1"].children()[0]
        os.kill(worker, signal.SIGKILL)
        stack.services["app2"].kill_group(signal.SIGKILL)
        stack.services["rq1"].kill_group(signal.SIGKILL)
        began = time.monotonic()
        print(f"# killed app1 worker {worker}, app2 (all), rq1", flush=True)
        site = Citizen(self.port, "127.0.0.8", self.tls)
        workers = int(stack.env["LANGNGHE_WORKERS"])
        while len({"site", "node", "worker"} & set(events)) < 3:
            if "site" not in events and site.send("GET", "/healthz").status == 200:
                events["site"] = time.monotonic() - began
            if "node" not in events and stack.node_ready(stack.ports.app[1]):
                events["node"] = time.monotonic() - began
            replaced = [pid for pid in stack.services["app1"].children() if pid != worker]
            if "worker" not in events and len(replaced) >= workers \
                    and stack.node_ready(stack.ports.app[0]):
                events["worker"] = time.monotonic() - began
            if time.monotonic() - began > 60:
                return
            time.sleep(0.1)

    def _restart_postgres(self, events: dict[str, float]) -> None:
        print("# WARNING: restarting the PostgreSQL cluster 15/main (shared with anything "
              "else on this machine)", flush=True)
        began = time.monotonic()
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "restart"],
                       check=False, capture_output=True)
        events["pg_restart"] = time.monotonic() - began
        began = time.monotonic()
        while time.monotonic() - began < 60:
            if all(self.stack.node_ready(port) for port in self.stack.ports.app):
                events["pg_site"] = time.monotonic() - began
                return
            time.sleep(0.1)

    def slow(self) -> None:
        args = self.args
        attack = Slowloris(self.port, self.tls, args.slowloris, first_source=3000)
        attack.start()
        time.sleep(3.0)
        print(f"# slow: {args.slowloris} slowloris connections, normal traffic at "
              f"{args.slow_rate:g} submissions/s for {args.slow:g} s", flush=True)
        tally = open_loop(self.crowd("slow", first=1000), args.slow_rate, args.slow,
                          args.threads)
        open_now = sum(1 for sock in attack.socks if sock is not None)
        attack.stop()
        self.report_load("slow", tally, args.slow)
        self.say("slow_connections_open_at_end", open_now, "count")
        self.say("slow_connections_reopened", attack.reopened, "count")
        self.reconcile("slow", tally)

    def limits(self) -> None:
        sender = Citizen(self.port, "127.0.0.9", self.tls)
        answer = sender.send_pakn(f"check {self.run_id}-limits-0")
        code = sender.tracking_code() if answer.status == 303 else None
        if code is None:
            raise SystemExit(f"limits: could not send a PAKN (status {answer.status})")
        digits = "".join(ch for ch in PHONE if ch.isdigit())[-4:]
        hammer = Citizen(self.port, "127.0.0.3", self.tls)
        statuses = Counter()
        for number in range(60):
            # First pretend to be the second client, then a new address every time.
            forged = "127.0.0.2" if number < 30 else f"198.51.100.{number}"
            statuses[hammer.look_up(code, digits, {"X-Forwarded-For": forged})] += 1
        print(f"# limits: hammer statuses {dict(statuses)}", flush=True)
        self.say("limits_hammer_429", statuses[429], "count")
        self.say("limits_hammer_through", sum(n for s, n in statuses.items() if s != 429),
                 "count")
        second = Citizen(self.port, "127.0.0.2", self.tls)
        ok = 0
        for _ in range(3):
            ok += second.look_up(code, digits) == 200
            time.sleep(0.6)
        self.say("limits_second_client_200", ok, "count")
        self.headers()

    def headers(self) -> None:
        """Neither nginx's version nor gunicorn may show in a Server header."""
        leaks = 0
        site = Citizen(self.port, "127.0.0.10", self.tls).send("GET", "/phan-anh/")
        leaks += site.headers.get("server", "") != "nginx"
        for port in self.stack.ports.app:  # a node reached directly, in plain HTTP
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/healthz")
            leaks += conn.getresponse().getheader("Server") is not None
            conn.close()
        self.say("headers_server_leaks", leaks, "count")

    def scale(self) -> None:
        args, stack = self.args, self.stack
        for nodes in (2, 1):
            if nodes == 1:
                stack.services["app2"].stop()
                time.sleep(1.0)
            tally, took = closed_loop(self.crowd(f"scale{nodes}", first=2000), args.scale,
                                      args.threads // 2)
            self.say(f"scale_{nodes}_nodes_throughput", tally.done / took, "submissions/s")
            self.say(f"scale_{nodes}_nodes_p95", percentile(tally.latencies, 0.95) * 1000, "ms")
            self.say(f"scale_{nodes}_nodes_errors", tally.errors, "count")
            self.say(f"scale_{nodes}_nodes_load_1m", load_average(), "load")
        app2 = stack.services["app2"]
        app2.supervised = True
        app2.start()
        stack.wait_ready(120)

    def outbox(self) -> None:
        """Wait for the outbox to drain, then match sent rows against the SMTP sink."""
        deadline = time.monotonic() + self.args.drain
        pending = -1
        while time.monotonic() < deadline:
            pending = int(self.stack.sql(
                "SELECT count(*) FROM outbox_messages WHERE status = 'pending'")[0][0])
            if pending == 0:
                break
            time.sleep(1.0)
        sent = {int(r[0]) for r in self.stack.sql(
            "SELECT id FROM outbox_messages WHERE status = 'sent' AND channel = 'email'")}
        received = Counter(self.stack.sink.outbox_ids())
        self.say("outbox_sent", len(sent), "count")
        self.say("outbox_pending_after_drain", pending, "count")
        self.say("outbox_received", sum(received.values()), "count")
        self.say("outbox_duplicates", sum(n - 1 for n in received.values() if n > 1), "count")
        self.say("outbox_missing", len(sent - set(received)), "count")
        for name in ("rq1", "rq2"):
            log = self.stack.services[name].log.read_text(errors="replace")
            self.say(f"outbox_{name}_jobs", log.count("Successfully completed"), "count")


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
    parser.add_argument("--scale", type=float, help="seconds per node count (30)")
    parser.add_argument("--threads", type=int, default=32, help="client threads (32)")
    parser.add_argument("--drain", type=float, default=30.0, help="outbox drain wait, s")
    parser.add_argument("--restart-postgres", action=argparse.BooleanOptionalAction,
                        help="restart the shared PostgreSQL cluster in the crash phase "
                             "(default: in the long mode only)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    args = parser.parse_args(argv)
    quick = {"rate": 10.0, "soak": 20.0, "crash": 20.0, "slow": 12.0, "slow_rate": 10.0,
             "scale": 8.0}
    long = {"rate": 100.0, "soak": 600.0, "crash": 60.0, "slow": 60.0, "slow_rate": 50.0,
            "scale": 30.0}
    for name, value in (quick if args.quick else long).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.restart_postgres is None:
        args.restart_postgres = not args.quick
    return args


def main(argv: list[str] | None = None, label: str | None = None) -> int:
    args = parse(argv)
    mode = label or ("quick" if args.quick else "long")
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
