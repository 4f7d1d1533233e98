"""how PostgreSQL stores the large columns: no second compression of compressed bytes,
lz4 instead of pglz for analyses and reports

The ``raw`` columns hold bytes that are compressed already (zlib, or a ZIP member's own
deflate stream). PostgreSQL's default storage tried to compress each value again before
moving it out of line: on a study ZIP of 500 five-minute EDF files (60 MB) that attempt
took 0.65 of the 0.9 s the insert took, and never saved a byte. ``EXTERNAL`` storage
keeps them out of line, uncompressed.

Analyses, reports, job results and stored idempotent responses are JSON text that
compresses about threefold. pglz, the default method, took 80 % of the database's time
to write a batch item's result (0.46 of 0.57 CPU seconds for 500 analyses of 29 KB);
lz4 (PostgreSQL 14 and later, where the server is built with it) takes a fifth of that
and stores 7 % more. Values already stored keep their method until rewritten.

SQLite has no such settings: nothing to do there.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 14:05:00
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COMPRESSED_BYTES = (("recordings", "raw"), ("batch_items", "raw"))
JSON_TEXT = (("sessions", "report"), ("recordings", "analysis"),
             ("idempotency_keys", "response"), ("jobs", "result"),
             ("batch_results", "analysis"))


def _has_lz4() -> bool:
    return bool(op.get_bind().execute(text(
        "SELECT coalesce('lz4' = ANY(enumvals), false) FROM pg_settings "
        "WHERE name = 'default_toast_compression'")).scalar())


def _apply(storage: str, compression: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COMPRESSED_BYTES:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET STORAGE {storage}")
    if _has_lz4():
        for table, column in JSON_TEXT:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {compression}")


def upgrade() -> None:
    _apply("EXTERNAL", "lz4")


def downgrade() -> None:
    _apply("EXTENDED", "default")
