"""Faults: the database unreachable or stopped, the API and a worker killed.

The first test needs nothing: the app points at a port where no database listens.
The others run ``benchmarks/reliability/faults.py`` scenarios with real processes: a
throwaway PostgreSQL cluster of their own (port 5439), uvicorn and procrastinate
subprocesses. They are skipped where PostgreSQL's server binaries are not installed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.db.database import Database
from app.main import create_app

try:
    from benchmarks.reliability._pg import Cluster, pg_bin, throwaway_cluster

    pg_bin("initdb")
    _HAVE_PG = os.geteuid() != 0 or shutil.which("runuser") is not None
except FileNotFoundError:
    _HAVE_PG = False

needs_pg_server = pytest.mark.skipif(not _HAVE_PG, reason="PostgreSQL server binaries absent")
def _free_port() -> int:
    """A loopback port nothing listens on now (a leftover server must not fail the run)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_PORT = int(os.environ.get("HRV_TEST_FAULTS_PG_PORT", "0")) or _free_port()


class TestDatabaseUnreachable:
    def test_every_request_is_a_503_problem_with_retry_after(self) -> None:
        app = create_app(Settings(
            database_url="postgresql+psycopg://postgres@127.0.0.1:9/none",
            migrate_on_startup=False, log_level="CRITICAL", idempotency_purge_interval_s=0,
        ))
        app.state.db.dispose()
        app.state.db = Database.from_url(
            "postgresql+psycopg://postgres@127.0.0.1:9/none?connect_timeout=2"
        )
        client = TestClient(app)
        auth = {"Authorization": "Bearer hrv_" + "a" * 40}
        for method, path, kw in (
            ("GET", "/v1/sessions", {}),
            ("POST", "/v1/analyses", {"json": {"kind": "rr", "rr_ms": [800.0] * 300}}),
            ("POST", "/v1/sessions", {"json": {"client": "C-1"}}),
        ):
            r = client.request(method, path, headers=auth, **kw)
            assert r.status_code == 503, (path, r.status_code, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert int(r.headers["Retry-After"]) > 0
            assert r.json()["status"] == 503
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200


@pytest.fixture()
def cluster() -> Iterator[Cluster]:
    with throwaway_cluster(_PORT) as c:
        yield c


@pytest.mark.slow
@needs_pg_server
class TestFaultScenarios:
    def test_database_stopped_mid_run(self, cluster: Cluster, tmp_path: Path) -> None:
        from benchmarks.reliability.faults import database_outage

        out = database_outage(cluster, tmp_path, outage_s=3.0)
        assert out["statuses"].get("503", 0) > 0, out
        assert out["statuses"].get("500", 0) == 0, out
        assert out["readyz_while_down"] == 503, out
        assert out["sessions_in_db"] == out["sessions_created"], out
        assert out["recordings_without_analysis"] == 0, out
        assert out["problems"] == [], out

    def test_api_killed_during_upload(self, cluster: Cluster, tmp_path: Path) -> None:
        from benchmarks.reliability.faults import api_kill

        out = api_kill(cluster, tmp_path, trials=3)
        assert out["problems"] == [], out
        assert all(t["recordings"] == 1 for t in out["trials"]), out
        assert not out["trials"][0]["visible_after_kill"], out  # half a body: nothing stored
        assert all(t["replayed_header"] == "true" for t in out["trials"]), out

    def test_worker_killed_mid_job(self, cluster: Cluster, tmp_path: Path) -> None:
        from benchmarks.reliability.faults import worker_kill

        out = worker_kill(cluster, tmp_path)
        assert out["status_at_kill"] == "running", out
        assert out["final"] == "succeeded", out
        assert out["ok"], out
