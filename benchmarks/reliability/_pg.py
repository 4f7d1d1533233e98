"""A throwaway PostgreSQL cluster of its own (own data folder and port), to stop and start.

Fault runs stop the database under a running service; they never touch a server that
others use. The cluster is created with ``initdb`` (trust authentication, loopback
only) and run with ``pg_ctl`` as the ``postgres`` user when run as root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Cluster", "pg_bin", "throwaway_cluster"]


def pg_bin(name: str) -> str:
    for root in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (root / name).is_file():
            return str(root / name)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"PostgreSQL's {name} is not installed")
    return found


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@dataclass
class Cluster:
    data: Path
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/hrv"

    def _ctl(self, *args: str) -> None:
        subprocess.run(_as_postgres([pg_bin("pg_ctl"), "-D", str(self.data), *args]),
                       check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        self._ctl("-l", str(self.log), "-w", "-o",
                  f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1", "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "-w", "stop")

    def running(self) -> bool:
        out = subprocess.run(_as_postgres([pg_bin("pg_ctl"), "-D", str(self.data), "status"]),
                             capture_output=True, timeout=30)
        return out.returncode == 0

    def psql(self, sql: str, db: str = "hrv") -> str:
        out = subprocess.run(
            _as_postgres([pg_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                          "postgres", "-d", db, "-At", "-c", sql]),
            check=True, capture_output=True, text=True, timeout=60,
        )
        return out.stdout.strip()


@contextlib.contextmanager
def throwaway_cluster(port: int = 5439) -> Iterator[Cluster]:
    """A new cluster on ``port`` with an empty database ``hrv``; removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="hrv-faults-pg-"))
    data = root / "data"
    log = root / "postgres.log"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    os.chmod(root, 0o777)
    subprocess.run(_as_postgres([pg_bin("initdb"), "-D", str(data), "-U", "postgres",
                                 "--auth=trust", "-E", "UTF8"]),
                   check=True, capture_output=True, timeout=120)
    cluster = Cluster(data, port, log)
    cluster.start()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                cluster.psql("CREATE DATABASE hrv", db="postgres")
                break
            except subprocess.CalledProcessError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield cluster
    finally:
        if cluster.running():
            cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
