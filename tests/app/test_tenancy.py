"""A key never reaches another tenant's data: every route with an id answers 404."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.app.conftest import TenantKeys
from tests.app.test_recordings import PRE, with_recordings


class TestCrossTenant:
    def test_every_route_404(
        self, client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys
    ) -> None:
        s = with_recordings(client, tenant)
        sid = s["id"]
        job = client.post(f"/v1/sessions/{sid}/reanalyze", headers=tenant.auth("admin")).json()
        key_id = tenant.key_ids["researcher"]
        batch = client.post("/v1/batches", headers=tenant.auth("researcher"), json={
            "recordings": [{"session_id": sid, "phase": "pre"}]}).json()
        routes = [
            ("GET", f"/v1/batches/{batch['id']}", None),
            ("GET", f"/v1/batches/{batch['id']}/results", None),
            ("DELETE", f"/v1/batches/{batch['id']}", None),
            ("GET", f"/v1/sessions/{sid}", None),
            ("PATCH", f"/v1/sessions/{sid}", {"notes": "taken over"}),
            ("PUT", f"/v1/sessions/{sid}/recordings/pre", PRE),
            ("GET", f"/v1/sessions/{sid}/recordings/pre", None),
            ("GET", f"/v1/sessions/{sid}/report", None),
            ("POST", f"/v1/sessions/{sid}/reanalyze", None),
            ("GET", f"/v1/jobs/{job['id']}", None),
            ("DELETE", f"/v1/keys/{key_id}", None),
            ("DELETE", f"/v1/sessions/{sid}", None),
            ("DELETE", f"/v1/clients/{s['client']}", None),
        ]
        # Every route the app serves with a path parameter is in the walk.
        spec = client.get("/openapi.json").json()["paths"]
        templated = {(m.upper(), p) for p, ops in spec.items() if "{" in p for m in ops}
        walked = {(m, p.replace(sid, "{session_id}").replace("/pre", "/{phase}")
                   .replace(job["id"], "{job_id}").replace(key_id, "{key_id}")
                   .replace(batch["id"], "{batch_id}")
                   .replace(f"/clients/{s['client']}", "/clients/{reference}"))
                  for m, p, _ in routes}
        assert templated == walked
        other = other_tenant.auth("admin")
        for method, path, body in routes:
            r = client.request(method, path, json=body, headers=other)
            assert r.status_code == 404, (method, path, r.status_code)
            assert r.headers["content-type"] == "application/problem+json"
        # Listings of the other tenant are empty, and the data is untouched.
        assert client.get("/v1/sessions", headers=other).json()["items"] == []
        assert client.get("/v1/clients", headers=other).json()["items"] == []
        own = client.get(f"/v1/sessions/{sid}", headers=tenant.auth("admin"))
        assert own.status_code == 200 and own.json()["notes"] == s["notes"]
        assert client.get(f"/v1/sessions/{sid}/report", headers=tenant.auth("admin")).status_code \
            == 200
        assert client.get("/v1/sessions", headers=tenant.auth("researcher")).status_code == 200

    @pytest.mark.parametrize("role", ["integration", "therapist", "researcher", "admin"])
    def test_filters_cannot_reach_other_tenant(
        self, client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys, role: str
    ) -> None:
        with_recordings(client, tenant)
        r = client.get("/v1/sessions", params={"client": "C-1"}, headers=other_tenant.auth(role))
        assert r.status_code == 200 and r.json()["items"] == []
