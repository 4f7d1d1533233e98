"""Sessions: creation, validation, idempotency, listing with cursors and filters."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.app.conftest import TenantKeys

SESSION: dict[str, Any] = {
    "client": "C-1", "therapist": "T-1", "modality": "massage",
    "started_at": "2025-03-04T10:00:00Z", "duration_min": 50, "questionnaire": "gad7",
    "pre": {"anxiety": 7, "questionnaire_score": 12},
    "post": {"anxiety": 3, "questionnaire_score": 6},
}


def create(http: TestClient, tenant: TenantKeys, **over: Any) -> dict[str, Any]:
    r = http.post("/v1/sessions", json={**SESSION, **over}, headers=tenant.auth("integration"))
    assert r.status_code == 201, r.text
    return r.json()


class TestCreate:
    def test_created_with_location(self, client: TestClient, tenant: TenantKeys) -> None:
        r = client.post("/v1/sessions", json=SESSION, headers=tenant.auth("integration"))
        assert r.status_code == 201
        body = r.json()
        assert r.headers["location"] == f"/v1/sessions/{body['id']}"
        assert body["client"] == "C-1" and body["therapist"] == "T-1"
        assert body["pre"] == {"anxiety": 7.0, "questionnaire_score": 12.0}
        assert body["recordings"] == []
        got = client.get(f"/v1/sessions/{body['id']}", headers=tenant.auth("admin"))
        assert got.status_code == 200 and got.json() == body
        assert body["started_at"] in ("2025-03-04T10:00:00Z", "2025-03-04T10:00:00+00:00")

    def test_validation_errors_are_field_problems(
        self, client: TestClient, tenant: TenantKeys
    ) -> None:
        bad = {**SESSION, "pre": {"anxiety": 11}, "modality": 3}
        r = client.post("/v1/sessions", json=bad, headers=tenant.auth("integration"))
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        fields = {e["field"] for e in r.json()["errors"]}
        assert "pre.anxiety" in fields and "modality" in fields

    def test_gad7_range(self, client: TestClient, tenant: TenantKeys) -> None:
        bad = {**SESSION, "pre": {"questionnaire_score": 30}}
        r = client.post("/v1/sessions", json=bad, headers=tenant.auth("integration"))
        assert r.status_code == 422
        assert "gad7" in r.json()["detail"]

    def test_not_json(self, client: TestClient, tenant: TenantKeys) -> None:
        r = client.post("/v1/sessions", content=b"{nope", headers={
            **tenant.auth("integration"), "content-type": "application/json"})
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"

    def test_researcher_cannot_create(self, client: TestClient, tenant: TenantKeys) -> None:
        r = client.post("/v1/sessions", json=SESSION, headers=tenant.auth("researcher"))
        assert r.status_code == 403

    def test_therapist_creates_only_own(self, client: TestClient, tenant: TenantKeys) -> None:
        r = client.post("/v1/sessions", json={**SESSION, "therapist": "T-2"},
                        headers=tenant.auth("therapist"))
        assert r.status_code == 403
        r = client.post("/v1/sessions", json={**SESSION, "therapist": None},
                        headers=tenant.auth("therapist"))
        assert r.status_code == 201 and r.json()["therapist"] == "T-1"


class TestIdempotency:
    def test_retry_creates_nothing_twice(self, client: TestClient, tenant: TenantKeys) -> None:
        h = {**tenant.auth("integration"), "Idempotency-Key": "abc-1"}
        first = client.post("/v1/sessions", json=SESSION, headers=h)
        second = client.post("/v1/sessions", json=SESSION, headers=h)
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert second.headers["idempotent-replayed"] == "true"
        listed = client.get("/v1/sessions", headers=tenant.auth("admin")).json()["items"]
        assert len(listed) == 1

    def test_same_key_different_body_422(self, client: TestClient, tenant: TenantKeys) -> None:
        h = {**tenant.auth("integration"), "Idempotency-Key": "abc-2"}
        assert client.post("/v1/sessions", json=SESSION, headers=h).status_code == 201
        r = client.post("/v1/sessions", json={**SESSION, "client": "C-2"}, headers=h)
        assert r.status_code == 422
        assert r.json()["type"].endswith("/idempotency-key-reused")

    def test_keys_are_per_tenant(
        self, client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys
    ) -> None:
        a = client.post("/v1/sessions", json=SESSION,
                        headers={**tenant.auth("integration"), "Idempotency-Key": "k"})
        b = client.post("/v1/sessions", json=SESSION,
                        headers={**other_tenant.auth("integration"), "Idempotency-Key": "k"})
        assert a.status_code == b.status_code == 201
        assert a.json()["id"] != b.json()["id"]


class TestListing:
    def test_cursor_pagination_walks_all(self, client: TestClient, tenant: TenantKeys) -> None:
        ids = [create(client, tenant, client=f"C-{i}")["id"] for i in range(5)]
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            params: dict[str, Any] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = client.get("/v1/sessions", params=params, headers=tenant.auth("admin")).json()
            seen += [s["id"] for s in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == ids  # creation order, each once
        assert pages == 3

    def test_bad_cursor_422(self, client: TestClient, tenant: TenantKeys) -> None:
        r = client.get("/v1/sessions", params={"cursor": "!!"}, headers=tenant.auth("admin"))
        assert r.status_code == 422

    def test_filters(self, client: TestClient, tenant: TenantKeys) -> None:
        a = create(client, tenant, client="C-a", modality="massage")
        b = create(client, tenant, client="C-b", modality="yoga", therapist="T-2",
                   started_at="2025-05-01T10:00:00Z")
        h = tenant.auth("admin")

        def ids(**params: Any) -> list[str]:
            r = client.get("/v1/sessions", params=params, headers=h)
            assert r.status_code == 200, r.text
            return [s["id"] for s in r.json()["items"]]

        assert ids(client="C-a") == [a["id"]]
        assert ids(modality="yoga") == [b["id"]]
        assert ids(therapist="T-2") == [b["id"]]
        assert ids(started_from="2025-04-01T00:00:00Z") == [b["id"]]
        assert ids(client="unknown") == []

    def test_therapist_sees_only_own(self, client: TestClient, tenant: TenantKeys) -> None:
        mine = create(client, tenant, therapist="T-1")
        theirs = create(client, tenant, therapist="T-2", client="C-9")
        h = tenant.auth("therapist")
        listed = client.get("/v1/sessions", headers=h).json()["items"]
        assert [s["id"] for s in listed] == [mine["id"]]
        assert client.get(f"/v1/sessions/{theirs['id']}", headers=h).status_code == 404
        clients = client.get("/v1/clients", headers=h).json()["items"]
        assert [c["reference"] for c in clients] == ["C-1"]

    def test_clients_paginate(self, client: TestClient, tenant: TenantKeys) -> None:
        for i in range(3):
            create(client, tenant, client=f"C-{i}")
        h = tenant.auth("researcher")
        p1 = client.get("/v1/clients", params={"limit": 2}, headers=h).json()
        p2 = client.get("/v1/clients", params={"limit": 2, "cursor": p1["next_cursor"]},
                        headers=h).json()
        refs = [c["reference"] for c in p1["items"] + p2["items"]]
        assert refs == ["C-0", "C-1", "C-2"] and p2["next_cursor"] is None

    def test_integration_cannot_list_clients(
        self, client: TestClient, tenant: TenantKeys
    ) -> None:
        assert client.get("/v1/clients", headers=tenant.auth("integration")).status_code == 403
