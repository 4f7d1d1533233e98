"""Strict input, CSV cells, disconnects, the last admin key, rate limits, CLI errors."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.auth import RateLimiter, SharedRateLimiter
from app.cli import main
from app.config import Settings
from app.db.database import BoundDatabase
from app.errors import TooManyRequests
from app.main import create_app
from tests.app.conftest import TenantKeys
from tests.app.test_recordings import POST, PRE
from tests.app.test_sessions import SESSION, create

RR = [800.0 + (i % 7) for i in range(300)]


def _problem(r: Any, field: str, words: str) -> None:
    assert r.status_code == 422, r.text
    body = r.json()
    assert r.headers["content-type"] == "application/problem+json"
    fields = [e["field"] for e in body.get("errors", [])]
    assert any(f.endswith(field) or field in f for f in fields), body
    assert words in body["detail"], body["detail"]


class TestStrictInput:
    @pytest.mark.parametrize("value", ["800", True])
    def test_rr_as_strings_or_booleans_refused(
        self, client: TestClient, tenant: TenantKeys, value: Any
    ) -> None:
        s = create(client, tenant)
        body = {"kind": "rr", "rr_ms": [value, *RR]}
        r = client.put(f"/v1/sessions/{s['id']}/recordings/pre", json=body,
                       headers=tenant.auth("integration"))
        _problem(r, "rr_ms.0", "valid number")
        r = client.post("/v1/analyses", json=body, headers=tenant.auth("integration"))
        assert r.status_code == 422, r.text

    def test_samples_as_strings_refused(self, client: TestClient, tenant: TenantKeys) -> None:
        body = {"kind": "ecg", "sampling_rate_hz": 250, "samples": ["0.1"] * 5000}
        r = client.post("/v1/analyses", json=body, headers=tenant.auth("integration"))
        _problem(r, "samples.0", "valid number")

    def test_flags_as_numbers_refused(self, client: TestClient, tenant: TenantKeys) -> None:
        body = {"kind": "rr", "rr_ms": RR, "valid": [1] * len(RR)}
        r = client.post("/v1/analyses", json=body, headers=tenant.auth("integration"))
        _problem(r, "valid.0", "valid boolean")

    def test_self_report_as_string_refused(
        self, client: TestClient, tenant: TenantKeys
    ) -> None:
        r = client.post("/v1/sessions", json={**SESSION, "pre": {"anxiety": "7"}},
                        headers=tenant.auth("integration"))
        _problem(r, "pre.anxiety", "valid number")

    def test_naive_started_at_refused(self, client: TestClient, tenant: TenantKeys) -> None:
        r = client.post("/v1/sessions", json={**SESSION, "started_at": "2025-03-04T10:00:00"},
                        headers=tenant.auth("integration"))
        _problem(r, "started_at", "timezone")

    @pytest.mark.parametrize("when", ["9999-01-01T00:00:00Z", "1900-05-01T10:00:00+01:00"])
    def test_implausible_year_refused(
        self, client: TestClient, tenant: TenantKeys, when: str
    ) -> None:
        r = client.post("/v1/sessions", json={**SESSION, "started_at": when},
                        headers=tenant.auth("integration"))
        _problem(r, "started_at", "must lie between 1990-01-01")

    def test_patch_is_as_strict(self, client: TestClient, tenant: TenantKeys) -> None:
        s = create(client, tenant)
        r = client.patch(f"/v1/sessions/{s['id']}", json={"started_at": "2025-03-04 10:00"},
                         headers=tenant.auth("integration"))
        assert r.status_code == 422
        r = client.patch(f"/v1/sessions/{s['id']}", json={"duration_min": "50"},
                         headers=tenant.auth("integration"))
        assert r.status_code == 422

    def test_offset_time_and_integers_accepted(
        self, client: TestClient, tenant: TenantKeys
    ) -> None:
        s = create(client, tenant, started_at="2025-03-04T11:00:00+01:00", duration_min=50)
        got = dt.datetime.fromisoformat(s["started_at"].replace("Z", "+00:00"))
        assert got == dt.datetime(2025, 3, 4, 10, tzinfo=dt.UTC)


class TestCsvCells:
    def test_formula_cells_escaped(self, client: TestClient, tenant: TenantKeys) -> None:
        s = create(client, tenant, client="=HYPERLINK(\"http://x\")", modality="+cmd|calc")
        for phase, body in (("pre", PRE), ("post", POST)):
            assert client.put(f"/v1/sessions/{s['id']}/recordings/{phase}", json=body,
                              headers=tenant.auth("integration")).status_code == 201
        r = client.get(f"/v1/sessions/{s['id']}/report",
                       headers={**tenant.auth("admin"), "Accept": "text/csv"})
        assert r.status_code == 200
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert rows
        for row in rows:
            assert row["client"] == "'=HYPERLINK(\"http://x\")"
            assert row["modality"] == "'+cmd|calc"
            for cell in row.values():
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
        # Negative numbers stay numbers.
        assert any(row["delta"].startswith("-") for row in rows)


class TestClientDisconnect:
    def test_disconnect_mid_body_is_not_a_server_error(
        self, app: FastAPI, client: TestClient, tenant: TenantKeys,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        s = create(client, tenant)
        sent: list[dict[str, Any]] = []
        chunks: list[dict[str, Any]] = [
            {"type": "http.request", "body": b'{"kind": "rr", "rr_ms": [800, ', "more_body": True},
            {"type": "http.disconnect"},
        ]

        async def receive() -> dict[str, Any]:
            return chunks.pop(0) if chunks else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "PUT", "scheme": "http", "path": f"/v1/sessions/{s['id']}/recordings/pre",
            "raw_path": f"/v1/sessions/{s['id']}/recordings/pre".encode(), "query_string": b"",
            "headers": [(b"host", b"test"), (b"content-type", b"application/json"),
                        (b"authorization", tenant.auth("integration")["Authorization"].encode())],
            "client": ("127.0.0.1", 5000), "server": ("test", 80), "root_path": "",
        }
        capsys.readouterr()
        asyncio.run(app(scope, receive, send))
        start = next(m for m in sent if m["type"] == "http.response.start")
        assert start["status"] < 500
        metrics = client.get("/metrics").text
        assert re.search(r'hrv_http_requests_total\{[^}]*status="5\d\d"', metrics) is None
        assert 'status="499"' in metrics
        assert "unhandled_error" not in capsys.readouterr().err
        # Nothing was stored.
        got = client.get(f"/v1/sessions/{s['id']}", headers=tenant.auth("admin")).json()
        assert got["recordings"] == []


class TestLastAdminKey:
    def test_last_admin_key_cannot_be_revoked(
        self, client: TestClient, tenant: TenantKeys
    ) -> None:
        admin = tenant.auth("admin")
        r = client.delete(f"/v1/keys/{tenant.key_ids['admin']}", headers=admin)
        assert r.status_code == 409, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert "last admin key" in r.json()["detail"]
        assert client.get("/v1/keys", headers=admin).status_code == 200
        # With a second admin key the first can go, and then the second is the last.
        second = client.post("/v1/keys", json={"role": "admin"}, headers=admin).json()
        assert client.delete(f"/v1/keys/{tenant.key_ids['admin']}", headers=admin
                             ).status_code == 204
        h2 = {"Authorization": f"Bearer {second['key']}"}
        assert client.delete(f"/v1/keys/{second['id']}", headers=h2).status_code == 409
        # Other roles' keys are revoked as before.
        assert client.delete(f"/v1/keys/{tenant.key_ids['researcher']}", headers=h2
                             ).status_code == 204


class TestRateLimit:
    def test_bucket_refills_at_its_rate(self) -> None:
        bucket = RateLimiter(rate_per_s=2.0, burst=3)
        for _ in range(3):
            bucket.take("k", now=100.0)
        with pytest.raises(TooManyRequests) as exc:
            bucket.take("k", now=100.0)
        assert exc.value.retry_after_s == 1
        bucket.take("other", now=100.0)  # buckets are per key
        bucket.take("k", now=100.5)  # half a second brings one token back at 2/s
        with pytest.raises(TooManyRequests):
            bucket.take("k", now=100.5)

    def test_429_with_retry_after(
        self, app: FastAPI, client: TestClient, tenant: TenantKeys
    ) -> None:
        app.state.settings = app.state.settings.model_copy(
            update={"rate_limit_per_s": 0.01, "rate_limit_burst": 3})
        h = tenant.auth("researcher")
        assert [client.get("/v1/sessions", headers=h).status_code for _ in range(3)] == [200] * 3
        r = client.get("/v1/sessions", headers=h)
        assert r.status_code == 429
        assert r.headers["content-type"] == "application/problem+json"
        assert int(r.headers["retry-after"]) >= 1
        # Another key of the same tenant has its own bucket.
        assert client.get("/v1/sessions", headers=tenant.auth("admin")).status_code == 200

    def test_shared_bucket_refills_at_its_rate(
        self, bound_db: BoundDatabase, tenant: TenantKeys
    ) -> None:
        key, other = tenant.key_ids["researcher"], tenant.key_ids["admin"]
        bucket = SharedRateLimiter(bound_db, rate_per_s=2.0, burst=3)
        for _ in range(3):
            bucket.take(key, now=100.0)
        with pytest.raises(TooManyRequests) as exc:
            bucket.take(key, now=100.0)
        assert exc.value.retry_after_s == 1
        bucket.take(other, now=100.0)
        bucket.take(key, now=100.5)
        with pytest.raises(TooManyRequests):
            bucket.take(key, now=100.5)
        # A refused request took nothing: 0.5 s later there is a token again.
        bucket.take(key, now=101.0)
        # A clock a little behind (another machine) neither refills nor breaks the bucket.
        with pytest.raises(TooManyRequests):
            bucket.take(key, now=99.0)

    def test_one_budget_across_server_processes(
        self, settings: Settings, bound_db: BoundDatabase, tenant: TenantKeys
    ) -> None:
        # Two application instances stand for two server processes on one database.
        cfg = settings.model_copy(update={"rate_limit_per_s": 0.01, "rate_limit_burst": 4,
                                          "rate_limit_shared": True})
        clients = []
        for _ in range(2):
            application = create_app(cfg)
            application.state.db.dispose()
            application.state.db = bound_db
            clients.append(TestClient(application))
        h = tenant.auth("researcher")
        codes = [clients[i % 2].get("/v1/sessions", headers=h).status_code for i in range(6)]
        assert codes == [200, 200, 200, 200, 429, 429]


_SECRETISH = re.compile(r"[0-9a-f]{40,}|hrv_[0-9a-f]{8}_")


class TestCliErrors:
    def _run(self, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
        rc = main(list(argv))
        out = capsys.readouterr()
        return rc, out.out, out.err

    def test_unknown_tenant_is_one_line(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        url = f"sqlite:///{tmp_path}/cli.db"
        assert main(["--database-url", url, "migrate"]) == 0
        capsys.readouterr()
        rc, out, err = self._run(capsys, "--database-url", url, "create-key",
                                 "--tenant", "nope", "--role", "admin")
        assert rc != 0 and out == ""
        assert len(err.strip().splitlines()) == 1, err
        assert "no tenant 'nope'" in err and "create-tenant" in err
        assert "Traceback" not in err and not _SECRETISH.search(err)

    def test_database_errors_show_no_statement(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        # An empty database without tables: the insert fails inside SQLAlchemy.
        url = f"sqlite:///{tmp_path}/empty.db"
        rc, out, err = self._run(capsys, "--database-url", url, "create-key",
                                 "--tenant", "t", "--role", "admin")
        assert rc != 0 and out == "" and len(err.strip().splitlines()) == 1, err
        assert "hrv-service migrate" in err
        assert "Traceback" not in err and "INSERT" not in err and "SELECT" not in err
        assert not _SECRETISH.search(err)

    def test_revoking_last_admin_is_one_line(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        url = f"sqlite:///{tmp_path}/cli.db"
        assert main(["--database-url", url, "create-tenant", "Clinic"]) == 0
        out = capsys.readouterr().out
        tenant_id, prefix = out.split()[1], out.strip().splitlines()[-1].split()[-1][:12]
        rc, out, err = self._run(capsys, "--database-url", url, "revoke-key",
                                 "--tenant", tenant_id, prefix)
        assert rc != 0 and len(err.strip().splitlines()) == 1 and "last admin key" in err
        assert not _SECRETISH.search(err)
