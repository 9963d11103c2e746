"""What deploy/check/stack.py reads from deploy/: the environment file and the systemd units
(rendered for loopback), and the SMTP sink the rendered mail settings point at."""

from __future__ import annotations

import re
import shlex
import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PRODUCTION_APP = "/srv/langnghe/app"
PRODUCTION_RUN = "/run/langnghe"


def rewrite(text: str, replacements: list[tuple[str, str]], what: str) -> str:
    """Apply each (old, new); every old must occur, or deploy/ changed under the check."""
    for old, new in replacements:
        if old not in text:
            raise SystemExit(f"{what}: '{old}' not found; update deploy/check/stack.py")
        text = text.replace(old, new)
    return text


def render_env(overrides: dict[str, str | None]) -> dict[str, str]:
    """deploy/env.example with ``overrides`` (None drops a variable). Each override must be a
    variable the example documents."""
    values: dict[str, str] = {}
    for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line.strip())
        if match:
            values[match.group(1)] = match.group(2).strip().strip('"')
    unknown = sorted(set(overrides) - set(values))
    if unknown:
        raise SystemExit(f"deploy/env.example does not list {', '.join(unknown)}")
    for name, value in overrides.items():
        if value is None:
            values.pop(name)
        else:
            values[name] = value
    return values


@dataclass
class Unit:
    """The parts of a systemd unit file that say how to run its service."""

    name: str
    exec_start_pre: list[str]
    exec_start: str
    environment: dict[str, str]
    restart: str
    restart_sec: float
    working_directory: str

    @classmethod
    def read(cls, path: Path) -> Unit:
        keys: dict[str, list[str]] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(r"^(\w+)=(.*)$", line.strip())
            if match:
                keys.setdefault(match.group(1), []).append(match.group(2))
        env = dict(item.split("=", 1) for item in keys.get("Environment", []))
        return cls(path.name, keys.get("ExecStartPre", []), keys["ExecStart"][0], env,
                   keys.get("Restart", ["no"])[0],
                   float(keys.get("RestartSec", ["0.1"])[0].rstrip("s")),
                   keys["WorkingDirectory"][0])

    def argv(self, line: str, instance: str, env: dict[str, str]) -> list[str]:
        """systemd's expansion of %i, %H and ${VAR}, with the app folder moved to ROOT."""
        line = line.replace("%i", instance).replace("%H", socket.gethostname())
        line = line.replace(PRODUCTION_APP, str(ROOT))
        line = re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], line)
        return shlex.split(line)

    def env(self, base: dict[str, str], instance: str, run_dir: Path) -> dict[str, str]:
        """The unit's own Environment= over the environment file; its RuntimeDirectory
        (/run/langnghe) moved to ``run_dir``."""
        own = {k: v.replace("%i", instance).replace(PRODUCTION_RUN, str(run_dir))
               for k, v in self.environment.items()}
        return {**base, **own}


class SmtpSink:
    """An SMTP server on loopback that records the Message-ID of everything it receives."""

    def __init__(self, port: int):
        from aiosmtpd.controller import Controller

        self.port, self.ids, self.lock = port, [], threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_DATA(self, _server, _session, envelope) -> str:  # noqa: N802 (aiosmtpd)
        message = message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.ids.append(str(message.get("Message-ID", "")))
        return "250 OK"

    def outbox_ids(self) -> list[int]:
        """The outbox row id of each message received (core.outbox puts it in Message-ID)."""
        with self.lock:
            return [int(m.group(1)) for i in self.ids if (m := re.search(r"outbox(\d+)", i))]
