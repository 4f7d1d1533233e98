"""Concurrent writes on the embedded SQLite database queue for the write lock.

A deferred SQLite transaction that reads and then writes cannot wait for another writer
(it fails at once with "database is locked"), which the service answered as 503 to most
of a handful of concurrent uploads. Against a real server on a file database, every
request of several writers at once must succeed.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from pathlib import Path

from tests.app.test_batches_workers import _ready, cli_key, free_port, start, stop, wait_for

RR_MS = [800 + (i % 7) * 10 for i in range(360)]


def _call(url: str, key: str, method: str, body: dict[str, object]) -> tuple[int, bytes]:
    req = urllib.request.Request(url, json.dumps(body).encode(), method=method, headers={
        "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return int(resp.status), resp.read()
    except urllib.error.HTTPError as err:
        return int(err.code), err.read()


def test_concurrent_uploads_on_sqlite_all_succeed(tmp_path: Path) -> None:
    env = {"HRV_DATABASE_URL": f"sqlite:///{tmp_path}/hrv.db", "HRV_LOG_LEVEL": "WARNING",
           "HRV_RATE_LIMIT_PER_S": "0"}
    key = cli_key(env, "admin")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start(["serve", "--port", str(port), "--workers", "2"], env)
    statuses: list[int] = []
    failures: list[bytes] = []
    lock = threading.Lock()

    def writer(t: int) -> None:
        for i in range(5):
            code, body = _call(base + "/v1/sessions", key, "POST",
                               {"client": f"C-{t}-{i % 2}", "modality": "massage"})
            codes = [code]
            if code == 201:
                sid = json.loads(body)["id"]
                code2, body2 = _call(base + f"/v1/sessions/{sid}/recordings/pre", key, "PUT",
                                     {"kind": "rr", "rr_ms": RR_MS})
                codes.append(code2)
                body = body2
            with lock:
                statuses.extend(codes)
                if any(c >= 300 for c in codes):
                    failures.append(body[:300])

    try:
        wait_for(lambda: _ready(base), 60, "the server to start", server)
        threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        stop(server)
    assert failures == []
    assert statuses == [201] * 80
