"""Service test fixtures: a real database (SQLite and PostgreSQL), one transaction per test.

PostgreSQL: one database per pytest-xdist worker, created and dropped here. If the server
is unreachable the PostgreSQL tests fail, unless ``HRV_TEST_SKIP_POSTGRES=1``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from app.auth import Role
from app.config import Settings
from app.db.database import BoundDatabase, make_engine, migrate
from app.main import create_app
from app.services.keys import create_key, create_tenant

PG_HOST = os.environ.get("HRV_TEST_PG_HOST", "127.0.0.1")
PG_PORT = os.environ.get("HRV_TEST_PG_PORT", "5432")
PG_ADMIN_DB = os.environ.get("HRV_TEST_PG_DB", "test")


def _pg_admin_url(user: str, db: str = PG_ADMIN_DB) -> str:
    return f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/{db}"


def pg_admin_engine() -> Engine:
    """An autocommit engine on the admin database (user root, else postgres)."""
    errors = []
    for user in (os.environ.get("HRV_TEST_PG_USER"), "root", "postgres"):
        if not user:
            continue
        engine = create_engine(_pg_admin_url(user), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.info_user = user  # type: ignore[attr-defined]
            return engine
        except Exception as exc:
            errors.append(f"{user}: {type(exc).__name__}: {exc}")
            engine.dispose()
    message = f"PostgreSQL at {PG_HOST}:{PG_PORT} unreachable ({'; '.join(errors)})"
    if os.environ.get("HRV_TEST_SKIP_POSTGRES") == "1":
        pytest.skip(message)
    pytest.fail(message + "; set HRV_TEST_SKIP_POSTGRES=1 to skip", pytrace=False)


@dataclass
class PgDatabase:
    url: str
    name: str


def create_pg_database(prefix: str) -> tuple[Engine, PgDatabase]:
    admin = pg_admin_engine()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    user = admin.info_user  # type: ignore[attr-defined]
    return admin, PgDatabase(_pg_admin_url(user, name), name)


def drop_pg_database(admin: Engine, db: PgDatabase) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Engine]]:
    """A migrated database of each backend, shared by the tests of one xdist worker."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "hrv.db"
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        migrate(engine)
        yield url, engine
        engine.dispose()
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    admin, db = create_pg_database(f"hrv_test_{worker}")
    engine = make_engine(db.url)
    try:
        migrate(engine)
        yield db.url, engine
    finally:
        engine.dispose()
        drop_pg_database(admin, db)


@pytest.fixture()
def bound_db(backend: tuple[str, Engine]) -> Iterator[BoundDatabase]:
    """All of a test's writes live in one outer transaction, rolled back at the end."""
    _, engine = backend
    conn = engine.connect()
    trans = conn.begin()
    try:
        yield BoundDatabase(conn)
    finally:
        trans.rollback()
        conn.close()


@pytest.fixture()
def settings(backend: tuple[str, Engine]) -> Settings:
    return Settings(
        database_url=backend[0], migrate_on_startup=False, log_json=True, log_level="WARNING",
        max_body_bytes=2_000_000, max_samples=200_000, max_intervals=20_000,
        batch_processes=0,  # batch items run in the test's own transaction
    )


@pytest.fixture()
def app(settings: Settings, bound_db: BoundDatabase) -> FastAPI:
    application = create_app(settings)
    application.state.db.dispose()
    application.state.db = bound_db
    return application


@pytest.fixture()
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


@dataclass
class TenantKeys:
    tenant_id: str
    keys: dict[str, str]
    key_ids: dict[str, str]

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}


def _make_tenant(db: BoundDatabase, name: str) -> TenantKeys:
    with db.session() as s:
        tenant, admin = create_tenant(s, name)
        keys = {"admin": admin.key}
        ids = {"admin": admin.id}
        for role in (Role.INTEGRATION, Role.RESEARCHER):
            k = create_key(s, tenant.id, role)
            keys[role.value], ids[role.value] = k.key, k.id
        for label, ref in (("therapist", "T-1"), ("therapist2", "T-2")):
            k = create_key(s, tenant.id, Role.THERAPIST, therapist=ref)
            keys[label], ids[label] = k.key, k.id
        return TenantKeys(tenant.id, keys, ids)


@pytest.fixture()
def tenant(bound_db: BoundDatabase) -> TenantKeys:
    return _make_tenant(bound_db, "clinic A")


@pytest.fixture()
def other_tenant(bound_db: BoundDatabase) -> TenantKeys:
    return _make_tenant(bound_db, "clinic B")


ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data"
