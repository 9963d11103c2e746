"""Token race: N citizens (or one impatient citizen tapping many times) submit the same
dossier's single-use rating link at the same instant, against gunicorn with 4 workers.

Expected: exactly one success (303), every other answer 409 "already rated", zero "database is
locked" (in answers or in gunicorn's log), and exactly one response stored for the dossier.

    .venv/bin/python bench/bench_token_race.py                       # SQLite, 50 requests
    .venv/bin/python bench/bench_token_race.py --postgres postgresql://postgres@127.0.0.1:5432/x
    .venv/bin/python bench/bench_token_race.py --smoke               # SQLite, 10 requests (CI)

With --postgres the URL names the server; a throwaway database bench_<random> is created with
psql and dropped afterwards. Prints ``name value unit`` lines and writes (merges into)
bench/results/token_race.json. Exits 1 when the expectation does not hold.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "token_race.json"
VENV_BIN = ROOT / ".venv" / "bin"
SECRET = "bench-token-race-secret-" + "x" * 16
MIN_FILL_SECONDS = 2
DOSSIER_CODE = "BENCH-RACE-0001"
LOCKED = "database is locked"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(instance: str, database_url: str | None) -> dict[str, str]:
    env = {**os.environ, "LANGNGHE_SECRET_KEY": SECRET, "LANGNGHE_INSTANCE_PATH": instance,
           # Every request comes from 127.0.0.1: lift the per-IP survey limit, and let the
           # waited fill time count as a person's.
           "LANGNGHE_SURVEY_POST_LIMIT": "100000 per minute",
           "LANGNGHE_SURVEY_MIN_FILL_SECONDS": str(MIN_FILL_SECONDS),
           "LANGNGHE_PREFERRED_URL_SCHEME": "http"}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _prepare(env: dict[str, str]) -> None:
    for command in (["db", "upgrade"], ["core", "seed-demo"]):
        done = subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", *command], cwd=ROOT,
                              env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(command)} failed:\n{done.stderr[-2000:]}")


def _in_app(env: dict[str, str], work):
    """Run ``work()`` inside an app built on the bench database (setup and final count)."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from core import create_app
        from core.db import write_intent
        from core.extensions import db

        app = create_app()
        with app.app_context(), write_intent():
            try:
                return work(db)
            finally:
                db.session.remove()
                db.engine.dispose()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _issue_key(db) -> str:
    from core.apikeys import issue_api_key
    from core.models import User
    from core.org import unit_by_code

    admin = db.session.scalar(db.select(User).where(User.username == "admin"))
    _key, plaintext = issue_api_key("bench one-stop system", unit_by_code("LS-TTPVHCC"),
                                    ["dossiers.write"], actor=admin)
    db.session.commit()
    return plaintext


def _responses_for_dossier(db) -> int:
    from surveys.models import Dossier, Response

    return db.session.scalar(db.select(db.func.count(Response.id)).join(
        Dossier, Dossier.id == Response.dossier_id).where(Dossier.code == DOSSIER_CODE))


