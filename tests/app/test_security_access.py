"""Access: every route against every kind of caller, scoped repositories, complete erasure."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.auth import Role
from app.db import repositories
from app.db.database import BoundDatabase
from app.db.models import (
    ApiKey,
    AuditEvent,
    Base,
    Client,
    IdempotencyRecord,
    Job,
    Recording,
    TherapySession,
)
from app.services.keys import create_key
from tests.app.conftest import TenantKeys
from tests.app.test_batches import submit
from tests.app.test_recordings import POST, PRE, with_recordings
from tests.app.test_sessions import create

ALL = frozenset({"integration", "therapist", "researcher", "admin"})
WRITERS = frozenset({"integration", "therapist", "admin"})
RESEARCH = frozenset({"researcher", "admin"})
ADMIN = frozenset({"admin"})

#: Who may call each operation of the OpenAPI document. A new route must be added here.
ROLES: dict[tuple[str, str], frozenset[str]] = {
    ("POST", "/v1/analyses"): ALL,
    ("POST", "/v1/sessions"): WRITERS,
    ("GET", "/v1/sessions"): ALL,
    ("GET", "/v1/sessions/{session_id}"): ALL,
    ("PATCH", "/v1/sessions/{session_id}"): WRITERS,
    ("DELETE", "/v1/sessions/{session_id}"): WRITERS,
    ("PUT", "/v1/sessions/{session_id}/recordings/{phase}"): WRITERS,
    ("GET", "/v1/sessions/{session_id}/recordings/{phase}"): ALL,
    ("GET", "/v1/sessions/{session_id}/report"): ALL,
    ("POST", "/v1/sessions/{session_id}/reanalyze"): RESEARCH,
    ("GET", "/v1/clients"): frozenset({"therapist", "researcher", "admin"}),
    ("DELETE", "/v1/clients/{reference}"): ADMIN,
    ("GET", "/v1/jobs/{job_id}"): RESEARCH,
    ("GET", "/v1/keys"): ADMIN,
    ("POST", "/v1/keys"): ADMIN,
    ("DELETE", "/v1/keys/{key_id}"): ADMIN,
    ("POST", "/v1/batches"): RESEARCH,
    ("GET", "/v1/batches/{batch_id}"): RESEARCH,
    ("DELETE", "/v1/batches/{batch_id}"): RESEARCH,
    ("GET", "/v1/batches/{batch_id}/results"): RESEARCH,
}
UNAUTHENTICATED = {("GET", "/healthz"), ("GET", "/readyz")}
#: Operations on one session: a therapist who does not hold it gets 404.
THERAPIST_SCOPED = {
    ("GET", "/v1/sessions/{session_id}"), ("PATCH", "/v1/sessions/{session_id}"),
    ("DELETE", "/v1/sessions/{session_id}"),
    ("PUT", "/v1/sessions/{session_id}/recordings/{phase}"),
    ("GET", "/v1/sessions/{session_id}/recordings/{phase}"),
    ("GET", "/v1/sessions/{session_id}/report"),
}
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/v1/analyses"): PRE,
    ("POST", "/v1/sessions"): {"client": "C-9"},
    ("PATCH", "/v1/sessions/{session_id}"): {"notes": "changed"},
    ("PUT", "/v1/sessions/{session_id}/recordings/{phase}"): POST,
    ("POST", "/v1/keys"): {"role": "researcher"},
}


def _operations(client: TestClient) -> set[tuple[str, str]]:
    spec = client.get("/openapi.json").json()["paths"]
    return {(m.upper(), p) for p, ops in spec.items() for m in ops}


def _url(path: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value)
    return path


class TestEveryRoute:
    def test_roles_table_covers_the_openapi(self, client: TestClient) -> None:
        assert _operations(client) - UNAUTHENTICATED == set(ROLES)

    def test_no_key_401_wrong_role_403(self, client: TestClient, tenant: TenantKeys) -> None:
        ids = {"session_id": "0" * 32, "phase": "pre", "reference": "C-x", "job_id": "0" * 32,
               "key_id": "0" * 32, "batch_id": "0" * 32}
        for op, allowed in ROLES.items():
            method, path = op
            url, body = _url(path, ids), BODIES.get(op)
            r = client.request(method, url, json=body)
            assert r.status_code == 401, (op, r.status_code)
            assert r.headers["www-authenticate"] == "Bearer"
            r = client.request(method, url, json=body,
                               headers={"Authorization": "Bearer hrv_00000000_nope"})
            assert r.status_code == 401, (op, r.status_code)
            for role in sorted(ALL - allowed):
                r = client.request(method, url, json=body, headers=tenant.auth(role))
                assert r.status_code == 403, (op, role, r.status_code)
                assert r.headers["content-type"] == "application/problem+json"

    def test_other_tenant_and_other_therapist_404(
        self, client: TestClient, tenant: TenantKeys, other_tenant: TenantKeys
    ) -> None:
        s = with_recordings(client, tenant)  # therapist T-1's session
        job = client.post(f"/v1/sessions/{s['id']}/reanalyze", headers=tenant.auth("admin"))
        batch = submit(client, tenant)
        ids = {"session_id": s["id"], "phase": "pre", "reference": s["client"],
               "job_id": job.json()["id"], "key_id": tenant.key_ids["researcher"],
               "batch_id": batch["id"]}
        templated = [op for op in ROLES if "{" in op[1]]
        # Reads first, so that the writes (deletes) do not hide a leak of the reads.
        templated.sort(key=lambda op: op[0] == "DELETE")
        for op in templated:
            method, path = op
            role = "admin" if "admin" in ROLES[op] else sorted(ROLES[op])[0]
            r = client.request(method, _url(path, ids), json=BODIES.get(op),
                               headers=other_tenant.auth(role))
            assert r.status_code == 404, (op, role, r.status_code)
            if op in THERAPIST_SCOPED:
                r = client.request(method, _url(path, ids), json=BODIES.get(op),
                                   headers=tenant.auth("therapist2"))
                assert r.status_code == 404, (op, "therapist2", r.status_code)
                assert s["id"] not in r.text or "no session" in r.json()["detail"]
        # The holder and the tenant still see it unchanged.
        own = client.get(f"/v1/sessions/{s['id']}", headers=tenant.auth("therapist"))
        assert own.status_code == 200 and own.json()["notes"] == s["notes"]
        assert client.get("/v1/sessions", headers=tenant.auth("therapist2")).json()["items"] \
            == []
        mine = client.get(f"/v1/batches/{batch['id']}", headers=tenant.auth("researcher"))
        assert mine.status_code == 200 and mine.json()["status"] != "cancelled"


def _repository_classes() -> list[type]:
    return [obj for name, obj in vars(repositories).items()
            if name.endswith("Repository") and inspect.isclass(obj)]


UNSCOPED = {
    ("TenantRepository", "by_name_unscoped"), ("KeyRepository", "by_hash_unscoped"),
    ("JobRepository", "by_id_unscoped"), ("IdempotencyRepository", "purge_older_than_unscoped"),
}


class TestRepositoryScope:
    def test_every_method_takes_the_tenant_or_says_unscoped(self) -> None:
        found_unscoped = set()
        for cls in _repository_classes():
            for name, fn in inspect.getmembers(cls, inspect.isfunction):
                if name.startswith("_"):
                    continue
                params = list(inspect.signature(fn).parameters)[1:]
                if name.endswith("_unscoped"):
                    found_unscoped.add((cls.__name__, name))
                    continue
                if name == "create" and cls.__name__ == "TenantRepository":
                    continue  # makes a new tenant
                row_arg = params and any(
                    p in ("key", "client", "session", "recording", "record", "job", "event")
                    for p in params[:1]
                )
                assert "tenant_id" in params or row_arg, f"{cls.__name__}.{name}{params}"
        assert found_unscoped == UNSCOPED

    def test_unscoped_lookups_do_cross_tenants(
        self, bound_db: BoundDatabase, tenant: TenantKeys, other_tenant: TenantKeys
    ) -> None:
        with bound_db.session() as db:
            keys = repositories.KeyRepository(db)
            for t in (tenant, other_tenant):
                row = db.get(ApiKey, t.key_ids["admin"])
                assert row is not None
                assert keys.by_hash_unscoped(row.key_hash) is row
                # The scoped lookups do not: the other tenant's prefix is not found.
                other = other_tenant if t is tenant else tenant
                assert keys.by_prefix(other.tenant_id, row.prefix) is None
                assert keys.get(other.tenant_id, row.id) is None
            clients = repositories.ClientRepository(db)
            created = create_key(db, tenant.tenant_id, Role.THERAPIST, therapist="T-9")
            therapist_id = db.get(ApiKey, created.id).therapist_id  # type: ignore[union-attr]
            assert clients.therapist(tenant.tenant_id, therapist_id) is not None
            assert clients.therapist(other_tenant.tenant_id, therapist_id) is None


class TestEraseEverything:
    def test_every_table_is_clean_of_the_client(
        self, client: TestClient, tenant: TenantKeys, bound_db: BoundDatabase
    ) -> None:
        ref = "Client-Erase-7f3"
        s = create(client, tenant, client=ref)
        for phase, body in (("pre", PRE), ("post", POST)):
            assert client.put(f"/v1/sessions/{s['id']}/recordings/{phase}", json=body,
                              headers={**tenant.auth("integration"),
                                       "Idempotency-Key": f"put-{phase}"}).status_code == 201
        keep = with_recordings(client, tenant)  # another client's data stays
        h = {**tenant.auth("integration"), "Idempotency-Key": "erase-me"}
        assert client.post("/v1/sessions", json={"client": s["client"]}, headers=h
                           ).status_code == 201
        assert client.get(f"/v1/sessions/{s['id']}/report", headers=tenant.auth("admin")
                          ).status_code == 200
        assert client.post(f"/v1/sessions/{s['id']}/reanalyze", headers=tenant.auth("admin")
                           ).status_code == 202
        with bound_db.session() as db:
            client_row = db.scalars(select(Client).where(
                Client.tenant_id == tenant.tenant_id, Client.reference == s["client"])).one()
            client_id = client_row.id
            session_ids = set(db.scalars(select(TherapySession.id).where(
                TherapySession.client_id == client_id)).all())
            assert len(session_ids) == 2
            assert db.scalar(select(func.count()).select_from(Job)) >= 1
        assert client.delete(f"/v1/clients/{s['client']}", headers=tenant.auth("admin")
                             ).status_code == 204
        with bound_db.session() as db:
            assert db.get(Client, client_id) is None
            for model, column in ((TherapySession, TherapySession.id),
                                  (Recording, Recording.session_id), (Job, Job.session_id)):
                left = db.scalar(select(func.count()).select_from(model)
                                 .where(column.in_(session_ids)))
                assert left == 0, model.__tablename__
            assert db.scalar(select(func.count()).select_from(IdempotencyRecord).where(
                IdempotencyRecord.tenant_id == tenant.tenant_id)) == 0
            assert db.scalar(select(func.count()).select_from(Recording).where(
                Recording.session_id == keep["id"])) == 2
            # No row of any table names the client or its sessions' reports.
            for table in Base.metadata.sorted_tables:
                for row in db.execute(select(table)).all():
                    text = repr(tuple(row))
                    assert ref not in text, table.name
                    # The audit trail keeps internal session ids, by design.
                    if table.name != AuditEvent.__tablename__:
                        assert not any(sid in text for sid in session_ids), table.name
