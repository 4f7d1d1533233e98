"""Re-analysis through a real procrastinate worker process on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.auth import Role
from app.config import JobBackend, Settings
from app.jobs.queue import apply_schema
from app.main import create_app
from app.services.keys import create_key, create_tenant
from tests.app._signals import rr_body
from tests.app.conftest import create_pg_database, drop_pg_database

ROOT = Path(__file__).resolve().parents[2]


class TestProcrastinateWorker:
    def test_worker_runs_reanalysis(self, tmp_path: Path) -> None:
        admin, db = create_pg_database("hrv_worker")
        settings = Settings(database_url=db.url, job_backend=JobBackend.PROCRASTINATE,
                            log_level="WARNING")
        worker: subprocess.Popen[bytes] | None = None
        app = create_app(settings)
        try:
            with TestClient(app) as client:  # the lifespan applies the migrations
                assert apply_schema(settings) is True
                with app.state.db.session() as s:
                    tenant, adm = create_tenant(s, "worker clinic")
                    integ = create_key(s, tenant.id, Role.INTEGRATION)
                h_admin = {"Authorization": f"Bearer {adm.key}"}
                h_int = {"Authorization": f"Bearer {integ.key}"}
                sid = client.post("/v1/sessions", json={"client": "C-w"},
                                  headers=h_int).json()["id"]
                for phase, seed in (("pre", 21), ("post", 22)):
                    r = client.put(f"/v1/sessions/{sid}/recordings/{phase}",
                                   json=rr_body(seed=seed, dur_s=180), headers=h_int)
                    assert r.status_code == 201, r.text
                r = client.post(f"/v1/sessions/{sid}/reanalyze", headers=h_admin)
                assert r.status_code == 202
                job_id = r.json()["id"]
                # Deferred, not run: no worker yet.
                assert client.get(f"/v1/jobs/{job_id}",
                                  headers=h_admin).json()["status"] == "queued"
                env = {**os.environ, "HRV_DATABASE_URL": db.url,
                       "HRV_JOB_BACKEND": "procrastinate", "HRV_LOG_LEVEL": "WARNING"}
                worker = subprocess.Popen(
                    [sys.executable, "-m", "app.cli", "worker"], cwd=ROOT, env=env,
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                )
                status = "queued"
                deadline = time.monotonic() + 90
                while time.monotonic() < deadline and status in ("queued", "running"):
                    time.sleep(0.5)
                    job = client.get(f"/v1/jobs/{job_id}", headers=h_admin).json()
                    status = job["status"]
                    if worker.poll() is not None:
                        break
                assert status == "succeeded", (job, _output(worker))
                assert job["result"]["phases"] == ["post", "pre"]
        finally:
            if worker is not None and worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
            app.state.db.dispose()
            drop_pg_database(admin, db)


def _output(proc: subprocess.Popen[bytes]) -> str:
    if proc.poll() is None:
        proc.terminate()
    out, _ = proc.communicate(timeout=15)
    return out.decode(errors="replace")[-3000:]


pytestmark = pytest.mark.postgres
