"""Session lifecycle: PATCH (merge patch, idempotent), DELETE, and erasure of a client."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import ColumnElement, Select, func, select

from app.db.database import BoundDatabase
from app.db.models import AuditEvent, Client, IdempotencyRecord, Recording, TherapySession
from tests.app.conftest import TenantKeys
from tests.app.test_recordings import with_recordings
from tests.app.test_sessions import create


def _count(db: BoundDatabase, model: type, *where: ColumnElement[bool]) -> int:
    with db.session() as s:
        query: Select[Any] = select(func.count()).select_from(model).where(*where)
        n: int = s.execute(query).scalar_one()
        return n


class TestPatch:
    def test_merge_patch_is_idempotent(self, client: TestClient, tenant: TenantKeys) -> None:
        s = create(client, tenant, notes="first visit")
        url, h = f"/v1/sessions/{s['id']}", tenant.auth("integration")
        patch = {"notes": "slept badly", "post": {"anxiety": 2}, "modality": "reflexology",
                 "therapist": "T-9", "started_at": "2025-03-05T09:30:00Z"}
        first = client.patch(url, json=patch, headers=h)
        assert first.status_code == 200, first.text
        again = client.patch(url, json=patch, headers=h)
        assert again.status_code == 200 and again.json() == first.json()
        out = first.json()
        assert out["notes"] == "slept badly" and out["modality"] == "reflexology"
        assert out["therapist"] == "T-9"
        # post.anxiety changed, post.questionnaire_score and everything left out kept.
        assert out["post"] == {"anxiety": 2.0, "questionnaire_score": 6.0}
        assert out["pre"] == s["pre"] and out["client"] == s["client"]
        assert out["duration_min"] == s["duration_min"]
        assert out["started_at"] in ("2025-03-05T09:30:00Z", "2025-03-05T09:30:00+00:00")
        assert client.get(url, headers=h).json() == out

    def test_null_clears(self, client: TestClient, tenant: TenantKeys) -> None:
        s = create(client, tenant, notes="to remove")
        r = client.patch(f"/v1/sessions/{s['id']}", json={"notes": None, "pre": None},
                         headers=tenant.auth("admin"))
        assert r.status_code == 200, r.text
        assert r.json()["notes"] is None
        assert r.json()["pre"] == {"anxiety": None, "questionnaire_score": None}

    def test_merged_state_is_validated(self, client: TestClient, tenant: TenantKeys) -> None:
        s = create(client, tenant)  # GAD-7 session with pre score 12
        url, h = f"/v1/sessions/{s['id']}", tenant.auth("admin")
        # Scores without a questionnaire, anxiety outside 0-10 and a new client are all
        # refused, and a refused patch changes nothing.
        r = client.patch(url, json={"questionnaire": None}, headers=h)
        assert r.status_code == 422 and "questionnaire" in r.json()["detail"]
        r = client.patch(url, json={"pre": {"anxiety": 12}}, headers=h)
        assert r.status_code == 422
        r = client.patch(url, json={"client": "C-2"}, headers=h)
        assert r.status_code == 422
        assert client.get(url, headers=h).json() == s

    def test_roles(self, client: TestClient, tenant: TenantKeys) -> None:
        s = create(client, tenant)  # therapist T-1
        url = f"/v1/sessions/{s['id']}"
        assert client.patch(url, json={"notes": "x"},
                            headers=tenant.auth("researcher")).status_code == 403
        assert client.patch(url, json={"notes": "x"},
                            headers=tenant.auth("therapist2")).status_code == 404
        assert client.patch(url, json={"therapist": "T-2"},
                            headers=tenant.auth("therapist")).status_code == 403
        assert client.patch(url, json={"notes": "own"},
                            headers=tenant.auth("therapist")).status_code == 200


class TestDelete:
    def test_removes_recordings_and_raw_data(
        self, client: TestClient, tenant: TenantKeys, bound_db: BoundDatabase
    ) -> None:
        s = with_recordings(client, tenant)
        keep = with_recordings(client, tenant)
        assert _count(bound_db, Recording, Recording.session_id == s["id"]) == 2
        url = f"/v1/sessions/{s['id']}"
        assert client.delete(url, headers=tenant.auth("researcher")).status_code == 403
        assert client.delete(url, headers=tenant.auth("therapist2")).status_code == 404
        r = client.delete(url, headers=tenant.auth("therapist"))
        assert r.status_code == 204 and r.content == b""
        assert client.get(url, headers=tenant.auth("admin")).status_code == 404
        assert client.get(f"{url}/report", headers=tenant.auth("admin")).status_code == 404
        assert client.delete(url, headers=tenant.auth("admin")).status_code == 404
        assert _count(bound_db, Recording, Recording.session_id == s["id"]) == 0
        assert _count(bound_db, Recording, Recording.session_id == keep["id"]) == 2
        with bound_db.session() as db:
            events = db.scalars(select(AuditEvent).where(
                AuditEvent.tenant_id == tenant.tenant_id)).all()
            assert [(e.action, e.subject, e.key_id) for e in events] == [
                ("session.delete", s["id"], tenant.key_ids["therapist"])]
            assert events[0].details == {"sessions": 1, "recordings": 2}


class TestEraseClient:
    def test_erases_everything_of_the_client_only(
        self, client: TestClient, tenant: TenantKeys, bound_db: BoundDatabase
    ) -> None:
        ref = "C-erase-me"
        h = {**tenant.auth("integration"), "Idempotency-Key": "create-1"}
        first = client.post("/v1/sessions", json={"client": ref, "therapist": "T-1"}, headers=h)
        assert first.status_code == 201
        second = create(client, tenant, client=ref)
        for sid in (first.json()["id"], second["id"]):
            for phase in ("pre", "post"):
                r = client.put(f"/v1/sessions/{sid}/recordings/{phase}",
                               json={"kind": "rr", "rr_ms": [800.0 + i % 7 for i in range(400)]},
                               headers={**tenant.auth("integration"),
                                        "Idempotency-Key": f"{sid}-{phase}"})
                assert r.status_code == 201, r.text
        other = with_recordings(client, tenant)  # client C-1
        assert _count(bound_db, IdempotencyRecord) == 5
        url = f"/v1/clients/{ref}"
        for role in ("integration", "therapist", "researcher"):
            assert client.delete(url, headers=tenant.auth(role)).status_code == 403
        assert client.delete(url, headers=tenant.auth("admin")).status_code == 204
        assert client.delete(url, headers=tenant.auth("admin")).status_code == 404
        assert _count(bound_db, Client, Client.reference == ref) == 0
        assert _count(bound_db, TherapySession, TherapySession.tenant_id == tenant.tenant_id) == 1
        assert _count(bound_db, Recording, Recording.tenant_id == tenant.tenant_id) == 2
        # Stored responses (they hold the reference) are gone with the sessions.
        assert _count(bound_db, IdempotencyRecord) == 0
        refs = [c["reference"] for c in
                client.get("/v1/clients", headers=tenant.auth("admin")).json()["items"]]
        assert refs == ["C-1"]
        assert client.get(f"/v1/sessions/{other['id']}/report",
                          headers=tenant.auth("admin")).status_code == 200
        with bound_db.session() as db:
            (event,) = db.scalars(select(AuditEvent).where(
                AuditEvent.tenant_id == tenant.tenant_id,
                AuditEvent.action == "client.erase")).all()
            assert event.action == "client.erase" and event.subject is None
            assert event.details == {"sessions": 2, "recordings": 4}
            assert ref not in repr((event.subject, event.details, event.action))

    @pytest.mark.parametrize("ref", ["nobody", "C-1 "])
    def test_unknown_client_404(self, client: TestClient, tenant: TenantKeys, ref: str) -> None:
        create(client, tenant)
        r = client.delete(f"/v1/clients/{ref}", headers=tenant.auth("admin"))
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"
        assert ref.strip() not in r.json()["detail"]
