"""Citizens for the proof: HTTPS keep-alive clients, each from its own loopback source address
(the whole 127.0.0.0/8 is this machine's), that read a public form and post it back with the
form's own fields as a browser does; an open-loop driver; slowloris connections.

Every submission carries a marker (the PAKN title, the survey's free comment) so the proof can
match what was acknowledged (a 303) against what is stored, row by row.
"""

from __future__ import annotations

import http.client
import random
import re
import secrets
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

TAG = re.compile(r"<(input|textarea|select)\b([^>]*)>")
ATTR = re.compile(r'([\w-]+)(?:="([^"]*)")?')
TRACKING = re.compile(r'class="pakn-code"[^>]*>\s*([^<\s][^<]*?)\s*<')
PAKN_UNIT = "LS-SNV"  # a demo agency (core.demo)
PHONE = "0912 000 111"
# What a keep-alive connection closed by the server looks like when it is used again.
STALE = (ConnectionError, ssl.SSLEOFError, http.client.RemoteDisconnected)


def source(index: int) -> str:
    """The index-th citizen's own address: 127.0.1.1, 127.0.1.2, … (250 a block)."""
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


def form_fields(page: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(named single values, radio groups with their values) of the form on ``page``."""
    values: dict[str, str] = {}
    radios: dict[str, list[str]] = {}
    for tag, raw in TAG.findall(page):
        attrs = {name: value for name, value in ATTR.findall(raw)}
        name = attrs.get("name")
        if not name:
            continue
        kind = attrs.get("type", tag)
        if kind == "radio":
            radios.setdefault(name, []).append(attrs.get("value", ""))
        elif kind in ("hidden", "text", "textarea"):
            values[name] = attrs.get("value", "")
    return values, radios


def multipart(fields: dict[str, str]) -> tuple[str, bytes]:
    """A browser's multipart/form-data body (the PAKN form has a file input)."""
    boundary = "----check" + secrets.token_hex(12)
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
             for name, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; '
                 f'filename=""\r\nContent-Type: application/octet-stream\r\n\r\n\r\n')
    body = "".join(parts) + f"--{boundary}--\r\n"
    return f"multipart/form-data; boundary={boundary}", body.encode()


@dataclass
class Answer:
    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)


class Citizen:
    """One browser: a keep-alive TLS connection from its own address and a cookie jar."""

    def __init__(self, port: int, address: str, tls: ssl.SSLContext):
        self.port, self.address, self.tls = port, address, tls
        self.cookies: dict[str, str] = {}
        self.lock = threading.Lock()
        self.conn: http.client.HTTPSConnection | None = None

    def send(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> Answer:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        reused = self.conn is not None
        try:
            answer = self._exchange(method, path, body, headers)
            text = answer.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            self.conn.close()
            self.conn = None
            # nginx closes a keep-alive connection idle for keepalive_timeout; as a browser
            # does, send a GET again on a new connection (a POST always follows its GET on a
            # live connection, and is never sent twice).
            if not (reused and method == "GET" and isinstance(error, STALE)):
                return Answer(0)
            return self.send(method, path, body, headers)
        for header in answer.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            self.cookies.update({name: morsel.value for name, morsel in jar.items()})
        if answer.will_close:
            self.conn.close()
            self.conn = None
        return Answer(answer.status, text, {k.lower(): v for k, v in answer.headers.items()})

    def _exchange(self, method: str, path: str, body: bytes | None,
                  headers: dict[str, str]) -> http.client.HTTPResponse:
        if self.conn is None:
            self.conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30,
                                                    context=self.tls,
                                                    source_address=(self.address, 0))
        self.conn.request(method, path, body=body, headers=headers)
        return self.conn.getresponse()

    def rate_desk(self, code: str, marker: str) -> int:
        """GET the desk survey, POST every item rated (random 1–5) and the marker as comment.
        Returns the POST's status (0: no answer; the GET's status when it failed)."""
        page = self.send("GET", f"/k/{code}")
        if page.status != 200:
            return page.status or -1
        values, radios = form_fields(page.body)
        values.update({name: random.choice(options) for name, options in radios.items()})
        values.update(comment=marker, website="")
        answer = self.send("POST", f"/k/{code}", urlencode(values).encode(),
                           {"Content-Type": "application/x-www-form-urlencoded"})
        return answer.status

    def send_pakn(self, marker: str) -> Answer:
        """GET /phan-anh/, POST a formal report (contact data, email reply) titled ``marker``."""
        page = self.send("GET", f"/phan-anh/?unit={PAKN_UNIT}")
        if page.status != 200:
            return Answer(page.status or -1)
        values, _radios = form_fields(page.body)
        values.update({
            "kind": "report", "topic": "procedures", "unit": PAKN_UNIT, "title": marker,
            "content": "Tôi nộp hồ sơ tại bộ phận một cửa đã quá hạn trả kết quả nhưng chưa "
                       "nhận được thông báo lý do. Đề nghị kiểm tra và trả lời.",
            "sender_type": "person", "name": "Nguyễn Văn Thử", "phone": PHONE,
            "address": "Số 1 đường Thử nghiệm, phường Đông Kinh, tỉnh Lạng Sơn",
            "email": "thu.nghiem@example.vn", "reply_channel": "email", "consent": "y"})
        content_type, body = multipart(values)
        return self.send("POST", "/phan-anh/", body, {"Content-Type": content_type})

    def tracking_code(self) -> str | None:
        """The code the "sent" page shows after send_pakn (same session)."""
        page = self.send("GET", "/phan-anh/da-gui")
        found = TRACKING.search(page.body)
        return found.group(1) if found else None

    def look_up(self, code: str, digits: str, extra: dict[str, str] | None = None) -> int:
        """GET /tra-cuu/, then POST the code and the phone's last four digits."""
        page = self.send("GET", "/tra-cuu/", headers=extra)
        if page.status != 200:
            return page.status
        values, _radios = form_fields(page.body)
        values.update(code=code, digits=digits)
        return self.send("POST", "/tra-cuu/", urlencode(values).encode(),
                         {"Content-Type": "application/x-www-form-urlencoded",
                          **(extra or {})}).status


