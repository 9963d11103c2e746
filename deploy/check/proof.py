"""The proof of issue 13, phase by phase, against a running Stack (deploy/check/stack.py):
limits and headers, soak, crash, slowloris, one node against two, outbox. Each phase prints
``name value unit`` lines as it goes; deploy/check/run.py checks them against its targets."""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import signal
import ssl
import subprocess
import threading
import time
from collections import Counter

from load import PHONE, Citizen, Crowd, Slowloris, Tally, closed_loop, open_loop, percentile
from stack import Stack

DESK = "LS-TTPVHCC-Q01"  # a demo desk with a desk-form point (core.demo)


def load_average() -> float:
    return os.getloadavg()[0]


class Proof:
    """The phases; ``figures`` collects every (name, value, unit) said."""

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

    def report_load(self, phase: str, tally: Tally) -> None:
        self.say(f"{phase}_submissions", tally.done, "count")
        accepted = len(tally.acked["survey"]) + len(tally.acked["pakn"])
        self.say(f"{phase}_throughput", accepted / max(tally.took, 1e-9), "submissions/s")
        self.say(f"{phase}_errors", tally.errors, "count")
        self.say(f"{phase}_not_sent", tally.not_sent, "count")
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
        before = self.stack.node_memory()
        tally = open_loop(self.crowd("soak"), args.rate, args.soak, args.threads)
        after = self.stack.node_memory()
        self.report_load("soak", tally)
        # Growth is judged on PSS (shared pages counted once); RSS is shown beside it. A
        # worker recycled by gunicorn's max_requests starts small again.
        for index, name in enumerate(("rss", "pss")):
            self.say(f"soak_{name}_start", before[index] / 2**20, "MiB")
            self.say(f"soak_{name}_end", after[index] / 2**20, "MiB")
            self.say(f"soak_{name}_growth", (after[index] - before[index]) / before[index] * 100,
                     "%")
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
        self.report_load("crash", tally)
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
        self.report_load("slow", tally)
        self.say("slow_connections_open_at_end", open_now, "count")
        self.say("slow_connections_reopened", attack.reopened, "count")
        self.reconcile("slow", tally)
        if args.direct_slowloris:
            self.slow_direct(args.direct_slowloris)

    def slow_direct(self, count: int) -> None:
        """For comparison, what nginx spares the nodes: slowloris straight at node 1's port,
        then 10 GETs of /healthz to that node, 3 s allowed each."""
        attack = Slowloris(self.stack.ports.app[0], None, count, first_source=3500)
        attack.start()
        time.sleep(3.0)
        answered, latencies = 0, []
        for _ in range(10):
            began = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.stack.ports.app[0], timeout=3)
                conn.request("GET", "/healthz")
                answered += conn.getresponse().status == 200
                conn.close()
            except OSError:
                pass
            latencies.append(time.perf_counter() - began)
        attack.stop()
        self.say("slow_direct_connections", count, "count")
        self.say("slow_direct_node_answered", answered, "of 10")
        self.say("slow_direct_node_p95", percentile(latencies, 0.95) * 1000, "ms")

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
        self.access_log(code)

    def access_log(self, code: str) -> None:
        """A status link carries the tracking code in its query: nginx must not log it."""
        Citizen(self.port, "127.0.0.11", self.tls).send("GET", f"/tra-cuu/?ma={code}")
        log = (self.stack.tmp / "logs" / "nginx-access.log").read_text(encoding="utf-8")
        self.say("access_log_lines", log.count("\n"), "count")
        self.say("access_log_tracking_codes", log.count(code), "count")

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
        # Received but not marked sent: a worker killed between the SMTP server's "250 OK" and
        # its commit. The row is sent again once its claim lease (10 min) ends: at-least-once.
        self.say("outbox_received_not_marked_sent", len(set(received) - sent), "count")
        for name in ("rq1", "rq2"):
            log = self.stack.services[name].log.read_text(errors="replace")
            self.say(f"outbox_{name}_jobs", log.count("Successfully completed"), "count")