def _request(port: int, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, answer.read(), dict(answer.getheaders())
    finally:
        conn.close()


def _wait_ready(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited at start")
        try:
            if _request(port, "GET", "/")[0] < 500:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 60 s")


def _token_path(port: int, key: str) -> str:
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    dossier = {"unit_code": "LS-TTPVHCC", "desk_code": "LS-TTPVHCC-Q01",
               "procedure_name": "Cấp phiếu lý lịch tư pháp",
               "received_at": "2026-06-01T08:30:00+07:00"}
    status, body, _ = _request(port, "PUT", f"/api/v1/dossiers/{DOSSIER_CODE}",
                               json.dumps(dossier).encode(), auth)
    if status not in (200, 201):
        raise RuntimeError(f"dossier PUT answered {status}: {body[:300]!r}")
    status, body, _ = _request(port, "POST", f"/api/v1/dossiers/{DOSSIER_CODE}/rating-token",
                               b"", auth)
    if status != 201:
        raise RuntimeError(f"rating-token POST answered {status}: {body[:300]!r}")
    return urlsplit(json.loads(body)["url"]).path


def _valid_form(html: str) -> dict[str, str]:
    """The signed start stamp and the highest rating of every rated radio question (none is
    required on the desk form; "not applicable" is 0, never the highest)."""
    form = {"started": re.search(r'name="started" value="([^"]+)"', html).group(1)}
    for tag in re.findall(r"<input [^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([0-9]+)"', tag)
        if 'type="radio"' in tag and name and value:
            best = max(int(value.group(1)), int(form.get(name.group(1), 0)))
            form[name.group(1)] = str(best)
    return form


def _race(port: int, path: str, body: bytes, count: int) -> tuple[list[tuple[int, bytes]], float]:
    barrier = threading.Barrier(count)
    answers: list[tuple[int, bytes]] = [(0, b"")] * count
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    def fire(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.connect()
        try:
            barrier.wait()
            conn.request("POST", path, body=body, headers=headers)
            answer = conn.getresponse()
            answers[index] = (answer.status, answer.read())
        except OSError as error:
            answers[index] = (-1, str(error).encode())
        finally:
            conn.close()

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(count)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers, time.perf_counter() - began


def run(count: int, database_url: str | None, backend: str) -> dict:
    with tempfile.TemporaryDirectory() as instance:
        env = _env(instance, database_url)
        _prepare(env)
        key = _in_app(env, _issue_key)
        port = _free_port()
        log_path = Path(instance) / "gunicorn.log"
        with open(log_path, "wb") as log:
            server = subprocess.Popen(
                [str(VENV_BIN / "gunicorn"), "-w", "4", "-b", f"127.0.0.1:{port}", "wsgi:app"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(port, server)
            path = _token_path(port, key)
            status, page, _ = _request(port, "GET", path)
            if status != 200:
                raise RuntimeError(f"the rating page answered {status}")
            body = urlencode(_valid_form(page.decode())).encode()
            time.sleep(MIN_FILL_SECONDS + 0.2)
            answers, elapsed = _race(port, path, body, count)
        finally:
            server.terminate()
            server.wait(timeout=30)
        server_log = log_path.read_text(errors="replace")
        stored = _in_app(env, _responses_for_dossier)
    statuses = Counter(status for status, _ in answers)
    locked = sum(LOCKED.encode() in text for _, text in answers) + server_log.count(LOCKED)
    success = statuses[303] + statuses[200]
    return {
        "backend": backend, "requests": count, "workers": 4,
        "success": success, "conflict_409": statuses[409],
        "other": {str(k): v for k, v in statuses.items() if k not in (200, 303, 409)},
        "database_is_locked": locked, "responses_stored": stored,
        "elapsed_s": round(elapsed, 3),
        "ok": success == 1 and statuses[409] == count - 1 and locked == 0 and stored == 1,
    }


def _throwaway_postgres(server_url: str) -> tuple[str, str]:
    name = f"bench_{secrets.token_hex(4)}"
    admin = server_url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-q", "-c", f'CREATE DATABASE "{name}"'], check=True)
    return server_url.rsplit("/", 1)[0] + f"/{name}", name


def _drop_postgres(server_url: str, name: str) -> None:
    admin = server_url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-q", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                   check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", metavar="URL", help="run on a throwaway PostgreSQL "
                        "database on this server (e.g. postgresql://postgres@127.0.0.1:5432/x)")
    parser.add_argument("--smoke", action="store_true", help="SQLite, 10 requests (CI)")
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    count = 10 if args.smoke else args.requests
    if args.postgres and not args.smoke:
        url, name = _throwaway_postgres(args.postgres)
        try:
            result = run(count, url, "postgresql")
        finally:
            _drop_postgres(args.postgres, name)
    else:
        result = run(count, None, "sqlite")
    backend = result["backend"]
    for name in ("requests", "success", "conflict_409", "database_is_locked",
                 "responses_stored"):
        print(f"token_race_{backend}_{name} {result[name]} count")
    print(f"token_race_{backend}_elapsed {result['elapsed_s']} s")
    if result["other"]:
        print(f"token_race_{backend}_other_statuses {json.dumps(result['other'])} count")
    print(f"token_race_{backend}_ok {int(result['ok'])} bool")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    saved[backend + ("_smoke" if args.smoke else "")] = {
        **result, "python": platform.python_version(), "cpus": os.cpu_count(),
        "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    RESULTS.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n")
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
