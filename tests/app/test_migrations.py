"""Migrations: up from empty, down to empty, and in sync with the models, on both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from app.db.database import alembic_config, make_engine, migrate
from app.db.models import Base
from tests.app.conftest import create_pg_database, drop_pg_database

TABLES = {"tenants", "api_keys", "therapists", "clients", "sessions", "recordings",
          "audit_events",
          "idempotency_keys", "jobs"}


@pytest.fixture(params=["sqlite", "postgres"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path}/empty.db")
        yield engine
        engine.dispose()
        return
    admin, db = create_pg_database("hrv_migr")
    engine = make_engine(db.url)
    try:
        yield engine
    finally:
        engine.dispose()
        drop_pg_database(admin, db)


class TestMigrations:
    def test_up_down_up(self, empty_engine: Engine) -> None:
        assert not TABLES & set(inspect(empty_engine).get_table_names())
        migrate(empty_engine)
        assert set(inspect(empty_engine).get_table_names()) >= TABLES
        with empty_engine.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
        assert not TABLES & set(inspect(empty_engine).get_table_names())
        migrate(empty_engine)
        assert set(inspect(empty_engine).get_table_names()) >= TABLES

    def test_compressed_bytes_are_not_compressed_again(self, empty_engine: Engine) -> None:
        """On PostgreSQL the raw columns (zlib or deflate bytes) use EXTERNAL storage:
        out of line, without a second compression attempt; downgrading restores the
        default."""
        if empty_engine.dialect.name != "postgresql":
            pytest.skip("a PostgreSQL storage setting")

        def storage() -> dict[str, str]:
            with empty_engine.connect() as conn:
                rows = conn.execute(text(
                    "SELECT c.relname, a.attstorage FROM pg_attribute a "
                    "JOIN pg_class c ON c.oid = a.attrelid "
                    "WHERE a.attname = 'raw' AND c.relname IN ('recordings', 'batch_items')"
                )).all()
            return {str(r): str(s) for r, s in rows}

        migrate(empty_engine)
        assert storage() == {"recordings": "e", "batch_items": "e"}
        with empty_engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0007")
        assert storage() == {"recordings": "x", "batch_items": "x"}

    def test_models_match_migrations(self, empty_engine: Engine) -> None:
        migrate(empty_engine)
        with empty_engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []


def test_migrations_have_one_head() -> None:
    """Every branch of the schema history is joined: ``upgrade head`` reaches all tables."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import app.db

    cfg = Config()
    cfg.set_main_option(
        "script_location", str(__import__("pathlib").Path(app.db.__file__).parent / "migrations"))
    heads = ScriptDirectory.from_config(cfg).get_heads()
    assert len(heads) == 1, heads
