"""Retention of idempotency records, 500 responses, and the optional /metrics token."""

from __future__ import annotations

import datetime as dt
import hashlib

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select, update

from app.config import Settings
from app.db.database import BoundDatabase
from app.db.models import IdempotencyRecord
from app.maintenance import purge_once
from tests.app.conftest import TenantKeys
from tests.app.test_sessions import SESSION


def _digest(key: str) -> str:
    # Records are filed under "<caller id>:<sha256 of the Idempotency-Key>".
    return hashlib.sha256(key.encode()).hexdigest()


def _age(db: BoundDatabase, key: str, hours: float) -> None:
    with db.session() as s:
        s.execute(update(IdempotencyRecord)
                  .where(IdempotencyRecord.key.like(f"%:{_digest(key)}")).values(
            created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)))


def _keys(db: BoundDatabase) -> set[str]:
    with db.session() as s:
        return {k.rsplit(":", 1)[1] for k in s.scalars(select(IdempotencyRecord.key)).all()}


class TestIdempotencyRetention:
    def test_purge_removes_only_expired(
        self, client: TestClient, tenant: TenantKeys, bound_db: BoundDatabase,
        settings: Settings,
    ) -> None:
        for key in ("old", "fresh"):
            r = client.post("/v1/sessions", json=SESSION,
                            headers={**tenant.auth("integration"), "Idempotency-Key": key})
            assert r.status_code == 201
        _age(bound_db, "old", settings.idempotency_ttl_hours + 1)
        _age(bound_db, "fresh", settings.idempotency_ttl_hours - 1)
        assert purge_once(bound_db, settings) == 1
        assert _keys(bound_db) == {_digest("fresh")}

    def test_expired_key_is_not_replayed(
        self, client: TestClient, tenant: TenantKeys, bound_db: BoundDatabase
    ) -> None:
        h = {**tenant.auth("integration"), "Idempotency-Key": "k"}
        first = client.post("/v1/sessions", json=SESSION, headers=h)
        assert client.post("/v1/sessions", json=SESSION, headers=h).json() == first.json()
        _age(bound_db, "k", 25)  # default retention is 24 h
        # Past retention the key is free again: a different body is a new session.
        again = client.post("/v1/sessions", json={**SESSION, "client": "C-2"}, headers=h)
        assert again.status_code == 201 and "idempotent-replayed" not in again.headers
        assert again.json()["id"] != first.json()["id"]


def _failing_app(app: FastAPI) -> TestClient:
    def boom() -> None:
        raise RuntimeError("secret client C-1042 and samples [1, 2, 3]")

    app.add_api_route("/boom", boom)
    return TestClient(app)


class TestInternalErrors:
    def test_500_is_problem_json_with_request_id(self, app: FastAPI) -> None:
        http = _failing_app(app)
        r = http.get("/boom", headers={"X-Request-ID": "req-42"})
        assert r.status_code == 500
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["x-request-id"] == "req-42"
        body = r.json()
        assert body["type"].endswith("/internal-error") and body["status"] == 500
        assert "C-1042" not in r.text and "RuntimeError" not in r.text
        metrics = http.get("/metrics").text
        assert 'route="/boom",status="500"' in metrics


class TestMetricsToken:
    def test_open_by_default(self, client: TestClient) -> None:
        assert client.get("/metrics").status_code == 200

    def test_empty_token_is_off(self, app: FastAPI) -> None:
        # compose passes HRV_METRICS_TOKEN through as "" when it is not set.
        app.state.settings = app.state.settings.model_copy(update={"metrics_token": SecretStr("")})
        assert TestClient(app).get("/metrics").status_code == 200

    def test_token_required_when_set(self, app: FastAPI) -> None:
        app.state.settings = app.state.settings.model_copy(
            update={"metrics_token": SecretStr("s3cret")})
        http = TestClient(app)
        assert http.get("/metrics").status_code == 401
        bad = http.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401
        assert bad.headers["content-type"] == "application/problem+json"
        ok = http.get("/metrics", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200 and "hrv_http_requests_total" in ok.text


class TestNulText:
    def test_nul_in_filter_is_422(self, client: TestClient, tenant: TenantKeys) -> None:
        r = client.get("/v1/sessions", params={"client": "C\x001"}, headers=tenant.auth("admin"))
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.client"

    def test_nul_in_body_never_500(self, client: TestClient, tenant: TenantKeys) -> None:
        # SQLite stores NUL, PostgreSQL refuses it: either way not a server error.
        r = client.post("/v1/sessions", json={**SESSION, "notes": "a\x00b"},
                        headers=tenant.auth("integration"))
        assert r.status_code in (201, 422), r.text
