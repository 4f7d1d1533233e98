"""Idempotent replays belong to their caller; the same JSON in another key order is the same."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from tests.app.conftest import TenantKeys
from tests.app.test_recordings import PRE
from tests.app.test_sessions import SESSION


def _h(tenant: TenantKeys, role: str, key: str) -> dict[str, str]:
    return {**tenant.auth(role), "Idempotency-Key": key}


def _own_session(http: TestClient, tenant: TenantKeys, role: str, ref: str) -> dict[str, Any]:
    r = http.post("/v1/sessions", json={**SESSION, "therapist": ref}, headers=tenant.auth(role))
    assert r.status_code == 201, r.text
    return dict(r.json())


class TestReplayScope:
    def test_other_therapist_resending_create_gets_no_data_of_the_first(
        self, client: TestClient, tenant: TenantKeys
    ) -> None:
        body = {**SESSION, "therapist": "T-1", "notes": "private note of T-1"}
        first = client.post("/v1/sessions", json=body, headers=_h(tenant, "therapist", "k-1"))
        assert first.status_code == 201
        # Therapist B sends the same key and body: nothing is replayed to them; their key
        # may not create a session for T-1, so the request is judged afresh and refused.
        again = client.post("/v1/sessions", json=body, headers=_h(tenant, "therapist2", "k-1"))
        assert again.status_code == 403, again.text
        assert "idempotent-replayed" not in again.headers
        assert first.json()["id"] not in again.text and "private note" not in again.text
        # The first therapist's own retry still replays.
        mine = client.post("/v1/sessions", json=body, headers=_h(tenant, "therapist", "k-1"))
        assert mine.headers.get("idempotent-replayed") == "true"
        assert mine.json() == first.json()

    def test_other_therapist_resending_put_recording_gets_404(
        self, client: TestClient, tenant: TenantKeys
    ) -> None:
        s = _own_session(client, tenant, "therapist", "T-1")
        url = f"/v1/sessions/{s['id']}/recordings/pre"
        first = client.put(url, json=PRE, headers=_h(tenant, "therapist", "rec-1"))
        assert first.status_code == 201
        stolen = client.put(url, json=PRE, headers=_h(tenant, "therapist2", "rec-1"))
        assert stolen.status_code == 404, stolen.text
        assert "analysis" not in stolen.json() and "idempotent-replayed" not in stolen.headers
        assert client.get(url, headers=tenant.auth("therapist2")).status_code == 404

    def test_replay_rechecks_access(self, client: TestClient, tenant: TenantKeys) -> None:
        s = _own_session(client, tenant, "therapist", "T-1")
        url = f"/v1/sessions/{s['id']}/recordings/pre"
        assert client.put(url, json=PRE, headers=_h(tenant, "therapist", "rec-2")).status_code \
            == 201
        # An admin hands the session to T-2: T-1's retry must not replay the analysis.
        moved = client.patch(f"/v1/sessions/{s['id']}", json={"therapist": "T-2"},
                             headers=tenant.auth("admin"))
        assert moved.status_code == 200
        retry = client.put(url, json=PRE, headers=_h(tenant, "therapist", "rec-2"))
        assert retry.status_code == 404, retry.text
        assert "idempotent-replayed" not in retry.headers

    def test_same_key_of_two_integrations_are_two_requests(
        self, client: TestClient, tenant: TenantKeys
    ) -> None:
        a = client.post("/v1/sessions", json=SESSION, headers=_h(tenant, "integration", "x"))
        b = client.post("/v1/sessions", json=SESSION, headers=_h(tenant, "admin", "x"))
        assert a.status_code == b.status_code == 201
        assert a.json()["id"] != b.json()["id"] and "idempotent-replayed" not in b.headers


class TestCanonicalBody:
    def test_reordered_keys_replay(self, client: TestClient, tenant: TenantKeys) -> None:
        h = _h(tenant, "integration", "order-1")
        first = client.post("/v1/sessions", json=SESSION, headers=h)
        reordered = dict(reversed(list(SESSION.items())))
        reordered["pre"] = dict(reversed(list(SESSION["pre"].items())))
        raw = client.post("/v1/sessions", headers={**h, "Content-Type": "application/json"},
                          content=json.dumps(reordered, indent=2))
        assert raw.status_code == 201, raw.text
        assert raw.headers.get("idempotent-replayed") == "true"
        assert raw.json()["id"] == first.json()["id"]

    def test_different_value_is_still_refused(
        self, client: TestClient, tenant: TenantKeys
    ) -> None:
        h = _h(tenant, "integration", "order-2")
        assert client.post("/v1/sessions", json=SESSION, headers=h).status_code == 201
        r = client.post("/v1/sessions", json={**SESSION, "duration_min": 51}, headers=h)
        assert r.status_code == 422 and r.json()["type"].endswith("/idempotency-key-reused")

    def test_recording_body_in_another_key_order_replays(
        self, client: TestClient, tenant: TenantKeys
    ) -> None:
        s = _own_session(client, tenant, "integration", "T-1")
        url = f"/v1/sessions/{s['id']}/recordings/pre"
        h = _h(tenant, "integration", "rec-order")
        first = client.put(url, json=PRE, headers=h)
        assert first.status_code == 201
        again = client.put(url, json=dict(reversed(list(PRE.items()))), headers=h)
        assert again.status_code == 201 and again.headers.get("idempotent-replayed") == "true"
        assert again.json()["id"] == first.json()["id"]
