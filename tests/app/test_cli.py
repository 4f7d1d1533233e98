"""The ``hrv-service`` CLI: tenants, keys, revocation and the demo loader (SQLite)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.cli import main
from app.config import Settings
from app.demo import pair_files
from app.main import create_app


class TestCli:
    def test_tenant_key_revoke_demo(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        url = f"sqlite:///{tmp_path}/cli.db"
        assert main(["--database-url", url, "create-tenant", "Clinic"]) == 0
        out = capsys.readouterr().out
        tenant_id = out.split()[1]
        admin_key = out.strip().splitlines()[-1].split()[-1]
        assert main(["--database-url", url, "create-key", "--tenant", tenant_id,
                     "--role", "researcher"]) == 0
        line = capsys.readouterr().out.strip()
        prefix, key = line.split()[2], line.split()[-1]
        client = TestClient(create_app(Settings(database_url=url, auth_cache_seconds=0)))
        h = {"Authorization": f"Bearer {key}"}
        assert client.get("/v1/sessions", headers=h).status_code == 200
        assert main(["--database-url", url, "revoke-key", "--tenant", tenant_id, prefix]) == 0
        assert client.get("/v1/sessions", headers=h).status_code == 401
        assert client.get("/v1/keys", headers={"Authorization": f"Bearer {admin_key}"}
                          ).status_code == 200

        # The demo tolerates an empty sample folder: it loads a synthetic session.
        monkeypatch.setenv("HRV_SAMPLE_RECORDINGS_DIR", str(tmp_path / "none"))
        assert main(["--database-url", url, "demo", "--no-serve"]) == 0
        assert "loaded 1 demo session" in capsys.readouterr().out

        # purge: a write with an Idempotency-Key leaves one record; a 0 h retention
        # purges it, the default 24 h keeps it.
        admin = {"Authorization": f"Bearer {admin_key}", "Idempotency-Key": "cli-1"}
        assert client.post("/v1/sessions", json={"client": "C-9"}, headers=admin
                           ).status_code == 201
        assert main(["--database-url", url, "purge"]) == 0
        assert "purged 0 " in capsys.readouterr().out
        assert main(["--database-url", url, "purge", "--older-than-hours", "0"]) == 0
        assert "purged 1 " in capsys.readouterr().out

    def test_demo_names_the_port_it_serves_on(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("HRV_SAMPLE_RECORDINGS_DIR", str(tmp_path / "none"))
        url = f"sqlite:///{tmp_path}/demo.db"
        assert main(["--database-url", url, "demo", "--no-serve", "--port", "8123"]) == 0
        out = capsys.readouterr().out
        assert "pages: http://127.0.0.1:8123/" in out
        monkeypatch.setenv("HRV_PORT", "8124")
        assert main(["--database-url", f"sqlite:///{tmp_path}/demo2.db", "demo",
                     "--no-serve"]) == 0
        assert "pages: http://127.0.0.1:8124/" in capsys.readouterr().out

    def test_pair_files(self, tmp_path: Path) -> None:
        for name in ("a_pre.csv", "a_post.csv", "x.txt", "y.txt", "README.md",
                     "manifest.csv", "raw_360hz.f32"):
            (tmp_path / name).write_text("1")
        pairs = [(p.name, q.name) for p, q in pair_files(tmp_path)]
        assert pairs == [("a_pre.csv", "a_post.csv"), ("x.txt", "y.txt")]

    def test_shipped_samples_pair_by_name_only(self) -> None:
        folder = Path(__file__).resolve().parents[2] / "sample_recordings"
        pairs = pair_files(folder)
        assert pairs
        for pre, post in pairs:
            assert "pre" in pre.stem and post.name == pre.name.replace("pre", "post")
