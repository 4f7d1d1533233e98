"""A real uvicorn server in a subprocess, on loopback, with its memory read from /proc."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]

__all__ = ["ROOT", "Server", "free_port", "make_tenant", "running_server"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_tenant(database_url: str) -> dict[str, str]:
    """Migrate ``database_url`` and create a tenant with one key per role (keys by role)."""
    from app.auth import Role
    from app.config import Settings
    from app.db.database import Database, migrate
    from app.services.keys import create_key, create_tenant

    url = Settings(database_url=database_url).sqlalchemy_url
    db = Database.from_url(url)
    try:
        migrate(db.engine)
        with db.session() as s:
            tenant, admin = create_tenant(s, f"reliability-{os.getpid()}-{time.time_ns()}")
            keys = {"admin": admin.key}
            for role in (Role.INTEGRATION, Role.RESEARCHER):
                keys[role.value] = create_key(s, tenant.id, role).key
            keys["therapist"] = create_key(s, tenant.id, Role.THERAPIST, therapist="T-1").key
            s.commit()
    finally:
        db.dispose()
    return keys


@dataclass
class Server:
    """One server process; ``peak_rss_mb`` is read from its /proc status."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _status(self, field: str) -> float:
        text = Path(f"/proc/{self.proc.pid}/status").read_text()
        for line in text.splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
        raise RuntimeError(f"{field} not in /proc/{self.proc.pid}/status")

    def rss_mb(self) -> float:
        return self._status("VmRSS")

    def peak_rss_mb(self) -> float:
        return self._status("VmHWM")

    def reset_peak(self) -> float:
        """Reset the peak-RSS counter to the current RSS (Linux clear_refs 5); returns it."""
        Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")
        return self.rss_mb()

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready in {timeout_s} s: {self.log.read_text()[-2000:]}")

    def kill(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def start_server(env: Mapping[str, str], log: Path, port: int | None = None) -> Server:
    port = port or free_port()
    full = {**os.environ, "HRV_LOG_LEVEL": "WARNING", "HRV_IDEMPOTENCY_PURGE_INTERVAL_S": "0",
            **env}
    code = (
        "import uvicorn; from app.main import create_app; "
        f"uvicorn.run(create_app(), host='127.0.0.1', port={port}, log_level='warning', "
        "access_log=False, timeout_keep_alive=30)"
    )
    out = log.open("ab")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=full, stdout=out,
                            stderr=subprocess.STDOUT)
    server = Server(proc, port, log)
    server.wait_ready()
    return server


@contextlib.contextmanager
def running_server(env: Mapping[str, str], log: Path) -> Iterator[Server]:
    server = start_server(env, log)
    try:
        yield server
    finally:
        server.kill()
