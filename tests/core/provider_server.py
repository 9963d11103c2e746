"""A fake SMS / Zalo provider for the adapter tests: a tiny http.server on loopback that records
every request (path, headers, JSON body) and answers from a script. Nothing leaves the host."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: object


@dataclass
class FakeProvider:
    url: str
    requests: list[Recorded] = field(default_factory=list)
    # Answers given in turn: (status, JSON body); the last one repeats.
    answers: list[tuple[int, object]] = field(default_factory=lambda: [(200, {"id": "m-1"})])


@contextmanager
def fake_provider() -> Iterator[FakeProvider]:
    provider = FakeProvider(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            # Header names are case-insensitive (urllib sends "Access_token"): kept lower-case.
            headers = {name.lower(): value for name, value in self.headers.items()}
            provider.requests.append(Recorded(self.path, headers,
                                              json.loads(raw.decode("utf-8"))))
            status, body = provider.answers[min(len(provider.requests),
                                                len(provider.answers)) - 1]
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
