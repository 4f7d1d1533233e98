"""study batches: batches, their items and one result per item

Revision ID: 0005
Revises: 0002
Create Date: 2026-12-02 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.String(length=32)
_TS = sa.DateTime(timezone=True)


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["tenants.id"], name=op.f(f"fk_{table}_tenant_id_tenants"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", _ID, nullable=False),
        sa.Column("tenant_id", _ID, nullable=False),
        sa.Column("key_id", _ID, nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("hrv_version", sa.String(length=40), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("started_at", _TS, nullable=True),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("cancelled_at", _TS, nullable=True),
        _tenant_fk("batches"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
    )
    op.create_index("ix_batches_tenant_id_id", "batches", ["tenant_id", "id"])
    op.create_table(
        "batch_items",
        sa.Column("id", _ID, nullable=False),
        sa.Column("tenant_id", _ID, nullable=False),
        sa.Column("batch_id", _ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("file", sa.String(length=500), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("recording_id", _ID, nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", _TS, nullable=True),
        sa.Column("finished_at", _TS, nullable=True),
        _tenant_fk("batch_items"),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_batch_items_batch_id_batches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"], ["recordings.id"],
            name=op.f("fk_batch_items_recording_id_recordings"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_items")),
        sa.UniqueConstraint("batch_id", "position", name=op.f("uq_batch_items_batch_id_position")),
    )
    op.create_index("ix_batch_items_batch_id_status", "batch_items", ["batch_id", "status"])
    op.create_table(
        "batch_results",
        sa.Column("id", _ID, nullable=False),
        sa.Column("tenant_id", _ID, nullable=False),
        sa.Column("batch_id", _ID, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("analysis", sa.JSON(), nullable=False),
        sa.Column("hrv_version", sa.String(length=40), nullable=False),
        sa.Column("compute_s", sa.Double(), nullable=False),
        sa.Column("writes", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        _tenant_fk("batch_results"),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_batch_results_batch_id_batches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["batch_items.id"], name=op.f("fk_batch_results_item_id_batch_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_results")),
        sa.UniqueConstraint("item_id", name=op.f("uq_batch_results_item_id")),
    )
    op.create_index(op.f("ix_batch_results_batch_id"), "batch_results", ["batch_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_batch_results_batch_id"), table_name="batch_results")
    op.drop_table("batch_results")
    op.drop_index("ix_batch_items_batch_id_status", table_name="batch_items")
    op.drop_table("batch_items")
    op.drop_index("ix_batches_tenant_id_id", table_name="batches")
    op.drop_table("batches")