@dataclass
class Tally:
    """What a load run saw: acknowledged markers per kind, failures, latencies (s)."""

    acked: dict[str, list[str]] = field(default_factory=lambda: {"survey": [], "pakn": []})
    failed: Counter = field(default_factory=Counter)
    # Due but never sent: the run's time was up while every client thread still waited for
    # the server (it could not keep up with the rate).
    not_sent: int = 0
    took: float = 0.0  # seconds from the first due time to the last answer
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, marker: str, status: int, latency: float) -> None:
        with self.lock:
            self.latencies.append(latency)
            if status == 303:
                self.acked[kind].append(marker)
            else:
                self.failed[f"{kind}:{status}"] += 1

    @property
    def errors(self) -> int:
        return sum(self.failed.values())

    @property
    def done(self) -> int:
        return len(self.latencies)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


class Crowd:
    """Citizens 0…n-1 and the submission they make: a desk rating, or one PAKN in
    ``pakn_every`` submissions."""

    def __init__(self, port: int, tls: ssl.SSLContext, desk_code: str, run: str,
                 size: int = 1000, pakn_every: int = 5, first: int = 0):
        self.citizens = [Citizen(port, source(first + i), tls) for i in range(size)]
        self.desk_code, self.run, self.pakn_every = desk_code, run, pakn_every
        self.counter = iter(range(10**9))
        self.counter_lock = threading.Lock()

    def submit(self, tally: Tally, due: float | None = None) -> None:
        """One submission by the next citizen; latency counts from ``due`` when given."""
        with self.counter_lock:
            number = next(self.counter)
        citizen = self.citizens[number % len(self.citizens)]
        marker = f"check {self.run}-{number}"
        began = time.perf_counter() if due is None else due
        with citizen.lock:
            if number % self.pakn_every == self.pakn_every - 1:
                kind, status = "pakn", citizen.send_pakn(marker).status
            else:
                kind, status = "survey", citizen.rate_desk(self.desk_code, marker)
        tally.add(kind, marker, status, time.perf_counter() - began)


def open_loop(crowd: Crowd, rate: float, seconds: float, threads: int,
              during: Callable[[float], None] | None = None) -> Tally:
    """Submission i is due at start + i/rate whatever happened to the others (latency from
    that moment: no coordinated omission). A submission still unsent 15 s after the run's end
    is counted as not sent, so a server that cannot keep up ends the run anyway.
    ``during(elapsed)`` is called about every 0.2 s."""
    tally, total = Tally(), int(rate * seconds)
    next_index, lock = [0], threading.Lock()
    start = time.perf_counter() + 0.1
    cutoff = start + seconds + 15

    def work() -> None:
        while True:
            with lock:
                index = next_index[0]
                next_index[0] += 1
                if index < total and time.perf_counter() > cutoff:
                    tally.not_sent += total - index
                    next_index[0] = total
                    return
            if index >= total:
                return
            due = start + index / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            crowd.submit(tally, due)

    workers = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    while any(worker.is_alive() for worker in workers):
        if during is not None:
            during(time.perf_counter() - start)
        time.sleep(0.2)
    tally.took = time.perf_counter() - start
    return tally


def closed_loop(crowd: Crowd, seconds: float, threads: int) -> tuple[Tally, float]:
    """Every thread submits again as soon as its last submission is answered."""
    tally, deadline = Tally(), time.perf_counter() + seconds
    began = time.perf_counter()

    def work() -> None:
        while time.perf_counter() < deadline:
            crowd.submit(tally)

    workers = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return tally, time.perf_counter() - began


class Slowloris:
    """``count`` connections that never finish: half dribble a request header (one line every
    few seconds), half send a POST header and dribble its body. Each one closed by the server
    is opened again, so the pressure stays at ``count``."""

    def __init__(self, port: int, tls: ssl.SSLContext | None, count: int, first_source: int):
        self.port, self.tls, self.count, self.first = port, tls, count, first_source
        self.socks: list[socket.socket | None] = [None] * count
        self.reopened = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _open(self, index: int) -> socket.socket | None:
        try:
            raw = socket.create_connection(("127.0.0.1", self.port), timeout=5,
                                           source_address=(source(self.first + index), 0))
            sock = self.tls.wrap_socket(raw, server_hostname="127.0.0.1") if self.tls else raw
            if index % 2:
                sock.sendall(b"POST /phan-anh/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                             b"application/x-www-form-urlencoded\r\nContent-Length: 100000"
                             b"\r\n\r\nkind=report")
            else:
                sock.sendall(b"GET /phan-anh/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            return sock
        except OSError:
            return None

    def _run(self) -> None:
        for index in range(self.count):
            self.socks[index] = self._open(index)
        while not self._stop.wait(2.0):
            for index, sock in enumerate(self.socks):
                try:
                    if sock is None:
                        raise OSError
                    sock.sendall(b"&x=1" if index % 2 else b"X-Slow: 1\r\n")
                except OSError:
                    if sock is not None:
                        sock.close()
                    self.reopened += 1
                    self.socks[index] = self._open(index)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        for sock in self.socks:
            if sock is not None:
                sock.close()
