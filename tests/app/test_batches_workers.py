"""Batches with real processes: a worker killed with SIGKILL mid-batch, the API killed
mid-batch (queue workers carry on), a server running its own pool killed mid-batch. Each
time the batch completes with every item analysed exactly once."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from app.auth import Role
from app.config import JobBackend, Settings
from app.db.database import Database
from app.db.models import BatchItem, BatchResult
from app.jobs.queue import apply_schema
from app.main import create_app
from app.services.keys import create_key, create_tenant
from tests._procs import alive, children_of
from tests.app._signals import ecg
from tests.app.conftest import create_pg_database, drop_pg_database

ROOT = Path(__file__).resolve().parents[2]


def ecg_study(n_items: int, dur_s: float = 120) -> bytes:
    """A ZIP of ``n_items`` 250 Hz ECG CSV files (four distinct signals, reused)."""
    signals = [("".join(f"{v:.4f}\n" for v in ecg(hr_bpm=55 + 5 * k, dur_s=dur_s, seed=k))
                ).encode() for k in range(4)]
    lines = ["file,participant,session,phase,kind,sampling_rate_hz,format"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(n_items):
            name = f"ecg_{i:03d}.csv"
            z.writestr(name, signals[i % 4])
            lines.append(f"{name},P{i // 2:03d},1,{'pre' if i % 2 == 0 else 'post'},ecg,250,csv")
        z.writestr("manifest.csv", "\n".join(lines) + "\n")
    return buf.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], bool], timeout_s: float, what: str,
             proc: subprocess.Popen[bytes] | None = None, poll_s: float = 0.2) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: the process exited\n{output(proc)}")
        time.sleep(poll_s)
    raise AssertionError(f"timed out waiting for {what}" + (f"\n{output(proc)}" if proc else ""))


def output(proc: subprocess.Popen[bytes]) -> str:
    if proc.poll() is None:
        proc.kill()
    out, _ = proc.communicate(timeout=15)
    return (out or b"").decode(errors="replace")[-3000:]


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "app.cli", *args], cwd=ROOT,
                            env={**os.environ, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


def item_counts(db: Database, batch_id: str) -> dict[str, int]:
    with db.session() as s:
        rows = s.execute(select(BatchItem.status, func.count()).where(
            BatchItem.batch_id == batch_id).group_by(BatchItem.status)).all()
    return {str(k): int(v) for k, v in rows}


def assert_exactly_once(db: Database, batch_id: str, n_items: int) -> list[BatchItem]:
    with db.session() as s:
        items = list(s.scalars(select(BatchItem).where(BatchItem.batch_id == batch_id)))
        results = list(s.scalars(select(BatchResult).where(BatchResult.batch_id == batch_id)))
    assert len(items) == n_items
    assert {i.status for i in items} == {"succeeded"}
    assert len(results) == n_items
    assert sorted(r.item_id for r in results) == sorted(i.id for i in items)
    return items


@pytest.fixture()
def pg() -> Iterator[tuple[str, Database]]:
    admin, pgdb = create_pg_database("hrv_batchw")
    db = Database.from_url(pgdb.url)
    try:
        yield pgdb.url, db
    finally:
        db.dispose()
        drop_pg_database(admin, pgdb)


WORKER_ENV = {"HRV_JOB_BACKEND": "procrastinate", "HRV_LOG_LEVEL": "WARNING",
              "HRV_WORKER_HEARTBEAT_S": "1", "HRV_WORKER_STALLED_AFTER_S": "3",
              "HRV_WORKER_RECOVERY_INTERVAL_S": "1"}


@pytest.mark.postgres
class TestQueueWorkers:
    def test_sigkill_worker_mid_batch(self, pg: tuple[str, Database]) -> None:
        url, db = pg
        # Enough items that one worker is still busy with them when the test looks
        # (a 2-minute ECG takes a few milliseconds to analyse).
        n = 80
        settings = Settings(database_url=url, job_backend=JobBackend.PROCRASTINATE,
                            log_level="WARNING", max_body_bytes=20_000_000)
        app = create_app(settings)
        workers: list[subprocess.Popen[bytes]] = []
        env = {**WORKER_ENV, "HRV_DATABASE_URL": url}
        try:
            with TestClient(app) as client:
                apply_schema(settings)
                with app.state.db.session() as s:
                    tenant, _ = create_tenant(s, "study lab")
                    key = create_key(s, tenant.id, Role.RESEARCHER).key
                h = {"Authorization": f"Bearer {key}"}
                r = client.post("/v1/batches", content=ecg_study(n),
                                headers={**h, "content-type": "application/zip"})
                assert r.status_code == 202, r.text
                batch_id = r.json()["id"]
                # The jobs were deferred with the batch, in its transaction: chunks of
                # items that together name every item once.
                with db.engine.connect() as conn:
                    chunks = [list(r[0]) for r in conn.execute(text(
                        "SELECT args->'item_ids' FROM procrastinate_jobs "
                        "WHERE task_name = 'run_batch_items' AND status = 'todo'"))]
                with db.session() as s:
                    ids = {i.id for i in s.scalars(select(BatchItem).where(
                        BatchItem.batch_id == batch_id))}
                assert len(chunks) > 2
                assert sorted(i for c in chunks for i in c) == sorted(ids)

                workers.append(start(["worker"], env))
                def mid_batch() -> bool:
                    counts = item_counts(db, batch_id)
                    return counts.get("succeeded", 0) >= 5 and counts.get("running", 0) >= 1

                wait_for(mid_batch, 90, "the first worker to be mid-batch", workers[0],
                         poll_s=0.01)
                workers[0].send_signal(signal.SIGKILL)
                workers[0].wait(timeout=10)
                counts = item_counts(db, batch_id)
                assert counts.get("succeeded", 0) < n, "the batch ended before the kill"
                with db.session() as s:
                    stranded = [i.id for i in s.scalars(select(BatchItem).where(
                        BatchItem.batch_id == batch_id, BatchItem.status == "running"))]

                workers.append(start(["worker"], env))
                wait_for(lambda: client.get(f"/v1/batches/{batch_id}", headers=h
                                            ).json()["status"] == "succeeded",
                         180, "the second worker to finish the batch", workers[1])
                items = assert_exactly_once(db, batch_id, n)
                by_id = {i.id: i for i in items}
                # The item the killed worker held was run again, and written once.
                for item_id in stranded:
                    assert by_id[item_id].attempts >= 2
                wide = client.get(f"/v1/batches/{batch_id}/results?table=wide",
                                  headers=h).text.splitlines()
                # One row per file (each row names its own file): no duplicate, none lost.
                assert len(wide) == n + 1 and len(set(wide)) == n + 1
        finally:
            for w in workers:
                stop(w)
            app.state.db.dispose()

    @pytest.mark.parametrize("settle_s", [2.0, 0.0], ids=["waiting", "starting"])
    def test_supervised_workers_stop_when_the_supervisor_is_killed(
        self, pg: tuple[str, Database], settle_s: float
    ) -> None:
        # "waiting": both workers are past start-up, waiting for jobs; "starting": the
        # supervisor dies while they are still importing (a slow host), before they
        # look at their parent.
        url, _ = pg
        supervisor = start(["worker", "--processes", "2"], {**WORKER_ENV, "HRV_DATABASE_URL": url})
        try:
            wait_for(lambda: len(children_of(supervisor.pid)) == 2, 60,
                     "two worker processes", supervisor)
            workers = children_of(supervisor.pid)
            time.sleep(settle_s)
            supervisor.send_signal(signal.SIGKILL)
            supervisor.wait(timeout=10)
            wait_for(lambda: not alive(workers), 30, "the workers to stop", None)
        finally:
            stop(supervisor)

    def test_two_processes_share_a_batch(self, pg: tuple[str, Database]) -> None:
        url, db = pg
        n = 12
        settings = Settings(database_url=url, job_backend=JobBackend.PROCRASTINATE,
                            log_level="WARNING", max_body_bytes=5_000_000)
        app = create_app(settings)
        worker = None
        try:
            with TestClient(app) as client:
                apply_schema(settings)
                with app.state.db.session() as s:
                    tenant, _ = create_tenant(s, "study lab")
                    key = create_key(s, tenant.id, Role.RESEARCHER).key
                h = {"Authorization": f"Bearer {key}"}
                batch_id = client.post("/v1/batches", content=ecg_study(n), headers={
                    **h, "content-type": "application/zip"}).json()["id"]
                worker = start(["worker", "--processes", "2"],
                               {**WORKER_ENV, "HRV_DATABASE_URL": url})
                wait_for(lambda: client.get(f"/v1/batches/{batch_id}", headers=h
                                            ).json()["status"] == "succeeded",
                         120, "two worker processes to finish the batch", worker)
                assert_exactly_once(db, batch_id, n)
                with db.engine.connect() as conn:
                    alive = conn.execute(text(
                        "SELECT count(*) FROM procrastinate_workers")).scalar()
                # Two worker processes registered (and heartbeat), each with its own GIL.
                assert alive == 2
        finally:
            stop(worker)
            app.state.db.dispose()


@pytest.mark.postgres
class TestQueueServer:
    def test_sigkill_api_mid_batch(self, pg: tuple[str, Database]) -> None:
        """The API killed with SIGKILL while a worker runs its batch, then started again:
        the worker carries on meanwhile and every item is analysed exactly once."""
        url, db = pg
        n = 120  # enough that the worker is still busy when the API is killed
        env = {**WORKER_ENV, "HRV_DATABASE_URL": url, "HRV_MAX_BODY_BYTES": "20000000"}
        subprocess.run([sys.executable, "-m", "app.cli", "migrate"], cwd=ROOT, check=True,
                       env={**os.environ, **env}, capture_output=True)
        key = cli_key(env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start(["serve", "--port", str(port)], env)
        worker = None
        try:
            wait_for(lambda: _ready(base), 60, "the API to start", server)
            code, st = _http("POST", base + "/v1/batches", key, ecg_study(n, dur_s=180),
                             "application/zip")
            assert code == 202
            batch_id = st["id"]
            worker = start(["worker"], env)
            wait_for(lambda: item_counts(db, batch_id).get("succeeded", 0) >= 3, 90,
                     "the worker's first items", worker, poll_s=0.01)
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=10)
            mid = item_counts(db, batch_id).get("succeeded", 0)
            assert mid < n, "the batch ended before the API was killed"
            wait_for(lambda: item_counts(db, batch_id).get("succeeded", 0) > mid, 60,
                     "the worker to go on without the API", worker)

            server = start(["serve", "--port", str(port)], env)
            wait_for(lambda: _ready(base), 60, "the API to restart", server)
            wait_for(lambda: _http("GET", f"{base}/v1/batches/{batch_id}", key)[1]["status"]
                     == "succeeded", 180, "the batch to finish", worker)
            assert_exactly_once(db, batch_id, n)
            with db.engine.connect() as conn:
                jobs = dict(conn.execute(text(
                    "SELECT status, count(*) FROM procrastinate_jobs "
                    "WHERE task_name = 'run_batch_items' GROUP BY status")).all())
            assert set(jobs) == {"succeeded"}
            req = urllib.request.Request(f"{base}/v1/batches/{batch_id}/results?table=wide",
                                         headers={"Authorization": f"Bearer {key}"})
            with urllib.request.urlopen(req, timeout=60) as resp:
                wide = resp.read().decode().splitlines()
            assert len(wide) == n + 1 and len(set(wide)) == n + 1
        finally:
            stop(worker)
            stop(server)


def _http(method: str, url: str, key: str, body: bytes | None = None,
          content_type: str | None = None) -> tuple[int, Any]:
    req = urllib.request.Request(url, data=body, method=method)
    req.add_header("Authorization", f"Bearer {key}")
    if content_type:
        req.add_header("Content-Type", content_type)
    with urllib.request.urlopen(req, timeout=60) as resp:
        return int(resp.status), json.loads(resp.read())


def _ready(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
            return int(resp.status) == 200
    except OSError:
        return False


def cli_key(env: dict[str, str], role: str = "researcher") -> str:
    """A tenant and a key of ``role`` made with the command line."""
    out = subprocess.run([sys.executable, "-m", "app.cli", "create-tenant", "lab"], cwd=ROOT,
                         env={**os.environ, **env}, capture_output=True, text=True, check=True)
    tenant = out.stdout.split()[1]
    admin = out.stdout.strip().rsplit(" ", 1)[-1]
    if role == "admin":
        return admin
    out = subprocess.run([sys.executable, "-m", "app.cli", "create-key", "--tenant", tenant,
                          "--role", role], cwd=ROOT, env={**os.environ, **env},
                         capture_output=True, text=True, check=True)
    return out.stdout.strip().rsplit(" ", 1)[-1]


class TestInProcessServer:
    def test_http_workers_stop_when_their_supervisor_is_killed(self, tmp_path: Path) -> None:
        """`serve --workers 2` killed with SIGKILL: its worker processes (and their batch
        pools) do not serve on without it."""
        env = {"HRV_DATABASE_URL": f"sqlite:///{tmp_path}/hrv.db", "HRV_BATCH_PROCESSES": "1",
               "HRV_LOG_LEVEL": "WARNING"}
        cli_key(env)  # creates and migrates the database
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start(["serve", "--port", str(port), "--workers", "2"], env)
        try:
            wait_for(lambda: _ready(base), 60, "the server to start", server)
            wait_for(lambda: len(children_of(server.pid)) >= 2, 30, "two HTTP workers", server)
            time.sleep(2.0)  # past start-up: pools started
            family = [c for w in children_of(server.pid) for c in [w, *children_of(w)]]
            assert len(family) >= 4, family  # two workers, each with its pool process
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=10)
            wait_for(lambda: not alive(family), 30, "the workers and their pools to exit")
            assert not _ready(base)
        finally:
            stop(server)

    def test_sigkill_server_mid_batch(self, tmp_path: Path) -> None:
        n = 150  # outcomes are written in groups: enough items to be killed midway
        url = f"sqlite:///{tmp_path}/hrv.db"
        env = {"HRV_DATABASE_URL": url, "HRV_BATCH_PROCESSES": "1", "HRV_LOG_LEVEL": "WARNING",
               "HRV_MAX_BODY_BYTES": "20000000"}
        key = cli_key(env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        db = Database.from_url(url)
        server = start(["serve", "--port", str(port)], env)
        try:
            wait_for(lambda: _ready(base), 60, "the server to start", server)
            code, st = _http("POST", base + "/v1/batches", key, ecg_study(n), "application/zip")
            assert code == 202
            batch_id = st["id"]
            wait_for(lambda: item_counts(db, batch_id).get("succeeded", 0) >= 3, 90,
                     "the first items", server, poll_s=0.01)
            pool = children_of(server.pid)
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=10)
            assert item_counts(db, batch_id).get("succeeded", 0) < n
            # Its pool processes do not outlive it (they would wait for work for ever).
            assert pool, "the server had no pool processes"
            wait_for(lambda: not alive(pool), 15, "the pool processes to exit", None)
            server = start(["serve", "--port", str(port)], env)
            wait_for(lambda: _ready(base), 60, "the server to restart", server)
            wait_for(lambda: _http("GET", f"{base}/v1/batches/{batch_id}", key)[1]["status"]
                     == "succeeded", 180, "the restarted server to finish the batch", server)
            assert_exactly_once(db, batch_id, n)
        finally:
            stop(server)
            db.dispose()
