"""Fixtures of the page tests: the service fixtures of tests/app plus signed-in accounts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.auth import Principal, Role
from app.db.database import BoundDatabase
from app.schemas import Phase, SessionCreate
from app.services import sessions as svc
from app.services.ingest import FILE, JSON, Limits, StoredBody
from app.web.accounts import create_account
from hrv.simulate import rr_series
from tests.app.conftest import (  # noqa: F401  (fixtures)
    TenantKeys,
    app,
    backend,
    bound_db,
    client,
    other_tenant,
    settings,
    tenant,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_recordings"
PASSWORD = "correct horse battery"
LIMITS = Limits(2_000_000, 200_000)


def rr_body(seed: int, mean_hr_bpm: float, hf_amplitude_ms: float) -> StoredBody:
    rr = rr_series(300, mean_hr_bpm=mean_hr_bpm, hf_amplitude_ms=hf_amplitude_ms,
                   lf_amplitude_ms=20, noise_ms=5, seed=seed)
    return StoredBody(JSON, {}, json.dumps({"kind": "rr", "rr_ms": [float(x) for x in rr]})
                      .encode())


def file_body(name: str) -> StoredBody:
    return StoredBody(FILE, {"filename": name}, (SAMPLES / name).read_bytes())


def seed_session(db: BoundDatabase, tenant_id: str, therapist: str, client_ref: str, *,
                 notes: str | None = None, pre: StoredBody | None = None,
                 post: StoredBody | None = None, anxiety: tuple[float, float] = (7, 3)) -> str:
    """A session with both recordings, stored through the API's services."""
    principal = Principal(key_id="test", tenant_id=tenant_id, role=Role.ADMIN)
    with db.session() as s:
        created = svc.create_session(s, principal, SessionCreate(
            client=client_ref, therapist=therapist, modality="massage", notes=notes,
            pre={"anxiety": anxiety[0]}, post={"anxiety": anxiety[1]},  # type: ignore[arg-type]
        ))
        for phase, body in ((Phase.PRE, pre or rr_body(1, 74, 15)),
                            (Phase.POST, post or rr_body(2, 64, 30))):
            svc.put_recording(s, principal, created.id, phase, body, LIMITS, 1)
        return created.id


@pytest.fixture(autouse=True)
def _cheap_argon2() -> Iterator[None]:
    """Argon2id with small parameters: the production profile costs ~0.4 s a hash here."""
    from argon2 import PasswordHasher

    from app.web.accounts import use_hasher

    old = use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    use_hasher(old)


@dataclass
class Accounts:
    tenant: TenantKeys
    usernames: dict[str, str]


@pytest.fixture()
def accounts(bound_db: BoundDatabase, tenant: TenantKeys) -> Accounts:  # noqa: F811
    """Two therapists (T-1, T-2, as the API keys of ``tenant``) and an admin."""
    with bound_db.session() as s:
        create_account(s, tenant.tenant_id, "ther1", PASSWORD, Role.THERAPIST, therapist="T-1")
        create_account(s, tenant.tenant_id, "ther2", PASSWORD, Role.THERAPIST, therapist="T-2")
        create_account(s, tenant.tenant_id, "boss", PASSWORD, Role.ADMIN)
    return Accounts(tenant, {"therapist": "ther1", "therapist2": "ther2", "admin": "boss"})


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "page has no CSRF field"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:  # noqa: F811
    """Sign ``client`` in; returns the CSRF token of the signed-in pages."""
    page = client.get("/sign-in")
    r = client.post("/sign-in", data={"csrf_token": csrf_of(page.text), "username": username,
                                      "password": password, "next": "/clients"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/clients").text)
