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

    def test_large_columns_storage(self, empty_engine: Engine) -> None:
        """On PostgreSQL the raw columns (zlib or deflate bytes) use EXTERNAL storage
        (out of line, no second compression attempt) and the JSON columns lz4 where the
        server has it; downgrading restores the defaults."""
        if empty_engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL storage settings")

        def attributes() -> dict[str, tuple[str, str]]:
            with empty_engine.connect() as conn:
                rows = conn.execute(text(
                    "SELECT c.relname || '.' || a.attname, a.attstorage, a.attcompression "
                    "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                    "WHERE (c.relname, a.attname) IN (('recordings', 'raw'), "
                    "('batch_items', 'raw'), ('batch_results', 'analysis'), "
                    "('recordings', 'analysis'), ('sessions', 'report'))"
                )).all()
            return {str(n): (str(s), str(c)) for n, s, c in rows}

        migrate(empty_engine)
        with empty_engine.connect() as conn:
            lz4 = conn.execute(text(
                "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                "WHERE name = 'default_toast_compression'")).scalar()
        got = attributes()
        assert got["recordings.raw"][0] == got["batch_items.raw"][0] == "e"
        for name in ("batch_results.analysis", "recordings.analysis", "sessions.report"):
            assert got[name] == ("x", "l" if lz4 else "")
        with empty_engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0007")
        assert set(attributes().values()) == {("x", "")}

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
