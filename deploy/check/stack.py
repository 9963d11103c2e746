"""The deploy/ stack on loopback, from the files in deploy/: nginx (Debian's binary, its own
config, pid and logs in a temporary folder) with a self-signed certificate in front of two
gunicorn app nodes, two RQ workers and two job runners, on a fresh PostgreSQL database and a
dedicated Redis database, with an SMTP sink that counts every message it receives.

Nothing here is a copy of the production settings: the nginx site, the systemd units and the
environment file are read from deploy/ and only their addresses and paths are rewritten (each
rewrite must match, so a change in deploy/ that the check no longer covers fails it). The
units' Exec lines run as systemd would run them, and a small supervisor restarts a process that
dies, after the unit's RestartSec, when its Restart= policy says so.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from units import DEPLOY, PRODUCTION_APP, ROOT, SmtpSink, Unit, render_env, rewrite

NGINX = "/usr/sbin/nginx"
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379"
MAIN_CONF = """# Rendered by deploy/check/stack.py: the http {{ }} that Debian's
# /etc/nginx/nginx.conf gives a site, with every path inside {tmp}.
{user}worker_processes 2;
pid {tmp}/nginx.pid;
error_log {tmp}/logs/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    access_log {tmp}/logs/nginx-access.log;
    client_body_temp_path {tmp}/nginx/body;
    proxy_temp_path {tmp}/nginx/proxy;
    fastcgi_temp_path {tmp}/nginx/fastcgi;
    uwsgi_temp_path {tmp}/nginx/uwsgi;
    scgi_temp_path {tmp}/nginx/scgi;
    include {tmp}/site.conf;
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Service:
    """One running copy of a unit (or nginx), restarted by the supervisor per its policy."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    restart: str = "no"
    restart_sec: float = 0.1
    supervised: bool = True
    proc: subprocess.Popen | None = None
    restarts: int = 0
    died_at: float | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self.died_at = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def children(self) -> list[int]:
        """The processes this one forked (gunicorn's workers)."""
        found: list[int] = []
        for task in Path(f"/proc/{self.pid}/task").glob("*"):
            try:
                found += [int(p) for p in (task / "children").read_text().split()]
            except OSError:
                continue
        return found

    def kill_group(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, timeout: float = 15.0) -> None:
        self.supervised = False
        if self.proc is None:
            return
        self.kill_group(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill_group(signal.SIGKILL)
            self.proc.wait(timeout=5)
        self.kill_group(signal.SIGKILL)  # anything left in its group

    def tick(self) -> None:
        """Restart a dead process as systemd would: Restart=always, or on-failure when it did
        not exit cleanly (killed by a signal counts as a failure)."""
        if not self.supervised or self.proc is None or self.proc.poll() is None:
            return
        failed = self.proc.returncode != 0
        if self.restart == "always" or (self.restart == "on-failure" and failed):
            now = time.monotonic()
            self.died_at = self.died_at or now
            if now - self.died_at >= self.restart_sec:
                self.kill_group(signal.SIGKILL)
                self.restarts += 1
                self.start()


@dataclass
class Ports:
    https: int = field(default_factory=free_port)
    http: int = field(default_factory=free_port)
    smtp: int = field(default_factory=free_port)
    app: list[int] = field(default_factory=lambda: [free_port(), free_port()])


class Stack:
    """Start with up(), always end with down(); services are reachable as attributes."""

    def __init__(self, tmp: Path, redis_db: int, say=print):
        self.tmp, self.redis_db, self.say = tmp, redis_db, say
        self.ports = Ports()
        self.database = f"deploy_check_{secrets.token_hex(3)}_b1"
        self.database_url = f"{POSTGRES}/{self.database}"
        self.services: dict[str, Service] = {}
        self.sink: SmtpSink | None = None
        self._stop = threading.Event()
        self._supervisor: threading.Thread | None = None
        self.env: dict[str, str] = {}

    # --- set-up ---------------------------------------------------------------------------

    def up(self) -> None:
        for folder in ("logs", "nginx", "tls", "instance"):
            (self.tmp / folder).mkdir(parents=True, exist_ok=True)
        self._psql(f'CREATE DATABASE "{self.database}"')
        self._redis("FLUSHDB")
        self._certificate()
        self.env = self._environment()
        self.sink = SmtpSink(self.ports.smtp)
        self.sink.controller.start()
        app = Unit.read(DEPLOY / "langnghe@.service")
        for index, port in enumerate(self.ports.app):
            env = app.env(self.env, str(port), self.tmp / "run")
            for line in app.exec_start_pre:  # as systemd: before each start, in turn
                self._run_logged(f"app{index + 1}", app.argv(line, str(port), env))
            if index == 0:  # the first node's ExecStartPre migrated the fresh database
                self._run_logged("seed", [self._flask(), "--app", "wsgi", "core", "seed-demo"])
            self._add(f"app{index + 1}", app, str(port))
        for index in (1, 2):
            self._add(f"rq{index}", Unit.read(DEPLOY / "langnghe-rq.service"), str(index))
            self._add(f"jobs{index}", Unit.read(DEPLOY / "langnghe-jobs.service"), str(index))
        self._nginx()
        for name, service in self.services.items():
            service.start()
            self.say(f"# started {name} (pid {service.pid})")
        self._supervisor = threading.Thread(target=self._supervise, daemon=True)
        self._supervisor.start()
        self.wait_ready(180)

    def _flask(self) -> str:
        return str(ROOT / ".venv" / "bin" / "flask")

    def _environment(self) -> dict[str, str]:
        from cryptography.fernet import Fernet

        rendered = render_env({
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": f"{REDIS}/{self.redis_db}",
            "LANGNGHE_INSTANCE_PATH": str(self.tmp / "instance"),
            "LANGNGHE_CONTACT_KEYS": Fernet.generate_key().decode(),
            "LANGNGHE_MAIL_SERVER": "127.0.0.1",
            "LANGNGHE_MAIL_PORT": str(self.ports.smtp),
            "LANGNGHE_MAIL_USE_TLS": "false",
            "LANGNGHE_MAIL_USERNAME": None, "LANGNGHE_MAIL_PASSWORD": None,
            "LANGNGHE_PUBLIC_BASE_URL": f"https://127.0.0.1:{self.ports.https}",
        })
        (self.tmp / "env").write_text("".join(f"{k}={v}\n" for k, v in rendered.items()),
                                      encoding="utf-8")
        path = os.environ.get("PATH", "/usr/bin:/bin")
        return {"PATH": path, "LANG": "C.UTF-8", "HOME": str(self.tmp), **rendered}

    def _certificate(self) -> None:
        tls = self.tmp / "tls"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-days", "2", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-keyout", str(tls / "privkey.pem"), "-out", str(tls / "fullchain.pem")],
            check=True, capture_output=True)

    def _nginx(self) -> None:
        site = rewrite((DEPLOY / "nginx.conf").read_text(encoding="utf-8"), [
            ("listen 80;", f"listen 127.0.0.1:{self.ports.http};"),
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{self.ports.https} ssl http2;"),
            ("server 127.0.0.1:8000 ", f"server 127.0.0.1:{self.ports.app[0]} "),
            ("server 127.0.0.1:8001 ", f"server 127.0.0.1:{self.ports.app[1]} "),
            ("/etc/ssl/langnghe/", f"{self.tmp}/tls/"),
            ("/var/log/nginx/langnghe.access.log", f"{self.tmp}/logs/nginx-access.log"),
            (f"{PRODUCTION_APP}/", f"{ROOT}/"),
        ], "deploy/nginx.conf")
        (self.tmp / "site.conf").write_text(site, encoding="utf-8")
        # As root, nginx's workers would otherwise run as nobody, who cannot enter tmp.
        user = f"user {pwd.getpwuid(os.getuid()).pw_name};\n" if os.getuid() == 0 else ""
        (self.tmp / "nginx.conf").write_text(MAIN_CONF.format(tmp=self.tmp, user=user),
                                             encoding="utf-8")
        argv = [NGINX, "-e", str(self.tmp / "logs" / "nginx-error.log"),
                "-c", str(self.tmp / "nginx.conf"), "-g", "daemon off;"]
        test = subprocess.run([*argv[:-2], "-t"], capture_output=True, text=True)
        if test.returncode != 0:
            raise SystemExit(f"nginx -t failed:\n{test.stderr}")
        self.services["nginx"] = Service("nginx", argv, self.env, self._log("nginx"),
                                         restart="on-failure")

    def _add(self, name: str, unit: Unit, instance: str) -> None:
        env = unit.env(self.env, instance, self.tmp / "run")
        self.services[name] = Service(name, unit.argv(unit.exec_start, instance, env), env,
                                      self._log(name), unit.restart, unit.restart_sec)

    def _log(self, name: str) -> Path:
        return self.tmp / "logs" / f"{name}.log"

    def _run_logged(self, name: str, argv: list[str]) -> None:
        with self._log(name).open("ab") as out:
            done = subprocess.run(argv, cwd=ROOT, env=self.env, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=600)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv[1:])} failed; see {self._log(name)}:\n"
                             + self._log(name).read_text(errors="replace")[-3000:])

    def _supervise(self) -> None:
        while not self._stop.wait(0.1):
            for service in list(self.services.values()):
                service.tick()

    # --- probes -----------------------------------------------------------------------------

    def node_ready(self, port: int) -> bool:
        """/readyz of one node: the database, Redis and migrations answer."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                return r.status == 200
        except OSError:  # HTTPError (503) included
            return False

    def wait_ready(self, seconds: float) -> float:
        """Wait until every node is ready; returns the seconds it took."""
        began = time.monotonic()
        while time.monotonic() - began < seconds:
            if all(self.node_ready(port) for port in self.ports.app):
                return time.monotonic() - began
            for service in self.services.values():
                if service.proc and service.proc.poll() is not None and service.restart == "no":
                    raise SystemExit(f"{service.name} exited; see {service.log}")
            time.sleep(0.2)
        raise SystemExit(f"the app nodes were not ready within {seconds:.0f} s; logs in "
                         f"{self.tmp / 'logs'}")

    def node_memory(self) -> tuple[int, int]:
        """(RSS, PSS) of both app nodes, masters and workers, in bytes. RSS counts the pages
        the workers share with their master once per process; PSS splits them: the real use."""
        rss = pss = 0
        for name in ("app1", "app2"):
            service = self.services[name]
            for pid in [service.pid, *service.children()]:
                try:
                    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
                except OSError:
                    continue
                for label, value in re.findall(r"^(Rss|Pss):\s+(\d+) kB", rollup, re.M):
                    if label == "Rss":
                        rss += int(value) * 1024
                    else:
                        pss += int(value) * 1024
        return rss, pss

    def sql(self, query: str) -> list[list[str]]:
        done = subprocess.run(["psql", self.database_url, "-AtF", "\t", "-v", "ON_ERROR_STOP=1",
                               "-c", query], capture_output=True, text=True, check=True)
        return [line.split("\t") for line in done.stdout.splitlines() if line]

    # --- tear-down ----------------------------------------------------------------------------

    def down(self) -> None:
        """Stop everything this stack started and drop its database; never raises."""
        self._stop.set()
        for service in self.services.values():  # all at once: each may take its grace time
            service.supervised = False
            service.kill_group(signal.SIGTERM)
        for service in reversed(list(self.services.values())):
            try:
                service.stop()
            except Exception as error:  # noqa: BLE001  (tear down the rest regardless)
                self.say(f"# could not stop {service.name}: {error}")
        if self.sink is not None:
            try:
                self.sink.controller.stop()
            except Exception:  # noqa: BLE001,S110  (the sink thread may already be gone)
                pass
        try:
            self._psql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            self._redis("FLUSHDB")
        except Exception as error:  # noqa: BLE001
            self.say(f"# clean-up of the database or Redis failed: {error}")

    def _psql(self, statement: str) -> None:
        subprocess.run(["psql", f"{POSTGRES}/postgres", "-v", "ON_ERROR_STOP=1", "-qc",
                        statement], check=True, capture_output=True)

    def _redis(self, *command: str) -> None:
        subprocess.run(["redis-cli", "-h", "127.0.0.1", "-n", str(self.redis_db), *command],
                       check=True, capture_output=True)
