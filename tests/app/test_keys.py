"""API keys: hashing, one-time display, roles, revocation."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.auth import generate_key, hash_key
from app.db.database import BoundDatabase
from app.db.repositories import KeyRepository
from tests.app.conftest import TenantKeys


class TestKeyFormat:
    def test_only_hash_is_stored(self, bound_db: BoundDatabase, tenant: TenantKeys) -> None:
        secret = tenant.keys["admin"]
        with bound_db.session() as s:
            row = KeyRepository(s).by_hash_unscoped(hash_key(secret))
            assert row is not None
            assert row.key_hash != secret and len(row.key_hash) == 64
            assert secret.startswith(row.prefix + "_")

    def test_keys_are_random(self) -> None:
        assert generate_key().secret != generate_key().secret


class TestAuth:
    def test_missing_key_401(self, client: TestClient) -> None:
        r = client.get("/v1/sessions")
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["www-authenticate"] == "Bearer"

    def test_wrong_key_401(self, client: TestClient) -> None:
        r = client.get("/v1/sessions", headers={"Authorization": "Bearer hrv_0000_nothing"})
        assert r.status_code == 401
        assert r.json()["type"].endswith("/unauthorized")


class TestKeyManagement:
    def test_create_shows_secret_once(self, client: TestClient, tenant: TenantKeys) -> None:
        r = client.post("/v1/keys", json={"role": "researcher", "name": "study"},
                        headers=tenant.auth("admin"))
        assert r.status_code == 201, r.text
        created = r.json()
        assert created["key"].startswith(created["prefix"])
        listed = client.get("/v1/keys", headers=tenant.auth("admin")).json()
        assert created["id"] in [k["id"] for k in listed]
        assert all("key" not in k for k in listed)
        # The new key works.
        r2 = client.get("/v1/sessions", headers={"Authorization": f"Bearer {created['key']}"})
        assert r2.status_code == 200

    def test_therapist_key_needs_therapist(self, client: TestClient, tenant: TenantKeys) -> None:
        r = client.post("/v1/keys", json={"role": "therapist"}, headers=tenant.auth("admin"))
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"]

    def test_non_admin_forbidden(self, client: TestClient, tenant: TenantKeys) -> None:
        for role in ("integration", "therapist", "researcher"):
            r = client.post("/v1/keys", json={"role": "admin"}, headers=tenant.auth(role))
            assert r.status_code == 403, role
            assert r.json()["type"].endswith("/forbidden")

    def test_revoked_key_rejected(self, client: TestClient, tenant: TenantKeys) -> None:
        headers = tenant.auth("researcher")
        assert client.get("/v1/sessions", headers=headers).status_code == 200
        r = client.delete(f"/v1/keys/{tenant.key_ids['researcher']}",
                          headers=tenant.auth("admin"))
        assert r.status_code == 204
        r = client.get("/v1/sessions", headers=headers)
        assert r.status_code == 401
        assert "revoked" in r.json()["detail"]

    def test_revoke_unknown_404(self, client: TestClient, tenant: TenantKeys) -> None:
        r = client.delete("/v1/keys/" + "0" * 32, headers=tenant.auth("admin"))
        assert r.status_code == 404
