"""``hrv-service batch`` against a live server, and ``hrv-service`` without its extra."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from tests.app.test_batches_workers import _ready, cli_key, free_port, start, stop, wait_for

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_recordings"

# The service's dependencies made unimportable, as in an install without the extra.
WITHOUT_EXTRA = """\
import sys
for name in ("pydantic", "pydantic_settings", "fastapi", "sqlalchemy", "uvicorn"):
    sys.modules[name] = None
from app.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def without_extra(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", WITHOUT_EXTRA, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def batch_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.cli", "batch", *args], cwd=ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=300)


class TestWithoutServiceExtra:
    def test_says_which_extra(self) -> None:
        out = without_extra("migrate")
        assert out.returncode == 2
        assert "pip install 'hrv-session[service]'" in out.stderr
        assert "Traceback" not in out.stderr

    def test_batch_client_needs_no_extra(self) -> None:
        out = without_extra("batch", "status", "x", "--url", "http://127.0.0.1:9", "--key", "k")
        assert out.returncode == 3 and "cannot reach the service" in out.stderr


class TestBatchClient:
    def test_submit_follow_and_fetch(self, tmp_path: Path) -> None:
        env = {"HRV_DATABASE_URL": f"sqlite:///{tmp_path}/hrv.db", "HRV_BATCH_PROCESSES": "1",
               "HRV_LOG_LEVEL": "WARNING"}
        key = cli_key(env)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = start(["serve", "--port", str(port)], env)
        client_env = {"HRV_URL": url, "HRV_KEY": key}
        try:
            wait_for(lambda: _ready(url), 60, "the server to start", server)
            sub = batch_cli("submit", str(SAMPLES), "--manifest", str(SAMPLES / "manifest.csv"),
                            "--wait", env=client_env)
            assert sub.returncode == 0, sub.stderr
            batch_id = sub.stdout.strip()
            assert len(batch_id) == 32
            assert "10/10 (0 failed)" in sub.stderr and "succeeded" in sub.stderr
            st = batch_cli("status", batch_id, env=client_env)
            assert st.returncode == 0 and "succeeded" in st.stdout
            wide = tmp_path / "wide.csv"
            res = batch_cli("results", batch_id, "-o", str(wide), "--table", "wide",
                            env=client_env)
            assert res.returncode == 0, res.stderr
            rows = list(csv.DictReader(io.StringIO(wide.read_text())))
            assert [r["file"] for r in rows] == [
                r["file"] for r in csv.DictReader(io.StringIO(
                    (SAMPLES / "manifest.csv").read_text()))]
            assert all(r["source"] for r in rows)  # a manifest column of our own
            shifts = tmp_path / "shifts.parquet"
            assert batch_cli("results", batch_id, "-o", str(shifts), "--table", "shifts",
                             env=client_env).returncode == 0
            assert pq.read_table(shifts).num_rows == 5

            # A manifest naming a file that is not there: nothing is uploaded.
            manifest = tmp_path / "manifest.csv"
            manifest.write_text("file,participant\nnsr001_pre.txt,P1\nabsent.txt,P2\n")
            bad = batch_cli("submit", str(SAMPLES), "--manifest", str(manifest), env=client_env)
            assert bad.returncode == 2 and "absent.txt" in bad.stderr
            # A key the service refuses.
            refused = batch_cli("status", batch_id, env={**client_env, "HRV_KEY": "hrv_x_y"})
            assert refused.returncode == 2 and "401" in refused.stderr
        finally:
            stop(server)
